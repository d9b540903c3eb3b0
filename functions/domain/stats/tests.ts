/**
 * Hypothesis tests and control limits used by the fair-access analysis.
 *
 * Everything here is two-sided and returns plain numbers so results can be
 * serialised straight into reports. Each function documents which reference
 * implementation it matches (scipy / statsmodels), and the tests in
 * test/stats/ check it against that implementation.
 */
import { chiSquareQuantile, chiSquareSf, normalSf, zCritical } from './distributions.ts';

// ---------------------------------------------------------------------------
// p-values and multiplicity
// ---------------------------------------------------------------------------

/**
 * Two-sided p-value for a standard normal statistic: 2·P(Z > |z|) (scipy: 2 * norm.sf(abs(z))).
 * null passes through so a row whose z is undefined stays undefined.
 */
export function twoSidedP(z: number): number;
export function twoSidedP(z: number | null): number | null;
export function twoSidedP(z: number | null): number | null {
  if (z === null) return null;
  if (Number.isNaN(z)) throw new RangeError('z is NaN');
  return Math.min(1, 2 * normalSf(Math.abs(z)));
}

/**
 * The multiple-testing policy used by every flag, chart and sentence in catchment: the family-wise
 * error rate is held at FAMILY_ALPHA within each family of comparisons shown together (the
 * segments of one level of one profile or report; the wards, or the schools, of one table; the
 * trend of one level) by Bonferroni's method. Bonferroni rather than Holm because it has matching
 * intervals: each comparison's interval is drawn at level 1 − FAMILY_ALPHA/m, and it excludes the
 * null value exactly when the adjusted p-value is below FAMILY_ALPHA, so chart and flag agree.
 */
export const FAMILY_ALPHA = 0.05;

/** Per-comparison level for a family of m comparisons: alpha/m (m < 1 is treated as 1). */
export function bonferroniAlpha(alpha: number, m: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(Number.isFinite(m) && m >= 0)) throw new RangeError(`family size must be finite and ≥ 0, got ${m}`);
  return alpha / Math.max(1, Math.floor(m));
}

/**
 * Bonferroni-adjusted p-values min(1, m·p), m = the number of non-null p-values (nulls pass
 * through). Matches statsmodels multipletests(method='bonferroni').
 */
export function bonferroni(pvalues: readonly (number | null)[]): (number | null)[] {
  const m = ascendingPValues(pvalues).length;
  return pvalues.map((p) => (p === null ? null : Math.min(1, p * m)));
}

/** Indices of the non-null p-values, smallest p first (ties by position); validates each. */
function ascendingPValues(pvalues: readonly (number | null)[]): number[] {
  const idx: number[] = [];
  pvalues.forEach((p, i) => {
    if (p === null) return;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`p-value at ${i} must be in [0, 1], got ${p}`);
    idx.push(i);
  });
  return idx.sort((a, b) => (pvalues[a] as number) - (pvalues[b] as number) || a - b);
}

/**
 * Holm (1979) step-down adjusted p-values, controlling the family-wise error rate.
 * Matches statsmodels multipletests(method='holm'):
 *   sort the m non-null p ascending: p(1) ≤ … ≤ p(m)
 *   adj(i) = max_{j ≤ i} min(1, (m − j + 1) · p(j))
 * i.e. scaled, made monotone non-decreasing in rank order, capped at 1.
 * nulls (untestable rows) are passed through and do not count towards m.
 * Ties are ordered by input position, which cannot change the result (tied p-values
 * receive the same adjusted value by monotonicity).
 */
export function holm(pvalues: readonly (number | null)[]): (number | null)[] {
  const idx = ascendingPValues(pvalues);
  const m = idx.length;
  const out: (number | null)[] = pvalues.map(() => null);
  let running = 0;
  idx.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * (pvalues[i] as number)));
    out[i] = running;
  });
  return out;
}

// ---------------------------------------------------------------------------
// Chi-square goodness of fit with small-cell merging
// ---------------------------------------------------------------------------

/** Cells are pooled until every remaining cell has at least this expected count. */
export const CHI_SQUARE_MIN_EXPECTED = 5;

