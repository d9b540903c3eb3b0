/**
 * Strict routing of portal API paths. Runs before anything touches the store: a path either matches
 * one of the six routes with a period of the form 2025-26 and a 6-digit URN, or it is refused with a
 * reason from a fixed vocabulary. Parameters are matched on the raw (still percent-encoded) path, so
 * `%2e%2e%2f`, `%2F`, double encodings and backslashes can never decode into something that matches;
 * the decoded form is only looked at to name the refusal (path_traversal rather than bad_path).
 */
import { PERIOD_RE, URN_RE, type AuditAction, type AuditReason } from '../../schemas/portal.ts';

export type Route =
  | { ok: true; action: 'list' }
  | { ok: true; action: 'profile'; period: string; urn: string }
  | { ok: true; action: 'report'; period: string }
  | { ok: true; action: 'feedback' }
  | { ok: true; action: 'feedback_read' }
  | { ok: true; action: 'sign_out' };

export interface RouteError {
  ok: false;
  action: AuditAction;
  status: 400 | 404 | 405;
  reason: AuditReason;
  message: string;
  /** Valid parameters read before the error (recorded in the audit). */
  period?: string;
  urn?: string;
  allow?: string;
}

export const MAX_PATH_LENGTH = 256;

const SEGMENT_CHARS = /^[A-Za-z0-9._-]*$/;

function decodeFully(s: string): string {
  let cur = s;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(cur);
    } catch {
      return cur;
    }
    if (next === cur) return cur;
    cur = next;
  }
  return cur;
}

function looksLikeTraversal(raw: string): boolean {
  const d = decodeFully(raw).replace(/\\/g, '/');
  return /(^|\/)\.\.?(\/|$)/.test(d) || d.includes('//') || d.includes('\0');
}

const bad = (action: AuditAction, reason: AuditReason, message: string, extra: Partial<RouteError> = {}): RouteError => ({
  ok: false,
  action,
  status: 400,
  reason,
  message,
  ...extra,
});

/** Route of a request, or why it has none. `path` is the raw request path without the query string. */
export function route(method: string, path: string): Route | RouteError {
  const m = method.toUpperCase();
  if (path.length > MAX_PATH_LENGTH) return bad('other', 'bad_path', 'The request path is too long.');
  if (!path.startsWith('/api/')) return { ok: false, action: 'other', status: 404, reason: 'unknown_route', message: 'No such API route.' };
  const segments = path.slice('/api/'.length).split('/');
  const action: AuditAction =
    segments[0] === 'me'
      ? 'list'
      : segments[0] === 'profiles'
        ? 'profile'
        : segments[0] === 'reports'
          ? 'report'
          : segments[0] === 'feedback'
            ? 'feedback'
            : segments[0] === 'sign-out'
              ? 'sign_out'
              : 'other';
  // Anything but plain characters (percent-encodings, backslashes, empty or dot segments) is refused here.
  if (looksLikeTraversal(path)) return bad(action, 'path_traversal', 'The request path is not allowed (it tries to leave its folder).');
  if (!segments.every((s) => SEGMENT_CHARS.test(s) && s.length > 0 && s !== '.' && s !== '..')) {
    return bad(action, 'bad_path', 'The request path contains characters that are not allowed.');
  }
  // The refusal keeps the parameters the path named, so the audit record says which document was asked for.
  const methodNotAllowed = (allow: string, named: { period?: string; urn?: string } = {}): RouteError => ({
    ok: false,
    action,
    status: 405,
    reason: 'bad_method',
    message: `Use ${allow} for this route.`,
    allow,
    ...named,
  });

  if (action === 'list' && segments.length === 1) return m === 'GET' ? { ok: true, action } : methodNotAllowed('GET');
  // GET reads every head's feedback (analysts only), POST sends one.
  if (action === 'feedback' && segments.length === 1) return m === 'POST' ? { ok: true, action } : m === 'GET' ? { ok: true, action: 'feedback_read' } : methodNotAllowed('GET, POST');
  if (action === 'sign_out' && segments.length === 1) return m === 'POST' ? { ok: true, action } : methodNotAllowed('POST');
  if ((action === 'profile' || action === 'report') && segments.length === 3) {
    const [, period, file] = segments as [string, string, string];
    if (!PERIOD_RE.test(period)) return bad(action, 'bad_period', 'The period must look like 2025-26.');
    if (action === 'profile') {
      const urn = file.endsWith('.pdf') ? file.slice(0, -4) : '';
      if (!URN_RE.test(urn)) return bad(action, 'bad_urn', 'The file must be a 6-digit school URN followed by .pdf, e.g. 123456.pdf.', { period });
      return m === 'GET' ? { ok: true, action, period, urn } : methodNotAllowed('GET', { period, urn });
    }
    if (file !== 'fair-access.pdf') return { ok: false, action, status: 404, reason: 'unknown_route', message: 'The only report is fair-access.pdf.', period };
    return m === 'GET' ? { ok: true, action, period } : methodNotAllowed('GET', { period });
  }
  return { ok: false, action, status: 404, reason: 'unknown_route', message: 'No such API route.' };
}

/** Lake keys of the documents the API serves. */
export const profileKey = (period: string, urn: string) => `published/profiles/${period}/${urn}.pdf`;
export const reportKey = (period: string) => `published/reports/${period}/fair-access.pdf`;
