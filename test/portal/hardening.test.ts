/**
 * Security hardening of the portal handler (issue 16): each block is one weakness found by the
 * attack on the portal, with the hostile inputs that exploited it.
 */
import { describe, expect, it } from 'vitest';
import { handlePortalRequest, type PortalDeps, type PortalRequest } from '../../functions/portal/handler.ts';
import { identityFromClaims, parseGroups, type Identity } from '../../functions/portal/identity.ts';
import { lakeSessions, memorySessions } from '../../functions/portal/sessions.ts';
import { NotFoundError, type ObjectStore } from '../../functions/ports/object-store.ts';
import { makePortalLake } from './fixture.ts';
import { feedbackCsv, spreadsheetSafe } from '../../functions/portal/feedback-export.ts';
import { portalFeedback, type AuditRecord, type FeedbackRecord } from '../../schemas/portal.ts';

describe('group claims: only an array or API Gateway’s "[a b]" form', () => {
  const analyst = { identity: { sub: 'abc', role: 'analyst', urns: [], session: 'j-1' } };

  it.each([
    ['a group named x,la-analyst (array)', ['x,la-analyst']],
    ['a group named x,la-analyst (API Gateway form)', '[x,la-analyst]'],
    ['a group named x,la-analyst beside a school (API Gateway form)', '[urn-100001 x,la-analyst]'],
    ['a group named "la-analyst" (array)', ['"la-analyst"']],
    ['a group named "la-analyst" (API Gateway form)', '["la-analyst"]'],
    ['a group named "la-analyst" beside a school (API Gateway form)', '[urn-100001 "la-analyst"]'],
    ['a JSON array inside a string', '["urn-100001","la-analyst"]'],
    ['a comma-separated string', 'urn-100001,la-analyst'],
    ['a bare string', 'la-analyst'],
    ['a group named la-analyst] (API Gateway form)', '[urn-100001 la-analyst]]'],
    ['a group named [la-analyst (API Gateway form)', '[[la-analyst urn-100001]'],
    ['an object', { 0: 'la-analyst' }],
  ])('never makes an analyst of %s', (_name, groups) => {
    const who = identityFromClaims({ sub: 'abc', jti: 'j-1', 'cognito:groups': groups });
    expect(who).not.toEqual(analyst);
    // a head of school 100001 where that group is present, otherwise no role at all (never invalid claims)
    if ('identity' in who) expect(who.identity).toEqual({ sub: 'abc', role: 'head', urns: ['100001'], session: 'j-1' });
    else expect(who).toEqual({ failure: 'no_role', sub: 'abc' });
  });

  it('reads the two forms the portal really receives', () => {
    expect(parseGroups(['urn-100001', 'la-analyst'])).toEqual(['urn-100001', 'la-analyst']);
    expect(parseGroups('[urn-100002 urn-100001]')).toEqual(['urn-100002', 'urn-100001']);
    expect(parseGroups('[la-analyst]')).toEqual(['la-analyst']);
    expect(identityFromClaims({ sub: 'abc', jti: 'j-1', 'cognito:groups': '[urn-100001 la-analyst]' })).toEqual(analyst);
    expect(identityFromClaims({ sub: 'abc', jti: 'j-1', 'cognito:groups': ['la-analyst'] })).toEqual(analyst);
  });

  it('reads nothing from any other form', () => {
    for (const v of ['urn-100001', 'urn-100001,urn-100002', '[]', '', '[ ]', 42, null, undefined, [1, 2]]) {
      expect(parseGroups(v), JSON.stringify(v)).toEqual([]);
    }
    // a hostile name stays one opaque group name, never split, unquoted or JSON-parsed
    expect(parseGroups('["urn-100001"]')).toEqual(['"urn-100001"']);
    expect(parseGroups('[x,la-analyst "la-analyst"]')).toEqual(['x,la-analyst', '"la-analyst"']);
  });
});

