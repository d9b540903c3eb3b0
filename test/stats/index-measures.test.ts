import { describe, expect, it } from 'vitest';
import {
  byarPoissonInterval,
  exactPoissonInterval,
  penetrationPer1000,
  profileRow,
} from '../../functions/domain/stats/index-measures.ts';
import { close, py, python, rng } from './python-oracle.ts';

describe('profileRow: hand-computed examples', () => {
  it('O=30, n=200, B=1000, N=10000 (E = 20: the score test and its Wilson interval)', () => {
    const r = profileRow({ O: 30, n: 200, B: 1000, N: 10000 });
    expect(r.pct).toBeCloseTo(15, 12);
    expect(r.basePct).toBeCloseTo(10, 12);
    expect(r.penetration).toBeCloseTo(3, 12);
    expect(r.expected).toBeCloseTo(20, 12);
    expect(r.index).toBeCloseTo(150, 12);
    // (0.15 - 0.1) / sqrt(0.1 * 0.9 / 200)
    expect(r.z).toBeCloseTo(2.3570226039551585, 12);
    expect(r.method).toBe('score');
    expect(r.p).toBeCloseTo(0.018422125454099, 12); // 2·Φ(−2.357)
    // Wilson 95% for 30/200 = [0.107136, 0.206056] (scipy), divided by b = 0.1
    expect(r.ciLow).toBeCloseTo(107.13593562241996, 9);
    expect(r.ciHigh).toBeCloseTo(206.05579284166663, 9);
    expect(r.flag).toBe('over');
    expect(r.reliable).toBe(true);
    // The same row among 8 segments compared: Bonferroni makes it not significant, and the
    // interval (at 1 − 0.05/8) now reaches below 100.
    const m8 = profileRow({ O: 30, n: 200, B: 1000, N: 10000, family: 8 });
    expect(m8.pAdjusted).toBeCloseTo(8 * r.p!, 12);
    expect(m8.flag).toBe('ns');
    expect(m8.ciLow!).toBeLessThan(100);
    expect(m8.level).toBeCloseTo(1 - 0.05 / 8, 15);
  });

  it('is exact below 10 expected, not significant when the interval straddles 100, unreliable when E < 5 or n < 30', () => {
    const r = profileRow({ O: 3, n: 40, B: 100, N: 1000 }); // E = 4
    expect(r.method).toBe('exact');
    expect(r.ciLow!).toBeLessThan(100);
    expect(r.ciHigh!).toBeGreaterThan(100);
    expect(r.significant).toBe(false);
    expect(r.flag).toBe('ns');
    expect(r.reliable).toBe(false);
    expect(profileRow({ O: 10, n: 29, B: 500, N: 1000 }).reliable).toBe(false); // E = 14.5, n < 30
    expect(profileRow({ O: 10, n: 30, B: 500, N: 3000 }).reliable).toBe(true); // E = 5
  });

  it('returns null for undefined measures instead of NaN/Infinity', () => {
    const zeroBase = profileRow({ O: 2, n: 50, B: 0, N: 1000 });
    expect(zeroBase.index).toBeNull();
    expect(zeroBase.penetration).toBeNull();
    expect(zeroBase.z).toBeNull();
    expect(zeroBase.expected).toBe(0);
    expect(zeroBase.ciLow).toBeNull();
    expect(zeroBase.p).toBeNull();
    expect(zeroBase.flag).toBeNull();
    expect(zeroBase.significant).toBe(false);

    const noTarget = profileRow({ O: 0, n: 0, B: 10, N: 100 });
    expect(noTarget.pct).toBeNull();
    expect(noTarget.index).toBeNull();
    expect(noTarget.z).toBeNull();

    const allBase = profileRow({ O: 40, n: 50, B: 100, N: 100 }); // b = 1
    expect(allBase.z).toBeNull();
    expect(allBase.index).toBeCloseTo(80, 12);

    const zeroObs = profileRow({ O: 0, n: 100, B: 100, N: 1000 });
    expect(zeroObs.ciLow).toBe(0);
    expect(zeroObs.index).toBe(0);
    for (const v of Object.values(zeroObs)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
  });

  it('rejects impossible inputs', () => {
    expect(() => profileRow({ O: 5, n: 4, B: 1, N: 10 })).toThrow(RangeError);
    expect(() => profileRow({ O: 1, n: 4, B: 11, N: 10 })).toThrow(RangeError);
    expect(() => profileRow({ O: -1, n: 4, B: 1, N: 10 })).toThrow(RangeError);
    expect(() => profileRow({ O: 1, n: 4, B: 1, N: 10, alpha: 1.5 })).toThrow(RangeError);
  });

  it('penetrationPer1000', () => {
    expect(penetrationPer1000(3, 1500)).toBeCloseTo(2, 12);
    expect(penetrationPer1000(3, 0)).toBeNull();
  });

  it('Byar lower bound never goes negative for tiny alpha', () => {
    expect(byarPoissonInterval(1, 1e-6).low).toBe(0);
  });
});

describe('index measures vs numpy/scipy', () => {
  it('Byar formula equals an independent numpy implementation', () => {
    const Os = Array.from({ length: 201 }, (_, i) => i).concat([500, 1234, 10000]);
    const alphas = [0.05, 0.01, 0.1, 0.002];
    const ref = py<number[][][]>(
      `
out = []
for a in inp['alphas']:
    z = stats.norm.ppf(1 - a / 2)
    rows = []
    for O in inp['Os']:
        O = float(O)
        lo = 0.0 if O == 0 else O * (1 - 1/(9*O) - z/(3*np.sqrt(O)))**3
        hi = (O+1) * (1 - 1/(9*(O+1)) + z/(3*np.sqrt(O+1)))**3
        rows.append([max(lo, 0.0), hi])
    out.append(rows)
`,
      { Os, alphas },
    );
    alphas.forEach((a, ai) => {
      Os.forEach((O, oi) => {
        const { low, high } = byarPoissonInterval(O, a);
        expect(close(low, ref[ai][oi][0], 1e-10, 1e-12), `low O=${O} a=${a}: ${low} vs ${ref[ai][oi][0]}`).toBe(true);
        expect(close(high, ref[ai][oi][1], 1e-10, 1e-12), `high O=${O} a=${a}: ${high} vs ${ref[ai][oi][1]}`).toBe(true);
      });
    });
  });

  it('exact Poisson interval equals scipy chi2, and Byar is within 1% of it for O >= 10', () => {
    const Os = [0, 1, 2, 3, 5, 10, 11, 15, 20, 30, 50, 75, 100, 250, 1000];
    const ref = py<number[][]>(
      `
out = [[(0.0 if O == 0 else stats.chi2.ppf(0.025, 2*O)/2), stats.chi2.ppf(0.975, 2*O+2)/2] for O in inp]
`,
      Os,
    );
    Os.forEach((O, k) => {
      const exact = exactPoissonInterval(O);
      expect(close(exact.low, ref[k][0], 1e-7, 1e-9), `exact low O=${O}: ${exact.low} vs ${ref[k][0]}`).toBe(true);
      expect(close(exact.high, ref[k][1], 1e-7, 1e-9), `exact high O=${O}: ${exact.high} vs ${ref[k][1]}`).toBe(true);
      if (O >= 10) {
        const byar = byarPoissonInterval(O);
        expect(Math.abs(byar.low - ref[k][0]) / ref[k][0], `Byar low O=${O}`).toBeLessThan(0.01);
        expect(Math.abs(byar.high - ref[k][1]) / ref[k][1], `Byar high O=${O}`).toBeLessThan(0.01);
      }
    });
  });

  it('profileRow matches scipy on random inputs: exact binomial below 10 expected, score and Wilson above, Bonferroni', () => {
    const rand = rng(42);
    const cases = Array.from({ length: 400 }, () => {
      const N = 1 + Math.floor(rand() * 50000);
      const B = Math.floor(rand() * (N + 1));
      const n = 1 + Math.floor(rand() ** 2 * 2000);
      const O = Math.floor(rand() * (n + 1) * (rand() < 0.5 ? B / N : 1));
      return { O, n, B, N, family: [1, 8, 21, 76][Math.floor(rand() * 4)] };
    });
    const ref = py<Array<Record<string, number | boolean | string | null>>>(
      `
from scipy.stats import binomtest
out = []
for c in inp:
    O, n, B, N, m = (int(c[k]) for k in ('O', 'n', 'B', 'N', 'family'))
    a = 0.05 / m
    t, b = O/n, B/N
    E = n*b
    r = dict(pct=100*t, basePct=100*b, penetration=(100*O/B if B > 0 else None),
             index=(100*t/b if b > 0 else None), expected=E,
             z=((t-b)/np.sqrt(b*(1-b)/n) if 0 < b < 1 else None))
    if b > 0:
        exact = E < 10 or not (0 < b < 1)
        ci = binomtest(O, n).proportion_ci(1 - a, method='exact' if exact else 'wilson')
        p = min(1, 2*min(stats.binom.cdf(O, n, b), stats.binom.sf(O - 1, n, b))) if exact else 2*stats.norm.sf(abs(r['z']))
        r.update(method='exact' if exact else 'score', p=float(p), pAdjusted=float(min(1, m*p)), ciLow=100*ci.low/b, ciHigh=100*ci.high/b)
        r['flag'] = ('over' if r['index'] > 100 else 'under') if m*p < 0.05 else 'ns'
    else:
        r.update(method=None, p=None, pAdjusted=None, ciLow=None, ciHigh=None, flag=None)
    r['reliable'] = bool(E >= 5 and n >= 30)
    out.append(r)
`,
      cases,
    );
    let exact = 0;
    let flagged = 0;
    cases.forEach((c, k) => {
      const got = profileRow(c) as unknown as Record<string, number | boolean | string | null>;
      for (const [key, want] of Object.entries(ref[k]!)) {
        const g = got[key];
        if (typeof want === 'number' || (want === null && typeof g === 'number')) expect(close(g as number | null, want as number | null, 1e-9, 1e-9), `${key} case ${JSON.stringify(c)}: ${g} vs ${want}`).toBe(true);
        else expect(g, `${key} case ${JSON.stringify(c)}`).toBe(want);
      }
      // The interval drawn and the flag never disagree.
      if (got.ciLow !== null) expect(got.flag === 'ns', JSON.stringify(c)).toBe((got.ciLow as number) <= 100 && (got.ciHigh as number) >= 100);
      if (got.method === 'exact') exact++;
      if (got.flag === 'over' || got.flag === 'under') flagged++;
    });
    expect(exact).toBeGreaterThan(50);
    expect(flagged).toBeGreaterThan(50);
  });
});
