/**
 * The files an LA holds, in their own layouts, end to end: the NSPL of four releases (real header
 * rows of November 2021, August 2024, August 2025 and August 2026 over the real rows of
 * ../shared/data/nspl), a GIAS extract (one of them saved as Windows-1252), and census extracts
 * keyed by LAESTAB that carry pupils' names, dates of birth and addresses. Each release is run
 * into the same output folder in turn, as an LA moving from one release to the next would.
 *
 * Checked after each run: per-school segment counts equal an independent join of the pupils'
 * postcodes to the NSPL rows done here; English IMD deciles equal ceil(rank * 10 / LSOAs) with the
 * edition's LSOA count, and Welsh and Scottish postcodes get none; every table and document says
 * which edition it uses and none mixes two; no name, date of birth or UPN reaches any output file,
 * quarantine file, manifest or the CLI's stdout and stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { referencePostcode } from './helpers/js-validators.ts';
import { IMD_EDITIONS, type ImdEdition } from '../schemas/editions.ts';
import type { NsplRelease } from '../schemas/published-headers.ts';
import { duck, publishedPath, publishedTable, removeDir, runLocal, tempDir, upn, writeFiles } from './helpers/fixtures.ts';
import { pdfText } from './pdf/poppler.ts';
import { leaks, outputTexts, secretsFound } from './helpers/leaks.ts';
import { allGroupPortraits, allPortraits } from '../functions/pdf/pen-portraits.ts';
import { generateSample } from '../sample-data/generate.ts';
import { parse } from 'csv-parse/sync';
import { censusCsv, cp1252, giasCsv, nsplCsv, oac21Of, realNsplRows, realPostcode, type CensusPupil, type GiasSchool, type NsplRow } from './helpers/real-inputs.ts';

const BIN = resolve(import.meta.dirname, '../bin/catchment.js');

interface Release {
  release: NsplRelease;
  file: string;
  edition: 'oac11' | 'oac21';
  imd: ImdEdition;
  imdColumn: string;
  /** Save the GIAS extract as Windows-1252 (an Excel "CSV" export). */
  cp1252: boolean;
}

const RELEASES: Release[] = [
  { release: '2021-11', file: 'NSPL_NOV_2021_UK.csv', edition: 'oac11', imd: 'imd2019', imdColumn: 'imd', cp1252: false },
  { release: '2024-08', file: 'NSPL21_AUG_2024_UK.csv', edition: 'oac11', imd: 'imd2019', imdColumn: 'imd', cp1252: false },
  { release: '2025-08', file: 'NSPL_AUG_2025_UK.csv', edition: 'oac11', imd: 'imd2019', imdColumn: 'imd20ind', cp1252: true },
  { release: '2026-08', file: 'NSPL_AUG_2026_UK.csv', edition: 'oac21', imd: 'imd2025', imdColumn: 'imd25ind', cp1252: false },
];

const SCHOOL_OF: Record<string, { urn: string; laestab: string }> = {
  SR: { urn: '100001', laestab: '8862001' },
  DT: { urn: '100002', laestab: '8862002' },
  SM: { urn: '100003', laestab: '8862003' },
};

// Real postcodes of the three extracts (a terminated one among them), read from ../shared/data.
const SR_TERMINATED = realPostcode('SR', 'terminated');
const DT_LIVE = realPostcode('DT', 'live', 2);
const SM_LIVE = realPostcode('SM', 'live');
const SM_TERMINATED = realPostcode('SM', 'terminated');

const GIAS: GiasSchool[] = [
  { urn: '100001', la: '886', estab: '2001', name: 'St Mary\u2019s Church of England Primary School', status: 'Open', phase: 'Primary', type: 'Voluntary aided school', postcode: SR_TERMINATED, district: 'Sunderland' },
  { urn: '100002', la: '886', estab: '2002', name: '\u00c9cole Caf\u00e9 Primary Academy', status: 'Open', phase: 'Primary', type: 'Academy converter', postcode: DT_LIVE, district: 'Dorset' },
  // Its closed predecessor shares the LAESTAB: pupils keyed by 8862002 belong to the open academy.
  { urn: '100010', la: '886', estab: '2002', name: 'Cafe Primary School', status: 'Closed', phase: 'Primary', type: 'Community school', postcode: DT_LIVE },
  { urn: '100003', la: '886', estab: '2003', name: 'Sutton Green School', status: 'Open, but proposed to close', phase: 'Primary', type: 'Community school', postcode: SM_LIVE, district: 'Sutton' },
  // A neighbouring LA's special school: in the extract, attended by none of these pupils.
  { urn: '100020', la: '887', estab: '7001', name: 'Border Special School', status: 'Open', phase: 'Not applicable', type: 'Community special school', postcode: SM_TERMINATED },
];

