/**
 * The nightly run's retry paths, end to end: the state machine definition exactly as `cdk synth`
 * makes it, run by a JSONata ASL interpreter (test/helpers/asl.ts) whose Task states call the real
 * handler code (classify, profiles, render-pdfs, publish) and the S3/SNS integrations against
 * moto_server (S3, Glue). Athena's execution is played by DuckDB over a mirror of the moto lake
 * (moto's Athena runs no SQL; the SQL itself is proven on Trino in trino-equivalence.test.ts).
 *
 * Faults are injected where they hurt: a classify that fails after writing (retried), a publish
 * that fails after flipping (retried: publishes twice), a second start of the same run id
 * (refused), a night that fails in profiles (recorded, nothing published changes), and the rerun
 * after it (publishes the new night whole). After each, what readers see through the pointer is
 * exactly one night's output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateDatabaseCommand, CreateTableCommand, GetPartitionsCommand, GlueClient } from '@aws-sdk/client-glue';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { awsTestConfig, startMoto, type MotoServer } from './helpers/moto.ts';
import { runStateMachine, TaskError, type AslResult } from './helpers/asl.ts';
import { concreteDefinition, FAKE, logicalId, synthApp, type Json } from './infra/helpers.ts';
import { GENERIC_CLASSIFICATION, SCHOOLS, TEST_KEY, tempDir, upn, writeFiles } from './helpers/fixtures.ts';
import { S3ObjectStore } from '../functions/ports/s3-store.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { MirroredEngine } from './helpers/mirrored-engine.ts';
import { ingest } from '../functions/ingest/ingest-stage.ts';
import { PublishedView, readPublication } from '../functions/lake/publication.ts';
import { acquireLakeLock, LOCK_KEY, releaseLakeLock } from '../functions/lake/lock.ts';
import { runClassify } from '../functions/handlers/classify.ts';
import { runProfiles } from '../functions/handlers/profiles.ts';
import { runRenderPdfs } from '../functions/handlers/render-pdfs.ts';
import { runPublish } from '../functions/handlers/publish.ts';
import { PUBLISHED_TABLES } from '../schemas/published.ts';
import { dataColumnsOf, tablePrefix } from '../schemas/columns.ts';
import { fromParquet } from '../functions/lake/parquet.ts';

let moto: MotoServer;
let s3: S3Client;
let lake: S3ObjectStore;
let view: PublishedView;
let definition: Json;
let bucket: string;
let fnArn: Record<'classify' | 'profiles' | 'render' | 'publish', string>;
let work: string;
const notifications: string[] = [];
/** The last night's engine statements, and the keys the ItemReader read. */
let statements: string[] = [];
const reads: string[] = [];
const saved = { ...process.env };

const PUPILS = (moved: boolean) =>
  [
    'upn,urn,postcode,ncyear,fsm',
    ...Array.from({ length: 24 }, (_, i) => `${upn(i + 1)},${i % 2 ? '100001' : '100002'},${['KT1 1AA', 'KT1 1AB', 'KT1 2AA', 'KT1 2AB'][i % 4]},${5 + (i % 2)},${i % 3 ? 'N' : 'Y'}`),
    `${upn(99)},100001,${moved ? 'KT1 2AD' : 'KT1 1AD'},5,N`,
  ].join('\n');
const CONTACTS = ['contact_id,contact_date,postcode,channel,child_urn,child_ncyear', 'C1,2025-10-01,KT1 1AA,helpline,100001,5', 'C2,2025-10-02,KT1 2AA,email,100002,6', 'C3,2025-10-03,KT1 2AB,email,100002,6'].join('\n');

/** Ingest the inputs into the moto lake (the ingest Lambda's job between nights). */
async function loadInputs(moved: boolean) {
  const input = tempDir();
  writeFiles(input, { ...GENERIC_CLASSIFICATION, 'schools/schools.csv': SCHOOLS, 'pupils/pupils_2025-26.csv': PUPILS(moved), 'contacts/contacts.csv': CONTACTS });
  await ingest({ raw: new LocalObjectStore(input), lake, runId: `ingest-${Date.now()}`, period: '2025-26', pseudonymKey: TEST_KEY });
  rmSync(input, { recursive: true, force: true });
}

