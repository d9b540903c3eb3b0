/**
 * Bad input: each case gives its documented outcome with a message naming file, line, column and
 * reason, and row accounting balances (read = accepted + quarantined) every time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { ingest, type DatasetReport } from '../functions/ingest/ingest-stage.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import type { InputDataset } from '../schemas/inputs.ts';
import { GENERIC_CLASSIFICATION, TEST_KEY, duck, pseudonymise, removeDir, tempDir, upn, writeFiles } from './helpers/fixtures.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

interface Outcome {
  report: DatasetReport;
  quarantine: Record<string, string>[];
  out: string;
}

async function ingestFiles(dataset: InputDataset, files: Record<string, string | Buffer>): Promise<Outcome> {
  const input = tempDir();
  const out = tempDir();
  dirs.push(input, out);
  writeFiles(input, files);
  const lake = new LocalObjectStore(out);
  const reports = await ingest({ raw: new LocalObjectStore(input), lake, runId: 'test', period: '2025-26', pseudonymKey: TEST_KEY, datasets: [dataset] });
  const report = reports[dataset];
  expect(report.read).toBe(report.accepted + report.quarantined);
  const q = Buffer.from(await lake.get(`quarantine/${dataset}.csv`)).toString();
  const quarantine = q.trim() ? (parse(q, { columns: true }) as Record<string, string>[]) : [];
  expect(quarantine.length).toBe(report.quarantined);
  return { report, quarantine, out };
}

const HEADER = 'upn,urn,postcode,ncyear,fsm';
const row = (serial: number, extra: Partial<Record<'upn' | 'urn' | 'postcode' | 'ncyear' | 'fsm', string>> = {}) =>
  [extra.upn ?? upn(serial), extra.urn ?? '100001', extra.postcode ?? 'KT1 1AA', extra.ncyear ?? '5', extra.fsm ?? 'N'].join(',');
const pupils = (...rows: string[]) => ({ 'pupils/pupils_2025-26.csv': [HEADER, ...rows].join('\n') + '\n' });

describe('structure of the file', () => {
  it('a wrong header fails the file naming the missing column', async () => {
    await expect(ingestFiles('pupils', { 'pupils/p.csv': 'pupil,urn,postcode,ncyear,fsm\n' + row(1) })).rejects.toThrow(
      /pupils\/p\.csv line 1: header is missing required column\(s\) upn/,
    );
  });

  it('a missing header (data in the first row) fails the file', async () => {
    await expect(ingestFiles('pupils', { 'pupils/p.csv': row(1) + '\n' + row(2) })).rejects.toThrow(/line 1: header is missing required column/);
  });

  it('an empty file gives no rows and a warning', async () => {
    const { report } = await ingestFiles('pupils', { 'pupils/p.csv': '' });
    expect(report.read).toBe(0);
    expect(report.files[0].warnings).toEqual(['empty file: no header row']);
  });

  it('a header-only file gives no rows and a warning', async () => {
    const { report } = await ingestFiles('pupils', { 'pupils/p.csv': HEADER + '\n' });
    expect(report.files[0].warnings).toEqual(['header only: no data rows']);
  });

  it('a UTF-8 byte order mark is stripped from the header', async () => {
    const { report } = await ingestFiles('pupils', { 'pupils/p.csv': '\uFEFF' + HEADER + '\n' + row(1) + '\n' });
    expect(report.accepted).toBe(1);
  });

  it('CRLF line endings are read without carriage returns in values', async () => {
    const { report, out } = await ingestFiles('pupils', { 'pupils/p.csv': [HEADER, row(1), row(2, { fsm: 'Y' })].join('\r\n') + '\r\n' });
    expect(report.accepted).toBe(2);
    const rows = await duck(`SELECT fsm, ncyear FROM '${out}/curated/pupils/**/*.parquet' ORDER BY fsm`);
    expect(rows).toEqual([
      { fsm: false, ncyear: '5' },
      { fsm: true, ncyear: '5' },
    ]);
  });

  it('quoted newlines stay inside the field and later line numbers stay right', async () => {
    const csv = 'urn,name,phase,cluster,postcode\n100001,"Riverside\nPrimary",Primary,North,KT1 1AA\n12,Bad,Primary,North,KT1 1AA\n';
    const { report, quarantine, out } = await ingestFiles('schools', { 'schools/s.csv': csv });
    expect(report.accepted).toBe(1);
    expect(quarantine).toEqual([{ file: 'schools/s.csv', line: '4', column: 'urn', value: '12', reason: 'invalid_urn', message: 'URN must be 6 digits' }]);
    const [school] = await duck<{ name: string }>(`SELECT name FROM '${out}/curated/schools/**/*.parquet'`);
    expect(school.name).toBe('Riverside\nPrimary');
  });

  it('blank lines are skipped but counted, so later line numbers stay right', async () => {
    const csv = 'urn,name,phase,cluster,postcode\r\n\r\n100001,"Riverside\r\nPrimary",Primary,North,KT1 1AA\r\n\r\n\r\n12,Bad,Primary,North,KT1 1AA\r\n\r\n';
    const { report, quarantine } = await ingestFiles('schools', { 'schools/s.csv': csv });
    expect(report.read).toBe(2);
    expect(report.accepted).toBe(1);
    expect(quarantine).toEqual([{ file: 'schools/s.csv', line: '7', column: 'urn', value: '12', reason: 'invalid_urn', message: 'URN must be 6 digits' }]);
  });

  it('line numbers stay right across thousands of rows (records come out in batches)', async () => {
    const rows = Array.from({ length: 9000 }, (_, i) => row(i + 1));
    rows[8500] = row(8501, { upn: `X${upn(8501).slice(1)}` });
    const { quarantine, report } = await ingestFiles('pupils', pupils(...rows));
    expect(report.read).toBe(9000);
    expect(quarantine.map((q) => q.line)).toEqual(['8502']);
  });

  it('an unclosed quote fails the file naming the line', async () => {
    await expect(ingestFiles('pupils', { 'pupils/p.csv': `${HEADER}\n${row(1)}\n"${row(2)}\n${row(3)}\n` })).rejects.toThrow(/pupils\/p\.csv line 3: malformed CSV/);
  });

  it('a malformed quote deep in a large file fails it naming the line', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => row(i + 1));
    rows[15_000] = `${upn(15_001)},"100001"x,KT1 1AA,5,N`;
    await expect(ingestFiles('pupils', pupils(...rows))).rejects.toThrow(/pupils_2025-26\.csv line 15002: malformed CSV \(InvalidQuotes\)/);
  });

  it('a row with too few fields is quarantined', async () => {
    const { quarantine } = await ingestFiles('pupils', pupils(row(1), `${upn(2)},100001,KT1 1AA`));
    expect(quarantine[0]).toMatchObject({ line: '3', reason: 'wrong_field_count', message: 'expected 5 fields, found 3' });
  });

  it('extra columns are ignored and reported once per file', async () => {
    const { report } = await ingestFiles('pupils', { 'pupils/p.csv': `${HEADER},gender,ethnicity\n${row(1)},F,WBRI\n${row(2)},M,WBRI\n` });
    expect(report.accepted).toBe(2);
    expect(report.files[0].ignoredColumns).toEqual(['gender', 'ethnicity']);
  });

  it('header names are case-insensitive and aliases are accepted', async () => {
    const { report } = await ingestFiles('pupils', { 'pupils/p.csv': `UPN,School URN,Post Code,NC Year,FSM Eligible\n${row(1)}\n` });
    expect(report.accepted).toBe(1);
  });

  it('a Windows-1252 file (an Excel "CSV" export) is decoded as such, with a warning', async () => {
    const cp1252 = Buffer.concat([Buffer.from('urn,name,phase,cluster,postcode\n100001,'), Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x92, 0x73]), Buffer.from(' School,Primary,North,KT1 1AA\n')]);
    const { report, out } = await ingestFiles('schools', { 'schools/s.csv': cp1252 });
    expect(report.accepted).toBe(1);
    expect(report.files[0].encoding).toBe('windows-1252');
    expect(report.files[0].warnings.join(' ')).toMatch(/not UTF-8: read as Windows-1252/);
    const [school] = await duck<{ name: string }>(`SELECT name FROM '${out}/curated/schools/**/*.parquet'`);
    expect(school.name).toBe('Caf\u00e9\u2019s School');
  });

  it('a UTF-8 file with one stray byte keeps UTF-8 and quarantines that row, naming the column', async () => {
    const mixed = Buffer.concat([Buffer.from('urn,name,phase,cluster,postcode\n100001,Caf\u00e9 School,Primary,North,KT1 1AA\n100002,'), Buffer.from([0x42, 0xe9, 0x65]), Buffer.from(',Primary,North,KT1 1AA\n')]);
    const { report, quarantine } = await ingestFiles('schools', { 'schools/s.csv': mixed });
    expect(report.files[0].encoding).toBe('utf-8');
    expect(report.accepted).toBe(1);
    expect(quarantine[0]).toMatchObject({ line: '3', column: 'name', reason: 'invalid_encoding' });
  });

  it('a file that is neither UTF-8 nor Windows-1252 fails in one line that names the line and not the bytes', async () => {
    const bad = Buffer.concat([Buffer.from('urn,name,phase,cluster,postcode\n100001,Caf'), Buffer.from([0xe9]), Buffer.from(' School,Primary,North,KT1 1AA\n100002,X'), Buffer.from([0x81, 0x8d]), Buffer.from('Y,Primary,North,KT1 1AA\n')]);
    const err = await ingestFiles('schools', { 'schools/s.csv': bad }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^schools\/s\.csv line 3: not text in UTF-8 or Windows-1252/);
    expect((err as Error).message).not.toMatch(/[\u0080-\u009f\ufffd]|XY|X\u0081/);
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });

  it('UTF-16 and binary files fail in one line', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('urn,name\n', 'utf16le')]);
    await expect(ingestFiles('schools', { 'schools/s.csv': utf16 })).rejects.toThrow(/^schools\/s\.csv line 1: UTF-16 text/);
    await expect(ingestFiles('schools', { 'schools/s.csv': Buffer.from([0x55, 0x52, 0x4e, 0x0a, 0x00, 0x01]) })).rejects.toThrow(/^schools\/s\.csv line 2: not a text file/);
  });

  it('a 10 MB field is quarantined, not loaded', async () => {
    const { quarantine, report } = await ingestFiles('schools', { 'schools/s.csv': `urn,name,phase,cluster,postcode\n100001,${'x'.repeat(10 * 1024 * 1024)},Primary,North,KT1 1AA\n100002,Ok,Primary,North,KT1 1AA\n` });
    expect(report.accepted).toBe(1);
    expect(quarantine[0]).toMatchObject({ line: '2', column: 'name', reason: 'field_too_long' });
    expect(quarantine[0].value.length).toBeLessThan(100);
  });
});

