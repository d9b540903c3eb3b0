/**
 * Fair access: are the families who contact the Choice Advisers service (clients) drawn evenly
 * from the communities of the base (the pupils of the years whose families choose schools)?
 * Pure functions over client and base counts by finest segment, ward and school.
 *
 * Statistics (README, The statistics): each segment's clients against Binomial(clients, base
 * share), exact below 10 expected and score (Wilson) above, Bonferroni across the level's segments;
 * places (wards, schools) against the clients expected from each segment's own rate, exact Poisson
 * tests and control limits, Bonferroni across the places; the trend compares each segment's index
 * with the previous year's by the exact conditional test.
 */
import { FAMILY_ALPHA, bonferroni, bonferroniAlpha, chiSquareGoodnessOfFit } from '../domain/stats/tests.ts';
import { compareRatios, exactPoissonTest, poissonControlLimits } from '../domain/stats/exact.ts';
import { addInto, compare, sum, type Comparison, type Counts } from './compare.ts';
import { LEVEL_ORDER, type Dictionary, type Level } from './dictionary.ts';

/** One aggregate row from the SQL: finest segment (null = unclassified), ward, school, count. */
export interface PlaceCount {
  subgroup: string | null;
  ward: string | null;
  urn: string | null;
  n: number;
}

export interface FairAccessRow extends Comparison {
  level: Level;
  /** Interval of the client share at the family level, % (the index interval times the base share). */
  pctLow: number | null;
  pctHigh: number | null;
}

export interface ChiSquareRow {
  level: Level;
  statistic: number;
  df: number;
  /** null when the test is undefined (fewer than two cells after pooling). */
  p: number | null;
  mergedCells: number;
  clients: number;
}

export type PlaceFlag = 'below' | 'above' | 'within';

export interface PlaceRow {
  place: string;
  /** Base pupils in the under-represented segments. */
  baseN: number;
  /** Clients expected from those pupils at each segment's own rate (Σ base × rate). */
  expected: number;
  actual: number;
  gap: number;
  /** actual / expected; null when nothing is expected. */
  ratio: number | null;
  /** P(X ≤ actual) under Poisson(expected): the evidence of a shortfall, the ranking key. */
  pLower: number;
  /** Two-sided exact Poisson p (doubled). */
  p: number;
  /** Bonferroni across the places of the table. */
  pAdjusted: number;
  lower95: number;
  upper95: number;
  /** Control limits at the family-wise level (1 − 0.05/m for m places). */
  lowerAdjusted: number;
  upperAdjusted: number;
  flag: PlaceFlag;
}

export interface PlaceTable {
  rows: PlaceRow[];
  /** Level of the adjusted limits. */
  adjustedLevel: number;
  /** Clients in the under-represented segments who could not be placed (no ward / school not in the base). */
  notKnown: number;
  /** The rate per base pupil of each under-represented segment used for expected (placed clients only). */
  rates: Record<string, number>;
}

export interface FairAccessResult {
  rows: FairAccessRow[];
  tests: ChiSquareRow[];
  underLevel: Level;
  under: string[];
  byWard: PlaceTable;
  bySchool: PlaceTable;
  totals: { clients: number; classifiedClients: number; base: number; penetration: number | null };
}

function bySegment(rows: PlaceCount[], dict: Dictionary, level: Level): Counts {
  const c: Counts = new Map();
  for (const r of rows) {
    if (r.subgroup === null) continue;
    const code = dict.at(r.subgroup, level);
    if (code !== null) c.set(code, (c.get(code) ?? 0) + r.n);
  }
  return c;
}

/** Counts by place and segment for the segments in `under` (place null = not known). */
function byPlaceSegment(rows: PlaceCount[], dict: Dictionary, level: Level, under: Set<string>, key: 'ward' | 'urn'): Map<string | null, Counts> {
  const out = new Map<string | null, Counts>();
  for (const r of rows) {
    if (r.subgroup === null) continue;
    const code = dict.at(r.subgroup, level);
    if (code === null || !under.has(code)) continue;
    const place = r[key];
    let m = out.get(place);
    if (!m) out.set(place, (m = new Map()));
    m.set(code, (m.get(code) ?? 0) + r.n);
  }
  return out;
}