export interface ChiSquareResult {
  /** Pearson statistic Σ (O − E)² / E over the cells after merging. */
  statistic: number;
  /** Number of cells after merging − 1. */
  df: number;
  /** Upper-tail chi-square p-value; null when df < 1 (nothing left to test). */
  p: number | null;
  /** Original indices pooled into the single merged cell, ascending; [] when no merging was needed. */
  mergedCells: number[];
  /** Observed counts of the cells actually tested: unmerged cells in input order, then the pooled cell (if any). */
  observed: number[];
  /** Expected counts matching `observed`. */
  expected: number[];
}

/**
 * Pearson chi-square goodness-of-fit test of observed counts against expected proportions
 * (e.g. a school's pupils by segment vs the LA's resident shares).
 *
 * Expected counts are E_i = total · p_i, where p is `expectedProportions` normalised to sum 1
 * (so raw base counts may be passed as well as shares).
 *
 * Merging rule (the chi-square approximation needs expected counts ≥ 5):
 *   1. Order cells by expected count ascending (ties: lower input index first).
 *   2. Move cells, in that order, into one pooled cell while the pooled cell's expected
 *      count is < 5 or the next cell's own expected count is < 5.
 *   3. Stop at the first cell that has E ≥ 5 at a moment when the pool also has E ≥ 5
 *      (or is still empty). Every remaining cell then has E ≥ 5 because of the ordering.
 * So there is at most one pooled cell, it has E ≥ 5 (unless it swallowed everything), and the
 * fewest, smallest cells are merged. Cells with zero expected proportion are always pooled, which
 * also avoids division by zero.
 *
 * After merging the statistic and p-value equal scipy.stats.chisquare(f_obs, f_exp) on the
 * merged cells, with df = cells − 1 (no estimated parameters). If merging leaves fewer than two
 * cells the test is undefined: statistic 0, df 0, p null.
 */
export function chiSquareGoodnessOfFit(
  observed: readonly number[],
  expectedProportions: readonly number[],
): ChiSquareResult {
  if (observed.length !== expectedProportions.length) {
    throw new RangeError(`observed (${observed.length}) and expectedProportions (${expectedProportions.length}) differ in length`);
  }
  observed.forEach((o, i) => {
    if (!(Number.isFinite(o) && o >= 0)) throw new RangeError(`observed[${i}] must be finite and ≥ 0, got ${o}`);
  });
  expectedProportions.forEach((p, i) => {
    if (!(Number.isFinite(p) && p >= 0)) throw new RangeError(`expectedProportions[${i}] must be finite and ≥ 0, got ${p}`);
  });
  const pSum = expectedProportions.reduce((s, v) => s + v, 0);
  if (!(pSum > 0)) throw new RangeError('expectedProportions must have a positive sum');

  const total = observed.reduce((s, v) => s + v, 0);
  const exp = expectedProportions.map((p) => (total * p) / pSum);

  const order = exp.map((_, i) => i).sort((a, b) => exp[a] - exp[b] || a - b);
  const pooled: number[] = [];
  let poolE = 0;
  let k = 0;
  while (k < order.length && ((pooled.length > 0 && poolE < CHI_SQUARE_MIN_EXPECTED) || exp[order[k]] < CHI_SQUARE_MIN_EXPECTED)) {
    pooled.push(order[k]);
    poolE += exp[order[k]];
    k++;
  }
  const pooledSet = new Set(pooled);

  const obsCells: number[] = [];
  const expCells: number[] = [];
  observed.forEach((o, i) => {
    if (pooledSet.has(i)) return;
    obsCells.push(o);
    expCells.push(exp[i]);
  });
  if (pooled.length > 0) {
    obsCells.push(pooled.reduce((s, i) => s + observed[i], 0));
    expCells.push(poolE);
  }

  const mergedCells = [...pooled].sort((a, b) => a - b);
  const df = obsCells.length - 1;
  if (df < 1) {
    return { statistic: 0, df: 0, p: null, mergedCells, observed: obsCells, expected: expCells };
  }
  let statistic = 0;
  for (let i = 0; i < obsCells.length; i++) statistic += (obsCells[i] - expCells[i]) ** 2 / expCells[i];
  return { statistic, df, p: chiSquareSf(statistic, df), mergedCells, observed: obsCells, expected: expCells };
}

