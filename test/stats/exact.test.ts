/**
 * Exact binomial and Poisson tails, tests, control limits and the two-year ratio test, and the
 * Bonferroni policy, against scipy to 1e-9.
 */
import { describe, expect, it } from 'vitest';
import { binomialTails, compareRatios, exactBinomialTest, exactPoissonTest, fisherExactTest, poissonControlLimits, poissonTails, stratifiedExactTest } from '../../functions/domain/stats/exact.ts';
import { bonferroni, bonferroniAlpha } from '../../functions/domain/stats/tests.ts';
import { clopperPearsonInterval } from '../../functions/domain/stats/intervals.ts';
import { close, py, rng } from './python-oracle.ts';

describe('hand-checked', () => {
  it('the issue’s example: 9 observed against 3.01 expected is not significant at 0.001 exactly', () => {
    // The normal z-test gave p = 0.00055; the exact binomial test (doubled) gives about 0.0076.
    const t = exactBinomialTest(9, 600, 3.01 / 600);
    expect(t.p).toBeGreaterThan(0.005);
    expect(t.p).toBeLessThan(0.01);
  });

  it('edges: p0 of 0 or 1, x at 0 or n', () => {
    expect(binomialTails(0, 10, 0)).toEqual({ lower: 1, upper: 1 });
    expect(binomialTails(3, 10, 0)).toEqual({ lower: 1, upper: 0 });
    expect(binomialTails(10, 10, 1)).toEqual({ lower: 1, upper: 1 });
    expect(exactBinomialTest(0, 0, 0.3).p).toBe(1);
    expect(poissonTails(0, 0)).toEqual({ lower: 1, upper: 1 });
    expect(compareRatios(0, 5, 0, 5)).toEqual({ ratio: null, p: null });
    expect(compareRatios(3, 0, 4, 5)).toEqual({ ratio: null, p: null });
  });

  it('Bonferroni: nulls pass through and do not count; the level is alpha/m', () => {
    expect(bonferroni([0.01, null, 0.2, 0.5])).toEqual([0.03, null, 0.6000000000000001, 1]);
    expect(bonferroniAlpha(0.05, 8)).toBeCloseTo(0.00625, 15);
    expect(bonferroniAlpha(0.05, 0)).toBe(0.05);
  });

  it('a Clopper–Pearson interval excludes p0 exactly when the doubled exact p is below its level', () => {
    const rand = rng(5);
    let sig = 0;
    for (let i = 0; i < 3000; i++) {
      const n = 1 + Math.floor(rand() * 200);
      const x = Math.floor(rand() * (n + 1));
      const p0 = rand() * rand();
      const alpha = [0.05, 0.05 / 8, 0.05 / 21][i % 3]!;
      const ci = clopperPearsonInterval(x, n, alpha)!;
      const p = exactBinomialTest(x, n, p0).p;
      const excludes = p0 < ci.low || p0 > ci.high;
      // Away from the boundary (floating point decides exact ties either way).
      if (Math.abs(p - alpha) > 1e-9 * alpha) expect(excludes, `x=${x} n=${n} p0=${p0} alpha=${alpha} p=${p}`).toBe(p < alpha);
      if (excludes) sig++;
    }
    expect(sig).toBeGreaterThan(300);
  });

  it('a count lies outside the Poisson control limits exactly when the one-sided exact test says so', () => {
    for (const mu of [0.3, 1, 2.7, 5, 9.99, 10, 33.3, 120, 640]) {
      for (const alpha of [0.05, 0.05 / 100]) {
        const lim = poissonControlLimits(mu, alpha);
        for (let a = 0; a <= Math.ceil(mu * 3 + 20); a++) {
          const t = poissonTails(a, mu);
          expect(a < lim.lower, `mu=${mu} a=${a} lower`).toBe(t.lower < alpha / 2);
          expect(a > lim.upper, `mu=${mu} a=${a} upper`).toBe(t.upper < alpha / 2);
        }
      }
    }
  });
});

