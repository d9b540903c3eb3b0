import { describe, expect, it } from 'vitest';
import { clopperPearsonInterval, wilsonInterval } from '../../functions/domain/stats/intervals.ts';
import { benjaminiHochberg } from '../../functions/domain/stats/tests.ts';
import { close, py, python, rng } from './python-oracle.ts';

const Z975 = 1.959963984540054; // Φ⁻¹(0.975)

describe('hand-checked behaviour', () => {
  it('wilsonInterval: closed forms at x = 0 and x = n, textbook 5/10, n = 0', () => {
    const z2 = Z975 * Z975;
    // x = 0: low = 0, high = z²/(n + z²); x = n: low = n/(n + z²), high = 1.
    expect(wilsonInterval(0, 10)).toEqual({ low: 0, high: expect.closeTo(z2 / (10 + z2), 14) });
    expect(wilsonInterval(10, 10)).toEqual({ low: expect.closeTo(10 / (10 + z2), 14), high: 1 });
    // 5/10: centre ½, half-width z·√(10 + z²)/(2(10 + z²)) = 0.26338… → [0.23659, 0.76341].
    const w = wilsonInterval(5, 10) as { low: number; high: number };
    expect(w.low).toBeCloseTo(0.5 - (Z975 * Math.sqrt(10 + z2)) / (2 * (10 + z2)), 14);
    expect(w.low).toBeCloseTo(0.2365931, 6);
    expect(w.high).toBeCloseTo(0.7634069, 6);
    expect(wilsonInterval(0, 0)).toBeNull();
    // Wider at 99% than at 95%.
    const w99 = wilsonInterval(5, 10, 0.01) as { low: number; high: number };
    expect(w99.low).toBeLessThan(w.low);
    expect(w99.high).toBeGreaterThan(w.high);
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 10, 0)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 10, 1)).toThrow(RangeError);
    expect(() => wilsonInterval(NaN, 10)).toThrow(RangeError);
  });

  it('clopperPearsonInterval: closed forms at x = 0 and x = n, textbook 5/10, n = 0', () => {
    // x = 0: high solves (1 − p)^n = alpha/2; x = n: low solves p^n = alpha/2.
    for (const [n, alpha] of [[1, 0.05], [10, 0.05], [10, 0.01], [250, 0.05], [40000, 0.01]]) {
      const top = 1 - (alpha / 2) ** (1 / n);
      const bottom = (alpha / 2) ** (1 / n);
      const at0 = clopperPearsonInterval(0, n, alpha) as { low: number; high: number };
      const atN = clopperPearsonInterval(n, n, alpha) as { low: number; high: number };
      expect(at0.low).toBe(0);
      expect(close(at0.high, top, 1e-12), `n=${n} alpha=${alpha}: ${at0.high} vs ${top}`).toBe(true);
      expect(close(atN.low, bottom, 1e-12), `n=${n} alpha=${alpha}: ${atN.low} vs ${bottom}`).toBe(true);
      expect(atN.high).toBe(1);
    }
    // x = 1 of n = 2: low solves 1 − (1 − p)² = 0.025, high solves p² = 0.975.
    const one = clopperPearsonInterval(1, 2) as { low: number; high: number };
    expect(one.low).toBeCloseTo(1 - Math.sqrt(0.975), 14);
    expect(one.high).toBeCloseTo(Math.sqrt(0.975), 14);
    // 5/10 at 95%: [0.187086, 0.812914] (published tables).
    const cp = clopperPearsonInterval(5, 10) as { low: number; high: number };
    expect(cp.low).toBeCloseTo(0.187086, 6);
    expect(cp.high).toBeCloseTo(0.812914, 6);
    // Exact interval is wider than Wilson's.
    const w = wilsonInterval(5, 10) as { low: number; high: number };
    expect(cp.low).toBeLessThan(w.low);
    expect(cp.high).toBeGreaterThan(w.high);
    expect(clopperPearsonInterval(0, 0)).toBeNull();
    expect(() => clopperPearsonInterval(2.5, 10)).toThrow(RangeError);
    expect(() => clopperPearsonInterval(11, 10)).toThrow(RangeError);
    expect(() => clopperPearsonInterval(1, 10, 1.5)).toThrow(RangeError);
  });

  it('clopperPearsonInterval is symmetric: low(x, n) = 1 − high(n − x, n)', () => {
    for (const [x, n] of [[0, 7], [3, 7], [12, 100], [999, 1000], [4, 100000]]) {
      const a = clopperPearsonInterval(x, n) as { low: number; high: number };
      const b = clopperPearsonInterval(n - x, n) as { low: number; high: number };
      expect(a.low).toBeCloseTo(1 - b.high, 14);
      expect(a.high).toBeCloseTo(1 - b.low, 14);
    }
  });

  it('benjaminiHochberg: textbook example, ties, nulls pass through, monotone', () => {
    // p = [0.01, 0.04, 0.03, 0.005], m = 4. Sorted: 0.005·4/1 = 0.02, 0.01·4/2 = 0.02,
    // 0.03·4/3 = 0.04, 0.04·4/4 = 0.04; running minimum from the top changes nothing.
    const adj = benjaminiHochberg([0.01, null, 0.04, 0.03, 0.005]);
    expect(adj[1]).toBeNull();
    expect(adj[0]).toBeCloseTo(0.02, 14);
    expect(adj[2]).toBeCloseTo(0.04, 14);
    expect(adj[3]).toBeCloseTo(0.04, 14);
    expect(adj[4]).toBeCloseTo(0.02, 14);
    // Step-up: 0.04·3/2 = 0.06 is lowered to the next rank's 0.045·3/3 = 0.045.
    const up = benjaminiHochberg([0.01, 0.04, 0.045]);
    expect(up[0]).toBeCloseTo(0.03, 14);
    expect(up[1]).toBeCloseTo(0.045, 14);
    expect(up[2]).toBeCloseTo(0.045, 14);
    // Ties: [0.02, 0.02, 0.5] → 0.02·3/1 = 0.06 and 0.02·3/2 = 0.03; both tied values get 0.03.
    expect(benjaminiHochberg([0.02, 0.5, 0.02])).toEqual([0.03, 0.5, 0.03]);
    expect(benjaminiHochberg([0.3])).toEqual([0.3]);
    expect(benjaminiHochberg([])).toEqual([]);
    expect(benjaminiHochberg([null, null])).toEqual([null, null]);
    expect(benjaminiHochberg([1, 1, 1])).toEqual([1, 1, 1]);
    expect(() => benjaminiHochberg([0.2, 1.2])).toThrow(RangeError);
    expect(() => benjaminiHochberg([-0.1, 0.2])).toThrow(RangeError);
    expect(() => benjaminiHochberg([NaN])).toThrow(RangeError);
  });
});

