/**
 * The portal's pure handler and its local token verifier: authorisation, strict path validation
 * (traversal, encoded forms, injection) before any store access, feedback validation, identical 403
 * bodies, and one audit record per request whatever the outcome.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, decodeJwt } from 'jose';
import type { AuditRecord, FeedbackRecord } from '../../schemas/portal.ts';
import { auditDataset, feedbackDataset } from '../../functions/portal/datasets.ts';
import { handlePortalRequest, MAX_BODY_BYTES, type PortalDeps, type PortalRequest } from '../../functions/portal/handler.ts';
import { identityFromClaims, parseGroups, type Identity } from '../../functions/portal/identity.ts';
import { LocalAuth, LOCAL_AUDIENCE, LOCAL_ISSUER, chooseDevUsers } from '../../functions/portal/local-auth.ts';
import type { ObjectStore } from '../../functions/ports/object-store.ts';
import { CLASSIFICATION, EARLIER, LATEST, PUBLISHED_AT, SCHOOLS, makePortalLake, readDataset, type PortalFixture } from './fixture.ts';

const A = SCHOOLS.A.urn;
const B = SCHOOLS.B.urn;
const headA: Identity = { sub: 'sub-head-a', role: 'head', urns: [A] };
const execBC: Identity = { sub: 'sub-exec', role: 'head', urns: [B, SCHOOLS.C.urn] };
const analyst: Identity = { sub: 'sub-analyst', role: 'analyst', urns: [] };
const NOW = new Date('2025-11-25T10:00:00.000Z');

let fx: PortalFixture;
/** Store calls made through `counted` (to prove refusals never reach the store). */
let storeCalls: string[];
let counted: ObjectStore;

