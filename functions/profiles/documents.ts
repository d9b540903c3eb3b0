/**
 * Builds what a head teacher sees: the per-school profile document. Every count comes from the
 * school's shown counts (shown-counts.ts: rounded to 5, "c" for 1 to 4, audited), every statistic
 * is worked out from those shown counts, and every figure about other schools (the base, the
 * cluster's range, similar schools) from theirs. Analysts' Parquet tables keep exact counts.
 */
import type { Cell, ClassificationInfo, ProfileDocument, SegmentRow } from '../../schemas/profile-document.ts';
import { COARSE_BASE, type RoundingRule } from '../domain/stats/disclosure.ts';
import { profileRow } from '../domain/stats/index-measures.ts';
import { familySize, sum, type Counts } from './compare.ts';
import { LEVEL_ORDER, type Dictionary, type Level } from './dictionary.ts';
import type { School, Similar, Variation } from './school-profiles.ts';
import { MATCH_STATUSES, imdKey, type ShownView } from './shown-counts.ts';
import { schoolMapSection } from './map-section.ts';
import type { MapGrid } from '../maps/grid.ts';

export type { SchoolFacts } from './shown-counts.ts';

export interface DocumentInput {
  period: string;
  laName: string;
  classification: ClassificationInfo;
  rule: RoundingRule;
  school: School;
  base: { kind: 'la' | 'cluster' | 'phase'; label: string };
  /** The school's shown counts. */
  shown: ShownView;
  /** The base's counts per level, summed from its schools' shown counts (ShownSchool.aggregate). */
  baseCounts: Record<Level, Counts>;
  /** The base's IMD deciles 1..10 then "unknown", summed the same way. */
  baseImd: number[];
  /** Similar schools, scored on shown counts. */
  similar: (Similar & { name: string })[];
  clusterSchools: number;
  /** The cluster's range per supergroup, from its schools' shown counts. */
  variation: Variation[];
  dict: Dictionary;
  /** The map grid; without it the document has no map. */
  grid?: MapGrid;
}

/** The rounding rule in one sentence, as printed in the document and the PDF's "Reading this profile". */
export function ruleSentence(rule: RoundingRule, coarse = false): string {
  return (
    `To protect pupils' privacy, numbers are rounded to the nearest ${rule.base}${coarse ? ` (a few to the nearest ${COARSE_BASE})` : ''} and numbers from 1 to ${rule.threshold - 1} are shown as c (0 means none); ` +
    'percentages and indexes are worked out from the rounded numbers, so they may not add up exactly.'
  );
}

/** Interval level at a family size m (what profileRow draws). */
const levelFor = (m: number) => 1 - 0.05 / Math.max(1, m);

/**
 * Segment rows shared between documents. A row is a function of its base (B, N and the family m
 * fixed), its segment and the school's shown (n_segment, n_classified) alone, and schools of a base
 * repeat the same few of those (shown counts are multiples of 5): at England scale 1.74 million rows
 * are 270,000 distinct ones, and 84% of rows are repeats. So each is built once, frozen (a document
 * cannot change another's row), and handed to every document that has it; the exact test and
 * Clopper–Pearson interval behind it are worked out once too. The same function of the same inputs.
 */
interface RowMemo {
  /** What a row's names come from, and its segment: a memo answers only for these. */
  dict: Dictionary;
  level: Level;
  code: string;
  B: number;
  N: number;
  m: number;
  rows: Map<number, SegmentRow>;
}
/** Memos per base level (the same Counts object for every school of a base), by dictionary position. */
const rowMemos = new WeakMap<Counts, (RowMemo | undefined)[]>();
/** Rows kept per segment at most (a bound on memory; past it rows are built for the document alone). */
const ROW_MEMO_SIZE = 20_000;
/** (shown count, shown classified) as one small integer key ("c" and null as 0, n as n + 1), else -1: not memoised. */
const rowKey = (cell: Cell, n: number | null): number => {
  const c = cell === 'c' ? 0 : cell + 1;
  const k = n === null ? 0 : n + 1;
  // Both below 2^14 (a school's pupils): the key stays a small integer, quick to hash.
  return (c | 0) === c && (k | 0) === k && c >= 0 && k >= 0 && c < 2 ** 14 && k < 2 ** 14 ? (c << 14) | k : -1;
};

/** One segment's row for a school whose shown count is `cellValue` and shown classified `n`. */
function buildRow(level: Level, code: string, cellValue: Cell, n: number | null, B: number, N: number, m: number, dict: Dictionary): SegmentRow {
  const row = {
    code,
    name: dict.name(level, code),
    description: level === 'subgroup' ? dict.description(code) : null,
    parent: level === 'supergroup' ? null : dict.parent(level, code),
    n: cellValue,
    pct: null as number | null,
    basePct: N > 0 ? (100 * B) / N : 0,
    index: null as number | null,
    ciLow: null as number | null,
    ciHigh: null as number | null,
    flag: null as SegmentRow['flag'],
    reliable: false,
  };
  if (n === null || N === 0) return row;
  // Rounded to 10, a total can fall below a part rounded to 5; a share is never above 100%.
  const O = cellValue === 'c' ? null : Math.min(cellValue, n);
  const r = profileRow({ O: O ?? 0, n, B, N, family: m });
  row.reliable = r.reliable;
  if (O === null) return row;
  // Filled in place (the key order above is the document's).
  row.pct = r.pct;
  row.index = r.index;
  row.ciLow = r.ciLow;
  row.ciHigh = r.ciHigh;
  row.flag = r.flag;
  return row;
}

