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

/**
 * Squares of one level as small integers, for maps keyed by square: column and row counted from
 * the grid's south-west corner at that level (a Map hashes a small integer much faster than a
 * string or a large number). -1 for a square outside the grid's area, so keys never collide.
 */
class LevelKeys {
  constructor(
    readonly x0: number,
    readonly y0: number,
    readonly width: number,
    readonly height: number,
  ) {}

  static of(fine: readonly FineCount[], level: number): LevelKeys {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const f of fine) {
      x0 = Math.min(x0, f.cx);
      x1 = Math.max(x1, f.cx);
      y0 = Math.min(y0, f.cy);
      y1 = Math.max(y1, f.cy);
    }
    if (!fine.length) return new LevelKeys(0, 0, 0, 0);
    const [ux0, uy0] = [up(x0, level), up(y0, level)];
    return new LevelKeys(ux0, uy0, up(x1, level) - ux0 + 1, up(y1, level) - uy0 + 1);
  }

  key(ix: number, iy: number): number {
    const dx = ix - this.x0;
    const dy = iy - this.y0;
    return dx >= 0 && dx < this.width && dy >= 0 && dy < this.height ? dx * this.height + dy : -1;
  }

  ix(key: number): number {
    return Math.floor(key / this.height) + this.x0;
  }

  iy(key: number): number {
    return (key % this.height) + this.y0;
  }
}

/** Side of a top-level square, metres. */
const TOP_SIZE = FINE_CELL_M * 2 ** TOP_LEVEL;

/** One row of top-level squares (one iy): their columns, ascending, and where each one's leaves start. */
interface TopRow {
  ix: number[];
  start: number[];
  /** End of the row's last square's leaves. */
  end: number;
}

export interface MapGridSpec {
  projection: Projection;
  fine: Float64Array;
  splitAt: number;
}

export class MapGrid {
  readonly leaves: GridCell[] = [];
  /** Leaves by level, keyed by `keys`. */
  private readonly byLevel: Map<number, GridCell>[] = Array.from({ length: TOP_LEVEL + 1 }, () => new Map());
  private readonly keys: LevelKeys[];
  /**
   * The spatial index of `within`: the leaves are made top square by top square, in (iy, ix)
   * order, and each top square's leaves are contiguous, so a row of top squares and any run of
   * columns in it is one slice of `leaves`.
   */
  private readonly topRows = new Map<number, TopRow>();
  /** The postcode counts it was made from (cx, cy, n for each), to make the same grid in another thread (ofSpec). */
  private readonly fine: Float64Array;

  /** What makes this grid again (plain data). */
  spec(): MapGridSpec {
    return { projection: this.projection, fine: this.fine, splitAt: this.splitAt };
  }

  static ofSpec(spec: MapGridSpec): MapGrid {
    const fine: FineCount[] = [];
    for (let i = 0; i < spec.fine.length; i += 3) fine.push({ cx: spec.fine[i]!, cy: spec.fine[i + 1]!, n: spec.fine[i + 2]! });
    return new MapGrid(spec.projection, fine, spec.splitAt);
  }

  constructor(
    readonly projection: Projection,
    fine: readonly FineCount[],
    readonly splitAt = SPLIT_AT,
  ) {
    const fineInts = fine.map((f) => ({ cx: up(f.cx, 0), cy: up(f.cy, 0), n: f.n }));
    this.fine = new Float64Array(3 * fine.length);
    fine.forEach((f, i) => this.fine.set([f.cx, f.cy, f.n], 3 * i));
    const keys = (this.keys = Array.from({ length: TOP_LEVEL + 1 }, (_, k) => LevelKeys.of(fineInts, k)));
    // Postcodes per square at each level, each level summed from the one below.
    const counts: Map<number, number>[] = [new Map()];
    for (const f of fineInts) {
      const key = keys[0]!.key(f.cx, f.cy);
      counts[0]!.set(key, (counts[0]!.get(key) ?? 0) + f.n);
    }
    for (let k = 1; k <= TOP_LEVEL; k++) {
      const here = new Map<number, number>();
      for (const [key, n] of counts[k - 1]!) {
        const above = keys[k]!.key(up(keys[k - 1]!.ix(key), 1), up(keys[k - 1]!.iy(key), 1));
        here.set(above, (here.get(above) ?? 0) + n);
      }
      counts.push(here);
    }
    const visit = (k: number, ix: number, iy: number) => {
      const key = keys[k]!.key(ix, iy);
      const n = key < 0 ? undefined : counts[k]!.get(key);
      if (n === undefined || n === 0) return;
      if (k === 0 || n < splitAt) {
        const size = FINE_CELL_M * 2 ** k;
        const cell: GridCell = { level: k, ix, iy, x: ix * size, y: iy * size, size, postcodes: n, key: cellKey(k, ix, iy) };
        this.leaves.push(cell);
        this.byLevel[k]!.set(key, cell);
        return;
      }
      // Quarters in the order south-west, south-east, north-west, north-east.
      visit(k - 1, 2 * ix, 2 * iy);
      visit(k - 1, 2 * ix + 1, 2 * iy);
      visit(k - 1, 2 * ix, 2 * iy + 1);
      visit(k - 1, 2 * ix + 1, 2 * iy + 1);
    };
    const tops = [...counts[TOP_LEVEL]!.keys()].map((key) => [keys[TOP_LEVEL]!.ix(key), keys[TOP_LEVEL]!.iy(key)] as [number, number]).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    for (const [ix, iy] of tops) {
      let row = this.topRows.get(iy);
      if (!row) this.topRows.set(iy, (row = { ix: [], start: [], end: 0 }));
      row.ix.push(ix);
      row.start.push(this.leaves.length);
      visit(TOP_LEVEL, ix, iy);
      row.end = this.leaves.length;
    }
  }

