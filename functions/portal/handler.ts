/**
 * The heads' portal API as one pure request handler, shared by the local server (functions/portal/
 * server.ts) and the Lambda (functions/handlers/portal-api.ts). Authentication happens before it
 * (jose locally, the API Gateway JWT authorizer on AWS); this decides what the identity may see.
 *
 *   GET  /api/me                               the caller's schools with the periods available, and
 *                                              (analysts) the LA's fair-access reports
 *   GET  /api/profiles/<period>/<urn>.pdf      a head: only URNs they hold; analysts: every school
 *   GET  /api/reports/<period>/fair-access.pdf analysts only
 *   POST /api/feedback {urn, period, rating, comment}   heads, for their own schools
 *   GET  /api/feedback                         analysts: every head's feedback (JSON, or a
 *                                              spreadsheet-safe CSV when the client accepts text/csv)
 *   POST /api/sign-out                         revokes the caller's session (sessions.ts)
 *
 * Order of checks: came through CloudFront (403, AWS only: the origin header the Lambda shell
 * verified) -> authenticated (401) -> session not signed out (401) -> well-formed route and parameters (400/404/405, before any
 * store access) -> authorised (403: one body for every refusal, so it says nothing about whether the
 * file exists) -> exists (404, only to callers allowed to know) -> served. With a signer (AWS) a PDF
 * is a presigned S3 URL, as JSON when the client accepts JSON, else a 302; without one (local) the
 * bytes are streamed. Every request, allowed or refused, appends one audit record before the response
 * is returned; if that write fails the request fails (503) rather than go unrecorded. A browser
 * navigating to an API address (a link to a PDF pasted into the address bar) gets the same status
 * as an HTML page in the portal's style instead of JSON (pages.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { MAX_COMMENT_CHARS, NO_PERIOD, commentText, PERIOD_RE, URN_RE, type AuditAction, type AuditOutcome, type AuditReason, type AuditRecord, type FeedbackRecord } from '../../schemas/portal.ts';
import { logger } from '../commons/logger.ts';
import { NotFoundError, type ObjectStore } from '../ports/object-store.ts';
import { listAvailable, schoolFacts } from './catalog.ts';
import type { AuditSink, FeedbackSink } from './datasets.ts';
import { documentFacts, type DocumentFacts } from './document-facts.ts';
import { feedbackCsv } from './feedback-export.ts';
import { errorHtml, errorPageFor, isNavigation } from './pages.ts';
import type { PortalSite } from './site.ts';
import type { AuthFailure, Identity } from './identity.ts';
import { SECURITY_HEADERS } from './security-headers.ts';
import type { SessionRevocations } from './sessions.ts';
import { profileKey, reportKey, route, type Route, type RouteError } from './routes.ts';

export interface PortalRequest {
  method: string;
  /** Raw request path (still percent-encoded), without the query string. */
  path: string;
  /** Lower-case header names. */
  headers?: Record<string, string | undefined>;
  body?: string | null;
  /** Verified caller, or null (then `authFailure` says why). */
  identity: Identity | null;
  authFailure?: AuthFailure;
  /** Subject of a verified token that grants no role (authFailure 'no_role'), for the audit. */
  authSub?: string;
  requestId?: string;
  /**
   * Whether the request carried CloudFront's origin secret (checked by the Lambda shell); only
   * looked at when `PortalDeps.requireEdge` is set.
   */
  viaEdge?: boolean;
}

export interface PortalResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text (every response but a streamed PDF). */
  body?: string;
  /** PDF bytes (local runtime only). */
  stream?: Readable;
}

/** Presigned GET URL of a lake key; `filename` is what the browser saves it as. */
export type Signer = (key: string, filename: string) => Promise<string>;

export interface PortalDeps {
  lake: ObjectStore;
  /** AWS: presign instead of streaming. Its URLs must expire within PRESIGN_MAX_SECONDS. */
  signer?: Signer;
  /** Lifetime the signer gives its URLs (reported to the client). */
  signedUrlSeconds?: number;
  audit: AuditSink;
  feedback: FeedbackSink;
  now: () => Date;
  /** Refuse requests that did not come through CloudFront (AWS). */
  requireEdge?: boolean;
  /** Signed-out sessions; without it sign-out cannot revoke (and says so). */
  sessions?: SessionRevocations;
  /** The deployer's settings, for the HTML error pages a navigating browser gets. */
  site?: PortalSite;
}