function segmentRows(level: Level, d: DocumentInput): SegmentRow[] {
  const { shown, dict } = d;
  const codes = dict.codes[level];
  const base = d.baseCounts[level];
  const N = sum(base);
  const m = familySize(base, codes);
  const n = shown.value('classified');
  let byCode = rowMemos.get(base);
  if (!byCode) rowMemos.set(base, (byCode = []));
  const cells = shown.segmentShown(level);
  return codes.map((code, i) => {
    const cellValue = cells[i] as Cell;
    const B = base.get(code) ?? 0;
    let memo = byCode[i];
    // A base whose counts changed since (never in the pipeline) starts its segment's memo again.
    if (memo === undefined || memo.dict !== dict || memo.level !== level || memo.code !== code || memo.B !== B || memo.N !== N || memo.m !== m) byCode[i] = memo = { dict, level, code, B, N, m, rows: new Map() };
    const key = rowKey(cellValue, n);
    let row = key >= 0 ? memo.rows.get(key) : undefined;
    if (row === undefined) {
      // Frozen whether kept or not: every row a document holds behaves alike.
      row = Object.freeze(buildRow(level, code, cellValue, n, B, N, m, dict));
      if (key >= 0 && memo.rows.size < ROW_MEMO_SIZE) memo.rows.set(key, row);
    }
    return row;
  });
}

/** A school's document. Its segment rows are frozen and shared with other documents: copy one (structuredClone) to change it. */
export function profileDocumentFor(input: DocumentInput): ProfileDocument {
  const { shown, dict, rule } = input;
  const pupils = shown.value('pupils');
  const pctOfPupils = (key: string) => {
    const v = shown.value(key);
    return v === null || pupils === null || pupils === 0 ? null : Math.min(100, (100 * v) / pupils);
  };
  const baseImdTotal = input.baseImd.reduce((a, b) => a + b, 0);
  const basePctImd = (i: number) => (baseImdTotal ? (100 * input.baseImd[i]!) / baseImdTotal : 0);
  const ownSuper = new Map<string, number | null>();
  const segments = {
    supergroup: segmentRows('supergroup', input),
    group: segmentRows('group', input),
    subgroup: segmentRows('subgroup', input),
  };
  for (const r of segments.supergroup) ownSuper.set(r.code, r.pct);
  const families = Object.fromEntries(LEVEL_ORDER.map((l) => [l, levelFor(familySize(input.baseCounts[l], dict.codes[l]))])) as Record<Level, number>;
  return {
    period: input.period,
    laName: input.laName,
    school: { urn: input.school.urn, name: input.school.name ?? input.school.urn, phase: input.school.phase ?? 'unknown', cluster: input.school.cluster },
    classification: input.classification,
    base: input.base,
    threshold: rule.threshold,
    disclosure: { roundingBase: rule.base, coarseBase: COARSE_BASE, roundedCoarse: [...shown.pub.coarsened].sort(), cIncludesZero: [...shown.pub.opened].sort(), rule: ruleSentence(rule, shown.pub.coarsened.length > 0) },
    intervals: families,
    keyFacts: {
      pupils: shown.shown('pupils'),
      classified: shown.shown('classified'),
      unclassified: shown.shown('unclassified'),
      matched: shown.shown('matched'),
      matchRatePct: pctOfPupils('matched'),
      sectorImputedPct: pctOfPupils('sector'),
      fsm: shown.shown('fsm'),
      fsmPct: pctOfPupils('fsm'),
    },
    segments,
    imd: Array.from({ length: 10 }, (_, i) => ({ decile: i + 1, n: shown.shown(imdKey(i + 1)), pct: pctOfPupils(imdKey(i + 1)), basePct: basePctImd(i) })),
    imdUnknown: { n: shown.shown(imdKey('unknown')), pct: pctOfPupils(imdKey('unknown')), basePct: basePctImd(10) },
    matchStatus: MATCH_STATUSES.map((s) => ({ status: s, n: shown.shown(s), pct: pctOfPupils(s) })),
    similarSchools: input.similar.map((s) => ({ urn: s.similarUrn, name: s.name, similarity: s.similarity, distanceKm: s.distanceKm })),
    cluster: input.school.cluster === null ? null : {
      name: input.school.cluster,
      schools: input.clusterSchools,
      supergroups: input.variation.map((v) => ({
        code: v.segment,
        name: dict.name('supergroup', v.segment),
        schoolPct: ownSuper.get(v.segment) ?? null,
        min: v.min,
        median: v.median,
        max: v.max,
      })),
    },
    map: schoolMapSection(shown, input.grid, rule),
  };
}

export { LEVEL_ORDER };
