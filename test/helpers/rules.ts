/** Evaluate ingest's SQL field rules (functions/ingest/sql/rules.ts) over given values, in a throwaway DuckDB. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestDb } from '../../functions/ingest/ingest-db.ts';

/**
 * One row per value: each expression of `exprs` (SQL over the column `v`, and `w` when `second` is
 * given) evaluated by DuckDB, in the order of `values`.
 */
export async function applyRules(values: (string | null)[], exprs: Record<string, string>, second?: (string | null)[]): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'catchment-rules-'));
  const db = await IngestDb.open({ dir, threads: 1 });
  try {
    await db.run('CREATE TABLE vals (i VARCHAR, v VARCHAR, w VARCHAR)');
    await db.insert('vals', ['i', 'v', 'w'], values.map((v, i) => [String(i), v, second ? second[i]! : null]));
    const cols = Object.entries(exprs).map(([k, e]) => `${e} AS "${k}"`);
    return await db.rows(`SELECT ${cols.join(', ')} FROM vals ORDER BY CAST(i AS INTEGER)`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
