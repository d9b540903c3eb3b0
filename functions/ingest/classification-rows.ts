/**
 * Row mappers for the postcode classification: the NSPL of any release (the 2011 or the 2021 OAC
 * from its own column, or the 2021 OAC from an OA-level file joined through oa21), or a generic
 * postcode,segment[,ward] table with its own segment dictionary (Mosaic, Acorn...). Pure: no I/O.
 */
import { BUILT_IN_CLASSIFICATIONS, imdEditionOf, nationOf, type ClassificationEdition, type ImdEdition } from '../../schemas/editions.ts';
import { normalisePostcode } from '../domain/postcodes.ts';
import type { HeaderMap } from './header.ts';
import type { RowMapper, Value } from './rows.ts';

/** Vintage (release) from an NSPL-style file name (NSPL_MAY_2024_UK, NSPL21_AUG_2024_UK -> 2024-05/08) or a yyyy-mm in the name. */
export function vintageFromName(key: string): string | null {
  const name = key.split('/').pop() ?? '';
  const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  const m = /(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[_-]?(\d{4})/i.exec(name);
  if (m) return `${m[2]}-${String(months.indexOf(m[1]!.toUpperCase()) + 1).padStart(2, '0')}`;
  const d = /(\d{4})-(\d{2})(?!\d)/.exec(name);
  return d && Number(d[2]) >= 1 && Number(d[2]) <= 12 ? `${d[1]}-${d[2]}` : null;
}

const PSEUDO = /^[A-Z]99999999$/;
const code = (v: string | undefined): string | null => {
  const t = (v ?? '').trim();
  return t === '' || PSEUDO.test(t) ? null : t;
};
const num = (v: string | undefined): number | null => {
  const t = (v ?? '').trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
};

/** OAC codes as files spell them ("1a1", " 2B1 ") in the names' form ("1A1"); blank and pseudo GSS codes are null. */
export function oacCode(raw: string | undefined): string | null {
  const t = (raw ?? '').trim().toUpperCase();
  return t === '' || PSEUDO.test(t) ? null : t;
}

/** How the postcode lookup is classified: which edition, and from which column or file. */
export interface ClassificationPlan {
  edition: ClassificationEdition;
  /** Where the segment comes from: an NSPL column (oac11/oac21), an OA-level file joined through oa21, or a generic table. */
  via: 'nspl-column' | 'oa-file' | 'generic';
  /** The header cell it comes from (e.g. oac21ind), or the OA file's name. */
  from: string;
}

export interface ImdPlan {
  edition: ImdEdition | null;
  /** The header cell of the rank (imd, imd20ind, imd25ind), or null when the lookup has none. */
  column: string | null;
  /** True when the edition is assumed (the release is not in the file name). */
  assumed: boolean;
}

export function imdPlanOf(h: HeaderMap, release: string | null): ImdPlan {
  const column = h.source.imd ?? null;
  if (!column) return { edition: null, column: null, assumed: false };
  const e = imdEditionOf(column.trim().toLowerCase(), release);
  return { edition: e?.edition ?? null, column, assumed: e?.assumed ?? false };
}

/**
 * NSPL rows -> curated postcodes values (postcode, sector, terminated, segment, ward, lsoa, laua,
 * country, imd_rank, imd_edition, lat, long). `oaSegments` maps oa21cd -> OAC 2021 subgroup when the
 * plan joins an OA-level file.
 */
export function nsplMapper(h: HeaderMap, plan: ClassificationPlan, imd: ImdPlan, segmentCodes: Set<string>, oaSegments?: Map<string, string>): RowMapper {
  const ix = h.index;
  const segAt = plan.via === 'nspl-column' ? ix[plan.edition === 'oac21' ? 'oac21' : 'oac11']! : -1;
  const segColumn = plan.via === 'nspl-column' ? plan.from : 'oa21';
  const oaAt = ix.oa21 ?? -1;
  const at = (f: string[], col: string) => (ix[col] !== undefined && ix[col]! >= 0 ? f[ix[col]!] : undefined);
  const label = BUILT_IN_CLASSIFICATIONS[plan.edition as 'oac11' | 'oac21']?.short ?? plan.edition;
  return (f) => {
    const pc = normalisePostcode(f[ix.postcode!]!);
    if (!pc) return { column: h.source.postcode ?? 'postcode', value: f[ix.postcode!]!, reason: 'invalid_postcode', message: 'not a valid UK postcode' };
    let segment: string | null;
    if (plan.via === 'oa-file') {
      const oa = code(f[oaAt]);
      segment = oa ? (oaSegments?.get(oa) ?? null) : null;
    } else {
      segment = oacCode(f[segAt]);
      // Areas outside the 2021 classification (Scotland, Northern Ireland, the islands) carry a pseudo code.
      if (plan.edition === 'oac21' && (segment === '9Z9' || segment === 'Z9')) segment = null;
      if (segment !== null && !segmentCodes.has(segment)) {
        return { column: segColumn, value: segment, reason: 'unknown_segment', message: `not a ${label} subgroup code` };
      }
    }
    const lsoa = code(at(f, 'lsoa'));
    const laua = code(at(f, 'laua'));
    const country = nationOf(at(f, 'ctry')) ?? nationOf(lsoa) ?? nationOf(laua) ?? nationOf(at(f, 'oa21') ?? at(f, 'oa11'));
    const rank = num(at(f, 'imd'));
    const imdRank = rank !== null && Number.isInteger(rank) && rank > 0 ? rank : null;
    const lat = num(f[ix.lat!]);
    const long = num(f[ix.long!]);
    // NSPL marks postcodes without a grid reference with lat 99.999999
    const located = lat !== null && long !== null && Math.abs(lat) <= 90;
    const values: Value[] = [
      pc.postcode,
      pc.sector,
      (f[ix.doterm!] ?? '').trim() !== '',
      segment,
      code(f[ix.ward!]),
      lsoa,
      laua,
      country,
      imdRank,
      imdRank !== null && country === 'E' ? imd.edition : null,
      located ? lat : null,
      located ? long : null,
    ];
    return { partition: '', values, uniqueKey: pc.postcode, uniqueReason: 'duplicate_postcode', uniqueColumn: h.source.postcode ?? 'postcode' };
  };
}

/** OA-level OAC 2021 rows: oa21cd -> subgroup, checked against the built-in names and the file's own group/supergroup. */
export function oaClassificationMapper(h: HeaderMap, segmentCodes: Set<string>, into: Map<string, string>): RowMapper {
  const ix = h.index;
  return (f) => {
    const oa = (f[ix.oa21cd!] ?? '').trim().toUpperCase();
    if (!/^[EWSN]\d{8}$/.test(oa)) return { column: h.source.oa21cd ?? 'oa21cd', value: oa, reason: 'invalid_oa', message: 'not a 2021 output area code (e.g. E00000001)' };
    const sub = oacCode(f[ix.subgroup!]);
    if (sub === null || !segmentCodes.has(sub)) {
      return { column: h.source.subgroup ?? 'subgroup', value: (f[ix.subgroup!] ?? '').trim(), reason: 'unknown_segment', message: 'not an OAC 2021 subgroup code' };
    }
    for (const [col, len] of [['group', 2], ['supergroup', 1]] as const) {
      const v = ix[col] !== undefined && ix[col]! >= 0 ? (f[ix[col]!] ?? '').trim().toUpperCase() : '';
      if (v !== '' && v !== sub.slice(0, len)) {
        return { column: h.source[col] ?? col, value: v, reason: 'inconsistent_segment', message: `${col} ${v} does not contain subgroup ${sub}` };
      }
    }
    if (!into.has(oa)) into.set(oa, sub); // a repeated OA is quarantined as a duplicate: the first row stands
    return { partition: '', values: [], uniqueKey: oa, uniqueReason: 'duplicate_oa', uniqueColumn: h.source.oa21cd ?? 'oa21cd' };
  };
}

export function genericMapper(h: HeaderMap, segmentCodes: Set<string>): RowMapper {
  const ix = h.index;
  return (f) => {
    const pc = normalisePostcode(f[ix.postcode!]!);
    if (!pc) return { column: 'postcode', value: f[ix.postcode!]!, reason: 'invalid_postcode', message: 'not a valid UK postcode' };
    const segment = code(f[ix.segment!]);
    if (segment !== null && !segmentCodes.has(segment)) {
      return { column: 'segment', value: segment, reason: 'unknown_segment', message: 'segment code is not in classification/segments.csv' };
    }
    const ward = ix.ward! >= 0 ? code(f[ix.ward!]) : null;
    const values: Value[] = [pc.postcode, pc.sector, false, segment, ward, null, null, nationOf(ward), null, null, null, null];
    return { partition: '', values, uniqueKey: pc.postcode, uniqueReason: 'duplicate_postcode', uniqueColumn: 'postcode' };
  };
}

/** Segment dictionary rows (curated `segments` columns minus vintage) for a built-in OAC edition. */
export function oacDictionary(edition: 'oac11' | 'oac21'): Value[][] {
  return BUILT_IN_CLASSIFICATIONS[edition].names.map((o) => [o.code, o.subgroup, o.code.slice(0, 2), o.group, o.code.slice(0, 1), o.supergroup, null, edition]);
}
