/**
 * Heads' portal datasets (published zone, Hive-partitioned by period, one small Parquet file per
 * request): who asked for which school's profile and what happened (`portal_audit`), and what heads
 * said about their profiles (`portal_feedback`). Written by functions/portal/datasets.ts, read by
 * analysts like every other published table:
 *   read_parquet('<out>/published/portal_audit/**\/*.parquet', hive_partitioning = true)
 *
 * These are not in PUBLISHED_TABLES on purpose: the pipeline's publish step replaces the partitions
 * of those tables on every run, and the portal's history must never be replaced.
 */
import { z } from 'zod';
import { defineTable } from './columns.ts';

export const PERIOD_RE = /^\d{4}-\d{2}$/;
export const URN_RE = /^\d{6}$/;

/**
 * Partition value of audit records that name no (valid) period: GET /api/me, malformed paths and
 * refused requests whose path could not be read. Never a value taken from the request.
 */
export const NO_PERIOD = 'none';

export const AUDIT_OUTCOMES = ['allowed', 'denied', 'not_found', 'invalid', 'unauthenticated'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const AUDIT_ACTIONS = ['list', 'profile', 'report', 'feedback', 'feedback_read', 'sign_out', 'other'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const PORTAL_ROLES = ['head', 'analyst'] as const;
export type PortalRole = (typeof PORTAL_ROLES)[number];

/**
 * Why a request was refused, from a fixed vocabulary (never text from the request).
 * Edge: not_via_edge (the request did not come through CloudFront).
 * Authentication: missing_token, malformed_token, bad_signature, expired, invalid_claims, no_role,
 * revoked (the session was signed out).
 * Request: bad_path, path_traversal, bad_period, bad_urn, unknown_route, bad_method, bad_body,
 * body_too_large, bad_content_type. Authorisation: not_your_school, analysts_only, heads_only.
 * Other: no_such_file, audit_failed.
 */
export const AUDIT_REASONS = [
  'not_via_edge',
  'missing_token',
  'malformed_token',
  'bad_signature',
  'expired',
  'invalid_claims',
  'no_role',
  'revoked',
  'bad_path',
  'path_traversal',
  'bad_period',
  'bad_urn',
  'unknown_route',
  'bad_method',
  'bad_body',
  'body_too_large',
  'bad_content_type',
  'not_your_school',
  'analysts_only',
  'heads_only',
  'no_such_file',
] as const;
export type AuditReason = (typeof AUDIT_REASONS)[number];

const period = z.string().describe(`academic year, e.g. 2025-26; '${NO_PERIOD}' when the request named no valid period`);

export const portalAudit = defineTable({
  name: 'portal_audit',
  zone: 'published',
  description: 'Every request to the heads’ portal API, allowed or refused: who, which school and period, when, and the outcome',
  schema: z.object({
    occurred_at: z.string().describe('when the request arrived, ISO 8601 UTC with milliseconds'),
    request_id: z.string().describe('API Gateway (or local server) request id, to match the access log'),
    user: z.string().nullable().describe('stable subject id of the caller (Cognito sub), never an e-mail; null when unauthenticated'),
    role: z.enum(PORTAL_ROLES).nullable().describe('head | analyst; null when unauthenticated or in no portal group'),
    action: z.enum(AUDIT_ACTIONS).describe('list (GET /api/me) | profile | report | feedback (POST /api/feedback) | feedback_read (GET /api/feedback, analysts) | sign_out | other'),
    urn: z.string().nullable().describe('school URN asked for, when the request named a valid one'),
    outcome: z.enum(AUDIT_OUTCOMES).describe('allowed | denied | not_found | invalid | unauthenticated'),
    status: z.int().describe('HTTP status returned'),
    reason: z.enum(AUDIT_REASONS).nullable().describe('why it was refused (fixed vocabulary); null when allowed'),
    period,
  }),
  partitions: ['period'],
});
export type AuditRecord = z.infer<typeof portalAudit.schema>;

export const MAX_COMMENT_CHARS = 2000;

/**
 * Characters a comment may not contain: control characters other than tab, line feed and carriage
 * return (NUL, backspace, ESC and so terminal escape sequences, DEL, the C1 controls) and the
 * Unicode bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9), which can make text read
 * differently from what it holds ("Trojan Source"). Everything else, emoji joiners included, is text.
 */
export const FORBIDDEN_TEXT_CHARS = /(?![\t\n\r])[\p{Cc}\p{Bidi_Control}]/u;

/** Free text from a head: well-formed UTF-16, no control or text-direction characters, at most MAX_COMMENT_CHARS. */
export const commentText = z
  .string()
  .max(MAX_COMMENT_CHARS, `comment must be at most ${MAX_COMMENT_CHARS} characters`)
  .refine((s) => !/\p{Cs}/u.test(s), { message: 'comment is not valid text (it holds half of a character pair)' })
  .refine((s) => !FORBIDDEN_TEXT_CHARS.test(s), {
    message: 'comment must not contain control or text-direction characters (often pasted invisibly): please retype it',
  });

export const portalFeedback = defineTable({
  name: 'portal_feedback',
  zone: 'published',
  description: 'Heads’ ratings of how well a profile reflects their school, with an optional comment',
  schema: z.object({
    feedback_id: z.string().describe('unique id of the submission'),
    urn: z.string().regex(URN_RE).describe('school URN'),
    user: z.string().describe('stable subject id of the head (Cognito sub), never an e-mail'),
    rating: z.int().min(1).max(5).describe('1 = does not reflect the school at all … 5 = reflects it very well'),
    comment: commentText.describe(`free text, at most ${MAX_COMMENT_CHARS} characters, no control or text-direction characters; may be empty`),
    submitted_at: z.string().describe('ISO 8601 UTC with milliseconds'),
    period: z.string().regex(PERIOD_RE).describe('academic year of the profile, e.g. 2025-26'),
  }),
  partitions: ['period'],
});
export type FeedbackRecord = z.infer<typeof portalFeedback.schema>;

export const PORTAL_TABLES = [portalAudit, portalFeedback];
