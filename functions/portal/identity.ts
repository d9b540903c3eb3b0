/**
 * Who is calling, from verified token claims. The claims model (the same for Cognito on AWS and
 * the local jose issuer):
 *
 * - `sub`: the stable subject id recorded in the audit table (never the e-mail or username).
 * - `cognito:groups`: `la-analyst` makes the caller an analyst (reads every school and the LA's
 *   fair-access report); `urn-123456` gives a head the school with URN 123456 (an executive head is
 *   in one group per school). Anything else in the list is ignored.
 *
 * Groups rather than a `custom:urns` attribute: only an administrator can change group membership
 * (a custom attribute is writable by the user themself unless every app client is configured
 * otherwise), membership changes are logged in CloudTrail, and `cognito:groups` is in the access
 * token, which is what the API accepts (custom attributes are only in the ID token).
 */
import { URN_RE, type AuditReason, type PortalRole } from '../../schemas/portal.ts';

export const ANALYST_GROUP = 'la-analyst';
export const URN_GROUP_PREFIX = 'urn-';

export interface Identity {
  /** Stable subject id (Cognito `sub`). */
  sub: string;
  role: PortalRole;
  /** Schools the caller heads (sorted, unique; empty for analysts). */
  urns: string[];
}

/** Why there is no identity: the request is refused with 401 (403 for no_role). */
export type AuthFailure = Extract<AuditReason, 'missing_token' | 'malformed_token' | 'bad_signature' | 'expired' | 'invalid_claims' | 'no_role'>;

export type IdentityResult = { identity: Identity } | { failure: AuthFailure; sub?: string };

const SUB_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

/**
 * A groups claim in any form it arrives in: a JSON array (jose, the local verifier), or the string
 * API Gateway HTTP API makes of an array claim, `[urn-100108 urn-100206]`; also tolerated: a JSON
 * array in a string and a comma-separated list.
 */
export function parseGroups(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value !== 'string') return [];
  const s = value.trim();
  if (s.startsWith('[') && s.endsWith(']')) {
    try {
      const parsed = JSON.parse(s) as unknown;
      if (Array.isArray(parsed)) return parsed.filter((v): v is string => typeof v === 'string');
    } catch {
      // API Gateway's "[a b c]" form: not JSON
    }
    return s.slice(1, -1).split(/[\s,]+/).filter(Boolean);
  }
  return s.split(/[\s,]+/).filter(Boolean);
}

/** Identity from verified claims (which must already have passed signature, issuer, audience and expiry checks). */
export function identityFromClaims(claims: Record<string, unknown> | null | undefined): IdentityResult {
  if (!claims) return { failure: 'missing_token' };
  const sub = claims.sub;
  if (typeof sub !== 'string' || !SUB_RE.test(sub)) return { failure: 'invalid_claims' };
  const groups = parseGroups(claims['cognito:groups']);
  if (groups.includes(ANALYST_GROUP)) return { identity: { sub, role: 'analyst', urns: [] } };
  const urns = [
    ...new Set(groups.filter((g) => g.startsWith(URN_GROUP_PREFIX)).map((g) => g.slice(URN_GROUP_PREFIX.length)).filter((u) => URN_RE.test(u))),
  ].sort();
  if (urns.length === 0) return { failure: 'no_role', sub };
  return { identity: { sub, role: 'head', urns } };
}