beforeAll(async () => {
  fx = await makePortalLake();
  storeCalls = [];
  counted = new Proxy(fx.lake, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        storeCalls.push(`${String(prop)}(${String(args[0])})`);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
});
afterAll(() => fx?.cleanup());

function memoryDeps(overrides: Partial<PortalDeps> = {}) {
  const audit: AuditRecord[] = [];
  const feedback: FeedbackRecord[] = [];
  const deps: PortalDeps = {
    lake: counted,
    audit: { append: async (r) => void audit.push(r) },
    feedback: { append: async (r) => void feedback.push(r) },
    now: () => NOW,
    ...overrides,
  };
  return { deps, audit, feedback };
}

const get = (path: string, identity: Identity | null, extra: Partial<PortalRequest> = {}): PortalRequest => ({ method: 'GET', path, identity, ...extra });
const post = (body: unknown, identity: Identity | null, extra: Partial<PortalRequest> = {}): PortalRequest => ({
  method: 'POST',
  path: '/api/feedback',
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
  identity,
  ...extra,
});

async function bytesOf(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describe('GET /api/me', () => {
  it('lists only the head’s school, with its periods newest first and its name', async () => {
    const { deps } = memoryDeps();
    const res = await handlePortalRequest(get('/api/me', headA), deps);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body!);
    expect(body.user).toEqual({ sub: 'sub-head-a', role: 'head', urns: [A] });
    const bytes = (period: string) => fx.pdfs.get(`published/profiles/${period}/${A}.pdf`)!.length;
    expect(body.schools).toEqual([
      {
        urn: A,
        name: SCHOOLS.A.name,
        phase: 'Primary',
        cluster: 'North',
        pupils: 200,
        matchRate: 0.95,
        lastFeedback: null,
        profiles: [
          // size and pages from the render manifest, the date from the run the pointer names
          { period: LATEST, href: `/api/profiles/${LATEST}/${A}.pdf`, publishedAt: PUBLISHED_AT, classification: CLASSIFICATION, bytes: bytes(LATEST), pages: 1, feedback: null },
          // an earlier folder without a manifest: its size from the listing, pages unknown; published by an earlier run
          { period: EARLIER, href: `/api/profiles/${EARLIER}/${A}.pdf`, publishedAt: '2024-11-12T02:00:00Z', classification: CLASSIFICATION, bytes: bytes(EARLIER), pages: null, feedback: null },
        ],
      },
    ]);
    expect(body.reports).toEqual([]);
    expect(body.canGiveFeedback).toBe(true);
  });

  it('gives an executive head both schools and an analyst every school and the reports', async () => {
    const { deps } = memoryDeps();
    const exec = JSON.parse((await handlePortalRequest(get('/api/me', execBC), deps)).body!);
    expect(exec.schools.map((s: { urn: string }) => s.urn)).toEqual([B, SCHOOLS.C.urn]);
    const all = JSON.parse((await handlePortalRequest(get('/api/me', analyst), deps)).body!);
    expect(all.schools.map((s: { urn: string }) => s.urn)).toEqual(Object.values(SCHOOLS).map((s) => s.urn));
    expect(all.schools.find((s: { urn: string }) => s.urn === SCHOOLS.D.urn).profiles.map((p: { period: string }) => p.period)).toEqual([LATEST]);
    expect(all.reports).toEqual([
      { period: LATEST, href: `/api/reports/${LATEST}/fair-access.pdf`, publishedAt: PUBLISHED_AT, classification: null, bytes: fx.pdfs.get(`published/reports/${LATEST}/fair-access.pdf`)!.length, pages: null },
    ]);
    expect(all.canGiveFeedback).toBe(false);
  });
});

describe('GET /api/profiles/<period>/<urn>.pdf', () => {
  it('streams the head’s own profile as application/pdf, byte for byte', async () => {
    const { deps, audit } = memoryDeps();
    const res = await handlePortalRequest(get(`/api/profiles/${LATEST}/${A}.pdf`, headA), deps);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="catchment-profile-${A}-${LATEST}.pdf"`);
    expect((await bytesOf(res.stream!)).equals(fx.pdfs.get(`published/profiles/${LATEST}/${A}.pdf`)!)).toBe(true);
    expect(audit).toEqual([
      { occurred_at: NOW.toISOString(), request_id: expect.any(String), user: 'sub-head-a', role: 'head', action: 'profile', urn: A, outcome: 'allowed', status: 200, reason: null, period: LATEST },
    ]);
  });

  it('refuses another school with the same 403 body whether or not the file exists, without touching the store', async () => {
    const { deps, audit } = memoryDeps();
    storeCalls.length = 0;
    const existing = await handlePortalRequest(get(`/api/profiles/${LATEST}/${B}.pdf`, headA), deps);
    const missing = await handlePortalRequest(get(`/api/profiles/${LATEST}/999999.pdf`, headA), deps);
    const missingPeriod = await handlePortalRequest(get(`/api/profiles/2031-32/${B}.pdf`, headA), deps);
    const report = await handlePortalRequest(get(`/api/reports/${LATEST}/fair-access.pdf`, headA), deps);
    for (const r of [existing, missing, missingPeriod, report]) {
      expect(r.status).toBe(403);
      expect(r.body).toBe(existing.body);
      expect(r.headers).toEqual(existing.headers);
    }
    expect(JSON.parse(existing.body!)).toEqual({ error: 'forbidden', message: 'You do not have access to this document.' });
    expect(storeCalls).toEqual([]);
    expect(audit.map((a) => [a.outcome, a.reason, a.urn])).toEqual([
      ['denied', 'not_your_school', B],
      ['denied', 'not_your_school', '999999'],
      ['denied', 'not_your_school', B],
      ['denied', 'analysts_only', null],
    ]);
  });

  it('lets an analyst read any school and the report; 404 only for files that are really missing', async () => {
    const { deps, audit } = memoryDeps();
    const b = await handlePortalRequest(get(`/api/profiles/${EARLIER}/${B}.pdf`, analyst), deps);
    expect(b.status).toBe(200);
    b.stream!.destroy();
    const report = await handlePortalRequest(get(`/api/reports/${LATEST}/fair-access.pdf`, analyst), deps);
    expect(report.status).toBe(200);
    expect((await bytesOf(report.stream!)).equals(fx.pdfs.get(`published/reports/${LATEST}/fair-access.pdf`)!)).toBe(true);
    const none = await handlePortalRequest(get(`/api/profiles/${EARLIER}/${SCHOOLS.D.urn}.pdf`, analyst), deps);
    expect(none.status).toBe(404);
    const noReport = await handlePortalRequest(get(`/api/reports/${EARLIER}/fair-access.pdf`, analyst), deps);
    expect(noReport.status).toBe(404);
    expect(audit.map((a) => a.outcome)).toEqual(['allowed', 'allowed', 'not_found', 'not_found']);
  });

  it('answers with a presigned URL when a signer is configured (JSON when asked, else 302)', async () => {
    const signed: string[] = [];
    const { deps } = memoryDeps({
      signer: async (key, filename) => {
        signed.push(key);
        return `https://lake.example/${key}?X-Amz-Expires=300&name=${filename}`;
      },
      signedUrlSeconds: 300,
    });
    const asJson = await handlePortalRequest(get(`/api/profiles/${LATEST}/${A}.pdf`, headA, { headers: { accept: 'application/json, application/pdf;q=0.9' } }), deps);
    expect(asJson.status).toBe(200);
    expect(JSON.parse(asJson.body!)).toEqual({
      url: `https://lake.example/published/profiles/${LATEST}/${A}.pdf?X-Amz-Expires=300&name=catchment-profile-${A}-${LATEST}.pdf`,
      expiresInSeconds: 300,
      filename: `catchment-profile-${A}-${LATEST}.pdf`,
    });
    const redirect = await handlePortalRequest(get(`/api/profiles/${LATEST}/${A}.pdf`, headA), deps);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toMatch(/^https:\/\/lake\.example\//);
    const denied = await handlePortalRequest(get(`/api/profiles/${LATEST}/${B}.pdf`, headA, { headers: { accept: 'application/json' } }), deps);
    expect(denied.status).toBe(403);
    expect(signed).toEqual([`published/profiles/${LATEST}/${A}.pdf`, `published/profiles/${LATEST}/${A}.pdf`]);
  });
});

