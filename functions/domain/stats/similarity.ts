/**
 * Similarity between profiles (segment distributions) and distances between places.
 */

/** Normalise non-negative weights to sum 1. Throws on negative/non-finite values or a zero sum. */
function normalise(v: readonly number[], name: string): number[] {
  let s = 0;
  v.forEach((x, i) => {
    if (!(Number.isFinite(x) && x >= 0)) throw new RangeError(`${name}[${i}] must be finite and ≥ 0, got ${x}`);
    s += x;
  });
  if (!(s > 0)) throw new RangeError(`${name} must have a positive sum`);
  return v.map((x) => x / s);
}

/**
 * Jensen–Shannon distance between two distributions, base-2 logs, so it lies in [0, 1]
 * (0 = identical profiles, 1 = no overlap). Equals
 * scipy.spatial.distance.jensenshannon(p, q, base=2):
 *   m = (p + q)/2,  JSD = ½·KL(p‖m) + ½·KL(q‖m),  distance = √JSD
 * Inputs are normalised to sum 1 first, so raw counts may be passed. Chosen over e.g. Euclidean
 * distance because it is a true metric on distributions, bounded, and handles zero cells
 * (0·log 0 = 0) without smoothing.
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new RangeError(`p (${p.length}) and q (${q.length}) differ in length`);
  return jensenShannonDistanceNormalised(normalise(p, 'p'), normalise(q, 'q'));
}

/** A distribution as jensenShannonDistance normalises it (to score one school against thousands, normalise it once). */
export const distribution = (v: readonly number[]): number[] => normalise(v, 'v');

/** jensenShannonDistance of two distributions already normalised (distribution()), same arithmetic. */
export function jensenShannonDistanceNormalised(pn: readonly number[], qn: readonly number[]): number {
  let js = 0;
  for (let i = 0; i < pn.length; i++) {
    const m = (pn[i] + qn[i]) / 2;
    if (pn[i] > 0) js += pn[i] * Math.log2(pn[i] / m);
    if (qn[i] > 0) js += qn[i] * Math.log2(qn[i] / m);
  }
  // Rounding can push the divergence a hair outside [0, 1]; clamp so sqrt never sees a negative.
  return Math.sqrt(Math.min(1, Math.max(0, js / 2)));
}

/** A distribution's nonzero entries: their indices (ascending) and values (sparseDistribution). */
export interface SparseDistribution {
  readonly idx: Int32Array;
  readonly val: Float64Array;
}

/** The nonzero entries of a distribution (distribution()). */
export function sparseDistribution(pn: readonly number[]): SparseDistribution {
  const idx: number[] = [];
  pn.forEach((x, i) => x > 0 && idx.push(i));
  return { idx: Int32Array.from(idx), val: Float64Array.from(idx, (i) => pn[i]!) };
}

/** Smallest normal double times 2: above it, x / 2 is exact. */
const HALF_EXACT = 2 ** -1021;

/**
 * A term of one distribution where the other is 0: x · log2(x / ((x + 0) / 2)). For x >= 2^-1021,
 * x / 2 is exact, x / (x / 2) is exactly 2, log2(2) is exactly 1, so the term is x itself, the same
 * double, without two logarithms (most of a school pair's terms are of this kind).
 */
const alone = (x: number): number => (x >= HALF_EXACT ? x : x * Math.log2(x / ((x + 0) / 2)));

/**
 * jensenShannonDistanceNormalised from the distributions' nonzero entries: the same float, bit
 * for bit, since a dimension where both are 0 adds nothing to the dense sum and the others are
 * added in the same order with the same arithmetic ((x + 0) / 2 is x / 2 exactly). A school's
 * subgroup shares have a few nonzero entries of dozens, so this skips most of the loop.
 */
export function jensenShannonDistanceSparse(p: SparseDistribution, q: SparseDistribution): number {
  const pi = p.idx;
  const qi = q.idx;
  const pv = p.val;
  const qv = q.val;
  let js = 0;
  let i = 0;
  let j = 0;
  while (i < pi.length || j < qi.length) {
    const a = i < pi.length ? pi[i]! : 0x7fffffff;
    const b = j < qi.length ? qi[j]! : 0x7fffffff;
    if (a === b) {
      const x = pv[i++]!;
      const y = qv[j++]!;
      const m = (x + y) / 2;
      js += x * Math.log2(x / m);
      js += y * Math.log2(y / m);
    } else if (a < b) {
      const x = pv[i++]!;
      js += x * Math.log2(x / ((x + 0) / 2));
    } else {
      const y = qv[j++]!;
      js += y * Math.log2(y / ((0 + y) / 2));
    }
  }
  return Math.sqrt(Math.min(1, Math.max(0, js / 2)));
}

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;

/**
 * Great-circle distance in km between two WGS84 points (degrees), haversine formula on a sphere
 * of radius EARTH_RADIUS_KM. Spherical error is < 0.5%, ample for home-to-school distances.
 */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  for (const v of [lat1, lon1, lat2, lon2]) if (!Number.isFinite(v)) throw new RangeError(`coordinate must be finite, got ${v}`);
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  // min(1, ·) guards asin against rounding just above 1 for antipodal points.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export type Id = string | number;

export interface Profiled {
  id: Id;
  /** Segment counts or shares (normalised internally by the default distance). */
  profile: readonly number[];
}

export interface Neighbour<T> {
  id: Id;
  distance: number;
  item: T;
}

/** Deterministic id order: numbers numerically, otherwise by string code units (locale-independent). */
export function compareIds(a: Id, b: Id): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * The k candidates closest to `target`, nearest first; equal distances are ordered by id
 * (compareIds) so results are reproducible. Candidates with the target's own id are skipped,
 * so a school is never "most similar" to itself. Default distance: Jensen–Shannon on `profile`.
 */
export function mostSimilar<T extends Profiled>(
  target: T,
  candidates: readonly T[],
  k: number,
  distance: (a: T, b: T) => number = (a, b) => jensenShannonDistance(a.profile, b.profile),
): Neighbour<T>[] {
  if (!(Number.isInteger(k) && k >= 0)) throw new RangeError(`k must be a non-negative integer, got ${k}`);
  return candidates
    .filter((c) => c.id !== target.id)
    .map((item) => ({ id: item.id, distance: distance(target, item), item }))
    .sort((a, b) => a.distance - b.distance || compareIds(a.id, b.id))
    .slice(0, k);
}
