/**
 * DuckDB standing in for Athena in tests against moto (whose Athena runs no SQL): it reads a local
 * mirror of the moto lake and writes its UNLOADs back to it, so the handlers read and write S3 as
 * on AWS. queryLarge goes the Athena way: UNLOAD to the scratch prefix in the (moto) lake, read the
 * Parquet back through the object store, delete it.
 */
import type { Table } from 'apache-arrow';
import type { DuckDbEngine } from '../../functions/ports/duckdb-engine.ts';
import type { LocalObjectStore } from '../../functions/ports/local-store.ts';
import type { ObjectStore } from '../../functions/ports/object-store.ts';
import { readParquetObjects } from '../../functions/ports/parquet-objects.ts';
import type { SqlEngine, TableLocation, UnloadOptions } from '../../functions/ports/sql-engine.ts';

export class MirroredEngine implements SqlEngine {
  readonly name = 'duckdb' as const;
  /** Statements run, in order (UNLOADs with their targets). */
  readonly log: string[] = [];
  constructor(
    private readonly lake: ObjectStore,
    private readonly local: LocalObjectStore,
    private readonly duck: DuckDbEngine,
  ) {}
  async attach(t: TableLocation): Promise<void> {
    for (const prefix of t.prefixes ?? [t.prefix]) {
      await this.local.deletePrefix(`${prefix}/`);
      for (const o of await this.lake.list(`${prefix}/`)) await this.local.put(o.key, await this.lake.get(o.key));
    }
    await this.duck.attach(t);
  }
  query(sql: string) {
    this.log.push(sql);
    return this.duck.query(sql);
  }
  async unload(sql: string, opts: UnloadOptions): Promise<void> {
    this.log.push(`UNLOAD ${opts.prefix}`);
    await this.local.deletePrefix(`${opts.prefix}/`);
    await this.duck.unload(sql, opts);
    for (const o of await this.local.list(`${opts.prefix}/`)) await this.lake.put(o.key, await this.local.get(o.key));
  }
  async queryLarge(sql: string, scratch: string): Promise<Table> {
    await this.lake.deletePrefix(`${scratch}/`);
    await this.unload(sql, { prefix: scratch, partitionedBy: [] });
    try {
      return await readParquetObjects(this.lake, scratch);
    } finally {
      await this.lake.deletePrefix(`${scratch}/`);
    }
  }
  async close(): Promise<void> {}
}