describe('strict path validation, before any store access', () => {
  const traversal = [
    `/api/profiles/../reports/${LATEST}/fair-access.pdf`,
    `/api/profiles/${LATEST}/../${B}.pdf`,
    `/api/profiles/${LATEST}/..%2f${B}.pdf`,
    `/api/profiles/${LATEST}/%2e%2e%2f${B}.pdf`,
    `/api/profiles/%2e%2e%2f%2e%2e%2fmanifests/latest.pdf`,
    `/api/profiles/${LATEST}/%2E%2E%2F%2E%2E%2Fcurated%2Fpupils.pdf`,
    `/api/profiles/${LATEST}/..%5c${B}.pdf`,
    `/api/profiles/${LATEST}/%252e%252e%252f${B}.pdf`,
    `/api/profiles/${LATEST}//${A}.pdf`,
    `/api/profiles/./${LATEST}/${A}.pdf`,
    `/api/reports/${LATEST}/..%2f..%2fprofiles%2f${LATEST}%2f${B}.pdf`,
  ];
  it.each(traversal)('refuses %s with 400', async (path) => {
    const { deps, audit } = memoryDeps();
    storeCalls.length = 0;
    const res = await handlePortalRequest(get(path, headA), deps);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body!).error).toBe('bad_request');
    expect(storeCalls).toEqual([]);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'invalid', status: 400, user: 'sub-head-a', period: 'none' });
    expect(['path_traversal', 'bad_path']).toContain(audit[0]!.reason);
  });

  const injection: [string, string][] = [
    [`/api/profiles/2025-26'%20OR%201=1/${A}.pdf`, 'bad_path'],
    [`/api/profiles/2025-2026/${A}.pdf`, 'bad_period'],
    [`/api/profiles/2025_26/${A}.pdf`, 'bad_period'],
    [`/api/profiles/${LATEST}/${A};DROP.pdf`, 'bad_path'],
    [`/api/profiles/${LATEST}/${A}%20OR%201=1.pdf`, 'bad_path'],
    [`/api/profiles/${LATEST}/10000a.pdf`, 'bad_urn'],
    [`/api/profiles/${LATEST}/1000011.pdf`, 'bad_urn'],
    [`/api/profiles/${LATEST}/${A}.json`, 'bad_urn'],
    [`/api/profiles/${LATEST}/${A}.pdf.pdf`, 'bad_urn'],
    [`/api/profiles/${LATEST}/%D9%A1%D9%A0%D9%A0%D9%A0%D9%A0%D9%A1.pdf`, 'bad_path'],
    [`/api/profiles/${LATEST}/${A}%00.pdf`, 'path_traversal'],
    [`/api/profiles/${LATEST}/${'1'.repeat(300)}.pdf`, 'bad_path'],
  ];
  it.each(injection)('refuses %s (%s)', async (path, reason) => {
    const { deps, audit } = memoryDeps();
    storeCalls.length = 0;
    const res = await handlePortalRequest(get(path, analyst), deps);
    expect(res.status).toBe(400);
    expect(storeCalls).toEqual([]);
    expect(audit[0]).toMatchObject({ outcome: 'invalid', reason, status: 400 });
  });

  it('answers 404 for unknown routes and 405 for wrong methods', async () => {
    const { deps, audit } = memoryDeps();
    const unknown = await handlePortalRequest(get('/api/admin', analyst), deps);
    expect(unknown.status).toBe(404);
    const otherReport = await handlePortalRequest(get(`/api/reports/${LATEST}/other.pdf`, analyst), deps);
    expect(otherReport.status).toBe(404);
    const del = await handlePortalRequest({ method: 'DELETE', path: `/api/profiles/${LATEST}/${A}.pdf`, identity: headA }, deps);
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe('GET');
    const putFeedback = await handlePortalRequest({ method: 'PUT', path: '/api/feedback', identity: headA }, deps);
    expect(putFeedback.status).toBe(405);
    expect(putFeedback.headers.allow).toBe('GET, POST');
    expect(audit.map((a) => [a.action, a.reason])).toEqual([
      ['other', 'unknown_route'],
      ['report', 'unknown_route'],
      ['profile', 'bad_method'],
      ['feedback', 'bad_method'],
    ]);
  });
});