describe('audit completeness: every refusal records the urn and period its path named', () => {
  const NOW = new Date('2025-11-25T10:00:00.000Z');
  const head: Identity = { sub: 'sub-head', role: 'head', urns: ['100001'] };
  const analyst: Identity = { sub: 'sub-analyst', role: 'analyst', urns: [] };
  const emptyLake: ObjectStore = {
    uri: (k) => k,
    get: async (k) => {
      throw new NotFoundError(k);
    },
    getStream: async (k) => {
      throw new NotFoundError(k);
    },
    put: async () => {},
    exists: async () => false,
    list: async () => [],
    deletePrefix: async () => {},
    replacePrefix: async () => {},
    putIfAbsent: async () => true,
  };
  const cases: [string, PortalRequest, { status: number; reason: string; urn: string | null; period: string }][] = [
    ['405 on a profile', { method: 'DELETE', path: '/api/profiles/2025-26/100002.pdf', identity: head }, { status: 405, reason: 'bad_method', urn: '100002', period: '2025-26' }],
    ['405 on a report', { method: 'POST', path: '/api/reports/2025-26/fair-access.pdf', identity: analyst }, { status: 405, reason: 'bad_method', urn: null, period: '2025-26' }],
    ['405 on feedback', { method: 'PUT', path: '/api/feedback', identity: head }, { status: 405, reason: 'bad_method', urn: null, period: 'none' }],
    ['401 on a profile', { method: 'GET', path: '/api/profiles/2025-26/100002.pdf', identity: null }, { status: 401, reason: 'missing_token', urn: '100002', period: '2025-26' }],
    ['401 (expired) on a report', { method: 'GET', path: '/api/reports/2024-25/fair-access.pdf', identity: null, authFailure: 'expired' }, { status: 401, reason: 'expired', urn: null, period: '2024-25' }],
    ['403 no portal group', { method: 'GET', path: '/api/profiles/2025-26/100002.pdf', identity: null, authFailure: 'no_role', authSub: 'x' }, { status: 403, reason: 'no_role', urn: '100002', period: '2025-26' }],
    ['403 another school', { method: 'GET', path: '/api/profiles/2025-26/100002.pdf', identity: head }, { status: 403, reason: 'not_your_school', urn: '100002', period: '2025-26' }],
    ['403 report for a head', { method: 'GET', path: '/api/reports/2025-26/fair-access.pdf', identity: head }, { status: 403, reason: 'analysts_only', urn: null, period: '2025-26' }],
    ['400 bad URN', { method: 'GET', path: '/api/profiles/2025-26/10000x.pdf', identity: head }, { status: 400, reason: 'bad_urn', urn: null, period: '2025-26' }],
    ['404 other report', { method: 'GET', path: '/api/reports/2025-26/other.pdf', identity: analyst }, { status: 404, reason: 'unknown_route', urn: null, period: '2025-26' }],
    ['404 missing file', { method: 'GET', path: '/api/profiles/2025-26/100001.pdf', identity: head }, { status: 404, reason: 'no_such_file', urn: '100001', period: '2025-26' }],
  ];
  it.each(cases)('%s', async (_name, req, want) => {
    const audit: AuditRecord[] = [];
    const deps: PortalDeps = { lake: emptyLake, audit: { append: async (r) => void audit.push(r) }, feedback: { append: async () => {} }, now: () => NOW };
    const res = await handlePortalRequest(req, deps);
    expect(res.status).toBe(want.status);
    expect(audit).toHaveLength(1);
    expect({ status: audit[0]!.status, reason: audit[0]!.reason, urn: audit[0]!.urn, period: audit[0]!.period }).toEqual(want);
  });
});

