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

/**
 * Chi-square quantile with k degrees of freedom (k = 0 is the point mass at 0).
 *
 * @stdlib/stats-base-dists-chisquare 0.2.x's quantile is inaccurate for large k: at k = 2002,
 * p = 0.975 it returns 2128.23 where the true value is 2127.90 (its own CDF gives 0.97529).
 * Its CDF is accurate, so the stdlib value is used only as a starting point and polished by
 * bracketed Newton iteration on CDF(x) − p (bisection whenever a Newton step leaves the bracket).
 */
export function chiSquareQuantile(p: number, k: number): number {
  const x0 = chisquare.quantile(p, k);
  if (!(p > 0 && p < 1 && k > 0 && Number.isFinite(x0))) return x0;
  const f = (x: number) => chisquare.cdf(x, k) - p;

  // Bracket the root [lo, hi] with f(lo) ≤ 0 ≤ f(hi), expanding outwards from x0.
  let lo = x0;
  let hi = x0;
  let step = Math.max(1e-3 * x0, 1e-8);
  if (f(x0) > 0) {
    do {
      hi = lo;
      lo = Math.max(0, lo - step);
      step *= 2;
    } while (lo > 0 && f(lo) > 0);
  } else {
    do {
      lo = hi;
      hi = hi + step;
      step *= 2;
    } while (f(hi) < 0);
  }

  let x = Math.min(hi, Math.max(lo, x0));
  for (let iter = 0; iter < 200; iter++) {
    const fx = f(x);
    if (fx === 0) return x;
    if (fx < 0) lo = x;
    else hi = x;
    const d = chisquare.pdf(x, k);
    let next = d > 0 ? x - fx / d : NaN;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-15 * Math.max(1, Math.abs(x)) || hi - lo <= 1e-15 * Math.max(1, hi)) return next;
    x = next;
  }
  return x;
}
