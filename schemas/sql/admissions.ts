/**
 * Admissions SQL: each application matched to the classification exactly as pupils are (classify.ts),
 * with the nearest open school of its phase and the straight-line distances to it and to the first
 * preference, and whether the family contacted the Choice Advisers in the same cycle; then counts
 * by segment, ward and contact for the statistics (functions/admissions/). Same dialect rules as
 * classify.ts; distances are great-circle km between postcode centroids.
 */
import { countIf, imdDecileSql, inVintage, matchStatusSql, periodLiteral, sectorModeCte } from './classify.ts';
import { exactSumSql } from './exact-sums.ts';

/** A DOUBLE literal on both engines (Trino reads 111.2 as DECIMAL). */
export const dbl = (x: number): string => {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  return x.toExponential().toUpperCase();
};

/** Mean Earth radius, km (IUGG). */
export const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle km between two (lat, long) points in degrees (haversine). */
export function haversineKmSql(lat1: string, long1: string, lat2: string, long2: string): string {
  return `${dbl(2 * EARTH_RADIUS_KM)} * asin(sqrt(power(sin(radians(${lat2} - ${lat1}) / 2), 2) + cos(radians(${lat1})) * cos(radians(${lat2})) * power(sin(radians(${long2} - ${long1}) / 2), 2)))`;
}

/**
 * The register's schools of the period with a location (period selection as profiles.ts
 * schoolsSql: the period's own list, else the latest earlier one, else the earliest).
 */
function locatedSchoolsCte(period: string, vintage?: string | null): string {
  const p = periodLiteral(period);
  return `located_schools AS (
  SELECT s.urn, s.phase, s.status, pc.lat, pc.long
  FROM schools s
  JOIN postcodes pc ON pc.postcode = s.postcode AND ${inVintage(vintage, 'pc.')}
  WHERE s.period = COALESCE((SELECT max(period) FROM schools WHERE period <= ${p}), (SELECT min(period) FROM schools))
    AND pc.lat IS NOT NULL AND pc.long IS NOT NULL
)`;
}

/** Flat-earth squared distance (degrees of latitude) from a home `h` to a school `s`: what ranks schools. */
const flatDistance2 = (h: string, s: string) => `power(${s}.lat - ${h}.lat, 2) + power((${s}.long - ${h}.long) * cos(radians(${h}.lat)), 2)`;

/**
 * The URN `urn` of the nearest school among the rows of a group, by their distance `d2`: min_by
 * over (distance, URN) rows, which both engines order field by field, so ties go to the lowest URN.
 * Rows without a school (a LEFT JOIN's) have no key and are ignored.
 */
const minBy = (urn: string, d2: string) => `min_by(${urn}, CASE WHEN ${urn} IS NOT NULL THEN ROW(${d2}, ${urn}) END)`;

/**
 * Side of a grid cell in mean school spacings (the square root of the box's area per school of the
 * phase): a home's own and neighbouring cells then hold about 9 schools, and where schools were
 * placed at random (Poisson) 96% of homes (1 - e^-pi) would have one within a cell's side. Only speed depends on
 * it: larger cells rank more schools per home, smaller ones send more homes to the full search.
 */
const CELL_SPACINGS = 1;

/**
 * Applications of a period, enriched (the enriched_admissions contract). The nearest school of a
 * round's phase is the nearest open mainstream school (primary or secondary, all-through for both)
 * to the home postcode, among schools within about 30 km of the applicants' homes; it is ranked on
 * a local flat-earth distance (exact enough to order schools within a county), ties to the lowest
 * URN, and its distance is then the great-circle one. The first preference is located wherever the
 * register places it.
 *
 * Finding it without ranking every home against every school (millions of pairs at county scale):
 * the schools of each phase are put in a grid of square cells (`candidates`: a mean school spacing
 * a side), and each home first ranks only the schools in its own and the 8 neighbouring cells
 * (`best_near`). Every school nearer than a cell's side (`reach2`, squared, less 1% for rounding;
 * shorter north of the grid's middle, where a degree of longitude is) lies in those 9 cells, so when
 * the best of them is within that reach it is the nearest of all, ties included (`proven`). Homes
 * where it is not (no school in the 9 cells, or only farther ones: sparse country, the edge of the
 * box) rank every school of the phase (`nearest`). Ranking is an aggregate, min_by over
 * (distance, URN) rows: no sort of the pairs. Each CTE is referenced as few times as possible:
 * Trino (Athena) inlines every reference, and a query has at most 150 stages. Same result as
 * ranking every school for every home (test/admissions-nearest.test.ts, on DuckDB and Trino).
 *
 * Rows in a total order (a reference is unique within its phase's round, the same reference may
 * name a reception and a secondary application): the curated Parquet is the same bytes every run.
 */
