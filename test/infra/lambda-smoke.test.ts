/**
 * The deployable artefacts, offline:
 * 1. `npx cdk synth -o <tmp>` through the CLI with no AWS credentials in the environment (real
 *    esbuild bundling, cdk-nag on).
 * 2. cfn-lint on every synthesized template: no errors (warnings are printed).
 * 3. Each Lambda asset exactly as synth bundled it (found through the template's Code.S3Key and
 *    the asset manifest) runs in a fresh Node process, with no node_modules in reach, against
 *    moto_server:
 *    - ingest: an EventBridge "Object Created" event for raw/pupils/... turns the CSV in moto S3
 *      into Parquet under curated/pupils/period=.../ (bytes start and end with PAR1), pseudonymised
 *      with the key from moto Secrets Manager, the rows checked by DuckDB (its native binary is
 *      copied beside the bundle; without it the bundle does not load);
 *    - classify: reaches Athena and issues the UNLOADs into staging/<runId>/ and runs/<runId>/ of the
 *      lake (moto's Athena returns SUCCEEDED without executing anything);
 *    - profiles: a period task reaches Athena through the workgroup; the trend task writes the (here
 *      empty) PDF work list to S3;
 *    - render-pdfs: a batch task turns a profile document staged in moto S3 into a PDF (%PDF, the
 *      school's name and URN in its text) with the Source Sans fonts copied beside the bundle, the
 *      report task renders the fair-access report, the finish task merges the render manifests;
 *      without the copied fonts the bundle fails and says so;
 *    - publish: flips the publication pointer to the run's documents and PDFs, points the Glue
 *      partitions (moto Glue) at the run, writes manifests/<runId>.json and manifests/latest.json;
 *    - portal-api: answers GET /api/me for an analyst (the bundle starts and reaches the lake).
 */
import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/constructs/catchment-function.ts';
import { makePseudonymiser } from '../../functions/domain/pseudonym.ts';
import { fromParquet } from '../../functions/lake/parquet.ts';
import { upnCheckLetter } from '../../functions/domain/upn.ts';
import { MOTO_ACCOUNT_ID, TEST_REGION, awsTestConfig, startMoto, type MotoServer } from '../helpers/moto.ts';
import { concretise, resourcesOf, type Json } from './helpers.ts';
import { makeFairAccessDocument, makeProfileDocuments } from '../helpers/documents.ts';
import { pdfText } from '../pdf/poppler.ts';
import { CreateDatabaseCommand, CreateTableCommand, GetPartitionsCommand, GlueClient } from '@aws-sdk/client-glue';
import { PublishedView } from '../../functions/lake/publication.ts';
import { S3ObjectStore } from '../../functions/ports/s3-store.ts';
import { PUBLISHED_TABLES } from '../../schemas/published.ts';
import { dataColumnsOf, tablePrefix } from '../../schemas/columns.ts';

const STACK = 'Catchment';
const RAW = 'catchment-raw';
const LAKE = 'catchment-lake';
const SECRET = 'catchment/pseudonym-key';
const KEY_HEX = 'c0ffee'.repeat(10) + 'abcd'; // 32 bytes
const PUBLISHED_KEY = 'arn:aws:kms:eu-west-2:123456789012:key/0e5a1c2d-0000-4000-8000-00000000c0de';
const ORIGIN_SECRET = 'catchment/portal-origin';
const ORIGIN_VALUE = 'f00d'.repeat(16);
const RUN_ID = 'nightly-2025-06-01';
const PERIOD = '2025-26';

let out: string;
let synthMs = 0;
let template: Json;
let moto: MotoServer;
let s3: S3Client;
const assets: Record<string, { dir: string; env: Record<string, string> }> = {};

const upn = (serial: number) => {
  const rest = `${String(serial).padStart(11, '0')}0`;
  return upnCheckLetter(rest) + rest;
};

