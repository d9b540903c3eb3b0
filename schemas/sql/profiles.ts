/**
 * Profile and fair-access SQL: aggregates only. The statistics (index, Byar CI, tests) are computed
 * in TypeScript from these counts (functions/profiles/), because neither engine has the
 * distributions and the counts are small. Same dialect rules as classify.ts.
 */
import { periodLiteral } from './classify.ts';

/** IMD rank -> England decile (1 = most deprived 10% of the 32,844 LSOAs). */
const decile = `CAST(ceil(imd_rank * 10.0 / 32844) AS INTEGER)`;

/** Per school: pupils, classification coverage, FSM, match statuses and IMD decile counts. */
export function schoolFactsSql(period: string): string {
  const deciles = Array.from({ length: 10 }, (_, i) => `count_if(${decile} = ${i + 1}) AS imd_decile_${i + 1}`).join(',\n    ');
  return `SELECT urn,
    count(*) AS pupils,
    count_if(subgroup IS NOT NULL) AS classified,
    count_if(fsm) AS fsm_n,
    count_if(match_status = 'exact') AS exact,
    count_if(match_status = 'terminated') AS terminated,
    count_if(match_status = 'sector') AS sector,
    count_if(match_status = 'unmatched') AS unmatched,
    count_if(match_status = 'invalid') AS invalid,
    ${deciles},
    count_if(imd_rank IS NULL) AS imd_unknown
FROM enriched_pupils
WHERE period = ${periodLiteral(period)}
GROUP BY urn
ORDER BY urn`;
}

/** Schools of the period with their location (from their postcode's classification row). */
export function schoolsSql(period: string): string {
  return `SELECT s.urn, s.name, s.phase, s.cluster, pc.lat, pc.long
FROM schools s
LEFT JOIN postcodes pc ON pc.postcode = s.postcode
WHERE s.period = ${periodLiteral(period)}
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
