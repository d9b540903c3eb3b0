/**
 * The field rules ingest runs in DuckDB (functions/ingest/sql/rules.ts) give exactly what the
 * JavaScript validators gave before the rewrite (kept as the oracle in helpers/js-validators.ts),
 * on many generated values: real-looking ones, each spelled the ways files spell them (case,
 * padding with every kind of whitespace JavaScript trims), mutated, and random junk. The
 * pseudonyms computed in SQL are byte for byte Node's HMAC-SHA256.
 *
 * Outside what is compared: letters whose upper or lower case is a different length or leaves
 * ASCII in JavaScript but not in DuckDB (ß, ı, ſ, İ, ligatures). No valid value contains one; at
 * most the masked length of such a junk UPN could differ.
 */
import { describe, expect, it } from 'vitest';
import { makePseudonymiser } from '../functions/domain/pseudonym.ts';
import { UPN_ALPHABET, upnCheckLetter } from '../functions/domain/upn.ts';
import { hmacSql } from '../functions/ingest/ingest-db.ts';
import { CHANNEL_WORDS, GIAS_PHASE_WORDS, PHASE_WORDS, STATUS_WORDS } from '../functions/ingest/sql/rules.ts';
import { rng } from './helpers/rng.ts';
import { applyRules } from './helpers/rules.ts';
import {
  code,
  isRejection,
  num,
  oacCode,
  parseChannel,
  parseDate,
  parseFlag,
  parseGiasPhase,
  parseLaestab,
  parseNcYear,
  parsePhase,
  parseStatus,
  parseUrn,
  referencePostcode,
  upnReason,
} from './helpers/js-validators.ts';

