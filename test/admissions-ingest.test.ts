/**
 * Admissions rows obey the rules of the other datasets: bad rows quarantined with file, line,
 * column and reason; read = accepted + quarantined; the application reference (and any UPN)
 * pseudonymised at ingest and masked in quarantine; names, dates of birth and addresses never read.
 * The header is the sample county's secondary export (sample-data/admissions.ts), in the style of
 * an LA admissions system.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ingest } from '../functions/ingest/ingest-stage.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { applicationPseudonym } from '../functions/domain/admissions-fields.ts';
import { TEST_KEY, duck, pseudonymise, removeDir, tempDir, upn, writeFiles } from './helpers/fixtures.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const HEADER = 'Application Ref,Entry Year,Round,Surname,Forename,DOB,Address Line 1,Post Code,UPN,Preference 1,Preference 2,Preference 3,Preference 4,Offered School,Offered Preference,Application Status';
type Row = { ref: string; year?: string; round?: string; pc?: string; upn?: string; prefs?: string[]; offered?: string; rank?: string; status?: string };
const line = (r: Row, i: number) =>
  [r.ref, r.year ?? '2026', r.round ?? 'Secondary', `Surname${i}zq`, `Forename${i}zq`, '2014-10-0' + ((i % 9) + 1), `${i} Secret Lane`, r.pc ?? 'KT1 1AA', r.upn ?? '', ...(r.prefs ?? ['100002', '100003', '', '']), r.offered ?? '100002', r.rank ?? '1', r.status ?? 'On time'].join(',');

/** Every file under a directory, as text (Parquet included: its strings are stored plain). */
function allBytes(dir: string): string {
  let out = '';
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    out += statSync(p).isDirectory() ? allBytes(p) : readFileSync(p).toString('latin1');
  }
  return out;
}

