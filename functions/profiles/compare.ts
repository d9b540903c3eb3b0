/**
 * Target-versus-base comparison per segment (the core of both the school profiles and the
 * fair-access analysis). Notation: O target count, n target total, B base count, N base total.
 */
import { profileRow } from '../domain/stats/index-measures.ts';
import { holm, twoSidedP } from '../domain/stats/tests.ts';

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
  ciLow: number | null;
  ciHigh: number | null;
  z: number | null;
  p: number | null;
  pHolm: number | null;
  /** From the CI of the index: over / under / ns; null when the index is undefined. */
  ciFlag: 'over' | 'under' | 'ns' | null;
  reliable: boolean;
}

export const sum = (c: Counts) => {
  let s = 0;
  for (const v of c.values()) s += v;
  return s;
};

/**
 * Compare target against base over `segments` (every segment of the level, in order, so segments
 * absent from the target show as 0). Holm adjusts the z-test p-values across these segments.
 */
export function compare(target: Counts, base: Counts, segments: string[]): Comparison[] {
  const n = sum(target);
  const N = sum(base);
  const rows = segments.map((segment) => {
    const O = target.get(segment) ?? 0;
    const B = base.get(segment) ?? 0;
    const r = profileRow({ O, n, B, N });
    const ciFlag = r.index === null || r.ciLow === null ? null : r.significant ? (r.index > 100 ? 'over' : 'under') : 'ns';
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
      z: r.z,
      p: twoSidedP(r.z),
      pHolm: null as number | null,
      ciFlag: ciFlag as Comparison['ciFlag'],
      reliable: r.reliable,
    };
  });
  const adjusted = holm(rows.map((r) => r.p));
  rows.forEach((r, i) => (r.pHolm = adjusted[i]));
  return rows;
}

/** Add counts of `from` into `into`. */
export function addInto(into: Counts, from: Counts): Counts {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
  return into;
}
