/**
 * Classify stage SQL. Each function returns one SELECT in the shared dialect: it parses as Trino
 * SQL (Athena engine v3) and runs unchanged on DuckDB (test/sql-dialect.test.ts proves both).
 * Portable choices: counts through countIf() (see there), explicit CASTs of NULL, no engine-only
 * functions. Values are inlined only after strict validation.
 */

import { IMD_EDITIONS } from '../editions.ts';

/**
 * English IMD decile of a postcode row `pc` (1 = most deprived 10% of the edition's LSOAs): the
 * rank's edition fixes how many LSOAs it runs over (32,844 for IMD 2015/2019, 33,755 for 2025).
 * Welsh, Scottish and Northern Irish ranks are their own nations' and get no English decile. DOUBLE
 * arithmetic on purpose: in Trino a literal such as 10.0 is DECIMAL and the quotient would keep one
 * decimal place before ceil, putting ranks 1-164 in decile 0.
 */
export function imdDecileSql(pc: string): string {
  const lsoas = Object.entries(IMD_EDITIONS)
    .map(([id, e]) => `WHEN '${id}' THEN ${e.lsoas}`)
    .join(' ');
  const total = `CASE ${pc}.imd_edition ${lsoas} END`;
  return `CASE WHEN ${pc}.country = 'E' AND ${pc}.imd_rank BETWEEN 1 AND ${total}
           THEN CAST(ceil(CAST(${pc}.imd_rank AS DOUBLE) * 10 / ${total}) AS INTEGER) END`;
}

/**
 * A conditional count that is BIGINT and never NULL on both engines: DuckDB's count_if returns
 * HUGEINT (written to Parquet as DOUBLE) and NULL when every condition is NULL.
 */
export function countIf(condition: string): string {
  return `CAST(count_if(COALESCE(${condition}, false)) AS BIGINT)`;
}

/** Only academic-year periods ever reach SQL text. */
export function periodLiteral(period: string): string {
  if (!/^\d{4}-\d{2}$/.test(period)) throw new Error(`invalid period ${JSON.stringify(period)}: expected e.g. 2025-26`);
  return `'${period}'`;
}

/** Only a validated classification vintage (yyyy-mm or unspecified) ever reaches SQL text. */
export function vintageLiteral(vintage: string): string {
  if (!/^(\d{4}-\d{2}|unspecified)$/.test(vintage)) throw new Error(`invalid vintage ${JSON.stringify(vintage)}: expected e.g. 2024-05`);
  return `'${vintage}'`;
}

/** `vintage = '<v>'` for a known current vintage (joins read one vintage only), else TRUE. */
export const inVintage = (vintage: string | null | undefined, alias = '') => (vintage ? `${alias}vintage = ${vintageLiteral(vintage)}` : 'TRUE');

/** The classification vintages present (one normally; two while an ingest replaces it). */
export function vintagesSql(): string {
  return `SELECT DISTINCT vintage FROM postcodes ORDER BY vintage`;
}

/** The modal segment of each postcode sector (ties to the lowest code): the match of a postcode the lookup lacks. */
export function sectorModeCte(vintage?: string | null): string {
  return `sector_mode AS (
  SELECT sector, segment FROM (
    SELECT sector, segment,
           row_number() OVER (PARTITION BY sector ORDER BY count(*) DESC, segment) AS rk
    FROM postcodes
    WHERE segment IS NOT NULL AND ${inVintage(vintage)}
    GROUP BY sector, segment
  ) ranked
  WHERE rk = 1
)`;
}

/** Match status of a row `s` (postcode) joined to its postcode row `pc` and sector mode `sm`. */
export function matchStatusSql(s: string, pc: string, sm: string): string {
  return `CASE
           WHEN ${s}.postcode IS NULL THEN 'invalid'
           WHEN ${pc}.segment IS NOT NULL AND NOT ${pc}.terminated THEN 'exact'
           WHEN ${pc}.segment IS NOT NULL THEN 'terminated'
           WHEN ${sm}.segment IS NOT NULL THEN 'sector'
           ELSE 'unmatched'
         END`;
}

/**
 * Postcode match for one person-level table (pupils or contacts):
 * exact (live postcode with a segment), terminated (terminated postcode, keeps its last segment),
 * sector (no unit match: the modal segment of the postcode sector, ties to the lowest code),
 * unmatched (valid format, nothing found), invalid (blank or malformed at ingest).
 */