describe('pupil fields', () => {
  it('a bad UPN check letter is quarantined and the UPN masked', async () => {
    const good = upn(5);
    const bad = (good[0] === 'A' ? 'B' : 'A') + good.slice(1);
    const { quarantine } = await ingestFiles('pupils', pupils(row(1), row(2, { upn: bad })));
    expect(quarantine).toEqual([{ file: 'pupils/pupils_2025-26.csv', line: '3', column: 'upn', value: '*************', reason: 'bad_upn_check_letter', message: 'UPN check letter does not match its digits' }]);
  });

  it('a UPN of the wrong shape is quarantined', async () => {
    const { quarantine } = await ingestFiles('pupils', pupils(row(1, { upn: 'A1234' })));
    expect(quarantine[0]).toMatchObject({ column: 'upn', reason: 'invalid_upn', value: '*****' });
  });

  it('a bad URN is quarantined', async () => {
    const { quarantine } = await ingestFiles('pupils', pupils(row(1, { urn: '10001' })));
    expect(quarantine[0]).toMatchObject({ line: '2', column: 'urn', value: '10001', reason: 'invalid_urn' });
  });

  it('an unknown NC year is quarantined; R, N1 and Year 07 are accepted', async () => {
    const { quarantine, report } = await ingestFiles('pupils', pupils(row(1, { ncyear: '15' }), row(2, { ncyear: 'R' }), row(3, { ncyear: 'N1' }), row(4, { ncyear: 'Year 07' })));
    expect(report.accepted).toBe(3);
    expect(quarantine[0]).toMatchObject({ column: 'ncyear', value: '15', reason: 'invalid_ncyear' });
  });

  it('an FSM value that is not a flag is quarantined', async () => {
    const { quarantine } = await ingestFiles('pupils', pupils(row(1, { fsm: 'maybe' })));
    expect(quarantine[0]).toMatchObject({ column: 'fsm', reason: 'invalid_flag' });
  });

  it('invalid and blank postcodes are kept with no postcode (match status invalid later)', async () => {
    const { report, out } = await ingestFiles('pupils', pupils(row(1, { postcode: 'NOT A PC' }), row(2, { postcode: '' }), row(3, { postcode: 'kt11aa' })));
    expect(report.accepted).toBe(3);
    const rows = await duck<{ postcode: string | null }>(`SELECT postcode FROM '${out}/curated/pupils/**/*.parquet' ORDER BY postcode NULLS FIRST`);
    expect(rows.map((r) => r.postcode)).toEqual([null, null, 'KT1 1AA']);
  });

  it('a duplicate UPN at one school is kept once and counted; at another school it is kept', async () => {
    const { report, quarantine } = await ingestFiles('pupils', pupils(row(1), row(1), row(1, { urn: '100002' })));
    expect(report.accepted).toBe(2);
    expect(report.quarantinedByReason).toEqual({ duplicate_upn: 1 });
    expect(quarantine[0]).toMatchObject({ line: '3', column: 'upn', reason: 'duplicate_upn' });
  });

  it('the UPN is replaced by its keyed pseudonym and written nowhere', async () => {
    const u = upn(42);
    const { out } = await ingestFiles('pupils', pupils(row(42)));
    const [r] = await duck<{ pupil_id: string }>(`SELECT pupil_id FROM '${out}/curated/pupils/**/*.parquet'`);
    expect(r.pupil_id).toBe(pseudonymise(u));
    const { spawnSync } = await import('node:child_process');
    const grep = spawnSync('grep', ['-rl', '--binary-files=text', u, out], { encoding: 'utf8' });
    expect(grep.status).toBe(1); // grep: 1 = no file contains it
    expect(grep.stdout).toBe('');
  });
});

