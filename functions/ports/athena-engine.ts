/**
 * AthenaEngine: SqlEngine over Amazon Athena (engine v3, Trino dialect).
 * Tables live in the Glue Data Catalog, provisioned by the infrastructure (CDK) with partition
 * projection, so `attach` has nothing to do. `query` reads results through GetQueryResults (fine
 * for small/medium results; large outputs go through `unload`, which writes Parquet to the lake).
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  paginateGetQueryResults,
  type ColumnInfo,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import type { Table } from 'apache-arrow';
import { joinKey, type ObjectStore } from './object-store.ts';
import { readParquetObjects } from './parquet-objects.ts';
import type { CallOptions, SqlEngine, TableLocation, UnloadOptions } from './sql-engine.ts';
import { arrowTypeForAthena, tableFromTextColumns, type TextColumn } from './arrow-util.ts';

export interface AthenaEngineOptions {
  client?: AthenaClient;
  workGroup: string;
  /** Glue database used as the QueryExecutionContext (unqualified table names resolve here). */
  database: string;
  /** `s3://bucket/prefix` of the lake ObjectStore; UNLOAD targets are `${lakeUri}/${opts.prefix}/`. */
  lakeUri: string;
  /**
   * The workgroup an UNLOAD to `prefix` runs in, when not `workGroup`: Athena encrypts what UNLOAD
   * writes with its workgroup's result encryption, so data of another class (a run's published
   * tables) is unloaded through a workgroup with that class's key.
   * @default - every statement in `workGroup`
   */
  unloadWorkGroupFor?: (prefix: string) => string | undefined;
  /**
   * Query result location. Only sent when given; a workgroup with "override client-side settings"
   * (enforced configuration) ignores it and uses its own location.
   */
  outputLocation?: string;
  /** First poll delay in ms (default 250). */
  pollIntervalMs?: number;
  /** Poll delay cap in ms (default 5000). */
  maxPollIntervalMs?: number;
  /** Poll delay multiplier (default 1.5). */
  backoffFactor?: number;
  /** Give up (StopQueryExecution + throw) after this many ms (default 15 minutes). */
  timeoutMs?: number;
  /** GetQueryResults MaxResults (default and maximum 1000). Small values are for tests. */
  resultPageSize?: number;
  /**
   * Out of scope: would register partitions / create tables on attach. Glue tables and partition
   * projection are provisioned by CDK, so attach is a no-op whatever this is set to.
   */
  registerPartitions?: boolean;
  /**
   * The lake as an object store (the bucket of `lakeUri`): `queryLarge` reads its UNLOAD output
   * back through it. Without it, queryLarge falls back to paging the results.
   */
  lake?: ObjectStore;
  /** Injectable clock and sleep (tests). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Error for a query that ended FAILED or CANCELLED, or timed out. */
export class AthenaQueryError extends Error {
  constructor(
    message: string,
    public readonly queryExecutionId: string,
    public readonly state: string,
    public readonly reason?: string,
  ) {
    super(message);
    this.name = 'AthenaQueryError';
  }
}

const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const MAX_RESULTS = 1000;

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Strip trailing semicolons/whitespace so the statement can be embedded in UNLOAD (...). */
function stripStatement(sql: string): string {
  return sql.trim().replace(/[;\s]+$/, '');
}

/**
 * The UNLOAD statement AthenaEngine.unload runs. Pure, for tests.
 * `UNLOAD (<sql>) TO '<lakeUri>/<prefix>/' WITH (format = 'PARQUET', compression = 'SNAPPY'[, partitioned_by = ARRAY['p', ...]])`
 */
export function unloadStatement(sql: string, lakeUri: string, opts: UnloadOptions): string {
  const base = lakeUri.replace(/\/+$/, '');
  const prefix = joinKey(opts.prefix);
  if (!prefix) throw new Error('unload: empty prefix');
  const location = `${base}/${prefix}/`;
  const props = [`format = 'PARQUET'`, `compression = 'SNAPPY'`];
  if (opts.partitionedBy.length > 0) {
    props.push(`partitioned_by = ARRAY[${opts.partitionedBy.map(sqlString).join(', ')}]`);
  }
  return `UNLOAD (${stripStatement(sql)}) TO ${sqlString(location)} WITH (${props.join(', ')})`;
}

