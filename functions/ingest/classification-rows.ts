/**
 * Row mappers for the postcode classification: the NSPL layout (OAC 2011 built in) or a generic
 * postcode,segment[,ward] table with its own segment dictionary (Mosaic, Acorn...).
 */
import { NSPL_SIGNATURE, NSPL_WARD_COLUMNS, genericClassificationColumns, normaliseHeader, type InputColumn } from '../../schemas/inputs.ts';
import { OAC11_NAMES } from '../../schemas/oac11.ts';
import { normalisePostcode } from '../domain/postcodes.ts';
import type { HeaderMap } from './header.ts';
import type { RowMapper, Value } from './rows.ts';

export type ClassificationLayout = 'nspl' | 'generic';

/** The NSPL columns catchment reads, as an input contract (ward may be osward). */
export const nsplColumns: InputColumn[] = [
  ...NSPL_SIGNATURE.map((name) => ({ name, required: true, aliases: [], description: `NSPL ${name}` })),
  { name: 'ward', required: true, aliases: NSPL_WARD_COLUMNS.slice(1), description: 'NSPL ward (or osward)' },
];

export function detectLayout(header: string[]): ClassificationLayout | null {
  const cells = new Set(header.map(normaliseHeader));
  if (NSPL_SIGNATURE.every((c) => cells.has(c)) && NSPL_WARD_COLUMNS.some((c) => cells.has(c))) return 'nspl';
  const has = (col: InputColumn) => [col.name, ...col.aliases].some((n) => cells.has(n));
  if (genericClassificationColumns.filter((c) => c.required).every(has)) return 'generic';
  return null;
}

/** Vintage from an NSPL-style file name (e.g. NSPL_MAY_2024_UK -> 2024-05) or a yyyy-mm in the name. */
export function vintageFromName(key: string): string | null {
  const name = key.split('/').pop() ?? '';
  const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  const m = /(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[_-]?(\d{4})/i.exec(name);
  if (m) return `${m[2]}-${String(months.indexOf(m[1].toUpperCase()) + 1).padStart(2, '0')}`;
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

export function nsplMapper(h: HeaderMap, segmentCodes: Set<string>): RowMapper {
  const ix = h.index;
  return (f) => {
    const pc = normalisePostcode(f[ix.pcds]);
    if (!pc) return { column: 'pcds', value: f[ix.pcds], reason: 'invalid_postcode', message: 'not a valid UK postcode' };
    const segment = code(f[ix.oac11]);
    if (segment !== null && !segmentCodes.has(segment)) {
      return { column: 'oac11', value: segment, reason: 'unknown_segment', message: 'not a 2011 OAC subgroup code' };
    }
    const imd = num(f[ix.imd]);
    const lat = num(f[ix.lat]);
    const long = num(f[ix.long]);
    // NSPL marks postcodes without a grid reference with lat 99.999999
    const located = lat !== null && long !== null && Math.abs(lat) <= 90;
    const values: Value[] = [
      pc.postcode,
      pc.sector,
      (f[ix.doterm] ?? '').trim() !== '',
      segment,
      code(f[ix.ward]),
      code(f[ix.lsoa11]),
      code(f[ix.laua]),
      imd !== null && Number.isInteger(imd) && imd > 0 ? imd : null,
      located ? lat : null,
      located ? long : null,
    ];
    return { partition: '', values, uniqueKey: pc.postcode, uniqueReason: 'duplicate_postcode' };
  };
}

export function genericMapper(h: HeaderMap, segmentCodes: Set<string>): RowMapper {
  const ix = h.index;
  return (f) => {
    const pc = normalisePostcode(f[ix.postcode]);
    if (!pc) return { column: 'postcode', value: f[ix.postcode], reason: 'invalid_postcode', message: 'not a valid UK postcode' };
    const segment = code(f[ix.segment]);
    if (segment !== null && !segmentCodes.has(segment)) {
      return { column: 'segment', value: segment, reason: 'unknown_segment', message: 'segment code is not in classification/segments.csv' };
    }
    const ward = ix.ward >= 0 ? code(f[ix.ward]) : null;
    const values: Value[] = [pc.postcode, pc.sector, false, segment, ward, null, null, null, null, null];
    return { partition: '', values, uniqueKey: pc.postcode, uniqueReason: 'duplicate_postcode' };
  };
}

/** Segment dictionary rows (curated `segments` columns minus vintage) for the built-in OAC 2011. */
export function oacDictionary(): Value[][] {
  return OAC11_NAMES.map((o) => [o.code, o.subgroup, o.code.slice(0, 2), o.group, o.code.slice(0, 1), o.supergroup, null]);
}
