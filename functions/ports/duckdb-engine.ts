/**
 * SqlEngine on embedded DuckDB over a local lake directory: the default, needs no cloud.
 * Tables are views over Hive-partitioned Parquet; unload is COPY ... (FORMAT parquet, PARTITION_BY).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Bool, Float64, Int32, Int64, Table, Utf8, vectorFromArray, type DataType, type Vector } from 'apache-arrow';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import type { ColumnDef } from '../../schemas/columns.ts';
import type { CallOptions, SqlEngine, TableLocation, UnloadOptions } from './sql-engine.ts';
import { LocalObjectStore } from './local-store.ts';
import { readParquetObjects } from './parquet-objects.ts';
import { makeWorkDir, removeWorkDir } from './work-dir.ts';

export interface DuckDbEngineOptions {
  /** Absolute or relative path of the lake directory (the LocalObjectStore root). */
  lakeRoot: string;
  threads?: number;
  /** DuckDB memory_limit. Default 1200MB, so a whole England-scale run stays under 3 GB RSS. */
  memoryLimit?: string;
}

export const DEFAULT_MEMORY_LIMIT = '1200MB';

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

const DUCK_TYPE: Record<ColumnDef['type'], string> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
};

/**
 * The Parquet files under a directory, skipping dot entries: a writer's temporary files and the
 * trash of a replaced partition (LocalObjectStore), which a crash can leave behind.
 */
function parquetFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    if (e.isFile() && e.name.endsWith('.parquet')) out.push(join(dir, e.name));
    else if (e.isDirectory()) parquetFiles(join(dir, e.name), out);
  }
  return out.sort();
}

