/** Postcode normalisation through the `postcode` library, with a bounded cache (postcodes repeat a lot). */
import { toNormalised } from 'postcode';

export interface NormalisedPostcode {
  postcode: string;
  sector: string;
}

const cache = new Map<string, NormalisedPostcode | null>();
const CACHE_LIMIT = 500_000;

/**
 * Normalise any case/spacing ("sr11aa", " SR1  1AA ") to the single-space form ("SR1 1AA").
 * Returns null for blank or malformed input.
 */
export function normalisePostcode(raw: string): NormalisedPostcode | null {
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
