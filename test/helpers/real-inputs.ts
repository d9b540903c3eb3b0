/**
 * Inputs as an LA holds them, for the tests: the real NSPL rows of ../shared/data/nspl (November
 * 2021) re-laid under the published headers of later releases, a GIAS extract under its real
 * header, and a census extract keyed by LAESTAB with (fictional) names, dates of birth and
 * addresses. Nothing here is copied into the tree: the rows are read where they are.
 */
import { parse } from 'csv-parse/sync';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GIAS_HEADER, NSPL_HEADERS, type NsplRelease } from '../../schemas/published-headers.ts';
import { sampleOac21 } from '../../sample-data/names.ts';

export const SHARED = resolve(import.meta.dirname, '../../../shared/data');
export const NSPL_DIR = join(SHARED, 'nspl');
export const NSPL_AREAS = ['SR', 'DT', 'SM'] as const;
if (!NSPL_AREAS.every((a) => existsSync(join(NSPL_DIR, `NSPL_NOV_2021_UK_${a}.csv`)))) {
  throw new Error(`the real NSPL extracts are missing: ${NSPL_DIR} (it sits beside the checkout)`);
}

export type NsplRow = Record<string, string> & { area: string };

/**
 * The `nth` postcode (pcds) of an area's real extract that is live, or terminated, in file order:
 * tests name real postcodes this way, read where they are, never written into the tree.
 */
export function realPostcode(area: (typeof NSPL_AREAS)[number], state: 'live' | 'terminated', nth = 0): string {
  const rows = parse(readFileSync(join(NSPL_DIR, `NSPL_NOV_2021_UK_${area}.csv`)), { columns: true }) as Record<string, string>[];
  const pcds = rows.filter((r) => (r.doterm === '') === (state === 'live'))[nth]?.pcds;
  if (!pcds) throw new Error(`the ${area} extract has no ${state} postcode number ${nth + 1}`);
  return pcds;
}

/** Every row of the three real extracts, keyed by the 2021 field names. */
export function realNsplRows(): NsplRow[] {
  return NSPL_AREAS.flatMap((area) =>
    (parse(readFileSync(join(NSPL_DIR, `NSPL_NOV_2021_UK_${area}.csv`)), { columns: true }) as Record<string, string>[]).map((r) => ({ ...r, area })),
  );
}

/** The 2021 field a later release's field holds (same meaning, renamed or re-based). */
const SAME: Record<string, string> = {
  pcd7: 'pcd', pcd8: 'pcd2', usrtypind: 'usertype', east1m: 'oseast1m', north1m: 'osnrth1m', gridind: 'osgrdind',
  oa21: 'oa11', oa21cd: 'oa11', lsoa21: 'lsoa11', lsoa21cd: 'lsoa11', msoa21: 'msoa11', msoa21cd: 'msoa11',
  npark: 'park', npark16cd: 'park', sicbl: 'ccg', bua22: 'bua11', bua24cd: 'bua11', ruc21ind: 'ru11ind',
  oac11ind: 'oac11', lep21cd1: 'lep1', lep21cd2: 'lep2', pfa23cd: 'pfa', icb: 'stp', wz11cd: 'wz11',
  ttwa15cd: 'ttwa', itl25cd: 'itl', pcon24cd: 'pcon', nhser24cd: 'nhser',
};
const PATTERNS: [RegExp, string][] = [
  [/^lad\d\dcd$/, 'laua'], [/^wd\d\dcd$/, 'ward'], [/^cty\d\dcd$/, 'cty'], [/^ced\d\dcd$/, 'ced'], [/^ctry\d\dcd$/, 'ctry'],
  [/^rgn\d\dcd$/, 'rgn'], [/^icb\d\dcd$/, 'stp'], [/^sicbl\d\dcd$/, 'ccg'], [/^imd\d\dind$/, 'imd'],
];
const UNQUOTED = new Set(['lat', 'long', 'imd', 'imd20ind', 'imd25ind']);

/**
 * The OAC 2021 code a test gives a real row: the November 2021 file has only 2011 codes, so rows
 * under the 2026 header carry a real 2021 subgroup chosen deterministically from the 2011 one.
 */
