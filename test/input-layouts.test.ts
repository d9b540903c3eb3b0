/**
 * Recognising inputs by what they carry (schemas/inputs.ts layouts applied by functions/ingest/
 * header.ts), and the choices ingest makes from them: the OAC edition, the OA-level OAC 2021 join,
 * LAESTABs and the LA, clusters, and what a warm run must not skip.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { recogniseLayout } from '../functions/ingest/header.ts';
import { ingest, type DatasetReport, type IngestOptions } from '../functions/ingest/ingest-stage.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { imdEditionOf } from '../schemas/editions.ts';
import { LAYOUTS } from '../schemas/inputs.ts';
import { GIAS_HEADER, NSPL_HEADERS } from '../schemas/published-headers.ts';
import { TEST_KEY, duck, removeDir, tempDir, upn, writeFiles } from './helpers/fixtures.ts';
import { giasCsv, nsplCsv, oac21Of, realNsplRows, type GiasSchool } from './helpers/real-inputs.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

async function run(files: Record<string, string | Buffer>, opts: Partial<IngestOptions> = {}, into?: { input: string; out: string }) {
  const input = into?.input ?? tempDir();
  const out = into?.out ?? tempDir();
  if (!into) dirs.push(input, out);
  writeFiles(input, files);
  const lake = new LocalObjectStore(out);
  const reports = await ingest({ raw: new LocalObjectStore(input), lake, runId: 'test', period: '2025-26', pseudonymKey: TEST_KEY, ...opts });
  const quarantine = async (d: string) => {
    const q = Buffer.from(await lake.get(`quarantine/${d}.csv`)).toString();
    return q.trim() ? (parse(q, { columns: true }) as Record<string, string>[]) : [];
  };
  return { reports: reports as Record<string, DatasetReport>, out, input, quarantine };
}

describe('the postcode lookup of any release is recognised by its fields', () => {
  const nspl = LAYOUTS.classification;
  it.each([
    ['2021-11', { postcode: 'pcds', ward: 'ward', laua: 'laua', oa11: 'oa11', lsoa: 'lsoa11', ctry: 'ctry', oac11: 'oac11', imd: 'imd', usertype: 'usertype' }],
    ['2024-08', { postcode: 'pcds', ward: 'ward', laua: 'laua', oa21: 'oa21', lsoa: 'lsoa21', ctry: 'ctry', oac11: 'oac11', imd: 'imd', usertype: 'usertype' }],
    ['2025-08', { postcode: 'pcds', ward: 'wd25cd', laua: 'lad25cd', oa21: 'oa21cd', lsoa: 'lsoa21cd', ctry: 'ctry25cd', oac11: 'oac11ind', imd: 'imd20ind', usertype: 'usrtypind' }],
    ['2026-08', { postcode: 'pcds', ward: 'wd26cd', laua: 'lad26cd', oa21: 'oa21cd', lsoa: 'lsoa21cd', ctry: 'ctry26cd', oac21: 'oac21ind', imd: 'imd25ind', usertype: 'usrtypind' }],
  ] as const)('NSPL %s', (release, expected) => {
    const h = recogniseLayout([...NSPL_HEADERS[release]], nspl)!;
    expect(h.layout).toBe('nspl');
    expect(h.source).toMatchObject({ ...expected, doterm: 'doterm', lat: 'lat', long: 'long' });
    expect(release === '2026-08' ? h.index.oac11 : h.index.oac21).toBe(-1);
  });

  it('a release not yet published (lad27cd, wd27cd, imd26ind) by its patterns; the newest year wins', () => {
    const future = NSPL_HEADERS['2026-08'].map((c) => c.replace('26cd', '27cd')).concat(['imd20ind', 'oac11ind']);
    const h = recogniseLayout(future, nspl)!;
    expect(h.source).toMatchObject({ ward: 'wd27cd', laua: 'lad27cd', ctry: 'ctry27cd', imd: 'imd25ind', oac21: 'oac21ind', oac11: 'oac11ind' });
  });

  it('the ONS Postcode Directory too (osward, oslaua; both IMD columns)', () => {
    const onspd = ['pcd7', 'pcd8', 'pcds', 'dointr', 'doterm', 'cty26cd', 'ced25cd', 'lad26cd', 'wd26cd', 'usrtypind', 'oa11cd', 'lsoa11cd', 'oac11ind', 'lat', 'long', 'imd20ind', 'oa21cd', 'lsoa21cd', 'oac21ind', 'imd25ind'];
    expect(recogniseLayout(onspd, nspl)!.source).toMatchObject({ laua: 'lad26cd', lsoa: 'lsoa21cd', imd: 'imd25ind', oa21: 'oa21cd', oa11: 'oa11cd' });
    expect(recogniseLayout(['pcd', 'doterm', 'usertype', 'osward', 'oslaua', 'lat', 'long', 'oac11', 'imd'], nspl)!.source).toMatchObject({ ward: 'osward', laua: 'oslaua', postcode: 'pcd' });
  });

  it('a GIAS extract and a census extract with CBDS names', () => {
    expect(recogniseLayout([...GIAS_HEADER], LAYOUTS.schools)!.layout).toBe('gias');
    const census = recogniseLayout(['LAEstab', 'UPN', 'Surname', 'DOB', 'NCyearActual', 'FSMeligible', 'HomePostcode'], LAYOUTS.pupils)!;
    expect(census.source).toEqual({ laestab: 'LAEstab', upn: 'UPN', ncyear: 'NCyearActual', fsm: 'FSMeligible', postcode: 'HomePostcode' });
    expect(recogniseLayout(['DfE number', 'UPN', 'NC Year', 'FSM', 'Post Code'], LAYOUTS.pupils)!.source.laestab).toBe('DfE number');
    expect(recogniseLayout(['UPN', 'NC Year', 'FSM', 'Post Code'], LAYOUTS.pupils)).toBeNull(); // neither URN nor LAESTAB
  });

  it('the IMD edition follows the column name, or the release for the old imd column', () => {
    expect(imdEditionOf('imd25ind', '2026-08')).toEqual({ edition: 'imd2025', assumed: false });
    expect(imdEditionOf('imd20ind', '2025-08')).toEqual({ edition: 'imd2019', assumed: false });
    expect(imdEditionOf('imd', '2024-08')).toEqual({ edition: 'imd2019', assumed: false });
    expect(imdEditionOf('imd', '2018-05')).toEqual({ edition: 'imd2015', assumed: false });
    expect(imdEditionOf('imd', '2014-02')).toEqual({ edition: 'imd2010', assumed: false });
    expect(imdEditionOf('imd', null)).toEqual({ edition: 'imd2019', assumed: true });
  });
});

const rows = realNsplRows().filter((r) => r.area === 'SR' && r.oac11 !== '').slice(0, 400);

describe('which classification', () => {
  const both = [...NSPL_HEADERS['2026-08'].slice(0, 27), 'oac11ind', ...NSPL_HEADERS['2026-08'].slice(27)];

  it('2021 by default when the lookup carries both, 2011 when asked', async () => {
    const first = await run({ 'classification/NSPL_AUG_2026_UK.csv': nsplCsv(both, rows) }, { datasets: ['classification'] });
    expect(first.reports.classification!.classification).toMatchObject({ edition: 'oac21', from: 'oac21ind', imdEdition: 'imd2025' });
    const seg = await duck<{ segment: string; postcode: string }>(`SELECT segment, postcode FROM read_parquet('${first.out}/curated/postcodes/**/*.parquet')`);
    const want = new Map(rows.map((r) => [r.pcds, oac21Of(r)]));
    expect(seg.every((s) => s.segment === want.get(s.postcode))).toBe(true);
    const asked = await run({ 'classification/NSPL_AUG_2026_UK.csv': nsplCsv(both, rows) }, { datasets: ['classification'], classification: 'oac11' });
    expect(asked.reports.classification!.classification).toMatchObject({ edition: 'oac11', from: 'oac11ind' });
    const names = await duck<{ classification: string; n: number }>(`SELECT classification, count(*) AS n FROM read_parquet('${asked.out}/curated/segments/**/*.parquet') GROUP BY 1`);
    expect(names).toEqual([{ classification: 'oac11', n: 77 }]);
  });

  it('asking for a classification the lookup lacks fails in one line saying what is missing', async () => {
    await expect(run({ 'classification/NSPL_NOV_2021_UK.csv': nsplCsv('2021-11', rows) }, { datasets: ['classification'], classification: 'oac21' })).rejects.toThrow(
      /^--classification oac21: the postcode lookup carries no oac21ind, and there is no OA-level OAC 2021 file/,
    );
    await expect(run({ 'classification/NSPL_AUG_2026_UK.csv': nsplCsv('2026-08', rows) }, { datasets: ['classification'], classification: 'oac11' })).rejects.toThrow(/carries no 2011 OAC column/);
  });

  it('a lookup with 2011 codes only takes OAC 2021 from an OA-level file (GeoDS layout) joined through oa21cd', async () => {
    const oas = [...new Set(rows.map((r) => r.oa11))];
    const code = new Map(rows.map((r) => [r.oa11, oac21Of(r)]));
    // Lower-case codes with stray spaces, as the GeoDS file has them; one unknown code, one repeated OA.
    const oaFile = [
      'oa21cd,supergroup,group,subgroup',
      ...oas.map((oa) => `${oa}, ${code.get(oa)![0]} ,${code.get(oa)!.slice(0, 2).toLowerCase()}, ${code.get(oa)!.toLowerCase()} `),
      'E00999999,9,9z,9z9',
      `${oas[0]},1,1a,1a1`,
    ].join('\n');
    const r = await run({ 'classification/NSPL_AUG_2025_UK.csv': nsplCsv('2025-08', rows), 'classification/oac21_oa.csv': oaFile }, { datasets: ['classification'] });
    expect(r.reports.classification!.classification).toMatchObject({ edition: 'oac21', via: 'oa-file', from: 'classification/oac21_oa.csv', imdEdition: 'imd2019' });
    expect(r.reports.classification!.quarantinedByReason).toEqual({ unknown_segment: 1, duplicate_oa: 1 });
    const seg = await duck<{ segment: string; postcode: string }>(`SELECT segment, postcode FROM read_parquet('${r.out}/curated/postcodes/**/*.parquet')`);
    const want = new Map(rows.map((x) => [x.pcds, oac21Of(x)]));
    expect(seg.length).toBe(rows.length);
    expect(seg.filter((s) => s.segment !== want.get(s.postcode))).toEqual([]);
    const q = await r.quarantine('classification');
    expect(q[0]).toMatchObject({ file: 'classification/oac21_oa.csv', column: 'subgroup', value: '9z9', reason: 'unknown_segment' });
    // The same OA file beside a release that already carries oac21ind is not used, and says so.
    const with26 = await run({ 'classification/NSPL_AUG_2026_UK.csv': nsplCsv('2026-08', rows), 'classification/oac21_oa.csv': oaFile }, { datasets: ['classification'] });
    expect(with26.reports.classification!.files.find((f) => f.key.endsWith('oac21_oa.csv'))!.warnings).toEqual(['not used: the classification comes from the lookup\u2019s oac21ind'.replace('\u2019', "'")]);
  });
});

