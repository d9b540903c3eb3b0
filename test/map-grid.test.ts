/**
 * The map grid's spatial index: `within` (the squares of a school's frame), `backgroundWithin`
 * (the frame's background) and `leafOf` answer exactly what a plain pass over every square does,
 * in the same order, on grids with squares of every size, on both sides of the origin, and for
 * boxes whose edges fall on square edges.
 */
import { describe, expect, it } from 'vitest';
import { MapGrid, overlaps, SPLIT_AT, TOP_LEVEL, type FineCount, type GridCell } from '../functions/maps/grid.ts';
import { FINE_CELL_M } from '../schemas/sql/maps.ts';
import { rng } from './helpers/rng.ts';

const projection = { lat0: 51.3, lon0: 0.7 };

/** Towns (dense: 500 m squares) scattered over open country (sparse: merged up to 8 km), with empty stretches. */
function randomFine(seed: number): FineCount[] {
  const r = rng(seed);
  const fine = new Map<string, FineCount>();
  const add = (cx: number, cy: number, n: number) => {
    const k = `${cx}:${cy}`;
    const had = fine.get(k);
    if (had) had.n += n;
    else fine.set(k, { cx, cy, n });
  };
  for (let t = 0; t < 12; t++) {
    const tx = Math.floor((r() - 0.5) * 300);
    const ty = Math.floor((r() - 0.5) * 300);
    const radius = 2 + Math.floor(r() * 10);
    for (let dx = -radius; dx <= radius; dx++) for (let dy = -radius; dy <= radius; dy++) if (dx * dx + dy * dy <= radius * radius) add(tx + dx, ty + dy, 20 + Math.floor(r() * 80));
  }
  for (let i = 0; i < 3000; i++) {
    const cx = Math.floor((r() - 0.5) * 400);
    const cy = Math.floor((r() - 0.5) * 400);
    // An empty band across the middle: rows of top squares with no square at all.
    if (cy >= 40 && cy < 90) continue;
    add(cx, cy, 1 + Math.floor(r() * 6));
  }
  return [...fine.values()];
}