describe('feedback text: no control or text-direction characters; spreadsheet-safe exports', () => {
  const NOW = new Date('2025-11-25T10:00:00.000Z');
  const head: Identity = { sub: 'sub-head', role: 'head', urns: ['100001'] };
  const lakeWithProfile: ObjectStore = {
    uri: (k) => k,
    get: async (k) => {
      throw new NotFoundError(k);
    },
    getStream: async (k) => {
      throw new NotFoundError(k);
    },
    put: async () => {},
    exists: async () => true,
    list: async (p) => (p === 'published/profiles/2025-26/100001.pdf' ? [{ key: p, size: 1 }] : []),
    deletePrefix: async () => {},
    replacePrefix: async () => {},
    putIfAbsent: async () => true,
  };
  const send = async (comment: string) => {
    const audit: AuditRecord[] = [];
    const stored: FeedbackRecord[] = [];
    const deps: PortalDeps = { lake: lakeWithProfile, audit: { append: async (r) => void audit.push(r) }, feedback: { append: async (r) => void stored.push(r) }, now: () => NOW };
    const res = await handlePortalRequest(
      { method: 'POST', path: '/api/feedback', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ urn: '100001', period: '2025-26', rating: 3, comment }), identity: head },
      deps,
    );
    return { res, audit, stored };
  };

  it.each([
    ['a right-to-left override (U+202E)', 'Fine \u202Egnp.exe'],
    ['a left-to-right isolate (U+2066)', 'a \u2066b\u2069 c'],
    ['a right-to-left mark (U+200F)', 'mark\u200F'],
    ['the Arabic letter mark (U+061C)', 'x\u061Cy'],
    ['an ANSI escape sequence', 'red \u001b[31mALERT\u001b[0m'],
    ['a NUL', 'a\u0000b'],
    ['a backspace', 'abc\u0008\u0008'],
    ['DEL', 'a\u007Fb'],
    ['a C1 control (U+009B CSI)', 'a\u009B31m'],
    ['a lone surrogate', 'a\uD800b'],
  ])('refuses %s with 400, stores nothing and audits bad_body', async (_name, comment) => {
    const { res, audit, stored } = await send(comment);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body!).message).toMatch(/control or text-direction character|not valid text/);
    expect(stored).toEqual([]);
    expect(audit[0]).toMatchObject({ outcome: 'invalid', reason: 'bad_body', urn: '100001', period: '2025-26' });
    expect(() => portalFeedback.schema.shape.comment.parse(comment)).toThrow();
  });

  it('keeps line breaks, tabs, accents, emoji (with joiners) and text that merely starts with = + - @', async () => {
    for (const comment of ['Line one\nline two\r\nthree\tend', 'Café – naïve “quotes”', 'Families 👨‍👩‍👧 here', '=SUM(A1)', '-ve in places', '@head']) {
      const { res, stored } = await send(comment);
      expect(res.status, JSON.stringify(comment)).toBe(201);
      expect(stored[0]!.comment).toBe(comment.trim());
    }
  });

  it('escapes a leading = + - @ (and tab or carriage return) when exporting for spreadsheets', () => {
    expect(spreadsheetSafe('=HYPERLINK("http://evil","x")')).toBe('\'=HYPERLINK("http://evil","x")');
    for (const c of ['+1', '-1+2', '@SUM(A1)', '\t=1', '\r=1']) expect(spreadsheetSafe(c)).toBe(`'${c}`);
    for (const c of ['Fine', '', ' =not first', '1=1']) expect(spreadsheetSafe(c)).toBe(c);
    const csv = feedbackCsv([
      { feedback_id: 'f1', urn: '100001', user: 'u', rating: 2, comment: '=cmd|\' /C calc\'!A0', submitted_at: '2025-11-25T10:00:00.000Z', period: '2025-26' },
      { feedback_id: 'f2', urn: '100002', user: 'u', rating: 5, comment: 'Spot on, "really"', submitted_at: '2025-11-26T10:00:00.000Z', period: '2025-26' },
    ]);
    const lines = csv.trimEnd().split(/\r?\n/);
    expect(lines[0]).toBe('submitted_at,period,urn,rating,comment');
    expect(lines[1]).toBe("2025-11-25T10:00:00.000Z,2025-26,100001,2,'=cmd|' /C calc'!A0");
    expect(lines[2]).toBe('2025-11-26T10:00:00.000Z,2025-26,100002,5,"Spot on, ""really"""');
    // no subject ids in an export that leaves the LA's systems
    expect(csv).not.toContain(',u,');
  });
});

describe('CloudFront as the only way in: the origin check comes before anything else', () => {
  const NOW = new Date('2025-11-25T10:00:00.000Z');
  const head: Identity = { sub: 'sub-head', role: 'head', urns: ['100001'], session: 'sess-1' };
  it.each([
    ['no origin header', undefined],
    ['a wrong origin header', false],
  ])('refuses a request with %s (403, audited, the store untouched)', async (_name, viaEdge) => {
    const audit: AuditRecord[] = [];
    const touched: string[] = [];
    const lake = new Proxy({} as ObjectStore, { get: (_t, p) => (...a: unknown[]) => void touched.push(`${String(p)}(${String(a[0])})`) });
    const deps: PortalDeps = { lake, audit: { append: async (r) => void audit.push(r) }, feedback: { append: async () => {} }, now: () => NOW, requireEdge: true };
    const res = await handlePortalRequest({ method: 'GET', path: '/api/profiles/2025-26/100001.pdf', identity: head, viaEdge: viaEdge as boolean | undefined }, deps);
    expect(res.status).toBe(403);
    expect(res.body).not.toMatch(/cloudfront|header|secret/i);
    expect(touched).toEqual([]);
    expect(audit).toEqual([expect.objectContaining({ outcome: 'denied', reason: 'not_via_edge', status: 403, user: 'sub-head', urn: '100001', period: '2025-26' })]);
  });
});

