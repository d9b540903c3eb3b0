/**
 * Statistical disclosure control for what heads see (the design and its argument are in
 * docs/disclosure.md). Three pieces, all pure:
 *
 * 1. The rule for one count (`showCount`): 0 is shown as 0 (none), 1 to threshold − 1 as "c"
 *    (fewer than the threshold), and every other count rounded to the nearest multiple of 5
 *    (halves up), never below the threshold. Statistics are then worked out from the shown counts,
 *    so nothing shown carries more than the counts do. `shownRange` is the documented meaning of a
 *    shown value: the exact counts it can stand for, what an attacker may use.
 *
 * 2. An exact audit (`exactRanges`). A table's published identities (a total is the sum of its
 *    parts) can narrow what a shown value stands for: with rounding alone, a group of 7 shown as 5
 *    with one subgroup of 5 shown as 5 and two shown as c leaves the two c's summing to at most 2,
 *    so both are 1. catchment's identities form a tree (every count is in at most one line as a
 *    part, lines share at most one count, no cycles), and on a tree of sum constraints over integer
 *    intervals, propagating bounds to a fixed point gives the exact range of every count (bounds
 *    consistency is global consistency on a Berge-acyclic network, and sums of integer intervals
 *    are integer intervals). The attack test checks the same ranges with an independent
 *    integer-programming solver.
 *
 *    The breakdown of a count shown as c is shown as c throughout, zeros included (a c among
 *    them may then be 0), since c parts each known to be at least 1 could otherwise add up to it.
 *
 * 3. The repair (`publishTable`). Where the audit finds a protected count (one shown as c, or a
 *    hidden count such as "not eligible for FSM" that is 1 to threshold − 1) that could be worked
 *    out exactly, the shown total of its line is rounded to 10 instead of 5 (a wider range), and
 *    the audit runs again, until nothing is pinned. No count is ever hidden to protect another
 *    (no secondary suppression), so nothing of 5 or more is hidden.
 */

export interface RoundingRule {
  /** Counts 1 to threshold − 1 are shown as "c". Default 5. */
  threshold: number;
  /** Other counts are rounded to a multiple of this. Default 5; 1 switches rounding off. */
  base: number;
}

export const DEFAULT_RULE: RoundingRule = { threshold: 5, base: 5 };
/** The base a line's total is rounded to when rounding to `base` would let a hidden count be worked out. */
export const COARSE_BASE = 10;

export type Shown = number | 'c';
export const SUPPRESSED = 'c';

export function checkRule(rule: RoundingRule): void {
  if (!(Number.isInteger(rule.threshold) && rule.threshold >= 1)) throw new RangeError(`threshold must be an integer ≥ 1, got ${rule.threshold}`);
  if (!(Number.isInteger(rule.base) && rule.base >= 1)) throw new RangeError(`rounding base must be an integer ≥ 1, got ${rule.base}`);
}

/** The smallest value a count of threshold or more is shown as. */
const smallestShown = (threshold: number, base: number) => Math.ceil(threshold / base) * base;

/** A count as shown under the rule, rounded to `base` (the rule's own base unless coarsened). */
export function showCount(x: number, rule: RoundingRule = DEFAULT_RULE, base = rule.base): Shown {
  if (!(Number.isInteger(x) && x >= 0)) throw new RangeError(`count must be a non-negative integer, got ${x}`);
  if (x === 0) return 0;
  if (x < rule.threshold) return SUPPRESSED;
  return Math.max(smallestShown(rule.threshold, base), base * Math.floor(x / base + 0.5));
}

/**
 * The exact counts a shown value can stand for, [low, high] (what the attack test assumes). A "c"
 * that stands for part of a total itself shown as "c" may be 0 (`underHidden`).
 */