function failureMessage(id: string, qe: QueryExecution | undefined): { message: string; reason?: string } {
  const status = qe?.Status;
  const state = status?.State ?? 'UNKNOWN';
  const reason = status?.StateChangeReason;
  const ae = status?.AthenaError;
  const parts = [`Athena query ${id} ${state}`];
  if (reason) parts.push(`: ${reason}`);
  if (ae?.ErrorMessage && ae.ErrorMessage !== reason) parts.push(` (${ae.ErrorMessage})`);
  if (ae?.ErrorCategory !== undefined || ae?.ErrorType !== undefined) {
    parts.push(` [category ${ae?.ErrorCategory ?? '?'}, type ${ae?.ErrorType ?? '?'}]`);
  }
  return { message: parts.join(''), reason };
}

export class AthenaEngine implements SqlEngine {
  readonly name = 'athena' as const;
  readonly client: AthenaClient;
  private readonly ownsClient: boolean;
  private readonly opts: AthenaEngineOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(opts: AthenaEngineOptions) {
    this.opts = opts;
    this.ownsClient = !opts.client;
    this.client = opts.client ?? new AthenaClient({});
    this.sleep = opts.sleep ?? defaultSleep;
    this.now = opts.now ?? Date.now;
  }

  /** No-op: Glue tables (with partition projection) are provisioned by CDK. See `registerPartitions`. */
  async attach(_table: TableLocation): Promise<void> {
    // Intentionally empty. Registering tables/partitions from here (CREATE EXTERNAL TABLE /
    // MSCK REPAIR / Glue BatchCreatePartition) is out of scope; `registerPartitions` is reserved.
  }

