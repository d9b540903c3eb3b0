/**
 * Injected AWS faults, through an SDK middleware below the retry layer (so the SDK's own retry
 * strategy sees them exactly as it would see the service's answers), against moto_server:
 * - S3 503 SlowDown / 500 InternalError on some requests: retried, the publish completes whole;
 * - S3 failing persistently on the pointer PUT: the publish fails loudly and what readers see
 *   stays the previous publication (never half-published);
 * - Athena ThrottlingException on StartQueryExecution / GetQueryExecution: retried, the query
 *   completes; persistent throttling surfaces as ThrottlingException, which the state machine
 *   retries (THROTTLING_ERRORS); FAILED executions are covered in athena-engine.test.ts;
 * - the Athena poll deadline comes from the invocation's remaining time, less a stop margin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { AthenaClient, CreateWorkGroupCommand } from '@aws-sdk/client-athena';
import { awsTestConfig, seedAthenaResults, startMoto, type MotoServer } from './helpers/moto.ts';
import { S3ObjectStore } from '../functions/ports/s3-store.ts';
import { AthenaEngine } from '../functions/ports/athena-engine.ts';
import { PublishedView, readPublication } from '../functions/lake/publication.ts';
import { runPublish } from '../functions/handlers/publish.ts';
import { queryTimeoutMs, STOP_MARGIN_MS } from '../functions/commons/athena.ts';
import { THROTTLING_ERRORS } from '../infra/constructs/nightly-run.ts';

let moto: MotoServer;
const BUCKET = 'fault-lake';

/** A client whose requests fail with `fault` whenever `when(command, n)` says so (n counts that command's requests). */
function faulty<C extends { middlewareStack: S3Client['middlewareStack'] }>(client: C, when: (command: string, n: number) => boolean, fault: (command: string) => Error): C & { injected: () => number } {
  const counts = new Map<string, number>();
  let injected = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String((context as { commandName?: string }).commandName);
      const n = (counts.get(command) ?? 0) + 1;
      counts.set(command, n);
      if (when(command, n)) {
        injected++;
        throw fault(command);
      }
      return next(args);
    },
    { step: 'deserialize', name: 'injectFaults', priority: 'high' },
  );
  return Object.assign(client, { injected: () => injected });
}

const serviceError = (name: string, status: number) => Object.assign(new Error(`${name} (injected)`), { name, $fault: 'server', $metadata: { httpStatusCode: status } });

async function writeRun(lake: S3ObjectStore, runId: string, body: string) {
  await lake.put(`runs/${runId}/published/profiles/2025-26/100001.json`, body);
  await lake.put(`runs/${runId}/published/profiles/2025-26/100001.pdf`, `%PDF ${body}`);
  await lake.put(`runs/${runId}/published/reports/2025-26/fair-access.json`, body);
}

beforeAll(async () => {
  moto = await startMoto();
  await new S3Client(awsTestConfig(moto.endpoint)).send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
}, 60_000);
afterAll(async () => moto?.stop());