describe('contact fields', () => {
  const H = 'contact_id,contact_date,postcode,channel,child_urn,child_ncyear';
  it('ISO and dd/mm/yyyy dates are both read; the period is the academic year', async () => {
    const { out, report } = await ingestFiles('contacts', { 'contacts/c.csv': `${H}\nC1,2025-09-01,KT1 1AA,Helpline,,\nC2,31/08/2025,KT1 1AA,phone,,\n` });
    expect(report.accepted).toBe(2);
    const rows = await duck(`SELECT contact_id, CAST(contact_date AS VARCHAR) AS d, channel, period FROM read_parquet('${out}/curated/contacts/**/*.parquet', hive_partitioning = true) ORDER BY contact_id`);
    expect(rows).toEqual([
      { contact_id: 'C1', d: '2025-09-01', channel: 'helpline', period: '2025-26' },
      { contact_id: 'C2', d: '2025-08-31', channel: 'helpline', period: '2024-25' },
    ]);
  });

  it('impossible and unreadable dates are quarantined', async () => {
    const { quarantine } = await ingestFiles('contacts', { 'contacts/c.csv': `${H}\nC1,31/02/2025,KT1 1AA,email,,\nC2,yesterday,KT1 1AA,email,,\nC3,2025-13-01,KT1 1AA,email,,\n` });
    expect(quarantine.map((q) => [q.line, q.column, q.reason, q.message])).toEqual([
      ['2', 'contact_date', 'invalid_date', 'no such calendar date'],
      ['3', 'contact_date', 'invalid_date', 'date must be yyyy-mm-dd or dd/mm/yyyy'],
      ['4', 'contact_date', 'invalid_date', 'no such calendar date'],
    ]);
  });

  it('channels are normalised and optional child fields may be blank or absent', async () => {
    const { out } = await ingestFiles('contacts', { 'contacts/c.csv': `contact_id,contact_date,postcode,channel\nC1,2025-10-01,KT1 1AA,Drop-in\nC2,2025-10-01,KT1 1AA,School Meeting\nC3,2025-10-01,KT1 1AA,E-mail\nC4,2025-10-01,KT1 1AA,carrier pigeon\n` });
    const rows = await duck<{ channel: string }>(`SELECT channel FROM '${out}/curated/contacts/**/*.parquet' ORDER BY contact_id`);
    expect(rows.map((r) => r.channel)).toEqual(['drop_in', 'school_meeting', 'email', 'other']);
  });

  it('a bad child URN is quarantined', async () => {
    const { quarantine } = await ingestFiles('contacts', { 'contacts/c.csv': `${H}\nC1,2025-10-01,KT1 1AA,email,ABC,5\n` });
    expect(quarantine[0]).toMatchObject({ column: 'child_urn', reason: 'invalid_urn' });
  });
});

