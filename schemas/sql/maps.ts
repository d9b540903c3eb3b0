/**
 * Map SQL: postcode centroids projected onto a grid of 500 m squares (functions/maps/grid.ts merges
 * them into larger squares where postcodes are sparse), counted per square: postcodes (the grid and
 * the populated-area background), each school's pupils, and ward centroids. Same dialect rules as
 * classify.ts. The projection is a local equirectangular one about an origin near the LA's
 * centre (`Projection`): x = metres east of the origin, y = metres north; within a county its scale
 * is right to well under 1%.
 */
import { inVintage, periodLiteral } from './classify.ts';
import { microUnitsSql } from './exact-sums.ts';
import { dbl, EARTH_RADIUS_KM } from './admissions.ts';

/** The finest grid square, metres. */
export const FINE_CELL_M = 500;

export interface Projection {
  /** Origin, degrees (rounded to 0.1°, so the grid stays put from run to run). */
  lat0: number;
  lon0: number;
}

/** Metres per degree of longitude and of latitude at the projection's origin. */
export function metresPerDegree(p: Projection): { kx: number; ky: number } {
  const ky = (EARTH_RADIUS_KM * 1000 * Math.PI) / 180;
  return { kx: ky * Math.cos((p.lat0 * Math.PI) / 180), ky };
}

/** Projected metres of a (lat, long): the same formula as the SQL (for schools and ward centroids in TypeScript). */
export function project(p: Projection, lat: number, long: number): { x: number; y: number } {
  const { kx, ky } = metresPerDegree(p);
  return { x: (long - p.lon0) * kx, y: (lat - p.lat0) * ky };
}

/** Fine-square column and row, as BIGINT expressions, of a row `row` with lat and long (a postcode's or a pupil's). */
export function fineCellSql(p: Projection, row: string): { cx: string; cy: string } {
  const { kx, ky } = metresPerDegree(p);
  return {
    cx: `CAST(floor((${row}.long - ${dbl(p.lon0)}) * ${dbl(kx / FINE_CELL_M)}) AS BIGINT)`,
    cy: `CAST(floor((${row}.lat - ${dbl(p.lat0)}) * ${dbl(ky / FINE_CELL_M)}) AS BIGINT)`,
  };
}

/** Mean of a latitude or longitude column, the same bits on every run and both engines (exact-sums.ts). */
function meanPositionSql(column: string): string {
  return `CAST(sum(${microUnitsSql(column)}) AS DOUBLE) / count(${column}) / 1000000`;
}

/**
 * The extent and mean position of the period's pupils' postcodes (the map's area and origin): the
 * positions classify kept on each pupil (enriched_pupils), so no join to the lookup.
 */
export function pupilExtentSql(period: string): string {
  return `SELECT min(e.lat) AS lat_min, max(e.lat) AS lat_max, min(e.long) AS long_min, max(e.long) AS long_max,
       ${meanPositionSql('e.lat')} AS lat_mean, ${meanPositionSql('e.long')} AS long_mean, count(*) AS located
FROM enriched_pupils e
WHERE e.period = ${periodLiteral(period)} AND e.lat IS NOT NULL AND e.long IS NOT NULL`;
}

export interface Box {
  latMin: number;
  latMax: number;
  longMin: number;
  longMax: number;
}

/** Postcodes (live and terminated) per fine square within a box: the grid's density. */
export function gridPostcodesSql(p: Projection, box: Box, vintage?: string | null): string {
  const { cx, cy } = fineCellSql(p, 'pc');
  return `SELECT ${cx} AS cx, ${cy} AS cy, count(*) AS n
FROM postcodes pc
WHERE pc.lat BETWEEN ${dbl(box.latMin)} AND ${dbl(box.latMax)} AND pc.long BETWEEN ${dbl(box.longMin)} AND ${dbl(box.longMax)}
  AND ${inVintage(vintage, 'pc.')}
GROUP BY ${cx}, ${cy}
ORDER BY cx, cy`;
}

/**
 * Each school's pupils matched to a unit postcode (exact or terminated: the postcode's row has a
 * segment) per fine square of their home postcode, from the positions classify kept on each pupil.
 */
export function schoolCellsSql(period: string, p: Projection): string {
  const { cx, cy } = fineCellSql(p, 'e');
  return `SELECT e.urn, ${cx} AS cx, ${cy} AS cy, count(*) AS n
FROM enriched_pupils e
WHERE e.period = ${periodLiteral(period)} AND e.match_status IN ('exact', 'terminated') AND e.lat IS NOT NULL AND e.long IS NOT NULL
GROUP BY e.urn, ${cx}, ${cy}
ORDER BY e.urn, cx, cy`;
}

/** Centroid of each ward (mean of its postcodes' positions) where the period's pupils or applicants live. */
export function wardCentroidsSql(period: string, vintage?: string | null): string {
  const p = periodLiteral(period);
  return `SELECT pc.ward, ${meanPositionSql('pc.lat')} AS lat, ${meanPositionSql('pc.long')} AS long, count(*) AS postcodes
FROM postcodes pc
WHERE pc.ward IS NOT NULL AND pc.lat IS NOT NULL AND pc.long IS NOT NULL AND ${inVintage(vintage, 'pc.')}
  AND pc.ward IN (SELECT ward FROM enriched_pupils WHERE period = ${p} AND ward IS NOT NULL)
GROUP BY pc.ward
ORDER BY pc.ward`;
}