describe('S3 faults', () => {
  it('SlowDown and 500s on a third of the requests are retried and the publish completes whole', async () => {
    const client = faulty(new S3Client({ ...awsTestConfig(moto.endpoint), maxAttempts: 4 }), (_c, n) => n % 3 === 1, (c) => (c === 'PutObjectCommand' ? serviceError('SlowDown', 503) : serviceError('InternalError', 500)));
    const lake = new S3ObjectStore({ bucket: BUCKET, client });
    await writeRun(lake, 'night-1', 'one');
    const m = await runPublish({ runId: 'night-1', periods: ['2025-26'] }, { lake });
    expect(m).toMatchObject({ status: 'succeeded' });
    expect(client.injected()).toBeGreaterThan(3);
    const view = new PublishedView(new S3ObjectStore({ bucket: BUCKET, client: new S3Client(awsTestConfig(moto.endpoint)) }), 0);
    expect(Buffer.from(await view.get('published/profiles/2025-26/100001.json')).toString()).toBe('one');
    expect((await readPublication(view.lake))!.runId).toBe('night-1');
  });

  it('a pointer PUT that keeps failing fails the publish loudly and readers keep the previous publication', async () => {
    const plain = new S3ObjectStore({ bucket: BUCKET, client: new S3Client(awsTestConfig(moto.endpoint)) });
    await writeRun(plain, 'night-2', 'two');
    const client = faulty(new S3Client({ ...awsTestConfig(moto.endpoint), maxAttempts: 3 }), (c) => c === 'PutObjectCommand', () => serviceError('SlowDown', 503));
    await expect(runPublish({ runId: 'night-2', periods: ['2025-26'] }, { lake: new S3ObjectStore({ bucket: BUCKET, client }) })).rejects.toThrow(/SlowDown/);
    expect(client.injected()).toBe(3); // every attempt the SDK made
    const view = new PublishedView(plain, 0);
    expect((await readPublication(plain))!.runId).toBe('night-1');
    expect(Buffer.from(await view.get('published/profiles/2025-26/100001.json')).toString()).toBe('one');
    expect(Buffer.from(await view.get('published/profiles/2025-26/100001.pdf')).toString()).toBe('%PDF one');
    // Once S3 recovers, publishing the same run completes it.
    await runPublish({ runId: 'night-2', periods: ['2025-26'] }, { lake: plain });
    expect(Buffer.from(await view.get('published/profiles/2025-26/100001.pdf')).toString()).toBe('%PDF two');
  });
});

describe('Athena faults', () => {
  const engine = (client: AthenaClient) => new AthenaEngine({ client, workGroup: 'faults', database: 'catchment', lakeUri: `s3://${BUCKET}`, pollIntervalMs: 5, maxPollIntervalMs: 10 });

  it('throttled StartQueryExecution and GetQueryExecution are retried and the query completes', async () => {
    const cfg = awsTestConfig(moto.endpoint);
    await new AthenaClient(cfg).send(new CreateWorkGroupCommand({ Name: 'faults' }));
    await seedAthenaResults(moto.endpoint, [{ column_info: [{ Name: 'n', Label: 'n', Type: 'bigint', Nullable: 'UNKNOWN' }], rows: [{ Data: [{ VarCharValue: 'n' }] }, { Data: [{ VarCharValue: '7' }] }] }]);
    const client = faulty(new AthenaClient({ ...cfg, maxAttempts: 4 }) as never, (c, n) => (c === 'StartQueryExecutionCommand' || c === 'GetQueryExecutionCommand') && n <= 2, () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } })) as unknown as AthenaClient & { injected: () => number };
    const t = await engine(client).query('SELECT 7 AS n');
    expect(Number(t.getChild('n')!.get(0))).toBe(7);
    expect(client.injected()).toBe(4);
  });

  it('persistent throttling fails as ThrottlingException, an error the state machine retries', async () => {
    const client = faulty(new AthenaClient({ ...awsTestConfig(moto.endpoint), maxAttempts: 2 }) as never, (c) => c === 'StartQueryExecutionCommand', () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } })) as unknown as AthenaClient;
    const e = await engine(client).query('SELECT 1').catch((x: Error) => x);
    expect((e as Error).name).toBe('ThrottlingException');
    expect(THROTTLING_ERRORS).toContain((e as Error).name);
  });

  it('stops polling before the Lambda invocation ends: the deadline is the remaining time less a margin', () => {
    expect(queryTimeoutMs({ getRemainingTimeInMillis: () => 900_000 })).toBe(900_000 - STOP_MARGIN_MS);
    expect(queryTimeoutMs({ getRemainingTimeInMillis: () => 10_000 })).toBe(1000);
    expect(queryTimeoutMs(undefined)).toBeUndefined();
  });
});
