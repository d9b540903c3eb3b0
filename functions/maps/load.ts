/**
 * Loading the map grid of a period from the engine: the extent of its pupils' postcodes gives the
 * projection's origin and the area, the postcodes in it give the grid (grid.ts).
 */
import * as q from '../../schemas/sql/maps.ts';
import { columnOf, numbersOf } from '../lake/arrow-columns.ts';
import { stagingRoot } from '../lake/tables.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';
import type { Table } from 'apache-arrow';
import { MapGrid, projectionAbout } from './grid.ts';
import { mapsOfSquares, schoolSquares, type ExactSchoolMap } from './school-map.ts';

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

/** Margin around the pupils' extent, degrees (about 5 km), so squares at the edge are whole. */
const MARGIN_LAT = 0.05;
const MARGIN_LONG = 0.08;

/**
 * Where a run keeps the pupils' extent of a period once it has scanned every pupil for it (the
 * profiles stage's maps), so a later stage of the run (the fair-access report's map, in the
 * admissions stage, on AWS another function) reads it instead of scanning them again. In the
 * run's staging area, gone when the run ends. The profiles stage always scans and (over)writes it,
 * so a retried profiles stage never trusts an earlier attempt's; a reader scans when it is absent
 * (the profiles stage was skipped as unchanged).
 */
export interface ExtentMemo {
  lake: ObjectStore;
  runId: string;
  /** 'write': scan and keep the extent (profiles); 'read': use the kept extent when there is one. */
  mode: 'write' | 'read';
}
export const pupilExtentKey = (runId: string, period: string) => `${stagingRoot(runId)}/maps/pupil-extent-${period}.json`;

interface Extent {
  latMin: number;
  latMax: number;
  longMin: number;
  longMax: number;
  latMean: number;
  longMean: number;
}

async function pupilExtent(sql: SqlEngine, period: string, memo?: ExtentMemo): Promise<Extent | null> {
  const key = memo && pupilExtentKey(memo.runId, period);
  if (memo?.mode === 'read' && key && (await memo.lake.exists(key))) return JSON.parse(Buffer.from(await memo.lake.get(key)).toString()) as Extent | null;
  const ext = (await sql.query(q.pupilExtentSql(period))).toArray()[0]?.toJSON() as Record<string, unknown> | undefined;
  const found: Extent | null =
    !ext || num(ext.located) === 0 || ext.lat_mean === null
      ? null
      : { latMin: num(ext.lat_min), latMax: num(ext.lat_max), longMin: num(ext.long_min), longMax: num(ext.long_max), latMean: num(ext.lat_mean), longMean: num(ext.long_mean) };
  if (memo?.mode === 'write' && key) await memo.lake.put(key, JSON.stringify(found));
  return found;
}

/**
 * The grid over the area where the period's pupils live; null when no pupil's postcode has a
 * location. With `memo`, the pupils' extent is scanned once per run and period (ExtentMemo).
 */
export async function loadMapGrid(sql: SqlEngine, period: string, vintage?: string | null, memo?: ExtentMemo): Promise<MapGrid | null> {
  const ext = await pupilExtent(sql, period, memo);
  if (!ext) return null;
  const projection = projectionAbout(ext.latMean, ext.longMean);
  const box = { latMin: ext.latMin - MARGIN_LAT, latMax: ext.latMax + MARGIN_LAT, longMin: ext.longMin - MARGIN_LONG, longMax: ext.longMax + MARGIN_LONG };
  const t = await sql.query(q.gridPostcodesSql(projection, box, vintage));
  const [cx, cy, n] = ['cx', 'cy', 'n'].map((c) => numbersOf(columnOf(t, c)).values);
  const fine = Array.from({ length: t.numRows }, (_, i) => ({ cx: cx![i]!, cy: cy![i]!, n: n![i]! }));
  return new MapGrid(projection, fine);
}

/**
 * The grid of a period and each located school's map on it (school-map.ts); `matched` is each
 * school's pupils matched to a unit postcode (exact or terminated). Nothing when no pupil is
 * located. The run's `memo` keeps the extent; `scratch` is where the engine leaves the squares.
 */
export async function loadSchoolMaps(
  sql: SqlEngine,
  period: string,
  schools: ReadonlyMap<string, { lat: number | null; long: number | null }>,
  matched: ReadonlyMap<string, number>,
  scratch: string,
  vintage?: string | null,
  memo?: ExtentMemo,
): Promise<{ grid?: MapGrid; maps?: Map<string, ExactSchoolMap> }> {
  const { grid, build } = await querySchoolMaps(sql, period, scratch, vintage, memo);
  return { grid, maps: build(schools, matched) };
}

/**
 * loadSchoolMaps in two parts: the engine's (the grid and the pupils per square) awaited, then
 * `build`, this thread's (once), so that the engine can start its next query while this thread builds.
 */
export async function querySchoolMaps(
  sql: SqlEngine,
  period: string,
  scratch: string,
  vintage?: string | null,
  memo?: ExtentMemo,
): Promise<{ grid?: MapGrid; build: (schools: ReadonlyMap<string, { lat: number | null; long: number | null }>, matched: ReadonlyMap<string, number>) => Map<string, ExactSchoolMap> | undefined }> {
  const grid = await loadMapGrid(sql, period, vintage, memo);
  if (!grid) return { build: () => undefined };
  let squares: Table | null = await schoolSquares(sql, period, grid, scratch);
  return {
    grid,
    // Once: the squares are let go (the caller may hold `build` through the rest of its stage).
    build: (schools, matched) => {
      if (!squares) throw new Error('internal: the school maps were built already');
      const t = squares;
      squares = null;
      return mapsOfSquares(grid, t, schools, matched);
    },
  };
}