export function shownRange(s: Shown, rule: RoundingRule = DEFAULT_RULE, base = rule.base, underHidden = false): [number, number] {
  if (s === SUPPRESSED) return [underHidden ? 0 : 1, rule.threshold - 1];
  if (s === 0) return [0, 0];
  const low = s === smallestShown(rule.threshold, base) ? rule.threshold : Math.ceil(s - base / 2);
  return [low, Math.ceil(s + base / 2) - 1];
}

/** A count as shown, or undefined when not shown ("c" counts as shown). For statistics: null when c. */
export const numeric = (s: Shown): number | null => (s === SUPPRESSED ? null : s);

// ---------------------------------------------------------------------------------------------
// The audit
// ---------------------------------------------------------------------------------------------

/** One published identity: `total` is the sum of `parts`. */
export interface Line {
  total: string;
  parts: readonly string[];
  /**
   * The parts are listed only when they are not 0 (map squares holding a pupil), so a part shown
   * as c is known to be 1 or more and the repair cannot let it stand for 0 ("open" the line).
   */
  closed?: boolean;
}

/** Larger than any count; stands for "no upper bound" without Infinity − Infinity = NaN. */
const UNBOUNDED = 1e12;

/**
 * Lines compiled to indices: `keys` are the lines' keys in order of first appearance (total before
 * its parts, line after line), each line its total's index and its parts' indices. A shape may
 * extend another (`extend`): its keys and lines follow the other's, so a school's map lines are
 * added to the shared school lines without copying them.
 */
export interface TableShape {
  readonly keys: readonly string[];
  readonly lines: readonly CompiledLine[];
  /** The index of a key, or -1 when not in the lines. */
  indexOf(key: string): number;
}
interface CompiledLine {
  t: number;
  p: Int32Array;
  closed: boolean;
}
class Shape implements TableShape {
  readonly keys: string[];
  readonly lines: CompiledLine[];
  private readonly index: Map<string, number>;
  constructor(
    added: readonly Line[],
    private readonly under: Shape | null,
    extraKeys: readonly string[] = [],
  ) {
    this.keys = under ? [...under.keys] : [];
    this.index = new Map();
    const add = (k: string) => {
      if (this.indexOf(k) < 0) {
        this.index.set(k, this.keys.length);
        this.keys.push(k);
      }
    };
    for (const l of added) {
      add(l.total);
      l.parts.forEach(add);
    }
    extraKeys.forEach(add);
    const compiled = added.map((l) => ({ t: this.indexOf(l.total), p: Int32Array.from(l.parts, (k) => this.indexOf(k)), closed: l.closed === true }));
    this.lines = under ? [...under.lines, ...compiled] : compiled;
  }
  indexOf(key: string): number {
    const i = this.under?.indexOf(key) ?? -1;
    return i >= 0 ? i : (this.index.get(key) ?? -1);
  }
}
const shapes = new WeakMap<readonly Line[], Shape>();

/**
 * The compiled lines, kept for the next table with the same lines when `keep` (a classification's
 * school tables share one list); a table with lines of its own beside shared ones (a school's map)
 * extends the shared shape (`extendShape`) rather than being compiled whole.
 */
function shapeOf(lines: readonly Line[], keep = true): Shape {
  let s = shapes.get(lines);
  if (s) return s;
  s = new Shape(lines, null);
  if (keep) shapes.set(lines, s);
  return s;
}

/** The shape of `lines` (compiled once per list and kept). */
export const compileLines = (lines: readonly Line[]): TableShape => shapeOf(lines);

/** `shape` (from compileLines or extendShape) with further lines after its own. */
export const extendShape = (shape: TableShape, more: readonly Line[]): TableShape => (more.length ? new Shape(more, shape as Shape) : shape);