export function enrichedAdmissionsSql(period: string, vintage?: string | null): string {
  const p = periodLiteral(period);
  // Grid cell of a point `x`, on the grid (origin, longitude scale, cell side) of the row `g`.
  const cx = (x: string, g: string) => `CAST(floor((${x}.long - ${g}.long0) * ${g}.cos_ref / ${g}.cell) AS BIGINT)`;
  const cy = (x: string, g: string) => `CAST(floor((${x}.lat - ${g}.lat0) / ${g}.cell) AS BIGINT)`;
  const offsets = [-1, 0, 1].flatMap((dx) => [-1, 0, 1].map((dy) => `(${dx}, ${dy})`)).join(', ');
  return `WITH ${sectorModeCte(vintage)},
${locatedSchoolsCte(period, vintage)},
located AS (
  SELECT a.application_id, a.entry_year, a.phase, a.on_time, a.preferences, a.offered_rank, a.offered_urn, a.preference_1, a.postcode,
         ${matchStatusSql('a', 'pc', 'sm')} AS match_status,
         COALESCE(pc.segment, sm.segment) AS subgroup,
         pc.ward AS ward,
         pc.lsoa AS lsoa,
         pc.imd_rank AS imd_rank,
         ${imdDecileSql('pc')} AS imd_decile,
         pc.lat AS lat,
         pc.long AS long,
         CASE WHEN a.phase = 'secondary' THEN 'secondary' ELSE 'primary' END AS school_phase,
         a.period
  FROM admissions a
  LEFT JOIN postcodes pc ON pc.postcode = a.postcode AND ${inVintage(vintage, 'pc.')}
  LEFT JOIN sector_mode sm ON sm.sector = a.sector
  WHERE a.period = ${p}
),
homes AS (
  SELECT DISTINCT a.postcode, CASE WHEN a.phase = 'secondary' THEN 'secondary' ELSE 'primary' END AS school_phase, pc.lat, pc.long
  FROM admissions a
  JOIN postcodes pc ON pc.postcode = a.postcode AND ${inVintage(vintage, 'pc.')}
  WHERE a.period = ${p} AND pc.lat IS NOT NULL AND pc.long IS NOT NULL
),
box AS (
  SELECT min(lat) - ${dbl(0.3)} AS lat0, max(lat) + ${dbl(0.3)} AS lat1, min(long) - ${dbl(0.5)} AS long0, max(long) + ${dbl(0.5)} AS long1,
         cos(radians((min(lat) + max(lat)) / 2)) AS cos_ref
  FROM homes
),
candidates AS (
  SELECT urn, school_phase, lat, long, lat0, long0, cos_ref, cell, ${cx('c', 'c')} AS cx, ${cy('c', 'c')} AS cy
  FROM (
    SELECT s.urn, ph.school_phase, s.lat, s.long, b.lat0, b.long0, b.cos_ref,
           ${dbl(CELL_SPACINGS)} * sqrt((b.lat1 - b.lat0) * (b.long1 - b.long0) * b.cos_ref / count(*) OVER (PARTITION BY ph.school_phase)) AS cell
    FROM located_schools s
    CROSS JOIN box b
    CROSS JOIN (VALUES ('primary'), ('secondary')) AS ph(school_phase)
    WHERE s.phase IN (ph.school_phase, 'all_through') AND s.status IN ('open', 'open_proposed_to_close')
      AND s.lat BETWEEN b.lat0 AND b.lat1 AND s.long BETWEEN b.long0 AND b.long1
  ) c
),
home_cells AS (
  SELECT h.postcode, h.school_phase, h.lat, h.long, ${cx('h', 'g')} AS cx, ${cy('h', 'g')} AS cy,
         power(${dbl(0.99)} * g.cell * least(${dbl(1)}, cos(radians(h.lat)) / g.cos_ref), 2) AS reach2
  FROM homes h
  JOIN (SELECT DISTINCT school_phase, lat0, long0, cos_ref, cell FROM candidates) g ON g.school_phase = h.school_phase
),
best_near AS (
  SELECT postcode, school_phase, lat, long, ${minBy('urn', 'd2')} AS urn, COALESCE(min(d2) <= reach2, false) AS proven
  FROM (
    SELECT h.postcode, h.school_phase, h.lat, h.long, h.reach2, s.urn, ${flatDistance2('h', 's')} AS d2
    FROM (
      SELECT home_cells.*, cx + o.dx AS block_x, cy + o.dy AS block_y
      FROM home_cells CROSS JOIN (VALUES ${offsets}) AS o(dx, dy)
    ) h
    LEFT JOIN candidates s ON s.school_phase = h.school_phase AND s.cx = h.block_x AND s.cy = h.block_y
  ) pairs
  GROUP BY postcode, school_phase, lat, long, reach2
),
nearest AS (
  SELECT n.postcode, n.school_phase, n.urn AS nearest_urn, ${haversineKmSql('n.lat', 'n.long', 's.lat', 's.long')} AS nearest_km
  FROM (
    SELECT postcode, school_phase, lat, long, CASE WHEN proven THEN best_urn ELSE ${minBy('urn', 'd2')} END AS urn
    FROM (
      SELECT b.postcode, b.school_phase, b.lat, b.long, b.proven, b.urn AS best_urn, c.urn, ${flatDistance2('b', 'c')} AS d2
      FROM best_near b
      LEFT JOIN candidates c ON c.school_phase = CASE WHEN b.proven THEN NULL ELSE b.school_phase END
    ) pairs
    GROUP BY postcode, school_phase, lat, long, proven, best_urn
  ) n
  JOIN located_schools s ON s.urn = n.urn
),
contact_homes AS (
  SELECT DISTINCT postcode FROM contacts WHERE period = ${p} AND postcode IS NOT NULL
)
SELECT l.application_id, l.entry_year, l.phase, l.on_time, l.preferences, l.offered_rank,
       CASE WHEN l.offered_rank = 1 THEN 'first'
            WHEN l.offered_rank IS NOT NULL THEN 'other_preference'
            WHEN l.offered_urn IS NOT NULL THEN 'allocated'
            ELSE 'no_offer' END AS outcome,
       l.match_status,
       l.subgroup,
       seg.group_code,
       seg.supergroup_code AS supergroup,
       l.ward,
       l.lsoa,
       l.imd_rank,
       l.imd_decile,
       l.preference_1 AS first_urn,
       n.nearest_urn,
       CASE WHEN f.lat IS NOT NULL AND l.lat IS NOT NULL THEN ${haversineKmSql('l.lat', 'l.long', 'f.lat', 'f.long')} END AS first_km,
       n.nearest_km,
       CASE WHEN n.nearest_urn IS NULL THEN CAST(NULL AS BOOLEAN) ELSE l.preference_1 = n.nearest_urn END AS first_is_nearest,
       ch.postcode IS NOT NULL AS contacted,
       l.period
FROM located l
LEFT JOIN nearest n ON n.postcode = l.postcode AND n.school_phase = l.school_phase
LEFT JOIN located_schools f ON f.urn = l.preference_1
LEFT JOIN segments seg ON seg.subgroup_code = l.subgroup AND ${inVintage(vintage, 'seg.')}
LEFT JOIN contact_homes ch ON ch.postcode = l.postcode
ORDER BY l.application_id, l.phase`;
}