/** Environment with nothing AWS-related inherited: the synth must not need credentials. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|CDK_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'catchment-synth-'));
  const t0 = Date.now();
  const res = spawnSync('npx', ['cdk', 'synth', '--quiet', '-o', out], {
    cwd: PROJECT_ROOT,
    // No AWS_* variable is inherited and the config/credentials files point nowhere: no credentials.
    env: cleanEnv({ AWS_CONFIG_FILE: join(out, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(out, 'no-credentials') }),
    encoding: 'utf8',
    timeout: 300_000,
  });
  synthMs = Date.now() - t0;
  if (res.status !== 0) throw new Error(`cdk synth failed (${res.status}):\n${res.stdout}\n${res.stderr}`);
  template = JSON.parse(readFileSync(join(out, `${STACK}.template.json`), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(out, `${STACK}.assets.json`), 'utf8'));
  for (const [, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
    // Ours carry a Powertools service name; CDK's BucketDeployment provider (Python) does not.
    if (!fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME) continue;
    const key = concretise(fn.Properties.Code.S3Key, template);
    const hash = key.replace(/\.zip$/, '');
    const source = manifest.files[hash].source;
    expect(source.packaging).toBe('zip');
    const vars = fn.Properties.Environment.Variables as Json;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(vars)) {
      if (typeof v === 'string') env[k] = v;
      else if (k === 'RAW_BUCKET') env[k] = RAW;
      else if (k === 'LAKE_BUCKET') env[k] = LAKE;
      else if (k === 'PSEUDONYM_SECRET_ID') env[k] = SECRET;
      else if (k === 'LAKE_PUBLISHED_KMS_KEY_ARN') env[k] = PUBLISHED_KEY;
      else if (k === 'ORIGIN_SECRET_ARN') env[k] = ORIGIN_SECRET;
      else throw new Error(`unexpected token in ${k}`);
    }
    assets[vars.POWERTOOLS_SERVICE_NAME.replace(/^catchment-/, '')] = { dir: join(out, source.path), env };
  }

  moto = await startMoto();
  const cfg = awsTestConfig(moto.endpoint);
  s3 = new S3Client(cfg);
  for (const b of [RAW, LAKE]) await s3.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: TEST_REGION } }));
  await new SecretsManagerClient(cfg).send(new CreateSecretCommand({ Name: SECRET, SecretString: KEY_HEX }));
  await new SecretsManagerClient(cfg).send(new CreateSecretCommand({ Name: ORIGIN_SECRET, SecretString: ORIGIN_VALUE }));
  for (const wg of ['catchment', 'catchment-publish']) await new AthenaClient(cfg).send(new CreateWorkGroupCommand({ Name: wg }));
  // The published tables as the stack catalogues them (partitions registered by publish).
  const glue = new GlueClient(cfg);
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'catchment' } }));
  for (const t of PUBLISHED_TABLES) {
    await glue.send(
      new CreateTableCommand({
        DatabaseName: 'catchment',
        TableInput: { Name: t.name, TableType: 'EXTERNAL_TABLE', PartitionKeys: [{ Name: 'period', Type: 'string' }], StorageDescriptor: { Location: `s3://${LAKE}/${tablePrefix(t)}/`, Columns: dataColumnsOf(t).map((c) => ({ Name: c.name, Type: c.type })) } },
      }),
    );
  }
  const csv = `UPN,URN,Postcode,NCYear,FSM\n${upn(1)},100001,KT1 1AA,5,N\n${upn(2)},100002,kt12ab,9,Y\n${upn(3)},100002,KT1 2AB,99,Y\n`;
  await s3.send(new PutObjectCommand({ Bucket: RAW, Key: 'raw/pupils/pupils_2025-26.csv', Body: csv }));
}, 360_000);

afterAll(async () => {
  await moto?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Run `handler(event)` of a bundle in a fresh Node process; resolves with its JSON result. */