/** Upper bound on presigned URL lifetime (seconds). */
export const PRESIGN_MAX_SECONDS = 300;
/** Largest request body accepted (feedback JSON). */
export const MAX_BODY_BYTES = 16 * 1024;

const FORBIDDEN_MESSAGE = 'You do not have access to this document.';

const feedbackInput = z
  .object({
    urn: z.string().regex(URN_RE, 'urn must be a 6-digit school URN'),
    period: z.string().regex(PERIOD_RE, 'period must look like 2025-26'),
    rating: z.int('rating must be a whole number from 1 to 5').min(1, 'rating must be from 1 to 5').max(5, 'rating must be from 1 to 5'),
    comment: commentText.default(''),
  })
  .strict();

// Security headers on every API response too, whichever runtime sends it (CloudFront sets the same).
const baseHeaders = {
  ...SECURITY_HEADERS,
  'cache-control': 'no-store',
};

function json(status: number, body: unknown, extra: Record<string, string> = {}): PortalResponse {
  return { status, headers: { ...baseHeaders, 'content-type': 'application/json; charset=utf-8', ...extra }, body: JSON.stringify(body) };
}

/**
 * Whether a document exists, by listing its exact key. On S3 this needs only s3:ListBucket under the
 * document prefixes (which the portal role has, with an s3:prefix condition), whereas HeadObject on a
 * missing key answers 403 rather than 404 unless the caller may list the whole bucket.
 */
async function fileExists(lake: ObjectStore, key: string): Promise<boolean> {
  return (await lake.list(key)).some((o) => o.key === key);
}

const errorBody = (error: string, message: string, extra: Record<string, unknown> = {}) => ({ error, message, ...extra });

interface AuditFacts {
  action: AuditAction;
  outcome: AuditOutcome;
  reason?: AuditReason;
  urn?: string;
  period?: string;
}

export async function handlePortalRequest(req: PortalRequest, deps: PortalDeps): Promise<PortalResponse> {
  const at = deps.now().toISOString();
  const requestId = req.requestId ?? randomUUID();
  const r = route(req.method, req.path);
  let facts: AuditFacts = { action: r.action, outcome: 'invalid', period: 'period' in r ? r.period : undefined, urn: 'urn' in r ? r.urn : undefined };
  let res: PortalResponse;
  try {
    ({ res, facts } = await decide(req, r, deps));
  } catch (err) {
    logger.error('portal request failed', { requestId, action: facts.action, error: (err as Error).name });
    facts = { ...facts, outcome: 'invalid' };
    res = json(500, errorBody('internal_error', 'Something went wrong. Please try again later.'));
  }
  const identity = req.identity;
  const record: AuditRecord = {
    occurred_at: at,
    request_id: requestId,
    user: identity?.sub ?? req.authSub ?? null,
    role: identity?.role ?? null,
    action: facts.action,
    urn: facts.urn ?? null,
    outcome: facts.outcome,
    status: res.status,
    reason: facts.reason ?? null,
    period: facts.period ?? NO_PERIOD,
  };
  try {
    await deps.audit.append(record);
  } catch (err) {
    res.stream?.destroy();
    logger.error('audit record could not be written; refusing the request', { requestId, action: facts.action, outcome: facts.outcome, error: (err as Error).name });
    return asPage(req, deps, json(503, errorBody('audit_unavailable', 'The service cannot record this request right now, so it cannot answer it. Please try again later.')));
  }
  return asPage(req, deps, res);
}

/** A refusal to a navigating browser as an HTML page (same status and headers); anything else as is. */
function asPage(req: PortalRequest, deps: PortalDeps, res: PortalResponse): PortalResponse {
  if (!deps.site || res.status < 400 || res.body === undefined || !isNavigation(req.headers ?? {})) return res;
  let message = '';
  try {
    message = String((JSON.parse(res.body) as { message?: unknown }).message ?? '');
  } catch {
    /* keep the default wording */
  }
  const page = errorPageFor(res.status, message, req.path);
  return { status: res.status, headers: { ...res.headers, 'content-type': 'text/html; charset=utf-8' }, body: errorHtml(deps.site, page) };
}

