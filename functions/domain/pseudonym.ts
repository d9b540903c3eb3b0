/**
 * Keyed pseudonyms for pupil identifiers: HMAC-SHA256(key, UPN) as hex. Without the key a pseudonym
 * cannot be reversed or recomputed from a UPN, and the same UPN maps to the same pseudonym across
 * years, which the trend analysis relies on.
 */
import { createHmac } from 'node:crypto';

export type Pseudonymiser = (upn: string) => string;

export function makePseudonymiser(key: Uint8Array): Pseudonymiser {
  if (key.length < 32) throw new Error('pseudonymisation key must be at least 32 bytes');
  return (upn) => createHmac('sha256', key).update(upn).digest('hex');
}