/** A few hundred (x, n): every x for small n, then random n up to 10⁵ with x = 0, 1, n − 1, n forced in. */
function binomialCases(): Array<[number, number, number]> {
  const rand = rng(20240611);
  const cases: Array<[number, number, number]> = [];
  const alphas = [0.05, 0.01];
  for (let n = 1; n <= 12; n++) for (let x = 0; x <= n; x++) cases.push([x, n, alphas[(x + n) % 2]]);
  for (let k = 0; k < 220; k++) {
    const n = 1 + Math.floor(rand() ** 3 * 100000);
    const u = rand();
    const x = u < 0.1 ? 0 : u < 0.2 ? n : u < 0.25 ? 1 : u < 0.3 ? n - 1 : Math.floor(rand() * (n + 1));
    cases.push([x, n, alphas[k % 2]]);
  }
  return cases;
}

describe('vs scipy', () => {
  const cases = binomialCases();

  it('the generated cases cover x = 0, x = n, both alphas and large n', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(cases.filter(([x, n]) => x === 0 && n > 12).length).toBeGreaterThan(10);
    expect(cases.filter(([x, n]) => x === n && n > 12).length).toBeGreaterThan(10);
    expect(cases.filter(([, , a]) => a === 0.01).length).toBeGreaterThan(100);
    expect(cases.filter(([, n]) => n > 10000).length).toBeGreaterThan(30);
  });

  it('wilsonInterval equals binomtest(k, n).proportion_ci(method="wilson")', () => {
    const ref = py<Array<[number, number]>>(
      `
out = []
for k, n, a in inp:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - a, method='wilson')
    out.append([float(ci.low), float(ci.high)])
`,
      cases,
    );
    cases.forEach(([x, n, alpha], k) => {
      const got = wilsonInterval(x, n, alpha) as { low: number; high: number };
      const ctx = `x=${x} n=${n} alpha=${alpha}`;
      expect(close(got.low, ref[k][0], 1e-9, 1e-15), `${ctx}: low ${got.low} vs ${ref[k][0]}`).toBe(true);
      expect(close(got.high, ref[k][1], 1e-9, 1e-15), `${ctx}: high ${got.high} vs ${ref[k][1]}`).toBe(true);
    });
  });

  it('clopperPearsonInterval equals binomtest(k, n).proportion_ci(method="exact")', () => {
    const ref = py<Array<[number, number]>>(
      `
out = []
for k, n, a in inp:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - a, method='exact')
    out.append([float(ci.low), float(ci.high)])
`,
      cases,
    );
    // scipy finds these limits with brentq(xtol=2e-12), so its values are only guaranteed to
    // 2e-12 absolute: that is the absolute slack allowed on top of rtol = 1e-9.
    cases.forEach(([x, n, alpha], k) => {
      const got = clopperPearsonInterval(x, n, alpha) as { low: number; high: number };
      const ctx = `x=${x} n=${n} alpha=${alpha}`;
      expect(close(got.low, ref[k][0], 1e-9, 2e-12), `${ctx}: low ${got.low} vs ${ref[k][0]}`).toBe(true);
      expect(close(got.high, ref[k][1], 1e-9, 2e-12), `${ctx}: high ${got.high} vs ${ref[k][1]}`).toBe(true);
    });
  });

  it('clopperPearsonInterval equals the beta quantiles to 1e-9 relative, also far in the tails', () => {
    // beta.ppf / beta.isf (Boost) are accurate in relative terms, so no absolute slack is needed:
    // this pins down tiny limits (x ≤ 2 of n = 10⁵ is ~1e-7) that brentq's xtol does not.
    const extra: Array<[number, number, number]> = [];
    for (const n of [1, 3, 50, 1000, 100000]) {
      for (const x of [0, 1, 2, Math.floor(n / 3), n - 1, n]) {
        if (x < 0 || x > n) continue;
        for (const alpha of [0.05, 0.01, 0.5, 1e-6, 1e-12]) extra.push([x, n, alpha]);
      }
    }
    const all = [...cases, ...extra];
    const ref = py<Array<[number, number]>>(
      `
out = []
for k, n, a in inp:
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.isf(a / 2, k + 1, n - k))
    out.append([lo, hi])
`,
      all,
    );
    all.forEach(([x, n, alpha], k) => {
      const got = clopperPearsonInterval(x, n, alpha) as { low: number; high: number };
      const ctx = `x=${x} n=${n} alpha=${alpha}`;
      expect(close(got.low, ref[k][0], 1e-9, 0), `${ctx}: low ${got.low} vs ${ref[k][0]}`).toBe(true);
      expect(close(got.high, ref[k][1], 1e-9, 0), `${ctx}: high ${got.high} vs ${ref[k][1]}`).toBe(true);
    });
  });

  it('clopperPearsonInterval is accurate for n up to 10⁷ (mpmath, where scipy drifts by ~1e-10)', () => {
    const cases7: Array<[number, number, number]> = [
      [0, 10_000_000, 0.05], [1, 10_000_000, 0.05], [2, 10_000_000, 0.5], [40, 10_000_000, 0.01],
      [9_999_998, 10_000_000, 0.05], [37, 1_000_000, 1e-6],
    ];
    // Clopper–Pearson's definition, by 60-digit bisection on the binomial tails: low solves
    // P(X ≥ x; p) = alpha/2, high solves P(X ≤ x; p) = alpha/2. Each tail is summed over its
    // short side (min(x, n − x) is small in these cases), complemented where needed.
    const ref = py<Array<[number, number]> | null>(
      `
try:
    import mpmath as mp
except ImportError:
    mp = None
out = None
if mp is not None:
    mp.mp.dps = 60
    def cdf(k, n, p):  # P(X <= k)
        if k < 0: return mp.mpf(0)
        if k <= n - k:
            return mp.fsum(mp.binomial(n, j) * p**j * (1 - p)**(n - j) for j in range(k + 1))
        return 1 - mp.fsum(mp.binomial(n, j) * p**j * (1 - p)**(n - j) for j in range(k + 1, n + 1))
    def solve(f, lo, hi):  # f rises through 0 on [lo, hi]
        lo, hi = mp.mpf(lo), mp.mpf(hi)
        for _ in range(115):
            mid = (lo + hi) / 2
            if f(mid) < 0: lo = mid
            else: hi = mid
        return float((lo + hi) / 2)
    out = []
    for k, n, a in inp:
        t = mp.mpf(a) / 2
        g_lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
        g_hi = 1.0 if k == n else float(stats.beta.isf(a / 2, k + 1, n - k))
        lo = 0.0 if k == 0 else solve(lambda p: (1 - cdf(k - 1, n, p)) - t, g_lo * 0.999, g_lo * 1.001)
        hi = 1.0 if k == n else solve(lambda p: t - cdf(k, n, p), g_hi * 0.999, min(1, g_hi * 1.001))
        out.append([lo, hi])
`,
      cases7,
    );
    if (ref === null) {
      console.warn('[stats tests] mpmath missing: skipping the n = 10⁷ Clopper–Pearson check');
      return;
    }
    cases7.forEach(([x, n, alpha], k) => {
      const got = clopperPearsonInterval(x, n, alpha) as { low: number; high: number };
      const ctx = `x=${x} n=${n} alpha=${alpha}`;
      expect(close(got.low, ref[k][0], 1e-12, 0), `${ctx}: low ${got.low} vs ${ref[k][0]}`).toBe(true);
      expect(close(got.high, ref[k][1], 1e-12, 0), `${ctx}: high ${got.high} vs ${ref[k][1]}`).toBe(true);
    });
  });

  it('benjaminiHochberg equals scipy false_discovery_control(method="bh") (or its numpy formula)', () => {
    const rand = rng(99);
    const vectors: (number | null)[][] = Array.from({ length: 80 }, (_, v) => {
      const m = v < 5 ? v : 1 + Math.floor(rand() * (v % 10 === 0 ? 400 : 30));
      const pool = Array.from({ length: 4 }, () => rand() ** 2); // values reused to create ties
      return Array.from({ length: m }, () => {
        const u = rand();
        if (u < 0.1) return null;
        if (u < 0.3) return pool[Math.floor(rand() * pool.length)];
        if (u < 0.33) return 1;
        if (u < 0.35) return 0;
        return rand() ** 4;
      });
    });
    expect(vectors.filter((v) => new Set(v.filter((p) => p !== null)).size < v.filter((p) => p !== null).length).length).toBeGreaterThan(40);
    const ref = py<(number | null)[][]>(
      `
if hasattr(stats, 'false_discovery_control'):
    def adj(p): return stats.false_discovery_control(np.asarray(p, float), method='bh')
else:
    def adj(p):
        p = np.asarray(p, float); m = len(p); o = np.argsort(p, kind='stable')
        a = np.minimum.accumulate((p[o] * (m / np.arange(1, m + 1)))[::-1])[::-1]
        r = np.empty(m); r[o] = np.clip(a, 0, 1); return r
out = []
for v in inp:
    idx = [i for i, x in enumerate(v) if x is not None]
    res = [None] * len(v)
    if idx:
        a = np.atleast_1d(adj([v[i] for i in idx]))
        for i, x in zip(idx, a): res[i] = float(x)
    out.append(res)
`,
      vectors,
    );
    vectors.forEach((v, k) => {
      const got = benjaminiHochberg(v);
      got.forEach((g, i) => expect(close(g, ref[k][i], 1e-12, 1e-15), `vector ${k} idx ${i}: ${g} vs ${ref[k][i]}`).toBe(true));
      // Tied inputs get identical outputs; outputs are monotone in the inputs.
      const pairs = v.map((p, i) => [p, got[i]] as const).filter(([p]) => p !== null) as Array<readonly [number, number]>;
      pairs.sort((a, b) => a[0] - b[0]);
      for (let j = 1; j < pairs.length; j++) {
        expect(pairs[j][1]).toBeGreaterThanOrEqual(pairs[j - 1][1]);
        if (pairs[j][0] === pairs[j - 1][0]) expect(pairs[j][1]).toBe(pairs[j - 1][1]);
      }
    });
  });
});
