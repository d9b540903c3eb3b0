/**
 * Target-versus-base comparison per segment (the core of both the school profiles and the
 * fair-access analysis). Notation: O target count, n target total, B base count, N base total.
 * Pure: counts in, statistics out, so the same function serves exact counts (analysts' tables) and
 * the rounded counts a head sees.
 */
import { profileRow } from '../domain/stats/index-measures.ts';

export type Counts = Map<string, number>;

export interface Comparison {
  segment: string;
  O: number;
  n: number;
  B: number;
  N: number;
  pct: number | null;
  basePct: number | null;
  penetration: number | null;
  index: number | null;
  expected: number | null;
  /** Index interval at level 1 − 0.05/m (Bonferroni across the family of segments). */
  ciLow: number | null;
  ciHigh: number | null;
  /** Level of that interval. */
  ciLevel: number;
  z: number | null;
  /** Two-sided p of the test used (exact binomial when E < 10, score otherwise). */
  p: number | null;
  /** Bonferroni-adjusted p, min(1, m·p). */
  pAdjusted: number | null;
  method: 'exact' | 'score' | null;
  /** over / under / ns at the family-wise 5% level; null when the index is undefined. */
  flag: 'over' | 'under' | 'ns' | null;
  reliable: boolean;
}

export const sum = (c: Counts) => {
  let s = 0;
  for (const v of c.values()) s += v;
  return s;
};

/** Segments that can be tested: present in the base. The Bonferroni family is these. */
export function familySize(base: Counts, segments: readonly string[]): number {
  return segments.filter((s) => (base.get(s) ?? 0) > 0).length;
}

/**
 * Compare target against base over `segments` (every segment of the level, in order, so segments
 * absent from the target show as 0). The family for the multiple-testing adjustment is the
 * segments with a base count (`familySize`).
 */
export function compare(target: Counts, base: Counts, segments: string[]): Comparison[] {
  const n = sum(target);
  const N = sum(base);
  const family = familySize(base, segments);
  return segments.map((segment) => {
    const O = target.get(segment) ?? 0;
    const B = base.get(segment) ?? 0;
    const r = profileRow({ O, n, B, N, family });
    return {
      segment,
      O,
      n,
      B,
      N,
      pct: r.pct,
      basePct: r.basePct,
      penetration: r.penetration,
      index: r.index,
      expected: r.expected,
      ciLow: r.ciLow,
      ciHigh: r.ciHigh,
      ciLevel: r.level,
      z: r.z,
      p: r.p,
      pAdjusted: r.pAdjusted,
      method: r.method,
      flag: r.flag,
      reliable: r.reliable,
    };
  });
}

/** Add counts of `from` into `into`. */
export function addInto(into: Counts, from: Counts): Counts {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
  return into;
}
