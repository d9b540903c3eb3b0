/**
 * The analysts' exact profile tables (school_profile, cluster_profile), set-based: the engine
 * computes every row's counts and row-by-row measures (schemas/sql/profiles.ts, profileRowsSql);
 * this module adds, column by column over the result, what shared SQL cannot:
 *
 *   - p: the score test's 2·Φ(−|z|) (DuckDB has no normal CDF), or for rows with expected < 10
 *     the exact binomial test and the Clopper–Pearson interval (beta quantiles: neither engine);
 *   - p_adjusted = min(1, m·p) and the flag, which need p.
 *
 * Exact rows repeat the same (O, n, m) and (O, n, b) many times across 21,500 schools, so their
 * results are memoised per call. The statistics are functions/domain/stats (the scipy oracle tests
 * hold them to 1e-9); the SQL repeats index-measures.ts's arithmetic in the same order, and
 * test/profile-rows.test.ts checks every row against profileRow() itself.
 *
 * The engine's rows come in any order (Athena writes UNLOAD files in parallel); each is placed by
 * its ranks into typed arrays, so the Parquet written is the same bytes whichever engine ran and
 * nothing sorts two million rows. Output is written in parts of PART_ROWS rows, which keeps the
 * Parquet writer's WebAssembly memory small.
 */
import { Bool, Int64, Table, makeData, makeVector, type Data, type Vector } from 'apache-arrow';
import type { TableDef } from '../../schemas/columns.ts';
import { dataColumnsOf } from '../../schemas/columns.ts';
import type { CriticalValue } from '../../schemas/sql/profiles.ts';
import { clopperPearsonInterval } from '../domain/stats/intervals.ts';
import { exactBinomialTest } from '../domain/stats/exact.ts';
import { normalSf, zCritical } from '../domain/stats/distributions.ts';
import { FAMILY_ALPHA, bonferroniAlpha } from '../domain/stats/tests.ts';
import { EXACT_BELOW_EXPECTED } from '../domain/stats/index-measures.ts';
import { columnOf, float64Vector, labelVector } from '../lake/arrow-columns.ts';
import type { Level } from './dictionary.ts';

/** Interval constants for family sizes 1..maxFamily (the SQL joins each row to its m). */
export function criticalValues(maxFamily: number): CriticalValue[] {
  return Array.from({ length: Math.max(1, maxFamily) }, (_, i) => {
    const a = bonferroniAlpha(FAMILY_ALPHA, i + 1);
    return { m: i + 1, level: 1 - a, z: zCritical(a) };
  });
}

/** Rows per Parquet part of a profile table. */
export const PART_ROWS = 250_000;

const FLAGS = ['over', 'under', 'ns'] as const;

/** Memoised exact results: Clopper–Pearson by (O, n, m), the exact test by (b, O, n). */
class ExactCache {
  private readonly ci = new Map<number, [number, number]>();
  private readonly tests = new Map<number, Map<number, number>>();
  hits = 0;

  interval(O: number, n: number, m: number): [number, number] {
    // O ≤ n < 2^20 and m < 2^12 in any real profile (the key stays below 2^53); otherwise no memo.
    const key = n < 2 ** 20 && m < 2 ** 12 ? (m * 2 ** 20 + n) * 2 ** 20 + O : -1;
    let r = key >= 0 ? this.ci.get(key) : undefined;
    if (r) this.hits++;
    else {
      const ci = clopperPearsonInterval(O, n, bonferroniAlpha(FAMILY_ALPHA, m))!;
      r = [ci.low, ci.high];
      if (key >= 0) this.ci.set(key, r);
    }
    return r;
  }

  p(O: number, n: number, b: number): number {
    const key = n < 2 ** 26 ? n * 2 ** 26 + O : -1;
    let byB = this.tests.get(b);
    if (!byB) this.tests.set(b, (byB = new Map()));
    let p = key >= 0 ? byB.get(key) : undefined;
    if (p === undefined) {
      p = exactBinomialTest(O, n, b).p;
      if (key >= 0) byB.set(key, p);
    }
    return p;
  }
}

