/**
 * Where a school's pupils live, for the head's profile: each pupil matched to a unit postcode is
 * counted in the grid square of that postcode (grid.ts), and the squares are grouped into rings by
 * the distance of their centre from the school (under 1 km, 1 to 2 km, ..., 20 km or more). The
 * counts are exact here; what the head sees goes through the same rule and audit as the rest of
 * the document (shown-counts.ts, docs/disclosure.md), with these identities:
 *
 *   matched = ring 1 + ... + ring 7 + not placed on the map
 *   ring k  = its squares          (only for a ring shown as a number; a ring shown as c lists none)
 *
 * A square is listed only when it holds a pupil, so a listed square shown as c holds 1 to 4; the
 * squares of a ring shown as c are not listed at all (they would give away that each holds one).
 */
import * as q from '../../schemas/sql/maps.ts';
import type { Table } from 'apache-arrow';
import type { SqlEngine } from '../ports/sql-engine.ts';
import { columnOf, numbersOf, stringsOf } from '../lake/arrow-columns.ts';
import type { GridCell, MapGrid } from './grid.ts';

/** Ring edges, km: rings are [0, 1), [1, 2), [2, 3), [3, 5), [5, 10), [10, 20), [20, ∞). */
export const RING_EDGES_KM = [1, 2, 3, 5, 10, 20] as const;
export const RING_COUNT = RING_EDGES_KM.length + 1;

export function ringLabel(k: number): string {
  if (k === 0) return `under ${RING_EDGES_KM[0]} km`;
  if (k === RING_COUNT - 1) return `${RING_EDGES_KM[k - 1]} km or more`;
  return `${RING_EDGES_KM[k - 1]} to ${RING_EDGES_KM[k]} km`;
}

/** Ring of a distance in metres. */
export function ringOf(metres: number): number {
  const km = metres / 1000;
  const k = RING_EDGES_KM.findIndex((e) => km < e);
  return k < 0 ? RING_COUNT - 1 : k;
}

export interface MapCellCount {
  cell: GridCell;
  ring: number;
  n: number;
}

/** One school's map, exact. */
export interface ExactSchoolMap {
  /** The school's position, metres (projected). */
  centre: { x: number; y: number };
  /** Squares holding at least one pupil, in grid order. */
  cells: MapCellCount[];
  /** Pupils per ring (matched pupils placed on the grid). */
  rings: number[];
  /** Matched pupils whose postcode has no position (the lookup's unplaced postcodes). */
  unmapped: number;
}


/**
 * Each located school's map for a period: pupils per square from the engine, merged into the
 * grid's squares, ringed about the school. `matched` gives each school's exact and terminated
 * pupils (the document's `matched`), so the unplaced are the difference. Schools whose postcode
 * has no position get no map. `scratch`: where the engine leaves its result (queryLarge: hundreds
 * of thousands of rows at England scale come back as Arrow columns, not as JS values).
 */
export async function schoolMaps(
  sql: SqlEngine,
  period: string,
  grid: MapGrid,
  schools: ReadonlyMap<string, { lat: number | null; long: number | null }>,
  matched: ReadonlyMap<string, number>,
  scratch: string,
): Promise<Map<string, ExactSchoolMap>> {
  return mapsOfSquares(grid, await schoolSquares(sql, period, grid, scratch), schools, matched);
}

/** The engine's part of schoolMaps: pupils per school and 500 m square. */
export async function schoolSquares(sql: SqlEngine, period: string, grid: MapGrid, scratch: string): Promise<Table> {
  return sql.queryLarge(q.schoolCellsSql(period, grid.projection), scratch);
}

/** This thread's part of schoolMaps: the maps from the engine's squares (schoolSquares). */
export function mapsOfSquares(grid: MapGrid, t: Table, schools: ReadonlyMap<string, { lat: number | null; long: number | null }>, matched: ReadonlyMap<string, number>): Map<string, ExactSchoolMap> {
  // No located exact or terminated pupil: Athena's UNLOAD then writes no file, so no columns either.
  if (t.numRows === 0) return mapsFromSquares(grid, [], schools, matched);
  // Column at a time: the rows are a school and square each, hundreds of thousands at England scale.
  const urns = stringsOf(columnOf(t, 'urn'));
  const [cxs, cys, ns] = ['cx', 'cy', 'n'].map((c) => numbersOf(columnOf(t, c)).values);
  const rows: PupilSquare[] = new Array(t.numRows);
  for (let i = 0; i < t.numRows; i++) rows[i] = { urn: String(urns[i]), cx: cxs![i]!, cy: cys![i]!, n: ns![i]! };
  return mapsFromSquares(grid, rows, schools, matched);
}

/** Pupils of a school in one 500 m square (schemas/sql/maps.ts fine-square indices). */
export interface PupilSquare {
  urn: string;
  cx: number;
  cy: number;
  n: number;
}

/** The maps from pupils per 500 m square (pure: the engine's rows, or a test's). */
export function mapsFromSquares(
  grid: MapGrid,
  rows: Iterable<PupilSquare>,
  schools: ReadonlyMap<string, { lat: number | null; long: number | null }>,
  matched: ReadonlyMap<string, number>,
): Map<string, ExactSchoolMap> {
  const byUrn = new Map<string, Map<GridCell, { cell: GridCell; n: number }>>();
  // Rows come a school at a time (the SQL orders them by URN): keep the school's squares at hand.
  let lastUrn: string | null = null;
  let m: Map<GridCell, { cell: GridCell; n: number }> | undefined;
  for (const { urn, cx, cy, n } of rows) {
    const cell = grid.leafOf(cx, cy);
    // Every pupil's postcode is in the grid's area (the grid covers the pupils' extent).
    if (!cell) throw new Error(`internal: a pupil's postcode square is outside the map grid (${urn})`);
    if (urn !== lastUrn) {
      m = byUrn.get(urn);
      if (!m) byUrn.set(urn, (m = new Map()));
      lastUrn = urn;
    }
    const had = m!.get(cell);
    if (had) had.n += n;
    else m!.set(cell, { cell, n });
  }
  const out = new Map<string, ExactSchoolMap>();
  for (const [urn, s] of schools) {
    if (s.lat === null || s.long === null || !matched.has(urn)) continue;
    const centre = q.project(grid.projection, s.lat, s.long);
    const cells: MapCellCount[] = [];
    const rings = new Array<number>(RING_COUNT).fill(0);
    let placed = 0;
    for (const { cell, n } of [...(byUrn.get(urn)?.values() ?? [])].sort((a, b) => a.cell.y - b.cell.y || a.cell.x - b.cell.x || a.cell.size - b.cell.size)) {
      const ring = ringOf(Math.hypot(cell.x + cell.size / 2 - centre.x, cell.y + cell.size / 2 - centre.y));
      cells.push({ cell, ring, n });
      rings[ring]! += n;
      placed += n;
    }
    const unmapped = matched.get(urn)! - placed;
    if (unmapped < 0) throw new Error(`internal: ${urn} has more pupils on the map (${placed}) than matched to a postcode (${matched.get(urn)})`);
    out.set(urn, { centre, cells, rings, unmapped });
  }
  return out;
}
