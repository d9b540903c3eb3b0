/**
 * Profile and fair-access SQL: aggregates only. The statistics (index, intervals, tests) are computed
 * in TypeScript from these counts (functions/profiles/), because neither engine has the
 * distributions and the counts are small. Same dialect rules as classify.ts.
 */
import { countIf, periodLiteral } from './classify.ts';

/** Per school: pupils, classification coverage, FSM, match statuses and English IMD decile counts (classify stage's imd_decile). */
export function schoolFactsSql(period: string): string {
  const deciles = Array.from({ length: 10 }, (_, i) => `${countIf(`imd_decile = ${i + 1}`)} AS imd_decile_${i + 1}`).join(',\n    ');
  return `SELECT urn,
    count(*) AS pupils,
    ${countIf('subgroup IS NOT NULL')} AS classified,
    ${countIf('fsm')} AS fsm_n,
    ${countIf("match_status = 'exact'")} AS exact,
    ${countIf("match_status = 'terminated'")} AS terminated,
    ${countIf("match_status = 'sector'")} AS sector,
    ${countIf("match_status = 'unmatched'")} AS unmatched,
    ${countIf("match_status = 'invalid'")} AS invalid,
    ${deciles},
    ${countIf('imd_decile IS NULL')} AS imd_unknown
FROM enriched_pupils
WHERE period = ${periodLiteral(period)}
GROUP BY urn
ORDER BY urn`;
}

/**
 * Schools with their location (from their postcode's classification row). A schools list is not
 * reissued every year: use the period's own list, else the latest earlier one, else the earliest.
 * A GIAS register lists every establishment in England: of it, only the schools the period's
 * pupils attend (an LA's own list is kept whole).
 */
export function schoolsSql(period: string): string {
  const p = periodLiteral(period);
  return `SELECT s.urn, s.name, s.phase, s.cluster, pc.lat, pc.long
FROM schools s
LEFT JOIN postcodes pc ON pc.postcode = s.postcode
WHERE s.period = COALESCE(
  (SELECT max(period) FROM schools WHERE period <= ${p}),
  (SELECT min(period) FROM schools))
  AND (s.la_code IS NULL OR s.urn IN (SELECT urn FROM pupils WHERE period = ${p}))
ORDER BY s.urn`;
}

/**
 * The names of the period's schools (the schools file in force, as schoolsSql chooses it), for
 * naming the schools of the fair-access tables: those are schools with pupils, which schoolsSql
 * keeps too, so the names are the same without its scan of the pupils and join to the postcodes.
 */
export function schoolNamesSql(period: string): string {
  const p = periodLiteral(period);
  return `SELECT s.urn, s.name
FROM schools s
WHERE s.period = COALESCE(
  (SELECT max(period) FROM schools WHERE period <= ${p}),
  (SELECT min(period) FROM schools))
ORDER BY s.urn`;
}

/** The segment dictionary at all three levels. */
export function segmentNamesSql(): string {
  return `SELECT DISTINCT subgroup_code, subgroup_name, group_code, group_name, supergroup_code, supergroup_name, description
FROM segments
ORDER BY subgroup_code`;
}

/** Classification vintage, edition (oac11, oac21, custom) and the IMD edition of English ranks in use. */
export function vintageSql(): string {
  return `SELECT (SELECT max(vintage) FROM postcodes) AS vintage,
       (SELECT max(classification) FROM segments) AS classification,
       (SELECT max(imd_edition) FROM postcodes) AS imd_edition`;
}

/** Base pupils by finest segment, ward and school; optional NC-year filter (validated codes only). */
export function baseCountsSql(period: string, ncyears: string[] | null): string {
  const years = ncyears?.map((y) => {
    if (!/^(N1|N2|R|[1-9]|1[0-4])$/.test(y)) throw new Error(`invalid NC year ${JSON.stringify(y)}`);
    return `'${y}'`;
  });
  return `SELECT subgroup, ward, urn, count(*) AS n
FROM enriched_pupils
WHERE period = ${periodLiteral(period)} AND subgroup IS NOT NULL${years ? `\n  AND ncyear IN (${years.join(', ')})` : ''}
GROUP BY subgroup, ward, urn
ORDER BY subgroup, ward, urn`;
}

