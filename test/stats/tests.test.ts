import { describe, expect, it } from 'vitest';
import { chiSquareQuantile } from '../../functions/domain/stats/distributions.ts';
import { profileRow } from '../../functions/domain/stats/index-measures.ts';
import {
  chiSquareGoodnessOfFit,
  funnelLimits,
  holm,
  twoProportionTest,
  twoSidedP,
} from '../../functions/domain/stats/tests.ts';
import { close, py, python, rng } from './python-oracle.ts';

describe('hand-checked behaviour', () => {
  it('twoSidedP', () => {
    expect(twoSidedP(1.959963984540054)).toBeCloseTo(0.05, 12);
    expect(twoSidedP(0)).toBe(1);
    expect(twoSidedP(null)).toBeNull();
    expect(twoSidedP(-2)).toBe(twoSidedP(2));
  });

  it('holm: textbook example, nulls pass through, monotone and capped', () => {
    // p = [0.01, 0.04, 0.03, 0.005], m = 4: sorted 0.005·4=0.02, 0.01·3=0.03, 0.03·2=0.06, 0.04·1 -> max(0.06, 0.04)=0.06
    const adj = holm([0.01, null, 0.04, 0.03, 0.005]);
    expect(adj[1]).toBeNull();
    expect(adj[0]).toBeCloseTo(0.03, 12);
    expect(adj[2]).toBeCloseTo(0.06, 12);
    expect(adj[3]).toBeCloseTo(0.06, 12);
    expect(adj[4]).toBeCloseTo(0.02, 12);
    expect(holm([0.5, 0.9])).toEqual([1, 1]);
    expect(holm([])).toEqual([]);
    expect(() => holm([1.2])).toThrow(RangeError);
  });

  it('chiSquareGoodnessOfFit merges the smallest cells into one pooled cell', () => {
    // total 100, expected = [50, 30, 10, 4, 3, 2, 1]. Pool in ascending E: 1, 2, 3 (pool E=6 ≥ 5,
    // but the next cell's own E=4 < 5, so it joins too), then stop at E=10.
    const obs = [45, 35, 9, 4, 3, 2, 2];
    const props = [0.5, 0.3, 0.1, 0.04, 0.03, 0.02, 0.01];
    const r = chiSquareGoodnessOfFit(obs, props);
    expect(r.mergedCells).toEqual([3, 4, 5, 6]);
    expect(r.expected.map((e) => Math.round(e * 1e9) / 1e9)).toEqual([50, 30, 10, 10]);
    expect(r.observed).toEqual([45, 35, 9, 11]);
    expect(r.df).toBe(3);
    // 25/50 + 25/30 + 1/10 + 1/10
    expect(r.statistic).toBeCloseTo(1.5333333333333334, 10);
  });

  it('twoProportionTest', () => {
    const r = twoProportionTest(30, 100, 20, 100);
    expect(r.diff).toBeCloseTo(0.1, 12);
    // pooled 0.25, se = sqrt(0.25·0.75·0.02) = 0.0612372
    expect(r.z).toBeCloseTo(1.6329931618554523, 12);
    expect(twoProportionTest(0, 10, 0, 20)).toEqual({ diff: 0, z: null, p: null });
  });

  it('normal funnel agrees with the profileRow z-score at 95%', () => {
    // A count outside the 95% normal funnel iff |z| > 1.96.
    const n = 180;
    const B = 1200;
    const N = 9000;
    const [lim] = funnelLimits(B / N, n, [0.95]);
    for (let O = 0; O <= n; O++) {
      const z = profileRow({ O, n, B, N }).z as number;
      expect(O < lim.lower || O > lim.upper, `O=${O}`).toBe(Math.abs(z) > 1.959963984540054);
    }
  });
});

describe('chi-square merging rule (exact expectations)', () => {
  it('keeps pooling while the next cell is small even if the pool is already ≥ 5', () => {
    // E = [40, 4.8, 4.8, 0.4] of total 50: pool 0.4, 4.8, 4.8 (next own E < 5) = 10 → cells [40], pool.
    const r = chiSquareGoodnessOfFit([40, 5, 4, 1], [40, 4.8, 4.8, 0.4]);
    expect(r.mergedCells).toEqual([1, 2, 3]);
    expect(r.df).toBe(1);
  });

  it('a cell with expected exactly 5 is not merged', () => {
    const r = chiSquareGoodnessOfFit([78, 17, 5], [0.8, 0.15, 0.05]); // E = [80, 15, 5]
    expect(r.mergedCells).toEqual([]);
    expect(r.df).toBe(2);
    expect(r.statistic).toBeCloseTo(4 / 80 + 4 / 15, 12);
  });

  it('reports p = null when everything had to be pooled', () => {
    const r = chiSquareGoodnessOfFit([1, 2, 0], [1, 1, 1]);
    expect(r.p).toBeNull();
    expect(r.df).toBe(0);
    expect(r.mergedCells).toEqual([0, 1, 2]);
  });

  it('zero-proportion cells are pooled rather than dividing by zero', () => {
    const r = chiSquareGoodnessOfFit([10, 10, 3], [0.5, 0.5, 0]);
    expect(r.mergedCells.includes(2)).toBe(true);
    expect(Number.isFinite(r.statistic)).toBe(true);
  });
});