const SCHOOLS: GiasSchool[] = [
  { urn: '100001', la: '886', estab: '2001', name: 'North Primary', status: 'Open', phase: 'Primary', type: 'Community school', postcode: 'KT1 1AA', district: 'Sunderland' },
  { urn: '100002', la: '886', estab: '2002', name: 'South Academy', status: 'Open', phase: 'Secondary', type: 'Academy converter', postcode: 'KT1 1AB', district: 'Durham' },
  { urn: '100009', la: '886', estab: '2002', name: 'South School', status: 'Closed', phase: 'Secondary', type: 'Community school', postcode: 'KT1 1AB' },
  { urn: '100030', la: '887', estab: '1101', name: 'Over the Border Primary', status: 'Open', phase: 'Primary', type: 'Community school', postcode: 'KT1 1AD', district: 'Elsewhere' },
  { urn: '100040', la: '886', estab: '1100', name: 'Hillside PRU', status: 'Open', phase: 'Not applicable', type: 'Pupil referral unit', postcode: 'KT1 1AD' },
  { urn: '100050', la: '886', estab: '4000', name: 'Sixth Form College', status: 'Open', phase: '16 plus', type: 'Sixth form centres', postcode: 'KT1 1AD' },
];
const census = (...lines: string[]) => ['LAEstab,UPN,Surname,NCyearActual,FSMeligible,PostCode', ...lines.map((l) => `${l},KT1 1AA`)].join('\n') + '\n';

