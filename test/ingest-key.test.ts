/**
 * The pseudonymisation key never appears in SQL text: ingest (locally, and in the ingest Lambda,
 * which runs the same embedded DuckDB) binds the key's HMAC pads as BLOB parameters of a prepared
 * statement. Every statement the ingest sends to DuckDB is recorded here and searched for the key
 * in every spelling it could take (hex, base64, the pads, DuckDB blob literals), as is everything
 * written to stdout and stderr with the SQL trace on; the pseudonyms still equal createHmac.
 */
import { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { IngestDb, hmacSql } from '../functions/ingest/ingest-db.ts';
import { ingest } from '../functions/ingest/ingest-stage.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { keySpellings as spellings } from './helpers/key-spellings.ts';
import { GENERIC_CLASSIFICATION, SCHOOLS, duck, removeDir, tempDir, upn, writeFiles } from './helpers/fixtures.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
afterEach(() => vi.restoreAllMocks());

/** Records the text of every statement sent to DuckDB and every blob bound to a prepared statement. */
function recordSql(): { sql: string[]; blobs: Uint8Array[] } {
  const sql: string[] = [];
  const blobs: Uint8Array[] = [];
  for (const name of Object.getOwnPropertyNames(DuckDBConnection.prototype)) {
    const d = Object.getOwnPropertyDescriptor(DuckDBConnection.prototype, name);
    if (name === 'constructor' || typeof d?.value !== 'function') continue;
    const original = d.value as (...a: unknown[]) => unknown;
    vi.spyOn(DuckDBConnection.prototype as unknown as Record<string, (...a: unknown[]) => unknown>, name).mockImplementation(function (this: unknown, ...args: unknown[]) {
      if (typeof args[0] === 'string') sql.push(args[0]);
      // Values given with the statement are recorded as SQL too: they would be the key in the clear.
      if (args[1] !== undefined) sql.push(JSON.stringify(args[1], (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'bigint' ? String(v) : v)));
      return original.apply(this, args);
    });
  }
  const bind = DuckDBPreparedStatement.prototype.bindBlob;
  vi.spyOn(DuckDBPreparedStatement.prototype, 'bindBlob').mockImplementation(function (this: DuckDBPreparedStatement, index, value) {
    blobs.push(value);
    return bind.call(this, index, value);
  });
  return { sql, blobs };
}

/** Everything written to the console, stdout and stderr (the SQL trace and any log line). */
function recordOutput(): string[] {
  const out: string[] = [];
  for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void out.push(args.map(String).join(' ')));
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      out.push(Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
  return out;
}

describe('the pseudonymisation key in ingest', () => {
  it('is bound as BLOB parameters, never written into any SQL text or the SQL trace, and the pseudonyms equal createHmac', async () => {
    const key = randomBytes(48);
    const input = tempDir();
    const out = tempDir();
    dirs.push(input, out);
    const upns = [upn(11), upn(12), upn(13)];
    writeFiles(input, {
      ...GENERIC_CLASSIFICATION,
      'schools/schools.csv': SCHOOLS,
      'pupils/pupils_2025-26.csv': `upn,urn,postcode,ncyear,fsm\n${upns.map((u) => `${u},100001,KT1 1AA,5,N`).join('\n')}\n`,
    });
    const recorded = recordSql();
    const output = recordOutput();
    vi.stubEnv('TRACE_INGEST', '1');
    const reports = await ingest({ raw: new LocalObjectStore(input), lake: new LocalObjectStore(out), runId: 'key-test', period: '2025-26', pseudonymKey: key });
    vi.unstubAllEnvs();
    expect(reports.pupils!.accepted).toBe(3);

    // The statements were seen (the recorder works), the pupils' COPY among them.
    expect(recorded.sql.some((s) => s.includes('hmac_key') && s.startsWith('COPY'))).toBe(true);
    expect(output.some((l) => l.includes('[sql '))).toBe(true);
    // The pads went in as bound blobs...
    const pad = (b: number) => Buffer.from(Buffer.concat([key, Buffer.alloc(16)]).map((x) => x ^ b));
    expect(recorded.blobs.map((b) => Buffer.from(b).toString('hex')).sort()).toEqual([pad(0x36).toString('hex'), pad(0x5c).toString('hex')].sort());
    // ...and nowhere in any statement's text, nor in anything printed.
    const text = [...recorded.sql, ...output].join('\n');
    for (const form of spellings(key)) expect(text.includes(form), form.slice(0, 12)).toBe(false);
    // Nor the UPNs in clear in the SQL (they stay in the file DuckDB reads).
    for (const u of upns) expect(text.includes(u)).toBe(false);

    const ids = await duck<{ pupil_id: string }>(`SELECT pupil_id FROM '${out}/curated/pupils/**/*.parquet' ORDER BY pupil_id`);
    expect(ids.map((r) => r.pupil_id)).toEqual(upns.map((u) => createHmac('sha256', key).update(u).digest('hex')).sort());
  });

  it('leaves no trace in the database once the statement that used it ends', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = await IngestDb.open({ dir });
    try {
      const key = randomBytes(32);
      await db.run(`CREATE TABLE src AS SELECT 'A123' AS upn`);
      await db.withKey(key, `CREATE TABLE ids AS SELECT ${hmacSql('s.upn')} AS id FROM src s, hmac_key k`);
      expect(await db.rows(`SELECT id FROM ids`)).toEqual([{ id: createHmac('sha256', key).update('A123').digest('hex') }]);
      expect(await db.rows(`SELECT table_name FROM duckdb_tables() WHERE table_name = 'hmac_key'`)).toEqual([]);
      // A failing statement drops the key too.
      await expect(db.withKey(key, `SELECT no_such_column FROM hmac_key`)).rejects.toThrow();
      expect(await db.rows(`SELECT table_name FROM duckdb_tables() WHERE table_name = 'hmac_key'`)).toEqual([]);
    } finally {
      db.close();
    }
  });
});
