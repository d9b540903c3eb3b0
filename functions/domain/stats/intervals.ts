/**
 * Confidence intervals for a binomial proportion x / n (e.g. the share of a school's pupils in
 * a segment). Both return null when n = 0, where there is no proportion to bound.
 *
 * - wilsonInterval: Wilson score interval. Closed form, good coverage even for small n and
 *   proportions near 0 or 1, and never leaves [0, 1]; the default choice for reporting.
 * - clopperPearsonInterval: the "exact" interval (inverted binomial tests). Guaranteed coverage
 *   ≥ 1 − alpha, hence conservative (wider); use when that guarantee is what is wanted.
 *
 * Tests in test/stats/intervals.test.ts check both against scipy.stats.binomtest(...).proportion_ci.
 */
import { zCritical } from './distributions.ts';

export interface ProportionInterval {
  low: number;
  high: number;
}

function checkArgs(x: number, n: number, alpha: number, integers: boolean): void {
  if (!(Number.isFinite(n) && n >= 0)) throw new RangeError(`n must be finite and ≥ 0, got ${n}`);
  if (!(Number.isFinite(x) && x >= 0 && x <= n)) throw new RangeError(`x must be in [0, n = ${n}], got ${x}`);
  if (integers && !(Number.isInteger(x) && Number.isInteger(n))) {
    throw new RangeError(`x and n must be integers, got x = ${x}, n = ${n}`);
  }
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

/**
 * Two-sided (1 − alpha) Wilson score interval (scipy proportion_ci(method='wilson'), i.e.
 * Newcombe (1998) without continuity correction), with z = Φ⁻¹(1 − alpha/2), p̂ = x/n:
 *   centre = (2x + z²) / (2(n + z²)),  half-width = z·√(4x(n − x)/n + z²) / (2(n + z²))
 * The bound at x = 0 (low) or x = n (high) is set to exactly 0 or 1, as scipy does, rather than
 * left to rounding. x need not be an integer (e.g. weighted counts), but must lie in [0, n].
 */
export function wilsonInterval(x: number, n: number, alpha = 0.05): ProportionInterval | null {
  checkArgs(x, n, alpha, false);
  if (n === 0) return null;
  const z = zCritical(alpha);
  const z2 = z * z;
  const denom = 2 * (n + z2);
  const centre = (2 * x + z2) / denom;
  const half = (z / denom) * Math.sqrt((4 * x * (n - x)) / n + z2);
  return {
    low: x === 0 ? 0 : Math.max(0, centre - half),
    high: x === n ? 1 : Math.min(1, centre + half),
  };
}

/**
 * Two-sided (1 − alpha) Clopper–Pearson interval (scipy proportion_ci(method='exact')):
 *   low  = B⁻¹(alpha/2; x, n − x + 1)        (0 when x = 0)
 *   high = B⁻¹(1 − alpha/2; x + 1, n − x)    (1 when x = n)
 * where B⁻¹ is the beta quantile. x and n must be integers.
 *
 * No beta distribution is available from @stdlib here, so the quantile is found by root-finding
 * on a regularized incomplete beta computed below; each limit is found by solving for a small
 * tail probability (alpha/2) in the tail where it lies, so neither suffers cancellation.
 */
export function clopperPearsonInterval(x: number, n: number, alpha = 0.05): ProportionInterval | null {
  checkArgs(x, n, alpha, true);
  if (n === 0) return null;
  const key = `${x} ${n} ${alpha}`;
  let hit = clopperPearsonCache.get(key);
  if (!hit) {
    const tail = alpha / 2;
    hit = { low: x === 0 ? 0 : betaQuantile(tail, x, n - x + 1, 'lower'), high: x === n ? 1 : betaQuantile(tail, x + 1, n - x, 'upper') };
    if (clopperPearsonCache.size >= CLOPPER_PEARSON_CACHE) clopperPearsonCache.clear();
    clopperPearsonCache.set(key, hit);
  }
  return { low: hit.low, high: hit.high };
}

/**
 * Intervals already found (a pure function of x, n and alpha). Thousands of documents show the same
 * rounded counts, so most intervals of a night are repeats; the root-finding is the costly part.
 */
const clopperPearsonCache = new Map<string, ProportionInterval>();
const CLOPPER_PEARSON_CACHE = 200_000;

// ---------------------------------------------------------------------------
// Regularized incomplete beta and its inverse (a, b ≥ 1 in the uses above, but valid for a, b > 0)
// ---------------------------------------------------------------------------

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Stirling remainder δ(x) = lnΓ(x) − [(x − ½)ln x − x + ln√(2π)], for x ≥ 10, where the
 * asymptotic series below is accurate to ~1e-17. Working with δ lets lnB(a, b) be formed
 * without subtracting huge lnΓ values when a or b is large.
 */
function stirlingRemainder(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 / 156))))));
}