// ---------------------------------------------------------------------------
// Two-proportion z-test
// ---------------------------------------------------------------------------

export interface TwoProportionResult {
  /** p1 − p2. */
  diff: number;
  /** Pooled-variance z; null when the pooled proportion is 0 or 1 (no variance). */
  z: number | null;
  /** Two-sided p-value; null when z is null. */
  p: number | null;
}

/**
 * Two-sided two-proportion z-test with pooled variance (statsmodels
 * proportions_ztest([x1, x2], [n1, n2]) with its defaults):
 *   p̂ = (x1 + x2)/(n1 + n2),  z = (x1/n1 − x2/n2) / √(p̂(1 − p̂)(1/n1 + 1/n2))
 * Pooled because under H0 both groups share one proportion.
 */
export function twoProportionTest(x1: number, n1: number, x2: number, n2: number): TwoProportionResult {
  for (const [name, v] of [['x1', x1], ['n1', n1], ['x2', x2], ['n2', n2]] as const) {
    if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`${name} must be finite and ≥ 0, got ${v}`);
  }
  if (!(n1 > 0 && n2 > 0)) throw new RangeError('n1 and n2 must be positive');
  if (x1 > n1 || x2 > n2) throw new RangeError('a count exceeds its total');
  const diff = x1 / n1 - x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(variance > 0)) return { diff, z: null, p: null };
  const z = diff / Math.sqrt(variance);
  return { diff, z, p: twoSidedP(z) };
}

// ---------------------------------------------------------------------------
// Funnel plot control limits
// ---------------------------------------------------------------------------

/**
 * - 'normal' (default): normal approximation to Binomial(n, p0):
 *      n·p0 ± z·√(n·p0·(1 − p0)),  z = Φ⁻¹(1 − (1 − level)/2), clamped to [0, n].
 *   Chosen as the default because it uses exactly the variance of profileRow's z, so a point
 *   falls outside the 95% funnel iff |z| > 1.96: the funnel and the z-scores never disagree.
 *   It is symmetric and poor when n·p0 is small; such points are already flagged unreliable
 *   (E < 5), and 'binomial' is available when they must be plotted exactly.
 * - 'binomial': exact Binomial(n, p0) quantiles with Spiegelhalter's (2005) interpolation, so
 *   the limits are smooth in n: for quantile q, r = smallest integer with F(r) ≥ q, and
 *   limit = r − (F(r) − q)/P(X = r).
 * - 'poisson': exact Poisson limits around the expected count E = n·p0, via chi-square quantiles
 *   (the Garwood interval evaluated at E, as in the APHO/PHE funnel-plot tools):
 *      lower = χ²((1 − level)/2; 2E)/2,  upper = χ²(1 − (1 − level)/2; 2E + 2)/2, clamped to n.
 *   Appropriate for rare segments (small p0); too wide when p0 is not small, because Poisson
 *   variance E exceeds binomial variance E(1 − p0).
 */
export type FunnelMethod = 'normal' | 'binomial' | 'poisson';

export interface FunnelLimit {
  /** Two-sided coverage, e.g. 0.95 (≈ 2 SD) or 0.998 (≈ 3 SD). */
  level: number;
  /** Lower control limit for the count. */
  lower: number;
  /** Upper control limit for the count. */
  upper: number;
  /** lower / n (null when n = 0). */
  lowerRate: number | null;
  /** upper / n (null when n = 0). */
  upperRate: number | null;
}

/** Default funnel levels: the conventional ~2 SD and ~3 SD limits. */
export const FUNNEL_LEVELS = [0.95, 0.998] as const;

/**
 * Control limits for an observed count out of n trials when the expected rate is p0
 * (e.g. the LA-wide share of a segment). See FunnelMethod for the methods; default 'normal'.
 */