describe('vs scipy', () => {
  it('binomial tails and the doubled exact test equal scipy.stats.binom', () => {
    const rand = rng(41);
    const cases = Array.from({ length: 400 }, () => {
      const n = 1 + Math.floor(rand() ** 2 * 5000);
      const p = rand() < 0.1 ? rand() * 1e-3 : rand();
      // Mostly near the mean, some far in the tails.
      const k = Math.min(n, Math.max(0, Math.round(n * p + (rand() - 0.5) * 8 * Math.sqrt(n * p * (1 - p) + 1))));
      return [k, n, p];
    });
    const ref = py<number[][]>(
      `out = [[float(stats.binom.cdf(k, n, p)), float(stats.binom.sf(k - 1, n, p)), float(min(1, 2*min(stats.binom.cdf(k, n, p), stats.binom.sf(k - 1, n, p))))] for k, n, p in inp]`,
      cases,
    );
    cases.forEach(([k, n, p], i) => {
      const t = binomialTails(k!, n!, p!);
      const ctx = `k=${k} n=${n} p=${p}`;
      expect(close(t.lower, ref[i]![0]!, 1e-9, 1e-300), `${ctx} lower ${t.lower} vs ${ref[i]![0]}`).toBe(true);
      expect(close(t.upper, ref[i]![1]!, 1e-9, 1e-300), `${ctx} upper ${t.upper} vs ${ref[i]![1]}`).toBe(true);
      expect(close(exactBinomialTest(k!, n!, p!).p, ref[i]![2]!, 1e-9, 1e-300), ctx).toBe(true);
    });
  });

  it('Poisson tails, the exact test and the control limits equal scipy.stats.poisson', () => {
    const rand = rng(43);
    const cases = Array.from({ length: 300 }, () => {
      const mu = rand() < 0.5 ? rand() * 12 : rand() * 800;
      const a = Math.max(0, Math.round(mu + (rand() - 0.5) * 8 * Math.sqrt(mu + 1)));
      const alpha = [0.05, 0.002, 0.05 / 120][Math.floor(rand() * 3)]!;
      return [a, mu, alpha];
    });
    const ref = py<number[][]>(
      `
def limits(mu, alpha):
    q = alpha / 2
    r = stats.poisson.ppf(q, mu)
    while stats.poisson.cdf(r, mu) < q: r += 1
    while r > 0 and stats.poisson.cdf(r - 1, mu) >= q: r -= 1
    lo = max(0.0, r - (stats.poisson.cdf(r, mu) - q) / stats.poisson.pmf(r, mu))
    s = stats.poisson.isf(q, mu)
    while stats.poisson.sf(s - 1, mu) < q: s -= 1
    while stats.poisson.sf(s, mu) >= q: s += 1
    hi = s + (stats.poisson.sf(s - 1, mu) - q) / stats.poisson.pmf(s, mu)
    return float(lo), float(hi)
out = []
for a, mu, alpha in inp:
    lo, up = float(stats.poisson.cdf(a, mu)), float(stats.poisson.sf(a - 1, mu))
    out.append([lo, up, min(1.0, 2*min(lo, up)), *limits(mu, alpha)])
`,
      cases,
    );
    cases.forEach(([a, mu, alpha], i) => {
      const t = poissonTails(a!, mu!);
      const ctx = `a=${a} mu=${mu} alpha=${alpha}`;
      expect(close(t.lower, ref[i]![0]!, 1e-9, 1e-300), `${ctx} lower ${t.lower} vs ${ref[i]![0]}`).toBe(true);
      expect(close(t.upper, ref[i]![1]!, 1e-9, 1e-300), `${ctx} upper ${t.upper} vs ${ref[i]![1]}`).toBe(true);
      expect(close(exactPoissonTest(a!, mu!).p, ref[i]![2]!, 1e-9, 1e-300), ctx).toBe(true);
      const lim = poissonControlLimits(mu!, alpha!);
      expect(close(lim.lower, ref[i]![3]!, 1e-9, 1e-9), `${ctx} limit ${lim.lower} vs ${ref[i]![3]}`).toBe(true);
      expect(close(lim.upper, ref[i]![4]!, 1e-9, 1e-9), `${ctx} limit ${lim.upper} vs ${ref[i]![4]}`).toBe(true);
    });
  });

  it('the two-year ratio test equals scipy’s binomial on the conditional split', () => {
    const rand = rng(47);
    const cases = Array.from({ length: 200 }, () => {
      const E1 = 1 + rand() * 300;
      const E2 = 1 + rand() * 300;
      const O1 = Math.round(E1 * (0.5 + rand()));
      const O2 = Math.round(E2 * (0.5 + rand()));
      return [O1, E1, O2, E2];
    });
    const ref = py<number[]>(
      `
out = []
for O1, E1, O2, E2 in inp:
    n = O1 + O2; q = E2 / (E1 + E2)
    out.append(float(min(1, 2*min(stats.binom.cdf(O2, n, q), stats.binom.sf(O2 - 1, n, q)))))
`,
      cases,
    );
    cases.forEach(([O1, E1, O2, E2], i) => {
      const r = compareRatios(O1!, E1!, O2!, E2!);
      expect(close(r.p, ref[i]!, 1e-9, 1e-300), `${O1}/${E1} vs ${O2}/${E2}: ${r.p} vs ${ref[i]}`).toBe(true);
      if (O1! > 0) expect(r.ratio).toBeCloseTo(O2! / E2! / (O1! / E1!), 12);
    });
  });

  it('Bonferroni equals statsmodels multipletests(bonferroni) or its formula', () => {
    const rand = rng(53);
    const vectors = Array.from({ length: 50 }, () => Array.from({ length: 1 + Math.floor(rand() * 30) }, () => (rand() < 0.1 ? null : rand() ** 3)));
    const ref = py<(number | null)[][]>(
      `
try:
    from statsmodels.stats.multitest import multipletests
    adj = lambda p: multipletests(p, method='bonferroni')[1]
except ImportError:
    adj = lambda p: np.minimum(1, np.asarray(p) * len(p))
out = []
for v in inp:
    idx = [i for i, x in enumerate(v) if x is not None]
    res = [None] * len(v)
    if idx:
        for i, x in zip(idx, adj([v[i] for i in idx])): res[i] = float(x)
    out.append(res)
`,
      vectors,
    );
    vectors.forEach((v, k) => bonferroni(v).forEach((g, i) => expect(close(g, ref[k]![i]!, 1e-12, 1e-15)).toBe(true)));
  });
});