type Fault = (state: string, payload: Json, attempt: number, real: () => Promise<Json>) => Promise<Json>;

/** Run one night; `fault` may wrap any Lambda task (attempt counts per state name and payload). */
async function night(runId: string, fault?: Fault): Promise<AslResult> {
  const local = new LocalObjectStore(join(work, runId, String(Date.now())));
  mkdirSync(local.root, { recursive: true });
  const duck = await DuckDbEngine.create({ lakeRoot: local.root, threads: 1 });
  const sql = new MirroredEngine(lake, local, duck);
  statements = sql.log;
  const attempts = new Map<string, number>();
  try {
    return await runStateMachine(
      definition,
      { runId },
      {
        context: { Execution: { Id: `arn:aws:states:${FAKE.region}:${FAKE.account}:execution:NightlyRun:${runId}`, Name: runId, StartTime: new Date().toISOString() } },
        task: async (resource, args, state) => {
          if (resource === 'arn:aws:states:::lambda:invoke') {
            const p = args.Payload;
            const real = async () => {
              switch (args.FunctionName) {
                case fnArn.classify:
                  return runClassify(p, { lake, sql });
                case fnArn.profiles:
                  return runProfiles(p, { lake, sql });
                case fnArn.render:
                  return runRenderPdfs(p, lake);
                case fnArn.publish:
                  return runPublish(p, { lake, glue: { client: new GlueClient(awsTestConfig(moto.endpoint)), database: 'catchment', lakeBucket: bucket } });
              }
              throw new Error(`unknown function ${args.FunctionName}`);
            };
            const key = `${state}:${JSON.stringify(p)}`;
            const n = (attempts.get(key) ?? 0) + 1;
            attempts.set(key, n);
            const payload = fault ? await fault(state, p, n, real) : await real();
            return { Payload: JSON.parse(JSON.stringify(payload)), StatusCode: 200 };
          }
          if (resource === 'arn:aws:states:::s3:getObject') {
            // The Pdfs Distributed Map's ItemReader (InputType JSON): the object is the item array.
            expect(state).toBe('ItemReader');
            reads.push(args.Key);
            return JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: args.Bucket, Key: args.Key }))).Body!.transformToString());
          }
          if (resource === 'arn:aws:states:::aws-sdk:s3:listObjectsV2') return s3.send(new ListObjectsV2Command(args));
          if (resource === 'arn:aws:states:::aws-sdk:s3:deleteObjects') return s3.send(new DeleteObjectsCommand(args));
          if (resource === 'arn:aws:states:::aws-sdk:s3:putObject') {
            try {
              return await s3.send(new PutObjectCommand(args));
            } catch (e) {
              // An unmodelled S3 error (412 PreconditionFailed) reaches Step Functions as S3.S3Exception.
              throw new TaskError('S3.S3Exception', (e as Error).message);
            }
          }
          if (resource === 'arn:aws:states:::sns:publish') {
            notifications.push(String(args.Message));
            return { MessageId: 'm' };
          }
          throw new Error(`no local implementation of ${resource}`);
        },
      },
    );
  } finally {
    await duck.close();
  }
}

/** What readers see: every published key through the pointer, with its bytes. */
async function snapshot(): Promise<Record<string, string>> {
  view.refresh();
  const out: Record<string, string> = {};
  for (const o of await view.list('published/')) {
    if (o.key.startsWith('published/portal_')) continue;
    out[o.key] = Buffer.from(await view.get(o.key)).toString('base64');
  }
  return out;
}

async function laPupils(): Promise<number> {
  view.refresh();
  const [part] = (await view.list('published/match_summary/period=2025-26/')).filter((o) => o.key.endsWith('.parquet'));
  const t = await fromParquet(await view.get(part!.key));
  const scope = t.getChild('scope')!;
  const pupils = t.getChild('pupils')!;
  for (let i = 0; i < t.numRows; i++) if (scope.get(i) === 'la') return Number(pupils.get(i));
  throw new Error('no LA row');
}

const error = (name: string, message: string) => Object.assign(new Error(message), { name });