export function funnelLimits(
  p0: number,
  n: number,
  levels: readonly number[] = FUNNEL_LEVELS,
  method: FunnelMethod = 'normal',
): FunnelLimit[] {
  if (!(p0 >= 0 && p0 <= 1)) throw new RangeError(`p0 must be in [0, 1], got ${p0}`);
  if (!(Number.isFinite(n) && n >= 0)) throw new RangeError(`n must be finite and ≥ 0, got ${n}`);
  if (method === 'binomial' && !Number.isInteger(n)) throw new RangeError(`binomial limits need an integer n, got ${n}`);
  const pmf = method === 'binomial' ? binomialPmf(n, p0) : null;
  return levels.map((level) => {
    if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
    const tail = (1 - level) / 2;
    const E = n * p0;
    let lower: number;
    let upper: number;
    if (method === 'normal') {
      const half = zCritical(1 - level) * Math.sqrt(E * (1 - p0));
      lower = E - half;
      upper = E + half;
    } else if (method === 'poisson') {
      lower = E > 0 ? chiSquareQuantile(tail, 2 * E) / 2 : 0;
      upper = chiSquareQuantile(1 - tail, 2 * E + 2) / 2;
    } else if (method === 'binomial') {
      lower = interpolatedQuantile(pmf as Float64Array, tail);
      upper = interpolatedQuantile(pmf as Float64Array, 1 - tail);
    } else {
      throw new RangeError(`unknown funnel method ${String(method)}`);
    }
    lower = Math.min(n, Math.max(0, lower));
    upper = Math.min(n, Math.max(0, upper));
    return { level, lower, upper, lowerRate: n > 0 ? lower / n : null, upperRate: n > 0 ? upper / n : null };
  });
}

/**
 * Binomial(n, p) probability mass for 0..n. Built by the ratio recurrence
 * f(k+1)/f(k) = (n−k)/(k+1) · p/(1−p) outwards from the mode and normalised at the end, so
 * nothing underflows for large n (starting from (1−p)^n would underflow to 0 for n in the thousands).
 */
function binomialPmf(n: number, p: number): Float64Array {
  const f = new Float64Array(n + 1);
  if (p === 0) { f[0] = 1; return f; }
  if (p === 1) { f[n] = 1; return f; }
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const odds = p / (1 - p);
  f[mode] = 1;
  for (let k = mode; k < n; k++) f[k + 1] = (f[k] * (n - k) * odds) / (k + 1);
  for (let k = mode; k > 0; k--) f[k - 1] = (f[k] * k) / ((n - k + 1) * odds);
  let s = 0;
  for (let k = 0; k <= n; k++) s += f[k];
  for (let k = 0; k <= n; k++) f[k] /= s;
  return f;
}

/** Spiegelhalter's interpolated discrete quantile: r − (F(r) − q)/P(X = r). */
function interpolatedQuantile(pmf: Float64Array, q: number): number {
  let F = 0;
  for (let r = 0; r < pmf.length; r++) {
    F += pmf[r];
    if (F >= q && pmf[r] > 0) return r - (F - q) / pmf[r];
  }
  return pmf.length - 1;
}

/**
 * Benjamini–Hochberg (1995) step-up adjusted p-values (q-values), controlling the false
 * discovery rate. Matches scipy.stats.false_discovery_control(p, method='bh') (and R's
 * p.adjust(p, 'BH')):
 *   sort the m non-null p ascending: p(1) ≤ … ≤ p(m)
 *   adj(i) = min_{j ≥ i} min(1, p(j) · m / j)
 * i.e. scaled, made monotone non-decreasing in rank order by a running minimum from the largest
 * p down, capped at 1. Reject at FDR level q exactly the rows with adj ≤ q.
 * nulls (untestable rows) are passed through and do not count towards m.
 * Ties: tied p-values get the same adjusted value whatever their order, because the running
 * minimum over j ≥ i reaches the last (highest-ranked, so smallest p·m/j) member of the tie.
 * This is why the order of ties (here: input position) does not matter, as in scipy.
 */
export function benjaminiHochberg(pvalues: readonly (number | null)[]): (number | null)[] {
  const idx = ascendingPValues(pvalues);
  const m = idx.length;
  const out: (number | null)[] = pvalues.map(() => null);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const i = idx[rank];
    // p · (m / j) in this order, as scipy does, so results agree to the last bit.
    running = Math.min(running, (pvalues[i] as number) * (m / (rank + 1)));
    out[i] = running;
  }
  return out;
}
