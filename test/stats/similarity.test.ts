import { describe, expect, it } from 'vitest';
import { distribution, haversineKm, jensenShannonDistance, jensenShannonDistanceNormalised, jensenShannonDistanceSparse, mostSimilar, sparseDistribution } from '../../functions/domain/stats/similarity.ts';
import { close, py, python, rng } from './python-oracle.ts';

describe('similarity: hand-checked behaviour', () => {
  it('Jensen-Shannon distance bounds and normalisation', () => {
    expect(jensenShannonDistance([1, 2, 3], [2, 4, 6])).toBe(0); // same shape after normalising
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 12); // disjoint support
    expect(jensenShannonDistance([0.5, 0.5], [1, 0])).toBeCloseTo(Math.sqrt(1.5 - 0.75 * Math.log2(3)), 12);
    expect(() => jensenShannonDistance([1], [1, 2])).toThrow(RangeError);
    expect(() => jensenShannonDistance([0, 0], [1, 2])).toThrow(RangeError);
    expect(() => jensenShannonDistance([-1, 2], [1, 2])).toThrow(RangeError);
  });

  it('the sparse Jensen-Shannon distance is the dense one bit for bit (shares of schools: mostly zeros)', () => {
    const r = rng(5);
    let differentInputs = 0;
    for (let trial = 0; trial < 4000; trial++) {
      const d = 1 + Math.floor(r() * 60);
      const draw = (): number[] => Array.from({ length: d }, () => (r() < 0.8 ? 0 : Math.floor(r() * 40)));
      let p = draw();
      let q = draw();
      if (!p.some((x) => x > 0)) p[0] = 1;
      if (!q.some((x) => x > 0)) q[d - 1] = 3;
      if (trial % 7 === 0) q = [...p]; // identical profiles: distance 0
      const pn = distribution(p);
      const qn = distribution(q);
      const dense = jensenShannonDistanceNormalised(pn, qn);
      if (dense > 0) differentInputs++;
      expect(Object.is(jensenShannonDistanceSparse(sparseDistribution(pn), sparseDistribution(qn)), dense), `${p} | ${q}`).toBe(true);
    }
    expect(differentInputs).toBeGreaterThan(3000);
  });

  it('the sparse distance stays the dense one for shares at the edge of the doubles (tiny, subnormal, whole)', () => {
    // A term where the other share is 0 is the share itself down to 2^-1021; below, x / 2 rounds.
    for (const tiny of [2 ** -1021, 2 ** -1022, 5e-324, 3e-320, 1e-300, 2 ** -53]) {
      for (const [p, q] of [
        [[tiny, 0, 1 - tiny], [0, 0.5, 0.5]],
        [[0, tiny, 1], [1, 0, 0]],
        [[1, 0], [0, 1]],
      ] as number[][][]) {
        const dense = jensenShannonDistanceNormalised(p!, q!);
        expect(Object.is(jensenShannonDistanceSparse(sparseDistribution(p!), sparseDistribution(q!)), dense), `${p} | ${q}`).toBe(true);
      }
    }
  });

  it('haversine: London (Charing Cross) to Manchester (Piccadilly) ≈ 262 km; zero; symmetric', () => {
    const d = haversineKm(51.5074, -0.1278, 53.4808, -2.2426);
    expect(d).toBeGreaterThan(260);
    expect(d).toBeLessThan(264);
    expect(haversineKm(52, -1, 52, -1)).toBe(0);
    expect(haversineKm(0, 0, 0, 180)).toBeCloseTo(Math.PI * 6371.0088, 6);
    expect(haversineKm(53.4808, -2.2426, 51.5074, -0.1278)).toBeCloseTo(d, 9);
  });

  it('mostSimilar: nearest first, ties by id, excludes the target itself', () => {
    const target = { id: 'B', profile: [1, 1, 0] };
    const candidates = [
      { id: 'Z', profile: [1, 1, 1] },
      { id: 'B', profile: [1, 1, 0] }, // the target itself
      { id: 'C', profile: [2, 2, 0] }, // identical shape: distance 0
      { id: 'A', profile: [3, 3, 0] }, // identical shape: distance 0, tie with C -> A first
      { id: 'Y', profile: [0, 0, 1] },
      { id: 'X', profile: [1, 1, 1] }, // tie with Z -> X first
    ];
    const top = mostSimilar(target, candidates, 4);
    expect(top.map((t) => t.id)).toEqual(['A', 'C', 'X', 'Z']);
    expect(top[0].distance).toBe(0);
    expect(top[3].distance).toBeGreaterThan(0);
    expect(mostSimilar(target, candidates, 0)).toEqual([]);
    expect(mostSimilar(target, candidates, 50)).toHaveLength(5);
    // numeric ids tie-break numerically (10 after 9), not as strings
    const numeric = mostSimilar({ id: 1, profile: [1, 0] }, [{ id: 10, profile: [1, 0] }, { id: 9, profile: [1, 0] }], 2);
    expect(numeric.map((t) => t.id)).toEqual([9, 10]);
    // custom distance (e.g. geography)
    const geo = mostSimilar({ id: 0, profile: [52, -1] }, [{ id: 1, profile: [53, -1] }, { id: 2, profile: [52.1, -1] }], 1, (a, b) =>
      haversineKm(a.profile[0], a.profile[1], b.profile[0], b.profile[1]),
    );
    expect(geo[0].id).toBe(2);
  });
});

