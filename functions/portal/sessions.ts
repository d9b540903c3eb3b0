/**
 * Revoked sign-in sessions. A JWT stays valid until it expires wherever it is checked offline (API
 * Gateway's JWT authorizer, jose locally), and Cognito's RevokeToken only stops its own APIs and
 * refreshes from accepting it. So sign-out also records the token's session id here, and the
 * handler refuses every later request of that session. The session id is Cognito's `origin_jti`
 * (shared by every token refreshed from one sign-in) or the token's `jti`.
 *
 * - memorySessions: the local server (one process; restarting it signs everyone out anyway).
 * - lakeSessions: Lambda, whose instances share nothing but the lake: one empty object per revoked
 *   session under portal/revoked/, checked by listing its exact key (S3 lists are strongly
 *   consistent). A lifecycle rule removes them after a day, beyond any token's lifetime (access
 *   1 h, refresh 8 h).
 */
import type { ObjectStore } from '../ports/object-store.ts';

export interface SessionRevocations {
  isRevoked(session: string): Promise<boolean>;
  revoke(session: string): Promise<void>;
}

/** What a session id may look like (Cognito's are UUIDs); anything else never reaches a key. */
export const SESSION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export const REVOKED_PREFIX = 'portal/revoked/';

function checked(session: string): string {
  if (!SESSION_ID_RE.test(session)) throw new Error('not a session id');
  return session;
}

export function memorySessions(): SessionRevocations {
  const revoked = new Set<string>();
  return {
    isRevoked: async (s) => revoked.has(s),
    revoke: async (s) => void revoked.add(checked(s)),
  };
}

export function lakeSessions(lake: ObjectStore): SessionRevocations {
  return {
    isRevoked: async (s) => {
      const key = `${REVOKED_PREFIX}${checked(s)}`;
      return (await lake.list(key)).some((o) => o.key === key);
    },
    revoke: async (s) => {
      await lake.put(`${REVOKED_PREFIX}${checked(s)}`, '');
    },
  };
}
