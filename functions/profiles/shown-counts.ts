/**
 * One school's counts as a head sees them: every count in its profile document, the identities
 * that link them (documented in docs/disclosure.md, and what the attack test may use), shown
 * under the rounding rule and audited (functions/domain/stats/disclosure.ts). Everything a
 * document says about a school, its own or another's, is computed from these shown counts.
 */
import {
  baseAt,
  compileLines,
  extendShape,
  NOT_SHOWN,
  numeric,
  publishCounts,
  showCount,
  shownOf,
  SHOWN_C,
  UNDER_HIDDEN,
  UnprotectableError,
  type Line,
  type PublishedCounts,
  type PublishedTable,
  type RoundingRule,
  type Shown,
  type TableShape,
} from '../domain/stats/disclosure.ts';
import { RING_COUNT, type ExactSchoolMap } from '../maps/school-map.ts';
import type { GridCell } from '../maps/grid.ts';
import type { Counts } from './compare.ts';
import { LEVEL_ORDER, type Dictionary, type Level } from './dictionary.ts';

/** Exact per-school facts beside the segment counts (from the analysts' school_context). */
export interface SchoolFacts {
  pupils: number;
  classified: number;
  fsm_n: number;
  exact: number;
  terminated: number;
  sector: number;
  unmatched: number;
  invalid: number;
  imd: number[]; // deciles 1..10
  imdUnknown: number;
}

export const MATCH_STATUSES = ['exact', 'terminated', 'sector', 'unmatched', 'invalid'] as const;
// Keys are made once and reused: every school's table, document and head_profile rows look up
// the same few hundred keys, and a key built afresh each time is a new string to hash and collect.
const segmentKeys: Record<Level, Map<string, string>> = { supergroup: new Map(), group: new Map(), subgroup: new Map() };
export const segmentKey = (level: Level, code: string): string => {
  const keys = segmentKeys[level];
  let k = keys.get(code);
  if (k === undefined) keys.set(code, (k = `${level}:${code}`));
  return k;
};
const imdKeys = new Map<number | 'unknown', string>();
export const imdKey = (decile: number | 'unknown'): string => {
  let k = imdKeys.get(decile);
  if (k === undefined) imdKeys.set(decile, (k = `imd:${decile}`));
  return k;
};
/** The map's counts (functions/maps/school-map.ts): pupils per ring, per grid square, and those with no position. */
export const ringKey = (k: number) => `map:ring:${k}`;
export const cellKey = (gridKey: string) => `map:cell:${gridKey}`;
export const UNMAPPED = 'map:unmapped';

/**
 * The map's identities: matched = the rings + not placed; each ring shown as a number = its squares
 * (listed only when they hold a pupil: a closed line). A ring of 1 to threshold − 1 (shown as c)
 * lists no squares, since squares each known to hold one or more would pin it and them.
 */
export function mapLines(map: ExactSchoolMap, rule: RoundingRule, withCells = true): Line[] {
  const lines: Line[] = [{ total: 'matched', parts: [...Array.from({ length: RING_COUNT }, (_, k) => ringKey(k)), UNMAPPED] }];
  if (!withCells) return lines;
  for (let k = 0; k < RING_COUNT; k++) {
    const shown = showCount(map.rings[k]!, rule);
    if (shown === 'c' || shown === 0) continue;
    lines.push({ total: ringKey(k), parts: map.cells.filter((c) => c.ring === k).map((c) => cellKey(c.cell.key)), closed: true });
  }
  return lines;
}

/**
 * The identities of a school's table. A tree: pupils split three ways (classified or not; FSM or
 * not; IMD decile), classified splits two ways (by match status; by supergroup), and each segment
 * into its children.
 */