/**
 * Where the under-represented live (by ward) or which school they attend. Expected clients in a
 * place = Σ over the under-represented segments of its base pupils × that segment's own rate
 * (placed clients of the segment / placed base pupils of the segment), so a place is compared with
 * how the service reaches the same kind of family elsewhere, not with the service's overall rate
 * (which would make every place in a low-rate segment look short in proportion to its size), and
 * the expected counts add up to the placed clients. Clients who cannot be placed (no ward; child's
 * school not recorded or not in the base) are counted as not known rather than silently dropped.
 * Ranked by the exact Poisson lower tail (strongest evidence of a shortfall first).
 */
export function places(base: Map<string | null, Counts>, clients: Map<string | null, Counts>, under: string[]): PlaceTable {
  const placed = [...base.keys()].filter((p): p is string => p !== null);
  const rates: Record<string, number> = {};
  for (const s of under) {
    let b = 0;
    let c = 0;
    for (const p of placed) {
      b += base.get(p)?.get(s) ?? 0;
      c += clients.get(p)?.get(s) ?? 0;
    }
    rates[s] = b > 0 ? c / b : 0;
  }
  let notKnown = 0;
  for (const [p, m] of clients) if (p === null || !base.has(p)) notKnown += sum(m);
  const pre = placed.map((place) => {
    const b = base.get(place)!;
    const baseN = sum(b);
    const expected = under.reduce((e, s) => e + (b.get(s) ?? 0) * rates[s]!, 0);
    const actual = sum(clients.get(place) ?? new Map());
    return { place, baseN, expected, actual };
  });
  const tested = pre.filter((r) => r.expected > 0);
  const aAdj = bonferroniAlpha(FAMILY_ALPHA, tested.length);
  const rows: PlaceRow[] = pre.map((r) => {
    const test = r.expected > 0 ? exactPoissonTest(r.actual, r.expected) : { p: 1, lower: 1, upper: 1 };
    const l95 = poissonControlLimits(r.expected, FAMILY_ALPHA);
    const lAdj = poissonControlLimits(r.expected, aAdj);
    const pAdjusted = Math.min(1, test.p * Math.max(1, tested.length));
    const flag: PlaceFlag = r.expected > 0 && pAdjusted < FAMILY_ALPHA ? (r.actual < r.expected ? 'below' : 'above') : 'within';
    return {
      ...r,
      gap: r.actual - r.expected,
      ratio: r.expected > 0 ? r.actual / r.expected : null,
      pLower: r.expected > 0 ? test.lower : 1,
      p: test.p,
      pAdjusted,
      lower95: l95.lower,
      upper95: l95.upper,
      lowerAdjusted: lAdj.lower,
      upperAdjusted: lAdj.upper,
      flag,
    };
  });
  rows.sort((x, y) => x.pLower - y.pLower || y.expected - x.expected || (x.place < y.place ? -1 : x.place > y.place ? 1 : 0));
  return { rows, adjustedLevel: 1 - aAdj, notKnown, rates };
}