const NC = ['5', '6', '5', '6', 'R', '3', 'X', '5'];
const FSM = ['true', 'false', 'Yes', 'No', '1', '0', 'Y', 'N'];

interface Fixture {
  rows: NsplRow[];
  pupils: (CensusPupil & { row: NsplRow })[];
  quarantinedPupils: CensusPupil[];
}

/** Every 23rd classified real postcode (live and terminated), spelled three ways; two made Welsh and Scottish. */
function fixture(): Fixture {
  const rows = realNsplRows();
  const classified = rows.filter((r) => r.oac11 !== '' && r.imd !== '');
  const chosen = classified.filter((_, i) => i % 23 === 0);
  // Two rows moved across the border (their ranks are then another nation's, never an English decile).
  const wales = chosen[5]!;
  Object.assign(wales, { ctry: 'W92000004', lsoa11: 'W01000001', laua: 'W06000001' });
  const scotland = chosen[9]!;
  Object.assign(scotland, { ctry: 'S92000003', lsoa11: 'S01006514', laua: 'S12000033' });
  const pupils = chosen.map((row, i) => {
    const spelt = i % 3 === 0 ? row.pcds.toLowerCase() : i % 3 === 1 ? row.pcds.replace(' ', '') : row.pcds;
    return {
      row,
      laestab: SCHOOL_OF[row.area]!.laestab,
      upn: upn(5000 + i),
      surname: `Tregothnan${i}q`,
      forename: i === 4 ? 'Zo\u00eb' : `Morwenna${i}q`,
      dob: `${String(1 + (i % 28)).padStart(2, '0')}/0${1 + (i % 9)}/20${10 + (i % 7)}`,
      postcode: spelt,
      ncyear: NC[i % NC.length]!,
      fsm: FSM[i % FSM.length]!,
    };
  });
  const bad = upn(9001);
  const quarantinedPupils: CensusPupil[] = [
    { laestab: '8862001', upn: (bad[0] === 'A' ? 'B' : 'A') + bad.slice(1), surname: 'Quarantinedsurname', forename: 'Quarantinedforename', dob: '29/02/2016', postcode: SR_TERMINATED, ncyear: '5', fsm: 'N' },
    { laestab: '8869999', upn: upn(9002), surname: 'Unknownschoolsurname', forename: 'Unknownschoolforename', dob: '30/01/2015', postcode: SR_TERMINATED, ncyear: '5', fsm: 'N' },
  ];
  return { rows, pupils, quarantinedPupils };
}

const segmentOf = (r: Release, row: NsplRow) => (r.edition === 'oac21' ? oac21Of(row) : row.oac11);

