/**
 * Exact discrete distributions and tests: the binomial and Poisson tails, the exact binomial test
 * whose p-value is dual to the Clopper–Pearson interval, exact Poisson control limits that agree
 * with the exact test, and the conditional test comparing two Poisson ratios (two years' indexes).
 *
 * Two-sided p-values here are "doubled" (central): p = min(1, 2·min(P(X ≤ x), P(X ≥ x))). That is
 * the test whose acceptance region is the central (Clopper–Pearson / Garwood) interval, so an
 * interval at level 1 − α excludes the null value exactly when p < α: a chart drawing the interval
 * and a flag drawn from the p-value can never disagree. (scipy's binomtest defaults to the
 * "minlike" p-value, which is not dual to any central interval; the tests rebuild the doubled
 * p-value from scipy.stats.binom / poisson tails.)
 */
import { betaTails } from './intervals.ts';

function checkProbability(name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${p}`);
}

function checkCount(name: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
}

/**
 * Both tails of Binomial(n, p) at k: lower = P(X ≤ k), upper = P(X ≥ k), through the incomplete
 * beta: P(X ≤ k) = P(Beta(k + 1, n − k) > p) and P(X ≥ k) = P(Beta(k, n − k + 1) ≤ p). betaTails
 * computes the smaller tail directly, so a small p-value keeps its relative precision.
 */
export function binomialTails(k: number, n: number, p: number): { lower: number; upper: number } {
  checkCount('n', n);
  checkProbability('p', p);
  if (!Number.isInteger(k)) throw new RangeError(`k must be an integer, got ${k}`);
  let lower: number;
  if (k < 0) lower = 0;
  else if (k >= n || p === 0) lower = 1;
  else if (p === 1) lower = 0;
  else lower = betaTails(p, k + 1, n - k).upper;
  let upper: number;
  if (k <= 0) upper = 1;
  else if (k > n || p === 0) upper = 0;
  else if (p === 1) upper = 1;
  else upper = betaTails(p, k, n - k + 1).lower;
  return { lower, upper };
}

export interface ExactTest {
  /** Two-sided doubled p-value. */
  p: number;
  /** P(X ≤ x) and P(X ≥ x) under the null. */
  lower: number;
  upper: number;
}

/** Exact two-sided binomial test of x successes in n trials against probability p0 (doubled p). */
export function exactBinomialTest(x: number, n: number, p0: number): ExactTest {
  checkCount('x', x);
  checkCount('n', n);
  if (x > n) throw new RangeError(`x (${x}) cannot exceed n (${n})`);
  const { lower, upper } = binomialTails(x, n, p0);
  return { p: Math.min(1, 2 * Math.min(lower, upper)), lower, upper };
}

// ---------------------------------------------------------------------------
// Poisson
// ---------------------------------------------------------------------------

/**
 * Poisson(mu) probabilities for 0..kmax (kmax well beyond the upper tail), built outwards from the
 * mode by the ratio f(k+1)/f(k) = mu/(k+1) and normalised, so nothing underflows for large mu.
 */
export function poissonPmf(mu: number, kmax = Math.ceil(mu + 40 * Math.sqrt(mu) + 40)): Float64Array {
  if (!(Number.isFinite(mu) && mu >= 0)) throw new RangeError(`mu must be finite and ≥ 0, got ${mu}`);
  const f = new Float64Array(kmax + 1);
  if (mu === 0) {
    f[0] = 1;
    return f;
  }
  const mode = Math.min(kmax, Math.floor(mu));
  f[mode] = 1;
  for (let k = mode; k < kmax; k++) f[k + 1] = (f[k] * mu) / (k + 1);
  for (let k = mode; k > 0; k--) f[k - 1] = (f[k] * k) / mu;
  let s = 0;
  for (let k = 0; k <= kmax; k++) s += f[k];
  // The mass beyond kmax is below 1e-300 for the default kmax; the normaliser is the full sum.
  for (let k = 0; k <= kmax; k++) f[k] /= s;
  return f;
}

/**
 * poissonPmf, remembering the last one: a place's test, its shortfall tail and both its control
 * limits read the same probabilities (fair access: tens of thousands of wards and schools a night).
 * Only the readers below see the array, and none writes to it.
 */
let lastPmf: { mu: number; kmax: number; f: Float64Array } | null = null;
function sharedPmf(mu: number, kmax: number): Float64Array {
  if (lastPmf && lastPmf.mu === mu && lastPmf.kmax === kmax) return lastPmf.f;
  const f = poissonPmf(mu, kmax);
  lastPmf = { mu, kmax, f };
  return f;
}

const defaultKmax = (mu: number) => Math.ceil(mu + 40 * Math.sqrt(mu) + 40);

/** Both tails of Poisson(mu) at k: lower = P(X ≤ k), upper = P(X ≥ k). */
export function poissonTails(k: number, mu: number): { lower: number; upper: number } {
  if (!Number.isInteger(k)) throw new RangeError(`k must be an integer, got ${k}`);
  if (k < 0) return { lower: 0, upper: 1 };
  const f = sharedPmf(mu, Math.max(k + 1, defaultKmax(mu)));
  let lower = 0;
  for (let j = 0; j <= k; j++) lower += f[j];
  let upper = 0;
  for (let j = f.length - 1; j >= k; j--) upper += f[j];
  return { lower: Math.min(1, lower), upper: Math.min(1, upper) };
}

/** Exact two-sided Poisson test of an observed count against its expectation (doubled p). */
export function exactPoissonTest(observed: number, expected: number): ExactTest {
  checkCount('observed', observed);
  const { lower, upper } = poissonTails(observed, expected);
  return { p: Math.min(1, 2 * Math.min(lower, upper)), lower, upper };
}

export interface ControlLimits {
  /** Two-sided significance level of the limits (0.05 for 95% limits). */
  alpha: number;
  lower: number;
  upper: number;
}

/**
 * Exact Poisson control limits for a count with expectation mu, interpolated so that they are
 * smooth in mu (Spiegelhalter 2005) and agree exactly with the one-sided exact tests at alpha/2:
 *   an integer count a lies below `lower` iff P(X ≤ a) < alpha/2, and above `upper` iff
 *   P(X ≥ a) < alpha/2.
 *   lower = r − (F(r) − q)/f(r), r the smallest integer with F(r) ≥ q = alpha/2   (Spiegelhalter)
 *   upper = s + (S(s) − q)/f(s), s the largest integer with S(s) = P(X ≥ s) ≥ q
 * (Spiegelhalter's own upper limit interpolates the upper quantile, which sits one count lower:
 * a count just above it is not yet significant by the exact test, so flags and plot would differ.)
 */
export function poissonControlLimits(mu: number, alpha: number): ControlLimits {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const q = alpha / 2;
  const f = sharedPmf(mu, defaultKmax(mu));
  let lower = 0;
  let F = 0;
  for (let r = 0; r < f.length; r++) {
    F += f[r];
    if (F >= q && f[r] > 0) {
      lower = Math.max(0, r - (F - q) / f[r]);
      break;
    }
  }
  // S(s) = P(X ≥ s) from the top down; the largest s with S(s) ≥ q.
  let S = 0;
  let upper = 0;
  for (let s = f.length - 1; s >= 0; s--) {
    S += f[s];
    if (S >= q && f[s] > 0) {
      upper = s + (S - q) / f[s];
      break;
    }
  }
  return { alpha, lower, upper };
}

/**
 * Do two ratios of observed to expected counts differ (e.g. a segment's index this year and last)?
 * With O1 ~ Poisson(θ1·E1) and O2 ~ Poisson(θ2·E2), under θ1 = θ2 the count O2 given O1 + O2 is
 * Binomial(O1 + O2, E2/(E1 + E2)): the exact conditional test for comparing two standardised
 * ratios. Returns the ratio of the two ratios (θ2/θ1 estimate), and the doubled p; null when there
 * is nothing to compare (no counts or no expectation).
 */
export function compareRatios(O1: number, E1: number, O2: number, E2: number): { ratio: number | null; p: number | null } {
  checkCount('O1', O1);
  checkCount('O2', O2);
  if (!(E1 > 0 && E2 > 0)) return { ratio: null, p: null };
  const total = O1 + O2;
  const ratio = O1 > 0 ? O2 / E2 / (O1 / E1) : null;
  if (total === 0) return { ratio, p: null };
  return { ratio, p: exactBinomialTest(O2, total, E2 / (E1 + E2)).p };
}

// ---------------------------------------------------------------------------
// Hypergeometric: Fisher's exact test and its stratified (conditional) extension
// ---------------------------------------------------------------------------

/** A 2×2 table: a, b the successes and failures of group 1; c, d those of group 2. */
export interface TwoByTwo {
  a: number;
  b: number;
  c: number;
  d: number;
}

/**
 * The distribution of `a` given the margins of a 2×2 table (hypergeometric: N = a + b + c + d,
 * K = a + c successes, n = a + b draws): probabilities over its support lo..hi, built outwards
 * from the mode by the ratio f(x+1)/f(x) = (K − x)(n − x) / ((x + 1)(N − K − n + x + 1)) and
 * normalised, so nothing underflows at large counts.
 */
export function hypergeometricPmf(t: TwoByTwo): { lo: number; pmf: Float64Array } {
  for (const [k, v] of Object.entries(t)) checkCount(k, v);
  const N = t.a + t.b + t.c + t.d;
  const K = t.a + t.c;
  const n = t.a + t.b;
  const lo = Math.max(0, n + K - N);
  const hi = Math.min(n, K);
  const f = new Float64Array(hi - lo + 1);
  const mode = Math.min(hi, Math.max(lo, Math.floor(((n + 1) * (K + 1)) / (N + 2))));
  f[mode - lo] = 1;
  for (let x = mode; x < hi; x++) f[x + 1 - lo] = (f[x - lo] * (K - x) * (n - x)) / ((x + 1) * (N - K - n + x + 1));
  for (let x = mode; x > lo; x--) f[x - 1 - lo] = (f[x - lo] * x * (N - K - n + x)) / ((K - x + 1) * (n - x + 1));
  let s = 0;
  for (let i = 0; i < f.length; i++) s += f[i];
  for (let i = 0; i < f.length; i++) f[i] /= s;
  return { lo, pmf: f };
}

/** P(X ≤ x) and P(X ≥ x) of a distribution given as probabilities from `lo`. */
function tailsOf(lo: number, pmf: Float64Array, x: number): { lower: number; upper: number } {
  let lower = 0;
  for (let i = 0; i <= x - lo && i < pmf.length; i++) lower += pmf[i];
  let upper = 0;
  for (let i = pmf.length - 1; i >= Math.max(0, x - lo); i--) upper += pmf[i];
  return { lower: Math.min(1, lower), upper: Math.min(1, upper) };
}

/**
 * Fisher's exact test of a 2×2 table (do the two groups' success rates differ?), two-sided by
 * doubling the smaller tail of the hypergeometric distribution of `a` (as every exact test here:
 * exact.ts module comment). scipy.stats.fisher_exact's default two-sided p sums the tables no
 * likelier than the one seen instead; the tests rebuild the doubled p from scipy.stats.hypergeom.
 */
export function fisherExactTest(t: TwoByTwo): ExactTest {
  const { lo, pmf } = hypergeometricPmf(t);
  const { lower, upper } = tailsOf(lo, pmf, t.a);
  return { p: Math.min(1, 2 * Math.min(lower, upper)), lower, upper };
}

export interface StratifiedExactTest extends ExactTest {
  /** Σ a over the strata. */
  observed: number;
  /** Its expectation under no difference within any stratum: Σ (a + b)(a + c) / N. */
  expected: number;
}

/**
 * Do two groups differ within strata (e.g. contacted and not-contacted families within each
 * neighbourhood type)? Conditional on every stratum's margins, Σ a is a sum of independent
 * hypergeometric counts under the null of no difference in any stratum (the exact test of a
 * common odds ratio of 1, the exact form of the Cochran–Mantel–Haenszel test). Its distribution
 * is the convolution of the strata's; two-sided by doubling the smaller tail. Strata with an
 * empty margin carry no information and drop out.
 */
export function stratifiedExactTest(strata: readonly TwoByTwo[]): StratifiedExactTest {
  let lo = 0;
  let dist = new Float64Array([1]);
  let observed = 0;
  let expected = 0;
  for (const t of strata) {
    const N = t.a + t.b + t.c + t.d;
    if (N === 0) continue;
    const h = hypergeometricPmf(t);
    observed += t.a;
    expected += ((t.a + t.b) * (t.a + t.c)) / N;
    if (h.pmf.length === 1) {
      lo += h.lo;
      continue;
    }
    const next = new Float64Array(dist.length + h.pmf.length - 1);
    for (let i = 0; i < dist.length; i++) {
      const di = dist[i];
      if (di === 0) continue;
      for (let j = 0; j < h.pmf.length; j++) next[i + j] += di * h.pmf[j];
    }
    dist = next;
    lo += h.lo;
  }
  const { lower, upper } = tailsOf(lo, dist, observed);
  return { p: Math.min(1, 2 * Math.min(lower, upper)), lower, upper, observed, expected };
}