export function schoolLines(dict: Dictionary): Line[] {
  const lines: Line[] = [
    { total: 'pupils', parts: ['classified', 'unclassified'] },
    { total: 'classified', parts: ['matched', 'sector'] },
    { total: 'matched', parts: ['exact', 'terminated'] },
    { total: 'unclassified', parts: ['unmatched', 'invalid'] },
    { total: 'pupils', parts: ['fsm', 'notFsm'] },
    { total: 'pupils', parts: [...Array.from({ length: 10 }, (_, i) => imdKey(i + 1)), imdKey('unknown')] },
    { total: 'classified', parts: dict.codes.supergroup.map((c) => segmentKey('supergroup', c)) },
  ];
  for (const level of ['group', 'subgroup'] as const) {
    const parentLevel: Level = level === 'group' ? 'supergroup' : 'group';
    for (const parent of dict.codes[parentLevel]) {
      const children = dict.codes[level].filter((c) => dict.parent(level, c) === parent);
      if (children.length) lines.push({ total: segmentKey(parentLevel, parent), parts: children.map((c) => segmentKey(level, c)) });
    }
  }
  return lines;
}

/** Where a school's facts and segments go in the counts of the shape of schoolLines (made once per shape). */
interface SchoolPlan {
  facts: { i: number; of: (f: SchoolFacts) => number }[];
  segments: Record<Level, Int32Array>;
  /** The line each key is a part of (-1: none; the last such line, as a head reads them). */
  parentLine: Int32Array;
}
const plans = new WeakMap<TableShape, SchoolPlan>();
function planOf(shape: TableShape, dict: Dictionary): SchoolPlan {
  let plan = plans.get(shape);
  if (plan) return plan;
  const at = (k: string) => {
    const i = shape.indexOf(k);
    if (i < 0) throw new Error(`internal: ${k} is in no line of the school table`);
    return i;
  };
  const facts: SchoolPlan['facts'] = [
    { i: at('pupils'), of: (f) => f.pupils },
    { i: at('classified'), of: (f) => f.classified },
    { i: at('unclassified'), of: (f) => f.pupils - f.classified },
    { i: at('matched'), of: (f) => f.exact + f.terminated },
    { i: at('fsm'), of: (f) => f.fsm_n },
    { i: at('notFsm'), of: (f) => f.pupils - f.fsm_n },
    ...MATCH_STATUSES.map((st) => ({ i: at(st), of: (f: SchoolFacts) => f[st] })),
    ...Array.from({ length: 10 }, (_, d) => ({ i: at(imdKey(d + 1)), of: (f: SchoolFacts) => f.imd[d]! })),
    { i: at(imdKey('unknown')), of: (f) => f.imdUnknown },
  ];
  const segments = { supergroup: new Int32Array(0), group: new Int32Array(0), subgroup: new Int32Array(0) };
  for (const level of LEVEL_ORDER) segments[level] = Int32Array.from(dict.codes[level], (c) => at(segmentKey(level, c)));
  plan = { facts, segments, parentLine: parentLines(shape) };
  plans.set(shape, plan);
  return plan;
}

function parentLines(shape: TableShape): Int32Array {
  const out = new Int32Array(shape.keys.length).fill(-1);
  shape.lines.forEach((l, li) => l.p.forEach((p) => (out[p] = li)));
  return out;
}

/**
 * The exact counts of a school by key index of its shape (schoolLines' shape, extended by the map's
 * lines when given): facts, segment counts, and the map's rings, unplaced pupils and listed squares.
 */
function schoolCounts(shape: TableShape, plan: SchoolPlan, facts: SchoolFacts, segments: Record<Level, Counts>, dict: Dictionary, map?: ExactSchoolMap): Float64Array {
  const counts = new Float64Array(shape.keys.length).fill(NaN);
  for (const f of plan.facts) counts[f.i] = f.of(facts);
  for (const level of LEVEL_ORDER) {
    const idx = plan.segments[level];
    const codes = dict.codes[level];
    const of = segments[level];
    for (let j = 0; j < idx.length; j++) counts[idx[j]!] = of.get(codes[j]!) ?? 0;
  }
  if (map) {
    map.rings.forEach((n, k) => (counts[shape.indexOf(ringKey(k))] = n));
    counts[shape.indexOf(UNMAPPED)] = map.unmapped;
    for (const c of map.cells) {
      const i = shape.indexOf(cellKey(c.cell.key));
      if (i >= 0) counts[i] = c.n; // listed squares only (those in a line)
    }
  }
  return counts;
}