/** lnΓ(x) for x > 0: Stirling for x ≥ 10, otherwise shifted up with Γ(x) = Γ(x + k)/(x(x+1)…(x+k−1)). */
function lnGamma(x: number): number {
  let shift = 1;
  while (x < 10) {
    shift *= x;
    x += 1;
  }
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlingRemainder(x) - Math.log(shift);
}

/**
 * ln B(a, b), arranged as in R's lbeta (after TOMS 708) so that the large terms of
 * lnΓ(a) + lnΓ(b) − lnΓ(a + b) cancel analytically rather than in floating point.
 */
function lnBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  const s = p + q;
  if (p >= 10) {
    const corr = stirlingRemainder(p) + stirlingRemainder(q) - stirlingRemainder(s);
    return -0.5 * Math.log(q) + LN_SQRT_2PI + corr + (p - 0.5) * Math.log(p / s) + q * Math.log1p(-p / s);
  }
  if (q >= 10) {
    const corr = stirlingRemainder(q) - stirlingRemainder(s);
    return lnGamma(p) + corr + p - p * Math.log(s) + (q - 0.5) * Math.log1p(-p / s);
  }
  return lnGamma(p) + lnGamma(q) - lnGamma(s);
}

/** ln of y^a (1 − y)^b / B(a, b), the common factor of the incomplete beta and of the density. */
function lnFront(y: number, a: number, b: number): number {
  return a * Math.log(y) + b * Math.log1p(-y) - lnBeta(a, b);
}

/**
 * Continued fraction for I_y(a, b)·a / front (Numerical Recipes betacf, modified Lentz).
 * Converges fast for y < (a + 1)/(a + b + 2); needs O(√max(a, b)) terms for large parameters.
 */
function betaContinuedFraction(y: number, a: number, b: number): number {
  const TINY = 1e-300;
  const EPS = 1e-16;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * y) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1_000_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * y) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * y) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  throw new Error(`incomplete beta continued fraction did not converge (y=${y}, a=${a}, b=${b})`);
}

/**
 * Both tails of Beta(a, b) at y: lower = I_y(a, b) = P(Beta ≤ y), upper = 1 − lower. The continued
 * fraction is evaluated on the near side of the mean, where it converges fast (using the symmetry
 * I_y(a, b) = 1 − I_{1−y}(b, a) otherwise), and the other tail is 1 minus it. The directly computed
 * tail is accurate in relative terms; the complemented one only in absolute terms, but it is then
 * ≳ 0.3, since the switch point (a + 1)/(a + b + 2) is close to the mean, so a small tail
 * probability, the case the quantile search needs, is always the directly computed one.
 */
export function betaTails(y: number, a: number, b: number): { lower: number; upper: number } {
  if (y <= 0) return { lower: 0, upper: 1 };
  if (y >= 1) return { lower: 1, upper: 0 };
  const front = Math.exp(lnFront(y, a, b)); // y^a (1−y)^b / B(a, b) is symmetric under (y, a, b) ↔ (1 − y, b, a)
  if (y < (a + 1) / (a + b + 2)) {
    const lower = (front * betaContinuedFraction(y, a, b)) / a;
    return { lower, upper: 1 - lower };
  }
  const upper = Number.isInteger(a) && a <= FINITE_SUM_MAX_A
    ? binomialLowerSum(y, a, b, front)
    : (front * betaContinuedFraction(1 - y, b, a)) / b;
  return { lower: 1 - upper, upper };
}