/** The columns of enriched_admissions before `contacted`, as the contract names them (schemas/curated.ts; test/sql-dialect.test.ts holds both statements to it). */
const MATCHED_COLUMNS = ['application_id', 'entry_year', 'phase', 'on_time', 'preferences', 'offered_rank', 'outcome', 'match_status', 'subgroup', 'group_code', 'supergroup', 'ward', 'lsoa', 'imd_rank', 'imd_decile', 'first_urn', 'nearest_urn', 'first_km', 'nearest_km', 'first_is_nearest'];

/**
 * A period's enriched_admissions again with only the contacted flag recomputed, from the current
 * partition and the contacts: the night on which only the contact log changed keeps the matching
 * (segment, ward, nearest school: most of enrichedAdmissionsSql's work). The same rows and order
 * as enrichedAdmissionsSql over the same inputs (test/admissions-skip.test.ts compares the bytes).
 * An application is one per round (period, phase, reference: the ingest's duplicate key), so the
 * join back to its home postcode finds exactly one row.
 */
export function contactedRefreshSql(period: string): string {
  const p = periodLiteral(period);
  return `WITH contact_homes AS (
  SELECT DISTINCT postcode FROM contacts WHERE period = ${p} AND postcode IS NOT NULL
)
SELECT ${MATCHED_COLUMNS.map((c) => `e.${c}`).join(', ')},
       ch.postcode IS NOT NULL AS contacted,
       e.period
FROM enriched_admissions e
JOIN admissions a ON a.application_id = e.application_id AND a.phase = e.phase AND a.period = ${p}
LEFT JOIN contact_homes ch ON ch.postcode = a.postcode
WHERE e.period = ${p}
ORDER BY e.application_id, e.phase`;
}

