/**
 * The full-work anchor: bench/full-work.sql (the whole spine as one plain DuckDB script) over a
 * prepared input directory, in its own process so its peak RSS is its own. Prints wall time and
 * peak RSS as JSON, and the time of each statement to stderr.
 * Usage: tsx bench/full-work-child.ts <input> <out>
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OAC21_NAMES } from '../schemas/oac21.ts';

const [input, out] = process.argv.slice(2).map((p) => resolve(p));
rmSync(out, { recursive: true, force: true });
for (const d of ['quarantine', 'curated', 'published']) mkdirSync(join(out, d), { recursive: true });
const t0 = performance.now();
// The same memory cap as catchment's ingest.
const db = await DuckDBInstance.create(':memory:', { memory_limit: '1500MB', temp_directory: join(out, '.spill') });
const c = await db.connect();
await c.run(`CREATE TABLE oac21_codes AS SELECT * FROM (VALUES ${OAC21_NAMES.map((o) => `('${o.code}')`).join(', ')}) t(code)`);
// The pseudonymisation key's HMAC pads, bound as parameters (the bench's fixed key, as pipeline-child uses).
const key = Buffer.alloc(32, 1);
const pad = (b: number) => Uint8Array.from({ length: 64 }, (_, i) => (key[i] ?? 0) ^ b);
await c.run('CREATE TEMP TABLE hmac_key (ipad BLOB, opad BLOB)');
const insert = await c.prepare('INSERT INTO hmac_key VALUES ($1, $2)');
insert.bindBlob(1, pad(0x36));
insert.bindBlob(2, pad(0x5c));
await insert.run();
const script = readFileSync(resolve(import.meta.dirname, 'full-work.sql'), 'utf8').replaceAll('{{input}}', input!).replaceAll('{{out}}', out!);
const statements = script
  .split(/;\s*\n/)
  .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
  .filter(Boolean);
for (const stmt of statements) {
  const t = performance.now();
  await c.run(stmt);
  process.stderr.write(`  ${((performance.now() - t) / 1000).toFixed(1).padStart(6)} s  ${stmt.replace(/\s+/g, ' ').slice(0, 90)}\n`);
}
c.closeSync();
db.closeSync();
process.stdout.write(JSON.stringify({ wallMs: Math.round(performance.now() - t0), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');