describe('authentication and claims', () => {
  it('answers 401 without an identity, before looking at the path, and audits it', async () => {
    const { deps, audit } = memoryDeps();
    storeCalls.length = 0;
    const none = await handlePortalRequest(get(`/api/profiles/${LATEST}/${A}.pdf`, null), deps);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const expired = await handlePortalRequest(get('/api/me', null, { authFailure: 'expired' }), deps);
    expect(expired.status).toBe(401);
    expect(JSON.parse(expired.body!).message).toMatch(/expired/);
    const traversal = await handlePortalRequest(get('/api/profiles/..%2f..%2fx.pdf', null, { authFailure: 'bad_signature' }), deps);
    expect(traversal.status).toBe(401);
    expect(storeCalls).toEqual([]);
    expect(audit.map((a) => [a.user, a.outcome, a.reason, a.urn, a.period])).toEqual([
      [null, 'unauthenticated', 'missing_token', A, LATEST],
      [null, 'unauthenticated', 'expired', null, 'none'],
      [null, 'unauthenticated', 'bad_signature', null, 'none'],
    ]);
  });

  it('maps claims to identities: groups in every form API Gateway and jose produce', () => {
    expect(identityFromClaims(undefined)).toEqual({ failure: 'missing_token' });
    expect(identityFromClaims({})).toEqual({ failure: 'invalid_claims' });
    expect(identityFromClaims({ sub: '', 'cognito:groups': ['la-analyst'] })).toEqual({ failure: 'invalid_claims' });
    expect(identityFromClaims({ sub: 'abc', jti: 'j' })).toEqual({ failure: 'no_role', sub: 'abc' });
    expect(identityFromClaims({ sub: 'abc', jti: 'j', 'cognito:groups': '[urn-100002 urn-100001 teachers]' })).toEqual({ identity: { sub: 'abc', role: 'head', urns: ['100001', '100002'], session: 'j' } });
    expect(identityFromClaims({ sub: 'abc', jti: 'j', 'cognito:groups': ['urn-100001', 'urn-12345x', 'urn-1000011', 'urn-'] })).toEqual({ identity: { sub: 'abc', role: 'head', urns: ['100001'], session: 'j' } });
    expect(identityFromClaims({ sub: 'abc', jti: 'j', 'cognito:groups': '[urn-100001 la-analyst]' })).toEqual({ identity: { sub: 'abc', role: 'analyst', urns: [], session: 'j' } });
    // Only those two forms (hostile group names: test/portal/hardening.test.ts).
    expect(parseGroups('[urn-100001 urn-100002]')).toEqual(['urn-100001', 'urn-100002']);
    expect(parseGroups(42)).toEqual([]);
  });

  it('refuses a signed-in user with no portal group with 403 and records their subject', async () => {
    const { deps, audit } = memoryDeps();
    const res = await handlePortalRequest(get('/api/me', null, { authFailure: 'no_role', authSub: 'sub-nobody' }), deps);
    expect(res.status).toBe(403);
    expect(audit[0]).toMatchObject({ user: 'sub-nobody', role: null, outcome: 'denied', reason: 'no_role', status: 403 });
  });
});