describe('chi-square quantile polishing', () => {
  it('is accurate where the stdlib quantile is not (large df)', () => {
    // scipy.stats.chi2.ppf(0.975, 2002) = 2127.904272032604
    expect(chiSquareQuantile(0.975, 2002)).toBeCloseTo(2127.904272032604, 8);
  });
});

describe('vs scipy / statsmodels', () => {
  it('two-sided normal p-values equal 2·norm.sf(|z|)', () => {
    const zs = [-40, -8.5, -5, -3.29, -1.96, -1, -0.1, 0, 0.2, 1.5, 2.5, 3, 4, 6, 10, 37];
    const ref = py<number[]>('out = [float(2*stats.norm.sf(abs(z))) for z in inp]', zs);
    zs.forEach((z, k) => expect(close(twoSidedP(z), ref[k], 1e-11, 1e-300), `z=${z}: ${twoSidedP(z)} vs ${ref[k]}`).toBe(true));
  });

  it('holm equals statsmodels multipletests(holm) or a numpy step-down implementation', () => {
    const rand = rng(7);
    const vectors: (number | null)[][] = Array.from({ length: 60 }, () => {
      const m = 1 + Math.floor(rand() * 25);
      return Array.from({ length: m }, () => {
        const u = rand();
        if (u < 0.1) return null;
        if (u < 0.2) return 0.01; // ties
        return rand() ** 3;
      });
    });
    const ref = py<(number | null)[][]>(
      `
try:
    from statsmodels.stats.multitest import multipletests
    def adj(p): return multipletests(p, method='holm')[1]
except ImportError:
    def adj(p):
        p = np.asarray(p, float); m = len(p); o = np.argsort(p, kind='stable')
        a = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * p[o]))
        r = np.empty(m); r[o] = a; return r
out = []
for v in inp:
    idx = [i for i, x in enumerate(v) if x is not None]
    res = [None] * len(v)
    if idx:
        a = adj([v[i] for i in idx])
        for i, x in zip(idx, a): res[i] = float(x)
    out.append(res)
`,
      vectors,
    );
    vectors.forEach((v, k) => {
      const got = holm(v);
      got.forEach((g, i) => expect(close(g, ref[k][i], 1e-12, 1e-15), `vector ${k} idx ${i}: ${g} vs ${ref[k][i]}`).toBe(true));
    });
  });

  it('chi-square GOF equals scipy.stats.chisquare on independently merged cells', () => {
    const rand = rng(11);
    const cases = Array.from({ length: 120 }, () => {
      const k = 2 + Math.floor(rand() * 12);
      const props: number[] = Array.from({ length: k }, () => (rand() < 0.1 ? 0 : rand() ** 2));
      if (!props.some((x) => x > 0)) props[0] = 1;
      const total = Math.floor(rand() * 400);
      const observed = Array.from({ length: k }, () => Math.floor(rand() * (total / k + 3)));
      return { observed, props };
    });
    const ref = py<Array<{ merged: number[]; stat: number; df: number; p: number | null }>>(
      `
out = []
for c in inp:
    o = np.asarray(c['observed'], float); pr = np.asarray(c['props'], float)
    e = o.sum() * pr / pr.sum()
    order = np.argsort(e, kind='stable')
    pool = []
    for i in order:
        pe = e[pool].sum() if pool else 0.0
        if (pool and pe < 5) or e[i] < 5: pool.append(int(i))
        else: break
    keep = [i for i in range(len(o)) if i not in pool]
    fo = list(o[keep]); fe = list(e[keep])
    if pool: fo.append(o[pool].sum()); fe.append(e[pool].sum())
    if len(fo) < 2:
        out.append(dict(merged=sorted(pool), stat=0.0, df=0, p=None))
    else:
        s, p = stats.chisquare(fo, fe)
        out.append(dict(merged=sorted(pool), stat=float(s), df=len(fo)-1, p=float(p)))
`,
      cases,
    );
    let tested = 0;
    let merged = 0;
    cases.forEach((c, k) => {
      const got = chiSquareGoodnessOfFit(c.observed, c.props);
      const want = ref[k];
      const ctx = JSON.stringify(c);
      expect(got.mergedCells, ctx).toEqual(want.merged);
      expect(got.df, ctx).toBe(want.df);
      expect(close(got.statistic, want.stat, 1e-10, 1e-10), `stat ${got.statistic} vs ${want.stat} ${ctx}`).toBe(true);
      expect(close(got.p, want.p, 1e-8, 1e-14), `p ${got.p} vs ${want.p} ${ctx}`).toBe(true);
      for (const e of got.expected) if (got.df > 0) expect(e).toBeGreaterThanOrEqual(5 - 1e-9);
      if (got.p !== null) tested++;
      if (got.mergedCells.length > 0) merged++;
    });
    // The random cases must exercise both paths for the comparison to mean anything.
    expect(tested).toBeGreaterThan(30);
    expect(merged).toBeGreaterThan(30);
  });

  it('two-proportion z-test equals statsmodels proportions_ztest (or its pooled formula)', () => {
    const rand = rng(3);
    const cases = Array.from({ length: 200 }, () => {
      const n1 = 1 + Math.floor(rand() * 3000);
      const n2 = 1 + Math.floor(rand() * 3000);
      return [Math.floor(rand() * (n1 + 1)), n1, Math.floor(rand() * (n2 + 1)), n2];
    });
    const ref = py<Array<[number, number | null, number | null]>>(
      `
try:
    from statsmodels.stats.proportion import proportions_ztest
    def zt(x1, n1, x2, n2): return proportions_ztest([x1, x2], [n1, n2])
except ImportError:
    def zt(x1, n1, x2, n2):
        p = (x1 + x2) / (n1 + n2)
        z = (x1/n1 - x2/n2) / np.sqrt(p*(1-p)*(1/n1 + 1/n2))
        return z, 2*stats.norm.sf(abs(z))
out = []
for x1, n1, x2, n2 in inp:
    p = (x1 + x2) / (n1 + n2)
    if p in (0, 1): out.append([x1/n1 - x2/n2, None, None]); continue
    z, pv = zt(x1, n1, x2, n2)
    out.append([x1/n1 - x2/n2, float(z), float(pv)])
`,
      cases,
    );
    cases.forEach(([x1, n1, x2, n2], k) => {
      const got = twoProportionTest(x1, n1, x2, n2);
      const ctx = `${x1}/${n1} vs ${x2}/${n2}`;
      expect(close(got.diff, ref[k][0], 1e-12, 1e-15), ctx).toBe(true);
      expect(close(got.z, ref[k][1], 1e-10, 1e-12), `${ctx}: z ${got.z} vs ${ref[k][1]}`).toBe(true);
      expect(close(got.p, ref[k][2], 1e-8, 1e-300), `${ctx}: p ${got.p} vs ${ref[k][2]}`).toBe(true);
    });
  });

  it('funnel limits equal scipy for the normal, exact binomial and Poisson methods', () => {
    const cases: Array<[number, number]> = [
      [0.2, 10], [0.2, 50], [0.12, 137], [0.3, 600], [0.05, 1000], [0.01, 80], [0.5, 2000], [0.001, 500],
      [0, 100], [1, 100], [0.25, 0], [0.07, 30000],
    ];
    const levels = [0.95, 0.998];
    const ref = py<Record<string, Array<Array<[number, number]>>>>(
      `
def clamp(v, n): return float(min(n, max(0.0, v)))
def spieg(n, p0, q):
    if n == 0: return 0.0
    r = stats.binom.ppf(q, n, p0)
    F = stats.binom.cdf(r, n, p0); f = stats.binom.pmf(r, n, p0)
    return float(r - (F - q) / f)
out = {'normal': [], 'binomial': [], 'poisson': []}
for p0, n in inp['cases']:
    rn, rb, rp = [], [], []
    for lv in inp['levels']:
        a = (1 - lv) / 2
        z = stats.norm.ppf(1 - a)
        E = n * p0
        h = z * np.sqrt(E * (1 - p0))
        rn.append([clamp(E - h, n), clamp(E + h, n)])
        rb.append([clamp(spieg(n, p0, a), n), clamp(spieg(n, p0, 1 - a), n)])
        lo = stats.chi2.ppf(a, 2*E)/2 if E > 0 else 0.0
        rp.append([clamp(lo, n), clamp(stats.chi2.ppf(1 - a, 2*E + 2)/2, n)])
    out['normal'].append(rn); out['binomial'].append(rb); out['poisson'].append(rp)
`,
      { cases, levels },
    );
    for (const method of ['normal', 'binomial', 'poisson'] as const) {
      cases.forEach(([p0, n], k) => {
        const got = funnelLimits(p0, n, levels, method);
        got.forEach((g, li) => {
          const [lo, hi] = ref[method][k][li];
          const ctx = `${method} p0=${p0} n=${n} level=${levels[li]}`;
          // Binomial goes through cdf sums: allow a little more relative error than the closed forms.
          const rtol = method === 'binomial' ? 1e-6 : 1e-8;
          expect(close(g.lower, lo, rtol, 1e-6), `${ctx}: lower ${g.lower} vs ${lo}`).toBe(true);
          expect(close(g.upper, hi, rtol, 1e-6), `${ctx}: upper ${g.upper} vs ${hi}`).toBe(true);
          if (n > 0) expect(g.upperRate).toBeCloseTo(g.upper / n, 12);
        });
      });
    }
  });
});
