/**
 * CloudFront as the only way in. The HTTP API's execute-api endpoint is public (HTTP APIs have no
 * resource policy and no WAF), so CloudFront adds a secret header to every request it forwards to
 * the API origin, and the function refuses any request without it before doing anything else. The
 * header's name is no secret; its value is, and a request that did not pass CloudFront cannot carry it.
 * The value lives in Secrets Manager (generated at deployment); the function reads it once per
 * execution environment and again at most every REFRESH_MS, so a rotated value is picked up.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Header CloudFront adds to origin requests (lower case, as API Gateway passes it on). */
export const ORIGIN_VERIFY_HEADER = 'x-catchment-origin-verify';

const REFRESH_MS = 5 * 60_000;
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * A check of the header value against the current secret, in constant time. `load` fetches the
 * secret; a failure to load propagates (the caller fails closed).
 */
export function originVerifier(load: () => Promise<string>, now: () => number = Date.now): (value: string | undefined) => Promise<boolean> {
  let cached: { digest: Buffer; at: number } | undefined;
  const current = async (force: boolean) => {
    if (!cached || force || now() - cached.at > REFRESH_MS) {
      const secret = await load();
      if (secret.length < 32) throw new Error('the origin secret is shorter than 32 characters');
      cached = { digest: digest(secret), at: now() };
    }
    return cached.digest;
  };
  return async (value) => {
    if (!value) return false;
    const given = digest(value);
    if (timingSafeEqual(given, await current(false))) return true;
    // The secret may have been rotated since it was cached: look once more before refusing.
    return timingSafeEqual(given, await current(true));
  };
}
