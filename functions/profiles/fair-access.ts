/**
 * Fair access: are the families who contact the Choice Advisers service (clients) drawn evenly
 * from the communities of the base (the pupils of the years whose families choose schools)?
 * Pure functions over client and base counts by finest segment, ward and school.
 */
import { benjaminiHochberg, chiSquareGoodnessOfFit, funnelLimits, twoProportionTest } from '../domain/stats/tests.ts';
import { wilsonInterval } from '../domain/stats/intervals.ts';
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
  /** Benjamini-Hochberg q-value across the level's segments. */
  pBh: number | null;
  /** 95% Wilson interval of the client share, %. */
  pctLow: number | null;
  pctHigh: number | null;
  /** Holm-adjusted z-test: under / over / ns at 5%. */
  flag: 'under' | 'over' | 'ns';
}

export interface ChiSquareRow {
  level: Level;
  statistic: number;
  df: number;
  p: number | null;
  mergedCells: number;
  clients: number;
}

export interface PlaceRow {
  place: string;
  baseN: number;
  expected: number;
  actual: number;
  gap: number;
  lower95: number;
  lower998: number;
  upper95: number;
  upper998: number;
}

export interface FairAccessResult {
  rows: FairAccessRow[];
  tests: ChiSquareRow[];
  underLevel: Level;
  under: string[];
  byWard: PlaceRow[];
  bySchool: PlaceRow[];
  totals: { clients: number; classifiedClients: number; base: number; penetration: number | null };
}

export const SIGNIFICANCE = 0.05;

function bySegment(rows: PlaceCount[], dict: Dictionary, level: Level): Counts {
  const c: Counts = new Map();
  for (const r of rows) {
    if (r.subgroup === null) continue;
    const code = dict.at(r.subgroup, level);
    if (code !== null) c.set(code, (c.get(code) ?? 0) + r.n);
  }
  return c;
}

function byPlace(rows: PlaceCount[], dict: Dictionary, level: Level, under: Set<string>, key: 'ward' | 'urn'): Counts {
  const c: Counts = new Map();
  for (const r of rows) {
    const place = r[key];
    if (r.subgroup === null || place === null) continue;
    const code = dict.at(r.subgroup, level);
    if (code !== null && under.has(code)) c.set(place, (c.get(place) ?? 0) + r.n);
  }
  return c;
}

/**
 * Where the under-represented live (by ward) or which school they attend: base pupils in those
 * segments, the contacts expected at the LA-wide penetration, the actual contacts, and funnel
 * control limits (normal approximation to the binomial on base_n) at 95% and 99.8%.
 */
function places(base: Counts, actual: Counts, penetration: number): PlaceRow[] {
  const out: PlaceRow[] = [];
  for (const [place, baseN] of base) {
    const expected = penetration * baseN;
    const [l95, l998] = funnelLimits(Math.min(1, penetration), baseN);
    const a = actual.get(place) ?? 0;
    out.push({ place, baseN, expected, actual: a, gap: a - expected, lower95: l95.lower, lower998: l998.lower, upper95: l95.upper, upper998: l998.upper });
  }
  return out.sort((x, y) => x.gap - y.gap || x.place.localeCompare(y.place));
}

export function fairAccess(clients: PlaceCount[], base: PlaceCount[], dict: Dictionary, underLevel: Level = 'supergroup'): FairAccessResult {
  const rows: FairAccessRow[] = [];
  const tests: ChiSquareRow[] = [];
  for (const level of LEVEL_ORDER) {
    const target = bySegment(clients, dict, level);
    const b = bySegment(base, dict, level);
    const cmp = compare(target, b, dict.codes[level]).filter((r) => r.B > 0 || r.O > 0);
    const q = benjaminiHochberg(cmp.map((r) => r.p));
    cmp.forEach((r, i) => {
      const sig = r.pHolm !== null && r.pHolm < SIGNIFICANCE && r.index !== null;
      const ci = wilsonInterval(r.O, r.n);
      rows.push({ ...r, level, pBh: q[i], pctLow: ci ? 100 * ci.low : null, pctHigh: ci ? 100 * ci.high : null, flag: sig ? (r.index! < 100 ? 'under' : 'over') : 'ns' });
    });
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
  const p = penetration ?? 0;
  return {
    rows,
    tests,
    underLevel,
    under,
    byWard: places(byPlace(base, dict, underLevel, underSet, 'ward'), byPlace(clients, dict, underLevel, underSet, 'ward'), p),
    bySchool: places(byPlace(base, dict, underLevel, underSet, 'urn'), byPlace(clients, dict, underLevel, underSet, 'urn'), p),
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
  z: number | null;
  p: number | null;
}

/**
 * The fair-access index per segment by year, the change from the previous year, and a
 * two-proportion z-test of the change in the segment's share of clients.
 */
export function trend(byPeriod: { period: string; rows: FairAccessRow[] }[]): TrendRow[] {
  const sorted = [...byPeriod].sort((a, b) => a.period.localeCompare(b.period));
  const out: TrendRow[] = [];
  sorted.forEach(({ period, rows }, i) => {
    const prev = i > 0 ? sorted[i - 1] : null;
    const prevRows = new Map(prev?.rows.map((r) => [`${r.level}|${r.segment}`, r]) ?? []);
    for (const r of rows) {
      const q = prevRows.get(`${r.level}|${r.segment}`) ?? null;
      let z: number | null = null;
      let p: number | null = null;
      if (q && r.n > 0 && q.n > 0) {
        const t = twoProportionTest(r.O, r.n, q.O, q.n);
        z = t.z;
        p = t.p;
      }
      out.push({
        level: r.level,
        segment: r.segment,
        period,
        previousPeriod: prev?.period ?? null,
        index: r.index,
        previousIndex: q?.index ?? null,
        change: r.index !== null && q?.index != null ? r.index - q.index : null,
        clientPct: r.pct,
        previousClientPct: q?.pct ?? null,
        z,
        p,
      });
    }
  });
  return out;
}

export { addInto };
