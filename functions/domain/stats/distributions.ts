/**
 * Thin, typed wrappers over the @stdlib distribution functions used by the stats modules.
 *
 * Kept in one place so the rest of the code speaks in terms of "upper tail" and
 * "two-sided critical value" rather than raw cdf/quantile calls, and so the
 * precision caveats below are documented once.
 */
import normal from '@stdlib/stats-base-dists-normal';
import chisquare from '@stdlib/stats-base-dists-chisquare';

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return normal.cdf(z, 0, 1);
}

/**
 * Standard normal upper tail P(Z > z). Computed as Φ(-z), not 1 - Φ(z), so that
 * tiny tail probabilities (large |z|) do not cancel to 0.
 */
export function normalSf(z: number): number {
  return normal.cdf(-z, 0, 1);
}

/** Standard normal quantile Φ⁻¹(p), p in (0, 1). */
export function normalQuantile(p: number): number {
  return normal.quantile(p, 0, 1);
}

/**
 * Two-sided critical value for a (1 - alpha) interval: Φ⁻¹(1 - alpha/2).
 * alpha = 0.05 gives 1.959964.
 */
export function zCritical(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  return normalQuantile(1 - alpha / 2);
}

/** Chi-square CDF with k degrees of freedom. */
export function chiSquareCdf(x: number, k: number): number {
  return chisquare.cdf(x, k);
}

/**
 * Chi-square upper tail P(X > x). stdlib exposes only the CDF, so this is 1 - CDF:
 * accurate to ~1e-16 absolute, which means p-values below ~1e-15 come out as 0.
 * That is fine for reporting ("p < 0.001") but do not take logs of it.
 */
export function chiSquareSf(x: number, k: number): number {
  return Math.max(0, 1 - chisquare.cdf(x, k));
}

/** Chi-square quantile with k degrees of freedom (k = 0 is the point mass at 0). */
export function chiSquareQuantile(p: number, k: number): number {
  return chisquare.quantile(p, k);
}