beforeAll(async () => {
  moto = await startMoto();
  const cfg = awsTestConfig(moto.endpoint);
  Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: cfg.region, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  s3 = new S3Client(cfg);
  const synth = synthApp();
  definition = concreteDefinition(synth.json);
  bucket = FAKE.bucket(logicalId(synth.stack, synth.stack.storage.lakeBucket));
  const arn = (fn: object) => `arn:aws:lambda:${FAKE.region}:${FAKE.account}:function:${logicalId(synth.stack, fn)}`;
  fnArn = { classify: arn(synth.stack.classifyFunction), profiles: arn(synth.stack.profilesFunction), render: arn(synth.stack.renderPdfsFunction), publish: arn(synth.stack.publishFunction) };
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
  lake = new S3ObjectStore({ bucket, client: s3 });
  view = new PublishedView(lake, 0);
  const glue = new GlueClient(cfg);
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'catchment' } }));
  for (const t of PUBLISHED_TABLES) {
    await glue.send(
      new CreateTableCommand({
        DatabaseName: 'catchment',
        TableInput: { Name: t.name, TableType: 'EXTERNAL_TABLE', PartitionKeys: [{ Name: 'period', Type: 'string' }], StorageDescriptor: { Location: `s3://${bucket}/${tablePrefix(t)}/`, Columns: dataColumnsOf(t).map((c) => ({ Name: c.name, Type: c.type })) } },
      }),
    );
  }
  work = tempDir('catchment-sfn-');
  await loadInputs(false);
}, 180_000);

