/**
 * Who gets their first choice: admissions outcomes by neighbourhood type, from counts of
 * applications by finest segment (schemas/sql/admissions.ts). Pure: counts in, statistics out.
 *
 * Every rate is over on-time applications (as the DfE's applications-and-offers statistics), with
 * the exact (Clopper–Pearson) interval and the exact binomial test against the LA's rate (doubled
 * tails, dual to the interval), Bonferroni across the segments of one level for one measure, round
 * and year: the one policy of the README (The statistics), so an interval excludes the LA's rate
 * exactly when the flag says higher or lower. The LA's rate includes the segment itself, which
 * pulls it towards the segment: the test is conservative, never the reverse.
 *
 * The trend compares each segment's rate with the previous entry year's by Fisher's exact test;
 * contacted and not-contacted families are compared within each neighbourhood type (Fisher), and
 * across all types at once by the stratified exact test, so the families the service happens to
 * reach (more of some types than others) cannot make advice look effective or ineffective.
 */
import { clopperPearsonInterval } from '../domain/stats/intervals.ts';
import { exactBinomialTest, fisherExactTest, stratifiedExactTest, type TwoByTwo } from '../domain/stats/exact.ts';
import { FAMILY_ALPHA, bonferroni, bonferroniAlpha } from '../domain/stats/tests.ts';
import type { Dictionary } from '../profiles/dictionary.ts';

/** One row of admissionsCountsSql (or of the ward counts, with `ward` for `subgroup`). */
export interface AdmissionsCounts {
  applications: number;
  on_time_n: number;
  first_pref: number;
  any_pref: number;
  allocated: number;
  no_offer: number;
  one_pref: number;
  prefs_named: number;
  located_n: number;
  nearest_first: number;
  distance_n: number;
  first_km_sum: number;
  nearest_km_sum: number;
}

export interface CountsRow extends AdmissionsCounts {
  entry_year: number;
  phase: string;
  subgroup: string | null;
  contacted: boolean;
}

export const MEASURES = ['first_preference', 'any_preference', 'no_preference', 'one_preference', 'nearest_first'] as const;
export type Measure = (typeof MEASURES)[number];

export const MEASURE_LABELS: Record<Measure, string> = {
  first_preference: 'offered their first preference',
  any_preference: 'offered one of their preferences',
  no_preference: 'offered none of their preferences',
  one_preference: 'naming only one preference',
  nearest_first: 'naming their nearest school first',
};

/** x out of n for a measure (n: on-time applications; for nearest_first, those whose home and nearest school are located). */
export function measureOf(c: AdmissionsCounts, m: Measure): { x: number; n: number } {
  switch (m) {
    case 'first_preference':
      return { x: c.first_pref, n: c.on_time_n };
    case 'any_preference':
      return { x: c.any_pref, n: c.on_time_n };
    case 'no_preference':
      return { x: c.on_time_n - c.any_pref, n: c.on_time_n };
    case 'one_preference':
      return { x: c.one_pref, n: c.on_time_n };
    case 'nearest_first':
      return { x: c.nearest_first, n: c.located_n };
  }
}

export const emptyCounts = (): AdmissionsCounts => ({
  applications: 0,
  on_time_n: 0,
  first_pref: 0,
  any_pref: 0,
  allocated: 0,
  no_offer: 0,
  one_pref: 0,
  prefs_named: 0,
  located_n: 0,
  nearest_first: 0,
  distance_n: 0,
  first_km_sum: 0,
  nearest_km_sum: 0,
});

export function addCounts(into: AdmissionsCounts, c: AdmissionsCounts): AdmissionsCounts {
  for (const k of Object.keys(into) as (keyof AdmissionsCounts)[]) into[k] += c[k];
  return into;
}

export type RateFlag = 'higher' | 'lower' | 'ns';

export interface Rate {
  measure: Measure;
  x: number;
  n: number;
  /** x/n; null when n = 0. */
  rate: number | null;
  /** Clopper–Pearson interval of the rate at `ciLevel`. */
  ciLow: number | null;
  ciHigh: number | null;
  ciLevel: number;
  /** The LA's rate (all on-time applications of the round and year). */
  laRate: number | null;
  /** Exact binomial test of x against Binomial(n, laRate), doubled tails; null for the LA row or when untestable. */
  p: number | null;
  pAdjusted: number | null;
  flag: RateFlag | null;
}

export type SegmentLevel = 'la' | 'supergroup' | 'group';

export interface SegmentOutcome {
  entryYear: number;
  phase: string;
  level: SegmentLevel;
  /** Segment code ('all' for the LA). */
  segment: string;
  counts: AdmissionsCounts;
  rates: Record<Measure, Rate>;
}