describe('schools from GIAS and pupils by LAESTAB', () => {
  it('maps each LAESTAB to its open school, keeps closed and other-LA schools in the register only, and infers the LA', async () => {
    const r = await run({
      'schools/edubasealldata20260105.csv': giasCsv(SCHOOLS),
      'pupils/pupils_2025-26.csv': census(`8862001,${upn(1)},Smith,5,N`, `886/2002,${upn(2)},Jones,9,Y`, `8871101,${upn(3)},Brown,4,N`, `8860000,${upn(4)},Green,4,N`, `88620,${upn(5)},Grey,4,N`),
    }, { datasets: ['schools', 'pupils'] });
    const pupils = await duck<{ urn: string }>(`SELECT urn FROM read_parquet('${r.out}/curated/pupils/**/*.parquet') ORDER BY urn`);
    expect(pupils.map((p) => p.urn)).toEqual(['100001', '100002', '100030']);
    expect(r.reports.pupils!.la).toEqual({ code: '886', source: 'inferred', pupils: 2, byLa: [{ code: '886', pupils: 2 }, { code: '887', pupils: 1 }] });
    const q = await r.quarantine('pupils');
    expect(q.map((x) => [x.line, x.column, x.value, x.reason])).toEqual([
      ['5', 'laestab', '8860000', 'unknown_laestab'],
      ['6', 'laestab', '88620', 'invalid_laestab'],
    ]);
    const phases = await duck<{ urn: string; phase: string; period: string }>(`SELECT urn, phase, period FROM read_parquet('${r.out}/curated/schools/**/*.parquet', hive_partitioning = true) ORDER BY urn`);
    expect(phases.find((p) => p.urn === '100040')!.phase).toBe('alternative_provision');
    expect(phases.find((p) => p.urn === '100050')!.phase).toBe('sixteen_plus');
    expect(new Set(phases.map((p) => p.period))).toEqual(new Set(['2025-26'])); // from the extract's date in its name
  });

  it('--la-code sets aside pupils at other LAs’ schools, naming the school’s LA', async () => {
    const r = await run(
      { 'schools/edubasealldata20260105.csv': giasCsv(SCHOOLS), 'pupils/pupils_2025-26.csv': census(`8862001,${upn(1)},Smith,5,N`, `8871101,${upn(3)},Brown,4,N`) },
      { datasets: ['schools', 'pupils'], laCode: '886' },
    );
    expect(r.reports.pupils!.la).toMatchObject({ code: '886', source: 'option', pupils: 1 });
    expect((await r.quarantine('pupils')).map((x) => [x.column, x.value, x.reason, x.message])).toEqual([['laestab', '100030', 'outside_la', 'the school is in LA 887, not 886 (--la-code)']]);
    await expect(run({ 'pupils/p.csv': census() }, { datasets: ['pupils'], laCode: '86' })).rejects.toThrow(/--la-code must be a 3-digit LA number/);
  });

  it('a later pupils-only ingest (the AWS upload of one dataset) still resolves LAESTABs from the stored register', async () => {
    const first = await run({ 'schools/edubasealldata20260105.csv': giasCsv(SCHOOLS) }, { datasets: ['schools'] });
    const second = await run({ 'pupils/pupils_2025-26.csv': census(`8862002,${upn(2)},Jones,9,Y`) }, { datasets: ['pupils'] }, { input: first.input, out: first.out });
    expect(second.reports.pupils!.accepted).toBe(1);
    const [p] = await duck<{ urn: string }>(`SELECT urn FROM read_parquet('${first.out}/curated/pupils/**/*.parquet')`);
    expect(p!.urn).toBe('100002');
  });

  it('pupils keyed by LAESTAB with a schools file that has none fail in one line', async () => {
    await expect(
      run({ 'schools/schools.csv': 'urn,name,phase,postcode\n100001,North,Primary,KT1 1AA\n', 'pupils/pupils_2025-26.csv': census(`8862001,${upn(1)},Smith,5,N`) }, { datasets: ['schools', 'pupils'] }),
    ).rejects.toThrow(/^pupils\/pupils_2025-26\.csv line 1: pupils are keyed by LAESTAB \(LAEstab\), but the schools file gives no LAESTABs/);
  });

  it('clusters come from schools/clusters.csv (by LAESTAB or URN), or a column chosen with clusterColumn, or nowhere', async () => {
    const clusters = 'laestab,cluster\n8862001,Coast\n886-2002,Coast\n';
    const a = await run({ 'schools/edubasealldata20260105.csv': giasCsv(SCHOOLS), 'schools/clusters.csv': clusters }, { datasets: ['schools'] });
    const byUrn = async (out: string) => new Map((await duck<{ urn: string; cluster: string | null }>(`SELECT urn, cluster FROM read_parquet('${out}/curated/schools/**/*.parquet')`)).map((s) => [s.urn, s.cluster]));
    expect((await byUrn(a.out)).get('100002')).toBe('Coast');
    expect((await byUrn(a.out)).get('100030')).toBeNull();
    const b = await run({ 'schools/edubasealldata20260105.csv': giasCsv(SCHOOLS) }, { datasets: ['schools'], clusterColumn: 'DistrictAdministrative (name)' });
    expect((await byUrn(b.out)).get('100002')).toBe('Durham');
    expect(b.reports.schools!.files[0]!.columns!.cluster).toBe('DistrictAdministrative (name)');
    const c = await run({ 'schools/edubasealldata20260105.csv': giasCsv(SCHOOLS) }, { datasets: ['schools'] });
    expect([...(await byUrn(c.out)).values()].every((v) => v === null)).toBe(true);
    await expect(run({ 'schools/s.csv': giasCsv(SCHOOLS) }, { datasets: ['schools'], clusterColumn: 'Locality code' })).rejects.toThrow(/--cluster-column "Locality code" is not a column of this file/);
  });

  it('an LA list with a LAESTAB column and no cluster is read too', async () => {
    const r = await run({ 'schools/schools.csv': 'URN,LAESTAB,School name,Phase,Postcode\n100001,8862001,North,Middle deemed primary,KT1 1AA\n' }, { datasets: ['schools'] });
    const [s] = await duck<Record<string, unknown>>(`SELECT urn, laestab, la_code, phase, cluster, status FROM read_parquet('${r.out}/curated/schools/**/*.parquet')`);
    expect(s).toEqual({ urn: '100001', laestab: '8862001', la_code: '886', phase: 'primary', cluster: null, status: 'open' });
  });

  it('columns that are not read are never looked at: a broken byte in a name quarantines nothing and echoes nothing', async () => {
    const body = Buffer.concat([Buffer.from(`LAEstab,UPN,Surname,NCyearActual,FSMeligible,PostCode\n8862001,${upn(1)},Caf\u00e9 Name,5,N,KT1 1AA\n8862001,${upn(2)},Bro`), Buffer.from([0xff]), Buffer.from('ken,5,N,KT1 1AA\n')]);
    const r = await run({ 'schools/edubasealldata20260105.csv': giasCsv(SCHOOLS), 'pupils/pupils_2025-26.csv': body }, { datasets: ['schools', 'pupils'] });
    expect(r.reports.pupils!.accepted).toBe(2);
    expect(r.reports.pupils!.files[0]!.personalColumns).toEqual(['Surname (name)']);
  });
});

