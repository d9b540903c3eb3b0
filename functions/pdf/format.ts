/**
 * Number formatting for the PDFs, and the last line of disclosure control: every count printed goes
 * through `countText`, which prints "c" for a suppressed cell and also for any number between 1 and
 * threshold - 1 that reached the renderer by mistake (the documents are already controlled; this is
 * defence in depth). Counts are never recomputed from percentages.
 */
import type { Cell } from '../../schemas/profile-document.ts';

export const SUPPRESSED = 'c';
export const DASH = '\u2013'; // en dash: "not applicable / not available"

/** True when a count must not be shown: "c" in the document, or a small number that slipped through. */
export function isHiddenCount(c: Cell | number | null | undefined, threshold: number): boolean {
  if (c === 'c') return true;
  if (typeof c !== 'number') return false;
  return c > 0 && c < threshold;
}

/** Thousands separators without relying on the runtime's ICU data (deterministic output). */
export function thousands(n: number): string {
  const neg = n < 0;
  const s = String(Math.abs(Math.round(n)));
  return (neg ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A disclosure-controlled count for print: "c", "0", or the number (>= threshold). */
export function countText(c: Cell | number | null | undefined, threshold: number): string {
  if (c === null || c === undefined) return DASH;
  if (isHiddenCount(c, threshold)) return SUPPRESSED;
  return thousands(c as number);
}

/** A percentage (already a percent, e.g. 12.34) to `dp` places; "c" when hidden, a dash when missing. */
export function pctText(p: number | null | undefined, hidden = false, dp = 1): string {
  if (hidden) return SUPPRESSED;
  if (p === null || p === undefined || !Number.isFinite(p)) return DASH;
  return fixed(p, dp);
}

/** An index (100 = same as base) as a whole number. */
export function indexText(i: number | null | undefined, hidden = false): string {
  if (hidden) return SUPPRESSED;
  if (i === null || i === undefined || !Number.isFinite(i)) return DASH;
  return thousands(i);
}

/** "88–131" for a CI of an index. */
export function ciText(lo: number | null | undefined, hi: number | null | undefined, hidden = false): string {
  if (hidden) return SUPPRESSED;
  if (lo == null || hi == null || !Number.isFinite(lo) || !Number.isFinite(hi)) return DASH;
  return `${thousands(lo)}${DASH}${thousands(hi)}`;
}

/** toFixed that never prints "-0.0". */
export function fixed(x: number, dp: number): string {
  const s = x.toFixed(dp);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** A p-value in plain form: "<0.001" or three decimals. */
export function pText(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return DASH;
  if (p < 0.001) return '<0.001';
  return p.toFixed(3);
}

/** "1 school" / "3 schools". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${thousands(n)} ${n === 1 ? one : many}`;
}

/** "a, b and c". */
export function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** How many times as common, in words, for an index: 200 -> "about twice as common". */
export function ratioWords(index: number): string {
  const r = index / 100;
  if (r >= 1) {
    if (r < 1.15) return 'about as common';
    if (r < 1.75) return `about ${fixed(r, 1)} times as common`;
    if (r < 2.25) return 'about twice as common';
    if (r < 2.75) return 'about two and a half times as common';
    return `about ${Math.round(r)} times as common`;
  }
  if (r > 0.87) return 'about as common';
  if (r > 0.6) return `about ${Math.round(r * 10) * 10}% as common`;
  if (r > 0.4) return 'about half as common';
  if (r > 0.29) return 'about a third as common';
  if (r > 0.22) return 'about a quarter as common';
  return 'much less common';
}

/**
 * The date stamped on a PDF: 1 September of the first year of an academic-year period such as
 * "2025-26" (1 January for a plain year), never the clock, so re-renders are byte-identical.
 */
export function periodDate(period: string): Date {
  const m = /^(\d{4})/.exec(period);
  const year = m ? Number(m[1]) : 2000;
  return new Date(Date.UTC(year, /^\d{4}-\d{2}$/.test(period) ? 8 : 0, 1));
}