async function decide(req: PortalRequest, r: Route | RouteError, deps: PortalDeps): Promise<{ res: PortalResponse; facts: AuditFacts }> {
  const action = r.action;
  const named = { urn: 'urn' in r ? r.urn : undefined, period: 'period' in r ? r.period : undefined };
  // 0. through CloudFront, before anything else (WAF, geo restriction and its logs are there)
  if (deps.requireEdge && req.viaEdge !== true) {
    return { res: json(403, errorBody('forbidden', 'This address does not serve the portal.')), facts: { action, outcome: 'denied', reason: 'not_via_edge', ...named } };
  }
  // 1. authenticated
  if (!req.identity) {
    const facts: AuditFacts = {
      action,
      outcome: req.authFailure === 'no_role' ? 'denied' : 'unauthenticated',
      reason: req.authFailure ?? 'missing_token',
      urn: 'urn' in r ? r.urn : undefined,
      period: 'period' in r ? r.period : undefined,
    };
    if (req.authFailure === 'no_role') {
      return { res: json(403, errorBody('forbidden', 'Your account has no access to the portal yet. Ask the local authority to add you to your school.')), facts };
    }
    const message = req.authFailure === 'expired' ? 'Your sign-in has expired. Please sign in again.' : 'Please sign in.';
    return { res: json(401, errorBody('unauthenticated', message), { 'www-authenticate': 'Bearer' }), facts };
  }
  const who = req.identity;
  // 1b. not signed out
  if (deps.sessions && who.session && (await deps.sessions.isRevoked(who.session))) {
    return {
      res: json(401, errorBody('unauthenticated', 'You signed out of this session. Please sign in again.'), { 'www-authenticate': 'Bearer' }),
      facts: { action, outcome: 'unauthenticated', reason: 'revoked', ...named },
    };
  }
  // 2. well-formed
  if (!r.ok) {
    const facts: AuditFacts = { action, outcome: 'invalid', reason: r.reason, period: r.period, urn: r.urn };
    const error = r.status === 404 ? 'not_found' : r.status === 405 ? 'method_not_allowed' : 'bad_request';
    return { res: json(r.status, errorBody(error, r.message), r.allow ? { allow: r.allow } : {}), facts };
  }
  switch (r.action) {
    case 'list':
      return { res: await listForCaller(who, deps), facts: { action: 'list', outcome: 'allowed' } };
    case 'profile': {
      const facts = { action: r.action, urn: r.urn, period: r.period };
      // 3. authorised: same answer whether or not the file exists
      if (who.role !== 'analyst' && !who.urns.includes(r.urn)) {
        return { res: json(403, errorBody('forbidden', FORBIDDEN_MESSAGE)), facts: { ...facts, outcome: 'denied', reason: 'not_your_school' } };
      }
      return serveFile(req, deps, profileKey(r.period, r.urn), `catchment-profile-${r.urn}-${r.period}.pdf`, facts);
    }
    case 'report': {
      const facts = { action: r.action, period: r.period };
      if (who.role !== 'analyst') {
        return { res: json(403, errorBody('forbidden', FORBIDDEN_MESSAGE)), facts: { ...facts, outcome: 'denied', reason: 'analysts_only' } };
      }
      return serveFile(req, deps, reportKey(r.period), `catchment-fair-access-${r.period}.pdf`, facts);
    }
    case 'feedback':
      return submitFeedback(req, who, deps);
    case 'feedback_read': {
      if (who.role !== 'analyst') {
        return { res: json(403, errorBody('forbidden', 'Only local authority analysts can read heads’ feedback.')), facts: { action, outcome: 'denied', reason: 'analysts_only' } };
      }
      return { res: await feedbackForAnalyst(req, deps), facts: { action, outcome: 'allowed' } };
    }
    case 'sign_out': {
      const revoked = Boolean(deps.sessions && who.session);
      if (revoked) await deps.sessions!.revoke(who.session!);
      return { res: json(200, { signedOut: true, revoked }), facts: { action: 'sign_out', outcome: 'allowed' } };
    }
  }
}

const matchRate = (classified: number | null, pupils: number | null) => (classified !== null && pupils ? classified / pupils : null);

