/**
 * Nights of the local pipeline for the admissions skip tests (admissions-skip*.test.ts): the warm
 * run (skip unchanged) without PDFs, and the Parquet files a folder holds, by name, as bytes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbEngine } from '../../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../../functions/ports/local-store.ts';
import type { ObjectStore } from '../../functions/ports/object-store.ts';
import { runPipeline } from '../../functions/pipeline/run.ts';
import type { Manifest } from '../../functions/pipeline/manifest.ts';
import { TEST_KEY } from './fixtures.ts';

/** One warm night from `input` into the lake at `out` (through `store` when given). */
export async function warmNight(input: string, out: string, runId: string, store: ObjectStore = new LocalObjectStore(out)): Promise<Manifest> {
  const sql = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
  try {
    return await runPipeline({ raw: new LocalObjectStore(input), lake: store, sql, pseudonymKey: TEST_KEY, period: '2025-26', runId, skipUnchanged: true, skipPdfs: true });
  } finally {
    await sql.close();
  }
}

/** The bytes (base64) of each Parquet file of a folder, by name. */
export function parquetFilesOf(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((n) => n.endsWith('.parquet'))
      .map((n) => [n, readFileSync(join(dir, n)).toString('base64')]),
  );
}
