/**
 * The API side of issue 17: analysts read heads' feedback (JSON, or CSV safe for spreadsheets) and
 * heads cannot; a head's "you rated this" is their own rating only; a navigating browser gets an
 * HTML page in the portal's style for every refusal (and the page's own fetches still get JSON);
 * the contact, accessibility and privacy pages carry the deployer's text, escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord, FeedbackRecord } from '../../schemas/portal.ts';
import { handlePortalRequest, type PortalDeps, type PortalRequest } from '../../functions/portal/handler.ts';
import type { Identity } from '../../functions/portal/identity.ts';
import { errorHtml, errorPageFor, infoPageHtml } from '../../functions/portal/pages.ts';
import { siteOf } from '../../functions/portal/site.ts';
import { LATEST, SCHOOLS, makePortalLake, type PortalFixture } from './fixture.ts';

const A = SCHOOLS.A.urn;
const headA: Identity = { sub: 'sub-head-a', role: 'head', urns: [A] };
const otherHeadA: Identity = { sub: 'sub-head-a2', role: 'head', urns: [A] };
const analyst: Identity = { sub: 'sub-analyst', role: 'analyst', urns: [] };
const site = siteOf({ councilName: 'Kentish Vale <County> Council', contact: { email: 'profiles@kv.example' }, privacy: 'First <b>paragraph</b>.\n\nSecond.' });

let fx: PortalFixture;
beforeAll(async () => {
  fx = await makePortalLake();
});
afterAll(() => fx?.cleanup());

function deps(rows: FeedbackRecord[]): { deps: PortalDeps; audit: AuditRecord[] } {
  const audit: AuditRecord[] = [];
  return {
    audit,
    deps: {
      lake: fx.lake,
      audit: { append: async (r) => void audit.push(r) },
      feedback: { append: async (r) => void rows.push(r), list: async () => rows },
      now: () => new Date('2025-11-25T10:00:00.000Z'),
      site,
    },
  };
}

const fb = (over: Partial<FeedbackRecord>): FeedbackRecord => ({
  feedback_id: 'x',
  urn: A,
  user: 'sub-head-a',
  rating: 3,
  comment: '',
  submitted_at: '2025-11-20T09:00:00.000Z',
  period: LATEST,
  ...over,
});

describe('feedback for analysts', () => {
  const rows = [
    fb({ feedback_id: '1', rating: 4, comment: 'Good', submitted_at: '2025-11-20T09:00:00.000Z' }),
    fb({ feedback_id: '2', user: 'sub-head-a2', rating: 2, comment: '=1+2', submitted_at: '2025-11-21T09:00:00.000Z' }),
  ];

  it('lists every head’s feedback newest first with the school’s name; heads are refused', async () => {
    const { deps: d, audit } = deps([...rows]);
    const res = await handlePortalRequest({ method: 'GET', path: '/api/feedback', identity: analyst, headers: { accept: 'application/json' } }, d);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body!).feedback).toEqual([
      { submittedAt: '2025-11-21T09:00:00.000Z', period: LATEST, urn: A, school: SCHOOLS.A.name, rating: 2, comment: '=1+2' },
      { submittedAt: '2025-11-20T09:00:00.000Z', period: LATEST, urn: A, school: SCHOOLS.A.name, rating: 4, comment: 'Good' },
    ]);
    const refused = await handlePortalRequest({ method: 'GET', path: '/api/feedback', identity: headA }, d);
    expect(refused.status).toBe(403);
    expect(audit.map((a) => [a.action, a.outcome, a.reason])).toEqual([
      ['feedback_read', 'allowed', null],
      ['feedback_read', 'denied', 'analysts_only'],
    ]);
  });

  it('exports CSV in which no comment can run as a formula', async () => {
    const { deps: d } = deps([...rows]);
    const res = await handlePortalRequest({ method: 'GET', path: '/api/feedback', identity: analyst, headers: { accept: 'text/csv' } }, d);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="catchment-feedback-2025-11-25.csv"');
    expect(res.body!.trim().split('\n')).toEqual(['submitted_at,period,urn,rating,comment', `2025-11-20T09:00:00.000Z,${LATEST},${A},4,Good`, `2025-11-21T09:00:00.000Z,${LATEST},${A},2,'=1+2`]);
  });

  it('shows a head their own latest rating, never another head’s; analysts the school’s latest', async () => {
    const { deps: d } = deps([...rows, fb({ feedback_id: '3', rating: 5, submitted_at: '2025-11-22T09:00:00.000Z' })]);
    const mine = JSON.parse((await handlePortalRequest({ method: 'GET', path: '/api/me', identity: headA }, d)).body!);
    expect(mine.schools[0].profiles[0].feedback).toEqual({ rating: 5, at: '2025-11-22T09:00:00.000Z' });
    const theirs = JSON.parse((await handlePortalRequest({ method: 'GET', path: '/api/me', identity: otherHeadA }, d)).body!);
    expect(theirs.schools[0].profiles[0].feedback).toEqual({ rating: 2, at: '2025-11-21T09:00:00.000Z' });
    const all = JSON.parse((await handlePortalRequest({ method: 'GET', path: '/api/me', identity: analyst }, d)).body!);
    expect(all.schools.find((s: { urn: string }) => s.urn === A).lastFeedback).toEqual({ rating: 5, at: '2025-11-22T09:00:00.000Z' });
    expect(all.schools.find((s: { urn: string }) => s.urn === SCHOOLS.B.urn).lastFeedback).toBeNull();
  });
});

describe('pages for a navigating browser', () => {
  const nav = { 'sec-fetch-mode': 'navigate', accept: 'text/html,application/xhtml+xml' };
  it.each([
    ['401 without a token', { method: 'GET', path: `/api/profiles/${LATEST}/${A}.pdf`, identity: null }, 401, 'Sign in to continue'],
    ['403 another school', { method: 'GET', path: `/api/profiles/${LATEST}/${SCHOOLS.B.urn}.pdf`, identity: headA }, 403, 'You do not have access to this'],
    ['403 not through CloudFront', { method: 'GET', path: '/api/me', identity: headA, viaEdge: false }, 403, 'You do not have access to this'],
    ['404 unpublished', { method: 'GET', path: `/api/profiles/2019-20/${A}.pdf`, identity: headA }, 404, 'Page not found'],
    ['404 unknown route', { method: 'GET', path: '/api/nothing', identity: headA }, 404, 'Page not found'],
    ['400 bad URN', { method: 'GET', path: `/api/profiles/${LATEST}/12.pdf`, identity: headA }, 400, 'This address cannot be used'],
  ] as [string, PortalRequest, number, string][])('%s', async (_n, req, status, title) => {
    const { deps: d } = deps([]);
    const withEdge = { ...d, requireEdge: 'viaEdge' in req };
    const res = await handlePortalRequest({ ...req, headers: nav }, withEdge);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain(`<h1>${title}</h1>`);
    expect(res.body).toContain('Kentish Vale &lt;County&gt; Council');
    // the page's own fetch of the same thing still gets JSON
    const api = await handlePortalRequest({ ...req, headers: { accept: 'application/json', 'sec-fetch-mode': 'cors' } }, withEdge);
    expect(api.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('offers the document a 401 link named after sign-in, and a 5xx a retry', () => {
    const p401 = errorPageFor(401, '', `/api/profiles/${LATEST}/${A}.pdf`);
    expect(p401.actions[0]).toEqual(['Sign in', `/?download=${encodeURIComponent(`/api/profiles/${LATEST}/${A}.pdf`)}`]);
    const p503 = errorHtml(site, errorPageFor(503, 'The service cannot record this request right now.', '/api/me'));
    expect(p503).toContain('Sorry, there is a problem with the service');
    expect(p503).toContain('>Try again</a>');
  });

  it('renders the deployer’s page texts as text', () => {
    const privacy = infoPageHtml(site, 'privacy');
    expect(privacy).toContain('<p>First &lt;b&gt;paragraph&lt;/b&gt;.</p>\n<p>Second.</p>');
    expect(infoPageHtml(site, 'contact')).toContain('<a href="mailto:profiles@kv.example">profiles@kv.example</a>');
    expect(infoPageHtml(site, 'accessibility')).toContain('run by Kentish Vale &lt;County&gt; Council');
  });
});