describe('schools and classification', () => {
  it('an unknown phase is quarantined', async () => {
    const { quarantine } = await ingestFiles('schools', { 'schools/s.csv': 'urn,name,phase,cluster,postcode\n100001,A,University,North,KT1 1AA\n' });
    expect(quarantine[0]).toMatchObject({ column: 'phase', reason: 'invalid_phase' });
  });

  it('a generic classification without segments.csv fails with a clear message', async () => {
    await expect(ingestFiles('classification', { 'classification/pc.csv': 'postcode,segment\nKT1 1AA,A1\n' })).rejects.toThrow(/needs classification\/segments\.csv/);
  });

  it('unknown segment codes and duplicate postcodes are quarantined', async () => {
    const files = { ...GENERIC_CLASSIFICATION, 'classification/postcodes_2024-05.csv': 'postcode,segment\nKT1 1AA,A1\nKT1 1AB,Z9\nkt11aa,A1\n' };
    const { quarantine, report } = await ingestFiles('classification', files);
    expect(report.vintage).toBe('2024-05');
    expect(quarantine.map((q) => q.reason)).toEqual(['unknown_segment', 'duplicate_postcode']);
  });

  it('a CSV that is neither NSPL nor generic is refused naming its header', async () => {
    await expect(ingestFiles('classification', { 'classification/x.csv': 'a,b\n1,2\n' })).rejects.toThrow(/x\.csv line 1: not a recognised classification/);
  });
});