function docLine(facts: DocumentFacts | undefined, name: string) {
  const f = facts?.files.get(name);
  return { publishedAt: facts?.publishedAt ?? null, classification: facts?.classification ?? null, bytes: f?.bytes ?? null, pages: f?.pages || null };
}

/** Latest feedback per `<urn> <period>` (of `user` when given), as {rating, at}. */
function latestFeedback(rows: readonly FeedbackRecord[], user?: string): Map<string, { rating: number; at: string }> {
  const out = new Map<string, { rating: number; at: string }>();
  for (const r of rows) {
    if (user !== undefined && r.user !== user) continue;
    const k = `${r.urn} ${r.period}`;
    const prev = out.get(k);
    if (!prev || prev.at < r.submitted_at) out.set(k, { rating: r.rating, at: r.submitted_at });
  }
  return out;
}

async function listForCaller(who: Identity, deps: PortalDeps): Promise<PortalResponse> {
  const available = await listAvailable(deps.lake);
  const analyst = who.role === 'analyst';
  const urns = analyst ? [...available.profiles.keys()].sort() : who.urns;
  const periods = [...new Set(urns.flatMap((u) => available.profiles.get(u) ?? []))];
  const [context, feedbackRows, ...periodFacts] = await Promise.all([
    schoolFacts(deps.lake, periods, urns),
    deps.feedback.list ? deps.feedback.list().catch(() => []) : Promise.resolve([] as FeedbackRecord[]),
    ...periods.map((p) => documentFacts(deps.lake, 'profiles', p)),
  ]);
  const factsBy = new Map(periods.map((p, i) => [p, periodFacts[i]!]));
  // Heads see their own ratings; analysts the latest rating of each school by anyone.
  const mine = latestFeedback(feedbackRows, analyst ? undefined : who.sub);
  const schools = urns.map((urn) => {
    const c = context.get(urn);
    const profiles = (available.profiles.get(urn) ?? []).map((period) => ({
      period,
      href: `/api/profiles/${period}/${urn}.pdf`,
      ...docLine(factsBy.get(period), urn),
      feedback: mine.get(`${urn} ${period}`) ?? null,
    }));
    const last = profiles.map((p) => p.feedback).filter((f) => f !== null).sort((a, b) => (a.at < b.at ? 1 : -1))[0] ?? null;
    return {
      urn,
      name: c?.name ?? null,
      phase: c?.phase ?? null,
      cluster: c?.cluster ?? null,
      pupils: c?.pupils ?? null,
      matchRate: matchRate(c?.classified ?? null, c?.pupils ?? null),
      lastFeedback: last,
      profiles,
    };
  });
  const reports = analyst
    ? await Promise.all(
        available.reports.map(async (period) => ({ period, href: `/api/reports/${period}/fair-access.pdf`, ...docLine(await documentFacts(deps.lake, 'reports', period), 'fair-access') })),
      )
    : [];
  return json(200, {
    user: { sub: who.sub, role: who.role, urns: who.urns },
    canGiveFeedback: who.role === 'head',
    canReadFeedback: analyst,
    maxCommentChars: MAX_COMMENT_CHARS,
    schools,
    reports,
  });
}