describe('real layouts of 2021, 2024, 2025 and 2026, end to end', () => {
  let input: string;
  let out: string;
  let cwd: string;
  const fx = fixture();
  const contacts = fx.pupils.filter((_, i) => i % 4 === 0);
  const personal = [...fx.pupils, ...fx.quarantinedPupils].flatMap((p) => [p.surname, p.forename, `Middle${p.surname}`, p.dob, `${p.surname} Street`]);
  const upns = [...fx.pupils, ...fx.quarantinedPupils].map((p) => p.upn);

  beforeAll(() => {
    input = tempDir();
    out = tempDir();
    cwd = tempDir();
    const census = censusCsv([...fx.pupils, ...fx.quarantinedPupils]);
    const contactLog = [
      'contact_id,contact_date,postcode,channel',
      ...contacts.flatMap((p, i) => [`A${i},2024-10-0${1 + (i % 9)},${p.row.pcds},helpline`, `B${i},2025-10-0${1 + (i % 9)},${p.row.pcds},email`]),
    ].join('\n');
    writeFiles(input, { 'pupils/pupils_2024-25.csv': census, 'pupils/pupils_2025-26.csv': census, 'contacts/contacts.csv': contactLog });
  });
  afterAll(() => [input, out, cwd].forEach(removeDir));

  for (const r of RELEASES) {
    describe(`NSPL ${r.release} (${r.file})`, () => {
      let stdout = '';
      let stderr = '';
      let manifest: Record<string, any>;

      beforeAll(async () => {
        rmSync(join(input, 'classification'), { recursive: true, force: true });
        rmSync(join(input, 'schools'), { recursive: true, force: true });
        const gias = giasCsv(GIAS);
        writeFiles(input, {
          [`classification/${r.file}`]: nsplCsv(r.release, fx.rows),
          'schools/edubasealldata20250901.csv': r.cp1252 ? cp1252(gias) : gias,
        });
        if (r.release === '2026-08') {
          // The last release through the CLI, as an analyst runs it: its stdout and stderr are checked too.
          const run = spawnSync(process.execPath, [BIN, 'run', '--input', input, '--out', out, '--la-name', 'Testshire', '--period', '2025-26'], { encoding: 'utf8', cwd, timeout: 300_000 });
          stdout = run.stdout;
          stderr = run.stderr;
          expect(run.status, stderr).toBe(0);
        } else {
          const m = await runLocal(input, out, { period: '2025-26' });
          expect(m.status).toBe('succeeded');
        }
        manifest = JSON.parse(readFileSync(join(out, 'manifests/latest.json'), 'utf8'));
      }, 300_000);

      it('recognises the release and records its classification and IMD editions', () => {
        expect(manifest.classification).toMatchObject({ layout: 'nspl', vintage: r.release, edition: r.edition, imdEdition: r.imd, imdColumn: r.imdColumn });
        const files = manifest.datasets.classification.files;
        expect(files[0].layout).toBe('nspl');
        expect(manifest.datasets.schools.files.map((f: { layout: string }) => f.layout)).toEqual(['gias']);
        expect(manifest.datasets.pupils.files.map((f: { layout: string }) => f.layout)).toEqual(['census', 'census']);
        for (const d of Object.values(manifest.datasets) as { read: number; accepted: number; quarantined: number }[]) expect(d.read).toBe(d.accepted + d.quarantined);
      });

      it('reads the GIAS extract as it is (Windows-1252 where saved so), keeping the LA code and status', async () => {
        const f = manifest.datasets.schools.files[0];
        expect(f.encoding).toBe(r.cp1252 ? 'windows-1252' : 'utf-8');
        expect(f.warnings.some((w: string) => /Windows-1252/.test(w))).toBe(r.cp1252);
        const schools = await duck<{ urn: string; name: string; la_code: string; laestab: string; status: string; phase: string }>(
          `SELECT urn, name, la_code, laestab, status, phase FROM read_parquet('${out}/curated/schools/**/*.parquet') ORDER BY urn`,
        );
        expect(schools.map((s) => [s.urn, s.la_code, s.laestab, s.status, s.phase])).toEqual([
          ['100001', '886', '8862001', 'open', 'primary'],
          ['100002', '886', '8862002', 'open', 'primary'],
          ['100003', '886', '8862003', 'open_proposed_to_close', 'primary'],
          ['100010', '886', '8862002', 'closed', 'primary'],
          ['100020', '887', '8877001', 'open', 'special'],
        ]);
        expect(schools[0]!.name).toBe('St Mary\u2019s Church of England Primary School');
        expect(schools[1]!.name).toBe('\u00c9cole Caf\u00e9 Primary Academy');
        const context = await duck<{ urn: string; name: string }>(`SELECT urn, name FROM ${publishedTable(out, 'school_context')} WHERE period = '2025-26' ORDER BY urn`);
        expect(context.map((c) => c.urn)).toEqual(['100001', '100002', '100003']); // the closed school and the other LA's are only in the register
        expect(context[1]!.name).toBe('\u00c9cole Caf\u00e9 Primary Academy');
      });

      it('maps LAESTABs to the open school, infers the LA, and quarantines what it cannot place', async () => {
        expect(manifest.la).toMatchObject({ code: '886', source: 'inferred', pupils: 2 * fx.pupils.length });
        expect(manifest.datasets.pupils.quarantinedByReason).toEqual({ bad_upn_check_letter: 2, unknown_laestab: 2 });
        const q = readFileSync(join(out, 'quarantine/pupils.csv'), 'utf8');
        expect(q).toMatch(/pupils\/pupils_2025-26\.csv,\d+,laestab,8869999,unknown_laestab,/);
        expect(manifest.datasets.pupils.files[0].personalColumns).toEqual([
          'Surname (name)', 'Forename (name)', 'MiddleNames (name)', 'DOB (date of birth)', 'Gender (gender)', 'Ethnicity (ethnicity)', 'AddressLine1 (address)', 'AddressLine2 (address)', 'Town (address)',
        ]);
      });

      it('counts each school’s pupils per segment exactly as an independent join of postcodes to the NSPL rows', async () => {
        const byPostcode = new Map(fx.rows.map((row) => [row.pcds, row]));
        const expected = new Map<string, number>();
        for (const p of fx.pupils) {
          const row = byPostcode.get(referencePostcode(p.postcode)!)!;
          expect(row).toBe(p.row);
          const code = segmentOf(r, row);
          const urn = SCHOOL_OF[row.area]!.urn;
          for (const [level, seg] of [['supergroup', code[0]], ['group', code.slice(0, 2)], ['subgroup', code]] as const) {
            const k = `${urn}|${level}|${seg}`;
            expected.set(k, (expected.get(k) ?? 0) + 1);
          }
        }
        const got = await duck<{ urn: string; level: string; segment: string; n: number; classification: string }>(
          `SELECT urn, level, segment, n, classification FROM ${publishedTable(out, 'school_segment_counts')} WHERE period = '2025-26'`,
        );
        expect(new Map(got.map((g) => [`${g.urn}|${g.level}|${g.segment}`, g.n]))).toEqual(expected);
        expect(new Set(got.map((g) => g.classification))).toEqual(new Set([r.edition]));
      });

      it('puts English postcodes in deciles of the edition’s LSOAs, and Welsh and Scottish ones in none', async () => {
        const lsoas = IMD_EDITIONS[r.imd].lsoas;
        const other = r.imd === 'imd2025' ? IMD_EDITIONS.imd2019.lsoas : IMD_EDITIONS.imd2025.lsoas;
        const expected = new Map<string, number[]>();
        let differs = 0;
        for (const p of fx.pupils) {
          const urn = SCHOOL_OF[p.row.area]!.urn;
          const counts = expected.get(urn) ?? new Array(11).fill(0);
          const rank = Number(p.row.imd);
          const english = p.row.ctry === 'E92000001';
          const decile = english ? Math.ceil((rank * 10) / lsoas) : 0; // slot 0: no English decile
          if (english && decile !== Math.ceil((rank * 10) / other)) differs++;
          counts[decile]++;
          expected.set(urn, counts);
        }
        expect(differs).toBeGreaterThan(0); // the edition's count matters for these ranks
        const ctx = await duck<Record<string, number | string>>(`SELECT * FROM ${publishedTable(out, 'school_context')} WHERE period = '2025-26'`);
        for (const c of ctx) {
          const want = expected.get(String(c.urn))!;
          expect([c.imd_unknown, ...Array.from({ length: 10 }, (_, i) => c[`imd_decile_${i + 1}`])], String(c.urn)).toEqual(want);
          expect(c.imd_edition).toBe(r.imd);
          expect(c.classification).toBe(r.edition);
          expect(c.vintage).toBe(r.release);
        }
        expect([...expected.values()].reduce((a, c) => a + c[0]!, 0)).toBe(2); // the Welsh and the Scottish pupil
      });

      it('says which classification every document and table uses, and never mixes editions', async () => {
        const doc = JSON.parse(readFileSync(publishedPath(out, 'published/profiles/2025-26/100002.json'), 'utf8'));
        expect(doc.classification).toEqual({
          name: r.edition === 'oac21' ? 'ONS Output Area Classification 2021' : 'ONS Output Area Classification 2011',
          vintage: r.release,
          edition: r.edition,
          imd: IMD_EDITIONS[r.imd].name,
        });
        expect(doc.cluster).toBeNull(); // no clusters.csv and no cluster column: the document says so
        const fa = JSON.parse(readFileSync(publishedPath(out, 'published/reports/2025-26/fair-access.json'), 'utf8'));
        expect(fa.classification.edition).toBe(r.edition);
        for (const t of ['school_profile', 'similar_schools', 'fair_access', 'fair_access_trend', 'school_segment_counts', 'school_context']) {
          const editions = await duck<{ period: string; classification: string }>(
            `SELECT DISTINCT period, classification FROM ${publishedTable(out, t)} ORDER BY period`,
          );
          for (const e of editions) expect(e.classification, `${t} ${e.period}`).toBe(r.edition);
        }
        const trend = await duck<{ n: number }>(`SELECT count(*) AS n FROM ${publishedTable(out, 'fair_access_trend')} WHERE previous_period = '2024-25'`);
        expect(trend[0]!.n).toBeGreaterThan(0);
      });

      it('the head’s PDF names the classification and deprivation editions, uses the edition’s pen portraits, and says when there is no cluster', () => {
        const text = pdfText(readFileSync(publishedPath(out, 'published/profiles/2025-26/100002.pdf')), false).replace(/\s+/g, ' ');
        expect(text).toContain(r.edition === 'oac21' ? 'ONS Output Area Classification 2021, postcodes 2026-08' : `ONS Output Area Classification 2011, postcodes ${r.release}`);
        expect(text).toContain(`deprivation deciles from the ${IMD_EDITIONS[r.imd].name} (English postcodes only)`);
        expect(text).toContain('No cluster is recorded for this school');
        const portraits = allPortraits(r.edition);
        expect(portraits.some((p) => text.includes(p.text.slice(0, 50)))).toBe(true);
        const wrong = allPortraits(r.edition === 'oac21' ? 'oac11' : 'oac21');
        expect(wrong.some((p) => text.includes(p.text.slice(0, 50)))).toBe(false);
        if (r.edition === 'oac21') expect(allGroupPortraits('oac21').some((p) => text.includes(p.text.slice(0, 40).replace(/\.$/, '')))).toBe(true);
      });

      it('writes no name, date of birth or UPN to any output, quarantine file, manifest, stdout or stderr', async () => {
        const files = await outputTexts(out);
        expect(files.some((f) => f.path.endsWith('quarantine/pupils.csv'))).toBe(true);
        expect(files.filter((f) => f.path.endsWith('.parquet')).length).toBeGreaterThan(10);
        // The check can fail: the census file itself holds every secret.
        expect(secretsFound([{ path: 'census', text: readFileSync(join(input, 'pupils/pupils_2025-26.csv'), 'utf8') }], [...personal, ...upns])).toEqual(new Set([...personal, ...upns]));
        expect(leaks([...files, { path: 'stdout', text: stdout }, { path: 'stderr', text: stderr }], [...personal, ...upns])).toEqual([]);
        if (r.release === '2026-08') {
          expect(stdout).toMatch(/pupils_2025-26\.csv: census extract, schools by LAESTAB \(NCyearActual, FSMeligible\)/);
          expect(stdout).toMatch(/NSPL \(pcds, usrtypind, wd26cd, lad26cd, oa21cd, lsoa21cd, ctry26cd, oac21ind, imd25ind\)/);
          expect(stdout).toMatch(/classification: ONS Output Area Classification 2021 from oac21ind, postcode lookup 2026-08/);
          expect(stdout).toMatch(/LA: 886, inferred/);
          expect(stdout).toMatch(/more personal data than catchment needs: Surname \(name\)/);
        }
      });
    });
  }
});