export const oac21Of = (row: NsplRow): string => (row.oac11 ? sampleOac21(row.oac11) : '');

/** A real row's value for a field of a release's header. */
export function fieldOf(row: NsplRow, field: string): string {
  if (field === 'oac21ind') return oac21Of(row);
  if (field in row) return row[field]!;
  const same = SAME[field] ?? PATTERNS.find(([re]) => re.test(field))?.[1];
  return same ? (row[same] ?? '') : '';
}

/** The rows as an NSPL file of a release: its header, the ONS quoting. */
export function nsplCsv(release: NsplRelease | readonly string[], rows: NsplRow[]): string {
  const header = typeof release === 'string' ? NSPL_HEADERS[release] : release;
  const line = (r: NsplRow) => header.map((f) => (UNQUOTED.has(f) ? fieldOf(r, f) : `"${fieldOf(r, f)}"`)).join(',');
  return [header.join(','), ...rows.map(line)].join('\r\n') + '\r\n';
}

export interface GiasSchool {
  urn: string;
  la: string;
  estab: string;
  name: string;
  status: 'Open' | 'Closed' | 'Open, but proposed to close';
  phase: string;
  type: string;
  postcode: string;
  district?: string;
}

/** A GIAS extract: the real header, every value quoted, dates dd-mm-yyyy. */
export function giasCsv(schools: GiasSchool[]): string {
  const at = new Map(GIAS_HEADER.map((c, i) => [c, i]));
  const rows = schools.map((s) => {
    const cells = GIAS_HEADER.map(() => '');
    const set = (k: string, v: string) => (cells[at.get(k)!] = v);
    set('URN', s.urn);
    set('LA (code)', s.la);
    set('LA (name)', 'Testshire');
    set('EstablishmentNumber', s.estab);
    set('EstablishmentName', s.name);
    set('TypeOfEstablishment (name)', s.type);
    set('EstablishmentStatus (name)', s.status);
    set('OpenDate', '01-09-1975');
    if (s.status === 'Closed') set('CloseDate', '31-08-2019');
    set('PhaseOfEducation (name)', s.phase);
    set('Postcode', s.postcode);
    set('HeadFirstName', 'Jo');
    set('HeadLastName', 'Headteacher');
    set('DistrictAdministrative (name)', s.district ?? '');
    return cells.map((c) => `"${c}"`).join(',');
  });
  return [GIAS_HEADER.map((c) => `"${c}"`).join(','), ...rows].join('\r\n') + '\r\n';
}

/** Text as Windows-1252 bytes (what Excel's "CSV" save writes); fails on characters it cannot hold. */
export function cp1252(text: string): Buffer {
  const extra: Record<string, number> = { '\u2019': 0x92, '\u2018': 0x91, '\u20ac': 0x80, '\u2013': 0x96, '\u201c': 0x93, '\u201d': 0x94 };
  return Buffer.from(
    [...text].map((ch) => {
      const c = ch.codePointAt(0)!;
      if (c < 0x80 || (c >= 0xa0 && c <= 0xff)) return c;
      if (extra[ch] !== undefined) return extra[ch]!;
      throw new Error(`not in Windows-1252: ${ch}`);
    }),
  );
}

export interface CensusPupil {
  laestab: string;
  upn: string;
  surname: string;
  forename: string;
  dob: string;
  postcode: string;
  ncyear: string;
  fsm: string;
}

export const CENSUS_HEADER = 'LAEstab,UPN,Surname,Forename,MiddleNames,DOB,Gender,Ethnicity,NCyearActual,FSMeligible,AddressLine1,AddressLine2,Town,PostCode';

/** A census extract keyed by LAESTAB, CBDS field names, with the personal details such extracts carry. */
export function censusCsv(pupils: CensusPupil[]): string {
  return (
    [
      CENSUS_HEADER,
      ...pupils.map((p, i) =>
        [p.laestab, p.upn, p.surname, p.forename, `Middle${p.surname}`, p.dob, i % 2 ? 'F' : 'M', 'WBRI', p.ncyear, p.fsm, `${i + 1} ${p.surname} Street`, `Flat ${i}`, 'Testtown', p.postcode].join(','),
      ),
    ].join('\r\n') + '\r\n'
  );
}
