/** Similar schools: exact Jensen-Shannon ranking, and the shortlist used at England scale. */
import { describe, expect, it } from 'vitest';
import { Dictionary } from '../functions/profiles/dictionary.ts';
import { emptyLevels, similarSchools, type School, type SchoolCounts } from '../functions/profiles/school-profiles.ts';
import { jensenShannonDistance } from '../functions/domain/stats/similarity.ts';
import { OAC11_NAMES } from '../schemas/oac11.ts';

const dict = new Dictionary(
  OAC11_NAMES.filter((o) => o.code !== '9Z9').map((o) => ({ subgroup: o.code, subgroupName: o.subgroup, group: o.code.slice(0, 2), groupName: o.group, supergroup: o.code[0], supergroupName: o.supergroup, description: null })),
);

/** Schools drawn from a few community types, so that true neighbours exist. */
function county(n: number, seed = 7) {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const counts: SchoolCounts = new Map();
  const schools = new Map<string, School>();
  for (let i = 0; i < n; i++) {
    const urn = String(100000 + i);
    const type = i % 6;
    const levels = emptyLevels();
    dict.codes.subgroup.forEach((code, j) => {
      const weight = (j + type * 11) % 13 < 3 ? 40 : 2;
      const c = Math.floor(rand() * weight);
      if (c === 0) return;
      levels.subgroup.set(code, c);
      for (const level of ['group', 'supergroup'] as const) {
        const k = dict.at(code, level)!;
        levels[level].set(k, (levels[level].get(k) ?? 0) + c);
      }
    });
    counts.set(urn, levels);
    schools.set(urn, { urn, name: `School ${i}`, phase: 'primary', cluster: `C${i % 4}`, lat: 51 + rand(), long: 0.5 + rand() });
  }
  return { counts, schools };
}

describe('similar schools', () => {
  it('ranks by exact Jensen-Shannon distance and excludes the school itself', () => {
    const { counts, schools } = county(60);
    const res = similarSchools(counts, schools, dict, 5);
    const a = '100000';
    const mine = res.filter((r) => r.urn === a);
    expect(mine.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    const vec = (u: string) => dict.codes.subgroup.map((c) => counts.get(u)!.subgroup.get(c) ?? 0);
    const brute = [...counts.keys()]
      .filter((u) => u !== a)
      .map((u) => ({ u, d: jensenShannonDistance(vec(a), vec(u)) }))
      .sort((x, y) => x.d - y.d || x.u.localeCompare(y.u))
      .slice(0, 5);
    expect(mine.map((r) => r.similarUrn)).toEqual(brute.map((b) => b.u));
    mine.forEach((r, i) => expect(r.similarity).toBeCloseTo(1 - brute[i].d, 12));
    expect(mine.every((r) => r.distanceKm !== null && r.distanceKm > 0)).toBe(true);
  });

  it('the England-scale shortlist finds nearly the same top 5 as the exact search', () => {
    const { counts, schools } = county(400);
    const exact = similarSchools(counts, schools, dict, 5);
    const fast = similarSchools(counts, schools, dict, 5, 100);
    const key = (r: { urn: string; similarUrn: string }) => `${r.urn}>${r.similarUrn}`;
    const exactSet = new Set(exact.map(key));
    const overlap = fast.filter((r) => exactSet.has(key(r))).length / exact.length;
    expect(overlap).toBeGreaterThan(0.9);
  });

  it('orders schools at the same distance by URN, whatever order they come in', () => {
    const { counts, schools } = county(30);
    // Eight copies of one school's counts under URNs given out of order: seven tie at distance 0 from each.
    const twin = counts.get('100003')!;
    const urns = ['900007', '900002', '900005', '900000', '900006', '900001', '900004', '900003'];
    for (const urn of urns) {
      counts.set(urn, twin);
      schools.set(urn, { ...schools.get('100003')!, urn });
    }
    const res = similarSchools(counts, schools, dict, 5).filter((r) => r.urn === '900004');
    expect(res.map((r) => r.similarUrn)).toEqual(['100003', '900000', '900001', '900002', '900003']);
    expect(res.every((r) => r.similarity === 1)).toBe(true);
  });
});
