/** Postcode normalisation through the `postcode` library, with a bounded cache (postcodes repeat a lot). */
import { toNormalised } from 'postcode';

export interface NormalisedPostcode {
  postcode: string;
  sector: string;
}

const cache = new Map<string, NormalisedPostcode | null>();
/** The postcode library's POSTCODE_REGEX, in the normalised form it produces. */
const NORMALISED = /^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$/;
const CACHE_LIMIT = 500_000;

/**
 * Normalise any case/spacing ("sr11aa", " SR1  1AA ") to the single-space form ("SR1 1AA").
 * Returns null for blank or malformed input.
 */
export function normalisePostcode(raw: string): NormalisedPostcode | null {
  // Most postcodes arrive already normalised: the library would return them unchanged (its own
  // pattern, upper case, one space), so skip it and the cache (2 µs a call when the cache churns).
  if (NORMALISED.test(raw)) return { postcode: raw, sector: raw.slice(0, -2) };
  let hit = cache.get(raw);
  if (hit !== undefined) return hit;
  const compact = raw.replace(/\s+/g, '');
  const pc = compact.length >= 5 && compact.length <= 7 ? toNormalised(compact) : null;
  // sector = outward code + first character of the inward code, e.g. "SR1 1"
  hit = pc ? { postcode: pc, sector: pc.slice(0, pc.length - 2) } : null;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(raw, hit);
  return hit;
}