export function fairAccess(clients: PlaceCount[], base: PlaceCount[], dict: Dictionary, underLevel: Level = 'supergroup'): FairAccessResult {
  const rows: FairAccessRow[] = [];
  const tests: ChiSquareRow[] = [];
  for (const level of LEVEL_ORDER) {
    const target = bySegment(clients, dict, level);
    const b = bySegment(base, dict, level);
    const cmp = compare(target, b, dict.codes[level]).filter((r) => r.B > 0 || r.O > 0);
    for (const r of cmp) {
      const share = r.basePct === null ? null : r.basePct / 100;
      rows.push({ ...r, level, pctLow: r.ciLow === null || share === null ? null : r.ciLow * share, pctHigh: r.ciHigh === null || share === null ? null : r.ciHigh * share });
    }
    const withBase = cmp.filter((r) => r.B > 0);
    const N = sum(b);
    if (withBase.length > 1 && N > 0 && sum(target) > 0) {
      const chi = chiSquareGoodnessOfFit(
        withBase.map((r) => r.O),
        withBase.map((r) => r.B / N),
      );
      tests.push({ level, statistic: chi.statistic, df: chi.df, p: chi.p, mergedCells: chi.mergedCells.length, clients: sum(target) });
    }
  }
  const under = rows.filter((r) => r.level === underLevel && r.flag === 'under').map((r) => r.segment);
  const underSet = new Set(under);
  const classifiedClients = sum(bySegment(clients, dict, 'subgroup'));
  const baseTotal = sum(bySegment(base, dict, 'subgroup'));
  const penetration = baseTotal > 0 ? classifiedClients / baseTotal : null;
  return {
    rows,
    tests,
    underLevel,
    under,
    byWard: places(byPlaceSegment(base, dict, underLevel, underSet, 'ward'), byPlaceSegment(clients, dict, underLevel, underSet, 'ward'), under),
    bySchool: places(byPlaceSegment(base, dict, underLevel, underSet, 'urn'), byPlaceSegment(clients, dict, underLevel, underSet, 'urn'), under),
    totals: { clients: clients.reduce((a, r) => a + r.n, 0), classifiedClients, base: baseTotal, penetration },
  };
}

export interface TrendRow {
  level: Level;
  segment: string;
  period: string;
  previousPeriod: string | null;
  index: number | null;
  previousIndex: number | null;
  change: number | null;
  clientPct: number | null;
  previousClientPct: number | null;
  /** Exact conditional test that the index (clients / expected) is the same in both years. */
  p: number | null;
  /** Bonferroni across the level's segments tested this period. */
  pAdjusted: number | null;
  flag: 'rising' | 'falling' | 'ns' | null;
}

/**
 * The fair-access index per segment by year, the change from the previous year, and the exact
 * conditional test of the change in the index itself (clients against clients expected from the
 * base, each year: compareRatios), so the test and the line drawn measure the same thing.
 */
export function trend(byPeriod: { period: string; rows: FairAccessRow[] }[]): TrendRow[] {
  const sorted = [...byPeriod].sort((a, b) => a.period.localeCompare(b.period));
  const out: TrendRow[] = [];
  sorted.forEach(({ period, rows }, i) => {
    const prev = i > 0 ? sorted[i - 1] : null;
    const prevRows = new Map(prev?.rows.map((r) => [`${r.level}|${r.segment}`, r]) ?? []);
    const these: TrendRow[] = rows.map((r) => {
      const q = prevRows.get(`${r.level}|${r.segment}`) ?? null;
      const p = q && q.expected !== null && r.expected !== null ? compareRatios(q.O, q.expected, r.O, r.expected).p : null;
      return {
        level: r.level,
        segment: r.segment,
        period,
        previousPeriod: prev?.period ?? null,
        index: r.index,
        previousIndex: q?.index ?? null,
        change: r.index !== null && q?.index != null ? r.index - q.index : null,
        clientPct: r.pct,
        previousClientPct: q?.pct ?? null,
        p,
        pAdjusted: null,
        flag: null,
      };
    });
    for (const level of LEVEL_ORDER) {
      const mine = these.filter((t) => t.level === level);
      const adj = bonferroni(mine.map((t) => t.p));
      mine.forEach((t, k) => {
        t.pAdjusted = adj[k] ?? null;
        t.flag = t.pAdjusted === null || t.change === null ? null : t.pAdjusted < FAMILY_ALPHA ? (t.change > 0 ? 'rising' : 'falling') : 'ns';
      });
    }
    out.push(...these);
  });
  return out;
}

export { addInto };
