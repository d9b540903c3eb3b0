/**
 * Who gets their first choice, on the Kent-sized sample county, whose admissions rounds carry a
 * planted effect (sample-data/admissions.ts PLANTED): families in two supergroups are offered
 * their first preference less often, and name their nearest school first more often, than other
 * families. The analysis must recover it (direction and significance after the multiple-testing
 * adjustment) from the raw exports, and every rate, interval and test it publishes must equal
 * scipy's to 1e-9: Clopper–Pearson intervals, doubled exact binomial tests against the LA rate with
 * Bonferroni across the level, Fisher's exact test for the trend and for contacted against not
 * contacted families within a type, and the stratified exact test across types.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../sample-data/generate.ts';
import { PLANTED } from '../sample-data/admissions.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { ingest } from '../functions/ingest/ingest-stage.ts';
import { analyseAdmissions } from '../functions/admissions/admissions-stage.ts';
import { runRoot } from '../functions/lake/publication.ts';
import { TEST_KEY, duck, removeDir, tempDir } from './helpers/fixtures.ts';
import { close, py } from './stats/python-oracle.ts';

const PERIODS = ['2024-25', '2025-26'];
let input: string;
let out: string;
const table = (name: string) => `read_parquet('${out}/${runRoot('t')}/published/${name}/*/*.parquet', hive_partitioning = true)`;

interface RateRow {
  entry_year: number;
  phase: string;
  level: string;
  segment: string;
  measure: string;
  n: number;
  x: number;
  rate: number | null;
  ci_low: number | null;
  ci_high: number | null;
  ci_level: number;
  la_rate: number | null;
  p: number | null;
  p_adjusted: number | null;
  flag: string | null;
}

let rates: RateRow[];

beforeAll(async () => {
  input = tempDir();
  out = tempDir();
  await generateSample({ out: input, scale: 'kent' });
  const lake = new LocalObjectStore(out);
  // Pupils are not needed: admissions are matched to the classification, the schools and the contacts.
  await ingest({ raw: new LocalObjectStore(input), lake, runId: 'ingest', period: '2025-26', pseudonymKey: TEST_KEY, datasets: ['classification', 'schools', 'contacts', 'admissions'] });
  const sql = await DuckDbEngine.create({ lakeRoot: out, threads: 2 });
  try {
    const report = await analyseAdmissions({ lake, sql, runId: 't', periods: PERIODS });
    expect(report.periods).toEqual(PERIODS);
    expect(report.applications).toBeGreaterThan(50_000);
  } finally {
    await sql.close();
  }
  rates = await duck<RateRow>(`SELECT * FROM ${table('admissions_rates')} ORDER BY entry_year, phase, level, segment, measure`);
}, 600_000);

afterAll(() => {
  removeDir(input);
  removeDir(out);
});

const planted = new Set<string>(PLANTED.supergroups);

