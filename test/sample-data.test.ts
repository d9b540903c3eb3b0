import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { isValid } from 'postcode';
import { generateSample, expectedFiles, NSPL_FILE, type GenerateResult } from '../sample-data/generate.ts';
import { planSchools, SCALE_PARAMS } from '../sample-data/plan.ts';
import { Rng } from '../sample-data/random.ts';
import { isValidUpn, upnCheckLetter } from '../functions/domain/upn.ts';
import { OAC11_NAMES } from '../schemas/oac11.ts';
import { normalisePostcode } from '../functions/domain/postcodes.ts';

const REAL_NSPL = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/data/nspl/NSPL_NOV_2021_UK_SR.csv');

type Row = Record<string, string>;
const readCsv = (path: string): Row[] => parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as Row[];
const normalise = (raw: string): string | null => normalisePostcode(raw)?.postcode ?? null;
const AFFLUENT = new Set(['1', '2', '5', '6']);

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

describe('generateSample (tiny scale)', () => {
  let dirA = '';
  let dirB = '';
  let res: GenerateResult;
  let nspl: Map<string, { oac11: string; terminated: boolean }>;

  beforeAll(async () => {
    dirA = mkdtempSync(join(tmpdir(), 'catchment-sample-a-'));
    dirB = mkdtempSync(join(tmpdir(), 'catchment-sample-b-'));
    res = await generateSample({ out: dirA, scale: 'tiny', seed: 11 });
    await generateSample({ out: dirB, scale: 'tiny', seed: 11 });
    nspl = new Map();
    const lines = readFileSync(join(dirA, NSPL_FILE), 'utf8').trimEnd().split('\n');
    for (const line of lines.slice(1)) {
      const f = line.split(',').map((v) => v.replace(/^"|"$/g, ''));
      nspl.set(f[2]!, { oac11: f[32]!, terminated: f[4] !== '' });
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

  it('NSPL header and quoting match the real file', () => {
    const real = readFileSync(REAL_NSPL, 'utf8').split('\n', 2);
    const ours = readFileSync(join(dirA, NSPL_FILE), 'utf8').split('\n', 2);
    expect(ours[0]).toBe(real[0]);
    const quoting = (line: string) => line.split(',').map((v) => v.startsWith('"'));
    expect(quoting(ours[1]!)).toEqual(quoting(real[1]!));
  });

  it('has a plausible NSPL extract: 41 columns, valid postcodes, OAC codes, ~8% terminated', () => {
    const lines = readFileSync(join(dirA, NSPL_FILE), 'utf8').trimEnd().split('\n');
    const codes = new Set(OAC11_NAMES.map((o) => o.code).filter((c) => c !== '9Z9'));
    let terminated = 0;
    const bad: string[] = [];
    for (const line of lines.slice(1)) {
      const f = line.split(',').map((v) => v.replace(/^"|"$/g, ''));
      if (f.length !== 41 || !isValid(f[2]!) || (f[32] !== '' && !codes.has(f[32]!))) bad.push(line);
      if (f[4] !== '') terminated++;
    }
    expect(bad).toEqual([]);
    expect(lines.length - 1).toBe(SCALE_PARAMS.tiny.postcodes);
    expect(nspl.size).toBe(SCALE_PARAMS.tiny.postcodes);
    expect(terminated / nspl.size).toBeGreaterThan(0.05);
    expect(terminated / nspl.size).toBeLessThan(0.11);
  });

  it('has valid UPNs except the deliberate defects, and the deliberate duplicates', () => {
    for (const period of SCALE_PARAMS.tiny.years) {
      const rows = readCsv(join(dirA, `pupils/pupils_${period}.csv`));
      expect(rows.length).toBe(res.counts[`pupils_${period}`]);
      const invalid = rows.filter((r) => !isValidUpn(r.upn!));
      expect(invalid.length).toBe(res.counts[`pupils_${period}:bad_upn`] ?? 0);
      const seen = new Set<string>();
      let dup = 0;
      for (const r of rows) {
        const k = `${r.urn}|${r.upn}`;
        if (seen.has(k)) dup++;
        seen.add(k);
      }
      expect(dup).toBe(res.counts[`pupils_${period}:duplicate_upn`] ?? 0);
    }
  });

  it('has the announced postcode defects and NC years matching the school phase', () => {
    const schools = new Map(readCsv(join(dirA, 'schools/schools.csv')).map((s) => [s.urn!, s]));
    const years: Record<string, Set<string>> = {
      Primary: new Set(['N1', 'N2', 'R', '1', '2', '3', '4', '5', '6']),
      Secondary: new Set(['7', '8', '9', '10', '11', '12', '13']),
      Special: new Set(['R', ...Array.from({ length: 14 }, (_, i) => String(i + 1))]),
    };
    const sectors = new Set([...nspl.keys()].map((p) => p.slice(0, -2)));
    for (const s of schools.values()) {
      const pc = nspl.get(s.postcode!);
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
      const wrongYear = rows.filter((r) => !years[schools.get(r.urn!)?.phase ?? '']?.has(r.ncyear!));
      expect(wrongYear).toEqual([]);
      for (const r of rows) {
        if (r.postcode === '') blank++;
        else {
          const n = normalise(r.postcode!);
          if (!n) malformed++;
          else if (!nspl.has(n)) {
            if (sectors.has(n.slice(0, -2))) unmatchedKnown++;
            else unmatchedUnknown++;
          }
          else if (nspl.get(n)!.terminated) terminated++;
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
    const first = new Set(y1!.map((r) => r.upn));
    const carried = y2!.filter((r) => first.has(r.upn)).length;
    expect(carried / y2!.length).toBeGreaterThan(0.75);
  });

  it('over-represents affluent supergroups among contacts relative to Year 5/6 pupils', () => {
    const schools = new Map(readCsv(join(dirA, 'schools/schools.csv')).map((s) => [s.urn!, s.phase!]));
    const share = (postcodes: string[]) => {
      let n = 0;
      let aff = 0;
      for (const raw of postcodes) {
        const pc = normalise(raw);
        const oac = pc ? nspl.get(pc)?.oac11 : undefined;
        if (!oac) continue;
        n++;
        if (AFFLUENT.has(oac[0]!)) aff++;
      }
      return aff / n;
    };
    const y56: string[] = [];
    for (const p of SCALE_PARAMS.tiny.years) {
      for (const r of readCsv(join(dirA, `pupils/pupils_${p}.csv`))) {
        if (schools.get(r.urn!) === 'Primary' && (r.ncyear === '5' || r.ncyear === '6')) y56.push(r.postcode!);
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
});
