/**
 * Per-dataset row mappers: one CSV record in, the curated column values (or a rejection naming
 * the column and reason) out. Pure: no I/O; the stage supplies the pseudonymiser, the default
 * period and the schools register (for LAESTABs).
 */
import { academicYear, isRejection, parseChannel, parseDate, parseFlag, parseNcYear, parsePhase, parseUrn, type Rejection } from '../domain/fields.ts';
import { normalisePostcode } from '../domain/postcodes.ts';
import { isValidUpn } from '../domain/upn.ts';
import type { Pseudonymiser } from '../domain/pseudonym.ts';
import type { HeaderMap } from './header.ts';
import { parseGiasPhase, parseLaestab, parseStatus, type SchoolRegister } from './school-register.ts';

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
  /** The contract column named when a duplicate is quarantined. */
  uniqueColumn?: string;
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

/** Positions of the columns a header map reads (the only ones whose values may be looked at). */
export function readPositions(h: HeaderMap): number[] {
  return Object.values(h.index).filter((i) => i >= 0);
}

/**
 * Checks common to every dataset: field count, and length and encoding of the fields that are
 * read. Columns that are not read are never looked at, so nothing of them (a name, a date of
 * birth) can reach a quarantine file.
 */
export function structuralCheck(fields: string[], header: string[], read: number[]): RowReject | null {
  if (fields.length !== header.length) {
    return { column: '', value: '', reason: 'wrong_field_count', message: `expected ${header.length} fields, found ${fields.length}` };
  }
  for (const i of read) {
    const f = fields[i]!;
    if (f.length > MAX_FIELD_LENGTH) {
      return { column: header[i]!, value: f.slice(0, 40), reason: 'field_too_long', message: `field is ${f.length} characters; the limit is ${MAX_FIELD_LENGTH}` };
    }
    if (f.includes('\uFFFD')) {
      return { column: header[i]!, value: f, reason: 'invalid_encoding', message: 'bytes that are not UTF-8 (save the file as "CSV UTF-8")' };
    }
  }
  return null;
}

/**
 * A period found in a file name: an academic year (pupils_2025-26.csv), or the date of a GIAS
 * extract (edubasealldata20260115.csv: the academic year that date falls in). Null otherwise.
 */
export function periodFromName(key: string): string | null {
  const name = key.split('/').pop() ?? '';
  const m = /(\d{4})[-_](\d{2})(?!\d)/.exec(name);
  if (m && (Number(m[1]) + 1) % 100 === Number(m[2])) return `${m[1]}-${m[2]}`;
  const d = /(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)/.exec(name);
  if (d && Number(d[2]) >= 1 && Number(d[2]) <= 12 && Number(d[3]) >= 1 && Number(d[3]) <= 31) {
    const start = Number(d[2]) >= 9 ? Number(d[1]) : Number(d[1]) - 1;
    return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
  }
  return null;
}

const UPN_FORMAT = /^[A-Z]\d{11}[0-9A-Z]$/;

export interface PupilMapperOptions {
  /** Resolves LAESTABs and knows each URN's LA; null when the schools file carries neither. */
  register: SchoolRegister | null;
  /** Only pupils of this LA's schools are kept (others quarantined as outside_la). */
  laCode?: string | null;
  /** Pupils counted per LA code of their school (for inferring the LA). */
  laCounts?: Map<string, number>;
}

export function pupilMapper(h: HeaderMap, ctx: MapperContext, period: string, opts: PupilMapperOptions = { register: null }): RowMapper {
  const ix = h.index;
  const urnAt = ix.urn ?? -1;
  const laestabAt = ix.laestab ?? -1;
  const { register, laCode, laCounts } = opts;
  return (f) => {
    const rawUpn = f[ix.upn!]!.trim().toUpperCase();
    if (!UPN_FORMAT.test(rawUpn)) {
      return { column: 'upn', value: rawUpn, reason: 'invalid_upn', message: 'UPN must be 13 characters: a letter, 11 digits, then a digit or letter' };
    }
    if (!isValidUpn(rawUpn)) {
      return { column: 'upn', value: rawUpn, reason: 'bad_upn_check_letter', message: 'UPN check letter does not match its digits' };
    }
    let urn: string;
    const rawUrn = urnAt >= 0 ? f[urnAt]!.trim() : '';
    if (rawUrn !== '' || laestabAt < 0) {
      const u = parseUrn(rawUrn);
      if (isRejection(u)) return rej('urn', rawUrn, u);
      urn = u;
    } else {
      const le = parseLaestab(f[laestabAt]!);
      if (isRejection(le)) return rej('laestab', f[laestabAt]!, le);
      const found = register?.urnOf(le);
      if (!found) return { column: 'laestab', value: le, reason: 'unknown_laestab', message: 'no school with this LAESTAB (LA number + establishment number) in the schools file' };
      urn = found;
    }
    const la = register?.laOf(urn) ?? null;
    if (laCode && la !== null && la !== laCode) {
      return { column: laestabAt >= 0 && rawUrn === '' ? 'laestab' : 'urn', value: urn, reason: 'outside_la', message: `the school is in LA ${la}, not ${laCode} (--la-code)` };
    }
    const ncyear = parseNcYear(f[ix.ncyear!]!);
    if (isRejection(ncyear)) return rej('ncyear', f[ix.ncyear!]!, ncyear);
    const fsm = parseFlag(f[ix.fsm!]!);
    if (isRejection(fsm)) return rej('fsm', f[ix.fsm!]!, fsm);
    const pc = normalisePostcode(f[ix.postcode!]!);
    const id = ctx.pseudonymise(rawUpn);
    if (laCounts && la !== null) laCounts.set(la, (laCounts.get(la) ?? 0) + 1);
    return {
      partition: period,
      values: [id, urn, ncyear, fsm, pc?.postcode ?? null, pc?.sector ?? null],
      uniqueScope: `${period}|${urn}`,
      uniqueKey: parseInt(id.slice(0, 13), 16),
      uniqueReason: 'duplicate_upn',
      uniqueColumn: 'upn',
    };
  };
}

