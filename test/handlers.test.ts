/**
 * Lambda handlers are thin shells over the same stages: invoked here against moto_server
 * (S3, Secrets Manager, Athena) with the environment the CDK stack sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import type { S3Event } from 'aws-lambda';
import { fromParquet } from '../functions/ingest/parquet.ts';
import { makePseudonymiser } from '../functions/domain/pseudonym.ts';
import { clearPseudonymKeyCache } from '../functions/commons/secrets.ts';
import { awsTestConfig, startMoto, type MotoServer } from './helpers/moto.ts';
import { GENERIC_CLASSIFICATION, SCHOOLS, upn } from './helpers/fixtures.ts';

let moto: MotoServer;
let s3: S3Client;
const KEY_HEX = 'ab'.repeat(32);
const saved = { ...process.env };

function s3Event(bucket: string, key: string): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-2',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:EXAMPLE' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'raw-upload',
          bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size: 1, eTag: 'e', sequencer: '1' },
        },
      },
    ],
  };
}

async function keysUnder(bucket: string, prefix: string): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

beforeAll(async () => {
  moto = await startMoto();
  const cfg = awsTestConfig(moto.endpoint);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: cfg.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    RAW_BUCKET: 'raw-bucket',
    LAKE_BUCKET: 'lake-bucket',
    PSEUDONYM_SECRET_ID: 'catchment/pseudonym-key',
    ATHENA_WORKGROUP: 'catchment',
    GLUE_DATABASE: 'catchment',
    DEFAULT_PERIOD: '2025-26',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  s3 = new S3Client(cfg);
  for (const b of ['raw-bucket', 'lake-bucket']) {
    await s3.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
  }
  await new SecretsManagerClient(cfg).send(new CreateSecretCommand({ Name: 'catchment/pseudonym-key', SecretString: KEY_HEX }));
  await new AthenaClient(cfg).send(new CreateWorkGroupCommand({ Name: 'catchment' }));
  const files: Record<string, string> = {
    ...GENERIC_CLASSIFICATION,
    'schools/schools.csv': SCHOOLS,
    'pupils/pupils_2025-26.csv': `upn,urn,postcode,ncyear,fsm\n${upn(1)},100001,KT1 1AA,5,N\n${upn(2)},100002,KT1 2AB,9,Y\n${upn(3)},1,KT1 2AB,9,Y\n`,
  };
  for (const [k, body] of Object.entries(files)) await s3.send(new PutObjectCommand({ Bucket: 'raw-bucket', Key: `raw/${k}`, Body: body }));
  clearPseudonymKeyCache();
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});

describe('ingest handler', () => {
  it('turns an uploaded pupils CSV in S3 into curated Parquet and a quarantine file', async () => {
    const { handler } = await import('../functions/handlers/ingest.ts');
    const result = await handler(s3Event('raw-bucket', 'raw/pupils/pupils_2025-26.csv'));
    expect(result.datasets).toEqual([
      { dataset: 'pupils', read: 3, accepted: 2, quarantined: 1, quarantinedByReason: { invalid_urn: 1 }, partitions: ['2025-26'] },
    ]);
    const keys = await keysUnder('lake-bucket', 'curated/pupils/');
    expect(keys).toEqual(['curated/pupils/period=2025-26/part-00000.parquet']);
    const obj = await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: keys[0] }));
    const table = await fromParquet(await obj.Body!.transformToByteArray());
    const ids = table.getChild('pupil_id')!.toArray() as string[];
    // keyed with the Secrets Manager key, not anything local
    const pseudonymise = makePseudonymiser(Buffer.from(KEY_HEX, 'hex'));
    expect([...ids].sort()).toEqual([pseudonymise(upn(1)), pseudonymise(upn(2))].sort());
    expect(await keysUnder('lake-bucket', 'quarantine/')).toEqual(['quarantine/pupils.csv']);
    expect(await keysUnder('lake-bucket', 'staging/')).toEqual([]);
  });

  it('ingests the classification when its folder changes (EventBridge Object Created event)', async () => {
    const { handler } = await import('../functions/handlers/ingest.ts');
    const result = await handler({ 'detail-type': 'Object Created', detail: { bucket: { name: 'raw-bucket' }, object: { key: 'raw/classification/segments.csv' } } });
    expect(result.datasets?.[0]).toMatchObject({ dataset: 'classification', read: 11, accepted: 11, quarantined: 0 });
    expect(await keysUnder('lake-bucket', 'curated/postcodes/')).toEqual(['curated/postcodes/vintage=2024-05/part-00000.parquet']);
  });

  it('ignores keys outside raw/<dataset>/', async () => {
    const { handler, datasetsOf } = await import('../functions/handlers/ingest.ts');
    expect(datasetsOf(s3Event('raw-bucket', 'raw/unknown/x.csv'))).toEqual([]);
    expect(await handler(s3Event('raw-bucket', 'elsewhere/pupils/x.csv'))).toEqual({ datasets: [] });
  });
});

describe('classify handler', () => {
  it('drives Athena with the shared SQL wrapped in UNLOAD to the run staging area', async () => {
    const { handler } = await import('../functions/handlers/classify.ts');
    const report = await handler({ runId: 'night-2025-11-25', period: '2025-26' });
    expect(report.period).toBe('2025-26');
    const athena = new AthenaClient(awsTestConfig(moto.endpoint));
    const ids = (await athena.send(new ListQueryExecutionsCommand({ WorkGroup: 'catchment' }))).QueryExecutionIds ?? [];
    const queries: string[] = [];
    for (const id of ids) queries.push((await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution!.Query!);
    const unloads = queries.filter((q) => q.startsWith('UNLOAD'));
    expect(unloads.some((q) => q.includes("TO 's3://lake-bucket/staging/night-2025-11-25/parts/2025-26/curated/enriched_pupils/'"))).toBe(true);
    expect(unloads.some((q) => q.includes("TO 's3://lake-bucket/staging/night-2025-11-25/parts/2025-26/published/school_segment_counts/'"))).toBe(true);
    expect(unloads.every((q) => /partitioned_by = ARRAY\['period'\]/.test(q))).toBe(true);
  });

  it('refuses a task without a valid period', async () => {
    const { handler } = await import('../functions/handlers/classify.ts');
    await expect(handler({ runId: 'r1', period: "2025'; DROP TABLE x" })).rejects.toThrow(/academic year/);
  });
});