  /** The grid square holding a 500 m square (null when no postcode of the grid lies in it). */
  leafOf(cx: number, cy: number): GridCell | null {
    // Squares do not overlap, so at most one level has one here; most pupils live in 500 m ones.
    for (let k = 0; k <= TOP_LEVEL; k++) {
      // A square outside the postcodes' corner-to-corner area can still lie in a larger square.
      const key = this.keys[k]!.key(up(cx, k), up(cy, k));
      const hit = key < 0 ? undefined : this.byLevel[k]!.get(key);
      if (hit) return hit;
    }
    return null;
  }

  /**
   * Squares overlapping a box (metres), in grid order: the leaves a plain filter of `leaves` would
   * keep, found through the rows of top squares the box touches.
   */
  within(x0: number, y0: number, x1: number, y1: number): GridCell[] {
    const out: GridCell[] = [];
    this.eachWithin(x0, y0, x1, y1, (c) => out.push(c));
    return out;
  }

  /** within(), each square handed to `fn` in the same order (no array: every document's background asks). */
  private eachWithin(x0: number, y0: number, x1: number, y1: number, fn: (c: GridCell) => void): void {
    const tx0 = Math.floor(x0 / TOP_SIZE);
    const tx1 = Math.floor(x1 / TOP_SIZE);
    const ty0 = Math.floor(y0 / TOP_SIZE);
    const ty1 = Math.floor(y1 / TOP_SIZE);
    // A box the index cannot bound (not finite, or wider than the grid has rows): test every square.
    if (!(Number.isFinite(tx0) && Number.isFinite(tx1) && Number.isFinite(ty0) && Number.isFinite(ty1)) || ty1 - ty0 > this.topRows.size) {
      for (const c of this.leaves) if (overlaps(c, x0, y0, x1, y1)) fn(c);
      return;
    }
    // A leaf overlapping the box lies in a top square (tx, ty) with tx0 <= tx <= tx1, ty0 <= ty <= ty1.
    for (let ty = ty0; ty <= ty1; ty++) {
      const row = this.topRows.get(ty);
      if (!row) continue;
      const a = lowerBound(row.ix, tx0);
      const b = lowerBound(row.ix, tx1 + 1);
      if (a === b) continue;
      const end = b < row.ix.length ? row.start[b]! : row.end;
      for (let i = row.start[a]!; i < end; i++) {
        const c = this.leaves[i]!;
        if (overlaps(c, x0, y0, x1, y1)) fn(c);
      }
    }
  }

  /**
   * The squares overlapping a box, each one smaller than `level` lifted to its square at `level`,
   * once each, in grid order of first appearance: a frame's background at that level.
   * The leaves under one square of any level are contiguous in grid order (the grid is made
   * depth first), so a lifted square's repeats follow one another and a larger leaf is never
   * repeated: comparing with the last square kept is the same as remembering every one.
   */
  backgroundWithin(x0: number, y0: number, x1: number, y1: number, level: number): [number, number, number][] {
    // Above the top level a square spans several top squares, whose leaves are not contiguous.
    if (!(Number.isInteger(level) && level >= 0 && level <= TOP_LEVEL)) throw new Error(`internal: background level ${level} is not 0 to ${TOP_LEVEL}`);
    const out: [number, number, number][] = [];
    let last: [number, number, number] | null = null;
    this.eachWithin(x0, y0, x1, y1, (c) => {
      const size = c.level >= level ? c.size : c.size * 2 ** (level - c.level);
      const bx = Math.floor(c.x / size) * size;
      const by = Math.floor(c.y / size) * size;
      if (last && last[0] === bx && last[1] === by && last[2] === size) return;
      out.push((last = [bx, by, size]));
    });
    return out;
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

/** Whether a square overlaps a box (metres; edges touching do not count). */
export const overlaps = (c: GridCell, x0: number, y0: number, x1: number, y1: number): boolean => c.x < x1 && c.x + c.size > x0 && c.y < y1 && c.y + c.size > y0;

/** First index of a sorted array whose value is >= v. */
function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The projection origin for an LA: the mean position of its pupils, rounded to 0.1° so the grid stays put from year to year. */
export function projectionAbout(latMean: number, longMean: number): Projection {
  return { lat0: Math.round(latMean * 10) / 10, lon0: Math.round(longMean * 10) / 10 };
}
