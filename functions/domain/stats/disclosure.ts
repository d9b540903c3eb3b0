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

/** Lines compiled to indices (kept per list of lines where shapeOf says so). */
interface Shape {
  keys: string[];
  index: Map<string, number>;
  lines: { t: number; p: Int32Array }[];
}
const shapes = new WeakMap<readonly Line[], Shape>();

/**
 * The compiled lines, kept for the next table with the same lines when `keep` (a classification's
 * school tables share one list); publishTable does not keep a shape it made, since a school with a
 * map has lines of its own, and 21,500 kept shapes (tens of small typed arrays each) are only work
 * for the collector.
 */
function shapeOf(lines: readonly Line[], keep = true): Shape {
  let s = shapes.get(lines);
  if (s) return s;
  const index = new Map<string, number>();
  const add = (k: string) => index.has(k) || index.set(k, index.size);
  for (const l of lines) {
    add(l.total);
    l.parts.forEach(add);
  }
  // Sweep children's lines before their parents' (reverse of the usual top-down listing) and back:
  // on a tree two sweeps settle it; the loop below still runs to a fixed point.
  s = { keys: [...index.keys()], index, lines: lines.map((l) => ({ t: index.get(l.total)!, p: Int32Array.from(l.parts, (k) => index.get(k)!) })) };
  if (keep) shapes.set(lines, s);
  return s;
}

/** Bounds propagation to a fixed point over compiled lines; lo/hi are updated in place. */
function propagate(shape: Shape, lo: Float64Array, hi: Float64Array): void {
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
  const extra = [...ranges.keys()].filter((k) => !shape.index.has(k));
  const lo = new Float64Array(shape.keys.length);
  const hi = new Float64Array(shape.keys.length).fill(UNBOUNDED);
  for (const [k, [a, b]] of ranges) {
    const i = shape.index.get(k);
    if (i === undefined) continue;
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
  return pinnedIn(shapeOf(table.lines), table, pub, rule);
}

function pinnedIn(shape: Shape, table: CountTable, pub: PublishedTable, rule: RoundingRule): string[] {
  // exactRanges(publishedRanges(pub, rule), table.lines) on the compiled shape's arrays, without
  // the maps in between (the audit runs this for every school, often more than once).
  const lo = new Float64Array(shape.keys.length);
  const hi = new Float64Array(shape.keys.length).fill(UNBOUNDED);
  const extra: [string, number, number][] = [];
  for (const [k, s] of pub.shown) {
    const [a, b] = shownRange(s, rule, pub.base.get(k), pub.underHidden.has(k));
    const i = shape.index.get(k);
    if (i === undefined) extra.push([k, a, b]);
    else {
      lo[i] = a;
      hi[i] = Math.min(UNBOUNDED, b);
    }
  }
  propagate(shape, lo, hi);
  const out: string[] = [];
  const check = (k: string, a: number, b: number) => {
    if (a !== b) return;
    const s = pub.shown.get(k);
    const n = table.counts.get(k) ?? 0;
    if (s === SUPPRESSED || (s === undefined && table.unshown?.has(k) && n > 0 && n < rule.threshold)) out.push(k);
  };
  shape.keys.forEach((k, i) => check(k, lo[i]!, hi[i]! >= UNBOUNDED ? Infinity : hi[i]!));
  for (const [k, a, b] of extra) check(k, a, b);
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
  const shown = new Map<string, Shown>();
  const base = new Map<string, number>();
  for (const [k, n] of table.counts) {
    if (table.unshown?.has(k)) continue;
    shown.set(k, showCount(n, rule));
    base.set(k, rule.base);
  }
  // The breakdown of a hidden count is hidden, zeros included: otherwise its parts' lower bounds
  // (1 for each "c", 0 for each 0) can add up to the threshold − 1 and pin it and all of them.
  const underHidden = new Set<string>();
  const audit = opts.audit ?? true;
  for (let changed = audit; changed; ) {
    changed = false;
    for (const l of table.lines) {
      if (shown.get(l.total) !== SUPPRESSED) continue;
      for (const p of l.parts) {
        if (!shown.has(p) || underHidden.has(p)) continue;
        shown.set(p, SUPPRESSED);
        underHidden.add(p);
        changed = true;
      }
    }
  }
  const pub: PublishedTable = { shown, base, coarsened: [], underHidden, opened: [] };
  if (!audit || rule.base >= COARSE_BASE) return pub;
  // The lines' key order, made only when something is pinned (most schools: never).
  let order: Map<string, number> | undefined;
  const orderOf = (): Map<string, number> => {
    if (order) return order;
    const o = new Map<string, number>();
    for (const l of table.lines) {
      if (!o.has(l.total)) o.set(l.total, o.size);
      for (const k of l.parts) if (!o.has(k)) o.set(k, o.size);
    }
    return (order = o);
  };
  const opened: string[] = [];
  let shape: Shape | undefined;
  for (let guard = 0; guard <= 2 * shown.size + table.lines.length; guard++) {
    shape ??= shapeOf(table.lines, false);
    const pinned = pinnedIn(shape, table, pub, rule);
    if (pinned.length === 0) {
      pub.opened = opened;
      return pub;
    }
    const o = orderOf();
    pinned.sort((a, b) => (o.get(a) ?? 0) - (o.get(b) ?? 0));
    const step = repairFor(pinned[0]!, table, pub, rule);
    if (step === null) throw new UnprotectableError(pinned[0]!);
    if ('coarsen' in step) {
      base.set(step.coarsen, COARSE_BASE);
      shown.set(step.coarsen, showCount(table.counts.get(step.coarsen)!, rule, COARSE_BASE));
      pub.coarsened.push(step.coarsen);
    } else {
      for (const p of step.open.parts) {
        const v = shown.get(p);
        if ((v === 0 || v === SUPPRESSED) && !underHidden.has(p)) {
          shown.set(p, SUPPRESSED);
          underHidden.add(p);
          opened.push(p);
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
 * parts stand for 0 to threshold − 1 ("open" the line: its zeros are shown as c).
 */
function repairFor(pinned: string, table: CountTable, pub: PublishedTable, rule: RoundingRule): { coarsen: string } | { open: Line } | null {
  const canCoarsen = (k: string) => {
    const s = pub.shown.get(k);
    return typeof s === 'number' && s > 0 && (pub.base.get(k) ?? 0) < COARSE_BASE;
  };
  const canOpen = (l: Line) => !l.closed && l.parts.some((p) => (pub.shown.get(p) === 0 || pub.shown.get(p) === SUPPRESSED) && !pub.underHidden.has(p));
  const shownN = (k: string) => numeric(pub.shown.get(k) ?? 0) ?? 0;
  const seenLines = new Set<Line>();
  const seen = new Set<string>([pinned]);
  let frontier = [pinned];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const k of frontier) {
      const lines = [...table.lines.filter((l) => l.parts.includes(k)), ...table.lines.filter((l) => l.total === k)];
      for (const l of lines) {
        if (seenLines.has(l)) continue;
        seenLines.add(l);
        if (canCoarsen(l.total)) return { coarsen: l.total };
        const part = [...l.parts].filter(canCoarsen).sort((a, b) => shownN(b) - shownN(a))[0];
        if (part) return { coarsen: part };
        if (rule.threshold > 1 && canOpen(l)) return { open: l };
        for (const m of [l.total, ...l.parts]) {
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
