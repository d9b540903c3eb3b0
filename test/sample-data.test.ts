import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { isValid } from 'postcode';
import { generateSample, expectedFiles, CLUSTERS_FILE, GIAS_FILE, NSPL_FILE, NSPL_FILES, type GenerateResult } from '../sample-data/generate.ts';
import { planSchools, SCALE_PARAMS } from '../sample-data/plan.ts';
import { Rng } from '../sample-data/random.ts';
import { isValidUpn, upnCheckLetter } from '../functions/domain/upn.ts';
import { OAC11_NAMES } from '../schemas/oac11.ts';
import { OAC21_NAMES } from '../schemas/oac21.ts';
import { GIAS_HEADER, NSPL_HEADERS } from '../schemas/published-headers.ts';
import { ingest } from '../functions/ingest/ingest-stage.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { TEST_KEY } from './helpers/fixtures.ts';
import { referencePostcode } from './helpers/js-validators.ts';

const REAL_NSPL = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/data/nspl/NSPL_NOV_2021_UK_SR.csv');

type Row = Record<string, string>;
const readCsv = (path: string): Row[] => parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as Row[];
const normalise = (raw: string): string | null => referencePostcode(raw);
/** OAC 2021 supergroups the sample's affluent 2011 types map to (Retired Professionals; Suburbanites and Peri-Urbanites). */
const AFFLUENT = new Set(['1', '2']);
/** The quoting of a line: which fields are quoted (split on commas outside quotes is enough here: no field holds one). */
const quoting = (line: string) => line.split(',').map((v) => v.startsWith('"'));

describe('upnCheckLetter / isValidUpn', () => {
  it('matches hand-worked examples', () => {
    // 1*2 + 2*3 + 3*4 + 4*5 + 5*6 + 6*7 + 7*8 + 8*9 + 9*10 + 0*11 + 1*12 + 2*13 = 368; 368 mod 23 = 0 -> A
    expect(upnCheckLetter('123456789012')).toBe('A');
    // only character 13 is non-zero: 1*13 = 13 -> 14th letter of ABCDEFGHJKLMNPQRTUVWXYZ = P
    expect(upnCheckLetter('000000000001')).toBe('P');
    // temporary UPN: Z has value 22, 22*13 = 286; 286 mod 23 = 10 -> L
    expect(upnCheckLetter('00000000000Z')).toBe('L');
    // 8*2 + 8*3 + 6*4 + 2*5 + 0*6 + 1*7 + 7*8 + 2*9 + 4*10 + 0*11 + 0*12 + 1*13 = 208; 208 mod 23 = 1 -> B
    expect(upnCheckLetter('886201724001')).toBe('B');
  });

  it('validates whole UPNs', () => {
    expect(isValidUpn('A123456789012')).toBe(true);
    expect(isValidUpn('b886201724001')).toBe(true);
    expect(isValidUpn(' L00000000000Z ')).toBe(true);
    expect(isValidUpn('C123456789012')).toBe(false); // wrong check letter
    expect(isValidUpn('I123456789012')).toBe(false); // I is never a check letter
    expect(isValidUpn('A12345678901')).toBe(false); // too short
    expect(isValidUpn('A00000000000O')).toBe(false); // O is not in the UPN alphabet
    expect(() => upnCheckLetter('12345')).toThrow();
  });
});

describe('seeded random', () => {
  it('repeats for a seed and differs between seeds and forks', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    expect(new Rng(43).u32()).not.toBe(xs[0]);
    expect(new Rng(42).fork('x').u32()).not.toBe(new Rng(42).fork('y').u32());
  });
});

describe('school plan', () => {
  it('has the Kent-scale counts by phase and 23 clusters', () => {
    const plan = planSchools('kent');
    const byPhase = (p: string) => plan.filter((s) => s.phase === p).length;
    expect(plan).toHaveLength(580);
    expect(byPhase('primary')).toBe(452);
    expect(byPhase('secondary')).toBe(104);
    expect(byPhase('special')).toBe(24);
    expect(new Set(plan.map((s) => s.clusterName)).size).toBe(23);
    expect(new Set(plan.map((s) => s.urn)).size).toBe(580);
    expect(plan.every((s) => /^\d{6}$/.test(s.urn))).toBe(true);
    const expected = plan.reduce((t, s) => t + s.expected, 0);
    expect(Math.abs(expected - SCALE_PARAMS.kent.pupils) / SCALE_PARAMS.kent.pupils).toBeLessThan(0.01);
  });

  it('is deterministic per seed', () => {
    expect(planSchools('tiny', 7)).toEqual(planSchools('tiny', 7));
    expect(planSchools('tiny', 7).map((s) => s.urn)).not.toEqual(planSchools('tiny', 8).map((s) => s.urn));
  });
});