describe('Fisher’s exact test and the stratified exact test vs scipy', () => {
  it('hypergeometric tails and the doubled Fisher p equal scipy.stats.hypergeom', () => {
    const rand = rng(77);
    const cases = Array.from({ length: 300 }, () => {
      const n1 = 1 + Math.floor(rand() ** 2 * 3000);
      const n2 = 1 + Math.floor(rand() ** 2 * 20000);
      const p1 = rand();
      const p2 = Math.min(1, Math.max(0, p1 + (rand() - 0.5) * 0.2));
      const a = Math.round(n1 * p1);
      const c = Math.round(n2 * p2);
      return { a, b: n1 - a, c, d: n2 - c };
    });
    const ref = py<number[][]>(
      `out = []
for t in inp:
    M = t['a'] + t['b'] + t['c'] + t['d']; K = t['a'] + t['c']; n = t['a'] + t['b']
    lo = float(stats.hypergeom.cdf(t['a'], M, K, n)); hi = float(stats.hypergeom.sf(t['a'] - 1, M, K, n))
    out.append([lo, hi, float(min(1, 2 * min(lo, hi)))])`,
      cases,
    );
    cases.forEach((t, i) => {
      const r = fisherExactTest(t);
      const [lo, hi, p] = ref[i]!;
      expect(close(r.lower, lo!, 1e-9, 1e-300), `lower ${JSON.stringify(t)}: ${r.lower} vs ${lo}`).toBe(true);
      expect(close(r.upper, hi!, 1e-9, 1e-300), `upper ${JSON.stringify(t)}: ${r.upper} vs ${hi}`).toBe(true);
      expect(close(r.p, p!, 1e-9, 1e-300), `p ${JSON.stringify(t)}: ${r.p} vs ${p}`).toBe(true);
    });
    // Tables far from independence give tiny p-values, which must keep their relative precision.
    expect(ref.some((x) => x[2]! < 1e-10)).toBe(true);
  });

  it('the stratified exact test equals the convolution of scipy’s hypergeometric distributions, and Fisher for one stratum', () => {
    const rand = rng(78);
    const cases = Array.from({ length: 60 }, () =>
      Array.from({ length: 1 + Math.floor(rand() * 8) }, () => {
        const n1 = Math.floor(rand() * 400);
        const n2 = 1 + Math.floor(rand() * 3000);
        const p = 0.4 + rand() * 0.55;
        const a = Math.min(n1, Math.round(n1 * (p + (rand() - 0.5) * 0.15)));
        const c = Math.round(n2 * p);
        return { a: Math.max(0, a), b: n1 - Math.max(0, a), c, d: n2 - c };
      }),
    );
    const ref = py<number[][]>(
      `out = []
for strata in inp:
    dist = np.array([1.0]); lo = 0; obs = 0; exp = 0.0
    for t in strata:
        M = t['a'] + t['b'] + t['c'] + t['d']
        if M == 0: continue
        K = t['a'] + t['c']; n = t['a'] + t['b']
        s0 = max(0, n + K - M); s1 = min(n, K)
        pmf = stats.hypergeom.pmf(np.arange(s0, s1 + 1), M, K, n)
        dist = np.convolve(dist, pmf); lo += s0; obs += t['a']; exp += n * K / M
    lower = float(dist[: obs - lo + 1].sum()); upper = float(dist[obs - lo:].sum())
    out.append([lower, upper, float(min(1, 2 * min(lower, upper))), exp])`,
      cases,
    );
    cases.forEach((strata, i) => {
      const r = stratifiedExactTest(strata);
      const [lo, hi, p, e] = ref[i]!;
      expect(close(r.lower, Math.min(1, lo!), 1e-9, 1e-15), `lower ${i}: ${r.lower} vs ${lo}`).toBe(true);
      expect(close(r.upper, Math.min(1, hi!), 1e-9, 1e-15), `upper ${i}: ${r.upper} vs ${hi}`).toBe(true);
      expect(close(r.p, p!, 1e-9, 1e-15), `p ${i}: ${r.p} vs ${p}`).toBe(true);
      expect(r.expected).toBeCloseTo(e!, 9);
    });
    const one = cases.find((s) => s.length === 1)!;
    expect(stratifiedExactTest(one).p).toBe(fisherExactTest(one[0]!).p);
  });

  it('a difference that is only the mix of strata is not one within them (Simpson): the crude Fisher test flags it, the stratified test does not', () => {
    // Contacted families are mostly of type A, where everyone fares better; within each type they fare as the others.
    const strata = [
      { a: 900, b: 100, c: 1800, d: 200 },
      { a: 140, b: 60, c: 2800, d: 1200 },
    ];
    const crude = fisherExactTest({ a: 1040, b: 160, c: 4600, d: 1400 });
    expect(crude.p).toBeLessThan(1e-6);
    expect(stratifiedExactTest(strata).p).toBeGreaterThan(0.5);
  });
});
