/**
 * Profile and fair-access SQL: aggregates only. The statistics (index, Byar CI, tests) are computed
 * in TypeScript from these counts (functions/profiles/), because neither engine has the
 * distributions and the counts are small. Same dialect rules as classify.ts.
 */
import { countIf, periodLiteral } from './classify.ts';

/**
 * IMD rank -> England decile (1 = most deprived 10% of the 32,844 LSOAs). DOUBLE arithmetic on
 * purpose: in Trino a literal such as 10.0 is DECIMAL and the quotient would keep one decimal place
 * before ceil, putting ranks 1-164 in decile 0.
 */
export const imdDecileSql = (rank = 'imd_rank') => `CAST(ceil(CAST(${rank} AS DOUBLE) * 10 / 32844) AS INTEGER)`;
const decile = imdDecileSql();

/** Per school: pupils, classification coverage, FSM, match statuses and IMD decile counts. */
export function schoolFactsSql(period: string): string {
  const deciles = Array.from({ length: 10 }, (_, i) => `${countIf(`${decile} = ${i + 1}`)} AS imd_decile_${i + 1}`).join(',\n    ');
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
    ${countIf('imd_rank IS NULL')} AS imd_unknown
FROM enriched_pupils
WHERE period = ${periodLiteral(period)}
GROUP BY urn
ORDER BY urn`;
}

/**
 * Schools with their location (from their postcode's classification row). A schools list is not
 * reissued every year: use the period's own list, else the latest earlier one, else the earliest.
 */
export function schoolsSql(period: string): string {
  const p = periodLiteral(period);
  return `SELECT s.urn, s.name, s.phase, s.cluster, pc.lat, pc.long
FROM schools s
LEFT JOIN postcodes pc ON pc.postcode = s.postcode
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

/** Classification vintage in use. */
export function vintageSql(): string {
  return `SELECT max(vintage) AS vintage FROM postcodes`;
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
 * Clients: contacts deduplicated to one per family postcode and period (the earliest contact, then
 * the lowest contact_id, supplies the child's school). Contacts without a usable postcode cannot
 * be deduplicated or classified; each is one unclassified client.
 */
export function clientCountsSql(period: string): string {
  return `WITH ranked AS (
  SELECT subgroup, ward, child_urn, postcode,
         row_number() OVER (PARTITION BY postcode ORDER BY contact_date, contact_id) AS rk
  FROM enriched_contacts
  WHERE period = ${periodLiteral(period)}
)
SELECT subgroup, ward, child_urn, count(*) AS n
FROM ranked
WHERE postcode IS NULL OR rk = 1
GROUP BY subgroup, ward, child_urn
ORDER BY subgroup, ward, child_urn`;
}

/** Contacts (before deduplication) in the period. */
export function contactTotalSql(period: string): string {
  return `SELECT count(*) AS contacts FROM enriched_contacts WHERE period = ${periodLiteral(period)}`;
}