describe('the sample county (npm start) in its 2026 layouts', () => {
  let input: string;
  let out: string;
  let cwd: string;
  let stdout = '';
  let stderr = '';
  beforeAll(async () => {
    input = tempDir();
    out = tempDir();
    cwd = tempDir();
    await generateSample({ out: input, scale: 'tiny' });
    const run = spawnSync(process.execPath, [BIN, 'run', '--input', input, '--out', out, '--la-name', 'Tiny'], { encoding: 'utf8', cwd, timeout: 300_000 });
    stdout = run.stdout;
    stderr = run.stderr;
    expect(run.status, stderr).toBe(0);
  }, 300_000);
  afterAll(() => [input, out, cwd].forEach(removeDir));

  it('its census extracts’ fictional names, dates of birth, addresses and UPNs never leave ingest', async () => {
    const secrets = new Set<string>();
    const composed = new Set<string>(); // as a leak into a document would spell a name
    for (const f of readdirSync(join(input, 'pupils'))) {
      for (const p of parse(readFileSync(join(input, 'pupils', f)), { columns: true }) as Record<string, string>[]) {
        composed.add(`${p.Forename} ${p.Surname}`);
        secrets.add(`${p.Surname},${p.Forename}`);
        secrets.add(p.DOB!);
        secrets.add(p.AddressLine1!);
        secrets.add(p.UPN!);
      }
    }
    expect(secrets.size).toBeGreaterThan(10_000);
    const census = readdirSync(join(input, 'pupils')).map((f) => ({ path: f, text: readFileSync(join(input, 'pupils', f), 'utf8') }));
    expect(secretsFound(census, secrets)).toEqual(secrets); // the search finds every secret where it is
    expect(leaks([...(await outputTexts(out)), { path: 'stdout', text: stdout }, { path: 'stderr', text: stderr }], [...secrets, ...composed])).toEqual([]);
    expect(stdout).toMatch(/more personal data than catchment needs: Surname \(name\), Forename \(name\), DOB \(date of birth\)/);
  });
});
