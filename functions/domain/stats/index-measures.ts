/**
 * Profile measures for one segment of a target population (e.g. a school's pupils)
 * against a base population (e.g. all pupils of the local authority).
 *
 * Notation, per segment:
 *   O  target count in the segment          n  target total
 *   B  base count in the segment            N  base total
 *   t = O / n  (target share)               b = B / N  (base share)
 *   E = n · b  (expected target count if the target looked like the base)
 *
 * Measures:
 *   pct         = 100 · t
 *   basePct     = 100 · b
 *   penetration = 100 · O / B        (target per 100 base; null when B = 0)
 *   index       = 100 · t / b = 100 · O / E   (100 = "as expected"; null when b = 0)
 *   z           = (t − b) / √(b(1 − b) / n)   (the score statistic; null when n = 0 or b ∈ {0, 1})
 *
 * Test and interval (the one policy used by every flag, chart and sentence; README, The statistics): O is modelled as Binomial(n, b), b treated as known (the base is much larger).
 *   - E < 10: the exact binomial test (doubled two-sided p) and the Clopper–Pearson interval;
 *   - E ≥ 10: the score test (z above) and the Wilson score interval, which is its exact inversion.
 *   Either way the interval excludes b exactly when p < its level, so interval and test agree.
 *   Multiplicity: Bonferroni within the family of segments compared together (one level of one
 *   profile): the interval is drawn at level 1 − 0.05/m and the flag is p·m < 0.05. The index
 *   interval is the share interval divided by b.
 *   reliable    = E ≥ 5 and n ≥ 30 (below that the index itself is too noisy to present without a caveat)
 */
import { clopperPearsonInterval, wilsonInterval } from './intervals.ts';
import { exactBinomialTest } from './exact.ts';
import { FAMILY_ALPHA, bonferroniAlpha } from './tests.ts';
import { chiSquareQuantile, normalSf, zCritical } from './distributions.ts';

export interface ProfileRowInput {
  /** Target count in the segment. */
  O: number;
  /** Target total (all segments). */
  n: number;
  /** Base count in the segment. */
  B: number;
  /** Base total (all segments). */
  N: number;
  /** Segments compared together (the Bonferroni family size m, ≥ 1). Default 1. */
  family?: number;
  /** Family-wise significance level; default FAMILY_ALPHA (0.05). */
  alpha?: number;
}

export interface ProfileRow {
  /** 100·O/n; null when n = 0. */
  pct: number | null;
  /** 100·B/N; null when N = 0. */
  basePct: number | null;
  /** 100·O/B; null when B = 0. */
  penetration: number | null;
  /** 100·(O/n)/(B/N); null when n = 0 or b = 0. */
  index: number | null;
  /** E = n·B/N; null when N = 0. */
  expected: number | null;
  /** Score statistic (t − b)/√(b(1−b)/n); null when undefined (n = 0, N = 0, b = 0 or b = 1). */
  z: number | null;
  /** Two-sided p of the test used (exact when E < 10, score otherwise); null when untestable. */
  p: number | null;
  /** Bonferroni-adjusted p = min(1, m·p). */
  pAdjusted: number | null;
  /** 'exact' (binomial test, Clopper–Pearson) or 'score' (score test, Wilson); null when untestable. */
  method: 'exact' | 'score' | null;
  /** Interval level actually drawn: 1 − alpha/m. */
  level: number;
  /** Index interval at `level`; null when the index is undefined. */
  ciLow: number | null;
  ciHigh: number | null;
  /** pAdjusted < alpha: the interval excludes 100. */
  significant: boolean;
  /** over / under / ns from the test; null when the index is undefined. */
  flag: 'over' | 'under' | 'ns' | null;
  /** E ≥ 5 and n ≥ 30. */
  reliable: boolean;
}

/** Minimum expected count and target total for an index to be flagged reliable. */
export const RELIABLE_MIN_EXPECTED = 5;
export const RELIABLE_MIN_N = 30;
/** Below this expected count the exact binomial test and interval are used. */
export const EXACT_BELOW_EXPECTED = 10;

