/**
 * What an ingest skips is told by each dataset's source state (the hashes it last ingested). A run
 * that replaces a curated table and is killed before it records the new state must not leave the
 * old state behind: were the input then put back to the old bytes, the next ingest would call them
 * unchanged and skip, leaving the killed run's rows in the curated table.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingest } from '../functions/ingest/ingest-stage.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { GENERIC_CLASSIFICATION, SCHOOLS, TEST_KEY, duck, removeDir, tempDir, upn, writeFiles } from './helpers/fixtures.ts';

const pupilsCsv = (n: number) => ['upn,urn,postcode,ncyear,fsm', ...Array.from({ length: n }, (_, i) => `${upn(i + 1)},100001,KT1 1AA,5,N`)].join('\n');

/** A lake whose put of one key fails, as a run killed right after the curated table was replaced. */
class KilledBefore extends LocalObjectStore {
  constructor(
    root: string,
    private readonly key: string,
  ) {
    super(root);
  }
  override async put(key: string, body: Parameters<LocalObjectStore["put"]>[1]): Promise<void> {
    if (key === this.key) throw new Error('killed');
    return super.put(key, body);
  }
}

let input: string;
let out: string;
let work: string;

beforeEach(() => {
  input = tempDir();
  out = tempDir();
  work = tempDir();
  writeFiles(input, { ...GENERIC_CLASSIFICATION, 'schools/schools.csv': SCHOOLS, 'pupils/pupils.csv': pupilsCsv(3) });
});
afterEach(() => {
  removeDir(input);
  removeDir(out);
  removeDir(work);
});

const run = (lake: LocalObjectStore, runId: string) =>
  ingest({ raw: new LocalObjectStore(input), lake, runId, period: '2025-26', pseudonymKey: TEST_KEY, skipUnchanged: true, workDir: work });
const curatedPupils = async () => (await duck<{ n: number }>(`SELECT count(*) AS n FROM read_parquet('${out}/curated/pupils/**/*.parquet')`))[0]!.n;

describe('the source state of an ingested dataset', () => {
  it('is forgotten before its curated table is replaced, so input put back after a killed run is ingested again', async () => {
    expect((await run(new LocalObjectStore(out), 'r1')).pupils!.skipped).toBe(false);
    expect(await curatedPupils()).toBe(3);

    writeFiles(input, { 'pupils/pupils.csv': pupilsCsv(4) });
    await expect(run(new KilledBefore(out, 'curated/_sources/pupils.json'), 'r2')).rejects.toThrow('killed');
    expect(await curatedPupils()).toBe(4);

    writeFiles(input, { 'pupils/pupils.csv': pupilsCsv(3) });
    const third = await run(new LocalObjectStore(out), 'r3');
    expect(third.pupils!.skipped).toBe(false);
    expect(await curatedPupils()).toBe(3);
    // And a night with nothing changed still skips.
    expect((await run(new LocalObjectStore(out), 'r4')).pupils!.skipped).toBe(true);
  });
});
