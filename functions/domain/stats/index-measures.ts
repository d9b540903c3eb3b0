/**
 * Profile measures for one segment of a target population (e.g. a school's pupils)
 * against a base population (e.g. all residents / all pupils of the local authority).
 *
 * Notation, per segment:
 *   O  target count in the segment          n  matched target total
 *   B  base count in the segment            N  base total
 *   t = O / n  (target share)               b = B / N  (base share)
 *   E = n · b  (expected target count if the target looked like the base)
 *
 * Measures:
 *   pct         = 100 · t
 *   basePct     = 100 · b
 *   penetration = 100 · O / B        (target per 100 base; null when B = 0)
 *   index       = 100 · t / b = 100 · O / E   (100 = "as expected"; null when b = 0)
 *   z           = (t − b) / √(b(1 − b) / n)   (one-sample proportion z against the base share;
 *                 null when n = 0 or b ∈ {0, 1}, where the variance is 0)
 *   ciLow/ciHigh = 100 · [O_low, O_high] / E, where [O_low, O_high] is Byar's
 *                 approximation to the exact Poisson interval for the count O.
 *                 The base share b is treated as known (it is usually a much larger
 *                 population), so only the target count carries sampling error.
 *   significant = the CI excludes 100
 *   reliable    = E ≥ 5 and n ≥ 30 (below that the normal/Byar approximations and
 *                 the index itself are too noisy to present without a caveat)
 */
import { chiSquareQuantile, zCritical } from './distributions.ts';

export interface ProfileRowInput {
  /** Target count in the segment. */
  O: number;
  /** Matched target total (all segments). */
  n: number;
  /** Base count in the segment. */
  B: number;
  /** Base total (all segments). */
  N: number;
  /** Two-sided significance level for the CI; default 0.05 (95% CI). */
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
  /** (t − b)/√(b(1−b)/n); null when undefined (n = 0, N = 0, b = 0 or b = 1). */
  z: number | null;
  /** Lower CI bound for the index (Byar); null when E is 0 or undefined. */
  ciLow: number | null;
  /** Upper CI bound for the index (Byar); null when E is 0 or undefined. */
  ciHigh: number | null;
  /** CI excludes 100. False when the CI is undefined. */
  significant: boolean;
  /** E ≥ 5 and n ≥ 30. */
  reliable: boolean;
}

/** Minimum expected count and matched total for an index to be flagged reliable. */
export const RELIABLE_MIN_EXPECTED = 5;
export const RELIABLE_MIN_N = 30;

function assertCount(name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite non-negative number, got ${v}`);
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

/** All profile measures for one segment. See the module comment for formulas. */
export function profileRow({ O, n, B, N, alpha = 0.05 }: ProfileRowInput): ProfileRow {
  assertCount('O', O);
  assertCount('n', n);
  assertCount('B', B);
  assertCount('N', N);
  if (O > n) throw new RangeError(`O (${O}) cannot exceed n (${n})`);
  if (B > N) throw new RangeError(`B (${B}) cannot exceed N (${N})`);

  const t = n > 0 ? O / n : null;
  const b = N > 0 ? B / N : null;
  const expected = b === null ? null : n * b;

  const index = t !== null && b !== null && b > 0 ? (100 * t) / b : null;

  // Binomial SE of the target share under H0: t ~ b. Undefined when it is zero.
  let z: number | null = null;
  if (t !== null && b !== null && b > 0 && b < 1) {
    z = (t - b) / Math.sqrt((b * (1 - b)) / n);
  }

  let ciLow: number | null = null;
  let ciHigh: number | null = null;
  if (expected !== null && expected > 0) {
    const { low, high } = byarPoissonInterval(O, alpha);
    ciLow = (100 * low) / expected;
    ciHigh = (100 * high) / expected;
  }
  const significant = ciLow !== null && ciHigh !== null && (ciLow > 100 || ciHigh < 100);
  const reliable = expected !== null && expected >= RELIABLE_MIN_EXPECTED && n >= RELIABLE_MIN_N;

  return {
    pct: t === null ? null : 100 * t,
    basePct: b === null ? null : 100 * b,
    penetration: B > 0 ? (100 * O) / B : null,
    index,
    expected,
    z,
    ciLow,
    ciHigh,
    significant,
    reliable,
  };
}