/** Rates' numerators and denominators (on-time applications) of a group of enriched applications. */
function measures(): string {
  const onTime = (c: string) => countIf(`on_time AND ${c}`);
  const located = 'first_km IS NOT NULL AND nearest_km IS NOT NULL';
  return `count(*) AS applications,
       ${countIf('on_time')} AS on_time_n,
       ${onTime('offered_rank = 1')} AS first_pref,
       ${onTime('offered_rank IS NOT NULL')} AS any_pref,
       ${onTime("outcome = 'allocated'")} AS allocated,
       ${onTime("outcome = 'no_offer'")} AS no_offer,
       ${onTime('preferences = 1')} AS one_pref,
       CAST(COALESCE(sum(CASE WHEN on_time THEN preferences ELSE 0 END), 0) AS BIGINT) AS prefs_named,
       ${onTime('first_is_nearest IS NOT NULL')} AS located_n,
       ${onTime('first_is_nearest')} AS nearest_first,
       ${onTime(located)} AS distance_n,
       ${exactSumSql(`CASE WHEN on_time AND ${located} THEN first_km END`)} AS first_km_sum,
       ${exactSumSql(`CASE WHEN on_time AND ${located} THEN nearest_km END`)} AS nearest_km_sum`;
}

/**
 * Counts by entry year, round, finest segment (null = unclassified) and contact with the Choice
 * Advisers: the statistics roll them up to groups, supergroups and the LA.
 */
export function admissionsCountsSql(period: string): string {
  return `SELECT entry_year, phase, subgroup, contacted,
       ${measures()}
FROM enriched_admissions
WHERE period = ${periodLiteral(period)}
GROUP BY entry_year, phase, subgroup, contacted
ORDER BY entry_year, phase, subgroup, contacted`;
}

/** Counts by entry year, round and ward of residence (null = not known): where first preferences are missed. */
export function admissionsWardCountsSql(period: string): string {
  return `SELECT entry_year, phase, ward,
       ${measures()}
FROM enriched_admissions
WHERE period = ${periodLiteral(period)}
GROUP BY entry_year, phase, ward
ORDER BY entry_year, phase, ward`;
}

/** Periods present in curated admissions. */
export function admissionsPeriodsSql(): string {
  return `SELECT DISTINCT period FROM admissions ORDER BY period`;
}