describe('generateSample (tiny scale, 2026 layouts)', () => {
  let dirA = '';
  let dirB = '';
  let res: GenerateResult;
  let nspl: Map<string, { oac21: string; terminated: boolean }>;
  let schools: Map<string, { phase: string; status: string; urn: string }>;

  beforeAll(async () => {
    dirA = mkdtempSync(join(tmpdir(), 'catchment-sample-a-'));
    dirB = mkdtempSync(join(tmpdir(), 'catchment-sample-b-'));
    res = await generateSample({ out: dirA, scale: 'tiny', seed: 11 });
    await generateSample({ out: dirB, scale: 'tiny', seed: 11 });
    nspl = new Map(readCsv(join(dirA, NSPL_FILE)).map((r) => [r.pcds!, { oac21: r.oac21ind!, terminated: r.doterm !== '' }]));
    // Schools by LAESTAB: the open one where a closed predecessor shares it.
    schools = new Map();
    for (const g of readCsv(join(dirA, GIAS_FILE))) {
      const le = g['LA (code)']! + g.EstablishmentNumber!;
      const phase = /special/i.test(g['TypeOfEstablishment (name)']!) ? 'Special' : g['PhaseOfEducation (name)']!;
      if (!schools.has(le) || g['EstablishmentStatus (name)'] === 'Open') schools.set(le, { phase, status: g['EstablishmentStatus (name)']!, urn: g.URN! });
    }
  });

  afterAll(() => {
    for (const d of [dirA, dirB]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('writes byte-identical files for the same seed', () => {
    const rel = [...expectedFiles('tiny'), 'manifest.json'];
    expect(res.files.map((f) => f.slice(dirA.length + 1)).sort()).toEqual(expectedFiles('tiny').slice().sort());
    for (const f of rel) expect(readFileSync(join(dirB, f)).equals(readFileSync(join(dirA, f))), f).toBe(true);
  });

  it('NSPL in the August 2026 layout: the real header, ONS quoting, real OAC 2021 codes, IMD 2025 ranks, ~8% terminated', () => {
    const lines = readFileSync(join(dirA, NSPL_FILE), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(NSPL_HEADERS['2026-08'].join(','));
    const numeric = new Set(['lat', 'long', 'imd25ind']);
    expect(quoting(lines[1]!)).toEqual(NSPL_HEADERS['2026-08'].map((c) => !numeric.has(c)));
    const codes = new Set(OAC21_NAMES.map((o) => o.code));
    const rows = readCsv(join(dirA, NSPL_FILE));
    const bad = rows.filter((r) => Object.keys(r).length !== 35 || !isValid(r.pcds!) || (r.oac21ind !== '' && !codes.has(r.oac21ind!)) || Number(r.imd25ind) > 33_755);
    expect(bad).toEqual([]);
    expect(new Set(rows.map((r) => r.oac21ind).filter(Boolean)).size).toBeGreaterThan(20);
    const terminated = rows.filter((r) => r.doterm !== '').length;
    expect(rows.length).toBe(SCALE_PARAMS.tiny.postcodes);
    expect(terminated / rows.length).toBeGreaterThan(0.05);
    expect(terminated / rows.length).toBeLessThan(0.11);
  });

  it('schools as a GIAS extract: the real header, every value quoted, closed predecessors and another LA; clusters by LAESTAB', () => {
    const lines = readFileSync(join(dirA, GIAS_FILE), 'utf8').trimEnd().split('\n');
    expect(parse(lines[0]!)[0]).toEqual([...GIAS_HEADER]);
    expect(lines.every((l) => l.startsWith('"') && l.endsWith('"'))).toBe(true);
    const gias = readCsv(join(dirA, GIAS_FILE));
    const own = planSchools('tiny', 11);
    expect(gias.filter((g) => g['EstablishmentStatus (name)'] === 'Open' && own.some((s) => s.urn === g.URN)).length).toBe(own.length);
    expect(gias.filter((g) => g['EstablishmentStatus (name)'] === 'Closed').length).toBe(res.counts.gias_closed_predecessors);
    expect(new Set(gias.map((g) => g['LA (code)'])).size).toBe(2);
    expect(gias.every((g) => g.OpenDate === '' || /^\d{2}-\d{2}-\d{4}$/.test(g.OpenDate!))).toBe(true);
    const clusters = readCsv(join(dirA, CLUSTERS_FILE));
    expect(clusters.length).toBe(own.length);
    expect(clusters.every((c) => schools.has(c.laestab!))).toBe(true);
  });

  it('census extracts keyed by LAESTAB with fictional personal details; valid UPNs except the deliberate defects and duplicates', () => {
    for (const period of SCALE_PARAMS.tiny.years) {
      const rows = readCsv(join(dirA, `pupils/pupils_${period}.csv`));
      expect(Object.keys(rows[0]!)).toEqual(['LAEstab', 'UPN', 'Surname', 'Forename', 'DOB', 'Gender', 'Ethnicity', 'NCyearActual', 'FSMeligible', 'AddressLine1', 'Town', 'PostCode']);
      expect(rows.length).toBe(res.counts[`pupils_${period}`]);
      expect(rows.every((r) => schools.get(r.LAEstab!)?.status === 'Open')).toBe(true);
      expect(rows.every((r) => /^\d{4}-\d{2}-\d{2}$/.test(r.DOB!) && r.Surname !== '' && r.AddressLine1 !== '')).toBe(true);
      const invalid = rows.filter((r) => !isValidUpn(r.UPN!));
      expect(invalid.length).toBe(res.counts[`pupils_${period}:bad_upn`] ?? 0);
      const seen = new Set<string>();
      let dup = 0;
      for (const r of rows) {
        const k = `${r.LAEstab}|${r.UPN}`;
        if (seen.has(k)) dup++;
        seen.add(k);
      }
      expect(dup).toBe(res.counts[`pupils_${period}:duplicate_upn`] ?? 0);
    }
  });

  it('has the announced postcode defects and NC years matching the school phase', () => {
    const years: Record<string, Set<string>> = {
      Primary: new Set(['N1', 'N2', 'R', '1', '2', '3', '4', '5', '6']),
      Secondary: new Set(['7', '8', '9', '10', '11', '12', '13']),
      Special: new Set(['R', 'X', ...Array.from({ length: 14 }, (_, i) => String(i + 1))]),
    };
    const sectors = new Set([...nspl.keys()].map((p) => p.slice(0, -2)));
    for (const g of readCsv(join(dirA, GIAS_FILE)).filter((x) => x['EstablishmentStatus (name)'] === 'Open' && x['LA (code)'] === [...schools.keys()][0]!.slice(0, 3))) {
      const pc = nspl.get(g.Postcode!);
      expect(pc && !pc.terminated).toBeTruthy();
    }
    for (const period of SCALE_PARAMS.tiny.years) {
      const rows = readCsv(join(dirA, `pupils/pupils_${period}.csv`));
      const c = (k: string) => res.counts[`pupils_${period}:${k}`] ?? 0;
      let blank = 0;
      let malformed = 0;
      let unmatchedKnown = 0;
      let unmatchedUnknown = 0;
      let terminated = 0;
      const wrongYear = rows.filter((r) => !years[schools.get(r.LAEstab!)?.phase ?? '']?.has(r.NCyearActual!));
      expect(wrongYear).toEqual([]);
      for (const r of rows) {
        if (r.PostCode === '') blank++;
        else {
          const n = normalise(r.PostCode!);
          if (!n) malformed++;
          else if (!nspl.has(n)) {
            if (sectors.has(n.slice(0, -2))) unmatchedKnown++;
            else unmatchedUnknown++;
          } else if (nspl.get(n)!.terminated) terminated++;
        }
      }
      expect(blank).toBe(c('blank_postcode'));
      expect(malformed).toBe(c('malformed_postcode'));
      expect(unmatchedKnown).toBe(c('unmatched_known_sector'));
      expect(unmatchedUnknown).toBe(c('unmatched_unknown_sector'));
      expect(terminated).toBe(c('terminated_postcode'));
      expect(blank + malformed + unmatchedKnown + unmatchedUnknown + terminated).toBeLessThan(rows.length * 0.03);
    }
  });

  it('keeps most pupils (same UPN) into the second census', () => {
    const [y1, y2] = SCALE_PARAMS.tiny.years.map((p) => readCsv(join(dirA, `pupils/pupils_${p}.csv`)));
    const first = new Set(y1!.map((r) => r.UPN));
    const carried = y2!.filter((r) => first.has(r.UPN)).length;
    expect(carried / y2!.length).toBeGreaterThan(0.75);
  });

  it('over-represents affluent supergroups among contacts relative to Year 5/6 pupils', () => {
    const share = (postcodes: string[]) => {
      let n = 0;
      let aff = 0;
      for (const raw of postcodes) {
        const pc = normalise(raw);
        const oac = pc ? nspl.get(pc)?.oac21 : undefined;
        if (!oac) continue;
        n++;
        if (AFFLUENT.has(oac[0]!)) aff++;
      }
      return aff / n;
    };
    const y56: string[] = [];
    for (const p of SCALE_PARAMS.tiny.years) {
      for (const r of readCsv(join(dirA, `pupils/pupils_${p}.csv`))) {
        if (schools.get(r.LAEstab!)?.phase === 'Primary' && (r.NCyearActual === '5' || r.NCyearActual === '6')) y56.push(r.PostCode!);
      }
    }
    const contacts = readCsv(join(dirA, 'contacts/contacts.csv'));
    expect(contacts.length).toBe(res.counts.contacts);
    const pupilShare = share(y56);
    const contactShare = share(contacts.map((c) => c.postcode!));
    expect(contactShare / pupilShare).toBeGreaterThan(1.2);
    // dates are ISO or dd/mm/yyyy, inside the two academic years
    for (const c of contacts) expect(c.contact_date).toMatch(/^(\d{4}-\d{2}-\d{2}|\d{2}\/\d{2}\/\d{4})$/);
  });

  it('ingest recognises every file of it (NSPL 2026, GIAS, census by LAESTAB) and places every pupil row it does not quarantine', async () => {
    const out = mkdtempSync(join(tmpdir(), 'catchment-sample-out-'));
    try {
      const r = await ingest({ raw: new LocalObjectStore(dirA), lake: new LocalObjectStore(out), runId: 't', period: '2025-26', pseudonymKey: TEST_KEY });
      expect(r.classification!.classification).toMatchObject({ edition: 'oac21', from: 'oac21ind', imdEdition: 'imd2025' });
      expect(r.schools!.files.map((f) => f.layout ?? f.key)).toEqual(['schools/clusters.csv', 'gias']);
      expect(r.pupils!.files.map((f) => f.layout)).toEqual(['census', 'census']);
      expect(Object.keys(r.pupils!.quarantinedByReason).sort()).toEqual(['bad_upn_check_letter', 'duplicate_upn']);
      expect(r.pupils!.la).toMatchObject({ source: 'inferred', code: [...schools.keys()][0]!.slice(0, 3) });
      expect(r.pupils!.la!.byLa).toHaveLength(1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('generateSample --layout 2021 (the layout before the 2024 releases, kept as a fixture)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'catchment-sample-2021-'));
    await generateSample({ out: dir, scale: 'tiny', seed: 11, layout: '2021' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('NSPL header and quoting match the real November 2021 file; OAC 2011 codes; a schools list and URN-keyed pupils', () => {
    const real = readFileSync(REAL_NSPL, 'utf8').split('\n', 2);
    const ours = readFileSync(join(dir, NSPL_FILES['2021']), 'utf8').split('\n', 2);
    expect(ours[0]).toBe(real[0]);
    expect(quoting(ours[1]!)).toEqual(quoting(real[1]!));
    const codes = new Set(OAC11_NAMES.map((o) => o.code).filter((c) => c !== '9Z9'));
    expect(readCsv(join(dir, NSPL_FILES['2021'])).every((r) => r.oac11 === '' || codes.has(r.oac11!))).toBe(true);
    expect(expectedFiles('tiny', '2021').every((f) => existsSync(join(dir, f)))).toBe(true);
    expect(readFileSync(join(dir, 'pupils/pupils_2025-26.csv'), 'utf8').split('\n', 1)[0]).toBe('upn,urn,postcode,ncyear,fsm');
  });

  it('ingest reads it as the 2021 layout with OAC 2011 and IMD 2019', async () => {
    const out = mkdtempSync(join(tmpdir(), 'catchment-sample-out-'));
    try {
      const r = await ingest({ raw: new LocalObjectStore(dir), lake: new LocalObjectStore(out), runId: 't', period: '2025-26', pseudonymKey: TEST_KEY });
      expect(r.classification!.classification).toMatchObject({ edition: 'oac11', from: 'oac11', imdEdition: 'imd2019', imdColumn: 'imd' });
      expect(r.classification!.vintage).toBe('2021-11');
      expect(r.schools!.files.map((f) => f.layout)).toEqual(['schools']);
      expect(r.pupils!.files[0]!.columns).toMatchObject({ urn: 'urn' });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