/**
 * Client families of a period, keyed by home postcode and child: contacts from one postcode about
 * different children (school and NC year) are different families; repeat contacts about the same
 * child are one; a contact that names no child joins the earliest family at its postcode that
 * names one (or is the postcode's only family). Deduplicating by postcode alone merged different
 * families living at one postcode (flats, shared houses); familyCountsSql measures the difference.
 * Contacts without a usable postcode cannot be deduplicated or classified: each is one client.
 */
function familiesCte(period: string): string {
  return `c AS (
  SELECT subgroup, ward, postcode, child_urn, child_ncyear, contact_date, contact_id
  FROM enriched_contacts
  WHERE period = ${periodLiteral(period)}
),
named AS (
  SELECT postcode, child_urn, child_ncyear FROM (
    SELECT postcode, child_urn, child_ncyear,
           row_number() OVER (PARTITION BY postcode ORDER BY contact_date, contact_id) AS rk
    FROM c
    WHERE postcode IS NOT NULL AND (child_urn IS NOT NULL OR child_ncyear IS NOT NULL)
  ) first_named
  WHERE rk = 1
),
families AS (
  SELECT DISTINCT c.subgroup, c.ward, c.postcode,
         CASE WHEN c.child_urn IS NULL AND c.child_ncyear IS NULL THEN n.child_urn ELSE c.child_urn END AS child_urn,
         CASE WHEN c.child_urn IS NULL AND c.child_ncyear IS NULL THEN n.child_ncyear ELSE c.child_ncyear END AS child_ncyear
  FROM c
  LEFT JOIN named n ON n.postcode = c.postcode
  WHERE c.postcode IS NOT NULL
)`;
}

/** Clients (families, see familiesCte) by finest segment, ward and child's school. */
export function clientCountsSql(period: string): string {
  return `WITH ${familiesCte(period)}
SELECT subgroup, ward, child_urn, count(*) AS n FROM (
  SELECT subgroup, ward, child_urn FROM families
  UNION ALL
  SELECT subgroup, ward, child_urn FROM c WHERE postcode IS NULL
) clients
GROUP BY subgroup, ward, child_urn
ORDER BY subgroup, ward, child_urn`;
}

/**
 * The family rule's effect: families counted by postcode and child, by postcode alone, and the
 * postcodes holding more than one family.
 */
export function familyCountsSql(period: string): string {
  return `WITH ${familiesCte(period)}
SELECT CAST(count(*) AS BIGINT) AS by_postcode_and_child,
       CAST(count(DISTINCT postcode) AS BIGINT) AS by_postcode,
       CAST((SELECT count(*) FROM (SELECT postcode FROM families GROUP BY postcode HAVING count(*) > 1) shared) AS BIGINT) AS shared_postcodes
FROM families`;
}

/** Contacts (before deduplication) in the period. */
export function contactTotalSql(period: string): string {
  return `SELECT count(*) AS contacts FROM enriched_contacts WHERE period = ${periodLiteral(period)}`;
}

/** One family size's interval constants: m segments tested together, a = 0.05/m, z = Φ⁻¹(1 − a/2). */
export interface CriticalValue {
  m: number;
  /** 1 − a, the level the interval is drawn at. */
  level: number;
  /** Φ⁻¹(1 − a/2). */
  z: number;
}

/** A DOUBLE literal on both engines (a plain 1.96 is DECIMAL in Trino): 17 significant digits round-trip exactly. */
export function doubleLiteral(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  return x.toExponential(16).replace('e', 'E');
}

/** The school whose profile a target is: each school, or each cluster (against the LA). */
export type ProfileUnit = 'school' | 'cluster';