export function contactMapper(h: HeaderMap): RowMapper {
  const ix = h.index;
  const opt = (f: string[], col: string) => (ix[col]! >= 0 ? f[ix[col]!]!.trim() : '');
  return (f) => {
    const id = f[ix.contact_id!]!.trim();
    if (id === '') return { column: 'contact_id', value: '', reason: 'missing_value', message: 'contact_id is blank' };
    const day = parseDate(f[ix.contact_date!]!);
    if (isRejection(day)) return rej('contact_date', f[ix.contact_date!]!, day);
    const channel = parseChannel(f[ix.channel!]!);
    const pc = normalisePostcode(f[ix.postcode!]!);
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
      uniqueColumn: 'contact_id',
    };
  };
}

export interface SchoolMapperOptions {
  /** Cluster by URN or LAESTAB (schools/clusters.csv). */
  clusters?: Map<string, string>;
  /** Position of a column chosen to supply the cluster (--cluster-column), or -1. */
  clusterAt?: number;
}

/** Schools in the LA's own layout (urn,name,phase[,cluster],postcode[,laestab]) or the GIAS register. */
export function schoolMapper(h: HeaderMap, period: string, opts: SchoolMapperOptions = {}): RowMapper {
  const ix = h.index;
  const gias = h.layout === 'gias';
  const at = (f: string[], col: string) => (ix[col] !== undefined && ix[col]! >= 0 ? f[ix[col]!]!.trim() : '');
  return (f) => {
    const urn = parseUrn(f[ix.urn!]!);
    if (isRejection(urn)) return rej('urn', f[ix.urn!]!, urn);
    const name = at(f, 'name');
    if (name === '') return { column: 'name', value: '', reason: 'missing_value', message: 'school name is blank' };
    let laestab: string | null = null;
    let laCode: string | null = null;
    let status: string = 'open';
    let phase: string;
    if (gias) {
      const la = at(f, 'la_code');
      const estab = at(f, 'establishment_number');
      laCode = /^\d{3}$/.test(la) ? la : null;
      laestab = laCode && /^\d{4}$/.test(estab) ? laCode + estab : null;
      const st = parseStatus(at(f, 'status'));
      if (isRejection(st)) return rej('status', at(f, 'status'), st);
      status = st;
      const p = parseGiasPhase(at(f, 'phase'), at(f, 'type'));
      if (isRejection(p)) return rej('phase', at(f, 'phase'), p);
      phase = p;
    } else {
      const p = parsePhase(at(f, 'phase'));
      if (isRejection(p)) return rej('phase', at(f, 'phase'), p);
      phase = p;
      const raw = at(f, 'laestab');
      if (raw !== '') {
        const le = parseLaestab(raw);
        if (isRejection(le)) return rej('laestab', raw, le);
        laestab = le;
        laCode = le.slice(0, 3);
      }
    }
    const cluster =
      opts.clusters?.get(urn) ?? (laestab ? opts.clusters?.get(laestab) : undefined) ?? ((opts.clusterAt ?? -1) >= 0 ? f[opts.clusterAt!]!.trim() : at(f, 'cluster'));
    const pc = normalisePostcode(at(f, 'postcode'));
    return {
      partition: period,
      values: [urn, laestab, name, phase, cluster || null, pc?.postcode ?? null, pc?.sector ?? null, laCode, status],
      uniqueScope: period,
      uniqueKey: urn,
      uniqueReason: 'duplicate_urn',
      uniqueColumn: 'urn',
    };
  };
}
