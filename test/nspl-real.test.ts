/**
 * Real National Statistics Postcode Lookup extracts (../shared/data/nspl): live and terminated
 * postcodes, in lower-case and unspaced variants, classify to the NSPL's own oac11 and ward.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SCHOOLS, duck, publishedTable, removeDir, runLocal, tempDir, upn, writeFiles } from './helpers/fixtures.ts';
import { realPostcode } from './helpers/real-inputs.ts';

const NSPL_DIR = resolve(import.meta.dirname, '../../shared/data/nspl');
const FILES = ['NSPL_NOV_2021_UK_SR.csv', 'NSPL_NOV_2021_UK_DT.csv', 'NSPL_NOV_2021_UK_SM.csv'];
const present = FILES.every((f) => existsSync(join(NSPL_DIR, f)));
if (!present) throw new Error(`the real NSPL extracts are missing: ${NSPL_DIR} (it sits beside the checkout)`);

interface NsplRow {
  pcds: string;
  file?: string;
  doterm: string;
  oac11: string;
  ward: string;
}

const schoolOf = (r: NsplRow) => (r.file!.includes('_SR') ? '100001' : r.file!.includes('_DT') ? '100002' : '100003');

describe('real NSPL extracts', () => {
  let input: string;
  let out: string;
  const chosen: { variant: string; row: NsplRow }[] = [];

  beforeAll(async () => {
    input = tempDir();
    out = tempDir();
    mkdirSync(join(input, 'classification'), { recursive: true });
    for (const f of FILES) copyFileSync(join(NSPL_DIR, f), join(input, 'classification', f));
    // Every 37th classified postcode of each file, live and terminated, in three spellings.
    for (const f of FILES) {
      const rows = (parse(readFileSync(join(NSPL_DIR, f)), { columns: true }) as NsplRow[]).map((r) => ({ ...r, file: f }));
      const classified = rows.filter((r) => r.oac11 !== '');
      classified.forEach((row, i) => {
        if (i % 37 !== 0) return;
        const variant = i % 3 === 0 ? row.pcds.toLowerCase() : i % 3 === 1 ? row.pcds.replace(' ', '') : row.pcds;
        chosen.push({ variant, row });
      });
    }
    // Three schools: the pupils of each NSPL file go to their own school (100001 SR, 100002 DT, 100003 SM).
    const pupils = ['upn,urn,postcode,ncyear,fsm', ...chosen.map((c, i) => `${upn(i + 1)},${schoolOf(c.row)},${c.variant},5,N`)].join('\n');
    writeFiles(input, { 'schools/schools.csv': `${SCHOOLS}100003,Sutton Green School,Primary,South,${realPostcode('SM', 'live')}\n`, 'pupils/pupils_2025-26.csv': pupils });
    const m = await runLocal(input, out);
    expect(m.status).toBe('succeeded');
  }, 120_000);
  afterAll(() => [input, out].forEach(removeDir));

  it('picks both live and terminated postcodes and all three spellings', () => {
    expect(chosen.filter((c) => c.row.doterm !== '').length).toBeGreaterThan(50);
    expect(chosen.filter((c) => c.row.doterm === '').length).toBeGreaterThan(50);
    expect(chosen.some((c) => c.variant === c.variant.toLowerCase())).toBe(true);
    expect(chosen.some((c) => !c.variant.includes(' '))).toBe(true);
  });

  it('gives each pupil the NSPL oac11 and ward of its postcode, and terminated status where terminated', async () => {
    const rows = await duck<{ pupil_id: string; subgroup: string; ward: string | null; match_status: string; n: number }>(
      `SELECT e.subgroup, e.ward, e.match_status, p.postcode
       FROM read_parquet('${out}/curated/enriched_pupils/**/*.parquet') e
       JOIN read_parquet('${out}/curated/pupils/**/*.parquet') p USING (pupil_id)`,
    );
    const byPostcode = new Map(rows.map((r) => [(r as unknown as { postcode: string }).postcode, r]));
    expect(byPostcode.size).toBe(chosen.length);
    for (const { row } of chosen) {
      const got = byPostcode.get(row.pcds);
      expect(got, row.pcds).toBeDefined();
      expect(got!.subgroup).toBe(row.oac11);
      expect(got!.ward).toBe(/^[A-Z]99999999$/.test(row.ward) || row.ward === '' ? null : row.ward);
      expect(got!.match_status).toBe(row.doterm ? 'terminated' : 'exact');
    }
  });

  it('builds the 2011 OAC hierarchy from the built-in names', async () => {
    const seg = await duck(`SELECT * EXCLUDE (vintage) FROM read_parquet('${out}/curated/segments/**/*.parquet') WHERE subgroup_code = '7C3'`);
    expect(seg).toEqual([
      {
        subgroup_code: '7C3',
        subgroup_name: expect.any(String),
        group_code: '7C',
        group_name: expect.any(String),
        supergroup_code: '7',
        supergroup_name: 'Constrained city dwellers',
        description: null,
        classification: 'oac11',
      },
    ]);
    const names = parse(readFileSync(resolve(NSPL_DIR, '../oac11_names.csv')), { columns: true }) as Record<string, string>[];
    const official = names.find((n) => n.OAC11 === '7C3')!;
    expect(seg[0]).toMatchObject({ subgroup_name: official.Subgroup, group_name: official.Group });
  });

  it('records the vintage from the NSPL file name', async () => {
    const m = JSON.parse(readFileSync(join(out, 'manifests/latest.json'), 'utf8'));
    expect(m.classification).toMatchObject({ layout: 'nspl', vintage: '2021-11', edition: 'oac11', from: 'oac11', imdEdition: 'imd2019', imdColumn: 'imd' });
    expect(m.datasets.classification.read).toBe(m.datasets.classification.accepted + m.datasets.classification.quarantined);
  });

  it('every profile row sums to its school total and two schools match a hand-computed profile', async () => {
    const profile = await duck<{ urn: string; level: string; segment: string; n: number; pct: number; base_n: number; index: number }>(
      `SELECT urn, level, segment, n, pct, base_n, index FROM ${publishedTable(out, 'school_profile')}`,
    );
    const context = await duck<{ urn: string; classified: number }>(`SELECT urn, classified FROM ${publishedTable(out, 'school_context')}`);
    for (const { urn, classified } of context) {
      for (const level of ['supergroup', 'group', 'subgroup']) {
        const rows = profile.filter((r) => r.urn === urn && r.level === level);
        expect(rows.reduce((a, r) => a + r.n, 0), `${urn} ${level}`).toBe(classified);
        expect(rows.reduce((a, r) => a + r.pct, 0)).toBeCloseTo(100, 9);
      }
    }
    // By hand from the NSPL rows: supergroup = first character of oac11; the base is all three schools.
    const count = (rows: { row: NsplRow }[]) => {
      const m = new Map<string, number>();
      for (const { row } of rows) m.set(row.oac11[0], (m.get(row.oac11[0]) ?? 0) + 1);
      return m;
    };
    const base = count(chosen);
    for (const urn of ['100001', '100002']) {
      const mine = count(chosen.filter((c) => schoolOf(c.row) === urn));
      const n = [...mine.values()].reduce((a, b) => a + b, 0);
      for (const [segment, B] of base) {
        const O = mine.get(segment) ?? 0;
        const row = profile.find((r) => r.urn === urn && r.level === 'supergroup' && r.segment === segment)!;
        expect(row, `${urn} ${segment}`).toBeDefined();
        expect(row.n).toBe(O);
        expect(row.base_n).toBe(B);
        expect(row.pct).toBeCloseTo((100 * O) / n, 9);
        expect(row.index).toBeCloseTo((100 * (O / n)) / (B / chosen.length), 9);
      }
    }
  });
});