export interface ShownSchool extends ShownView {
  urn: string;
  /** The school's table published over its shape's key indices (docs/disclosure.md). */
  pub: PublishedCounts;
  /** Exact counts by key index of pub.shape (NaN: none). */
  counts: Float64Array;
  /** The published table as maps by key (what an audit or the attack test reads). */
  published(): PublishedTable;
  /** The shown value of a count ("c", 0 or the rounded number). */
  shown(key: string): Shown;
  segmentShown(level: Level): Shown[];
  /** The shown value as a number for statistics; null for "c". */
  value(key: string): number | null;
  /**
   * The count as it enters anything computed across schools (the base, cluster ranges, similar
   * schools): the shown number; SMALL_AS for a "c"; for a "c" that is part of a total shown as c,
   * that total's value split evenly over its parts. A function of the shown counts only, so such
   * figures reveal nothing a school's own shown counts do not. (In the disclosure-off mode used by
   * the attack test to show what the rule prevents: the exact count.)
   */
  aggregate(key: string): number;
  /** aggregate() of every segment at a level. */
  segmentVector(level: Level): Counts;
  /** aggregate() of every segment at a level, in the dictionary's order of codes. */
  segmentArray(level: Level): Float64Array;
  /** The rounding base of a shown count (the rule's, or 10 where the audit coarsened it). */
  base(key: string): number;
  /** The school's map, exact, and the squares listed (shown) on it; null without a map. */
  map: { exact: ExactSchoolMap; listed: ReadonlySet<string>; squares: boolean } | null;
}

/** What a document reads of a school's map: its centre, and its squares' places and rings. */
export interface MapView {
  exact: { centre: { x: number; y: number }; cells: readonly { cell: Pick<GridCell, 'key' | 'x' | 'y' | 'size'>; ring: number }[] };
  listed: ReadonlySet<string>;
  squares: boolean;
}

/** What a school's document reads of its shown counts: a ShownSchool, or one unpacked in a document thread (packShown). */
export interface ShownView {
  shown(key: string): Shown;
  /** shown() of every segment at a level, in the dictionary's order of codes (what a document's rows read). */
  segmentShown(level: Level): Shown[];
  value(key: string): number | null;
  base(key: string): number;
  pub: { coarsened: readonly string[]; opened: readonly string[] };
  map: MapView | null;
}

/**
 * A ShownView as compact plain data (what a document thread is sent, 21,500 times at England
 * scale): the shown values of the keys every school has (`keys`, sent once) in their order, the
 * others by key; bases only where not the rule's; of the map, the listed squares alone.
 */
export interface PackedShown {
  values: Shown[];
  others: [string, Shown][];
  bases: [string, number][];
  ruleBase: number;
  coarsened: string[];
  opened: string[];
  /** centre x, y, then x, y, size, ring of each listed square; null: no map. */
  map: { squares: boolean; keys: string[]; numbers: number[] } | null;
}

/** The keys of a school's shown counts that are in every school's table (all but the map's), in table order. */
export const commonShownKeys = (s: ShownSchool): string[] => s.pub.shape.keys.filter((k, i) => s.pub.shown[i] !== NOT_SHOWN && !k.startsWith('map:'));

/** packShown for schools whose common keys are `keys`. */
export function shownPacker(keys: readonly string[]): (s: ShownSchool, rule: RoundingRule) => PackedShown {
  const common = new Set(keys);
  return (s, rule) => packShown(s, rule, keys, common);
}