describe('the planted effect is recovered', () => {
  it('in every round and entry year, the two planted supergroups get their first preference significantly less often than the LA, and name their nearest school first significantly more often', () => {
    let rounds = 0;
    for (const year of [2025, 2026]) {
      for (const phase of ['secondary', 'primary']) {
        const sg = rates.filter((r) => r.entry_year === year && r.phase === phase && r.level === 'supergroup');
        const at = (code: string, m: string) => sg.find((r) => r.segment === code && r.measure === m)!;
        for (const code of planted) {
          const first = at(code, 'first_preference');
          expect(first.rate!, `${year} ${phase} ${code}`).toBeLessThan(first.la_rate!);
          expect(first.flag, `${year} ${phase} ${code} first preference`).toBe('lower');
          expect(first.p_adjusted!).toBeLessThan(0.05);
          // The interval drawn excludes the LA rate, on the low side: chart and flag agree.
          expect(first.ci_high!).toBeLessThan(first.la_rate!);
          const nearest = at(code, 'nearest_first');
          expect(nearest.flag, `${year} ${phase} ${code} nearest first`).toBe('higher');
          expect(nearest.ci_low!).toBeGreaterThan(nearest.la_rate!);
        }
        // No other supergroup is offered its first preference significantly less often, and each does better than both planted ones.
        const others = sg.filter((r) => r.measure === 'first_preference' && !planted.has(r.segment) && r.n >= 100);
        expect(others.length).toBeGreaterThan(3);
        for (const r of others) {
          expect(r.flag, `${year} ${phase} ${r.segment}`).not.toBe('lower');
          for (const code of planted) expect(r.rate!).toBeGreaterThan(at(code, 'first_preference').rate!);
        }
        // The rates are near what was planted (the sample's nearest school is its own estimate, so loosely there).
        const rate = PLANTED.firstOffered[phase as 'secondary' | 'primary'];
        for (const code of planted) expect(Math.abs(at(code, 'first_preference').rate! - rate.planted)).toBeLessThan(0.04);
        rounds++;
      }
    }
    expect(rounds).toBe(4);
  });

  it('the LA rows count the curated applications exactly (on time, by round and year)', async () => {
    const truth = await duck<{ entry_year: number; phase: string; n: number; x: number }>(
      `SELECT entry_year, phase, count(*) AS n, count(*) FILTER (WHERE offered_rank = 1) AS x FROM read_parquet('${out}/curated/admissions/*/*.parquet') WHERE on_time GROUP BY ALL ORDER BY ALL`,
    );
    expect(truth.length).toBe(4);
    for (const t of truth) {
      const la = rates.find((r) => r.level === 'la' && r.entry_year === t.entry_year && r.phase === t.phase && r.measure === 'first_preference')!;
      expect([la.n, la.x]).toEqual([t.n, t.x]);
    }
  });
});