describe('POST /api/feedback', () => {
  const ok = { urn: A, period: LATEST, rating: 4, comment: 'Matches what we see at the gate.' };

  it('stores a head’s feedback on their own school', async () => {
    const { deps, audit, feedback } = memoryDeps();
    const res = await handlePortalRequest(post(ok, headA), deps);
    expect(res.status).toBe(201);
    expect(feedback).toEqual([{ feedback_id: expect.any(String), urn: A, user: 'sub-head-a', rating: 4, comment: ok.comment, submitted_at: NOW.toISOString(), period: LATEST }]);
    expect(audit[0]).toMatchObject({ action: 'feedback', outcome: 'allowed', status: 201, urn: A, period: LATEST });
  });

  it.each([
    ['a comment over 2000 characters', { ...ok, comment: 'x'.repeat(2001) }, 400, /at most 2000 characters/],
    ['a rating of 6', { ...ok, rating: 6 }, 400, /rating must be from 1 to 5/],
    ['a rating of 3.5', { ...ok, rating: 3.5 }, 400, /whole number/],
    ['a missing rating', { urn: A, period: LATEST }, 400, /rating/],
    ['an injected URN', { ...ok, urn: "100001' OR '1'='1" }, 400, /6-digit/],
    ['a traversal period', { ...ok, period: '../../x' }, 400, /2025-26/],
    ['an unknown field', { ...ok, admin: true }, 400, /admin/],
  ])('refuses %s with a clear message', async (_name, body, status, message) => {
    const { deps, audit, feedback } = memoryDeps();
    const res = await handlePortalRequest(post(body, headA), deps);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body!).message).toMatch(message);
    expect(feedback).toEqual([]);
    expect(audit[0]).toMatchObject({ action: 'feedback', outcome: 'invalid', reason: 'bad_body' });
  });

  it('refuses a body over 16 KiB with 413, non-JSON with 400 and other content types with 415', async () => {
    const { deps, audit, feedback } = memoryDeps();
    const big = await handlePortalRequest(post({ ...ok, comment: 'x'.repeat(MAX_BODY_BYTES) }, headA), deps);
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body!).message).toMatch(/larger than 16 KiB/);
    expect((await handlePortalRequest(post('{"urn":', headA), deps)).status).toBe(400);
    expect((await handlePortalRequest(post(ok, headA, { headers: { 'content-type': 'text/plain' } }), deps)).status).toBe(415);
    expect(feedback).toEqual([]);
    expect(audit.map((a) => a.reason)).toEqual(['body_too_large', 'bad_body', 'bad_content_type']);
  });

  it('refuses feedback on another school (403), from an analyst (403) and on an unpublished profile (404)', async () => {
    const { deps, audit, feedback } = memoryDeps();
    expect((await handlePortalRequest(post({ ...ok, urn: B }, headA), deps)).status).toBe(403);
    expect((await handlePortalRequest(post(ok, analyst), deps)).status).toBe(403);
    expect((await handlePortalRequest(post({ ...ok, period: '2019-20' }, headA), deps)).status).toBe(404);
    expect(feedback).toEqual([]);
    expect(audit.map((a) => [a.outcome, a.reason])).toEqual([
      ['denied', 'not_your_school'],
      ['denied', 'heads_only'],
      ['not_found', 'no_such_file'],
    ]);
  });
});

describe('audit and feedback datasets (Parquet, Hive-partitioned)', () => {
  it('writes one audit record per request, allowed or refused, and the feedback, readable back', async () => {
    const fresh = await makePortalLake();
    try {
      const deps: PortalDeps = { lake: fresh.lake, audit: auditDataset(fresh.lake), feedback: feedbackDataset(fresh.lake), now: () => NOW };
      const requests: PortalRequest[] = [
        get('/api/me', headA),
        get(`/api/profiles/${LATEST}/${A}.pdf`, headA),
        get(`/api/profiles/${LATEST}/${B}.pdf`, headA),
        get('/api/profiles/..%2f..%2fx.pdf', headA),
        get('/api/me', null, { authFailure: 'expired' }),
        post({ urn: A, period: LATEST, rating: 2, comment: 'Fewer families from the estate than we see.' }, headA),
        post({ urn: A, period: LATEST, rating: 2, comment: 'y'.repeat(2001) }, headA),
      ];
      for (const r of requests) (await handlePortalRequest(r, deps)).stream?.destroy();
      const audit = await readDataset(fresh.lake, 'portal_audit');
      expect(audit).toHaveLength(requests.length);
      const byOutcome = audit.map((a) => `${a.action}:${a.outcome}:${a.status}:${a.period}`).sort();
      expect(byOutcome).toEqual(
        [
          'list:allowed:200:none',
          `profile:allowed:200:${LATEST}`,
          `profile:denied:403:${LATEST}`,
          'profile:invalid:400:none',
          'list:unauthenticated:401:none',
          `feedback:allowed:201:${LATEST}`,
          `feedback:invalid:400:${LATEST}`,
        ].sort(),
      );
      const keys = (await fresh.lake.list('published/portal_audit/')).map((o) => o.key);
      for (const k of keys) expect(k).toMatch(/^published\/portal_audit\/period=(none|\d{4}-\d{2})\/\d{8}T\d{9}Z-[0-9a-f-]{36}\.parquet$/);
      const feedback = await readDataset(fresh.lake, 'portal_feedback');
      expect(feedback).toEqual([
        { feedback_id: expect.any(String), urn: A, user: 'sub-head-a', rating: 2, comment: 'Fewer families from the estate than we see.', submitted_at: NOW.toISOString(), period: LATEST },
      ]);
    } finally {
      fresh.cleanup();
    }
  });

  it('fails closed (503) when the audit record cannot be written', async () => {
    const { deps } = memoryDeps({
      audit: {
        append: async () => {
          throw new Error('disk full');
        },
      },
    });
    const res = await handlePortalRequest(get(`/api/profiles/${LATEST}/${A}.pdf`, headA), deps);
    expect(res.status).toBe(503);
    expect(res.stream).toBeUndefined();
    expect(JSON.parse(res.body!).error).toBe('audit_unavailable');
  });
});

