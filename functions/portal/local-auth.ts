/**
 * Local sign-in for `npm run serve`: short-lived JWTs issued and verified with jose, shaped like
 * Cognito access tokens (`sub`, `cognito:groups`, `token_use: access`) so the claims go through the
 * same identityFromClaims as on AWS. The ES256 key pair is generated at start and never leaves the
 * process: restarting the server signs everyone out.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { PERIOD_RE } from '../../schemas/portal.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { listAvailable, schoolNames } from './catalog.ts';
import { ANALYST_GROUP, URN_GROUP_PREFIX, identityFromClaims, type AuthFailure, type IdentityResult } from './identity.ts';

export const LOCAL_ISSUER = 'catchment-local';
export const LOCAL_AUDIENCE = 'catchment-portal';
export const DEFAULT_TOKEN_SECONDS = 60 * 60;

export interface DevUser {
  /** What the page posts to /auth/dev-login. */
  id: string;
  /** Stable subject id put in the token (and so in the audit). */
  sub: string;
  label: string;
  description: string;
  groups: string[];
}

export interface IssuedToken {
  token: string;
  expiresAt: string;
}

export class LocalAuth {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    readonly tokenSeconds: number,
  ) {}

  static async create(opts: { tokenSeconds?: number } = {}): Promise<LocalAuth> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    return new LocalAuth(privateKey, publicKey, opts.tokenSeconds ?? DEFAULT_TOKEN_SECONDS);
  }

  /** Public key as a JWK (what a JWKS endpoint would publish). */
  publicJwk() {
    return exportJWK(this.publicKey);
  }

  /** A signed access token for a dev user, valid `tokenSeconds` from `now`. */
  async issue(user: Pick<DevUser, 'sub' | 'id' | 'groups'>, opts: { now?: Date; seconds?: number } = {}): Promise<IssuedToken> {
    const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
    const exp = iat + (opts.seconds ?? this.tokenSeconds);
    const token = await new SignJWT({ 'cognito:groups': user.groups, username: user.id, token_use: 'access', client_id: LOCAL_AUDIENCE })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setSubject(user.sub)
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID()) // the session sign-out revokes
      .sign(this.privateKey);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** Identity from an `Authorization: Bearer <jwt>` header, or why there is none. */
  async verify(authorization: string | undefined): Promise<IdentityResult> {
    if (!authorization) return { failure: 'missing_token' };
    const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization.trim());
    if (!m) return { failure: 'malformed_token' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(m[1]!, this.publicKey, {
        algorithms: ['ES256'],
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      }));
    } catch (err) {
      return { failure: failureOf(err) };
    }
    if (payload.token_use !== 'access') return { failure: 'invalid_claims' };
    return identityFromClaims(payload as Record<string, unknown>);
  }
}

function failureOf(err: unknown): AuthFailure {
  switch ((err as { code?: string }).code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad_signature';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return 'invalid_claims';
    default:
      return 'malformed_token'; // ERR_JWS_INVALID, ERR_JWT_INVALID, ERR_JOSE_ALG_NOT_ALLOWED, bad base64/JSON
  }
}

/**
 * Dev users for schools that exist in the lake: the head of one school, an executive head of two
 * others, and an analyst. Schools are taken from the latest period with profile PDFs (or, before the
 * PDF stage has run, with profile documents), so the sign-in list always matches what can be served.
 */
export async function chooseDevUsers(lake: ObjectStore): Promise<{ users: DevUser[]; period: string | null; pdfs: boolean }> {
  const available = await listAvailable(lake);
  let period: string | null = null;
  let urns: string[] = [];
  let pdfs = false;
  const periods = [...new Set([...available.profiles.values()].flat())].sort().reverse();
  if (periods.length > 0) {
    period = periods[0]!;
    urns = [...available.profiles.entries()].filter(([, ps]) => ps.includes(period!)).map(([u]) => u).sort();
    pdfs = true;
  } else {
    // No PDFs yet: fall back to the JSON profile documents of the latest period.
    const docs = (await lake.list('published/profiles/')).flatMap((o) => {
      const m = /^published\/profiles\/(\d{4}-\d{2})\/(\d{6})\.json$/.exec(o.key);
      return m ? [{ period: m[1]!, urn: m[2]! }] : [];
    });
    const latest = docs.map((d) => d.period).filter((p) => PERIOD_RE.test(p)).sort().at(-1);
    if (latest) {
      period = latest;
      urns = docs.filter((d) => d.period === latest).map((d) => d.urn).sort();
    }
  }
  const names = period ? await schoolNames(lake, [period], urns.slice(0, 3)) : new Map<string, string>();
  const label = (u: string) => (names.get(u) ? `${names.get(u)} (${u})` : `URN ${u}`);
  const users: DevUser[] = [];
  if (urns[0]) {
    users.push({ id: 'head', sub: 'dev-head-0001', label: 'Head teacher', description: label(urns[0]), groups: [`${URN_GROUP_PREFIX}${urns[0]}`] });
  }
  if (urns[1] && urns[2]) {
    users.push({
      id: 'executive-head',
      sub: 'dev-exec-head-0002',
      label: 'Executive head',
      description: `${label(urns[1])} and ${label(urns[2])}`,
      groups: [`${URN_GROUP_PREFIX}${urns[1]}`, `${URN_GROUP_PREFIX}${urns[2]}`],
    });
  }
  users.push({ id: 'analyst', sub: 'dev-analyst-0003', label: 'LA analyst', description: 'Every school, and the fair-access reports', groups: [ANALYST_GROUP] });
  return { users, period, pdfs };
}