it('quarantine files never carry the key or a UPN in clear', async () => {
  const { out } = await ingestFiles('pupils', pupils(row(7, { urn: 'x' })));
  const body = Buffer.from(await new LocalObjectStore(out).get('quarantine/pupils.csv')).toString();
  expect(body).toContain('invalid_urn');
  expect(body).not.toContain(upn(7));
});

describe('row accounting', () => {
  // Every defect a census extract shows, placed by a seeded generator that knows, independently of
  // ingest, which lines must be quarantined and why.
  const DEFECTS = [
    { reason: 'wrong_field_count', column: '', make: (r: string) => `${r},extra,fields` },
    { reason: 'wrong_field_count', column: '', make: (r: string) => r.split(',').slice(0, 3).join(',') },
    { reason: 'bad_upn_check_letter', column: 'upn', make: (r: string) => (r[0] === 'A' ? 'B' : 'A') + r.slice(1) },
    { reason: 'invalid_upn', column: 'upn', make: (r: string) => `Q1${r.slice(2)}`.replace(/^(.{6}).*?,/, '$1,') },
    { reason: 'invalid_urn', column: 'urn', make: (r: string) => r.replace(',100001,', ',1000,') },
    { reason: 'invalid_ncyear', column: 'ncyear', make: (r: string) => r.replace(/,5,N$/, ',15,N') },
    { reason: 'invalid_flag', column: 'fsm', make: (r: string) => r.replace(/,N$/, ',perhaps') },
  ];

  it('every data line is either in the curated table or in quarantine, exactly once, with file, line, column, masked value and reason', async () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const lines: string[] = [];
    const expected = new Map<number, { reason: string; column: string }>();
    const accepted: string[] = []; // UPNs of the rows that must reach curated/
    for (let i = 1; i <= 3000; i++) {
      const line = lines.length + 2;
      const good = row(i);
      const roll = rand();
      if (roll < 0.03 && accepted.length) {
        // A repeat of an earlier accepted pupil at the same school.
        const again = accepted[Math.floor(rand() * accepted.length)]!;
        lines.push(row(0, { upn: again }));
        expected.set(line, { reason: 'duplicate_upn', column: 'upn' });
      } else if (roll < 0.15) {
        const d = DEFECTS[Math.floor(rand() * DEFECTS.length)]!;
        lines.push(d.make(good));
        expected.set(line, d);
      } else {
        lines.push(good);
        accepted.push(upn(i));
      }
      if (rand() < 0.01) lines.push(''); // blank lines: skipped, but they move later line numbers
    }
    expect(new Set([...expected.values()].map((e) => e.reason)).size).toBe(DEFECTS.length); // every defect (two field-count kinds) and duplicates
    const blank = lines.filter((l) => l === '').length;

    const { report, quarantine, out } = await ingestFiles('pupils', pupils(...lines));
    expect(report.read).toBe(lines.length - blank);
    expect(report.quarantined).toBe(expected.size);
    expect(report.accepted).toBe(accepted.length);
    // Quarantine: exactly the expected lines, each once, with its column, reason and a masked UPN.
    expect(quarantine.map((q) => [Number(q.line), q.reason, q.column])).toEqual([...expected].map(([line, e]) => [line, e.reason, e.column]));
    for (const q of quarantine) {
      expect(q.file).toBe('pupils/pupils_2025-26.csv');
      expect(q.message).not.toBe('');
      if (q.column === 'upn' && q.value) expect(q.value).toMatch(/^\*+$/);
    }
    // Curated: exactly the other lines (by their pseudonyms), none twice.
    const ids = await duck<{ pupil_id: string }>(`SELECT pupil_id FROM '${out}/curated/pupils/**/*.parquet'`);
    expect(ids.map((r) => r.pupil_id).sort()).toEqual(accepted.map(pseudonymise).sort());
  });
});
