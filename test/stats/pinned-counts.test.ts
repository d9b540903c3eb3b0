/**
 * The audit's pinned-count check (pinnedCounts, on the compiled arrays) flags exactly what the
 * plain formulation flags: every count the exact ranges of the published table pin to one value,
 * among the hidden ones, in the same order, and fails the same way on inconsistent ranges.
 */
import { describe, expect, it } from 'vitest';
import { exactRanges, pinnedCounts, publishedRanges, showCount, SUPPRESSED, type CountTable, type Line, type PublishedTable, type Shown } from '../../functions/domain/stats/disclosure.ts';

/** The plain formulation: exact ranges of everything shown, then the protected counts pinned. */
function plain(table: CountTable, pub: PublishedTable, rule: { threshold: number; base: number }): string[] {
  const out: string[] = [];
  for (const [k, [a, b]] of exactRanges(publishedRanges(pub, rule), table.lines)) {
    if (a !== b) continue;
    const s = pub.shown.get(k);
    const n = table.counts.get(k) ?? 0;
    if (s === SUPPRESSED || (s === undefined && table.unshown?.has(k) && n > 0 && n < rule.threshold)) out.push(k);
  }
  return out;
}

const outcome = (f: () => string[]) => {
  try {
    return f();
  } catch (e) {
    return String(e);
  }
};

describe('pinnedCounts', () => {
  it('equals the plain exact-ranges formulation on random tables (coarse bases, hidden breakdowns, unshown counts, keys outside the lines)', () => {
    let seed = 7;
    const r = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ri = (n: number) => Math.floor(r() * n);
    let pinned = 0;
    let inconsistent = 0;
    for (let it = 0; it < 5000; it++) {
      const rule = { threshold: 1 + ri(6), base: 1 + ri(10) };
      const lines: Line[] = [];
      const counts = new Map<string, number>();
      const build = (name: string, depth: number): number => {
        if (depth > 2 || r() < 0.4) {
          const n = ri(4) === 0 ? 0 : ri(15);
          counts.set(name, n);
          return n;
        }
        const parts = Array.from({ length: 1 + ri(4) }, (_, i) => `${name}.${i}`);
        let s = 0;
        for (const p of parts) s += build(p, depth + 1);
        lines.push({ total: name, parts });
        counts.set(name, s);
        return s;
      };
      build('T', 0);
      if (r() < 0.5) lines.reverse();
      const keys = [...counts.keys()];
      const unshown = new Set(keys.filter(() => r() < 0.15));
      const order = [...keys].sort(() => r() - 0.5);
      for (let e = 0; e < ri(3); e++) {
        const k = `X${e}`;
        order.splice(ri(order.length + 1), 0, k);
        counts.set(k, ri(10));
      }
      const shown = new Map<string, Shown>();
      const base = new Map<string, number>();
      const underHidden = new Set<string>();
      for (const k of order) {
        if (unshown.has(k)) continue;
        const b = r() < 0.2 ? 10 : rule.base;
        shown.set(k, showCount(counts.get(k)!, rule, b));
        if (r() < 0.5) base.set(k, b);
        if (shown.get(k) === SUPPRESSED && r() < 0.3) underHidden.add(k);
      }
      const table: CountTable = { counts, lines, unshown };
      const pub: PublishedTable = { shown, base, coarsened: [], underHidden, opened: [] };
      const want = outcome(() => plain(table, pub, rule));
      expect(outcome(() => pinnedCounts(table, pub, rule))).toEqual(want);
      if (typeof want === 'string') inconsistent++;
      else if (want.length) pinned++;
    }
    // The random tables reach both cases the audit meets: counts pinned, and ranges that cannot hold.
    expect(pinned).toBeGreaterThan(100);
    expect(inconsistent).toBeGreaterThan(10);
  });
});
