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
