/**
 * Per-dataset row mappers: one CSV record in, the curated column values (or a rejection naming
 * the column and reason) out. Pure: no I/O; the stage supplies the pseudonymiser and default period.
 */
import { academicYear, isRejection, parseChannel, parseDate, parseFlag, parseNcYear, parsePhase, parseUrn, type Rejection } from '../domain/fields.ts';
import { normalisePostcode } from '../domain/postcodes.ts';
import { isValidUpn } from '../domain/upn.ts';
import type { Pseudonymiser } from '../domain/pseudonym.ts';
import type { HeaderMap } from './header.ts';

export type { Value } from '../lake/column-buffer.ts';
import type { Value } from '../lake/column-buffer.ts';

export interface RowReject {
  column: string;
  value: string;
  reason: string;
  message: string;
}

export interface RowOk {
  partition: string;
  values: Value[];
  /**
   * Identity that must be unique within `uniqueScope` (duplicates are quarantined), if any.
   * Pupils use 52 bits of the pseudonym as a number per school: far smaller than string keys
   * at 9 million pupils, and a collision within one school is vanishingly unlikely.
   */
  uniqueScope?: string;
  uniqueKey?: string | number;
  uniqueReason?: string;
}

export type RowMapper = (fields: string[]) => RowOk | RowReject;

/** Longest field accepted; longer values (a pasted document, a 10 MB cell) are quarantined. */
export const MAX_FIELD_LENGTH = 1000;

export interface MapperContext {
  /** Period for files that carry none in their name (pupils, schools). */
  period: string;
  pseudonymise: Pseudonymiser;
}

const rej = (column: string, value: string, r: Rejection): RowReject => ({ column, value, reason: r.reason, message: r.message });

/** Checks common to every dataset: field count, encoding, length. */
export function structuralCheck(fields: string[], header: string[]): RowReject | null {
  if (fields.length !== header.length) {
    return {
      column: '',
      value: '',
      reason: 'wrong_field_count',
      message: `expected ${header.length} fields, found ${fields.length}`,
    };
  }
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.length > MAX_FIELD_LENGTH) {
      return { column: header[i], value: f.slice(0, 40), reason: 'field_too_long', message: `field is ${f.length} characters; the limit is ${MAX_FIELD_LENGTH}` };
    }
    if (f.includes('\uFFFD')) {
      return { column: header[i], value: f, reason: 'invalid_encoding', message: 'bytes that are not UTF-8 (save the file as "CSV UTF-8")' };
    }
  }
  return null;
}

/** A period found in a file name such as pupils_2025-26.csv, or null. */
export function periodFromName(key: string): string | null {
  const m = /(\d{4})[-_](\d{2})(?!\d)/.exec(key.split('/').pop() ?? '');
  if (!m) return null;
  return (Number(m[1]) + 1) % 100 === Number(m[2]) ? `${m[1]}-${m[2]}` : null;
}

const UPN_FORMAT = /^[A-Z]\d{11}[0-9A-Z]$/;

export function pupilMapper(h: HeaderMap, ctx: MapperContext, period: string): RowMapper {
  const ix = h.index;
  return (f) => {
    const rawUpn = f[ix.upn].trim().toUpperCase();
    if (!UPN_FORMAT.test(rawUpn)) {
      return { column: 'upn', value: rawUpn, reason: 'invalid_upn', message: 'UPN must be 13 characters: a letter, 11 digits, then a digit or letter' };
    }
    if (!isValidUpn(rawUpn)) {
      return { column: 'upn', value: rawUpn, reason: 'bad_upn_check_letter', message: 'UPN check letter does not match its digits' };
    }
    const urn = parseUrn(f[ix.urn]);
    if (isRejection(urn)) return rej('urn', f[ix.urn], urn);
    const ncyear = parseNcYear(f[ix.ncyear]);
    if (isRejection(ncyear)) return rej('ncyear', f[ix.ncyear], ncyear);
    const fsm = parseFlag(f[ix.fsm]);
    if (isRejection(fsm)) return rej('fsm', f[ix.fsm], fsm);
    const pc = normalisePostcode(f[ix.postcode]);
    const id = ctx.pseudonymise(rawUpn);
    return {
      partition: period,
      values: [id, urn, ncyear, fsm, pc?.postcode ?? null, pc?.sector ?? null],
      uniqueScope: `${period}|${urn}`,
      uniqueKey: parseInt(id.slice(0, 13), 16),
      uniqueReason: 'duplicate_upn',
    };
  };
}

export function contactMapper(h: HeaderMap): RowMapper {
  const ix = h.index;
  const opt = (f: string[], col: string) => (ix[col] >= 0 ? f[ix[col]].trim() : '');
  return (f) => {
    const id = f[ix.contact_id].trim();
    if (id === '') return { column: 'contact_id', value: '', reason: 'missing_value', message: 'contact_id is blank' };
    const day = parseDate(f[ix.contact_date]);
    if (isRejection(day)) return rej('contact_date', f[ix.contact_date], day);
    const channel = parseChannel(f[ix.channel]);
    const pc = normalisePostcode(f[ix.postcode]);
    const rawUrn = opt(f, 'child_urn');
    const childUrn = rawUrn === '' ? null : parseUrn(rawUrn);
    if (isRejection(childUrn)) return rej('child_urn', rawUrn, childUrn);
    const rawYear = opt(f, 'child_ncyear');
    const childYear = rawYear === '' ? null : parseNcYear(rawYear);
    if (isRejection(childYear)) return rej('child_ncyear', rawYear, childYear);
    const period = academicYear(day);
    return {
      partition: period,
      values: [id, day, channel, pc?.postcode ?? null, pc?.sector ?? null, childUrn, childYear],
      uniqueScope: period,
      uniqueKey: id,
      uniqueReason: 'duplicate_contact_id',
    };
  };
}

export function schoolMapper(h: HeaderMap, period: string): RowMapper {
  const ix = h.index;
  return (f) => {
    const urn = parseUrn(f[ix.urn]);
    if (isRejection(urn)) return rej('urn', f[ix.urn], urn);
    const name = f[ix.name].trim();
    if (name === '') return { column: 'name', value: '', reason: 'missing_value', message: 'school name is blank' };
    const phase = parsePhase(f[ix.phase]);
    if (isRejection(phase)) return rej('phase', f[ix.phase], phase);
    const cluster = f[ix.cluster].trim();
    if (cluster === '') return { column: 'cluster', value: '', reason: 'missing_value', message: 'cluster is blank' };
    const pc = normalisePostcode(f[ix.postcode]);
    return {
      partition: period,
      values: [urn, name, phase, cluster, pc?.postcode ?? null, pc?.sector ?? null],
      uniqueScope: period,
      uniqueKey: urn,
      uniqueReason: 'duplicate_urn',
    };
  };
}

