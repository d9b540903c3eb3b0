/**
 * The local pipeline end to end on a hand-made generic classification: match statuses, published
 * tables readable with read_parquet, identical reruns, and a failed run leaving published intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { RunError, runPipeline } from '../functions/pipeline/run.ts';
import type { SqlEngine } from '../functions/ports/sql-engine.ts';
import { PublishedView } from '../functions/lake/publication.ts';
import { GENERIC_CLASSIFICATION, SCHOOLS, TEST_KEY, duck, publishedTable, removeDir, runLocal, tempDir, upn, writeFiles } from './helpers/fixtures.ts';

const PUPILS = [
  'upn,urn,postcode,ncyear,fsm',
  `${upn(1)},100001,KT1 1AA,5,N`, // exact A1
  `${upn(2)},100001,kt11ab,6,Y`, // exact after normalising
  `${upn(3)},100001,KT1 1ZZ,5,N`, // sector KT1 1: modal segment A1 -> imputed
  `${upn(4)},100002,KT9 9ZZ,9,N`, // valid, unknown sector -> unmatched
  `${upn(5)},100002,not a postcode,9,Y`, // invalid
  `${upn(6)},100002,,10,N`, // blank -> invalid
  `${upn(7)},100002,KT1 2AB,10,N`, // exact B2
].join('\n');

const CONTACTS = [
  'contact_id,contact_date,postcode,channel,child_urn,child_ncyear',
  'C1,2025-10-01,KT1 1AA,helpline,100001,5',
  'C2,02/10/2025,KT1 2AA,drop in,,',
].join('\n');

let input: string;
let out: string;
const cleanup: string[] = [];
beforeAll(() => {
  input = tempDir();
  out = tempDir();
  cleanup.push(input, out);
  writeFiles(input, { ...GENERIC_CLASSIFICATION, 'schools/schools.csv': SCHOOLS, 'pupils/pupils_2025-26.csv': PUPILS, 'contacts/contacts.csv': CONTACTS });
});
afterAll(() => cleanup.forEach(removeDir));

const published = (table: string, dir = out) =>
  publishedTable(dir, table);

describe('local pipeline', () => {
  it('assigns each pupil a match status and publishes readable tables', async () => {
    const manifest = await runLocal(input, out);
    expect(manifest.status).toBe('succeeded');
    const [la] = await duck(`SELECT * EXCLUDE (period) FROM ${published('match_summary')} WHERE scope = 'la'`);
    expect(la).toEqual({ scope: 'la', urn: null, pupils: 7, exact: 3, terminated: 0, sector: 1, unmatched: 1, invalid: 2, match_rate: 3 / 7 });
    const bySchool = await duck(`SELECT urn, pupils, exact, sector, unmatched, invalid FROM ${published('match_summary')} WHERE scope = 'school' ORDER BY urn`);
    expect(bySchool).toEqual([
      { urn: '100001', pupils: 3, exact: 2, sector: 1, unmatched: 0, invalid: 0 },
      { urn: '100002', pupils: 4, exact: 1, sector: 0, unmatched: 1, invalid: 2 },
    ]);
    const counts = await duck(`SELECT urn, level, segment, n, period FROM ${published('school_segment_counts')} ORDER BY urn, level, segment`);
    expect(counts).toEqual([
      { urn: '100001', level: 'group', segment: 'A', n: 3, period: '2025-26' },
      { urn: '100001', level: 'subgroup', segment: 'A1', n: 3, period: '2025-26' },
      { urn: '100001', level: 'supergroup', segment: 'Affluent', n: 3, period: '2025-26' },
      { urn: '100002', level: 'group', segment: 'B', n: 1, period: '2025-26' },
      { urn: '100002', level: 'subgroup', segment: 'B2', n: 1, period: '2025-26' },
      { urn: '100002', level: 'supergroup', segment: 'Stretched', n: 1, period: '2025-26' },
    ]);
    const contacts = await duck(`SELECT contact_id, match_status, subgroup, ward FROM read_parquet('${out}/curated/enriched_contacts/**/*.parquet') ORDER BY contact_id`);
    expect(contacts).toEqual([
      { contact_id: 'C1', match_status: 'exact', subgroup: 'A1', ward: 'E05000001' },
      { contact_id: 'C2', match_status: 'exact', subgroup: 'B1', ward: 'E05000002' },
    ]);
  });

  it('writes a manifest with input hashes, row accounting, vintage and stage timings', async () => {
    const m = JSON.parse(readFileSync(join(out, 'manifests/latest.json'), 'utf8'));
    expect(m.status).toBe('succeeded');
    expect(m.classification).toMatchObject({ layout: 'generic', vintage: '2024-05', edition: 'custom', imdEdition: null });
    const pupilsInput = m.inputs.find((i: { key: string }) => i.key === 'pupils/pupils_2025-26.csv');
    const { createHash } = await import('node:crypto');
    expect(pupilsInput.sha256).toBe(createHash('sha256').update(PUPILS).digest('hex'));
    for (const d of Object.values(m.datasets) as { read: number; accepted: number; quarantined: number }[]) {
      expect(d.read).toBe(d.accepted + d.quarantined);
    }
    expect(m.datasets.pupils).toMatchObject({ read: 7, accepted: 7, quarantined: 0 });
    expect(m.matchStatus[0].pupils).toMatchObject({ exact: 3, sector: 1, unmatched: 1, invalid: 2, total: 7 });
    expect(m.stages.map((s: { stage: string }) => s.stage)).toEqual(['ingest', 'classify', 'profiles', 'admissions', 'pdfs', 'publish']);
    expect(await new LocalObjectStore(out).list('staging/')).toEqual([]);
  });

  it('a rerun on the same inputs gives identical published outputs and no duplicate rows', async () => {
    const before = await snapshot(out);
    const again = await runLocal(input, out);
    expect(again.status).toBe('succeeded');
    expect(await snapshot(out)).toEqual(before);
    const [{ n }] = await duck<{ n: number }>(`SELECT count(*) AS n FROM ${published('match_summary')}`);
    expect(n).toBe(3);
  });

  it('a warm rerun skips unchanged inputs and still publishes the same tables', async () => {
    const before = await snapshot(out);
    const warm = await runLocal(input, out, { skipUnchanged: true });
    expect(Object.values(warm.datasets).every((d) => d.skipped)).toBe(true);
    expect(await snapshot(out)).toEqual(before);
  });

  it('a run that fails part-way leaves the previous published outputs intact', async () => {
    const before = await snapshot(out);
    const latest = readFileSync(join(out, 'manifests/latest.json'), 'utf8');
    const real = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
    // Fails after enriched tables and the first published table have been staged.
    let unloads = 0;
    const failing: SqlEngine = {
      name: 'duckdb',
      attach: (t) => real.attach(t),
      query: (s) => real.query(s),
      queryLarge: (s, scratch) => real.queryLarge(s, scratch),
      unload: async (s, o) => {
        if (++unloads === 4) throw new Error('simulated engine failure');
        return real.unload(s, o);
      },
      close: () => real.close(),
    };
    try {
      const changed = tempDir();
      cleanup.push(changed);
      writeFiles(changed, { ...GENERIC_CLASSIFICATION, 'schools/schools.csv': SCHOOLS, 'pupils/pupils_2025-26.csv': PUPILS.replace('KT9 9ZZ', 'KT1 1AD'), 'contacts/contacts.csv': CONTACTS });
      const run = runPipeline({ raw: new LocalObjectStore(changed), lake: new LocalObjectStore(out), sql: failing, pseudonymKey: TEST_KEY, period: '2025-26' });
      await expect(run).rejects.toThrow(RunError);
      await expect(run).rejects.toThrow(/simulated engine failure/);
    } finally {
      await real.close();
    }
    expect(await snapshot(out)).toEqual(before);
    expect(readFileSync(join(out, 'manifests/latest.json'), 'utf8')).toBe(latest);
    expect(await new LocalObjectStore(out).list('staging/')).toEqual([]);
  });

  it('a failure on one side of the analysis stops the other at its next statement, and is reported alone', async () => {
    const dir = tempDir();
    cleanup.push(dir);
    const real = await DuckDbEngine.create({ lakeRoot: dir, threads: 1 });
    // Fair access fails at its first statement of its own (the clients by segment, ward and school).
    let failedAt = -1;
    const calls: string[] = [];
    const call = <T>(sql: string, run: () => Promise<T>): Promise<T> => {
      calls.push(sql);
      if (failedAt < 0 && sql.includes('FROM c WHERE postcode IS NULL')) {
        failedAt = calls.length;
        return Promise.reject(new Error('simulated fair access failure'));
      }
      return run();
    };
    const failing: SqlEngine = {
      name: 'duckdb',
      attach: (t) => real.attach(t),
      query: (s, o) => call(s, () => real.query(s, o)),
      queryLarge: (s, scratch, o) => call(s, () => real.queryLarge(s, scratch, o)),
      unload: (s, o) => call(s, () => real.unload(s, o)),
      close: () => real.close(),
    };
    try {
      const run = runPipeline({ raw: new LocalObjectStore(input), lake: new LocalObjectStore(dir), sql: failing, pseudonymKey: TEST_KEY, period: '2025-26' });
      const e = await run.catch((x: unknown) => x);
      expect(e).toBeInstanceOf(RunError);
      expect((e as Error).message).toMatch(/simulated fair access failure/);
      expect((e as Error).message).not.toMatch(/failed too|stopped/);
    } finally {
      await real.close();
    }
    // Profiles, part-way through its statements when fair access failed, made none after it.
    expect(failedAt).toBeGreaterThan(0);
    expect(calls.slice(failedAt)).toEqual([]);
  });
});

/** Published files and their bytes, by path. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const store = new LocalObjectStore(dir);
  const files = await new PublishedView(store).list('published/');
  const out: Record<string, string> = {};
  for (const f of files) out[f.key] = Buffer.from(await new PublishedView(store).get(f.key)).toString('base64');
  return out;
}