afterAll(async () => {
  process.env = saved;
  await moto?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the nightly run state machine against moto', () => {
  let first: Record<string, string>;

  it('a classify retried after it wrote, and a publish retried after it flipped, publish the night once and whole', async () => {
    const r = await night('nightly-2025-11-01', async (state, _p, attempt, real) => {
      if (state === 'Classify' && attempt === 1) {
        await real(); // wrote its tables and enriched partitions, then the invocation failed
        throw error('ThrottlingException', 'Rate exceeded');
      }
      if (state === 'Publish' && attempt === 1) {
        await real(); // flipped the pointer, then the response was lost
        throw error('TooManyRequestsException', 'Rate exceeded');
      }
      return real();
    });
    expect(r.status, `${r.error} ${r.cause}`).toBe('SUCCEEDED');
    expect(r.trace).toContain('Classify#retry');
    expect(r.trace).toContain('Publish#retry');
    expect(r.trace.at(-1)).toBe('Succeeded');
    const pub = (await readPublication(lake))!;
    expect(pub.runId).toBe('nightly-2025-11-01');
    expect(pub.history).toEqual(['nightly-2025-11-01']);
    // No duplicate rows from the retried classify: 25 pupils, counted once.
    expect(await laPupils()).toBe(25);
    // Profiles ran per period, then the trend; the PDF work list came from S3, not the state.
    expect(r.trace).toEqual(expect.arrayContaining(['ProfilesEachPeriod', 'Profiles', 'FairAccessTrend', 'Pdfs', 'RenderPdfs']));
    expect(reads).toEqual(['staging/nightly-2025-11-01/pdf-items.json']);
    // The profile rows (a row per school and segment) came back as UNLOADed Parquet read from S3,
    // never through GetQueryResults (`query`).
    const profileRows = statements.filter((x) => /unit_rank/.test(x));
    expect(profileRows).toEqual([]);
    expect(statements).toEqual(expect.arrayContaining(['UNLOAD staging/nightly-2025-11-01/results/school-profile-2025-26', 'UNLOAD staging/nightly-2025-11-01/results/cluster-profile-2025-26']));
    first = await snapshot();
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['published/profiles/2025-26/100001.pdf', 'published/reports/2025-26/fair-access.pdf', 'published/match_summary/period=2025-26/part-00000.parquet']));
    // Athena follows: the Glue partitions point at the night's run.
    const parts = await new GlueClient(awsTestConfig(moto.endpoint)).send(new GetPartitionsCommand({ DatabaseName: 'catchment', TableName: 'match_summary' }));
    expect(parts.Partitions!.map((p) => p.StorageDescriptor!.Location)).toEqual([`s3://${bucket}/runs/nightly-2025-11-01/published/match_summary/period=2025-26/`]);
    const manifest = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'manifests/latest.json' }))).Body!.transformToString());
    expect(manifest).toMatchObject({ runId: 'nightly-2025-11-01', status: 'succeeded' });
  }, 240_000);

  it('a second start with the same run id is refused before it touches anything', async () => {
    const before = await snapshot();
    const r = await night('nightly-2025-11-01');
    expect(r.status).toBe('FAILED');
    expect(r.trace.slice(0, 3)).toEqual(['Plan', 'ClaimRun', 'NotifyFailure']);
    expect(r.trace).not.toContain('AcquireLock');
    expect(r.trace).not.toContain('Classify');
    expect(r.trace).not.toContain('RecordFailure');
    expect(await snapshot()).toEqual(before);
  }, 120_000);

  it('a night waits while an ingest holds the lake lock, and an ingest cannot start under the night', async () => {
    const base = await snapshot();
    await acquireLakeLock(lake, 'ingest-upload-1', 'ingest', { ttlMs: 600_000 });
    let ingestRefused = '';
    const r = await night('nightly-2025-11-01b', async (state, _p, attempt, real) => {
      // The ingest finishes while the night keeps retrying AcquireLock (LakeBusyError).
      if (state === 'AcquireLock' && attempt === 3) await releaseLakeLock(lake, 'ingest-upload-1');
      if (state === 'Classify') ingestRefused = String(await acquireLakeLock(lake, 'ingest-upload-2', 'ingest', { ttlMs: 600_000 }).catch((e: Error) => e.name));
      return real();
    });
    expect(r.status, `${r.error} ${r.cause}`).toBe('SUCCEEDED');
    expect(r.trace.filter((t) => t === 'AcquireLock#retry')).toHaveLength(2);
    expect(ingestRefused).toBe('LakeBusyError');
    expect(await lake.exists(LOCK_KEY)).toBe(false); // given back at the end
    // Same inputs: the same output, now from this night's run.
    expect(await snapshot()).toEqual(base);
    first = base;
  }, 240_000);

  it('a night that fails in profiles records a failed manifest and leaves what readers see exactly as it was', async () => {
    await loadInputs(true); // a pupil moved house: the next night's outputs differ
    const r = await night('nightly-2025-11-02', async (state, _p, _attempt, real) => {
      if (state === 'Profiles') throw error('AthenaQueryError', 'Athena query q-1 FAILED: HIVE_BAD_DATA');
      return real();
    });
    expect(r.status).toBe('FAILED');
    expect(r.trace.slice(-3)).toEqual(['RecordFailure', 'NotifyFailure', 'Failed']);
    expect(await snapshot()).toEqual(first);
    expect(await lake.exists(LOCK_KEY)).toBe(false); // a failed night gives the lock back too
    const failed = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'manifests/nightly-2025-11-02.json' }))).Body!.transformToString());
    expect(failed).toMatchObject({ runId: 'nightly-2025-11-02', status: 'failed' });
    expect(failed.error).toMatch(/AthenaQueryError/);
    const latest = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'manifests/latest.json' }))).Body!.transformToString());
    expect(latest.runId).toBe('nightly-2025-11-01b');
    expect(notifications.at(-1)).toMatch(/nightly-2025-11-02/);
  }, 240_000);

  it('the rerun after the failed night publishes the new night whole, and superseded runs go', async () => {
    const r = await night('nightly-2025-11-02-rerun');
    expect(r.status, `${r.error} ${r.cause}`).toBe('SUCCEEDED');
    const now = await snapshot();
    expect(Object.keys(now).sort()).toEqual(Object.keys(first).sort());
    expect(now).not.toEqual(first);
    // Every item comes from the rerun: nothing of the failed night or of the first is mixed in.
    const pub = (await readPublication(lake))!;
    expect(new Set(Object.values(pub.items))).toEqual(new Set(['nightly-2025-11-02-rerun']));
    expect(pub.previous?.runId).toBe('nightly-2025-11-01b');
    // The failed night's leftovers and the first night (superseded twice) were swept; the previous
    // publication is kept for readers still on it.
    const runs = new Set((await lake.list('runs/')).map((o) => o.key.split('/')[1]));
    expect(runs).toEqual(new Set(['nightly-2025-11-01b', 'nightly-2025-11-02-rerun']));
    expect(await laPupils()).toBe(25);
  }, 240_000);
});
