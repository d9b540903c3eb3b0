/**
 * Domain rules of the admissions input (schemas/inputs.ts ADMISSIONS_LAYOUT) that live outside the
 * ingest SQL: the academic year of a round, and the domain of an application reference's pseudonym.
 * The row checks themselves (entry year, round, preferences, offer, on time/late) are DuckDB SQL in
 * functions/ingest/sql/checks.ts (admissionChecks).
 */
import type { ADMISSION_PHASES } from '../../schemas/curated.ts';
import type { Pseudonymiser } from './pseudonym.ts';

export type AdmissionPhase = (typeof ADMISSION_PHASES)[number];

/** The academic year of a round's applications and offers: entry in September 2026 is decided in 2025-26. */
export function periodOfEntry(entryYear: number): string {
  return `${entryYear - 1}-${String(entryYear % 100).padStart(2, '0')}`;
}

/**
 * Prefix of the text an application reference's pseudonym is the HMAC of: the reference keyed in
 * its own domain, so a reference that happens to read like a UPN never shares a pupil's pseudonym.
 */
export const APPLICATION_DOMAIN = 'admissions-application:';

/** The pseudonym of an application reference (ingest computes the same in SQL: hmacSql over APPLICATION_DOMAIN || ref). */
export function applicationPseudonym(pseudonymise: Pseudonymiser, ref: string): string {
  return pseudonymise(`${APPLICATION_DOMAIN}${ref}`);
}