/** Numeric columns read from the engine (placed by rank); the rest of the output is computed. */
export const INPUTS = ['n', 'n_total', 'base_n', 'base_total', 'family', 'pct', 'base_pct', 'penetration', 'index', 'expected', 'ci_low', 'ci_high', 'ci_level', 'z'] as const;
export type Input = (typeof INPUTS)[number];

export interface Placed {
  values: Float64Array;
  valid: Uint8Array;
}

const validAt = (d: Data, i: number) => !d.nullBitmap || d.nullBitmap.length === 0 || (d.nullBitmap[(d.offset + i) >> 3]! & (1 << ((d.offset + i) & 7))) !== 0;

/**
 * The engine's profile rows placed in (unit, segment) order, before the statistics: plain data whose
 * columns are typed arrays of their own, so a thread can be handed them without a copy
 * (placedBuffers; profile-table-thread.ts).
 */
export interface PlacedProfileRows {
  /** Targets by rank (urn or cluster), their bases, and the segments by rank. */
  units: string[];
  bases: string[];
  segments: { level: Level; segment: string; name: string }[];
  classification: string;
  rows: number;
  cols: Record<Input, Placed>;
  reliable: Uint8Array;
}

/** Place the engine's rows (any order) by their ranks; checks they are the full grid, each place once. */
export function placeProfileRows(result: Table): PlacedProfileRows {
  const total = result.numRows;
  if (total === 0) {
    // No pupils: an empty UNLOAD writes no files, so the result may have no columns at all.
    const none = (): Placed => ({ values: new Float64Array(0), valid: new Uint8Array(0) });
    return { units: [], bases: [], segments: [], classification: 'custom', rows: 0, cols: Object.fromEntries(INPUTS.map((c) => [c, none()])) as Record<Input, Placed>, reliable: new Uint8Array(0) };
  }
  const rank = (name: string) => {
    const out = new Int32Array(total);
    let at = 0;
    for (const d of columnOf(result, name).data as Data[]) {
      const src = d.values as Int32Array;
      for (let i = 0; i < d.length; i++) out[at++] = src[d.offset + i]!;
    }
    return out;
  };
  const unitRank = rank('unit_rank');
  const dictRank = rank('dict_rank');
  const U = unitRank.reduce((a, b) => Math.max(a, b), 0);
  const D = dictRank.reduce((a, b) => Math.max(a, b), 0);
  if (U * D !== total) throw new Error(`internal: profile rows are not a full grid (${total} rows for ${U} targets x ${D} segments)`);
  // Each row's place: (unit_rank − 1)·D + dict_rank − 1, every place exactly once.
  const pos = new Int32Array(total);
  const seen = new Uint8Array(total);
  for (let i = 0; i < total; i++) {
    const at = (unitRank[i]! - 1) * D + dictRank[i]! - 1;
    if (at < 0 || at >= total || seen[at]) throw new Error('internal: profile rows repeat or skip a (target, segment)');
    seen[at] = 1;
    pos[i] = at;
  }
  const units = new Array<string>(U);
  const bases = new Array<string>(U);
  const segments = new Array<PlacedProfileRows['segments'][number]>(D);
  let classification: string | null = null;
  const labels = ['unit', 'base', 'level', 'segment', 'segment_name', 'classification'].map((c) => columnOf(result, c));
  for (let i = 0; i < total; i++) {
    const u = unitRank[i]! - 1;
    const d = dictRank[i]! - 1;
    if (d === 0) {
      units[u] = labels[0]!.get(i) as string;
      bases[u] = labels[1]!.get(i) as string;
    }
    if (u === 0) {
      segments[d] = { level: labels[2]!.get(i) as Level, segment: labels[3]!.get(i) as string, name: labels[4]!.get(i) as string };
      if (d === 0) classification = labels[5]!.get(i) as string;
    }
  }

  const place = (name: string): Placed => {
    const values = new Float64Array(total);
    const valid = new Uint8Array(total);
    let at = 0;
    for (const d of columnOf(result, name).data as Data[]) {
      const src = d.values as ArrayLike<number | bigint>;
      const big = src instanceof BigInt64Array;
      for (let i = 0; i < d.length; i++, at++) {
        if (!validAt(d, i)) continue;
        const to = pos[at]!;
        valid[to] = 1;
        values[to] = big ? Number(src[d.offset + i] as bigint) : (src[d.offset + i] as number);
      }
    }
    return { values, valid };
  };
  const cols = Object.fromEntries(INPUTS.map((c) => [c, place(c)])) as Record<Input, Placed>;
  const reliable = new Uint8Array(total);
  {
    let at = 0;
    for (const d of columnOf(result, 'reliable').data as Data[]) {
      const v = makeVector(d);
      for (let i = 0; i < d.length; i++, at++) reliable[pos[at]!] = v.get(i) ? 1 : 0;
    }
  }
  return { units, bases, segments, classification: classification ?? 'custom', rows: total, cols, reliable };
}

