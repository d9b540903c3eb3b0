/**
 * The embedded DuckDB that ingest runs its checks in, locally and in the ingest Lambda alike (also
 * when the pipeline's SqlEngine is Athena): in memory, capped (what does not fit spills into the
 * work directory), with no extension downloads. The field rules (sql/rules.ts) are defined once
 * per session. (A database file was tried: writing compressed tables cost more than it saved.)
 *
 * The pseudonymisation key is bound as BLOB parameters into a temporary table and joined into the
 * one statement that uses it: it never appears in SQL text, in an error or in a query plan, and the
 * table is dropped as soon as the statement ends. DuckDB's error messages can quote a line of the
 * input (names, dates of birth): they are reduced to their first line with quoted text removed
 * before they leave this module.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineRules } from './sql/rules.ts';

export interface IngestDbOptions {
  /** A directory of its own for DuckDB's spill files (removed by the caller). */
  dir: string;
  /** DuckDB memory_limit, e.g. '1500MB'. */
  memoryLimit?: string;
  threads?: number;
}

/** DuckDB's memory cap for ingest: CATCHMENT_INGEST_MEMORY (the ingest Lambda sets it from its memory), else 1500MB (the whole local run stays under 3 GB). */
export const defaultIngestMemory = () => process.env.CATCHMENT_INGEST_MEMORY || '1500MB';

export class IngestDbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IngestDbError';
  }
}

/** First line of a DuckDB error, with quoted values removed (they can be a line of the input). */
export function safeMessage(e: unknown): string {
  const first = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  return first.replace(/'[^']*'/g, "'…'").replace(/"[^"]*"/g, '"…"').slice(0, 300);
}

export class IngestDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(opts: IngestDbOptions): Promise<IngestDb> {
    mkdirSync(opts.dir, { recursive: true });
    const config: Record<string, string> = {
      memory_limit: opts.memoryLimit ?? defaultIngestMemory(),
      temp_directory: join(opts.dir, 'spill'),
      // Everything ingest needs is built in: never download or load an extension (Lambda has no network to it).
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      extension_directory: join(opts.dir, 'extensions'),
      home_directory: opts.dir,
    };
    if (opts.threads) config.threads = String(opts.threads);
    const instance = await DuckDBInstance.create(':memory:', config);
    const conn = await instance.connect();
    const db = new IngestDb(instance, conn);
    // Off, so no plan (with its constants) is ever kept or written.
    await db.run('PRAGMA disable_profiling');
    for (const m of defineRules()) await db.run(m);
    return db;
  }

  async run(sql: string): Promise<void> {
    const t0 = performance.now();
    try {
      await this.conn.run(sql);
      if (process.env.TRACE_INGEST) console.error(`[sql ${(performance.now() - t0).toFixed(0)} ms] ${sql.replace(/\s+/g, ' ').slice(0, 100)}`);
    } catch (e) {
      throw new IngestDbError(safeMessage(e));
    }
  }

  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const t0 = performance.now();
    try {
      const reader = await this.conn.runAndReadAll(sql);
      if (process.env.TRACE_INGEST) console.error(`[sql ${(performance.now() - t0).toFixed(0)} ms] ${sql.replace(/\s+/g, ' ').slice(0, 100)}`);
      return reader.getRowObjectsJS() as T[];
    } catch (e) {
      throw new IngestDbError(safeMessage(e));
    }
  }

  /** Fill a table from rows (dictionary-sized data: the schools register, clusters). */
  async insert(table: string, columns: string[], rows: (string | null)[][]): Promise<void> {
    if (rows.length === 0) return;
    const appender = await this.conn.createAppender(table);
    try {
      for (const r of rows) {
        for (let i = 0; i < columns.length; i++) {
          const v = r[i];
          if (v === null || v === undefined) appender.appendNull();
          else appender.appendVarchar(v);
        }
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /**
   * Run one statement that reads the HMAC key's inner and outer pads from the temporary table
   * `hmac_key` (ipad BLOB, opad BLOB): the pads are bound as parameters, never written as text.
   */
  async withKey(key: Uint8Array, sql: string): Promise<void> {
    if (key.length < 32) throw new Error('pseudonymisation key must be at least 32 bytes');
    // HMAC (RFC 2104): a key longer than the 64-byte block is hashed first.
    const k = key.length > 64 ? createHash('sha256').update(key).digest() : key;
    const pad = (b: number) => {
      const p = new Uint8Array(64);
      p.set(k);
      for (let i = 0; i < 64; i++) p[i]! ^= b;
      return p;
    };
    await this.run('CREATE OR REPLACE TEMP TABLE hmac_key (ipad BLOB, opad BLOB)');
    try {
      const insert = await this.conn.prepare('INSERT INTO hmac_key VALUES ($1, $2)');
      insert.bindBlob(1, pad(0x36));
      insert.bindBlob(2, pad(0x5c));
      await insert.run();
      await this.run(sql);
    } finally {
      await this.run('DROP TABLE IF EXISTS hmac_key');
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** HMAC-SHA256 of a text column with the key of IngestDb.withKey (lower-case hex, as Node's createHmac). */
export const hmacSql = (column: string, keyTable = 'k') => `sha256(${keyTable}.opad || unhex(sha256(${keyTable}.ipad || encode(${column}))))`;