describe('rates, intervals and tests equal scipy to 1e-9', () => {
  it('Clopper–Pearson intervals at the Bonferroni level, doubled exact binomial tests against the LA rate, Bonferroni adjustment over the level’s segments', () => {
    const tested = rates.filter((r) => r.level !== 'la' && r.n > 0);
    // The family of each row: the segments of its level with a denominator for its measure, round and year.
    const family = new Map<string, number>();
    for (const r of tested) {
      const k = `${r.entry_year}|${r.phase}|${r.level}|${r.measure}`;
      family.set(k, (family.get(k) ?? 0) + 1);
    }
    const ref = py<number[][]>(
      `out = []
for x, n, level, p0 in inp:
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=level, method='exact')
    lo = stats.binom.cdf(x, n, p0); hi = stats.binom.sf(x - 1, n, p0)
    out.append([float(ci.low), float(ci.high), float(min(1, 2 * min(lo, hi)))])`,
      tested.map((r) => [r.x, r.n, r.ci_level, r.la_rate]),
    );
    tested.forEach((r, i) => {
      const [lo, hi, p] = ref[i]!;
      const m = family.get(`${r.entry_year}|${r.phase}|${r.level}|${r.measure}`)!;
      const what = `${r.entry_year} ${r.phase} ${r.level} ${r.segment} ${r.measure}`;
      expect(r.ci_level).toBeCloseTo(1 - 0.05 / m, 12);
      expect(close(r.ci_low, lo!), `${what} low ${r.ci_low} vs ${lo}`).toBe(true);
      expect(close(r.ci_high, hi!), `${what} high ${r.ci_high} vs ${hi}`).toBe(true);
      expect(close(r.p, p!, 1e-9, 1e-300), `${what} p ${r.p} vs ${p}`).toBe(true);
      expect(close(r.p_adjusted, Math.min(1, m * p!), 1e-9, 1e-300), `${what} adjusted`).toBe(true);
      expect(r.rate).toBe(r.x / r.n);
      // The one policy: flagged exactly when the interval excludes the LA rate.
      const excludes = r.la_rate! < r.ci_low! || r.la_rate! > r.ci_high!;
      if (Math.abs(r.p_adjusted! - 0.05) > 1e-9) expect(excludes, what).toBe(r.flag !== 'ns');
    });
    expect(tested.length).toBeGreaterThan(300);
  });

  it('the trend (Fisher, doubled) and the contacted comparison (Fisher within a type; the stratified exact test across types) equal scipy', async () => {
    const trend = await duck<{ phase: string; level: string; segment: string; measure: string; entry_year: number; p: number | null; p_adjusted: number | null }>(
      `SELECT phase, level, segment, measure, entry_year, p, p_adjusted FROM ${table('admissions_trend')} WHERE previous_entry_year IS NOT NULL ORDER BY ALL`,
    );
    const at = (y: number, phase: string, level: string, seg: string, m: string) => rates.find((r) => r.entry_year === y && r.phase === phase && r.level === level && r.segment === seg && r.measure === m)!;
    const fisherCases = trend.map((t) => {
      const now = at(t.entry_year, t.phase, t.level, t.segment, t.measure);
      const was = at(t.entry_year - 1, t.phase, t.level, t.segment, t.measure);
      return [now.x, now.n - now.x, was.x, was.n - was.x];
    });
    const fisher = `
def fisher(a, b, c, d):
    M = a + b + c + d; K = a + c; n = a + b
    return float(min(1, 2 * min(stats.hypergeom.cdf(a, M, K, n), stats.hypergeom.sf(a - 1, M, K, n))))
`;
    const refTrend = py<number[]>(`${fisher}\nout = [fisher(*t) for t in inp]`, fisherCases);
    trend.forEach((t, i) => expect(close(t.p, refTrend[i]!, 1e-9, 1e-300), `trend ${JSON.stringify(t)} vs ${refTrend[i]}`).toBe(true));
    expect(trend.length).toBeGreaterThan(40);

    const contacted = await duck<{ entry_year: number; phase: string; level: string; segment: string; measure: string; contacted_n: number; contacted_x: number; other_n: number; other_x: number; expected_x: number | null; p: number | null }>(
      `SELECT entry_year, phase, level, segment, measure, contacted_n, contacted_x, other_n, other_x, expected_x, p FROM ${table('admissions_contacted')} ORDER BY ALL`,
    );
    const bySeg = contacted.filter((c) => c.level === 'supergroup' && c.p !== null);
    const refSeg = py<number[]>(`${fisher}\nout = [fisher(*t) for t in inp]`, bySeg.map((c) => [c.contacted_x, c.contacted_n - c.contacted_x, c.other_x, c.other_n - c.other_x]));
    bySeg.forEach((c, i) => expect(close(c.p, refSeg[i]!, 1e-9, 1e-300), `contacted ${JSON.stringify(c)}`).toBe(true));
    const within = contacted.filter((c) => c.level === 'within');
    const strata = within.map((w) =>
      bySeg.filter((c) => c.entry_year === w.entry_year && c.phase === w.phase && c.measure === w.measure).map((c) => [c.contacted_x, c.contacted_n - c.contacted_x, c.other_x, c.other_n - c.other_x]),
    );
    const refWithin = py<number[][]>(
      `out = []
for strata in inp:
    dist = np.array([1.0]); lo = 0; obs = 0; exp = 0.0
    for a, b, c, d in strata:
        M = a + b + c + d; K = a + c; n = a + b
        s0 = max(0, n + K - M); s1 = min(n, K)
        dist = np.convolve(dist, stats.hypergeom.pmf(np.arange(s0, s1 + 1), M, K, n)); lo += s0; obs += a; exp += n * K / M
    lower = dist[: obs - lo + 1].sum(); upper = dist[obs - lo:].sum()
    out.append([float(min(1, 2 * min(lower, upper))), exp])`,
      strata,
    );
    within.forEach((w, i) => {
      expect(close(w.p, refWithin[i]![0]!, 1e-9, 1e-300), `within ${JSON.stringify(w)} vs ${refWithin[i]}`).toBe(true);
      expect(close(w.expected_x, refWithin[i]![1]!), `within expected ${w.expected_x} vs ${refWithin[i]![1]}`).toBe(true);
    });
    expect(within.length).toBeGreaterThan(3);
    // Advice changes nothing in the sample: within types, contacted families fare as the others.
    for (const w of within.filter((x) => x.measure === 'first_preference')) expect(w.p!, JSON.stringify(w)).toBeGreaterThan(0.001);
  });
});
