/**
 * Who is calling, from verified token claims. The claims model (the same for Cognito on AWS and
 * the local jose issuer):
 *
 * - `sub`: the stable subject id recorded in the audit table (never the e-mail or username).
 * - `origin_jti` (Cognito) or `jti`: the sign-in session, which sign-out revokes (sessions.ts); a
 *   token without one is refused, since it could not be revoked.
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
import { SESSION_ID_RE } from './sessions.ts';

export const ANALYST_GROUP = 'la-analyst';
export const URN_GROUP_PREFIX = 'urn-';

export interface Identity {
  /** Stable subject id (Cognito `sub`). */
  sub: string;
  role: PortalRole;
  /** Schools the caller heads (sorted, unique; empty for analysts). */
  urns: string[];
  /** The sign-in session the token belongs to (Cognito `origin_jti`, else `jti`): what sign-out revokes. */
  session?: string;
}

/** Why there is no identity: the request is refused with 401 (403 for no_role). */
export type AuthFailure = Extract<AuditReason, 'missing_token' | 'malformed_token' | 'bad_signature' | 'expired' | 'invalid_claims' | 'no_role' | 'revoked'>;

export type IdentityResult = { identity: Identity } | { failure: AuthFailure; sub?: string };

const SUB_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

/**
 * Group names from a `cognito:groups` claim, in exactly one of the two forms the portal receives:
 * - a JSON array of strings (jose, the local verifier);
 * - the string API Gateway HTTP API makes of an array claim: `[urn-100108 urn-100206]`, the names
 *   joined by single spaces inside one pair of brackets (Cognito group names cannot contain
 *   whitespace, so the split is unambiguous).
 * Anything else yields no groups. A name is never unquoted, JSON-parsed or split on commas: a group
 * an administrator named `x,la-analyst` or `"la-analyst"` stays that one opaque name, which matches
 * no role.
 */
export function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? (value as string[]) : [];
  if (typeof value !== 'string' || value.length < 3 || !value.startsWith('[') || !value.endsWith(']')) return [];
  const names = value.slice(1, -1).split(' ');
  return names.every((n) => n.length > 0 && !/\s/.test(n)) ? names : [];
}

/** Identity from verified claims (which must already have passed signature, issuer, audience and expiry checks). */
export function identityFromClaims(claims: Record<string, unknown> | null | undefined): IdentityResult {
  if (!claims) return { failure: 'missing_token' };
  const sub = claims.sub;
  if (typeof sub !== 'string' || !SUB_RE.test(sub)) return { failure: 'invalid_claims' };
  // Only revocable tokens: Cognito sets jti and origin_jti when token revocation is on (it is).
  const session = claims.origin_jti ?? claims.jti;
  if (typeof session !== 'string' || !SESSION_ID_RE.test(session)) return { failure: 'invalid_claims' };
  const groups = parseGroups(claims['cognito:groups']);
  if (groups.includes(ANALYST_GROUP)) return { identity: { sub, role: 'analyst', urns: [], session } };
  const urns = [
    ...new Set(groups.filter((g) => g.startsWith(URN_GROUP_PREFIX)).map((g) => g.slice(URN_GROUP_PREFIX.length)).filter((u) => URN_RE.test(u))),
  ].sort();
  if (urns.length === 0) return { failure: 'no_role', sub };
  return { identity: { sub, role: 'head', urns, session } };
}
