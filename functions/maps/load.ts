/**
 * Loading the map grid of a period from the engine: the extent of its pupils' postcodes gives the
 * projection's origin and the area, the postcodes in it give the grid (grid.ts).
 */
import * as q from '../../schemas/sql/maps.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';
import { MapGrid, projectionAbout } from './grid.ts';
import { schoolMaps, type ExactSchoolMap } from './school-map.ts';

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

/** Margin around the pupils' extent, degrees (about 5 km), so squares at the edge are whole. */
const MARGIN_LAT = 0.05;
const MARGIN_LONG = 0.08;

/** The grid over the area where the period's pupils live; null when no pupil's postcode has a location. */
export async function loadMapGrid(sql: SqlEngine, period: string, vintage?: string | null): Promise<MapGrid | null> {
  const ext = (await sql.query(q.pupilExtentSql(period))).toArray()[0]?.toJSON() as Record<string, unknown> | undefined;
  if (!ext || num(ext.located) === 0 || ext.lat_mean === null) return null;
  const projection = projectionAbout(num(ext.lat_mean), num(ext.long_mean));
  const box = { latMin: num(ext.lat_min) - MARGIN_LAT, latMax: num(ext.lat_max) + MARGIN_LAT, longMin: num(ext.long_min) - MARGIN_LONG, longMax: num(ext.long_max) + MARGIN_LONG };
  const fine = (await sql.query(q.gridPostcodesSql(projection, box, vintage))).toArray().map((r) => ({ cx: num(r.cx), cy: num(r.cy), n: num(r.n) }));
  return new MapGrid(projection, fine);
}

/**
 * The grid of a period and each located school's map on it (school-map.ts); `matched` is each
 * school's pupils matched to a unit postcode (exact or terminated). Nothing when no pupil is located.
 */
export async function loadSchoolMaps(
  sql: SqlEngine,
  period: string,
  schools: ReadonlyMap<string, { lat: number | null; long: number | null }>,
  matched: ReadonlyMap<string, number>,
  vintage?: string | null,
): Promise<{ grid?: MapGrid; maps?: Map<string, ExactSchoolMap> }> {
  const grid = await loadMapGrid(sql, period, vintage);
  if (!grid) return {};
  return { grid, maps: await schoolMaps(sql, period, grid, schools, matched, vintage) };
}