function enrichedSelect(source: 'pupils' | 'contacts', columns: string[], period: string, vintage?: string | null): string {
  const cols = columns.map((c) => `s.${c}`).join(', ');
  // Pupils keep their home postcode's position, so the maps (maps.ts) read it here instead of
  // joining 9 million pupils to the lookup again.
  const position = source === 'pupils';
  return `WITH ${sectorModeCte(vintage)},
src AS (
  SELECT * FROM ${source} WHERE period = ${periodLiteral(period)}
),
matched AS (
  SELECT ${cols}, s.period,
         ${matchStatusSql('s', 'pc', 'sm')} AS match_status,
         COALESCE(pc.segment, sm.segment) AS subgroup,
         pc.ward AS ward,
         pc.lsoa AS lsoa,
         pc.imd_rank AS imd_rank,
         ${imdDecileSql('pc')} AS imd_decile${position ? ',\n         pc.lat AS lat,\n         pc.long AS long' : ''}
  FROM src s
  LEFT JOIN postcodes pc ON pc.postcode = s.postcode AND ${inVintage(vintage, 'pc.')}
  LEFT JOIN sector_mode sm ON sm.sector = s.sector
)
SELECT ${columns.map((c) => `m.${c}`).join(', ')},
       m.match_status,
       m.subgroup,
       seg.group_code,
       seg.supergroup_code AS supergroup,
       m.ward,
       m.lsoa,
       m.imd_rank,
       m.imd_decile,${position ? '\n       m.lat,\n       m.long,' : ''}
       m.period
FROM matched m
LEFT JOIN segments seg ON seg.subgroup_code = m.subgroup AND ${inVintage(vintage, 'seg.')}
ORDER BY ${columns[1] === 'urn' ? 'm.urn, m.pupil_id' : 'm.contact_id'}`;
}

/** Pupils of a period matched to the classification of `vintage` (the current one: see currentVintage). */
export const enrichedPupilsSql = (period: string, vintage?: string | null) =>
  enrichedSelect('pupils', ['pupil_id', 'urn', 'ncyear', 'fsm'], period, vintage);

export const enrichedContactsSql = (period: string, vintage?: string | null) =>
  enrichedSelect('contacts', ['contact_id', 'contact_date', 'channel', 'postcode', 'child_urn', 'child_ncyear'], period, vintage);

/** Classified pupils per school per segment, at each level (sector-imputed pupils included), with the classification edition. */
export function schoolSegmentCountsSql(period: string): string {
  const level = (name: string, col: string) =>
    `SELECT urn, '${name}' AS level, ${col} AS segment, count(*) AS n, period
    FROM enriched_pupils
    WHERE period = ${periodLiteral(period)} AND ${col} IS NOT NULL
    GROUP BY urn, ${col}, period`;
  return `SELECT counts.urn, counts.level, counts.segment, counts.n, cls.classification, counts.period FROM (
  ${level('supergroup', 'supergroup')}
  UNION ALL
  ${level('group', 'group_code')}
  UNION ALL
  ${level('subgroup', 'subgroup')}
) counts
CROSS JOIN (SELECT max(classification) AS classification FROM segments) cls
ORDER BY counts.urn, counts.level, counts.segment`;
}

/** Match status counts per school and for the whole LA. */
export function matchSummarySql(period: string): string {
  const measures = `count(*) AS pupils,
    ${countIf("match_status = 'exact'")} AS exact,
    ${countIf("match_status = 'terminated'")} AS terminated,
    ${countIf("match_status = 'sector'")} AS sector,
    ${countIf("match_status = 'unmatched'")} AS unmatched,
    ${countIf("match_status = 'invalid'")} AS invalid,
    CAST(${countIf("match_status IN ('exact', 'terminated')")} AS DOUBLE) / count(*) AS match_rate,
    period`;
  return `SELECT scope, urn, pupils, exact, terminated, sector, unmatched, invalid, match_rate, period FROM (
  SELECT 'school' AS scope, urn, ${measures}
  FROM enriched_pupils WHERE period = ${periodLiteral(period)} GROUP BY urn, period
  UNION ALL
  SELECT 'la' AS scope, CAST(NULL AS VARCHAR) AS urn, ${measures}
  FROM enriched_pupils WHERE period = ${periodLiteral(period)} GROUP BY period
) summary
ORDER BY scope DESC, urn`;
}

/** Match status counts for contacts (manifest and fair-access notes). */
export function contactMatchCountsSql(period: string): string {
  return `SELECT match_status, count(*) AS n
FROM enriched_contacts
WHERE period = ${periodLiteral(period)}
GROUP BY match_status
ORDER BY match_status`;
}

/** Periods present in a curated table (pupils or contacts). */
export function periodsSql(table: 'pupils' | 'contacts'): string {
  return `SELECT DISTINCT period FROM ${table} ORDER BY period`;
}