/** Every head's feedback, newest first, with school names (comments are text: the page never renders them as HTML). */
async function feedbackForAnalyst(req: PortalRequest, deps: PortalDeps): Promise<PortalResponse> {
  const rows = deps.feedback.list ? await deps.feedback.list() : [];
  if ((req.headers?.accept ?? '').includes('text/csv')) {
    return {
      status: 200,
      headers: { ...baseHeaders, 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="catchment-feedback-${deps.now().toISOString().slice(0, 10)}.csv"` },
      body: feedbackCsv(rows),
    };
  }
  const periods = [...new Set(rows.map((r) => r.period))];
  const names = await schoolFacts(deps.lake, periods, new Set(rows.map((r) => r.urn)));
  const sorted = [...rows].sort((a, b) => (a.submitted_at < b.submitted_at ? 1 : a.submitted_at > b.submitted_at ? -1 : 0));
  return json(200, {
    feedback: sorted.map((r) => ({ submittedAt: r.submitted_at, period: r.period, urn: r.urn, school: names.get(r.urn)?.name ?? null, rating: r.rating, comment: r.comment })),
  });
}

async function serveFile(
  req: PortalRequest,
  deps: PortalDeps,
  key: string,
  filename: string,
  facts: Omit<AuditFacts, 'outcome'>,
): Promise<{ res: PortalResponse; facts: AuditFacts }> {
  const missing = () => ({
    res: json(404, errorBody('not_found', 'This document has not been published.')),
    facts: { ...facts, outcome: 'not_found' as const, reason: 'no_such_file' as const },
  });
  if (!(await fileExists(deps.lake, key))) return missing();
  const allowed = { ...facts, outcome: 'allowed' as const };
  if (deps.signer) {
    const url = await deps.signer(key, filename);
    const wantsJson = (req.headers?.accept ?? '').includes('application/json');
    if (wantsJson) return { res: json(200, { url, expiresInSeconds: deps.signedUrlSeconds ?? PRESIGN_MAX_SECONDS, filename }), facts: allowed };
    return { res: { status: 302, headers: { ...baseHeaders, location: url } }, facts: allowed };
  }
  let stream: Readable;
  try {
    stream = await deps.lake.getStream(key);
  } catch (err) {
    if (err instanceof NotFoundError) return missing();
    throw err;
  }
  return {
    res: {
      status: 200,
      headers: { ...baseHeaders, 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="${filename}"` },
      stream,
    },
    facts: allowed,
  };
}

async function submitFeedback(req: PortalRequest, who: Identity, deps: PortalDeps): Promise<{ res: PortalResponse; facts: AuditFacts }> {
  const base = { action: 'feedback' as const };
  const invalid = (status: number, reason: AuditReason, message: string, extra: Record<string, unknown> = {}, known: Partial<AuditFacts> = {}) => ({
    res: json(status, errorBody(status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request', message, extra)),
    facts: { ...base, ...known, outcome: 'invalid' as const, reason },
  });
  const body = req.body ?? '';
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
    return invalid(413, 'body_too_large', `The request body is larger than ${MAX_BODY_BYTES / 1024} KiB. A comment can be at most ${MAX_COMMENT_CHARS} characters.`);
  }
  const contentType = (req.headers?.['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json') return invalid(415, 'bad_content_type', 'Send feedback as JSON (Content-Type: application/json).');
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return invalid(400, 'bad_body', 'The request body is not valid JSON.');
  }
  const parsed = feedbackInput.safeParse(raw);
  if (!parsed.success) {
    const rawObj = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const known = {
      urn: typeof rawObj.urn === 'string' && URN_RE.test(rawObj.urn) ? rawObj.urn : undefined,
      period: typeof rawObj.period === 'string' && PERIOD_RE.test(rawObj.period) ? rawObj.period : undefined,
    };
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
    const tooLong = parsed.error.issues.some((i) => i.path[0] === 'comment' && i.code === 'too_big');
    return invalid(400, 'bad_body', tooLong ? `The comment is too long: at most ${MAX_COMMENT_CHARS} characters.` : issues.map((i) => i.message).join('; '), { issues }, known);
  }
  const f = parsed.data;
  const facts = { ...base, urn: f.urn, period: f.period };
  if (who.role !== 'head') {
    return { res: json(403, errorBody('forbidden', 'Only head teachers can give feedback on a profile.')), facts: { ...facts, outcome: 'denied', reason: 'heads_only' } };
  }
  if (!who.urns.includes(f.urn)) {
    return { res: json(403, errorBody('forbidden', FORBIDDEN_MESSAGE)), facts: { ...facts, outcome: 'denied', reason: 'not_your_school' } };
  }
  if (!(await fileExists(deps.lake, profileKey(f.period, f.urn)))) {
    return { res: json(404, errorBody('not_found', 'There is no published profile for this school and period.')), facts: { ...facts, outcome: 'not_found', reason: 'no_such_file' } };
  }
  const submittedAt = deps.now().toISOString();
  const feedbackId = randomUUID();
  await deps.feedback.append({ feedback_id: feedbackId, urn: f.urn, user: who.sub, rating: f.rating, comment: f.comment.trim(), submitted_at: submittedAt, period: f.period });
  return { res: json(201, { id: feedbackId, urn: f.urn, period: f.period, submittedAt }), facts: { ...facts, outcome: 'allowed' } };
}