/** Bounds propagation to a fixed point over compiled lines; lo/hi are updated in place. */
function propagate(shape: TableShape, lo: Float64Array, hi: Float64Array): void {
  const L = shape.lines;
  const tighten = (i: number, a: number, b: number): boolean => {
    let changed = false;
    if (a > lo[i]) {
      lo[i] = a;
      changed = true;
    }
    if (b < hi[i]) {
      hi[i] = b;
      changed = true;
    }
    if (lo[i] > hi[i]) throw new Error(`internal: inconsistent published ranges at ${shape.keys[i]}`);
    return changed;
  };
  const sweep = (k: number): boolean => {
    const { t, p } = L[k];
    let sLo = 0;
    let sHi = 0;
    for (let j = 0; j < p.length; j++) {
      sLo += lo[p[j]];
      sHi += hi[p[j]];
    }
    let changed = tighten(t, sLo, Math.min(UNBOUNDED, sHi));
    for (let j = 0; j < p.length; j++) {
      const i = p[j];
      if (tighten(i, lo[t] - (sHi - hi[i]), hi[t] - (sLo - lo[i]))) changed = true;
    }
    return changed;
  };
  for (let round = 0; ; round++) {
    if (round > 4 * shape.keys.length + 10) throw new Error('internal: bounds propagation did not settle');
    let changed = false;
    for (let k = L.length - 1; k >= 0; k--) if (sweep(k)) changed = true;
    for (let k = 0; k < L.length; k++) if (sweep(k)) changed = true;
    if (!changed) return;
  }
}

/**
 * Exact ranges of every count given each count's own range (`ranges`; a count missing from it is
 * unknown, [0, ∞)) and the lines. Exact when the lines form a tree (see the module comment); on
 * other structures the ranges are still valid, only possibly wider than the true ones.
 * Throws if the ranges are inconsistent (no table satisfies them), which means a bug upstream.
 */