describe('similarity vs scipy / numpy', () => {
  it('jensenShannonDistance equals scipy.spatial.distance.jensenshannon(base=2)', () => {
    const rand = rng(5);
    const pairs = Array.from({ length: 200 }, () => {
      const k = 1 + Math.floor(rand() * 70);
      const gen = () => Array.from({ length: k }, () => (rand() < 0.25 ? 0 : Math.floor(rand() * 500)));
      let p = gen();
      let q = gen();
      if (p.every((x) => x === 0)) p = p.map((_, i) => (i === 0 ? 1 : 0));
      if (q.every((x) => x === 0)) q = q.map((_, i) => (i === k - 1 ? 1 : 0));
      return [p, q];
    });
    const ref = py<number[]>(
      `
from scipy.spatial.distance import jensenshannon
out = [float(jensenshannon(np.asarray(p, float), np.asarray(q, float), base=2)) for p, q in inp]
`,
      pairs,
    );
    let spread = 0;
    pairs.forEach(([p, q], k) => {
      const got = jensenShannonDistance(p, q);
      expect(close(got, ref[k], 1e-9, 1e-7), `pair ${k}: ${got} vs ${ref[k]}`).toBe(true);
      expect(got).toBeGreaterThanOrEqual(0);
      expect(got).toBeLessThanOrEqual(1);
      if (ref[k] > 0.2 && ref[k] < 0.9) spread++;
    });
    expect(spread).toBeGreaterThan(20);
  });

  it('haversineKm equals a numpy re-implementation', () => {
    const rand = rng(9);
    const pts = Array.from({ length: 200 }, () => [
      49.9 + rand() * 5.9, -6.4 + rand() * 8.2, 49.9 + rand() * 5.9, -6.4 + rand() * 8.2,
    ]);
    pts.push([51.5, -0.12, 51.5, -0.12], [10, 20, -10, -160]);
    const ref = py<number[]>(
      `
R = 6371.0088
a = np.radians(np.asarray(inp, float))
lat1, lon1, lat2, lon2 = a[:, 0], a[:, 1], a[:, 2], a[:, 3]
h = np.sin((lat2 - lat1)/2)**2 + np.cos(lat1)*np.cos(lat2)*np.sin((lon2 - lon1)/2)**2
out = (2 * R * np.arcsin(np.sqrt(np.minimum(1, h)))).tolist()
`,
      pts,
    );
    pts.forEach(([a, b, c, d], k) => {
      expect(close(haversineKm(a, b, c, d), ref[k], 1e-11, 1e-9), `pt ${k}`).toBe(true);
    });
  });
});