describe('sign-out revokes the session on the server', () => {
  const NOW = new Date('2025-11-25T10:00:00.000Z');
  const head: Identity = { sub: 'sub-head', role: 'head', urns: ['100001'], session: 'sess-1' };
  const other: Identity = { ...head, session: 'sess-2' };

  it('refuses every later request of that session with 401 (audited), other sessions unaffected', async () => {
    const audit: AuditRecord[] = [];
    const lake: ObjectStore = {
      uri: (k) => k,
      get: async (k) => {
        throw new NotFoundError(k);
      },
      getStream: async (k) => {
        throw new NotFoundError(k);
      },
      put: async () => {},
      exists: async () => false,
      list: async () => [],
      deletePrefix: async () => {},
      replacePrefix: async () => {},
      putIfAbsent: async () => true,
    };
    const deps: PortalDeps = { lake, audit: { append: async (r) => void audit.push(r) }, feedback: { append: async () => {} }, now: () => NOW, sessions: memorySessions() };
    expect((await handlePortalRequest({ method: 'GET', path: '/api/me', identity: head }, deps)).status).toBe(200);
    const out = await handlePortalRequest({ method: 'POST', path: '/api/sign-out', identity: head }, deps);
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body!)).toEqual({ signedOut: true, revoked: true });
    const after = await handlePortalRequest({ method: 'GET', path: '/api/profiles/2025-26/100001.pdf', identity: head }, deps);
    expect(after.status).toBe(401);
    expect(JSON.parse(after.body!).message).toMatch(/signed out/i);
    expect((await handlePortalRequest({ method: 'GET', path: '/api/me', identity: other }, deps)).status).toBe(200);
    expect(audit.map((a) => [a.action, a.outcome, a.reason, a.status])).toEqual([
      ['list', 'allowed', null, 200],
      ['sign_out', 'allowed', null, 200],
      ['profile', 'unauthenticated', 'revoked', 401],
      ['list', 'allowed', null, 200],
    ]);
    expect(audit[2]).toMatchObject({ user: 'sub-head', urn: '100001', period: '2025-26' });
  });

  it('keeps revocations in the lake where the runtime has no memory (S3 on AWS), under portal/revoked/', async () => {
    const fx = await makePortalLake();
    try {
      const sessions = lakeSessions(fx.lake);
      expect(await sessions.isRevoked('sess-1')).toBe(false);
      await sessions.revoke('sess-1');
      expect(await sessions.isRevoked('sess-1')).toBe(true);
      expect(await lakeSessions(fx.lake).isRevoked('sess-1')).toBe(true); // another instance sees it
      expect(await sessions.isRevoked('sess-10')).toBe(false);
      expect((await fx.lake.list('portal/revoked/')).map((o) => o.key)).toEqual(['portal/revoked/sess-1']);
      await expect(sessions.revoke('../published/x')).rejects.toThrow(/session id/);
    } finally {
      fx.cleanup();
    }
  });

  it('requires a revocable token: no jti, no identity', () => {
    expect(identityFromClaims({ sub: 'abc', 'cognito:groups': ['urn-100001'] })).toEqual({ failure: 'invalid_claims' });
    expect(identityFromClaims({ sub: 'abc', jti: 'j-1', 'cognito:groups': ['urn-100001'] })).toEqual({ identity: { sub: 'abc', role: 'head', urns: ['100001'], session: 'j-1' } });
    // Cognito: origin_jti names the sign-in (every token refreshed from it), so it is what is revoked.
    expect(identityFromClaims({ sub: 'abc', jti: 'j-2', origin_jti: 'o-1', 'cognito:groups': ['la-analyst'] })).toEqual({ identity: { sub: 'abc', role: 'analyst', urns: [], session: 'o-1' } });
    expect(identityFromClaims({ sub: 'abc', jti: '../x', 'cognito:groups': ['la-analyst'] })).toEqual({ failure: 'invalid_claims' });
  });
});