export function packShown(s: ShownSchool, rule: RoundingRule, keys: readonly string[], common: ReadonlySet<string> = new Set(keys)): PackedShown {
  const values = keys.map((k) => s.shown(k));
  const { shape, shown } = s.pub;
  const others: [string, Shown][] = [];
  const bases: [string, number][] = [];
  shape.keys.forEach((k, i) => {
    if (shown[i] === NOT_SHOWN) return;
    if (!common.has(k)) others.push([k, shownOf(shown[i]!)]);
    const b = baseAt(s.pub, i)!;
    if (b !== rule.base) bases.push([k, b]);
  });
  let map: PackedShown['map'] = null;
  if (s.map) {
    const listedKeys: string[] = [];
    const numbers = [s.map.exact.centre.x, s.map.exact.centre.y];
    for (const c of s.map.exact.cells) {
      if (!s.map.listed.has(cellKey(c.cell.key))) continue;
      listedKeys.push(c.cell.key);
      numbers.push(c.cell.x, c.cell.y, c.cell.size, c.ring);
    }
    map = { squares: s.map.squares, keys: listedKeys, numbers };
  }
  return { values, others, bases, ruleBase: rule.base, coarsened: s.pub.coarsened, opened: s.pub.opened, map };
}

/** The view of packed shown counts: the same answers, to everything a document reads, as the ShownSchool it was packed from. */
export function shownView(p: PackedShown, keys: readonly string[], dict: Dictionary): ShownView {
  const values = new Map<string, Shown>();
  keys.forEach((k, i) => {
    if (p.values[i] !== undefined) values.set(k, p.values[i]!);
  });
  for (const [k, v] of p.others) values.set(k, v);
  const bases = new Map(p.bases);
  const shown = (key: string): Shown => {
    const v = values.get(key);
    if (v === undefined) throw new Error(`internal: no shown count ${key}`);
    return v;
  };
  let map: MapView | null = null;
  if (p.map) {
    const n = p.map.numbers;
    const cells = p.map.keys.map((key, i) => ({ cell: { key, x: n[2 + 4 * i]!, y: n[3 + 4 * i]!, size: n[4 + 4 * i]! }, ring: n[5 + 4 * i]! }));
    map = { exact: { centre: { x: n[0]!, y: n[1]! }, cells }, listed: new Set(p.map.keys.map(cellKey)), squares: p.map.squares };
  }
  return {
    shown,
    segmentShown: (level) => dict.codes[level].map((c) => shown(segmentKey(level, c))),
    value: (key) => numeric(shown(key)),
    base: (key) => bases.get(key) ?? p.ruleBase,
    pub: { coarsened: p.coarsened, opened: p.opened },
    map,
  };
}

/** What a "c" counts as in figures across schools: about the average of the counts it hides (2 for the default threshold). */
export const smallAs = (rule: RoundingRule) => Math.floor(rule.threshold / 2);

export type DisclosureMode = 'on' | 'off';

/**
 * Show one school's counts (rule, audit, repair). Mode 'off' shows exact counts (c for 1 to 4
 * only, no audit) and aggregates exact counts: the design switched off, for the attack test.
 * Counts and shown values are typed arrays over the shape of `baseLines` (shared by every school),
 * extended by the school's map lines: nothing per school is keyed by string.
 */