/** The buffers of placed rows (each its own: placeProfileRows allocates them), to hand to a thread. */
export function placedBuffers(placed: PlacedProfileRows): ArrayBuffer[] {
  return [...Object.values(placed.cols).flatMap((c) => [c.values.buffer, c.valid.buffer]), placed.reliable.buffer] as ArrayBuffer[];
}

/** Each target's segment counts above 0 (the exact counts heads' documents start from). */
export function forEachCount(placed: PlacedProfileRows, fn: (unit: string, level: Level, segment: string, n: number) => void): void {
  const D = placed.segments.length;
  const O = placed.cols.n.values;
  for (let i = 0; i < placed.rows; i++) {
    if (O[i]! > 0) {
      const s = placed.segments[i % D]!;
      fn(placed.units[Math.floor(i / D)]!, s.level, s.segment, O[i]!);
    }
  }
}

/** A profile table placed in (unit, segment) order, its statistics completed. */
export class ProfileTable {
  readonly units: string[];
  readonly bases: string[];
  readonly segments: { level: Level; segment: string; name: string }[];
  readonly classification: string;
  readonly rows: number;
  readonly exactRows: number;
  readonly memoHits: number;
  private readonly placed: PlacedProfileRows;
  private readonly cols: Record<Input, Placed>;
  private readonly reliable: Uint8Array;
  private readonly p: Placed;
  private readonly pAdjusted: Float64Array;
  private readonly flag: Int8Array;

  /** From the engine's result, or rows already placed (whose interval columns it completes in place). */
  constructor(input: Table | PlacedProfileRows) {
    const placed = input instanceof Table ? placeProfileRows(input) : input;
    this.placed = placed;
    ({ units: this.units, bases: this.bases, segments: this.segments, classification: this.classification, rows: this.rows, cols: this.cols, reliable: this.reliable } = placed);
    const total = this.rows;

    // The statistics no shared SQL computes.
    const { n: O, n_total: n, family: m, index, expected, z, base_n: B, base_total: N, ci_low: ciLow, ci_high: ciHigh, ci_level: level } = this.cols;
    this.p = { values: new Float64Array(total), valid: new Uint8Array(total) };
    this.pAdjusted = new Float64Array(total);
    this.flag = new Int8Array(total).fill(-1);
    const cache = new ExactCache();
    let exactRows = 0;
    for (let i = 0; i < total; i++) {
      if (!level.valid[i]) throw new Error(`internal: no interval constants for a family of ${m.values[i]} segments`);
      if (!index.valid[i]) continue;
      let pi: number;
      if (expected.values[i]! < EXACT_BELOW_EXPECTED || !z.valid[i]) {
        exactRows++;
        const b = B.values[i]! / N.values[i]!;
        const [low, high] = cache.interval(O.values[i]!, n.values[i]!, m.values[i]!);
        ciLow.values[i] = (100 * low) / b;
        ciHigh.values[i] = (100 * high) / b;
        ciLow.valid[i] = 1;
        ciHigh.valid[i] = 1;
        pi = cache.p(O.values[i]!, n.values[i]!, b);
      } else {
        if (!ciLow.valid[i] || !ciHigh.valid[i]) throw new Error('internal: a score-test profile row has no Wilson interval from the SQL');
        pi = Math.min(1, 2 * normalSf(Math.abs(z.values[i]!)));
      }
      this.p.values[i] = pi;
      this.p.valid[i] = 1;
      const adjusted = Math.min(1, pi * Math.max(1, m.values[i]!));
      this.pAdjusted[i] = adjusted;
      this.flag[i] = adjusted < FAMILY_ALPHA ? (index.values[i]! > 100 ? 0 : 1) : 2;
    }
    this.exactRows = exactRows;
    this.memoHits = cache.hits;
  }

