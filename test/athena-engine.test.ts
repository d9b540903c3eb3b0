import {
  AthenaClient,
  CreateWorkGroupCommand,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type ColumnInfo,
  type GetQueryResultsCommandOutput,
  type QueryExecution,
  type Row,
} from '@aws-sdk/client-athena';
import { Bool, DateDay, Float64, Int16, Int32, Int64, Int8, Utf8, tableFromArrays } from 'apache-arrow';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { toParquet } from '../functions/lake/parquet.ts';
// Deep import: the package root pulls in every dialect's generated parser (~8 s of transform under vitest).
import { TrinoSQL } from 'dt-sql-parser/dist/parser/trino/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { athenaUnloadWorkGroups } from '../functions/commons/athena.ts';
import { AthenaEngine, AthenaQueryError, unloadStatement } from '../functions/ports/athena-engine.ts';
import { awsTestConfig, seedAthenaResults, setMotoTransition, startMoto, type MotoServer } from './helpers/moto.ts';

const row = (...vals: (string | null)[]): Row => ({
  Data: vals.map((v) => (v === null ? {} : { VarCharValue: v })),
});
const col = (Name: string, Type: string): ColumnInfo => ({ Name, Label: Name, Type, Nullable: 'UNKNOWN' });

// ---------------------------------------------------------------------------------------------
// Fake client: a real AthenaClient (the SDK paginator checks instanceof) whose send() is scripted.
// ---------------------------------------------------------------------------------------------

interface Script {
  /** States returned by successive GetQueryExecution calls; the last one repeats. */
  states?: QueryExecution['Status'][];
  statementType?: QueryExecution['StatementType'];
  /** GetQueryResults pages, chained with NextToken. */
  pages?: { rows: Row[]; columns: ColumnInfo[] }[];
}

