/** Evaluate ingest's SQL field rules (functions/ingest/sql/rules.ts) over given values, in a throwaway ingest DuckDB. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestDb } from '../../functions/ingest/ingest-db.ts';

/**
 * One row per value: each expression of `exprs` (SQL over the text column `v`, and `w` when `second`
 * is given) evaluated by DuckDB, in the order of `values`. With `key`, the expressions may use the
 * pseudonymisation key as IngestDb.withKey binds it (table `k`).
 */
export async function applyRules(
  values: (string | null)[],
  exprs: Record<string, string>,
  opts: { second?: (string | null)[]; key?: Uint8Array } = {},
): Promise<Record<string, unknown>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'catchment-rules-'));
  const db = await IngestDb.open({ dir: join(dir, 'db'), threads: 2 });
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, values.map((v, i) => JSON.stringify({ i, v, w: opts.second ? opts.second[i] : null })).join('\n'));
    await db.run(`CREATE TABLE vals AS SELECT * FROM read_json('${file}', format = 'newline_delimited', columns = {i: 'INTEGER', v: 'VARCHAR', w: 'VARCHAR'})`);
    const cols = Object.entries(exprs).map(([k, e]) => `${e} AS "${k}"`);
    const select = `SELECT i, ${cols.join(', ')} FROM vals${opts.key ? ', hmac_key k' : ''}`;
    if (opts.key) await db.withKey(opts.key, `CREATE TABLE result AS ${select}`);
    else await db.run(`CREATE TABLE result AS ${select}`);
    return await db.rows(`SELECT * EXCLUDE (i) FROM result ORDER BY i`);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