const r = rng(13);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (n: number) => Math.floor(r() * n);
/** Every character JavaScript's trim() and \s remove, and some it does not. */
const SPACES = ['\t', '\n', '\u000b', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
const NOT_SPACES = ['\u200b', '\u0085', '\u180e', '\u00ad', '\u0000', '\u0001', '\u001f'];
const JUNK = 'aAzZ09 -/_.,\'"éüÉ€\u00a0\t*#';

function junk(max = 12): string {
  let s = '';
  for (let i = int(max + 1); i > 0; i--) s += JUNK[int(JUNK.length)];
  return s;
}

/** The ways a value arrives: as it is, cased, padded with any whitespace, or with a non-space around it. */
function spellings(v: string): string[] {
  const sp = () => pick(SPACES) + (r() < 0.3 ? pick(SPACES) : '');
  return [v, v.toLowerCase(), v.toUpperCase(), sp() + v, v + sp(), sp() + v + sp(), pick(NOT_SPACES) + v, v + pick(NOT_SPACES)];
}

function mutate(v: string): string {
  if (v.length === 0) return junk(3);
  const i = int(v.length);
  const k = r();
  if (k < 0.3) return v.slice(0, i) + v.slice(i + 1);
  if (k < 0.6) return v.slice(0, i) + JUNK[int(JUNK.length)] + v.slice(i + 1);
  if (k < 0.8) return v.slice(0, i) + JUNK[int(JUNK.length)] + v.slice(i);
  return v + v.slice(0, 1 + int(3));
}

/** Values of one field: the given ones spelled every way, mutated, plus junk. */
function corpus(seeds: string[], junkCount = 2000): string[] {
  const out: string[] = [];
  for (const s of seeds) out.push(...spellings(s), mutate(s), mutate(mutate(s)));
  for (let i = 0; i < junkCount; i++) out.push(junk());
  return [...out, '', ' ', '\u00a0', '\ufeff'];
}

function validUpn(): string {
  const last = r() < 0.8 ? String(int(10)) : pick([...UPN_ALPHABET]);
  const rest = `${String(int(1e11)).padStart(11, '0')}${last}`;
  return upnCheckLetter(rest) + rest;
}

const jsValue = <T>(v: T | { reason: string }) => (isRejection(v) ? null : v);

describe('SQL field rules equal the JavaScript validators', () => {
  it('UPN: shape, check letter and masked value on 30,000 UPNs (valid, mistyped, lower case, padded, with I, O, S)', async () => {
    const seeds = Array.from({ length: 3000 }, () => validUpn());
    const values = [...corpus(seeds), ...seeds.map((u) => 'IOS'[int(3)]! + u.slice(1)), ...seeds.map((u) => u.slice(0, 12) + 'IOS'[int(3)])];
    expect(values.length).toBeGreaterThan(30_000);
    const got = await applyRules(values, {
      u: 'upper(js_trim(v))',
      reason: `CASE WHEN NOT upn_shape_ok(upper(js_trim(v))) THEN 'invalid_upn'
        WHEN NOT upn_ok(upper(js_trim(v)), upn_digits(upper(js_trim(v))), upn_last(upper(js_trim(v)))) THEN 'bad_upn_check_letter' END`,
      masked: 'q_upn(upper(js_trim(v)))',
    });
    let valid = 0;
    let letters = 0;
    values.forEach((v, i) => {
      const want = upnReason(v);
      expect(got[i]!.reason ?? null, JSON.stringify(v)).toBe(want);
      expect(got[i]!.masked, JSON.stringify(v)).toBe('*'.repeat(Math.min(v.trim().toUpperCase().length, 13)));
      if (want === null) valid++;
      if (want === 'bad_upn_check_letter') letters++;
    });
    // The corpus exercises each outcome.
    expect(valid).toBeGreaterThan(10_000);
    expect(letters).toBeGreaterThan(1000);
  });

  it('URN, LAESTAB, NC year and free-school-meal flag', async () => {
    const urns = corpus(Array.from({ length: 1000 }, () => String(100000 + int(900000))));
    const laestabs = corpus(
      Array.from({ length: 1000 }, () => {
        const la = String(201 + int(738));
        const est = String(1000 + int(9000));
        return pick([`${la}${est}`, `${la}/${est}`, `${la}-${est}`, `${la} ${est}`, `${la} / ${est}`, `${la}\u00a0${est}`, `${la}//${est}`]);
      }),
    );
    const years = corpus(['N1', 'N2', 'R', 'X', 'Reception', ...Array.from({ length: 14 }, (_, i) => String(i + 1)), ...Array.from({ length: 14 }, (_, i) => `Year ${i + 1}`), 'Y7', 'Y07', 'Year07', '07', '00', '010', 'YEAR', 'Y', '15', 'year\u00a05']);
    const flags = corpus(['Y', 'N', 'Yes', 'No', 'true', 'false', 'T', 'F', '1', '0', 'TRUE', 'yes ', 'maybe', '2', '']);
    const values = [...urns, ...laestabs, ...years, ...flags];
    const got = await applyRules(values, {
      urn: `CASE WHEN urn_ok(js_trim(v)) THEN js_trim(v) END`,
      laestab: 'laestab_norm(js_trim(v))',
      ncyear: 'nc_year(upper(js_trim(v)))',
      flag: 'flag(lower(js_trim(v)))',
    });
    values.forEach((v, i) => {
      const g = got[i]!;
      expect(g.urn ?? null, JSON.stringify(v)).toBe(jsValue(parseUrn(v)));
      expect(g.laestab ?? null, JSON.stringify(v)).toBe(jsValue(parseLaestab(v)));
      expect(g.ncyear ?? null, JSON.stringify(v)).toBe(jsValue(parseNcYear(v)));
      expect(g.flag ?? null, JSON.stringify(v)).toBe(jsValue(parseFlag(v)));
    });
    expect(values.filter((v) => jsValue(parseLaestab(v)) !== null).length).toBeGreaterThan(1000);
    expect(values.filter((v) => jsValue(parseNcYear(v)) !== null).length).toBeGreaterThan(200);
  });

  it('dates (ISO and d/m/yyyy, impossible days, out of range years) and their academic year', async () => {
    const seeds: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const y = 1890 + int(330);
      const m = int(14);
      const d = int(33);
      const p2 = (n: number) => String(n).padStart(2, '0');
      seeds.push(pick([`${y}-${p2(m)}-${p2(d)}`, `${d}/${m}/${y}`, `${p2(d)}/${p2(m)}/${y}`, `${y}-${m}-${d}`, `${d}.${m}.${y}`, `${y}/${p2(m)}/${p2(d)}`]));
    }
    const values = corpus([...seeds, '2024-02-29', '2023-02-29', '29/02/2000', '29/02/1900', '31/04/2025', '2200-12-31', '2201-01-01', '1900-01-01', '1899-12-31']);
    const got = await applyRules(values, {
      shape: 'date_ymd(js_trim(v)) IS NOT NULL',
      day: `CASE WHEN ymd_ok(date_ymd(js_trim(v))[1], date_ymd(js_trim(v))[2], date_ymd(js_trim(v))[3]) THEN
        CAST(make_date(date_ymd(js_trim(v))[1], date_ymd(js_trim(v))[2], date_ymd(js_trim(v))[3]) AS VARCHAR) END`,
      year: `CASE WHEN ymd_ok(date_ymd(js_trim(v))[1], date_ymd(js_trim(v))[2], date_ymd(js_trim(v))[3]) THEN
        academic_year(make_date(date_ymd(js_trim(v))[1], date_ymd(js_trim(v))[2], date_ymd(js_trim(v))[3])) END`,
    });
    let days = 0;
    values.forEach((v, i) => {
      const want = parseDate(v);
      const g = got[i]!;
      if (isRejection(want)) {
        expect(g.day ?? null, JSON.stringify(v)).toBeNull();
        expect(g.shape, JSON.stringify(v)).toBe(want.message === 'no such calendar date');
      } else {
        days++;
        const iso = new Date(want * 86_400_000).toISOString().slice(0, 10);
        expect(g.day, JSON.stringify(v)).toBe(iso);
        const d = new Date(want * 86_400_000);
        const start = d.getUTCMonth() >= 8 ? d.getUTCFullYear() : d.getUTCFullYear() - 1;
        expect(g.year).toBe(`${start}-${String((start + 1) % 100).padStart(2, '0')}`);
      }
    });
    expect(days).toBeGreaterThan(1000);
  });

  it('channels, LA-list phases, GIAS phases and statuses, from every word the rules know and junk', async () => {
    const words = (list: [string, string][]) =>
      list.flatMap(([re]) => re.split('|').flatMap((w) => (w.includes('[') ? [w.replace(/\[[^\]]*\]\??/g, ''), w.replace(/\[([^\]])[^\]]*\]\??/g, '$1'), w.replace(/\[[^\]]*\]\??/g, '-')] : [w])));
    const channels = corpus([...words(CHANNEL_WORDS), 'Phone Call', 'E-Mail', 'Drop In', 'carrier pigeon']);
    const phases = corpus([...words(PHASE_WORDS), ...words(GIAS_PHASE_WORDS), 'Primary School', 'University', '16 Plus', 'Not Applicable']);
    const statuses = corpus([...words(STATUS_WORDS), 'Open, but proposed to close', 'Open but proposed to close', 'Closed ']);
    const types = ['Community school', 'Community special school', 'Foundation special school', 'Non-maintained special school', 'Special post 16 institution', 'Pupil referral unit', 'Academy alternative provision converter', 'Academy converter', 'Specialist school', 'SPECIAL'];
    const giasTypes = phases.map(() => pick([...types, junk(8)]));
    const values = [...channels, ...phases, ...statuses];
    const got = await applyRules(values, { channel: 'channel(lower(js_trim(v)))', phase: 'phase(lower(js_trim(v)))', status: 'gias_status(lower(js_trim(v)))' });
    values.forEach((v, i) => {
      expect(got[i]!.channel, JSON.stringify(v)).toBe(parseChannel(v));
      expect(got[i]!.phase ?? null, JSON.stringify(v)).toBe(jsValue(parsePhase(v)));
      expect(got[i]!.status ?? null, JSON.stringify(v)).toBe(jsValue(parseStatus(v)));
    });
    const gias = await applyRules(phases, { phase: 'gias_phase(lower(js_trim(v)), lower(js_trim(w)))' }, { second: giasTypes });
    phases.forEach((p, i) => expect(gias[i]!.phase ?? null, `${JSON.stringify(p)} ${giasTypes[i]}`).toBe(jsValue(parseGiasPhase(p.trim(), giasTypes[i]!))));
    expect(values.filter((v) => parseChannel(v) !== 'other').length).toBeGreaterThan(100);
  });

  it('GSS and OAC codes, nations, numbers, trimming and postcodes', async () => {
    const gss = corpus(['E05000001', 'W01000001', 'S12000033', 'N00000001', 'L99999999', 'E99999999', 'M99999999', 'e05000001', 'X12345678', 'E0500000', '1A1', '9z9', '2b3', 'Z9']);
    const numbers = corpus(['1', '12', '33755', '0', '-3', '51.102836', '-0.419853', '99.999999', '1e3', '1E-2', '+5', '.5', '5.', '.', '1_000', '0x10', 'Infinity', '1e400', 'NaN', '12.0', '00012']);
    const postcodes = corpus(['KT1 1AA', 'EC1A 1BB', 'W1A 0AX', 'M1 1AE', 'B33 8TH', 'CR2 6XH', 'DN55 1PT', 'GIR 0AA', 'KT11AA', 'kt1  1aa', 'KT1-1AA', 'KT1 1A', 'ZZ99 9ZZ']);
    const values = [...gss, ...numbers, ...postcodes];
    const got = await applyRules(values, {
      trimmed: 'js_trim(v)',
      code: 'gss_code(js_trim(v))',
      oac: 'gss_code(upper(js_trim(v)))',
      nation: 'nation(js_trim(v))',
      number: `CASE WHEN isfinite(js_number(js_trim(v))) THEN js_number(js_trim(v)) END`,
      postcode: 'pc_norm(v)',
    });
    values.forEach((v, i) => {
      const g = got[i]!;
      expect(g.trimmed, JSON.stringify(v)).toBe(v.trim());
      expect(g.code ?? null, JSON.stringify(v)).toBe(code(v));
      expect(g.oac ?? null, JSON.stringify(v)).toBe(oacCode(v));
      const t = v.trim();
      expect(g.nation ?? null, JSON.stringify(v)).toBe(/^[EWSNLM]\d{8}$/.test(t) ? t[0] : null);
      // JavaScript's Number() also reads hexadecimal, binary and octal (0x10 = 16): no NSPL rank or coordinate is written so.
      if (!/^[+-]?0[xob]/i.test(t)) expect(g.number ?? null, JSON.stringify(v)).toBe(num(v));
      expect(g.postcode ?? null, JSON.stringify(v)).toBe(referencePostcode(v));
    });
  });

  it('pseudonyms: HMAC-SHA256 in SQL is Node’s createHmac for keys of 32, 48, 64 and 100 bytes', async () => {
    const upns = Array.from({ length: 2000 }, () => validUpn());
    for (const len of [32, 48, 64, 100]) {
      const key = Buffer.from(Array.from({ length: len }, () => int(256)));
      const got = await applyRules(upns, { id: hmacSql('v') }, { key });
      const want = makePseudonymiser(key);
      upns.forEach((u, i) => expect(got[i]!.id).toBe(want(u)));
    }
  });
});