function runBundle(dir: string, env: Record<string, string>, event: unknown, context: unknown = {}): Promise<{ code: number | null; result?: any; stderr: string }> {
  const script = `
    const { handler } = await import(${JSON.stringify(`file://${join(dir, 'index.mjs')}`)});
    const result = await handler(${JSON.stringify(event)}, ${JSON.stringify(context)});
    process.stdout.write('\\n@@RESULT@@' + JSON.stringify(result));`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
      cwd: dir, // like /var/task
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_REGION: TEST_REGION,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
        AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
        AWS_EC2_METADATA_DISABLED: 'true',
        CATCHMENT_S3_FORCE_PATH_STYLE: 'true',
        POWERTOOLS_DEV: 'true',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const i = stdout.lastIndexOf('@@RESULT@@');
      resolve({ code, result: i >= 0 ? JSON.parse(stdout.slice(i + 10) || 'null') : undefined, stderr: stderr + stdout.slice(0, Math.max(i, 0)) });
    });
  });
}

async function keys(bucket: string, prefix: string): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

const size = (dir: string) => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

describe('cdk synth (CLI, no AWS credentials)', () => {
  it('synthesizes one stack with six bundled functions', () => {
    console.log(`[infra] cdk synth: ${(synthMs / 1000).toFixed(1)} s`);
    expect(Object.keys(assets).sort()).toEqual(['classify', 'ingest', 'portal-api', 'profiles', 'publish', 'render-pdfs']);
    const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((p: Json) => p.violations ?? [])).toEqual([]);
  });

  it('bundles ESM with source maps, the WebAssembly where it is loaded, fonts for the renderer, and DuckDB only for ingest', () => {
    for (const [name, { dir }] of Object.entries(assets)) {
      const files = readdirSync(dir).sort();
      expect(files, name).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map', 'index.meta.json']));
      const meta = JSON.parse(readFileSync(join(dir, 'index.meta.json'), 'utf8'));
      const inputs = Object.keys(meta.inputs);
      // Ingest runs its checks in DuckDB: the JavaScript API is bundled, the native binding is copied beside it.
      if (name === 'ingest') {
        expect(inputs.some((i) => i.includes('node_modules/@duckdb/node-api/'))).toBe(true);
        expect(inputs.filter((i) => i.includes('node-bindings'))).toEqual([]);
      } else expect(inputs.filter((i) => /duckdb/i.test(i)), name).toEqual([]);
      expect(files.includes('node_modules'), name).toBe(name === 'ingest');
      // Only the renderer carries pdfkit and Vega (and it leaves Vega's optional canvas out).
      if (name === 'render-pdfs') {
        expect(inputs.some((i) => /node_modules\/pdfkit\//.test(i))).toBe(true);
        expect(inputs.some((i) => /node_modules\/vega\//.test(i))).toBe(true);
        expect(inputs.filter((i) => /node_modules\/canvas\//.test(i))).toEqual([]);
      } else expect(inputs.filter((i) => /pdfkit|vega/.test(i)), name).toEqual([]);
      const usesWasm = inputs.some((i) => i.includes('parquet-wasm'));
      expect(files.includes('parquet_wasm_bg.wasm'), name).toBe(usesWasm);
      expect(files.includes('fonts'), name).toBe(name === 'render-pdfs');
      console.log(`[infra] ${name} bundle: index.mjs ${(statSync(join(dir, 'index.mjs')).size / 1024 ** 2).toFixed(2)} MiB, asset ${(size(dir) / 1024 ** 2).toFixed(2)} MiB${usesWasm ? ' (with parquet_wasm_bg.wasm)' : ''}${files.includes('fonts') ? ` (with fonts/ ${(size(join(dir, 'fonts')) / 1024 ** 2).toFixed(2)} MiB)` : ''}`);
    }
    for (const f of ['@duckdb/node-bindings/duckdb.js', '@duckdb/node-bindings-linux-x64/duckdb.node', '@duckdb/node-bindings-linux-x64/libduckdb.so', 'detect-libc/lib/detect-libc.js']) {
      expect(existsSync(join(assets.ingest!.dir, 'node_modules', f)), f).toBe(true);
    }
    expect(readdirSync(join(assets['render-pdfs']!.dir, 'fonts')).sort()).toEqual(['LICENSE.md', 'SourceSans3-It.ttf', 'SourceSans3-Regular.ttf', 'SourceSans3-Semibold.ttf']);
  });

  it('keeps the stages out of the publish bundle (it only moves objects)', () => {
    const meta = JSON.parse(readFileSync(join(assets.publish!.dir, 'index.meta.json'), 'utf8'));
    const ours = Object.keys(meta.inputs).filter((i) => i.startsWith('functions/'));
    expect(ours.filter((i) => /^functions\/(ingest|classify|profiles|pdf)\//.test(i))).toEqual([]);
    expect(Object.keys(meta.inputs).filter((i) => /apache-arrow|parquet-wasm|client-athena/.test(i))).toEqual([]);
    expect(statSync(join(assets.publish!.dir, 'index.mjs')).size).toBeLessThan(3 * 1024 ** 2);
  });
});

describe('cfn-lint', () => {
  it('reports no error on any synthesized template (warnings printed)', () => {
    const templates = readdirSync(out).filter((f) => f.endsWith('.template.json'));
    expect(templates.sort()).toEqual([`${STACK}.template.json`, `${STACK}Edge.template.json`]);
    for (const t of templates) {
      const res = spawnSync('cfn-lint', ['--format', 'json', '--', join(out, t)], { encoding: 'utf8', timeout: 300_000 });
      expect(res.error, 'cfn-lint did not run').toBeUndefined();
      const findings = JSON.parse(res.stdout || '[]') as Json[];
      const errors = findings.filter((f) => f.Level === 'Error');
      const others = findings.filter((f) => f.Level !== 'Error');
      for (const w of others) console.log(`[infra] cfn-lint ${w.Level} ${w.Rule.Id} ${w.Location?.Path?.join('/')}: ${w.Message}`);
      console.log(`[infra] cfn-lint ${t}: ${errors.length} errors, ${others.length} warnings/informational`);
      expect(errors.map((e) => `${e.Rule.Id} ${e.Location?.Path?.join('/')}: ${e.Message}`)).toEqual([]);
      expect(res.status! & 2, 'cfn-lint exit status says error').toBe(0);
    }
  });
});

describe('bundles against moto_server', () => {
  it('ingest: an EventBridge "Object Created" event turns the CSV in S3 into Parquet in the lake', async () => {
    const event = {
      version: '0',
      id: '17793124-05d4-b198-2fde-7ededc63b103',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: MOTO_ACCOUNT_ID,
      time: new Date().toISOString(),
      region: TEST_REGION,
      resources: [`arn:aws:s3:::${RAW}`],
      detail: {
        version: '0',
        bucket: { name: RAW },
        object: { key: 'raw/pupils/pupils_2025-26.csv', size: 120, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '00617F08299329D189' },
        'request-id': 'N4N7GDK58NMKJ12R',
        requester: MOTO_ACCOUNT_ID,
        'source-ip-address': '203.0.113.15',
        reason: 'PutObject',
      },
    };
    const { code, result, stderr } = await runBundle(assets.ingest!.dir, assets.ingest!.env, event, { awsRequestId: 'smoke-ingest' });
    expect(code, stderr).toBe(0);
    expect(result.datasets).toEqual([
      expect.objectContaining({ dataset: 'pupils', read: 3, accepted: 2, quarantined: 1, partitions: ['2025-26'] }),
    ]);
    const parquet = (await keys(LAKE, 'curated/pupils/')).filter((k) => k.endsWith('.parquet'));
    expect(parquet.length).toBeGreaterThan(0);
    for (const k of parquet) expect(k).toMatch(/^curated\/pupils\/period=2025-26\/[^/]+\.parquet$/);
    const obj = await s3.send(new GetObjectCommand({ Bucket: LAKE, Key: parquet[0] }));
    const bytes = await obj.Body!.transformToByteArray();
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('PAR1');
    expect(Buffer.from(bytes.subarray(bytes.length - 4)).toString('latin1')).toBe('PAR1');
    const table = await fromParquet(bytes);
    const ids = [...(table.getChild('pupil_id')!.toArray() as string[])].sort();
    const pseudonymise = makePseudonymiser(Buffer.from(KEY_HEX, 'hex'));
    expect(ids).toEqual([pseudonymise(upn(1)), pseudonymise(upn(2))].sort());
    expect(await keys(LAKE, 'quarantine/')).toEqual(['quarantine/pupils.csv']);
    expect(await keys(LAKE, 'staging/')).toEqual([]);
  });

  it('ingest: the bundle does not load without the copied DuckDB binary (the copy is what makes it work)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'catchment-noduckdb-'));
    try {
      cpSync(assets.ingest!.dir, copy, { recursive: true });
      rmSync(join(copy, 'node_modules', '@duckdb', 'node-bindings-linux-x64'), { recursive: true });
      const { code, stderr } = await runBundle(copy, assets.ingest!.env, {});
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/node-bindings-linux-x64/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('classify: starts cleanly and issues the UNLOADs into staging/<runId>/ (pipeline workgroup) and runs/<runId>/ (publishing workgroup)', async () => {
    const { code, result, stderr } = await runBundle(assets.classify!.dir, assets.classify!.env, { runId: RUN_ID, period: '2025-26' });
    expect(code, stderr).toBe(0);
    expect(result.period).toBe('2025-26');
    const athena = new AthenaClient(awsTestConfig(moto.endpoint));
    const ids = [
      ...((await athena.send(new ListQueryExecutionsCommand({ WorkGroup: 'catchment' }))).QueryExecutionIds ?? []),
      ...((await athena.send(new ListQueryExecutionsCommand({ WorkGroup: 'catchment-publish' }))).QueryExecutionIds ?? []),
    ];
    // moto has no BatchGetQueryExecution: one GetQueryExecution per id.
    const executions = await Promise.all(ids.map(async (id) => (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution!));
    const unloads = executions.filter((e) => (e.Query ?? '').startsWith('UNLOAD'));
    const targetOf = (q: string) => /\) TO '(s3:\/\/[^']+)'/.exec(q)?.[1] ?? q.slice(0, 80);
    const targets = unloads.map((e) => targetOf(e.Query!));
    // Every UNLOAD writes under the run's staging area (curated) or its own prefix (published), and
    // Athena encrypts it with its workgroup's key: pupil-level in the pipeline's, published in the publishing one.
    for (const e of executions) {
      const t = targetOf(e.Query ?? '');
      const published = t.startsWith(`s3://${LAKE}/runs/${RUN_ID}/published/`);
      expect(e.WorkGroup, e.Query?.slice(0, 60)).toBe(published ? 'catchment-publish' : 'catchment');
    }
    for (const t of targets) expect(t.startsWith(`s3://${LAKE}/staging/${RUN_ID}/`) || t.startsWith(`s3://${LAKE}/runs/${RUN_ID}/published/`), t).toBe(true);
    for (const table of ['curated/enriched_pupils/period=2025-26/', 'curated/enriched_contacts/period=2025-26/', 'published/school_segment_counts/period=2025-26/']) {
      expect(targets.some((t) => t.endsWith(table)), `no UNLOAD into ${table}`).toBe(true);
    }
  });

  it('classify: rejects a bad task with a clear message', async () => {
    const { code, stderr } = await runBundle(assets.classify!.dir, assets.classify!.env, { runId: RUN_ID, period: '2025' });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/task\.period must be an academic year/);
  });

  it('profiles: reaches Athena through the workgroup and returns the staged schools per period', async () => {
    const athena = new AthenaClient(awsTestConfig(moto.endpoint));
    const before = ((await athena.send(new ListQueryExecutionsCommand({ WorkGroup: 'catchment' }))).QueryExecutionIds ?? []).length;
    const { code, result, stderr } = await runBundle(assets.profiles!.dir, assets.profiles!.env, { runId: RUN_ID, period: '2025-26', periods: ['2025-26'] });
    expect(code, stderr).toBe(0);
    // moto's Athena runs no SQL (its UNLOADs write nothing): no school, no document.
    expect(result).toEqual({ runId: RUN_ID, period: '2025-26', schools: 0, documents: 0, fairAccess: false });
    const after = ((await athena.send(new ListQueryExecutionsCommand({ WorkGroup: 'catchment' }))).QueryExecutionIds ?? []).length;
    expect(after).toBeGreaterThan(before);
    // The trend task writes the (here empty) PDF work list the Pdfs Distributed Map reads from S3.
    const trend = await runBundle(assets.profiles!.dir, assets.profiles!.env, { runId: RUN_ID, periods: ['2025-26'], trend: true });
    expect(trend.code, trend.stderr).toBe(0);
    expect(trend.result).toEqual({ runId: RUN_ID, periods: ['2025-26'], documents: 0, reports: [], itemsKey: `staging/${RUN_ID}/pdf-items.json`, items: 0 });
    const items = await (await s3.send(new GetObjectCommand({ Bucket: LAKE, Key: `staging/${RUN_ID}/pdf-items.json` }))).Body!.transformToString();
    expect(JSON.parse(items)).toEqual([]);
  });

  it('render-pdfs: a batch turns a staged profile document into a PDF, the report task the fair-access report, finish merges the manifests', async () => {
    const [doc] = makeProfileDocuments(1, { period: PERIOD });
    const urn = doc!.school.urn;
    const staged = (folder: string, name: string) => `runs/${RUN_ID}/published/${folder}/${PERIOD}/${name}`;
    await s3.send(new PutObjectCommand({ Bucket: LAKE, Key: staged('profiles', `${urn}.json`), Body: JSON.stringify(doc) }));
    await s3.send(new PutObjectCommand({ Bucket: LAKE, Key: staged('reports', 'fair-access.json'), Body: JSON.stringify(makeFairAccessDocument({ period: PERIOD, schools: 6 })) }));
    const t0 = Date.now();
    const batch = await runBundle(assets['render-pdfs']!.dir, assets['render-pdfs']!.env, { runId: RUN_ID, period: PERIOD, urns: [urn], report: false });
    console.log(`[infra] render-pdfs bundle: one school in a fresh process ${Date.now() - t0} ms`);
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.result).toEqual({ runId: RUN_ID, period: PERIOD, rendered: 1, skipped: 0 });
    const pdf = await (await s3.send(new GetObjectCommand({ Bucket: LAKE, Key: staged('profiles', `${urn}.pdf`) }))).Body!.transformToByteArray();
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const text = pdfText(pdf, false);
    expect(text).toContain(urn);
    expect(text.replace(/\s+/g, ' ')).toContain(doc!.school.name.replace(/\s+/g, ' '));

    const report = await runBundle(assets['render-pdfs']!.dir, assets['render-pdfs']!.env, { runId: RUN_ID, period: PERIOD, urns: [], report: true });
    expect(report.code, report.stderr).toBe(0);
    expect(report.result).toMatchObject({ rendered: 1, skipped: 0 });
    const fa = await (await s3.send(new GetObjectCommand({ Bucket: LAKE, Key: staged('reports', 'fair-access.pdf') }))).Body!.transformToByteArray();
    expect(Buffer.from(fa.subarray(0, 5)).toString('latin1')).toBe('%PDF-');

    const parts = (await keys(LAKE, `runs/${RUN_ID}/published/`)).filter((k) => k.includes('_render-manifest.part-'));
    expect(parts).toHaveLength(2);
    const finish = await runBundle(assets['render-pdfs']!.dir, assets['render-pdfs']!.env, { runId: RUN_ID, periods: [PERIOD], finish: true });
    expect(finish.code, finish.stderr).toBe(0);
    expect(finish.result).toMatchObject({ documents: 2 });
    expect((await keys(LAKE, `runs/${RUN_ID}/published/`)).filter((k) => k.includes('_render-manifest'))).toEqual([
      staged('profiles', '_render-manifest.json'),
      staged('reports', '_render-manifest.json'),
    ]);
  });

  it('render-pdfs: the bundle cannot render without the copied fonts (the copy is what makes it work)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'catchment-nofonts-'));
    try {
      cpSync(assets['render-pdfs']!.dir, copy, { recursive: true });
      rmSync(join(copy, 'fonts'), { recursive: true });
      const [doc] = makeProfileDocuments(1, { period: PERIOD, seed: 7 });
      await s3.send(new PutObjectCommand({ Bucket: LAKE, Key: `runs/nofonts/published/profiles/${PERIOD}/${doc!.school.urn}.json`, Body: JSON.stringify(doc) }));
      const { code, stderr } = await runBundle(copy, assets['render-pdfs']!.env, { runId: 'nofonts', period: PERIOD, urns: [doc!.school.urn] });
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/fonts not found/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('publish: flips the pointer to the run’s documents and PDFs, points the Glue partitions at it, writes the run manifest and latest.json', async () => {
    const { code, result, stderr } = await runBundle(assets.publish!.dir, assets.publish!.env, { runId: RUN_ID, periods: ['2025-26'], summary: { pdfsRendered: 2 } });
    expect(code, stderr).toBe(0);
    expect(result).toMatchObject({ runId: RUN_ID, status: 'succeeded', periods: ['2025-26'], summary: { pdfsRendered: 2 } });
    expect(result.published).toEqual(expect.arrayContaining([`published/profiles/${PERIOD}`, `published/reports/${PERIOD}`]));
    expect(await keys(LAKE, 'manifests/')).toEqual([`manifests/${RUN_ID}.json`, 'manifests/latest.json'].sort());
    const view = new PublishedView(new S3ObjectStore({ bucket: LAKE, client: s3 }), 0);
    const published = (await view.list(`published/profiles/${PERIOD}/`)).map((o) => o.key);
    expect(published.filter((k) => k.endsWith('.pdf'))).toHaveLength(1);
    expect(published).toContain(`published/profiles/${PERIOD}/_render-manifest.json`);
    expect((await view.list(`published/reports/${PERIOD}/`)).map((o) => o.key)).toEqual([`published/reports/${PERIOD}/_render-manifest.json`, `published/reports/${PERIOD}/fair-access.json`, `published/reports/${PERIOD}/fair-access.pdf`]);
    expect(await view.physicalKey(`published/reports/${PERIOD}/fair-access.pdf`)).toBe(`runs/${RUN_ID}/published/reports/${PERIOD}/fair-access.pdf`);
    const parts = await new GlueClient(awsTestConfig(moto.endpoint)).send(new GetPartitionsCommand({ DatabaseName: 'catchment', TableName: 'school_profile' }));
    expect(parts.Partitions!.map((p) => p.StorageDescriptor!.Location)).toEqual([`s3://${LAKE}/runs/${RUN_ID}/published/school_profile/period=${PERIOD}/`]);
  });

  it('portal-api: a head gets a presigned URL for their school’s published PDF, and the request is audited', async () => {
    const pdfKey = (await new PublishedView(new S3ObjectStore({ bucket: LAKE, client: s3 }), 0).list(`published/profiles/${PERIOD}/`)).map((o) => o.key).find((k) => k.endsWith('.pdf'))!;
    const urn = /(\d{6})\.pdf$/.exec(pdfKey)![1]!;
    const event = {
      version: '2.0',
      routeKey: 'GET /api/profiles/{period}/{file}',
      rawPath: `/api/profiles/${PERIOD}/${urn}.pdf`,
      rawQueryString: '',
      headers: { accept: 'application/json', 'x-catchment-origin-verify': ORIGIN_VALUE },
      requestContext: {
        http: { method: 'GET', path: `/api/profiles/${PERIOD}/${urn}.pdf` },
        requestId: 'smoke-portal-1',
        authorizer: { jwt: { claims: { sub: 'head-0001', token_use: 'access', jti: 'smoke-jti-1', 'cognito:groups': `[urn-${urn}]` }, scopes: ['openid'] } },
      },
      isBase64Encoded: false,
    };
    const { code, result, stderr } = await runBundle(assets['portal-api']!.dir, assets['portal-api']!.env, event);
    expect(code, stderr).toBe(0);
    expect(result.statusCode, JSON.stringify(result)).toBe(200);
    const body = JSON.parse(result.body);
    expect(body.url).toContain(encodeURIComponent(`${urn}.pdf`).replace(/%2F/g, '/'));
    // Signed where the pointer says the PDF is.
    expect(body.url).toContain(`/runs/${RUN_ID}/published/profiles/${PERIOD}/`);
    expect(body.expiresInSeconds).toBeLessThanOrEqual(300);
    const audit = (await keys(LAKE, `published/portal_audit/period=${PERIOD}/`)).filter((k) => k.endsWith('.parquet'));
    expect(audit).toHaveLength(1);
    // The bundles name the published-data key for what they write of that class: the run's PDFs
    // (render-pdfs), the pointer (publish), the audit record (portal); not for pupil-level data.
    const kmsKeyOf = async (key: string) => (await s3.send(new HeadObjectCommand({ Bucket: LAKE, Key: key }))).SSEKMSKeyId;
    expect(await kmsKeyOf(audit[0]!)).toBe(PUBLISHED_KEY);
    expect(await kmsKeyOf(await new PublishedView(new S3ObjectStore({ bucket: LAKE, client: s3 }), 0).physicalKey(pdfKey))).toBe(PUBLISHED_KEY);
    expect(await kmsKeyOf('published/_publication.json')).toBe(PUBLISHED_KEY);
    const curated = (await keys(LAKE, 'curated/pupils/')).find((k) => k.endsWith('.parquet'))!;
    expect(await kmsKeyOf(curated)).toBeUndefined();
  });
});