function fakeClient(script: Script) {
  const client = new AthenaClient({ region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const log: { name: string; input: any }[] = [];
  let polls = 0;
  const send = async (command: unknown): Promise<unknown> => {
    const input = { ...(command as { input: any }).input }; // copy: the SDK paginator mutates its input
    if (command instanceof StartQueryExecutionCommand) {
      log.push({ name: 'start', input });
      return { QueryExecutionId: 'qe-1' };
    }
    if (command instanceof GetQueryExecutionCommand) {
      log.push({ name: 'poll', input });
      const states = script.states ?? [{ State: 'SUCCEEDED' }];
      const status = states[Math.min(polls++, states.length - 1)];
      return { QueryExecution: { QueryExecutionId: input.QueryExecutionId, StatementType: script.statementType ?? 'DML', Status: status } };
    }
    if (command instanceof StopQueryExecutionCommand) {
      log.push({ name: 'stop', input });
      return {};
    }
    if (command instanceof GetQueryResultsCommand) {
      log.push({ name: 'results', input });
      const pages = script.pages ?? [];
      const idx = input.NextToken ? Number(input.NextToken) : 0;
      const page = pages[idx];
      const out: Partial<GetQueryResultsCommandOutput> = {
        ResultSet: { Rows: page?.rows ?? [], ResultSetMetadata: { ColumnInfo: page?.columns ?? [] } },
        ...(idx + 1 < pages.length ? { NextToken: String(idx + 1) } : {}),
      };
      return out;
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  };
  (client as unknown as { send: typeof send }).send = send;
  return { client, log };
}

function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

const baseOpts = { workGroup: 'catchment', database: 'catchment_lake', lakeUri: 's3://lake-bucket/lake' };

describe('AthenaEngine with a scripted client', () => {
  it('polls with exponential backoff, capped', async () => {
    const clock = fakeClock();
    const states = [...Array(8).fill({ State: 'RUNNING' }), { State: 'SUCCEEDED' }];
    const { client, log } = fakeClient({ states, pages: [{ rows: [row('n'), row('1')], columns: [col('n', 'integer')] }] });
    const engine = new AthenaEngine({ ...baseOpts, client, pollIntervalMs: 100, maxPollIntervalMs: 1000, backoffFactor: 2, ...clock });
    const t = await engine.query('SELECT 1 AS n');
    expect(log.filter((l) => l.name === 'poll')).toHaveLength(9);
    expect(clock.sleeps).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000]);
    expect(t.getChild('n')?.toArray()).toEqual(new Int32Array([1]));
    const start = log.find((l) => l.name === 'start')!.input;
    expect(start).toEqual({
      QueryString: 'SELECT 1 AS n',
      QueryExecutionContext: { Database: 'catchment_lake' },
      WorkGroup: 'catchment',
    });
    expect(start.ResultConfiguration).toBeUndefined();
  });

  it('default backoff is x1.5 from 250 ms capped at 5 s, and sends ResultConfiguration when outputLocation is set', async () => {
    const clock = fakeClock();
    const { client, log } = fakeClient({ states: [...Array(10).fill({ State: 'QUEUED' }), { State: 'SUCCEEDED' }] });
    const engine = new AthenaEngine({ ...baseOpts, client, outputLocation: 's3://results/athena/', ...clock });
    await engine.unload('SELECT 1', { prefix: 'stage/x', partitionedBy: [] });
    expect(clock.sleeps.slice(0, 4)).toEqual([250, 375, 562.5, 843.75]);
    expect(Math.max(...clock.sleeps)).toBe(5000);
    expect(log[0]!.input.ResultConfiguration).toEqual({ OutputLocation: 's3://results/athena/' });
  });

  it('stops a running query when its signal is aborted (StopQueryExecution), and never starts one whose signal already was', async () => {
    const { client, log } = fakeClient({ states: [{ State: 'RUNNING' }] });
    let polled = () => {};
    const firstPoll = new Promise<void>((resolve) => (polled = resolve));
    // Time never passes: only the abort can end the wait between polls.
    const engine = new AthenaEngine({ ...baseOpts, client, now: () => 0, sleep: () => (polled(), new Promise<void>(() => {})) });
    const stop = new AbortController();
    const reason = new Error('stopped: fair access failed');
    const running = engine.query('SELECT 1', { signal: stop.signal }).catch((e: unknown) => e);
    await firstPoll;
    stop.abort(reason);
    expect(await running).toBe(reason);
    expect(log.map((l) => l.name)).toEqual(['start', 'stop']);
    expect(log[1]!.input).toEqual({ QueryExecutionId: 'qe-1' });
    await expect(engine.unload('SELECT 1', { prefix: 'stage/x', partitionedBy: [], signal: stop.signal })).rejects.toBe(reason);
    expect(log).toHaveLength(2);
  });

  it('surfaces StateChangeReason, AthenaError and the execution id on FAILED', async () => {
    const clock = fakeClock();
    const { client, log } = fakeClient({
      states: [
        { State: 'RUNNING' },
        {
          State: 'FAILED',
          StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
          AthenaError: { ErrorCategory: 2, ErrorType: 1006, ErrorMessage: "Column 'nope' cannot be resolved" },
        },
      ],
    });
    const engine = new AthenaEngine({ ...baseOpts, client, ...clock });
    const err = await engine.query('SELECT nope FROM t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AthenaQueryError);
    const e = err as AthenaQueryError;
    expect(e.message).toContain("COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved");
    expect(e.message).toContain('qe-1');
    expect(e.message).toContain('FAILED');
    expect(e.message).toContain('type 1006');
    expect(e.queryExecutionId).toBe('qe-1');
    expect(e.state).toBe('FAILED');
    expect(log.some((l) => l.name === 'results')).toBe(false);
  });

  it('includes AthenaError.ErrorMessage when it differs from the reason; CANCELLED also throws', async () => {
    const clock = fakeClock();
    const { client } = fakeClient({
      states: [{ State: 'CANCELLED', StateChangeReason: 'Query cancelled by user', AthenaError: { ErrorMessage: 'stopped' } }],
    });
    const engine = new AthenaEngine({ ...baseOpts, client, ...clock });
    await expect(engine.query('SELECT 1')).rejects.toThrow(/qe-1 CANCELLED: Query cancelled by user \(stopped\)/);
  });

  it('stops the query and throws on timeout', async () => {
    const clock = fakeClock();
    const { client, log } = fakeClient({ states: [{ State: 'RUNNING' }] });
    const engine = new AthenaEngine({ ...baseOpts, client, timeoutMs: 3000, pollIntervalMs: 500, maxPollIntervalMs: 1000, ...clock });
    await expect(engine.query('SELECT slow()')).rejects.toThrow(/qe-1 timed out after 3000 ms \(last state RUNNING\)/);
    expect(log.at(-1)).toEqual({ name: 'stop', input: { QueryExecutionId: 'qe-1' } });
    expect(clock.now()).toBe(3000); // last sleep shortened to the deadline
  });

  it('paginates results (MaxResults), skips the header only on the first page, maps types and nulls', async () => {
    const columns = [col('urn', 'varchar'), col('n', 'bigint'), col('share', 'double'), col('ok', 'boolean')];
    const pages = [
      { rows: [row('urn', 'n', 'share', 'ok'), row('100001', '5', '0.5', 'true'), row('100002', null, 'NaN', null)], columns },
      { rows: [row('urn', '9007199254740993', '1e3', 'false')], columns }, // a data row that looks like a header
      { rows: [row(null, '-1', null, 'true')], columns },
    ];
    const clock = fakeClock();
    const { client, log } = fakeClient({ pages });
    const engine = new AthenaEngine({ ...baseOpts, client, resultPageSize: 3, ...clock });
    const t = await engine.query('SELECT ...');
    const resultCalls = log.filter((l) => l.name === 'results');
    expect(resultCalls.map((l) => [l.input.MaxResults, l.input.NextToken])).toEqual([
      [3, undefined],
      [3, '1'],
      [3, '2'],
    ]);
    expect(t.numRows).toBe(4);
    expect(t.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ['urn', 'Utf8'],
      ['n', 'Int64'],
      ['share', 'Float64'],
      ['ok', 'Bool'],
    ]);
    expect(t.toArray().map((r) => r.toJSON())).toEqual([
      { urn: '100001', n: 5n, share: 0.5, ok: true },
      { urn: '100002', n: null, share: NaN, ok: null },
      { urn: 'urn', n: 9007199254740993n, share: 1000, ok: false },
      { urn: null, n: -1n, share: null, ok: true },
    ]);
  });

  it('defaults MaxResults to 1000 and does not skip a first row for DDL/UTILITY statements', async () => {
    const clock = fakeClock();
    const { client, log } = fakeClient({
      statementType: 'UTILITY',
      pages: [{ rows: [row('curated_pupils'), row('published_profiles')], columns: [col('tab_name', 'string')] }],
    });
    const engine = new AthenaEngine({ ...baseOpts, client, ...clock });
    const t = await engine.query('SHOW TABLES');
    expect(log.find((l) => l.name === 'results')!.input.MaxResults).toBe(1000);
    expect(t.getChild('tab_name')?.toArray()).toEqual(['curated_pupils', 'published_profiles']);
  });

  it('unload() runs the UNLOAD statement and reads no results', async () => {
    const clock = fakeClock();
    const { client, log } = fakeClient({});
    const engine = new AthenaEngine({ ...baseOpts, lakeUri: 's3://lake-bucket/lake/', client, ...clock });
    const inner = "SELECT school_urn, count(*) AS pupils, period FROM curated_pupils WHERE phase = 'primary' GROUP BY school_urn, period";
    await engine.unload(`${inner};\n`, { prefix: '/staging/run-7/profiles/', partitionedBy: ['period'] });
    const sql = log.find((l) => l.name === 'start')!.input.QueryString as string;
    expect(sql).toBe(
      `UNLOAD (${inner}) TO 's3://lake-bucket/lake/staging/run-7/profiles/' ` +
        `WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['period'])`,
    );
    expect(log.some((l) => l.name === 'results')).toBe(false);
    await engine.close();
  });
});

describe('AthenaEngine: the workgroup of an UNLOAD follows the data class of its target', () => {
  it('unloads a run’s published tables in the publishing workgroup (published-data key) and everything else in the pipeline’s', async () => {
    const { client, log } = fakeClient({});
    const engine = new AthenaEngine({ ...baseOpts, client, ...fakeClock(), unloadWorkGroupFor: athenaUnloadWorkGroups('catchment-publish') });
    await engine.unload('SELECT 1', { prefix: 'runs/nightly-2025-06-01/published/school_profile/period=2025-26', partitionedBy: [] });
    await engine.unload('SELECT 1', { prefix: 'staging/nightly-2025-06-01/parts/2025-26/curated/enriched_pupils/period=2025-26', partitionedBy: [] });
    await engine.query('SELECT 1');
    expect(log.filter((l) => l.name === 'start').map((l) => l.input.WorkGroup)).toEqual(['catchment-publish', 'catchment', 'catchment']);
    expect(athenaUnloadWorkGroups(undefined)).toBeUndefined();
  });
});

describe('queryLarge', () => {
  it('UNLOADs to the scratch prefix (emptied first), reads the Parquet back from the lake, never pages results, and cleans up', async () => {
    const root = mkdtempSync(join(tmpdir(), 'catchment-ql-'));
    try {
      const lake = new LocalObjectStore(root);
      const scratch = 'staging/run-7/results/school-profile-2025-26';
      // What an earlier attempt left: UNLOAD needs an empty target, and it must not be read.
      await lake.put(`${scratch}/20251101_000000_old`, toParquet(tableFromArrays({ urn: ['999999'], n: Int32Array.from([1]) })));
      const { client, log } = fakeClient({});
      const send = client.send.bind(client) as (c: unknown) => Promise<unknown>;
      (client as unknown as { send: typeof send }).send = async (c: unknown) => {
        // Athena writes the UNLOAD's files (names without an extension) under the target.
        if (c instanceof StartQueryExecutionCommand) {
          expect(await lake.list(`${scratch}/`)).toEqual([]);
          await lake.put(`${scratch}/20251102_000000_a`, toParquet(tableFromArrays({ urn: ['100001', '100002'], n: Int32Array.from([3, 4]) })));
          await lake.put(`${scratch}/20251102_000000_b`, toParquet(tableFromArrays({ urn: ['100003'], n: Int32Array.from([5]) })));
        }
        return send(c);
      };
      const engine = new AthenaEngine({ ...baseOpts, lakeUri: 's3://lake-bucket', lake, client, ...fakeClock() });
      const t = await engine.queryLarge('SELECT urn, n FROM x', scratch);
      expect(t.numRows).toBe(3);
      expect([...t.getChild('urn')!].sort()).toEqual(['100001', '100002', '100003']);
      expect(log.find((l) => l.name === 'start')!.input.QueryString).toMatch(/^UNLOAD \(SELECT urn, n FROM x\) TO 's3:\/\/lake-bucket\/staging\/run-7\/results\/school-profile-2025-26\/'/);
      expect(log.some((l) => l.name === 'results')).toBe(false);
      expect(await lake.list(`${scratch}/`)).toEqual([]);
      await engine.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('unloadStatement', () => {
  const parser = new TrinoSQL();
  const UNLOAD_RE = /^UNLOAD \(([\s\S]*)\) TO '([^']*)' WITH \((.*)\)$/;

  it('embeds a SELECT that parses as Trino SQL', () => {
    const inner = `WITH x AS (SELECT a, b, period FROM t WHERE c IN ('p', 'q''s')) SELECT a, sum(b) AS b, period FROM x GROUP BY a, period`;
    const sql = unloadStatement(inner, 's3://bkt/lake', { prefix: 'stage/1', partitionedBy: ['la_code', 'period'] });
    const m = UNLOAD_RE.exec(sql);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(inner);
    expect(parser.validate(m![1]!)).toEqual([]);
    expect(m![2]).toBe('s3://bkt/lake/stage/1/');
    expect(m![3]).toBe(`format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['la_code', 'period']`);
    // Note: dt-sql-parser's TrinoSQL grammar has no UNLOAD (an Athena extension), so only the inner
    // SELECT is validated here.
  });

  it('omits partitioned_by when there are no partitions and rejects an empty prefix', () => {
    expect(unloadStatement('SELECT 1', 's3://b', { prefix: 'p', partitionedBy: [] })).toBe(
      `UNLOAD (SELECT 1) TO 's3://b/p/' WITH (format = 'PARQUET', compression = 'SNAPPY')`,
    );
    expect(() => unloadStatement('SELECT 1', 's3://b', { prefix: '/', partitionedBy: [] })).toThrow(/empty prefix/);
  });
});

// ---------------------------------------------------------------------------------------------
// moto: executions always SUCCEED; results come from a queue seeded through the moto API.
// ---------------------------------------------------------------------------------------------

describe('AthenaEngine against moto', () => {
  let moto: MotoServer;
  let client: AthenaClient;

  beforeAll(async () => {
    moto = await startMoto();
    client = new AthenaClient(awsTestConfig(moto.endpoint));
    await client.send(new CreateWorkGroupCommand({ Name: baseOpts.workGroup })); // moto validates the workgroup
  });
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  const engine = (extra: Partial<ConstructorParameters<typeof AthenaEngine>[0]> = {}) =>
    new AthenaEngine({ ...baseOpts, client, pollIntervalMs: 1, maxPollIntervalMs: 5, ...extra });

  it('query() builds an Arrow table with Athena types and nulls', async () => {
    const columns = [
      col('urn', 'varchar'),
      col('tiny', 'tinyint'),
      col('small', 'smallint'),
      col('pupils', 'integer'),
      col('total', 'bigint'),
      col('share', 'double'),
      col('amount', 'decimal'),
      col('flag', 'boolean'),
      col('census_date', 'date'),
      col('loaded_at', 'timestamp'),
      col('code', 'char'),
    ];
    await seedAthenaResults(moto.endpoint, [
      {
        column_info: columns,
        rows: [
          row(...columns.map((c) => c.Name!)), // Athena's header row for SELECTs
          row('100001', '1', '300', '250', '12345678901', '0.25', '12.50', 'true', '2024-01-18', '2024-01-18 09:30:00.000', 'E'),
          row(null, null, null, null, null, null, null, null, null, null, null),
          row('', '-3', '-2', '0', '-9007199254740993', '-Infinity', '0.1', 'false', '1999-12-31', '2000-01-01 00:00:00.000', 'W'),
        ],
      },
    ]);
    const t = await engine().query('SELECT * FROM census');
    expect(t.schema.fields.map((f) => f.type.constructor)).toEqual([
      Utf8, Int8, Int16, Int32, Int64, Float64, Float64, Bool, DateDay, Utf8, Utf8,
    ]);
    expect(t.numRows).toBe(3);
    const rows = t.toArray().map((r) => r.toJSON());
    expect(rows[0]).toEqual({
      urn: '100001',
      tiny: 1,
      small: 300,
      pupils: 250,
      total: 12345678901n,
      share: 0.25,
      amount: 12.5,
      flag: true,
      census_date: Date.UTC(2024, 0, 18),
      loaded_at: '2024-01-18 09:30:00.000',
      code: 'E',
    });
    expect(Object.values(rows[1]!).every((v) => v === null)).toBe(true);
    expect(rows[2]).toMatchObject({ urn: '', total: -9007199254740993n, share: -Infinity, flag: false, census_date: Date.UTC(1999, 11, 31) });
    for (const f of t.schema.fields) expect(t.getChild(f.name)!.nullCount).toBe(1);
  });

  it('returns all rows of a large result (moto returns a single page, no NextToken)', async () => {
    const n = 2500;
    await seedAthenaResults(moto.endpoint, [
      {
        column_info: [col('i', 'integer'), col('s', 'varchar')],
        rows: [row('i', 's'), ...Array.from({ length: n }, (_, i) => row(String(i), i % 7 === 0 ? null : `v${i}`))],
      },
    ]);
    const t = await engine().query('SELECT i, s FROM big');
    expect(t.numRows).toBe(n);
    expect(t.getChild('i')!.get(n - 1)).toBe(n - 1);
    expect(t.getChild('s')!.nullCount).toBe(Math.ceil(n / 7));
  });

  it('an empty result (nothing seeded) is an empty table', async () => {
    const t = await engine().query('SELECT 1 WHERE false');
    expect(t.numRows).toBe(0);
    expect(t.numCols).toBe(0);
  });

  it('polls until moto advances QUEUED -> RUNNING -> SUCCEEDED (manual transitions)', async () => {
    await setMotoTransition(moto.endpoint, 'athena::execution', { progression: 'manual', times: 3 });
    try {
      let polls = 0;
      const counting = new AthenaEngine({
        ...baseOpts,
        client,
        pollIntervalMs: 1,
        maxPollIntervalMs: 2,
        sleep: async () => {
          polls++;
        },
      });
      await counting.unload('SELECT 1 AS x', { prefix: 'stage/moto', partitionedBy: [] });
      expect(polls).toBeGreaterThanOrEqual(3);
    } finally {
      await setMotoTransition(moto.endpoint, 'athena::execution', { progression: 'immediate' });
    }
  });

  it('sends database, workgroup and output location to StartQueryExecution', async () => {
    const e = engine({ outputLocation: 's3://athena-results/q/' });
    const qe = await e.execute('SELECT 42');
    expect(qe.QueryExecutionContext?.Database).toBe('catchment_lake');
    expect(qe.ResultConfiguration?.OutputLocation).toMatch(/^s3:\/\/athena-results\/q\//);
    expect(qe.Status?.State).toBe('SUCCEEDED');
    await e.attach({ name: 'curated_pupils', prefix: 'curated/pupils', partitions: ['period'] }); // no-op
  });
});
