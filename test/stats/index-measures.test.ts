import { describe, expect, it } from 'vitest';
import {
  byarPoissonInterval,
  exactPoissonInterval,
  penetrationPer1000,
  profileRow,
} from '../../functions/domain/stats/index-measures.ts';
import { close, py, python, rng } from './python-oracle.ts';

describe('profileRow: hand-computed example', () => {
  it('O=30, n=200, B=1000, N=10000', () => {
    const r = profileRow({ O: 30, n: 200, B: 1000, N: 10000 });
    expect(r.pct).toBeCloseTo(15, 12);
    expect(r.basePct).toBeCloseTo(10, 12);
    expect(r.penetration).toBeCloseTo(3, 12);
    expect(r.expected).toBeCloseTo(20, 12);
    expect(r.index).toBeCloseTo(150, 12);
    // (0.15 - 0.1) / sqrt(0.1 * 0.9 / 200)
    expect(r.z).toBeCloseTo(2.3570226039551585, 12);
    // Byar on O=30: low = 30(1 - 1/270 - 1.959964/(3√30))³ = 20.23694; index CI = 100·low/E
    expect(r.ciLow).toBeCloseTo(101.18469546633195, 9);
    // high = 31(1 - 1/279 + 1.959964/(3√31))³ = 42.82837
    expect(r.ciHigh).toBeCloseTo(214.14185970999353, 9);
    expect(r.significant).toBe(true);
    expect(r.reliable).toBe(true);
  });

  it('is not significant when the CI straddles 100, and unreliable when E < 5 or n < 30', () => {
    const r = profileRow({ O: 3, n: 40, B: 100, N: 1000 }); // E = 4
    expect(r.ciLow!).toBeLessThan(100);
    expect(r.ciHigh!).toBeGreaterThan(100);
    expect(r.significant).toBe(false);
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

  it('profileRow matches a numpy re-computation on random inputs', () => {
    const rand = rng(42);
    const cases = Array.from({ length: 300 }, () => {
      const N = 1 + Math.floor(rand() * 50000);
      const B = Math.floor(rand() * (N + 1));
      const n = 1 + Math.floor(rand() * 2000);
      const O = Math.floor(rand() * (n + 1));
      return { O, n, B, N, alpha: [0.05, 0.01][Math.floor(rand() * 2)] };
    });
    const ref = py<Array<Record<string, number | boolean | null>>>(
      `
out = []
for c in inp:
    O, n, B, N, a = (float(c[k]) for k in ('O', 'n', 'B', 'N', 'alpha'))
    t, b = O/n, B/N
    E = n*b
    z = stats.norm.ppf(1 - a/2)
    lo = 0.0 if O == 0 else O*(1 - 1/(9*O) - z/(3*np.sqrt(O)))**3
    hi = (O+1)*(1 - 1/(9*(O+1)) + z/(3*np.sqrt(O+1)))**3
    lo = max(lo, 0.0)
    ci = (100*lo/E, 100*hi/E) if E > 0 else (None, None)
    out.append(dict(
        pct=100*t, basePct=100*b, penetration=(100*O/B if B > 0 else None),
        index=(100*t/b if b > 0 else None), expected=E,
        z=((t-b)/np.sqrt(b*(1-b)/n) if 0 < b < 1 else None),
        ciLow=ci[0], ciHigh=ci[1],
        significant=bool(ci[0] is not None and (ci[0] > 100 or ci[1] < 100)),
        reliable=bool(E >= 5 and n >= 30)))
`,
      cases,
    );
    cases.forEach((c, k) => {
      const got = profileRow(c) as unknown as Record<string, number | boolean | null>;
      for (const [key, want] of Object.entries(ref[k])) {
        const g = got[key];
        if (typeof want === 'boolean') expect(g, `${key} case ${JSON.stringify(c)}`).toBe(want);
        else expect(close(g as number | null, want, 1e-9, 1e-9), `${key} case ${JSON.stringify(c)}: ${g} vs ${want}`).toBe(true);
      }
    });
  });
});
