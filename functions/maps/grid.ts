/**
 * The map grid: squares of 500 m where postcodes are dense (towns), merged into 1, 2, 4 and 8 km
 * squares where they are sparse (the countryside), as a quadtree over a local projection of
 * postcode centroids (schemas/sql/maps.ts). A square splits into its four quarters while it holds
 * at least SPLIT_AT postcodes, so every square is drawn from public postcode data alone: its shape
 * says nothing about any pupil, and squares nest, so a school's counts in small squares add up
 * to the larger ones. Pure: the SQL counts postcodes and pupils per 500 m square, this merges.
 */
import { FINE_CELL_M, type Projection } from '../../schemas/sql/maps.ts';

/** Levels 0 (500 m) to TOP_LEVEL (8 km). */
export const TOP_LEVEL = 4;
/** A square with at least this many postcodes is split into quarters (down to 500 m). */
export const SPLIT_AT = 48;

export interface GridCell {
  level: number;
  ix: number;
  iy: number;
  /** South-west corner and side, metres from the projection's origin. */
  x: number;
  y: number;
  size: number;
  /** Postcodes in the square. */
  postcodes: number;
  key: string;
}

export interface FineCount {
  cx: number;
  cy: number;
  n: number;
}

const cellKey = (level: number, ix: number, iy: number) => `${level}:${ix}:${iy}`;
const up = (i: number, levels: number) => Math.floor(i / 2 ** levels);

export class MapGrid {
  readonly leaves: GridCell[] = [];
  private readonly byKey = new Map<string, GridCell>();

  constructor(
    readonly projection: Projection,
    fine: readonly FineCount[],
    readonly splitAt = SPLIT_AT,
  ) {
    const counts: Map<string, number>[] = Array.from({ length: TOP_LEVEL + 1 }, () => new Map());
    for (const f of fine) {
      for (let k = 0; k <= TOP_LEVEL; k++) {
        const key = `${up(f.cx, k)}:${up(f.cy, k)}`;
        counts[k]!.set(key, (counts[k]!.get(key) ?? 0) + f.n);
      }
    }
    const visit = (k: number, ix: number, iy: number) => {
      const n = counts[k]!.get(`${ix}:${iy}`) ?? 0;
      if (n === 0) return;
      if (k === 0 || n < splitAt) {
        const size = FINE_CELL_M * 2 ** k;
        const cell: GridCell = { level: k, ix, iy, x: ix * size, y: iy * size, size, postcodes: n, key: cellKey(k, ix, iy) };
        this.leaves.push(cell);
        this.byKey.set(cell.key, cell);
        return;
      }
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) visit(k - 1, 2 * ix + dx, 2 * iy + dy);
    };
    const tops = [...counts[TOP_LEVEL]!.keys()].map((k) => k.split(':').map(Number) as [number, number]).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    for (const [ix, iy] of tops) visit(TOP_LEVEL, ix, iy);
  }

  /** The grid square holding a 500 m square (null when no postcode of the grid lies in it). */
  leafOf(cx: number, cy: number): GridCell | null {
    for (let k = TOP_LEVEL; k >= 0; k--) {
      const hit = this.byKey.get(cellKey(k, up(cx, k), up(cy, k)));
      if (hit) return hit;
    }
    return null;
  }

  /** Squares overlapping a box (metres). */
  within(x0: number, y0: number, x1: number, y1: number): GridCell[] {
    return this.leaves.filter((c) => c.x < x1 && c.x + c.size > x0 && c.y < y1 && c.y + c.size > y0);
  }

  /**
   * The populated area at a coarser level (every square of side 500·2^level m holding a postcode):
   * the background of a whole-LA map, where 500 m squares would be tens of thousands of marks.
   */
  populated(level: number): { x: number; y: number; size: number }[] {
    const size = FINE_CELL_M * 2 ** level;
    const seen = new Set<string>();
    const out: { x: number; y: number; size: number }[] = [];
    for (const c of this.leaves) {
      if (c.level >= level) {
        out.push({ x: c.x, y: c.y, size: c.size });
        continue;
      }
      const ix = up(c.ix, level - c.level);
      const iy = up(c.iy, level - c.level);
      const k = `${ix}:${iy}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ x: ix * size, y: iy * size, size });
    }
    return out;
  }

  /** Extent of the grid's squares, metres. */
  extent(): { x0: number; y0: number; x1: number; y1: number } | null {
    if (this.leaves.length === 0) return null;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const c of this.leaves) {
      x0 = Math.min(x0, c.x);
      y0 = Math.min(y0, c.y);
      x1 = Math.max(x1, c.x + c.size);
      y1 = Math.max(y1, c.y + c.size);
    }
    return { x0, y0, x1, y1 };
  }
}

/** The projection origin for an LA: the mean position of its pupils, rounded to 0.1° so the grid stays put from year to year. */
export function projectionAbout(latMean: number, longMean: number): Projection {
  return { lat0: Math.round(latMean * 10) / 10, lon0: Math.round(longMean * 10) / 10 };
}
