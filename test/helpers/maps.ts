/**
 * A simulated map for fixture schools: postcodes on 500 m squares in disks about the schools, with
 * strips 2 km wide holding no postcode at all (a river, a marsh), and each school's matched pupils
 * spread over the populated squares near it (a few with no map position). The maps are built by the
 * pipeline's own functions (grid.ts, school-map.ts) from these counts.
 */
import { MapGrid, projectionAbout } from '../../functions/maps/grid.ts';
import { mapsFromSquares, type ExactSchoolMap, type PupilSquare } from '../../functions/maps/school-map.ts';
import { FINE_CELL_M, project } from '../../schemas/sql/maps.ts';
import { rng } from './rng.ts';

export interface MapSchool {
  urn: string;
  lat: number;
  long: number;
  /** Pupils matched to a unit postcode (the document's `matched`). */
  matched: number;
}

/** Radius of the populated disk about each school, in 500 m squares. */
const DISK = 10;
/** Columns of 500 m squares with no postcode: 4 wide (2 km, aligned to 2 km squares), one strip in five. */
export const noPostcodeColumn = (cx: number) => ((Math.floor(cx / 4) % 5) + 5) % 5 === 2;

export function simulatedMaps(schools: readonly MapSchool[], seed = 1): { grid: MapGrid; maps: Map<string, ExactSchoolMap> } {
  const r = rng(seed);
  const projection = projectionAbout(schools.reduce((s, x) => s + x.lat, 0) / schools.length, schools.reduce((s, x) => s + x.long, 0) / schools.length);
  const centres = schools.map((s) => {
    const p = project(projection, s.lat, s.long);
    return { ...s, cx: Math.floor(p.x / FINE_CELL_M), cy: Math.floor(p.y / FINE_CELL_M) };
  });
  const populated = new Map<string, { cx: number; cy: number; n: number }>();
  for (const c of centres) {
    for (let dx = -DISK; dx <= DISK; dx++) {
      for (let dy = -DISK; dy <= DISK; dy++) {
        const cx = c.cx + dx;
        const cy = c.cy + dy;
        if (dx * dx + dy * dy > DISK * DISK || noPostcodeColumn(cx)) continue;
        // Dense enough (60 postcodes) that the grid keeps 500 m squares here.
        populated.set(`${cx}:${cy}`, { cx, cy, n: 60 });
      }
    }
  }
  const grid = new MapGrid(projection, [...populated.values()]);
  const rows: PupilSquare[] = [];
  for (const c of centres) {
    const near: { cx: number; cy: number; w: number }[] = [];
    for (let dx = -DISK; dx <= DISK; dx++) {
      for (let dy = -DISK; dy <= DISK; dy++) {
        if (!populated.has(`${c.cx + dx}:${c.cy + dy}`) || dx * dx + dy * dy > DISK * DISK) continue;
        near.push({ cx: c.cx + dx, cy: c.cy + dy, w: Math.exp(-Math.hypot(dx, dy) / 3) });
      }
    }
    const total = near.reduce((s, x) => s + x.w, 0);
    const placed = c.matched - Math.round(0.03 * c.matched);
    const counts = new Map<string, PupilSquare>();
    for (let i = 0; i < placed; i++) {
      let u = r() * total;
      const hit = near.find((x) => (u -= x.w) <= 0) ?? near[near.length - 1]!;
      const k = `${hit.cx}:${hit.cy}`;
      const had = counts.get(k);
      if (had) had.n++;
      else counts.set(k, { urn: c.urn, cx: hit.cx, cy: hit.cy, n: 1 });
    }
    rows.push(...counts.values());
  }
  const maps = mapsFromSquares(grid, rows, new Map(schools.map((s) => [s.urn, { lat: s.lat, long: s.long }])), new Map(schools.map((s) => [s.urn, s.matched])));
  return { grid, maps };
}
