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
import { MATCH_STATUSES, imdKey, segmentKey, type ShownView } from './shown-counts.ts';
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
 * profileRow's results for one segment of one base (B, N and m fixed), by the school's (O, n).
 * Schools with the same base repeat the same few (O, n) per segment (shown counts are multiples of
 * 5), so most rows are looked up instead of recomputed (the exact test and Clopper–Pearson
 * interval are most of a document's arithmetic); a result is the same function of the same inputs.
 */
interface RowMemo {
  B: number;
  N: number;
  m: number;
  rows: Map<number, ReturnType<typeof profileRow>>;
}
/** Memos per base (the same Counts object for every school of a base), per segment code. */
const rowMemos = new WeakMap<Counts, Map<string, RowMemo>>();
/** Results kept per segment at most (a bound on memory; past it rows are computed as before). */
const ROW_MEMO_SIZE = 20_000;
/** (O, n) as one small integer key: both below 2^15 (a school's pupils), else not memoised. */
const COUNT_BITS = 15;
const COUNT_LIMIT = 2 ** COUNT_BITS;

function memoisedRow(memos: Map<string, RowMemo>, code: string, O: number, n: number, B: number, N: number, m: number): ReturnType<typeof profileRow> {
  let memo = memos.get(code);
  // A base whose counts changed since (never in the pipeline) starts its segment's memo again.
  if (memo === undefined || memo.B !== B || memo.N !== N || memo.m !== m) memos.set(code, (memo = { B, N, m, rows: new Map() }));
  const key = (O | 0) === O && (n | 0) === n && O >= 0 && n >= 0 && n < COUNT_LIMIT && O < COUNT_LIMIT ? (n << COUNT_BITS) | O : -1;
  let r = key >= 0 ? memo.rows.get(key) : undefined;
  if (r === undefined) {
    r = profileRow({ O, n, B, N, family: m });
    if (key >= 0 && memo.rows.size < ROW_MEMO_SIZE) memo.rows.set(key, r);
  }
  return r;
}

function segmentRows(level: Level, d: DocumentInput): SegmentRow[] {
  const { shown, dict } = d;
  const codes = dict.codes[level];
  const base = d.baseCounts[level];
  const N = sum(base);
  const m = familySize(base, codes);
  const n = shown.value('classified');
  let memos = rowMemos.get(base);
  if (!memos) rowMemos.set(base, (memos = new Map()));
  return codes.map((code) => {
    const key = segmentKey(level, code);
    const cellValue = shown.shown(key);
    const B = base.get(code) ?? 0;
    const basePct = N > 0 ? (100 * B) / N : 0;
    const row = {
      code,
      name: dict.name(level, code),
      description: level === 'subgroup' ? dict.description(code) : null,
      parent: level === 'supergroup' ? null : dict.parent(level, code),
      n: cellValue as Cell,
      pct: null as number | null,
      basePct,
      index: null as number | null,
      ciLow: null as number | null,
      ciHigh: null as number | null,
      flag: null as SegmentRow['flag'],
      reliable: false,
    };
    if (n === null || N === 0) return row;
    // Rounded to 10, a total can fall below a part rounded to 5; a share is never above 100%.
    const O = cellValue === 'c' ? null : Math.min(cellValue, n);
    const r = memoisedRow(memos, code, O ?? 0, n, B, N, m);
    row.reliable = r.reliable;
    if (O === null) return row;
    // Filled in place (same key order as a copy, so the same JSON): one object per row.
    row.pct = r.pct;
    row.index = r.index;
    row.ciLow = r.ciLow;
    row.ciHigh = r.ciHigh;
    row.flag = r.flag;
    return row;
  });
}

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