describe('admissions ingest', () => {
  const good: Row[] = [
    { ref: 'SEC-2026-000101' },
    { ref: 'SEC-2026-000102', prefs: ['100003', '100002', '', ''], offered: '100002', rank: '2' },
    { ref: 'SEC-2026-000103', offered: '100009', rank: 'A', status: 'Late' },
    { ref: 'SEC-2026-000104', upn: upn(7) },
  ];
  const bad: [Row, string, string][] = [
    [{ ref: 'SEC-2026-000201', prefs: ['10002', '', '', ''] }, 'preference_1', 'invalid_school'],
    [{ ref: 'SEC-2026-000202', prefs: ['100002', '', '100003', ''] }, 'preference_2', 'preference_gap'],
    [{ ref: 'SEC-2026-000203', prefs: ['100002', '100002', '', ''] }, 'preference_2', 'duplicate_preference'],
    [{ ref: 'SEC-2026-000204', offered: '100003', rank: '1' }, 'offered_rank', 'offer_mismatch'],
    [{ ref: 'SEC-2026-000205', round: 'Nursery' }, 'phase', 'invalid_phase'],
    [{ ref: 'SEC-2026-000101' }, 'application_ref', 'duplicate_application'],
    [{ ref: 'SEC-2026-000206', upn: 'A12345' }, 'upn', 'invalid_upn'],
  ];

  it('quarantines each bad row naming file, line, column and reason; read = accepted + quarantined; the reference is pseudonymised and masked', async () => {
    const input = tempDir();
    const out = tempDir();
    dirs.push(input, out);
    const rows = [...good, ...bad.map(([r]) => r)];
    writeFiles(input, { 'admissions/secondary_offers_2026.csv': [HEADER, ...rows.map(line)].join('\n') + '\n' });
    const lake = new LocalObjectStore(out);
    const reports = await ingest({ raw: new LocalObjectStore(input), lake, runId: 'test', period: '2025-26', pseudonymKey: TEST_KEY, datasets: ['admissions'] });
    const report = reports.admissions;
    expect(report.read).toBe(rows.length);
    expect(report.read).toBe(report.accepted + report.quarantined);
    expect(report.accepted).toBe(good.length);

    const q = parse(Buffer.from(await lake.get('quarantine/admissions.csv')).toString(), { columns: true }) as Record<string, string>[];
    expect(q.length).toBe(report.quarantined);
    expect(q.map((x) => [x.file, x.line, x.column, x.reason])).toEqual(bad.map(([, column, reason], i) => ['admissions/secondary_offers_2026.csv', String(good.length + i + 2), column, reason]));
    for (const x of q) expect(x.message.length).toBeGreaterThan(5);
    // Identifiers never reach quarantine in clear: a duplicate is found on the pseudonym (no value kept), a bad UPN is masked to its length.
    expect(q.find((x) => x.reason === 'duplicate_application')!.value).toBe('');
    expect(q.find((x) => x.reason === 'invalid_upn')!.value).toBe('******');

    const curated = await duck<{ application_id: string; pupil_id: string | null; offered_rank: number | null; on_time: boolean; period: string }>(
      `SELECT application_id, pupil_id, offered_rank, on_time, period FROM '${out}/curated/admissions/**/*.parquet' ORDER BY offered_rank NULLS LAST, on_time`,
    );
    expect(curated.map((r) => r.application_id).sort()).toEqual(good.map((r) => applicationPseudonym(pseudonymise, r.ref)).sort());
    expect(curated.every((r) => r.period === '2025-26')).toBe(true);
    expect(curated.filter((r) => r.pupil_id !== null).map((r) => r.pupil_id)).toEqual([pseudonymise(upn(7))]);
    // The reference's pseudonym is in its own domain: not the pseudonym a UPN of the same text would get.
    expect(applicationPseudonym(pseudonymise, 'SEC-2026-000101')).not.toBe(pseudonymise('SEC-2026-000101'));

    // Nothing personal anywhere in the lake: no reference, UPN, name, date of birth or address in clear.
    const everything = allBytes(out);
    // Control: a value the lake does keep (the postcode) is found by this search, so absence means something.
    expect(everything.includes('KT1 1AA')).toBe(true);
    for (const r of rows) expect(everything.includes(r.ref), r.ref).toBe(false);
    expect(everything.includes(upn(7))).toBe(false);
    expect(everything).not.toMatch(/Surname\d+zq|Forename\d+zq|Secret Lane|2014-10-0/);
  });
  it('resolves LAESTAB preferences and offers through the schools file, and quarantines an unknown LAESTAB; rank worked out without the column', async () => {
    const input = tempDir();
    const out = tempDir();
    dirs.push(input, out);
    const schools = 'urn,laestab,name,phase,cluster,postcode\n100002,8864002,Hill School,Secondary,North,KT1 1AA\n100003,8864003,Vale School,Secondary,North,KT1 1AB\n';
    const adm = [
      'Application Ref,Year of Entry,Round,Home Postcode,Preference 1,Preference 2,Offered School,Late',
      'REF-1,2026/27,Year 7,kt11aa,886/4002,100003,8864003,N',
      'REF-2,2026,Y7,KT1 1AA,8864003,,886-4003,Y',
      'REF-3,2026,Y7,KT1 1AA,8869999,,100002,N',
      'REF-4,2026/28,Y7,KT1 1AA,100002,,100002,N',
      // A school value is resolved as trimmed (each distinct value is looked up once), and a blank offer is no school.
      'REF-5,2026,Y7,KT1 1AA,"\u00a0886 4002\t", 100003 ,,N',
    ];
    writeFiles(input, { 'schools/schools_2025-26.csv': schools, 'admissions/offers.csv': adm.join('\n') + '\n' });
    const lake = new LocalObjectStore(out);
    const reports = await ingest({ raw: new LocalObjectStore(input), lake, runId: 'test', period: '2025-26', pseudonymKey: TEST_KEY, datasets: ['schools', 'admissions'] });
    expect(reports.admissions.read).toBe(5);
    expect(reports.admissions.accepted).toBe(3);
    const q = parse(Buffer.from(await lake.get('quarantine/admissions.csv')).toString(), { columns: true }) as Record<string, string>[];
    expect(q.map((x) => [x.line, x.column, x.value, x.reason])).toEqual([
      ['4', 'preference_1', '8869999', 'unknown_laestab'],
      ['5', 'entry_year', '2026/28', 'invalid_entry_year'],
    ]);
    const curated = await duck<{ application_id: string; preference_1: string; preference_2: string | null; offered_urn: string; offered_rank: number; on_time: boolean; postcode: string; preferences: number }>(
      `SELECT application_id, preference_1, preference_2, offered_urn, offered_rank, on_time, postcode, preferences FROM '${out}/curated/admissions/**/*.parquet' ORDER BY preference_1, offered_urn NULLS LAST`,
    );
    expect(curated).toEqual([
      { application_id: applicationPseudonym(pseudonymise, 'REF-1'), preference_1: '100002', preference_2: '100003', offered_urn: '100003', offered_rank: 2, on_time: true, postcode: 'KT1 1AA', preferences: 2 },
      { application_id: applicationPseudonym(pseudonymise, 'REF-5'), preference_1: '100002', preference_2: '100003', offered_urn: null, offered_rank: null, on_time: true, postcode: 'KT1 1AA', preferences: 2 },
      { application_id: applicationPseudonym(pseudonymise, 'REF-2'), preference_1: '100003', preference_2: null, offered_urn: '100003', offered_rank: 1, on_time: false, postcode: 'KT1 1AA', preferences: 1 },
    ]);
  });
});
