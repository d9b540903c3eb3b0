/**
 * Fair-access statistics on simulated clients with known rates (no pipeline): the bias checks.
 * Clients are drawn at each segment's own rate everywhere, with no place effect, so every place
 * should look like it is on expectation: actual/expected near 1, with shortfalls flagged no more
 * often than the family-wise 5% allows, and no school short because some clients' school was not
 * recorded.
 */
import { describe, expect, it } from 'vitest';
import { Dictionary } from '../functions/profiles/dictionary.ts';
import { fairAccess, type PlaceCount } from '../functions/profiles/fair-access.ts';
import { rng } from './helpers/rng.ts';

// Four segments (two supergroups of two), as a classification's dictionary gives them.
const dict = new Dictionary(
  [
    ['A1', 'A'],
    ['A2', 'A'],
    ['B1', 'B'],
    ['B2', 'B'],
  ].map(([sub, sg]) => ({ subgroup: sub!, subgroupName: sub!, group: sub!, groupName: sub!, supergroup: sg!, supergroupName: sg!, description: null })),
);

function binomial(r: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (r() < p) k++;
  return k;
}

/** Base pupils in 60 wards and 150 schools; clients at `rate[segment]`, a share of them with no school recorded. */
function simulate(seed: number, rate: Record<string, number>, noSchool: number) {
  const r = rng(seed);
  const base: PlaceCount[] = [];
  const clients: PlaceCount[] = [];
  for (let w = 0; w < 60; w++) {
    for (const sub of ['A1', 'A2', 'B1', 'B2']) {
      // Places differ a lot in size and mix: the old method's gap ranking mostly ranked size.
      const n = Math.floor((20 + r() * 400) * (sub.startsWith('B') ? 0.3 + r() : 1));
      const urn = `S${Math.floor(r() * 150)}`;
      base.push({ subgroup: sub, ward: `W${w}`, urn, n });
      const k = binomial(r, n, rate[sub]!);
      const lost = binomial(r, k, noSchool);
      if (k - lost) clients.push({ subgroup: sub, ward: `W${w}`, urn, n: k - lost });
      if (lost) clients.push({ subgroup: sub, ward: `W${w}`, urn: null, n: lost });
    }
  }
  return fairAccess(clients, base, dict, 'supergroup');
}

describe('fair access: bias checks', () => {
  // Supergroup B is reached at half the rate of A: it is under-represented, as in Kent.
  const rate = { A1: 0.12, A2: 0.1, B1: 0.05, B2: 0.06 };

  it('finds the under-represented supergroup', () => {
    const fa = simulate(1, rate, 0.2);
    expect(fa.under).toEqual(['B']);
  });

  it('places reached at their segment’s LA rate are on expectation: actual/expected near 1, few flags, and the ranking is not a ranking of size', () => {
    let flagged = 0;
    let places = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const fa = simulate(seed, rate, 0.2);
      for (const t of [fa.byWard, fa.bySchool]) {
        const rows = t.rows.filter((p) => p.expected > 0);
        const exp = rows.reduce((a, p) => a + p.expected, 0);
        const act = rows.reduce((a, p) => a + p.actual, 0);
        expect(act / exp).toBeCloseTo(1, 9);
        const ratios = rows.filter((p) => p.expected >= 5).map((p) => p.ratio!).sort((a, b) => a - b);
        const median = ratios[Math.floor(ratios.length / 2)]!;
        expect(median).toBeGreaterThan(0.85);
        expect(median).toBeLessThan(1.15);
        flagged += rows.filter((p) => p.flag !== 'within').length;
        places += rows.length;
        // With the overall penetration (the old method) every place of B would be ~0.5 and the
        // shortfall would grow with size; by each segment's own rate, rank and size are unrelated.
        const size = t.rows.map((p) => p.baseN);
        expect(Math.abs(rankCorrelation(size.map((_, i) => i), size))).toBeLessThan(0.5);
      }
    }
    // Family-wise 5% per table over 20 tables: at most a handful of places flagged by chance.
    expect(flagged).toBeLessThanOrEqual(4);
    expect(places).toBeGreaterThan(1000);
  });

  it('no school is short because a client’s school was not recorded: such clients are "not known"', () => {
    const all = simulate(3, rate, 0);
    const some = simulate(3, rate, 0.3);
    const sum = (xs: { actual: number }[]) => xs.reduce((a, p) => a + p.actual, 0);
    expect(some.bySchool.notKnown).toBeGreaterThan(0);
    expect(sum(some.bySchool.rows) + some.bySchool.notKnown).toBe(sum(all.bySchool.rows));
    const ratio = (rows: { expected: number; actual: number }[]) => rows.reduce((a, p) => a + p.actual, 0) / rows.reduce((a, p) => a + p.expected, 0);
    expect(ratio(some.bySchool.rows)).toBeCloseTo(1, 9);
    const medianRatio = (rows: { expected: number; ratio: number | null }[]) => {
      const xs = rows.filter((p) => p.expected >= 5).map((p) => p.ratio!).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)]!;
    };
    expect(medianRatio(some.bySchool.rows)).toBeGreaterThan(0.85);
    expect(some.bySchool.rows.filter((p) => p.flag === 'below').length).toBeLessThanOrEqual(1);
  });
});

function rankCorrelation(x: number[], y: number[]): number {
  const rank = (v: number[]) => {
    const idx = v.map((_, i) => i).sort((a, b) => v[a]! - v[b]! || a - b);
    const out = new Array<number>(v.length);
    idx.forEach((j, k) => (out[j] = k));
    return out;
  };
  const rx = rank(x);
  const ry = rank(y);
  const n = x.length;
  const m = (n - 1) / 2;
  let num = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    num += (rx[i]! - m) * (ry[i]! - m);
    dx += (rx[i]! - m) ** 2;
    dy += (ry[i]! - m) ** 2;
  }
  return num / Math.sqrt(dx * dy);
}