/** Key of a (year, round) */
const roundKey = (entryYear: number, phase: string) => `${entryYear}|${phase}`;

/** Counts rolled up by (year, round) to the LA, the supergroups and the groups; unclassified applications counted apart. */
export function rollUp(rows: readonly CountsRow[], dict: Dictionary, contacted?: boolean): Map<string, { la: AdmissionsCounts; unclassified: AdmissionsCounts; supergroup: Map<string, AdmissionsCounts>; group: Map<string, AdmissionsCounts> }> {
  const out = new Map<string, { la: AdmissionsCounts; unclassified: AdmissionsCounts; supergroup: Map<string, AdmissionsCounts>; group: Map<string, AdmissionsCounts> }>();
  for (const r of rows) {
    if (contacted !== undefined && r.contacted !== contacted) continue;
    const k = roundKey(r.entry_year, r.phase);
    let acc = out.get(k);
    if (!acc) out.set(k, (acc = { la: emptyCounts(), unclassified: emptyCounts(), supergroup: new Map(), group: new Map() }));
    addCounts(acc.la, r);
    const sg = r.subgroup === null ? null : dict.at(r.subgroup, 'supergroup');
    const g = r.subgroup === null ? null : dict.at(r.subgroup, 'group');
    if (sg === null || g === null) {
      addCounts(acc.unclassified, r);
      continue;
    }
    for (const [level, code] of [['supergroup', sg], ['group', g]] as const) {
      const m = acc[level];
      m.set(code, addCounts(m.get(code) ?? emptyCounts(), r));
    }
  }
  return out;
}

function rateAgainst(m: Measure, c: AdmissionsCounts, laRate: number | null, family: number, tested: boolean): Rate {
  const { x, n } = measureOf(c, m);
  const alpha = bonferroniAlpha(FAMILY_ALPHA, family);
  const ci = n > 0 ? clopperPearsonInterval(x, n, alpha) : null;
  const p = tested && n > 0 && laRate !== null ? exactBinomialTest(x, n, laRate).p : null;
  const pAdjusted = p === null ? null : Math.min(1, p * Math.max(1, family));
  const rate = n > 0 ? x / n : null;
  const flag: RateFlag | null = pAdjusted === null || rate === null || laRate === null ? null : pAdjusted < FAMILY_ALPHA ? (rate > laRate ? 'higher' : 'lower') : 'ns';
  return { measure: m, x, n, rate, ciLow: ci?.low ?? null, ciHigh: ci?.high ?? null, ciLevel: 1 - alpha, laRate, p, pAdjusted, flag };
}

/**
 * Rates by segment for every (year, round): the LA row (interval at 95%, no test) and each
 * supergroup and group with a test against the LA's rate, the family being the level's segments
 * with a denominator for that measure.
 */