/**
 * Largest integer a for which betaTails sums the upper tail as a finite binomial sum instead of
 * using the continued fraction in 1 − y. The continued fraction in 1 − y cancels when y is tiny
 * (a ≪ b): with b = 10⁷, a = 3 it loses ~1e-9 relative accuracy, and the Clopper–Pearson upper
 * limit for x = 2 of n = 10⁷ inherits it. The sum takes a positive terms, so it is accurate and cheap.
 */
const FINITE_SUM_MAX_A = 1000;

/**
 * For integer a: P(Beta(a, b) > y) = P(Binomial(a + b − 1, y) ≤ a − 1) = Σ_{k<a} C(a+b−1, k) y^k (1−y)^(a+b−1−k).
 * The top term (k = a − 1) equals front / (b·y); the rest follow by the ratio
 * t(k−1)/t(k) = k / (a + b − k) · (1 − y)/y, summed from the top down.
 */
function binomialLowerSum(y: number, a: number, b: number, front: number): number {
  const N = a + b - 1;
  const odds = (1 - y) / y;
  let t = front / (b * y);
  let sum = t;
  for (let k = a - 1; k > 0 && t > 0; k--) {
    t *= (k / (N - k + 1)) * odds;
    sum += t;
  }
  return sum;
}

/**
 * The y with P(Beta(a, b) ≤ y) = q (tail 'lower') or P(Beta(a, b) > y) = q (tail 'upper').
 *
 * y is solved for directly (not as 1 − the other tail's quantile), so a result close to 0 keeps
 * its full relative precision. Newton steps are taken on ln(tail) as a function of ln y when
 * y < ½ and of ln(1 − y) otherwise: in the far tails the tail probability behaves like a power
 * of y (or of 1 − y), so this is nearly linear and converges in a few steps even many orders of
 * magnitude from the mean, where Newton on the tail itself would overshoot. A bracket [lo, hi]
 * is kept and a step that leaves it is replaced by bisection, so convergence is guaranteed.
 */
function betaQuantile(q: number, a: number, b: number, tail: 'lower' | 'upper'): number {
  const lnQ = Math.log(q);
  const sign = tail === 'lower' ? 1 : -1; // direction in which the tail grows with y
  let lo = 0;
  let hi = 1;
  let y = a / (a + b);
  for (let iter = 0; iter < 400; iter++) {
    const tails = betaTails(y, a, b);
    const T = tail === 'lower' ? tails.lower : tails.upper;
    if (T === q) return y;
    if ((T < q) === (sign > 0)) lo = y;
    else hi = y;
    // f = ln T − ln q and its derivative d ln T / d y = ±pdf(y)/T, pdf(y) = front / (y(1 − y)).
    const f = Math.log(T) - lnQ;
    const dfdy = (sign * Math.exp(lnFront(y, a, b))) / (y * (1 - y) * T);
    let next = NaN;
    if (T > 0 && dfdy !== 0 && Number.isFinite(dfdy)) {
      next = y < 0.5 ? y * Math.exp(-f / (y * dfdy)) : 1 - (1 - y) * Math.exp(f / ((1 - y) * dfdy));
    }
    if (!(next > lo && next < hi)) {
      if (lo > 0 && hi <= 0.5) next = Math.sqrt(lo * hi);
      else if (lo >= 0.5 && hi < 1) next = 1 - Math.sqrt((1 - lo) * (1 - hi));
      else next = (lo + hi) / 2;
    }
    if (Math.abs(next - y) <= 1e-15 * y || hi - lo <= 4e-16 * hi) return next;
    y = next;
  }
  return y;
}