  /**
   * Start a statement and poll until it finishes. Returns the final QueryExecution. When `signal`
   * is aborted the query is stopped (StopQueryExecution) and the call rejects with its reason.
   */
  async execute(sql: string, workGroup: string = this.opts.workGroup, signal?: AbortSignal): Promise<QueryExecution & { QueryExecutionId: string }> {
    signal?.throwIfAborted();
    const start = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        QueryExecutionContext: { Database: this.opts.database },
        WorkGroup: workGroup,
        ...(this.opts.outputLocation ? { ResultConfiguration: { OutputLocation: this.opts.outputLocation } } : {}),
      }),
    );
    const id = start.QueryExecutionId;
    if (!id) throw new Error('Athena StartQueryExecution returned no QueryExecutionId');
    const stopped = async (): Promise<never> => {
      await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
      throw signal!.reason;
    };
    // Aborted while waiting between polls: wake at once (the listener goes when the call ends).
    let wake = () => {};
    const aborted = new Promise<void>((resolve) => (wake = resolve));
    signal?.addEventListener('abort', wake, { once: true });
    try {
      return await this.poll(id, signal, aborted, stopped);
    } finally {
      signal?.removeEventListener('abort', wake);
    }
  }

  /** Poll query `id` until it ends, times out (stopped) or `signal` is aborted (`stopped`). */
  private async poll(id: string, signal: AbortSignal | undefined, aborted: Promise<void>, stopped: () => Promise<never>): Promise<QueryExecution & { QueryExecutionId: string }> {
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxDelay = this.opts.maxPollIntervalMs ?? 5000;
    const factor = this.opts.backoffFactor ?? 1.5;
    const deadline = this.now() + timeoutMs;
    let delay = Math.min(this.opts.pollIntervalMs ?? 250, maxDelay);
    let last: QueryExecution | undefined;

    for (;;) {
      const remaining = deadline - this.now();
      if (remaining <= 0) {
        await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
        const lastState = last?.Status?.State ?? 'unknown';
        throw new AthenaQueryError(
          `Athena query ${id} timed out after ${timeoutMs} ms (last state ${lastState}); StopQueryExecution requested`,
          id,
          'TIMEOUT',
        );
      }
      if (signal?.aborted) return stopped();
      await Promise.race([this.sleep(Math.min(delay, remaining)), aborted]);
      if (signal?.aborted) return stopped();
      delay = Math.min(delay * factor, maxDelay);

      const res = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      last = res.QueryExecution;
      const state = last?.Status?.State;
      if (state === 'SUCCEEDED') return { ...last, QueryExecutionId: id };
      if (state === 'FAILED' || state === 'CANCELLED') {
        const { message, reason } = failureMessage(id, last);
        throw new AthenaQueryError(message, id, state, reason);
      }
      // QUEUED / RUNNING (or missing): keep polling.
    }
  }

  async query(sql: string, opts: CallOptions = {}): Promise<Table> {
    const qe = await this.execute(sql, this.opts.workGroup, opts.signal);
    const id = qe.QueryExecutionId;
    // DML (SELECT) results carry the column names as their first row; DDL/UTILITY results do not.
    let skipHeader = qe.StatementType === undefined || qe.StatementType === 'DML';
    let columns: TextColumn[] | undefined;
    let infos: ColumnInfo[] = [];

    const pages = paginateGetQueryResults(
      { client: this.client, pageSize: Math.min(this.opts.resultPageSize ?? MAX_RESULTS, MAX_RESULTS) },
      { QueryExecutionId: id },
    );
    for await (const page of pages) {
      const rs = page.ResultSet;
      if (!columns) {
        infos = rs?.ResultSetMetadata?.ColumnInfo ?? [];
        columns = infos.map((ci, i) => ({
          name: ci.Name ?? ci.Label ?? `_col${i}`,
          type: arrowTypeForAthena(ci.Type),
          values: [],
        }));
      }
      let rows = rs?.Rows ?? [];
      if (skipHeader && rows.length > 0) {
        const header = rows[0]!.Data ?? [];
        // Without a StatementType, only drop the first row if it really is the header.
        const isHeader =
          qe.StatementType === 'DML' ||
          (header.length === infos.length && header.every((d, i) => d.VarCharValue === (infos[i]!.Name ?? infos[i]!.Label)));
        if (isHeader) rows = rows.slice(1);
        skipHeader = false;
      }
      for (const row of rows) {
        const data = row.Data ?? [];
        if (data.length !== columns.length) {
          throw new Error(`Athena query ${id}: row has ${data.length} values, expected ${columns.length}`);
        }
        for (let c = 0; c < columns.length; c++) {
          const v = data[c]!.VarCharValue;
          columns[c]!.values.push(v === undefined ? null : v);
        }
      }
    }
    return tableFromTextColumns(columns ?? []);
  }

  async unload(sql: string, opts: UnloadOptions): Promise<void> {
    await this.execute(unloadStatement(sql, this.opts.lakeUri, opts), this.opts.unloadWorkGroupFor?.(opts.prefix) ?? this.opts.workGroup, opts.signal);
  }

  /**
   * UNLOAD to `scratch` (emptied first: UNLOAD needs an empty target), read the Parquet files
   * back, delete them. A million rows is a few Parquet files instead of a thousand
   * GetQueryResults calls of text cells.
   */
  async queryLarge(sql: string, scratch: string, opts: CallOptions = {}): Promise<Table> {
    const lake = this.opts.lake;
    if (!lake) return this.query(sql, opts);
    const prefix = joinKey(scratch);
    if (!prefix) throw new Error('queryLarge: empty scratch prefix');
    await lake.deletePrefix(`${prefix}/`);
    await this.unload(sql, { prefix, partitionedBy: [], signal: opts.signal });
    try {
      return await readParquetObjects(lake, prefix);
    } finally {
      await lake.deletePrefix(`${prefix}/`).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}
