/**
 * SqlEngine port. SQL text given to `query` and `unload` is the shared dialect: a SELECT that
 * parses as Trino SQL (Athena engine v3) and runs unchanged on DuckDB. Engine-specific DDL
 * (views over Parquet, partitions, COPY vs UNLOAD) lives inside each implementation.
 * Implementations: DuckDbEngine (duckdb-engine.ts), AthenaEngine (athena-engine.ts).
 */
import type { Table } from 'apache-arrow';

export interface TableLocation {
  /** Table name used in shared SQL, snake_case. */
  name: string;
  /** Key prefix in the lake store holding Hive-partitioned Parquet, e.g. `curated/pupils`. */
  prefix: string;
  /**
   * The partition folders to read instead of everything under `prefix` (published tables: the
   * folders the publication pointer names, each `.../<partition>=<value>`).
   */
  prefixes?: string[];
  /** Hive partition columns, e.g. ['period']. */
  partitions: string[];
}

/**
 * A call's options. A statement whose `signal` is aborted is stopped (DuckDB interrupts it, Athena
 * sends StopQueryExecution), or never started when still waiting its turn, and the call rejects
 * with the signal's reason.
 */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface UnloadOptions extends CallOptions {
  /** Lake key prefix to write Parquet into. Must be empty (emptied by the caller before each attempt). */
  prefix: string;
  /** Partition columns; they must be the last columns of the SELECT, in this order. */
  partitionedBy: string[];
}

/** Calls may be made concurrently (the analysis runs a period's fair access beside its profiles). */
export interface SqlEngine {
  readonly name: 'duckdb' | 'athena';
  /** Make a Parquet dataset in the lake queryable under `table.name`. Idempotent. */
  attach(table: TableLocation): Promise<void>;
  /** Run a SELECT and return its result as an Arrow table. */
  query(sql: string, opts?: CallOptions): Promise<Table>;
  /** Run a SELECT and write its result as Hive-partitioned Parquet under `opts.prefix`. */
  unload(sql: string, opts: UnloadOptions): Promise<void>;
  /**
   * Run a SELECT whose result may be large (a row per school and segment at England scale) and
   * return it as an Arrow table. DuckDB answers as `query` does; Athena UNLOADs the result as
   * Parquet under `scratch` (a lake prefix, emptied first and removed after) and reads the files
   * back, instead of paging GetQueryResults at 1,000 rows a call. Row order: sorted as the SELECT
   * says within each UNLOAD file, not across files (callers that need an order impose it).
   */
  queryLarge(sql: string, scratch: string, opts?: CallOptions): Promise<Table>;
  close(): Promise<void>;
}

/**
 * `engine` with every statement made under `signal` (stopped when it is aborted, and none begun
 * after): what one of two pieces of work side by side is given, so that when the other fails it
 * stops at its next statement instead of running to its end. Closing it leaves `engine` open.
 */
export function abortable(engine: SqlEngine, signal: AbortSignal): SqlEngine {
  // A call's own signal, if it has one, stops it too.
  const under = (own?: AbortSignal) => (own ? AbortSignal.any([signal, own]) : signal);
  return {
    name: engine.name,
    attach: async (table) => (signal.throwIfAborted(), engine.attach(table)),
    query: async (sql, opts) => (signal.throwIfAborted(), engine.query(sql, { ...opts, signal: under(opts?.signal) })),
    unload: async (sql, opts) => (signal.throwIfAborted(), engine.unload(sql, { ...opts, signal: under(opts.signal) })),
    queryLarge: async (sql, scratch, opts) => (signal.throwIfAborted(), engine.queryLarge(sql, scratch, { ...opts, signal: under(opts?.signal) })),
    close: async () => undefined,
  };
}
