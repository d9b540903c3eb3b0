/**
 * Lambda handlers are thin shells over the same stages: invoked here against moto_server
 * (S3, Secrets Manager, Athena) with the environment the CDK stack sets.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import type { S3Event } from 'aws-lambda';
import { profileDocument } from '../schemas/profile-document.ts';
import { fromParquet } from '../functions/lake/parquet.ts';
import { makePseudonymiser } from '../functions/domain/pseudonym.ts';
import { clearPseudonymKeyCache } from '../functions/commons/secrets.ts';
import { awsTestConfig, startMoto, type MotoServer } from './helpers/moto.ts';
import { CreateDatabaseCommand, CreateTableCommand, GetPartitionsCommand, GlueClient } from '@aws-sdk/client-glue';
import { PublishedView, POINTER_KEY } from '../functions/lake/publication.ts';
import { S3ObjectStore } from '../functions/ports/s3-store.ts';
import type { PublishManifest } from '../functions/handlers/publish.ts';
import { PUBLISHED_TABLES } from '../schemas/published.ts';
import { dataColumnsOf, tablePrefix } from '../schemas/columns.ts';
import { GENERIC_CLASSIFICATION, SCHOOLS, removeDir, tempDir, upn, writeFiles } from './helpers/fixtures.ts';
import { keySpellings } from './helpers/key-spellings.ts';
import { logger } from '../functions/commons/logger.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { ingest } from '../functions/ingest/ingest-stage.ts';
import { runClassify } from '../functions/handlers/classify.ts';
import { MirroredEngine } from './helpers/mirrored-engine.ts';

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
  // The published tables as the stack catalogues them: Parquet, partitioned by period, no projection.
  const glue = new GlueClient(cfg);
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'catchment' } }));
  for (const t of PUBLISHED_TABLES) {
    await glue.send(
      new CreateTableCommand({
        DatabaseName: 'catchment',
        TableInput: {
          Name: t.name,
          TableType: 'EXTERNAL_TABLE',
          PartitionKeys: [{ Name: 'period', Type: 'string' }],
          StorageDescriptor: { Location: `s3://lake-bucket/${tablePrefix(t)}/`, Columns: dataColumnsOf(t).map((c) => ({ Name: c.name, Type: c.type })) },
        },
      }),
    );
  }
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
      { dataset: 'pupils', read: 3, accepted: 2, quarantined: 1, quarantinedByReason: { invalid_urn: 1 }, partitions: ['2025-26'], la: { code: null, source: 'unknown', pupils: 0, byLa: [] } },
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

  it('reads the settings the stack sets (LA_CODE, CLASSIFICATION, CLUSTER_COLUMN) as the CLI reads --la-code..., and refuses a wrong one naming it', async () => {
    const { handler } = await import('../functions/handlers/ingest.ts');
    try {
      vi.stubEnv('LA_CODE', '886');
      const result = await handler(s3Event('raw-bucket', 'raw/pupils/pupils_2025-26.csv'));
      expect(result.datasets?.[0]).toMatchObject({ dataset: 'pupils', read: 3, la: { code: '886', source: 'option' } });
      vi.stubEnv('CLASSIFICATION', 'oac2021');
      await expect(handler(s3Event('raw-bucket', 'raw/pupils/pupils_2025-26.csv'))).rejects.toThrow(/CLASSIFICATION must be oac11 or oac21, not "oac2021"/);
      vi.stubEnv('CLASSIFICATION', '');
      vi.stubEnv('LA_CODE', 'Kent');
      await expect(handler(s3Event('raw-bucket', 'raw/pupils/pupils_2025-26.csv'))).rejects.toThrow(/LA_CODE must be a 3-digit LA number/);
      // The failed invocations took no lake lock.
      expect(await keysUnder('lake-bucket', 'locks/')).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('never sends the pseudonymisation key to Athena or writes it to a log, even with the SQL trace and debug logging on', async () => {
    const { handler } = await import('../functions/handlers/ingest.ts');
    const athena = new AthenaClient(awsTestConfig(moto.endpoint));
    const queries = async () => {
      const ids = (await athena.send(new ListQueryExecutionsCommand({ WorkGroup: 'catchment' }))).QueryExecutionIds ?? [];
      const out: string[] = [];
      for (const id of ids) out.push((await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution!.Query!);
      return out;
    };
    const before = await queries();
    const output: string[] = [];
    for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void output.push(args.map(String).join(' ')));
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
        output.push(String(chunk));
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write);
    }
    try {
      vi.stubEnv('TRACE_INGEST', '1');
      logger.setLogLevel('DEBUG');
      const result = await handler(s3Event('raw-bucket', 'raw/pupils/pupils_2025-26.csv'));
      expect(result.datasets?.[0]).toMatchObject({ dataset: 'pupils', accepted: 2 });
    } finally {
      logger.setLogLevel('ERROR');
      vi.unstubAllEnvs();
      vi.restoreAllMocks();
    }
    // The trace and the log were written (so they were searched), and hold no spelling of the key.
    expect(output.some((l) => l.includes('[sql '))).toBe(true);
    expect(output.some((l) => l.includes('ingest finished'))).toBe(true);
    const text = output.join('\n');
    for (const form of keySpellings(Buffer.from(KEY_HEX, 'hex'))) expect(text.includes(form), form.slice(0, 12)).toBe(false);
    // Ingest runs its SQL in the function's own DuckDB: it sends Athena nothing at all.
    expect(await queries()).toEqual(before);
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
    // Curated results are staged, then moved into curated/; published ones go into the run's own prefix.
    expect(unloads.some((q) => q.includes("TO 's3://lake-bucket/staging/night-2025-11-25/parts/2025-26/curated/enriched_pupils/period=2025-26/'"))).toBe(true);
    expect(unloads.some((q) => q.includes("TO 's3://lake-bucket/runs/night-2025-11-25/published/school_segment_counts/period=2025-26/'"))).toBe(true);
    // The partition value is in the path: the SELECT returns the data columns only.
    expect(unloads.every((q) => !/partitioned_by/.test(q) && /^UNLOAD \(SELECT "/.test(q))).toBe(true);
  });

  it('refuses a task without a valid period', async () => {
    const { handler } = await import('../functions/handlers/classify.ts');
    await expect(handler({ runId: 'r1', period: "2025'; DROP TABLE x" })).rejects.toThrow(/academic year/);
  });
});

// ---------------------------------------------------------------------------------------------
// The later stages on the AWS path: profiles per period and the trend -> PDFs in batches
// -> manifest merge -> publish, each through its Lambda handler against moto S3.
// ---------------------------------------------------------------------------------------------

const PUPILS = [
  'upn,urn,postcode,ncyear,fsm',
  ...Array.from({ length: 24 }, (_, i) => `${upn(i + 1)},${i % 2 ? '100001' : '100002'},${['KT1 1AA', 'KT1 1AB', 'KT1 2AA', 'KT1 2AB'][i % 4]},${5 + (i % 2)},${i % 3 ? 'N' : 'Y'}`),
].join('\n');
const CONTACTS = ['contact_id,contact_date,postcode,channel,child_urn,child_ncyear', 'C1,2025-10-01,KT1 1AA,helpline,100001,5', 'C2,2025-10-02,KT1 2AA,email,100002,6', 'C3,2025-10-03,KT1 2AB,email,100002,6'].join('\n');

describe('profiles, render-pdfs and publish handlers (the nightly run after classify)', () => {
  const RUN = 'night-2025-11-26';
  const PERIOD = '2025-26';
  const EARLIER = '2024-25';
  const staged = (folder: string, name = '') => `runs/${RUN}/published/${folder}/${PERIOD}/${name}`;

  it('profiles: one period per call, then the trend; the PDF work list goes to S3, not through the state', async () => {
    // The lake of a night after classify: two years of inputs ingested into moto S3 and classified,
    // with DuckDB standing in for Athena over a mirror of the bucket (moto's Athena runs no SQL;
    // the SQL is proven on Trino in trino-equivalence.test.ts). Large results go the Athena way:
    // UNLOADed to staging/<run>/results/ and read back as Parquet (test/helpers/mirrored-engine.ts).
    const lake = new S3ObjectStore({ bucket: 'lake-bucket', client: s3 });
    const input = tempDir();
    writeFiles(input, { ...GENERIC_CLASSIFICATION, 'schools/schools.csv': SCHOOLS, [`pupils/pupils_${EARLIER}.csv`]: PUPILS, [`pupils/pupils_${PERIOD}.csv`]: PUPILS, 'contacts/contacts.csv': CONTACTS });
    await ingest({ raw: new LocalObjectStore(input), lake, runId: 'ingest-handlers', period: PERIOD, pseudonymKey: Buffer.from(KEY_HEX, 'hex') });
    removeDir(input);
    const mirror = tempDir();
    const duck = await DuckDbEngine.create({ lakeRoot: mirror, threads: 1 });
    const sql = new MirroredEngine(lake, new LocalObjectStore(mirror), duck);
    try {
      for (const p of [EARLIER, PERIOD]) await runClassify({ runId: RUN, period: p }, { lake, sql });
      process.env.CATCHMENT_LA_NAME = 'Kentish Vale (fictional)';
      process.env.CATCHMENT_SUPPRESSION_THRESHOLD = '5';
      const { runProfiles, analysisConfigFromEnv, pdfItemsKey } = await import('../functions/handlers/profiles.ts');
      const deps = { lake, sql, config: analysisConfigFromEnv() };
      // Periods in any order: the latest gets documents.
      expect(await runProfiles({ runId: RUN, period: EARLIER, periods: [PERIOD, EARLIER] }, deps)).toEqual({ runId: RUN, period: EARLIER, schools: 2, documents: 0, fairAccess: false });
      expect(await runProfiles({ runId: RUN, period: PERIOD, periods: [PERIOD, EARLIER] }, deps)).toEqual({ runId: RUN, period: PERIOD, schools: 2, documents: 2, fairAccess: true });
      const trend = await runProfiles({ runId: RUN, periods: [PERIOD, EARLIER], trend: true, batchSize: 1 }, deps);
      expect(trend).toEqual({ runId: RUN, periods: [EARLIER, PERIOD], documents: 2, reports: [PERIOD], itemsKey: pdfItemsKey(RUN), items: 3 });
      const items = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: pdfItemsKey(RUN) }))).Body!.transformToString());
      expect(items).toEqual([
        { period: PERIOD, urns: ['100001'], report: false },
        { period: PERIOD, urns: ['100002'], report: false },
        { period: PERIOD, urns: [], report: true },
      ]);
      // The school profile rows never came through a paged result: UNLOADed, read back, removed.
      expect(sql.log.filter((q) => /unit_rank/.test(q))).toEqual([]);
      expect(sql.log).toContain(`UNLOAD staging/${RUN}/results/school-profile-${PERIOD}`);
      // The profiles stage asks the engine where pupils live for the maps (functions/maps), per period.
      expect(sql.log.filter((q) => q.includes('AS lat_mean') && q.includes(`'${PERIOD}'`)).length).toBeGreaterThan(0);
      expect(await keysUnder('lake-bucket', `staging/${RUN}/results/`)).toEqual([]);
    } finally {
      await duck.close();
      removeDir(mirror);
    }
    // The earlier year's tables are staged (the trend needs them), its documents are not written.
    expect((await keysUnder('lake-bucket', `runs/${RUN}/published/school_profile/period=${EARLIER}/`)).length).toBe(1);
    expect(await keysUnder('lake-bucket', `runs/${RUN}/published/profiles/${EARLIER}/`)).toEqual([]);
    expect(await keysUnder('lake-bucket', `runs/${RUN}/published/reports/${EARLIER}/`)).toEqual([]);
    const docs = await keysUnder('lake-bucket', staged('profiles'));
    expect(docs).toEqual([staged('profiles', '100001.json'), staged('profiles', '100002.json')]);
    const doc = profileDocument.parse(JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: docs[0] }))).Body!.transformToString()));
    expect(doc.laName).toBe('Kentish Vale (fictional)');
    expect(doc.school.urn).toBe('100001');
    // The generic classification gives no postcode locations: the map's extent query ran on the engine (above) and found none, so no map rather than an empty one.
    expect(doc.map).toBeNull();
    expect(await keysUnder('lake-bucket', staged('reports'))).toEqual([staged('reports', 'fair-access.json')]);
    expect((await keysUnder('lake-bucket', `runs/${RUN}/published/school_profile/period=${PERIOD}/`)).length).toBe(1);
  }, 120_000);

  it('profiles: the PDF work list has no ceiling (England: 21,500 schools in batches of 50)', async () => {
    const { renderItems } = await import('../functions/handlers/profiles.ts');
    const urns = Array.from({ length: 21_500 }, (_, i) => String(100000 + i));
    const items = renderItems({ [PERIOD]: urns }, [PERIOD], 50);
    expect(items).toHaveLength(431);
    expect(items.slice(0, -1).flatMap((i) => i.urns)).toEqual(urns);
    expect(items.at(-1)).toEqual({ period: PERIOD, urns: [], report: true });
    expect(() => renderItems({}, [], 0)).toThrow(/at least 1/);
  });

  it('profiles: an empty list of periods touches nothing; bad tasks and settings are refused', async () => {
    const { handler, analysisConfigFromEnv } = await import('../functions/handlers/profiles.ts');
    expect(await handler({ runId: 'night-empty', periods: [], trend: true })).toMatchObject({ runId: 'night-empty', periods: [], documents: 0, reports: [], items: 0 });
    await expect(handler({ runId: RUN, period: '2025', periods: [PERIOD] })).rejects.toThrow(/task\.period must be an academic year/);
    await expect(handler({ runId: RUN, period: EARLIER, periods: [PERIOD] })).rejects.toThrow(/one of task\.periods/);
    await expect(handler({ runId: RUN, periods: ['2025'], trend: true })).rejects.toThrow(/task\.periods must be a list of academic years/);
    await expect(handler({ runId: '../x', period: PERIOD, periods: [PERIOD] })).rejects.toThrow(/task\.runId/);
    expect(analysisConfigFromEnv({ CATCHMENT_LA_NAME: 'X', CATCHMENT_SUPPRESSION_THRESHOLD: '10' })).toEqual({ laName: 'X', threshold: 10 });
    expect(analysisConfigFromEnv({})).toEqual({});
    expect(() => analysisConfigFromEnv({ CATCHMENT_SUPPRESSION_THRESHOLD: 'five' })).toThrow(/whole number/);
  });

  it('render-pdfs: batches render their schools, the report task the report, finish merges the manifest parts', async () => {
    const { handler } = await import('../functions/handlers/render-pdfs.ts');
    const first = await handler({ runId: RUN, period: PERIOD, urns: ['100001'], report: false });
    expect(first).toEqual({ runId: RUN, period: PERIOD, rendered: 1, skipped: 0 });
    const second = await handler({ runId: RUN, period: PERIOD, urns: ['100002'], report: false });
    expect(second).toMatchObject({ rendered: 1, skipped: 0 });
    const report = await handler({ runId: RUN, period: PERIOD, urns: [], report: true });
    expect(report).toMatchObject({ rendered: 1, skipped: 0 });
    const pdf = await (await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: staged('profiles', '100002.pdf') }))).Body!.transformToByteArray();
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    expect((await keysUnder('lake-bucket', staged('profiles'))).filter((k) => k.includes('_render-manifest.part-'))).toHaveLength(2);

    // A batch naming a school with no staged document fails (it would otherwise publish no PDF for it).
    await expect(handler({ runId: RUN, period: PERIOD, urns: ['100003'], report: false })).rejects.toThrow(/1 of the 1 documents of this batch are not staged/);
    await expect(handler({ runId: RUN, period: PERIOD, urns: ['10001x'] })).rejects.toThrow(/6-digit school URNs/);

    const finish = await handler({ runId: RUN, periods: [PERIOD], finish: true });
    expect(finish).toMatchObject({ runId: RUN, periods: [PERIOD], documents: 3 });
    expect(await keysUnder('lake-bucket', staged('profiles'))).toEqual(
      ['100001.json', '100001.pdf', '100002.json', '100002.pdf', '_render-manifest.json'].map((n) => staged('profiles', n)),
    );
    const manifest = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: staged('profiles', '_render-manifest.json') }))).Body!.transformToString());
    expect(Object.keys(manifest.documents).sort()).toEqual(['100001.json', '100002.json']);
  });

  it('publish: flips the pointer to the run, points the Glue partitions at it, writes the manifest; a second publish changes nothing', async () => {
    const { handler } = await import('../functions/handlers/publish.ts');
    const view = new PublishedView(new S3ObjectStore({ bucket: 'lake-bucket', client: s3 }), 0);
    // Powertools Metrics: one EMF line on stdout when the invocation ends (counts only, no keys or rows).
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    let manifest;
    try {
      manifest = (await handler({ runId: RUN, periods: [EARLIER, PERIOD], summary: { pdfsRendered: 3 } })) as PublishManifest;
    } finally {
      process.stdout.write = write;
    }
    const emf = lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    expect(emf).toHaveLength(1);
    expect(emf[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Catchment', Metrics: [{ Name: 'PartitionsPublished', Unit: 'Count' }] });
    expect(emf[0].PartitionsPublished).toBe(manifest.published.length);
    expect(JSON.stringify(emf[0])).not.toMatch(/staging|published\/|night-/);
    expect(manifest).toMatchObject({ runId: RUN, status: 'succeeded', engine: 'athena', periods: [EARLIER, PERIOD], summary: { pdfsRendered: 3 } });
    expect(manifest.published).toEqual(
      expect.arrayContaining([`published/school_profile/period=${EARLIER}`, `published/school_profile/period=${PERIOD}`, `published/profiles/${PERIOD}`, `published/reports/${PERIOD}`]),
    );
    // Only the latest period's documents are published; the earlier year's are left as they were (none).
    expect(manifest.published).not.toContain(`published/profiles/${EARLIER}`);
    expect(await view.list(`published/profiles/${EARLIER}/`)).toEqual([]);
    expect((await view.list(`published/school_profile/period=${EARLIER}/`)).length).toBe(1);
    expect((await view.list(`published/profiles/${PERIOD}/`)).map((o) => o.key)).toEqual(
      ['100001.json', '100001.pdf', '100002.json', '100002.pdf', '_render-manifest.json'].map((n) => `published/profiles/${PERIOD}/${n}`),
    );
    // Nothing was copied or moved: the pointer names the run's own folders.
    expect(await view.physicalKey(`published/profiles/${PERIOD}/100001.pdf`)).toBe(`runs/${RUN}/published/profiles/${PERIOD}/100001.pdf`);
    const parts = await new GlueClient(awsTestConfig(moto.endpoint)).send(new GetPartitionsCommand({ DatabaseName: 'catchment', TableName: 'school_profile' }));
    expect(parts.Partitions!.map((p) => [p.Values, p.StorageDescriptor!.Location]).sort()).toEqual([
      [[EARLIER], `s3://lake-bucket/runs/${RUN}/published/school_profile/period=${EARLIER}/`],
      [[PERIOD], `s3://lake-bucket/runs/${RUN}/published/school_profile/period=${PERIOD}/`],
    ]);
    const latest = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: 'manifests/latest.json' }))).Body!.transformToString());
    expect(latest.runId).toBe(RUN);
    // Publishing again (a retried task, a redriven execution) changes nothing.
    const pointer = await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: POINTER_KEY }));
    const again = (await handler({ runId: RUN, periods: [EARLIER, PERIOD] })) as PublishManifest;
    expect(again.published).toEqual(manifest.published);
    expect((await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: POINTER_KEY }))).ETag).toBe(pointer.ETag);

    // The next night: the same documents written again are not re-rendered, their PDFs are copied.
    const NEXT = 'night-2025-11-27';
    for (const urn of ['100001', '100002']) {
      await s3.send(new PutObjectCommand({ Bucket: 'lake-bucket', Key: `runs/${NEXT}/published/profiles/${PERIOD}/${urn}.json`, Body: await view.get(`published/profiles/${PERIOD}/${urn}.json`) }));
    }
    const render = (await import('../functions/handlers/render-pdfs.ts')).handler;
    expect(await render({ runId: NEXT, period: PERIOD, urns: ['100001', '100002'], report: false })).toMatchObject({ rendered: 0, skipped: 2 });
    expect(await keysUnder('lake-bucket', `runs/${NEXT}/published/profiles/${PERIOD}/`)).toEqual(expect.arrayContaining([`runs/${NEXT}/published/profiles/${PERIOD}/100001.pdf`]));
  });

  it('publish: a failed night writes a failed manifest and leaves latest.json and the pointer alone', async () => {
    const { handler } = await import('../functions/handlers/publish.ts');
    const before = await (await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: POINTER_KEY }))).Body!.transformToString();
    const m = (await handler({ runId: 'night-2025-11-28', failed: true, error: { Error: 'States.TaskFailed', Cause: 'Athena query x FAILED' } })) as PublishManifest;
    expect(m).toMatchObject({ runId: 'night-2025-11-28', status: 'failed', error: 'States.TaskFailed: Athena query x FAILED' });
    const stored = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: 'manifests/night-2025-11-28.json' }))).Body!.transformToString());
    expect(stored.status).toBe('failed');
    expect(JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: 'manifests/latest.json' }))).Body!.transformToString()).runId).toBe(RUN);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'lake-bucket', Key: POINTER_KEY }))).Body!.transformToString()).toBe(before);
  });
});