/**
 * Every profile row of a period, set-based: per target (each school against its base, or each
 * cluster against the LA) and per segment of every level of the dictionary (absent segments as 0),
 * the counts O, n, B, N and the family size m, and what follows from them row by row:
 * pct, base_pct, penetration, index, expected, z, ci_level, reliable and, for rows that take the
 * score test (expected ≥ 10 and z defined), the Wilson interval of the index at level 1 − 0.05/m
 * (z from `critical`, computed once per family size by the caller: neither engine has a normal
 * quantile that both share). What no shared SQL can do (DuckDB has no normal CDF, Trino no
 * log-gamma; rows with expected < 10 need the exact test and beta quantiles) is left to the caller:
 * p for every row, the Clopper–Pearson interval of exact rows, p_adjusted and the flag
 * (functions/profiles/profile-rows.ts). Each expression is written in the same order of
 * operations as functions/domain/stats/index-measures.ts, so both give the same doubles.
 *
 * The result is a dense grid, targets × segments, in no particular order: each row carries
 * unit_rank (1..U, targets by name) and dict_rank (1..D, segments by level then code), so the
 * caller places it at (unit_rank − 1)·D + dict_rank − 1 without sorting two million rows of text.
 * Labels come once each: the target's name and base on its dict_rank = 1 row, the segment's level,
 * code and name on its unit_rank = 1 row, and NULL elsewhere.
 *
 * `baseKind` (schools only): la, cluster (a school without one is compared with the LA) or phase.
 * A target's own classified pupils are n; segment codes absent from the dictionary count in n and
 * N, as they do in compare().
 */