export function exactRanges(ranges: ReadonlyMap<string, readonly [number, number]>, lines: readonly Line[]): Map<string, [number, number]> {
  const shape = shapeOf(lines);
  const extra = [...ranges.keys()].filter((k) => shape.indexOf(k) < 0);
  const lo = new Float64Array(shape.keys.length);
  const hi = new Float64Array(shape.keys.length).fill(UNBOUNDED);
  for (const [k, [a, b]] of ranges) {
    const i = shape.indexOf(k);
    if (i < 0) continue;
    lo[i] = a;
    hi[i] = Math.min(UNBOUNDED, b);
  }
  propagate(shape, lo, hi);
  const out = new Map<string, [number, number]>(shape.keys.map((k, i) => [k, [lo[i], hi[i] >= UNBOUNDED ? Infinity : hi[i]]]));
  for (const k of extra) out.set(k, [ranges.get(k)![0], ranges.get(k)![1]]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Publishing one table
// ---------------------------------------------------------------------------------------------

export interface CountTable {
  /** Exact counts by key. */
  counts: ReadonlyMap<string, number>;
  /** The table's published identities. */
  lines: readonly Line[];
  /** Counts that are not shown at all but are protected when small (e.g. pupils not eligible for FSM). */
  unshown?: ReadonlySet<string>;
}

export interface PublishedTable {
  /** What is shown for each shown count. */
  shown: Map<string, Shown>;
  /** Rounding base of each shown count: rule.base, or COARSE_BASE where the audit needed it. */
  base: Map<string, number>;
  /** Counts rounded to COARSE_BASE by the repair, in the order they were coarsened. */
  coarsened: string[];
  /** Counts shown as "c" that may stand for 0: parts of a total shown as c, and parts of lines the repair opened. */
  underHidden: Set<string>;
  /** The counts the repair opened (beyond the parts of totals shown as c), in order. */
  opened: string[];
}

/** The ranges an attacker may assume for a published table (unshown counts: unknown). */
export function publishedRanges(pub: PublishedTable, rule: RoundingRule): Map<string, [number, number]> {
  return new Map([...pub.shown].map(([k, s]) => [k, shownRange(s, rule, pub.base.get(k), pub.underHidden.has(k))]));
}

/** Protected counts that the published table pins to one value (none, after publishTable). */
export function pinnedCounts(table: CountTable, pub: PublishedTable, rule: RoundingRule): string[] {
  const lineShape = shapeOf(table.lines);
  const shape = withExtras(lineShape, pub.shown.keys());
  const counts = countsArray(shape, table.counts);
  const shown = new Float64Array(shape.keys.length).fill(NOT_SHOWN);
  const flags = new Uint8Array(shape.keys.length);
  for (const [k, s] of pub.shown) {
    const i = shape.indexOf(k);
    shown[i] = s === SUPPRESSED ? SHOWN_C : s;
    if (pub.underHidden.has(k)) flags[i] = UNDER_HIDDEN;
  }
  const unshown = unshownArray(shape, table.unshown);
  const pinned = pinnedAt(shape, counts, unshown, shown, flags, (i) => pub.base.get(shape.keys[i]!) ?? rule.base, rule);
  return pinned.map((i) => shape.keys[i]!);
}

// Shown values as numbers (PublishedCounts.shown): a count shown as a number is itself.
/** Shown as "c". */
export const SHOWN_C = -1;
/** Not shown (an unshown count, or a key of the lines with no count). */
export const NOT_SHOWN = -2;
/** PublishedCounts.flags: a "c" that may stand for 0 (underHidden). */
export const UNDER_HIDDEN = 1;
/** PublishedCounts.flags: rounded to COARSE_BASE by the repair. */
export const COARSENED = 2;

/** A shown value from its number (PublishedCounts.shown). */
export const shownOf = (v: number): Shown => (v === SHOWN_C ? SUPPRESSED : v);

/**
 * A table published over its shape's key indices (what publishTable returns as maps): the form a
 * caller publishing thousands of tables with the same lines keeps, one typed array per table.
 */
export interface PublishedCounts {
  readonly shape: TableShape;
  /** By key index: the shown number, SHOWN_C or NOT_SHOWN. */
  readonly shown: Float64Array;
  /** By key index: UNDER_HIDDEN and COARSENED bits. */
  readonly flags: Uint8Array;
  /** The rule's base: every shown count's rounding base but those COARSENED. */
  readonly ruleBase: number;
  /** As PublishedTable's. */
  readonly coarsened: string[];
  readonly opened: string[];
}

/** The rounding base of a shown count (undefined when not shown). */
export function baseAt(pub: PublishedCounts, i: number): number | undefined {
  if (pub.shown[i] === NOT_SHOWN) return undefined;
  return pub.flags[i]! & COARSENED ? COARSE_BASE : pub.ruleBase;
}

/** A shape with `keys` not in its lines added after them (counts no line mentions). */
function withExtras(shape: Shape, keys: Iterable<string>): Shape {
  const extras: string[] = [];
  for (const k of keys) if (shape.indexOf(k) < 0) extras.push(k);
  return extras.length ? new Shape([], shape, extras) : shape;
}

/** Counts by key index (NaN where the table has none). */
function countsArray(shape: TableShape, counts: ReadonlyMap<string, number>): Float64Array {
  const out = new Float64Array(shape.keys.length).fill(NaN);
  for (const [k, n] of counts) {
    const i = shape.indexOf(k);
    if (i >= 0) out[i] = n;
  }
  return out;
}

function unshownArray(shape: TableShape, unshown: ReadonlySet<string> | undefined): Uint8Array | null {
  if (!unshown?.size) return null;
  const out = new Uint8Array(shape.keys.length);
  for (const k of unshown) {
    const i = shape.indexOf(k);
    if (i >= 0) out[i] = 1;
  }
  return out;
}

/** The key indices of protected counts pinned to one value by the shown values (ascending). */
function pinnedAt(shape: TableShape, counts: Float64Array, unshown: Uint8Array | null, shown: Float64Array, flags: Uint8Array, baseOf: (i: number) => number, rule: RoundingRule): number[] {
  // exactRanges(publishedRanges(pub, rule), lines) on the shape's arrays, without maps in between
  // (the audit runs this for every school, often more than once).
  const n = shape.keys.length;
  const lo = new Float64Array(n);
  const hi = new Float64Array(n).fill(UNBOUNDED);
  for (let i = 0; i < n; i++) {
    const s = shown[i]!;
    if (s === NOT_SHOWN) continue;
    const [a, b] = shownRange(shownOf(s), rule, baseOf(i), (flags[i]! & UNDER_HIDDEN) !== 0);
    lo[i] = a;
    hi[i] = Math.min(UNBOUNDED, b);
  }
  propagate(shape, lo, hi);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (lo[i] !== hi[i]) continue;
    const s = shown[i]!;
    const c = counts[i]! || 0; // NaN: no count
    if (s === SHOWN_C || (s === NOT_SHOWN && unshown !== null && unshown[i] === 1 && c > 0 && c < rule.threshold)) out.push(i);
  }
  return out;
}

/** A protected count the repair cannot widen any further (a caller may then show less, e.g. drop a breakdown). */
export class UnprotectableError extends Error {
  constructor(readonly key: string) {
    super(`disclosure: cannot protect ${key} (nothing left to widen in its lines)`);
    this.name = 'UnprotectableError';
  }
}

/**
 * Show every count of a table under the rule, then audit and repair until no protected count is
 * pinned (module comment, step 3). `audit: false` skips the breakdown rule and the repair (the
 * design switched off, for the attack test only). Deterministic: pinned counts are repaired in key order of the
 * table's lines, each by coarsening the shown total of the first line (parts before totals) that
 * contains it and still has a count rounded to the rule's base.
 */
export function publishTable(table: CountTable, rule: RoundingRule = DEFAULT_RULE, opts: { audit?: boolean } = {}): PublishedTable {
  checkRule(rule);
  const lineShape = shapeOf(table.lines, false);
  const shape = withExtras(lineShape, table.counts.keys());
  const pub = publishCounts(shape, countsArray(shape, table.counts), unshownArray(shape, table.unshown), rule, opts, lineShape.keys.length);
  const shown = new Map<string, Shown>();
  const base = new Map<string, number>();
  const underHidden = new Set<string>();
  for (const k of table.counts.keys()) {
    const i = shape.indexOf(k);
    if (pub.shown[i] === NOT_SHOWN) continue;
    shown.set(k, shownOf(pub.shown[i]!));
    base.set(k, baseAt(pub, i)!);
  }
  shape.keys.forEach((k, i) => pub.flags[i]! & UNDER_HIDDEN && underHidden.add(k));
  return { shown, base, coarsened: pub.coarsened, underHidden, opened: pub.opened };
}

/**
 * publishTable over a shape's key indices: `counts` by key index (NaN: no count), `unshown` 1 for
 * a count not shown. `lineKeys`: the keys before it are in the lines (the repair's order puts the
 * others first).
 */
export function publishCounts(shape: TableShape, counts: Float64Array, unshown: Uint8Array | null, rule: RoundingRule = DEFAULT_RULE, opts: { audit?: boolean } = {}, lineKeys = shape.keys.length): PublishedCounts {
  checkRule(rule);
  const n = shape.keys.length;
  const shown = new Float64Array(n);
  const flags = new Uint8Array(n);
  let shownCount = 0;
  for (let i = 0; i < n; i++) {
    const c = counts[i]!;
    if (c !== c || (unshown !== null && unshown[i] === 1)) shown[i] = NOT_SHOWN;
    else {
      const s = showCount(c, rule);
      shown[i] = s === SUPPRESSED ? SHOWN_C : s;
      shownCount++;
    }
  }
  const L = shape.lines;
  // The breakdown of a hidden count is hidden, zeros included: otherwise its parts' lower bounds
  // (1 for each "c", 0 for each 0) can add up to the threshold − 1 and pin it and all of them.
  const audit = opts.audit ?? true;
  for (let changed = audit; changed; ) {
    changed = false;
    for (const l of L) {
      if (shown[l.t] !== SHOWN_C) continue;
      for (const p of l.p) {
        if (shown[p] === NOT_SHOWN || flags[p]! & UNDER_HIDDEN) continue;
        shown[p] = SHOWN_C;
        flags[p] = flags[p]! | UNDER_HIDDEN;
        changed = true;
      }
    }
  }
  const pub: PublishedCounts = { shape, shown, flags, ruleBase: rule.base, coarsened: [], opened: [] };
  if (!audit || rule.base >= COARSE_BASE) return pub;
  const baseOf = (i: number) => (flags[i]! & COARSENED ? COARSE_BASE : rule.base);
  const orderKey = (i: number) => (i < lineKeys ? i : 0);
  for (let guard = 0; guard <= 2 * shownCount + L.length; guard++) {
    const pinned = pinnedAt(shape, counts, unshown, shown, flags, baseOf, rule);
    if (pinned.length === 0) return pub;
    if (lineKeys < n) pinned.sort((a, b) => orderKey(a) - orderKey(b));
    const step = repairAt(pinned[0]!, pub, rule);
    if (step === null) throw new UnprotectableError(shape.keys[pinned[0]!]!);
    if ('coarsen' in step) {
      const i = step.coarsen;
      flags[i] = flags[i]! | COARSENED;
      const s = showCount(counts[i]!, rule, COARSE_BASE);
      shown[i] = s === SUPPRESSED ? SHOWN_C : s;
      pub.coarsened.push(shape.keys[i]!);
    } else {
      for (const p of L[step.open]!.p) {
        const v = shown[p];
        if ((v === 0 || v === SHOWN_C) && !(flags[p]! & UNDER_HIDDEN)) {
          shown[p] = SHOWN_C;
          flags[p] = flags[p]! | UNDER_HIDDEN;
          pub.opened.push(shape.keys[p]!);
        }
      }
    }
  }
  throw new Error('internal: disclosure repair did not settle');
}

/**
 * The next widening for a pinned count, looking outwards from it line by line: in each line, round
 * its total to 10, else round its largest part still at the rule's base to 10, else (when the pin
 * comes from parts that are each known to be at least 1, or exactly 0) let the line's c and 0
 * parts stand for 0 to threshold − 1 ("open" the line: its zeros are shown as c). Returns a key
 * index to coarsen or a line index to open.
 */
function repairAt(pinned: number, pub: PublishedCounts, rule: RoundingRule): { coarsen: number } | { open: number } | null {
  const { shown, flags } = pub;
  const L = pub.shape.lines;
  const canCoarsen = (i: number) => shown[i]! > 0 && !(flags[i]! & COARSENED);
  const canOpen = (l: CompiledLine) => !l.closed && l.p.some((p) => (shown[p] === 0 || shown[p] === SHOWN_C) && !(flags[p]! & UNDER_HIDDEN));
  const shownN = (i: number) => (shown[i]! > 0 ? shown[i]! : 0);
  const seenLines = new Set<number>();
  const seen = new Set<number>([pinned]);
  let frontier = [pinned];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const k of frontier) {
      const lines: number[] = [];
      L.forEach((l, li) => l.p.includes(k) && lines.push(li));
      L.forEach((l, li) => l.t === k && lines.push(li));
      for (const li of lines) {
        if (seenLines.has(li)) continue;
        seenLines.add(li);
        const l = L[li]!;
        if (canCoarsen(l.t)) return { coarsen: l.t };
        // The largest part that can be coarsened (the first of equals).
        let part = -1;
        for (const p of l.p) if (canCoarsen(p) && (part < 0 || shownN(p) > shownN(part))) part = p;
        if (part >= 0) return { coarsen: part };
        if (rule.threshold > 1 && canOpen(l)) return { open: li };
        for (const m of [l.t, ...l.p]) {
          if (seen.has(m)) continue;
          seen.add(m);
          next.push(m);
        }
      }
    }
    frontier = next;
  }
  return null;
}