  /** Each target's segment counts above 0 (the exact counts heads' documents start from). */
  forEachCount(fn: (unit: string, level: Level, segment: string, n: number) => void): void {
    forEachCount(this.placed, fn);
  }

  /** The contract table's data columns for rows [from, to) (school_profile: `urn`; cluster_profile: `cluster`). */
  part(table: TableDef, from: number, to: number): Table {
    const D = this.segments.length;
    const len = to - from;
    const unitCodes = new Int32Array(len);
    const segCodes = new Int32Array(len);
    const levelCodes = new Int32Array(len);
    const levels = ['supergroup', 'group', 'subgroup'];
    for (let i = 0; i < len; i++) {
      unitCodes[i] = Math.floor((from + i) / D);
      segCodes[i] = (from + i) % D;
      levelCodes[i] = levels.indexOf(this.segments[segCodes[i]!]!.level);
    }
    const f64 = (c: Placed) => float64Vector(c.values.subarray(from, to), c.valid.subarray(from, to));
    const i64 = (c: Placed) => makeVector(makeData({ type: new Int64(), length: len, nullCount: 0, data: BigInt64Array.from(c.values.subarray(from, to), (x) => BigInt(x)) }));
    const bits = new Uint8Array((len + 7) >> 3);
    for (let i = 0; i < len; i++) if (this.reliable[from + i]) bits[i >> 3]! |= 1 << (i & 7);
    const c = this.cols;
    const columns: Record<string, Vector> = {
      unit: labelVector(unitCodes, this.units),
      level: labelVector(levelCodes, levels, D),
      segment: labelVector(segCodes, this.segments.map((s) => s.segment), D),
      segment_name: labelVector(segCodes, this.segments.map((s) => s.name), D),
      n: i64(c.n),
      pct: f64(c.pct),
      base_n: i64(c.base_n),
      base_pct: f64(c.base_pct),
      penetration: f64(c.penetration),
      index: f64(c.index),
      ci_low: f64(c.ci_low),
      ci_high: f64(c.ci_high),
      ci_level: f64(c.ci_level),
      z: f64(c.z),
      p: f64(this.p),
      p_adjusted: float64Vector(this.pAdjusted.subarray(from, to), this.p.valid.subarray(from, to)),
      flag: labelVector(Int32Array.from(this.flag.subarray(from, to)), FLAGS),
      reliable: makeVector(makeData({ type: new Bool(), length: len, nullCount: 0, data: bits })),
      base: labelVector(unitCodes, this.bases),
      classification: labelVector(new Int32Array(len), [this.classification], 1),
    };
    const rename: Record<string, string> = { urn: 'unit', cluster: 'unit' };
    return new Table(Object.fromEntries(dataColumnsOf(table).map((col) => {
      const v = columns[rename[col.name] ?? col.name];
      if (!v) throw new Error(`internal: ${table.name}.${col.name} is not a profile column`);
      return [col.name, v];
    })));
  }

  /** The whole table in parts of at most `rows` rows. */
  *parts(table: TableDef, rows = PART_ROWS): Generator<Table> {
    for (let from = 0; from < this.rows; from += rows) yield this.part(table, from, Math.min(this.rows, from + rows));
  }
}