export function showSchool(
  urn: string,
  facts: SchoolFacts,
  segments: Record<Level, Counts>,
  dict: Dictionary,
  rule: RoundingRule,
  baseLines = schoolLines(dict),
  mode: DisclosureMode = 'on',
  map?: ExactSchoolMap,
): ShownSchool {
  const shownRule = mode === 'on' ? rule : { threshold: rule.threshold, base: 1 };
  const baseShape = compileLines(baseLines);
  const plan = planOf(baseShape, dict);
  const notFsm = baseShape.indexOf('notFsm');
  const publish = (withCells: boolean) => {
    const mapped = map ? mapLines(map, rule, withCells) : [];
    const shape = extendShape(baseShape, mapped);
    const counts = schoolCounts(shape, plan, facts, segments, dict, map);
    const unshown = new Uint8Array(shape.keys.length);
    unshown[notFsm] = 1;
    return { mapped, counts, pub: publishCounts(shape, counts, unshown, shownRule, { audit: mode === 'on' }) };
  };
  let published: ReturnType<typeof publish>;
  let squares = true;
  try {
    published = publish(true);
  } catch (e) {
    // Squares are listed only when they hold a pupil, so their lines cannot be opened: where
    // nothing else can be widened, the map shows the rings alone.
    if (!(map && e instanceof UnprotectableError)) throw e;
    published = publish(false);
    squares = false;
  }
  const { mapped, counts, pub } = published;
  const { shape } = pub;
  const listed = new Set(mapped.flatMap((l) => (l.closed ? l.parts : [])));

  const at = (key: string): number => {
    const i = shape.indexOf(key);
    if (i < 0 || pub.shown[i] === NOT_SHOWN) throw new Error(`internal: no shown count ${key}`);
    return i;
  };
  const shown = (key: string): Shown => shownOf(pub.shown[at(key)]!);
  // Made only for a school with a c under a hidden total in its map lines (most have none).
  let parents: Int32Array | undefined;
  const parentOf = (i: number) => (i < plan.parentLine.length && shape.lines.length === baseShape.lines.length ? plan.parentLine[i]! : (parents ??= parentLines(shape))[i]!);
  const small = smallAs(rule);
  const aggregateAt = (i: number): number => {
    const s = pub.shown[i]!;
    if (s === NOT_SHOWN) throw new Error(`internal: no shown count ${shape.keys[i]}`);
    if (s !== SHOWN_C) return s;
    const li = pub.flags[i]! & UNDER_HIDDEN ? parentOf(i) : -1;
    if (li < 0) return small;
    const line = shape.lines[li]!;
    return aggregateAt(line.t) / line.p.length;
  };
  const aggregate = (key: string): number => {
    if (mode === 'off') {
      const i = shape.indexOf(key);
      return i < 0 || counts[i] !== counts[i] ? 0 : counts[i]!;
    }
    return aggregateAt(at(key));
  };
  const segmentArray = (level: Level): Float64Array => {
    const idx = plan.segments[level];
    const out = new Float64Array(idx.length);
    for (let j = 0; j < idx.length; j++) out[j] = mode === 'off' ? counts[idx[j]!]! : aggregateAt(idx[j]!);
    return out;
  };
  return {
    urn,
    pub,
    counts,
    published: () => {
      const m = { shown: new Map<string, Shown>(), base: new Map<string, number>(), coarsened: pub.coarsened, underHidden: new Set<string>(), opened: pub.opened };
      shape.keys.forEach((k, i) => {
        if (pub.shown[i] === NOT_SHOWN) return;
        m.shown.set(k, shownOf(pub.shown[i]!));
        m.base.set(k, baseAt(pub, i)!);
        if (pub.flags[i]! & UNDER_HIDDEN) m.underHidden.add(k);
      });
      return m;
    },
    shown,
    segmentShown: (level) => {
      const idx = plan.segments[level];
      const out = new Array<Shown>(idx.length);
      for (let j = 0; j < idx.length; j++) {
        const v = pub.shown[idx[j]!]!;
        if (v === NOT_SHOWN) throw new Error(`internal: no shown count ${shape.keys[idx[j]!]}`);
        out[j] = shownOf(v);
      }
      return out;
    },
    value: (key) => numeric(shown(key)),
    aggregate,
    segmentVector: (level) => {
      const v = segmentArray(level);
      return new Map(dict.codes[level].map((c, j) => [c, v[j]!]));
    },
    segmentArray,
    base: (key) => {
      const i = shape.indexOf(key);
      return i < 0 ? rule.base : (baseAt(pub, i) ?? rule.base);
    },
    map: map ? { exact: map, listed, squares } : null,
  };
}