/** The background as map-section.ts made it before the index: lift each square, keep the first of each. */
function plainBackground(grid: MapGrid, x0: number, y0: number, x1: number, y1: number, level: number): [number, number, number][] {
  const seen = new Set<string>();
  return grid.leaves
    .filter((c) => overlaps(c, x0, y0, x1, y1))
    .map((c) => {
      const size = c.size * 2 ** Math.max(0, level - c.level);
      return [Math.floor(c.x / size) * size, Math.floor(c.y / size) * size, size] as [number, number, number];
    })
    .filter(([x, y, s]) => {
      const k = `${x}:${y}:${s}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

/** The grid's squares as first written (string keys, every level counted from the 500 m squares): the order documents were made in. */
function plainLeaves(fine: readonly FineCount[]): Omit<GridCell, 'key'>[] {
  const up = (i: number, levels: number) => Math.floor(i / 2 ** levels);
  const counts: Map<string, number>[] = Array.from({ length: TOP_LEVEL + 1 }, () => new Map());
  for (const f of fine) {
    for (let k = 0; k <= TOP_LEVEL; k++) {
      const key = `${up(f.cx, k)}:${up(f.cy, k)}`;
      counts[k]!.set(key, (counts[k]!.get(key) ?? 0) + f.n);
    }
  }
  const out: Omit<GridCell, 'key'>[] = [];
  const visit = (k: number, ix: number, iy: number) => {
    const n = counts[k]!.get(`${ix}:${iy}`) ?? 0;
    if (n === 0) return;
    if (k === 0 || n < SPLIT_AT) {
      const size = FINE_CELL_M * 2 ** k;
      out.push({ level: k, ix, iy, x: ix * size, y: iy * size, size, postcodes: n });
      return;
    }
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) visit(k - 1, 2 * ix + dx, 2 * iy + dy);
  };
  const tops = [...counts[TOP_LEVEL]!.keys()].map((k) => k.split(':').map(Number) as [number, number]).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  for (const [ix, iy] of tops) visit(TOP_LEVEL, ix, iy);
  return out;
}

/** Boxes of every frame size about random points, boxes with edges on square edges, and odd ones. */
function boxes(grid: MapGrid, seed: number): [number, number, number, number][] {
  const r = rng(seed);
  const e = grid.extent()!;
  const out: [number, number, number, number][] = [];
  for (let i = 0; i < 400; i++) {
    const x = e.x0 - 20_000 + r() * (e.x1 - e.x0 + 40_000);
    const y = e.y0 - 20_000 + r() * (e.y1 - e.y0 + 40_000);
    const h = [0, 300, 1100, 2200, 3300, 5500, 11_000, 22_000, 60_000][i % 9]!;
    out.push([x - h, y - h, x + h, y + h]);
    // Edges exactly on 500 m and 8 km lines.
    const unit = i % 2 ? FINE_CELL_M : FINE_CELL_M * 2 ** TOP_LEVEL;
    const sx = Math.round(x / unit) * unit;
    const sy = Math.round(y / unit) * unit;
    out.push([sx, sy, sx + unit * (1 + (i % 5)), sy + unit * (1 + (i % 3))]);
  }
  out.push([e.x0, e.y0, e.x1, e.y1], [e.x0 - 1e7, e.y0 - 1e7, e.x1 + 1e7, e.y1 + 1e7], [-Infinity, -Infinity, Infinity, Infinity]);
  out.push([e.x1, e.y1, e.x0, e.y0], [NaN, 0, 1000, 1000], [e.x1, e.y0, e.x1 + 5000, e.y1], [e.x0 - 5000, e.y0, e.x0, e.y1]);
  return out;
}

describe('the map grid’s spatial index', () => {
  const fines = [1, 2, 3].map(randomFine);
  const grids = fines.map((fine) => new MapGrid(projection, fine));

  it('makes grids with squares of every level on both sides of the origin (so the comparisons below mean something)', () => {
    for (const grid of grids) {
      expect(new Set(grid.leaves.map((c) => c.level))).toEqual(new Set([0, 1, 2, 3, 4]));
      expect(grid.leaves.some((c) => c.x < 0 && c.y < 0)).toBe(true);
      expect(grid.leaves.some((c) => c.x > 0 && c.y > 0)).toBe(true);
    }
  });

  it('makes the same squares in the same order as a plain string-keyed count (the order documents list them in)', () => {
    for (const [g, grid] of grids.entries()) {
      expect(grid.leaves.map(({ key, ...c }) => (expect(key).toBe(`${c.level}:${c.ix}:${c.iy}`), c))).toEqual(plainLeaves(fines[g]!));
    }
    expect(new MapGrid(projection, []).leaves).toEqual([]);
    expect(new MapGrid(projection, []).leafOf(0, 0)).toBeNull();
  });

  it('within gives exactly the squares, in the order, of a plain filter of every square', () => {
    let nonEmpty = 0;
    const wrong: string[] = [];
    for (const [g, grid] of grids.entries()) {
      const index = new Map<GridCell, number>(grid.leaves.map((c, i) => [c, i]));
      for (const [x0, y0, x1, y1] of boxes(grid, 10 + g)) {
        const got = grid.within(x0, y0, x1, y1).map((c) => index.get(c));
        const want = grid.leaves.flatMap((c, i) => (overlaps(c, x0, y0, x1, y1) ? [i] : []));
        if (got.join() !== want.join()) wrong.push(`box ${[x0, y0, x1, y1].join(', ')}: ${got.length} squares, a plain filter ${want.length}`);
        if (want.length) nonEmpty++;
      }
    }
    expect(wrong).toEqual([]);
    expect(nonEmpty).toBeGreaterThan(1000);
  });

  it('backgroundWithin gives exactly the lifted squares, once each in order of first appearance, at every level', () => {
    let nonEmpty = 0;
    const wrong: string[] = [];
    for (const [g, grid] of grids.entries()) {
      for (const [i, [x0, y0, x1, y1]] of boxes(grid, 20 + g).entries()) {
        for (let level = 0; level <= TOP_LEVEL; level++) {
          if ((i + level) % 2) continue;
          const got = JSON.stringify(grid.backgroundWithin(x0, y0, x1, y1, level));
          const want = JSON.stringify(plainBackground(grid, x0, y0, x1, y1, level));
          if (got !== want) wrong.push(`box ${[x0, y0, x1, y1].join(', ')} level ${level}`);
          if (want.length > 2) nonEmpty++;
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(nonEmpty).toBeGreaterThan(1000);
    expect(() => grids[0]!.backgroundWithin(0, 0, 1, 1, TOP_LEVEL + 1)).toThrow(/background level/);
  });

  it('leafOf finds the square holding each 500 m square, and none where there is no postcode', () => {
    const wrong: string[] = [];
    for (const grid of grids) {
      // Every 500 m square a leaf covers, from the leaves' own corners and sides.
      const cover = new Map<string, GridCell>();
      for (const c of grid.leaves) {
        const n = c.size / FINE_CELL_M;
        for (let dx = 0; dx < n; dx++) for (let dy = 0; dy < n; dy++) cover.set(`${c.x / FINE_CELL_M + dx}:${c.y / FINE_CELL_M + dy}`, c);
      }
      const e = grid.extent()!;
      let found = 0;
      for (let cx = e.x0 / FINE_CELL_M - 3; cx < e.x1 / FINE_CELL_M + 3; cx += 2) {
        for (let cy = e.y0 / FINE_CELL_M - 3; cy < e.y1 / FINE_CELL_M + 3; cy += 3) {
          const want = cover.get(`${cx}:${cy}`) ?? null;
          if (grid.leafOf(cx, cy) !== want) wrong.push(`${cx}:${cy}`);
          if (want) found++;
        }
      }
      expect(found).toBeGreaterThan(1000);
    }
    expect(wrong).toEqual([]);
  });
});