describe('local sign-in tokens (jose)', () => {
  let auth: LocalAuth;
  const user = { id: 'head', sub: 'dev-head-0001', groups: [`urn-${A}`] };
  beforeAll(async () => {
    auth = await LocalAuth.create({ tokenSeconds: 3600 });
  });

  it('verifies its own token into the identity the handler uses, for one hour', async () => {
    const { token, expiresAt } = await auth.issue(user, { now: NOW });
    expect(Date.parse(expiresAt) - NOW.getTime()).toBe(3600_000);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: 'dev-head-0001', iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, 'cognito:groups': [`urn-${A}`], token_use: 'access' });
    const fresh = await auth.issue(user);
    expect(await auth.verify(`Bearer ${fresh.token}`)).toEqual({ identity: { sub: 'dev-head-0001', role: 'head', urns: [A], session: decodeJwt(fresh.token).jti } });
    expect(decodeJwt(fresh.token).jti).not.toBe(claims.jti); // one session per sign-in
  });

  it('refuses expired, tampered, foreign, unsigned and malformed tokens', async () => {
    const expired = await auth.issue(user, { now: new Date(Date.now() - 2 * 3600_000) });
    expect(await auth.verify(`Bearer ${expired.token}`)).toEqual({ failure: 'expired' });

    const { token } = await auth.issue(user);
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    payload['cognito:groups'] = ['la-analyst'];
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(await auth.verify(`Bearer ${tampered}`)).toEqual({ failure: 'bad_signature' });

    const other = await LocalAuth.create();
    expect(await auth.verify(`Bearer ${(await other.issue(user)).token}`)).toEqual({ failure: 'bad_signature' });

    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    expect(await auth.verify(`Bearer ${none}`)).toEqual({ failure: 'malformed_token' });
    const hs = await new SignJWT({ 'cognito:groups': ['la-analyst'], token_use: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new Uint8Array(32));
    expect(await auth.verify(`Bearer ${hs}`)).toEqual({ failure: 'malformed_token' });

    expect(await auth.verify(undefined)).toEqual({ failure: 'missing_token' });
    expect(await auth.verify('Basic dXNlcjpwYXNz')).toEqual({ failure: 'malformed_token' });
    expect(await auth.verify('Bearer not-a-jwt')).toEqual({ failure: 'malformed_token' });
    expect(await auth.verify(`Bearer ${h}.${p}.${'A'.repeat(86)}`)).toEqual({ failure: 'bad_signature' });
  });

  it('picks dev users for schools in the latest period of the lake', async () => {
    const { users, period, pdfs } = await chooseDevUsers(fx.lake);
    expect(period).toBe(LATEST);
    expect(pdfs).toBe(true);
    expect(users.map((u) => [u.id, u.groups])).toEqual([
      ['head', [`urn-${A}`]],
      ['executive-head', [`urn-${B}`, `urn-${SCHOOLS.C.urn}`]],
      ['analyst', ['la-analyst']],
    ]);
    expect(users[0]!.description).toBe(`${SCHOOLS.A.name} (${A})`);
  });
});
