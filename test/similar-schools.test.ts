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

  it('orders schools at the same distance by URN, also when the England-scale shortlist offers them in another order', () => {
    const { counts, schools } = county(30);
    // Two twins of school 100003 (the same subgroup counts, so distance 0 to it and to each other).
    // Their group counts differ (shown counts are rounded level by level), so the shortlist offers
    // the later URN, whose groups match 100003's exactly, before the earlier one.
    const target = counts.get('100003')!;
    const near = { ...target, group: new Map(target.group) };
    const firstGroup = [...near.group.keys()][0]!;
    near.group.set(firstGroup, near.group.get(firstGroup)! + 3);
    counts.set('100031', near);
    counts.set('100032', target);
    for (const urn of ['100031', '100032']) schools.set(urn, { ...schools.get('100003')!, urn });
    for (const exactLimit of [1000, 5]) {
      const res = similarSchools(counts, schools, dict, 3, exactLimit).filter((r) => r.urn === '100003');
      expect(res.map((r) => r.similarUrn).slice(0, 2)).toEqual(['100031', '100032']);
      expect(res.slice(0, 2).every((r) => r.similarity === 1)).toBe(true);
    }
    expect(similarSchools(counts, schools, dict, 0)).toEqual([]);
  });
});
