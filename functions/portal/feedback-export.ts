/**
 * Heads' feedback as a CSV an analyst can open in a spreadsheet. Comments are free text from outside
 * the council, so a comment that starts with = + - @ (or a tab or carriage return, which some
 * spreadsheets skip before reading a formula) is prefixed with an apostrophe: the cell shows the
 * text instead of running it as a formula (OWASP "CSV injection"). Subject ids are left out: the
 * export is for reading what heads said, and the audit table links ids to people when needed.
 */
import { stringify } from 'csv-stringify/sync';
import type { FeedbackRecord } from '../../schemas/portal.ts';

const FORMULA_START = /^[=+\-@\t\r]/;

/** The text as a spreadsheet shows it, never as a formula. */
export function spreadsheetSafe(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export const FEEDBACK_EXPORT_COLUMNS = ['submitted_at', 'period', 'urn', 'rating', 'comment'] as const;

/** CSV (RFC 4180, header row) of feedback records, oldest first, every text cell spreadsheet-safe. */
export function feedbackCsv(rows: readonly FeedbackRecord[]): string {
  const sorted = [...rows].sort((a, b) => (a.submitted_at < b.submitted_at ? -1 : a.submitted_at > b.submitted_at ? 1 : 0));
  return stringify(
    sorted.map((r) => [r.submitted_at, r.period, r.urn, String(r.rating), spreadsheetSafe(r.comment)]),
    { header: true, columns: [...FEEDBACK_EXPORT_COLUMNS] },
  );
}