export function segmentOutcomes(rows: readonly CountsRow[], dict: Dictionary): SegmentOutcome[] {
  const out: SegmentOutcome[] = [];
  for (const [k, acc] of [...rollUp(rows, dict)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [y, phase] = k.split('|') as [string, string];
    const entryYear = Number(y);
    const laRates = {} as Record<Measure, Rate>;
    for (const m of MEASURES) laRates[m] = rateAgainst(m, acc.la, null, 1, false);
    out.push({ entryYear, phase, level: 'la', segment: 'all', counts: acc.la, rates: laRates });
    for (const level of ['supergroup', 'group'] as const) {
      const codes = dict.codes[level].filter((c) => (acc[level].get(c)?.applications ?? 0) > 0);
      const family = Object.fromEntries(MEASURES.map((m) => [m, codes.filter((c) => measureOf(acc[level].get(c)!, m).n > 0).length])) as Record<Measure, number>;
      for (const code of codes) {
        const c = acc[level].get(code)!;
        const rates = {} as Record<Measure, Rate>;
        for (const m of MEASURES) rates[m] = rateAgainst(m, c, laRates[m].rate, family[m], true);
        out.push({ entryYear, phase, level, segment: code, counts: c, rates });
      }
    }
  }
  return out;
}

/** Unclassified applications per (year, round). */
export function unclassifiedCounts(rows: readonly CountsRow[], dict: Dictionary): Map<string, AdmissionsCounts> {
  return new Map([...rollUp(rows, dict)].map(([k, v]) => [k, v.unclassified]));
}

export interface TrendRow {
  phase: string;
  level: SegmentLevel;
  segment: string;
  measure: Measure;
  entryYear: number;
  previousEntryYear: number | null;
  rate: number | null;
  previousRate: number | null;
  /** rate − previousRate (proportion). */
  change: number | null;
  /** Fisher's exact test that the two years' rates are equal (doubled). */
  p: number | null;
  /** Bonferroni across the level's segments of the round and year. */
  pAdjusted: number | null;
  flag: 'rising' | 'falling' | 'ns' | null;
}

/** Each segment's rate against the previous entry year's, for the measures given. */
export function trend(outcomes: readonly SegmentOutcome[], measures: readonly Measure[] = ['first_preference', 'nearest_first']): TrendRow[] {
  const byKey = new Map(outcomes.map((o) => [`${o.phase}|${o.level}|${o.segment}|${o.entryYear}`, o]));
  const years = [...new Set(outcomes.map((o) => o.entryYear))].sort((a, b) => a - b);
  const out: TrendRow[] = [];
  for (const o of outcomes) {
    const prevYear = years.filter((y) => y < o.entryYear).pop() ?? null;
    const prev = prevYear === null ? undefined : byKey.get(`${o.phase}|${o.level}|${o.segment}|${prevYear}`);
    for (const m of measures) {
      const now = o.rates[m];
      const was = prev?.rates[m];
      const testable = was !== undefined && was.n > 0 && now.n > 0;
      const p = testable ? fisherExactTest({ a: now.x, b: now.n - now.x, c: was.x, d: was.n - was.x }).p : null;
      out.push({
        phase: o.phase,
        level: o.level,
        segment: o.segment,
        measure: m,
        entryYear: o.entryYear,
        previousEntryYear: was ? prevYear : null,
        rate: now.rate,
        previousRate: was?.rate ?? null,
        change: now.rate !== null && was?.rate != null ? now.rate - was.rate : null,
        p,
        pAdjusted: null,
        flag: null,
      });
    }
  }
  // One family per round, year, level and measure (the LA row is its own family of one).
  const families = new Map<string, TrendRow[]>();
  for (const t of out) {
    const k = `${t.phase}|${t.entryYear}|${t.level}|${t.measure}`;
    families.set(k, [...(families.get(k) ?? []), t]);
  }
  for (const rows of families.values()) {
    const adj = bonferroni(rows.map((t) => t.p));
    rows.forEach((t, i) => {
      t.pAdjusted = adj[i] ?? null;
      t.flag = t.pAdjusted === null || t.change === null ? null : t.pAdjusted < FAMILY_ALPHA ? (t.change > 0 ? 'rising' : 'falling') : 'ns';
    });
  }
  return out;
}

export interface ContactedRow {
  entryYear: number;
  phase: string;
  /** supergroup: one neighbourhood type; within: all types, stratified; crude: all families, types ignored. */
  level: 'supergroup' | 'within' | 'crude';
  segment: string;
  measure: Measure;
  contacted: { x: number; n: number };
  other: { x: number; n: number };
  /** Contacted families' x expected if they fared as the others of their types (within) or as all others (crude). */
  expected: number | null;
  p: number | null;
  pAdjusted: number | null;
  /** Contacted families fare better / worse (by the rate: offered first preference etc.), or no clear difference. */
  flag: 'higher' | 'lower' | 'ns' | null;
}

const table = (c: { x: number; n: number }, o: { x: number; n: number }): TwoByTwo => ({ a: c.x, b: c.n - c.x, c: o.x, d: o.n - o.x });

/**
 * Families who contacted the Choice Advisers against those who did not, within each supergroup
 * (Fisher, Bonferroni across the supergroups compared), overall within supergroups (stratified
 * exact test) and crude (Fisher over all classified families, types ignored: shown to make the
 * difference the within-type comparison makes).
 */
export function contactedComparison(rows: readonly CountsRow[], dict: Dictionary, measures: readonly Measure[] = ['first_preference', 'any_preference', 'nearest_first']): ContactedRow[] {
  const yes = rollUp(rows, dict, true);
  const no = rollUp(rows, dict, false);
  const out: ContactedRow[] = [];
  for (const k of [...new Set([...yes.keys(), ...no.keys()])].sort()) {
    const [y, phase] = k.split('|') as [string, string];
    const entryYear = Number(y);
    const a = yes.get(k);
    const b = no.get(k);
    if (!a || !b) continue;
    for (const m of measures) {
      const segRows: ContactedRow[] = [];
      const strata: TwoByTwo[] = [];
      const sum = { c: { x: 0, n: 0 }, o: { x: 0, n: 0 } };
      for (const code of dict.codes.supergroup) {
        const c = a.supergroup.get(code);
        const o = b.supergroup.get(code);
        const cm = c ? measureOf(c, m) : { x: 0, n: 0 };
        const om = o ? measureOf(o, m) : { x: 0, n: 0 };
        if (cm.n === 0 && om.n === 0) continue;
        sum.c.x += cm.x;
        sum.c.n += cm.n;
        sum.o.x += om.x;
        sum.o.n += om.n;
        const testable = cm.n > 0 && om.n > 0;
        if (testable) strata.push(table(cm, om));
        segRows.push({
          entryYear,
          phase,
          level: 'supergroup',
          segment: code,
          measure: m,
          contacted: cm,
          other: om,
          expected: testable ? (cm.n * (cm.x + om.x)) / (cm.n + om.n) : null,
          p: testable ? fisherExactTest(table(cm, om)).p : null,
          pAdjusted: null,
          flag: null,
        });
      }
      const adj = bonferroni(segRows.map((r) => r.p));
      segRows.forEach((r, i) => {
        r.pAdjusted = adj[i] ?? null;
        r.flag = flagOf(r.pAdjusted, r.contacted, r.other);
      });
      out.push(...segRows);
      if (sum.c.n > 0 && sum.o.n > 0) {
        const within = stratifiedExactTest(strata);
        out.push({ entryYear, phase, level: 'within', segment: 'all', measure: m, contacted: sum.c, other: sum.o, expected: within.expected, p: within.p, pAdjusted: within.p, flag: withinFlag(within.p, within.observed, within.expected) });
        const crude = fisherExactTest(table(sum.c, sum.o));
        const expected = (sum.c.n * (sum.c.x + sum.o.x)) / (sum.c.n + sum.o.n);
        out.push({ entryYear, phase, level: 'crude', segment: 'all', measure: m, contacted: sum.c, other: sum.o, expected, p: crude.p, pAdjusted: crude.p, flag: flagOf(crude.p, sum.c, sum.o) });
      }
    }
  }
  return out;
}

function flagOf(p: number | null, c: { x: number; n: number }, o: { x: number; n: number }): ContactedRow['flag'] {
  if (p === null || c.n === 0 || o.n === 0) return null;
  return p < FAMILY_ALPHA ? (c.x / c.n > o.x / o.n ? 'higher' : 'lower') : 'ns';
}

function withinFlag(p: number, observed: number, expected: number): ContactedRow['flag'] {
  return p < FAMILY_ALPHA ? (observed > expected ? 'higher' : 'lower') : 'ns';
}

export interface WardCountsRow extends AdmissionsCounts {
  entry_year: number;
  phase: string;
  ward: string | null;
}

export interface WardOutcome {
  entryYear: number;
  phase: string;
  ward: string;
  onTime: number;
  first: number;
  /** On-time applications not offered their first preference. */
  missed: number;
  rate: number | null;
  laRate: number | null;
  /** Missed first preferences expected at the LA's rate. */
  expectedMissed: number;
  p: number | null;
  pAdjusted: number | null;
  flag: RateFlag | null;
}

/**
 * Where first preferences are missed: each ward's rate of first preferences offered against the
 * LA's (exact binomial test, Bonferroni across the wards of the round and year). Applications
 * whose ward is not known count in the LA's rate, not in any ward.
 */
export function wardOutcomes(rows: readonly WardCountsRow[]): WardOutcome[] {
  const out: WardOutcome[] = [];
  const rounds = new Map<string, WardCountsRow[]>();
  for (const r of rows) rounds.set(roundKey(r.entry_year, r.phase), [...(rounds.get(roundKey(r.entry_year, r.phase)) ?? []), r]);
  for (const [k, rs] of [...rounds].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [y, phase] = k.split('|') as [string, string];
    const la = rs.reduce((acc, r) => addCounts(acc, r), emptyCounts());
    const laRate = la.on_time_n > 0 ? la.first_pref / la.on_time_n : null;
    const wards = rs.filter((r) => r.ward !== null && r.on_time_n > 0).sort((a, b) => (a.ward! < b.ward! ? -1 : 1));
    const family = wards.length;
    for (const r of wards) {
      const p = laRate === null ? null : exactBinomialTest(r.first_pref, r.on_time_n, laRate).p;
      const pAdjusted = p === null ? null : Math.min(1, p * Math.max(1, family));
      const rate = r.first_pref / r.on_time_n;
      out.push({
        entryYear: Number(y),
        phase,
        ward: r.ward!,
        onTime: r.on_time_n,
        first: r.first_pref,
        missed: r.on_time_n - r.first_pref,
        rate,
        laRate,
        expectedMissed: laRate === null ? 0 : r.on_time_n * (1 - laRate),
        p,
        pAdjusted,
        flag: pAdjusted === null || laRate === null ? null : pAdjusted < FAMILY_ALPHA ? (rate > laRate ? 'higher' : 'lower') : 'ns',
      });
    }
  }
  return out;
}