export function profileRowsSql(period: string, unit: ProfileUnit, baseKind: 'la' | 'cluster' | 'phase', critical: readonly CriticalValue[]): string {
  const p = periodLiteral(period);
  if (!['la', 'cluster', 'phase'].includes(baseKind)) throw new Error(`invalid base ${JSON.stringify(baseKind)}`);
  const ms = critical.map((c) => c.m);
  if (critical.length === 0 || ms.some((m, i) => m !== i + 1)) throw new Error('critical values must run over family sizes 1, 2, 3, ...');
  const zc = critical.map((c) => `(${c.m}, ${doubleLiteral(c.level)}, ${doubleLiteral(c.z)})`).join(',\n    ');
  const schoolBase =
    baseKind === 'la'
      ? `'la'`
      : baseKind === 'cluster'
        ? `CASE WHEN s.cluster IS NOT NULL AND s.cluster <> '' THEN 'cluster:' || s.cluster ELSE 'la' END`
        : `'phase:' || COALESCE(s.phase, 'unknown')`;
  // Targets and the base each school's pupils count towards.
  const members =
    unit === 'school'
      ? `SELECT ps.urn, ps.urn AS unit, ${schoolBase} AS base FROM pupil_schools ps LEFT JOIN period_schools s ON s.urn = ps.urn`
      : `SELECT ps.urn, s.cluster AS unit, 'la' AS base FROM pupil_schools ps JOIN period_schools s ON s.urn = ps.urn WHERE s.cluster IS NOT NULL AND s.cluster <> ''`;
  const baseOf = unit === 'school' ? `SELECT urn, base FROM members` : `SELECT urn, 'la' AS base FROM pupil_schools`;
  const named = (level: string, code: string, name: string) =>
    `SELECT '${level}' AS level, ${code} AS segment, ${name} AS segment_name FROM (
    SELECT ${code}, ${name}, row_number() OVER (PARTITION BY ${code} ORDER BY subgroup_code, ${name}) AS rk FROM segments) first_named WHERE rk = 1`;
  // The pupils are scanned once, at the finest grain, and the three levels roll up from that in one
  // aggregation (grouping sets: in each set the other two codes are NULL). The grid (targets ×
  // segments, two million rows at England scale) is joined on integer ranks: what depends on the
  // base alone is put together per base first (bases × segments), what depends on the target alone
  // per target and level. Each common table is referenced as few times as it can be, since Trino
  // plans every reference again (150 stages at most).
  return `WITH fine AS (
  SELECT urn, supergroup, group_code, subgroup, count(*) AS n FROM enriched_pupils WHERE period = ${p} GROUP BY urn, supergroup, group_code, subgroup
),
counts AS (
  SELECT urn, level, segment, n FROM (
    SELECT urn,
           CASE WHEN grouping(supergroup) = 0 THEN 'supergroup' WHEN grouping(group_code) = 0 THEN 'group' ELSE 'subgroup' END AS level,
           COALESCE(supergroup, group_code, subgroup) AS segment,
           CAST(sum(n) AS BIGINT) AS n
    FROM fine
    GROUP BY GROUPING SETS ((urn, supergroup), (urn, group_code), (urn, subgroup))
  ) levels
  WHERE segment IS NOT NULL
),
pupil_schools AS (SELECT DISTINCT urn FROM fine),
period_schools AS (
  SELECT s.urn, s.phase, s.cluster FROM schools s
  JOIN (SELECT COALESCE(max(period) FILTER (WHERE period <= ${p}), min(period)) AS period FROM schools) chosen ON chosen.period = s.period
),
members AS (${members}),
named AS (
  ${named('supergroup', 'supergroup_code', 'supergroup_name')}
  UNION ALL
  ${named('group', 'group_code', 'group_name')}
  UNION ALL
  ${named('subgroup', 'subgroup_code', 'subgroup_name')}
),
dict AS (
  SELECT level, segment, segment_name,
         row_number() OVER (ORDER BY CASE level WHEN 'supergroup' THEN 1 WHEN 'group' THEN 2 ELSE 3 END, segment) AS dict_rank
  FROM named
),
units AS (
  SELECT unit, base, row_number() OVER (ORDER BY unit) AS unit_rank, dense_rank() OVER (ORDER BY base) AS base_rank
  FROM (SELECT DISTINCT unit, base FROM members) distinct_units
),
unit_counts AS (
  SELECT m.unit, c.level, c.segment, sum(c.n) AS o FROM counts c JOIN members m ON m.urn = c.urn GROUP BY m.unit, c.level, c.segment
),
unit_totals AS (SELECT unit, level, sum(o) AS n FROM unit_counts GROUP BY unit, level),
base_counts AS (
  SELECT b.base, c.level, c.segment, sum(c.n) AS b FROM counts c JOIN (${baseOf}) b ON b.urn = c.urn GROUP BY b.base, c.level, c.segment
),
base_totals AS (SELECT base, level, sum(b) AS nb FROM base_counts GROUP BY base, level),
families AS (
  SELECT bc.base, bc.level, count(*) AS m FROM base_counts bc JOIN dict d ON d.level = bc.level AND d.segment = bc.segment WHERE bc.b > 0 GROUP BY bc.base, bc.level
),
unit_levels AS (
  SELECT u.unit, u.unit_rank, u.base, u.base_rank, l.level, CAST(COALESCE(ut.n, 0) AS BIGINT) AS n
  FROM units u
  CROSS JOIN (VALUES ('supergroup'), ('group'), ('subgroup')) AS l(level)
  LEFT JOIN unit_totals ut ON ut.unit = u.unit AND ut.level = l.level
),
base_grid AS (
  SELECT bs.base_rank, d.level, d.segment, d.segment_name, d.dict_rank,
         CAST(COALESCE(bc.b, 0) AS BIGINT) AS b,
         CAST(COALESCE(bt.nb, 0) AS BIGINT) AS nb,
         CAST(COALESCE(f.m, 0) AS BIGINT) AS m
  FROM (SELECT DISTINCT base, base_rank FROM units) bs
  CROSS JOIN dict d
  LEFT JOIN base_counts bc ON bc.base = bs.base AND bc.level = d.level AND bc.segment = d.segment
  LEFT JOIN base_totals bt ON bt.base = bs.base AND bt.level = d.level
  LEFT JOIN families f ON f.base = bs.base AND f.level = d.level
),
ranked_counts AS (
  SELECT u.unit_rank, d.dict_rank, uc.o
  FROM units u
  JOIN unit_counts uc ON uc.unit = u.unit
  JOIN dict d ON d.level = uc.level AND d.segment = uc.segment
),
zc AS (SELECT * FROM (VALUES
    ${zc}) AS t(m, level, z)),
grid AS (
  SELECT ul.unit, ul.unit_rank, ul.base, bg.level, bg.segment, bg.segment_name, bg.dict_rank,
         CAST(COALESCE(rc.o, 0) AS BIGINT) AS o,
         ul.n, bg.b, bg.nb, bg.m
  FROM unit_levels ul
  JOIN base_grid bg ON bg.base_rank = ul.base_rank AND bg.level = ul.level
  LEFT JOIN ranked_counts rc ON rc.unit_rank = ul.unit_rank AND rc.dict_rank = bg.dict_rank
),
shares AS (
  SELECT g.*,
         CASE WHEN g.n > 0 THEN CAST(g.o AS DOUBLE) / g.n END AS t,
         CASE WHEN g.nb > 0 THEN CAST(g.b AS DOUBLE) / g.nb END AS bs
  FROM grid g
),
measures AS (
  SELECT s.*,
         s.n * s.bs AS expected,
         CASE WHEN s.t IS NOT NULL AND s.bs > 0 THEN 100 * s.t / s.bs END AS idx,
         CASE WHEN s.t IS NOT NULL AND s.bs > 0 AND s.bs < 1 THEN (s.t - s.bs) / sqrt(s.bs * (1 - s.bs) / s.n) END AS z
  FROM shares s
),
tested AS (
  SELECT ms.*, zc.level AS ci_level, zc.z AS zcrit,
         ms.idx IS NOT NULL AND ms.expected >= 10 AND ms.z IS NOT NULL AS score
  FROM measures ms
  LEFT JOIN zc ON zc.m = greatest(ms.m, CAST(1 AS BIGINT))
),
wilson AS (
  SELECT t.*,
         (2 * CAST(t.o AS DOUBLE) + t.zcrit * t.zcrit) / (2 * (t.n + t.zcrit * t.zcrit)) AS centre,
         (t.zcrit / (2 * (t.n + t.zcrit * t.zcrit))) * sqrt(4 * CAST(t.o AS DOUBLE) * (t.n - t.o) / t.n + t.zcrit * t.zcrit) AS half
  FROM tested t
)
SELECT CAST(w.unit_rank AS INTEGER) AS unit_rank,
       CAST(w.dict_rank AS INTEGER) AS dict_rank,
       CASE WHEN w.dict_rank = 1 THEN w.unit END AS unit,
       CASE WHEN w.dict_rank = 1 THEN w.base END AS base,
       CASE WHEN w.unit_rank = 1 THEN w.level END AS level,
       CASE WHEN w.unit_rank = 1 THEN w.segment END AS segment,
       CASE WHEN w.unit_rank = 1 THEN w.segment_name END AS segment_name,
       CASE WHEN w.unit_rank = 1 AND w.dict_rank = 1 THEN cls.classification END AS classification,
       w.o AS n, w.n AS n_total, w.b AS base_n, w.nb AS base_total, w.m AS family,
       100 * w.t AS pct,
       100 * w.bs AS base_pct,
       CASE WHEN w.b > 0 THEN 100 * CAST(w.o AS DOUBLE) / w.b END AS penetration,
       w.idx AS "index",
       w.expected,
       CASE WHEN w.score THEN 100 * (CASE WHEN w.o = 0 THEN 0E0 ELSE greatest(0E0, w.centre - w.half) END) / w.bs END AS ci_low,
       CASE WHEN w.score THEN 100 * (CASE WHEN w.o = w.n THEN 1E0 ELSE least(1E0, w.centre + w.half) END) / w.bs END AS ci_high,
       w.ci_level,
       w.z,
       COALESCE(w.expected >= 5 AND w.n >= 30, false) AS reliable
FROM wilson w
CROSS JOIN (SELECT COALESCE(max(classification), 'custom') AS classification FROM segments) cls`;
}
