/**
 * One school's counts as a head sees them: every count in its profile document, the identities
 * that link them (documented in docs/disclosure.md, and what the attack test may use), shown
 * under the rounding rule and audited (functions/domain/stats/disclosure.ts). Everything a
 * document says about a school, its own or another's, is computed from these shown counts.
 */
import { publishTable, numeric, showCount, UnprotectableError, type CountTable, type Line, type PublishedTable, type RoundingRule, type Shown } from '../domain/stats/disclosure.ts';
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

/** The exact table: facts and segment counts keyed as in schoolLines (and the map's, when given). */
export function schoolCountTable(facts: SchoolFacts, segments: Record<Level, Counts>, dict: Dictionary, lines = schoolLines(dict), map?: ExactSchoolMap): CountTable {
  const counts = new Map<string, number>([
    ['pupils', facts.pupils],
    ['classified', facts.classified],
    ['unclassified', facts.pupils - facts.classified],
    ['matched', facts.exact + facts.terminated],
    ['fsm', facts.fsm_n],
    ['notFsm', facts.pupils - facts.fsm_n],
  ]);
  for (const s of MATCH_STATUSES) counts.set(s, facts[s]);
  facts.imd.forEach((n, i) => counts.set(imdKey(i + 1), n));
  counts.set(imdKey('unknown'), facts.imdUnknown);
  for (const level of LEVEL_ORDER) for (const code of dict.codes[level]) counts.set(segmentKey(level, code), segments[level].get(code) ?? 0);
  if (map) {
    map.rings.forEach((n, k) => counts.set(ringKey(k), n));
    counts.set(UNMAPPED, map.unmapped);
    const listed = new Set(lines.flatMap((l) => (l.closed ? l.parts : [])));
    for (const c of map.cells) if (listed.has(cellKey(c.cell.key))) counts.set(cellKey(c.cell.key), c.n);
  }
  return { counts, lines, unshown: new Set(['notFsm']) };
}

export interface ShownSchool extends ShownView {
  urn: string;
  table: CountTable;
  pub: PublishedTable;
  /** The shown value of a count ("c", 0 or the rounded number). */
  shown(key: string): Shown;
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
export const commonShownKeys = (s: ShownSchool): string[] => [...s.pub.shown.keys()].filter((k) => !k.startsWith('map:'));

/** packShown for schools whose common keys are `keys`. */
export function shownPacker(keys: readonly string[]): (s: ShownSchool, rule: RoundingRule) => PackedShown {
  const common = new Set(keys);
  return (s, rule) => packShown(s, rule, keys, common);
}

export function packShown(s: ShownSchool, rule: RoundingRule, keys: readonly string[], common: ReadonlySet<string> = new Set(keys)): PackedShown {
  const values = keys.map((k) => s.pub.shown.get(k)!);
  const others: [string, Shown][] = [];
  for (const [k, v] of s.pub.shown) if (!common.has(k)) others.push([k, v]);
  const bases: [string, number][] = [];
  for (const [k, b] of s.pub.base) if (b !== rule.base) bases.push([k, b]);
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
export function shownView(p: PackedShown, keys: readonly string[]): ShownView {
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
  return { shown, value: (key) => numeric(shown(key)), base: (key) => bases.get(key) ?? p.ruleBase, pub: { coarsened: p.coarsened, opened: p.opened }, map };
}

/** What a "c" counts as in figures across schools: about the average of the counts it hides (2 for the default threshold). */
export const smallAs = (rule: RoundingRule) => Math.floor(rule.threshold / 2);

const lineOfPart = new WeakMap<readonly Line[], Map<string, Line>>();
function partLines(lines: readonly Line[]): Map<string, Line> {
  let m = lineOfPart.get(lines);
  if (!m) {
    m = new Map();
    for (const l of lines) for (const p of l.parts) m.set(p, l);
    lineOfPart.set(lines, m);
  }
  return m;
}

export type DisclosureMode = 'on' | 'off';

/**
 * Show one school's counts (rule, audit, repair). Mode 'off' shows exact counts (c for 1 to 4
 * only, no audit) and aggregates exact counts: the design switched off, for the attack test.
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
  const publish = (withCells: boolean) => {
    const lines = map ? [...baseLines, ...mapLines(map, rule, withCells)] : baseLines;
    const table = schoolCountTable(facts, segments, dict, lines, map);
    return { lines, table, pub: publishTable(table, shownRule, { audit: mode === 'on' }) };
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
  const { lines, table, pub } = published;
  const listed = new Set(lines.flatMap((l) => (l.closed ? l.parts : [])));

  const shown = (key: string): Shown => {
    const s = pub.shown.get(key);
    if (s === undefined) throw new Error(`internal: no shown count ${key}`);
    return s;
  };
  // Made only for a school with a c under a hidden total (most have none): one map fewer per school to keep.
  let parents: Map<string, Line> | undefined;
  const small = smallAs(rule);
  const aggregate = (key: string): number => {
    if (mode === 'off') return table.counts.get(key) ?? 0;
    const s = shown(key);
    if (s !== 'c') return s;
    const line = pub.underHidden.has(key) ? (parents ??= partLines(lines)).get(key) : undefined;
    return line ? aggregate(line.total) / line.parts.length : small;
  };
  return {
    urn,
    table,
    pub,
    shown,
    value: (key) => numeric(shown(key)),
    aggregate,
    segmentVector: (level) => new Map(dict.codes[level].map((c) => [c, aggregate(segmentKey(level, c))])),
    base: (key) => pub.base.get(key) ?? rule.base,
    map: map ? { exact: map, listed, squares } : null,
  };
}