describe('warm runs re-ingest when what a dataset depends on changes', () => {
  it('the classification option and the schools register count as inputs', async () => {
    const both = [...NSPL_HEADERS['2026-08'], 'oac11ind'];
    const files = {
      'classification/NSPL_AUG_2026_UK.csv': nsplCsv(both, rows),
      'schools/edubasealldata20260105.csv': giasCsv(SCHOOLS),
      'pupils/pupils_2025-26.csv': census(`8862001,${upn(1)},Smith,5,N`),
    };
    const first = await run(files, { datasets: ['classification', 'schools', 'pupils'] });
    const again = (opts: Partial<IngestOptions>) => run({}, { datasets: ['classification', 'schools', 'pupils'], skipUnchanged: true, ...opts }, { input: first.input, out: first.out });
    const same = await again({});
    expect([same.reports.classification!.skipped, same.reports.schools!.skipped, same.reports.pupils!.skipped]).toEqual([true, true, true]);
    const oac11 = await again({ classification: 'oac11' });
    expect(oac11.reports.classification!.skipped).toBe(false);
    expect(oac11.reports.classification!.classification!.edition).toBe('oac11');
    // A new GIAS extract changes the register: the pupils must be read again.
    writeFiles(first.input, { 'schools/edubasealldata20260105.csv': giasCsv(SCHOOLS.map((s) => (s.urn === '100001' ? { ...s, urn: '100011' } : s))) });
    const moved = await again({ classification: 'oac11' });
    expect([moved.reports.schools!.skipped, moved.reports.pupils!.skipped]).toEqual([false, false]);
    const [p] = await duck<{ urn: string }>(`SELECT urn FROM read_parquet('${first.out}/curated/pupils/**/*.parquet')`);
    expect(p!.urn).toBe('100011');
    const laOption = await again({ classification: 'oac11', laCode: '886' });
    expect(laOption.reports.pupils!.skipped).toBe(false);
  });
});