export class DuckDbEngine implements SqlEngine {
  readonly name = 'duckdb' as const;
  /**
   * The connection runs one statement at a time, in the order they were asked for: stages may ask
   * concurrently (the analysis runs a period's fair access beside its profiles), as they may of
   * Athena. Reading a large result back (queryLarge) is outside it, so the next statement runs
   * meanwhile.
   */
  private turn: Promise<unknown> = Promise.resolve();
  /** The signal of the statement running now (one at a time), so that aborting it interrupts it only. */
  private running: AbortSignal | undefined;
  private serial<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const run = async () => {
      signal?.throwIfAborted(); // aborted while it waited its turn: never started
      this.running = signal;
      // DuckDB clears an interrupt when a statement begins on its thread, so one sent between the
      // call and that moment is lost: it is sent again until the statement ends.
      const interrupt = () => {
        if (this.running !== signal) return;
        this.conn.interrupt();
        setTimeout(interrupt, 50).unref();
      };
      signal?.addEventListener('abort', interrupt, { once: true });
      try {
        const value = await work();
        signal?.throwIfAborted(); // it ended before an interrupt took: stopped all the same
        return value;
      } catch (e) {
        // Interrupted for its signal: the reason is the failure to report, not DuckDB's "Interrupted!".
        throw signal?.aborted ? signal.reason : e;
      } finally {
        this.running = undefined;
        signal?.removeEventListener('abort', interrupt);
      }
    };
    const mine = this.turn.then(run, run);
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly root: string,
    /** This engine's own spill directory, removed on close. */
    private readonly spill: string,
  ) {}

  static async create(opts: DuckDbEngineOptions): Promise<DuckDbEngine> {
    // DuckDB defaults to 80% of RAM; the pipeline shares the process with ingest, so cap it and
    // let large joins spill to a temporary directory instead: its own (work-dir.ts says why).
    const spill = await makeWorkDir(tmpdir(), 'duckdb');
    const config: Record<string, string> = {
      memory_limit: opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      temp_directory: spill,
    };
    if (opts.threads) config.threads = String(opts.threads);
    try {
      const instance = await DuckDBInstance.create(':memory:', config);
      const conn = await instance.connect();
      return new DuckDbEngine(instance, conn, resolve(opts.lakeRoot), spill);
    } catch (e) {
      await removeWorkDir(spill);
      throw e;
    }
  }

  async attach(table: TableLocation & { columns?: ColumnDef[] }): Promise<void> {
    // An explicit file list, read when the view is created: what the lake holds now.
    const files = (table.prefixes ?? [table.prefix]).flatMap((p) => parquetFiles(join(this.root, p)));
    let body: string;
    if (files.length > 0) {
      const hiveTypes = table.partitions.map((p) => `${ident(p)}: 'VARCHAR'`).join(', ');
      const globs = files.map((f) => lit(f)).join(', ');
      body = `SELECT * FROM read_parquet([${globs}], hive_partitioning = true, union_by_name = true${hiveTypes ? `, hive_types = {${hiveTypes}}` : ''})`;
    } else if (table.columns) {
      // No data yet: an empty relation with the contract's columns keeps downstream SQL valid.
      body = `SELECT ${table.columns.map((c) => `CAST(NULL AS ${DUCK_TYPE[c.type]}) AS ${ident(c.name)}`).join(', ')} WHERE false`;
    } else {
      throw new Error(`no Parquet files under ${join(this.root, table.prefix)} for table ${table.name}`);
    }
    await this.serial(() => this.conn.run(`CREATE OR REPLACE VIEW ${ident(table.name)} AS ${body}`));
  }

  async query(sql: string, opts: CallOptions = {}): Promise<Table> {
    const reader = await this.serial(() => this.conn.runAndReadAll(sql), opts.signal);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const cols = reader.getColumnsJS();
    const vectors: Record<string, Vector> = {};
    names.forEach((name, i) => {
      vectors[name] = toVector(String(types[i]), cols[i] ?? []);
    });
    return new Table(vectors);
  }

  /**
   * Through a Parquet file, as on Athena: DuckDB writes it with its own threads and parquet-wasm
   * reads it into Arrow buffers, about ten times faster for a million rows than turning every
   * value into a JS value (`query`). The file goes under `scratch` in the lake and is removed.
   */
  async queryLarge(sql: string, scratch: string, opts: CallOptions = {}): Promise<Table> {
    const dir = join(this.root, scratch);
    try {
      await this.serial(async () => {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        await this.conn.run(`COPY (${sql}) TO ${lit(join(dir, 'part-00000.parquet'))} (FORMAT parquet, COMPRESSION uncompressed)`);
      }, opts.signal);
      return await readParquetObjects(new LocalObjectStore(this.root), scratch);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async unload(sql: string, opts: UnloadOptions): Promise<void> {
    const dir = join(this.root, opts.prefix);
    const target = opts.partitionedBy.length ? dir : `${dir}/part-00000.parquet`;
    const partition = opts.partitionedBy.length
      ? `, PARTITION_BY (${opts.partitionedBy.map(ident).join(', ')}), FILENAME_PATTERN 'part-{i}'`
      : '';
    await this.serial(async () => {
      mkdirSync(dir, { recursive: true }); // in its turn: a statement stopped before it leaves nothing
      await this.conn.run(`COPY (${sql}) TO ${lit(target)} (FORMAT parquet, COMPRESSION snappy${partition})`);
    }, opts.signal);
  }

  /** Engine-specific escape hatch for benchmarks and tests; stages use query/unload only. */
  async run(sql: string): Promise<void> {
    await this.serial(() => this.conn.run(sql));
  }

  async close(): Promise<void> {
    await this.turn;
    this.conn.closeSync();
    this.instance.closeSync();
    await removeWorkDir(this.spill);
  }
}

function toVector(duckType: string, values: unknown[]): Vector {
  let type: DataType;
  let vals = values;
  if (/^(BIGINT|UBIGINT)$/.test(duckType)) {
    type = new Int64();
    vals = values.map((v) => (v === null ? null : BigInt(v as bigint)));
  } else if (/^(INTEGER|SMALLINT|TINYINT|UINTEGER|USMALLINT|UTINYINT)$/.test(duckType)) type = new Int32();
  // HUGEINT has no Arrow JS counterpart (and DuckDB writes it to Parquet as DOUBLE): keep it visible.
  else if (/^(DOUBLE|FLOAT|DECIMAL|HUGEINT|UHUGEINT)/.test(duckType)) {
    type = new Float64();
    vals = values.map((v) => (v === null ? null : Number(v)));
  } else if (duckType === 'BOOLEAN') type = new Bool();
  else {
    type = new Utf8();
    vals = values.map((v) => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString().slice(0, 10) : String(v)));
  }
  return vectorFromArray(vals as never[], type);
}