function assertCount(name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite non-negative number, got ${v}`);
}

/** All profile measures for one segment. See the module comment for formulas and the policy. */
export function profileRow({ O, n, B, N, family = 1, alpha = FAMILY_ALPHA }: ProfileRowInput): ProfileRow {
  assertCount('O', O);
  assertCount('n', n);
  assertCount('B', B);
  assertCount('N', N);
  if (O > n) throw new RangeError(`O (${O}) cannot exceed n (${n})`);
  if (B > N) throw new RangeError(`B (${B}) cannot exceed N (${N})`);
  const a = bonferroniAlpha(alpha, family);

  const t = n > 0 ? O / n : null;
  const b = N > 0 ? B / N : null;
  const expected = b === null ? null : n * b;
  const index = t !== null && b !== null && b > 0 ? (100 * t) / b : null;
  let z: number | null = null;
  if (t !== null && b !== null && b > 0 && b < 1) z = (t - b) / Math.sqrt((b * (1 - b)) / n);

  let p: number | null = null;
  let method: ProfileRow['method'] = null;
  let ciLow: number | null = null;
  let ciHigh: number | null = null;
  if (index !== null && b !== null && expected !== null) {
    const exact = expected < EXACT_BELOW_EXPECTED || z === null;
    method = exact ? 'exact' : 'score';
    const ci = exact ? clopperPearsonInterval(O, n, a) : wilsonInterval(O, n, a);
    p = exact ? exactBinomialTest(O, n, b).p : Math.min(1, 2 * normalSf(Math.abs(z as number)));
    ciLow = (100 * ci!.low) / b;
    ciHigh = (100 * ci!.high) / b;
  }
  const pAdjusted = p === null ? null : Math.min(1, p * Math.max(1, family));
  const significant = pAdjusted !== null && pAdjusted < alpha;
  const flag = index === null || p === null ? null : significant ? (index > 100 ? 'over' : 'under') : 'ns';
  const reliable = expected !== null && expected >= RELIABLE_MIN_EXPECTED && n >= RELIABLE_MIN_N;

  return {
    pct: t === null ? null : 100 * t,
    basePct: b === null ? null : 100 * b,
    penetration: B > 0 ? (100 * O) / B : null,
    index,
    expected,
    z,
    p,
    pAdjusted,
    method,
    level: 1 - a,
    ciLow,
    ciHigh,
    significant,
    flag,
    reliable,
  };
}

/**
 * Byar's approximation to the exact (Garwood) Poisson confidence interval for an observed count O
 * (Breslow & Day 1987, vol. II, p. 69):
 *
 *   lower = O · (1 − 1/(9O) − z/(3√O))³              (0 when O = 0)
 *   upper = (O+1) · (1 − 1/(9(O+1)) + z/(3√(O+1)))³
 *
 * with z = Φ⁻¹(1 − alpha/2). It is within ~1% of the exact interval for O ≥ 10 and needs no
 * chi-square/gamma inversion. The lower bound is clamped at 0: for very small alpha and O ≈ 1
 * the bracket can go negative, and a negative cube would be a meaningless negative count.
 */
export function byarPoissonInterval(O: number, alpha = 0.05): { low: number; high: number } {
  assertCount('O', O);
  const z = zCritical(alpha);
  let low = 0;
  if (O > 0) {
    const base = 1 - 1 / (9 * O) - z / (3 * Math.sqrt(O));
    low = base > 0 ? O * base ** 3 : 0;
  }
  const O1 = O + 1;
  const high = O1 * (1 - 1 / (9 * O1) + z / (3 * Math.sqrt(O1))) ** 3;
  return { low, high };
}

/**
 * Exact (Garwood) Poisson confidence interval for an observed count O via chi-square quantiles:
 *   lower = χ²(alpha/2; 2O) / 2       (0 when O = 0)
 *   upper = χ²(1 − alpha/2; 2O + 2) / 2
 * Offered as the reference the Byar approximation is checked against, and for callers who
 * prefer exactness for very small counts.
 */
export function exactPoissonInterval(O: number, alpha = 0.05): { low: number; high: number } {
  assertCount('O', O);
  zCritical(alpha); // validates alpha
  const low = O > 0 ? chiSquareQuantile(alpha / 2, 2 * O) / 2 : 0;
  const high = chiSquareQuantile(1 - alpha / 2, 2 * O + 2) / 2;
  return { low, high };
}

/** Target per 1,000 of base: 1000·O/B (null when B = 0). Reads better than per-100 for rare segments. */
export function penetrationPer1000(O: number, B: number): number | null {
  assertCount('O', O);
  assertCount('B', B);
  return B > 0 ? (1000 * O) / B : null;
}
