/**
 * CatchmentStack template: encryption, TLS, lifecycle, Glue partition projection and columns,
 * Athena workgroup, schedule, state machine retries/catch/run id, IAM scoping, Lambda runtime.
 * One in-memory synth per configuration (Lambda bundling skipped; lambda-smoke.test.ts bundles).
 */
import { Match } from 'aws-cdk-lib/assertions';
import jsonata from 'jsonata';
import { beforeAll, describe, expect, it } from 'vitest';
import { analystQueries } from '../../infra/analyst-queries.ts';
import { ATHENA_ENGINE_V3, PARQUET } from '../../infra/constructs/catalog.ts';
import { LAMBDA_TRANSIENT_ERRORS, THROTTLING_ERRORS } from '../../infra/constructs/nightly-run.ts';
import { INGEST_TABLES } from '../../infra/constructs/ingest.ts';
import { INGEST_SETTINGS_ENV } from '../../functions/ingest/settings.ts';
import { periodRange } from '../../infra/config.ts';
import { columnsOf, dataColumnsOf, glueType, tablePrefix } from '../../schemas/columns.ts';
import { CURATED_TABLES } from '../../schemas/curated.ts';
import { PORTAL_TABLES } from '../../schemas/portal.ts';
import { PUBLISHED_TABLES } from '../../schemas/published.ts';
import { allStates, asArray, concreteDefinition, concretise, FAKE, logicalId, resourcesOf, statementsOfRole, synthApp, tmpOutdir, type Json } from './helpers.ts';

let s: ReturnType<typeof synthApp>;
let ids: { raw: string; lake: string; results: string; logs: string; key: string; logKey: string; topic: string; portalWeb: string; portalLogs: string };
let definition: Json;
const states0 = () => allStates(definition);

beforeAll(() => {
  s = synthApp();
  const st = s.stack.storage;
  ids = {
    raw: logicalId(s.stack, st.rawBucket),
    lake: logicalId(s.stack, st.lakeBucket),
    results: logicalId(s.stack, st.athenaResultsBucket),
    logs: logicalId(s.stack, st.accessLogsBucket),
    key: logicalId(s.stack, st.pupilKey),
    logKey: logicalId(s.stack, st.logKey),
    topic: logicalId(s.stack, s.stack.alerts.topic),
    portalWeb: logicalId(s.stack, s.stack.portal.webBucket),
    portalLogs: logicalId(s.stack, s.stack.portal.logBucket),
  };
  definition = concreteDefinition(s.json);
});

const bucketName = (id: string) => FAKE.bucket(id);

describe('storage', () => {
  it('has a customer-managed key per data class, with rotation on (security.test.ts checks what each encrypts)', () => {
    s.template.resourceCountIs('AWS::KMS::Key', 4);
    s.template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('is environment-agnostic: the logs key lets CloudWatch Logs of the deployment region use it', () => {
    const statements = s.json.Resources[ids.logKey].Properties.KeyPolicy.Statement as Json[];
    const logs = statements.find((st) => st.Sid === 'AllowCloudWatchLogsForThisAccountsLogGroups')!;
    expect(logs.Principal.Service).toEqual({ 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] });
    expect(JSON.stringify(s.json)).not.toMatch(/us-east-1|eu-west-2/);
  });

  it('encrypts the data buckets with the key (bucket keys on) and the access-log bucket with SSE-S3', () => {
    for (const id of [ids.raw, ids.lake, ids.results]) {
      expect(s.json.Resources[id].Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [ids.key, 'Arn'] } } },
      ]);
    }
    expect(s.json.Resources[ids.logs].Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
  });

  it('blocks public access, versions every bucket and logs the data buckets to the access-log bucket', () => {
    const all = resourcesOf(s.json, 'AWS::S3::Bucket');
    // The Storage buckets, and the portal's own two (its static page and its CloudFront/page access logs).
    expect(all.map(([id]) => id).sort()).toEqual([ids.raw, ids.lake, ids.results, ids.logs, ids.portalWeb, ids.portalLogs].sort());
    for (const [id, b] of all) {
      expect(b.Properties.PublicAccessBlockConfiguration, id).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    }
    const buckets = all.filter(([id]) => ![ids.portalWeb, ids.portalLogs].includes(id));
    for (const [id, b] of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration, id).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(b.Properties.VersioningConfiguration, id).toEqual({ Status: 'Enabled' });
      expect(b.DeletionPolicy, id).toBe('Retain');
    }
    for (const id of [ids.raw, ids.lake, ids.results]) {
      expect(s.json.Resources[id].Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: ids.logs });
    }
  });

  it('denies every non-TLS request (aws:SecureTransport) and TLS below 1.2 on every bucket', () => {
    const policies = resourcesOf(s.json, 'AWS::S3::BucketPolicy');
    for (const id of [ids.raw, ids.lake, ids.results, ids.logs]) {
      const policy = policies.find(([, p]) => p.Properties.Bucket.Ref === id)?.[1];
      expect(policy, id).toBeDefined();
      const statements = policy!.Properties.PolicyDocument.Statement as Json[];
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }));
    }
  });

  it('expires raw uploads, quarantine and staging; keeps curated and published; expires noncurrent versions (pupil-level within days)', () => {
    const rules = (id: string) => s.json.Resources[id].Properties.LifecycleConfiguration.Rules as Json[];
    const byPrefix = (id: string, prefix: string) => rules(id).find((r) => r.Prefix === prefix);
    expect(byPrefix(ids.raw, 'raw/')).toMatchObject({ Status: 'Enabled', ExpirationInDays: 30 });
    const quarantine = byPrefix(ids.lake, 'quarantine/')!;
    expect(quarantine).toMatchObject({ Status: 'Enabled', ExpirationInDays: 30 });
    const staging = byPrefix(ids.lake, 'staging/')!;
    expect(staging.ExpirationInDays).toBeGreaterThanOrEqual(1);
    expect(staging.ExpirationInDays).toBeLessThanOrEqual(2);
    // Nothing expires curated/ or published/ objects: no whole-bucket or curated/published expiration.
    // Published data and logs keep old versions a month; pupil-level buckets 3 days (security.test.ts).
    for (const [id, days] of [[ids.raw, 3], [ids.lake, 30], [ids.results, 3], [ids.logs, 30]] as const) {
      expect(rules(id).some((r) => r.NoncurrentVersionExpiration?.NoncurrentDays === days && r.Prefix === undefined), id).toBe(true);
      expect(rules(id).some((r) => r.AbortIncompleteMultipartUpload?.DaysAfterInitiation === 1), id).toBe(true);
    }
    // Only quarantine, staging and the portal's sign-out revocations (which outlive every token) expire.
    for (const r of rules(ids.lake)) {
      if (r.ExpirationInDays !== undefined) expect(['quarantine/', 'staging/', 'portal/revoked/']).toContain(r.Prefix);
    }
  });

  it('takes retention days from context', () => {
    const c = synthApp({ rawRetentionDays: '7', quarantineRetentionDays: 14 });
    const lake = logicalId(c.stack, c.stack.storage.lakeBucket);
    const raw = logicalId(c.stack, c.stack.storage.rawBucket);
    const rule = (id: string, prefix: string) => (c.json.Resources[id].Properties.LifecycleConfiguration.Rules as Json[]).find((r) => r.Prefix === prefix);
    expect(rule(raw, 'raw/')!.ExpirationInDays).toBe(7);
    expect(rule(lake, 'quarantine/')!.ExpirationInDays).toBe(14);
  });

  it('turns EventBridge notifications on in the bucket resource itself (no notification custom resource)', () => {
    expect(s.json.Resources[ids.raw].Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    expect(resourcesOf(s.json, 'Custom::S3BucketNotifications')).toEqual([]);
    // The pipeline's five functions, the portal API, and CDK's BucketDeployment provider (the portal page).
    expect(resourcesOf(s.json, 'AWS::Lambda::Function')).toHaveLength(7);
    expect(resourcesOf(s.json, 'AWS::Lambda::Function').filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'))).toHaveLength(6);
  });

  it('keeps the pseudonymisation key in Secrets Manager: generated 64 hex characters, encrypted with the key, retained', () => {
    const [[, secret]] = resourcesOf(s.json, 'AWS::SecretsManager::Secret');
    expect(secret!.DeletionPolicy).toBe('Retain');
    expect(secret!.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [ids.key, 'Arn'] });
    const g = secret!.Properties.GenerateSecretString;
    expect(g).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true, ExcludeUppercase: true, IncludeSpace: false, ExcludeCharacters: 'ghijklmnopqrstuvwxyz' });
  });

  it('encrypts the alert topic, the queues and every log group', () => {
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [ids.logKey, 'Arn'] } });
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    for (const [, q] of resourcesOf(s.json, 'AWS::SQS::Queue')) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    const groups = resourcesOf(s.json, 'AWS::Logs::LogGroup');
    // five pipeline functions, the state machine; the portal's function, API access log and page deployment
    expect(groups).toHaveLength(9);
    const deployLog = logicalId(s.stack, s.stack.portal.node.findChild('DeployWebLog'));
    for (const [id, g] of groups) {
      expect(g.Properties.KmsKeyId, id).toEqual({ 'Fn::GetAtt': [ids.logKey, 'Arn'] });
      // The page deployment's log (deploy-time only) is kept a month; everything else a year.
      expect(g.Properties.RetentionInDays, id).toBe(id === deployLog ? 30 : 365);
    }
  });
});

describe('catalog', () => {
  const tables = () => resourcesOf(s.json, 'AWS::Glue::Table').map(([, t]) => t.Properties.TableInput as Json);

  it('has a table for every curated and published dataset and the two portal datasets, and no other', () => {
    expect(tables().map((t) => t.Name).sort()).toEqual([...CURATED_TABLES, ...PUBLISHED_TABLES, ...PORTAL_TABLES].map((t) => t.name).sort());
    s.template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'catchment' } });
  });

  it('derives every column from the zod contracts (data columns in the files, partition columns as keys)', () => {
    for (const def of [...CURATED_TABLES, ...PUBLISHED_TABLES, ...PORTAL_TABLES]) {
      const t = tables().find((x) => x.Name === def.name)!;
      const cols = (t.StorageDescriptor.Columns as Json[]).map((c) => ({ name: c.Name, type: c.Type }));
      expect(cols, def.name).toEqual(dataColumnsOf(def).map((c) => ({ name: c.name, type: glueType(c.type) })));
      const keys = (t.PartitionKeys as Json[]).map((c) => ({ name: c.Name, type: c.Type }));
      expect(keys, def.name).toEqual(def.partitions.map((p) => ({ name: p, type: glueType(columnsOf(def).find((c) => c.name === p)!.type) })));
      expect([...cols, ...keys].map((c) => c.name), def.name).toEqual(columnsOf(def).map((c) => c.name));
    }
  });

  it('stores Parquet at s3://<lake>/<zone>/<table>/ with partition projection on the partition column', () => {
    const lake = bucketName(ids.lake);
    const periods = periodRange('2015-16', '2035-36');
    for (const def of [...CURATED_TABLES, ...PUBLISHED_TABLES, ...PORTAL_TABLES]) {
      const t = tables().find((x) => x.Name === def.name)!;
      const sd = t.StorageDescriptor;
      expect(sd.SerdeInfo.SerializationLibrary).toBe(PARQUET.serde);
      expect(sd.InputFormat).toBe(PARQUET.inputFormat);
      expect(sd.OutputFormat).toBe(PARQUET.outputFormat);
      expect(concretise(sd.Location, s.json)).toBe(`s3://${lake}/${tablePrefix(def)}/`);
      const p = t.Parameters;
      const key = def.partitions[0]!;
      // Published tables follow the publication pointer through registered partitions instead.
      if (PUBLISHED_TABLES.some((t) => t.name === def.name)) {
        expect(p['projection.enabled'], def.name).toBeUndefined();
        expect(p['storage.location.template'], def.name).toBeUndefined();
        continue;
      }
      expect(p['projection.enabled']).toBe('true');
      expect(p[`projection.${key}.type`]).toBe('enum');
      expect(concretise(p['storage.location.template'], s.json)).toBe(`s3://${lake}/${tablePrefix(def)}/${key}=\${${key}}/`);
      const values = (p[`projection.${key}.values`] as string).split(',');
      // The portal's audit records of requests that named no valid period are under period=none.
      if (key === 'period') expect(values, def.name).toEqual(PORTAL_TABLES.some((t) => t.name === def.name) ? [...periods, 'none'] : periods);
      else {
        expect(key).toBe('vintage');
        expect(values).toContain('2024-05');
        expect(values).toContain('unspecified');
      }
    }
  });

  it('projects the configured range of academic years', () => {
    const c = synthApp({ firstPeriod: '2020-21', lastPeriod: '2022-23' });
    const [[, t]] = resourcesOf(c.json, 'AWS::Glue::Table').filter(([, r]) => r.Properties.TableInput.Name === 'pupils');
    expect(t!.Properties.TableInput.Parameters['projection.period.values']).toBe('2020-21,2021-22,2022-23');
  });

  it('has an engine v3 workgroup with enforced settings, KMS-encrypted results and a scan cutoff', () => {
    s.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'catchment',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        EngineVersion: { SelectedEngineVersion: ATHENA_ENGINE_V3 },
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [ids.key, 'Arn'] } },
        },
      },
    });
    const [[, wg]] = resourcesOf(s.json, 'AWS::Athena::WorkGroup');
    expect(concretise(wg!.Properties.WorkGroupConfiguration.ResultConfiguration.OutputLocation, s.json)).toBe(`s3://${bucketName(ids.results)}/results/`);
    const c = synthApp({ bytesScannedCutoff: '1073741824' });
    c.template.hasResourceProperties('AWS::Athena::WorkGroup', { WorkGroupConfiguration: { BytesScannedCutoffPerQuery: 1073741824 } });
  });

  it('saves the analysts named queries in their workgroup and the database', () => {
    const queries = resourcesOf(s.json, 'AWS::Athena::NamedQuery').map(([, q]) => q.Properties as Json);
    expect(queries.map((q) => q.Name).sort()).toEqual([...analystQueries(5).map((q) => q.name), 'portal-feedback'].sort());
    for (const q of queries) {
      expect(q.Database).toBe('catchment');
      expect(q.WorkGroup).toBe('catchment-analysts');
    }
  });
});

describe('ingest', () => {
  it('routes "Object Created" events under raw/ of the raw bucket to the ingest function, with retries and a DLQ', () => {
    const [[, rule]] = resourcesOf(s.json, 'AWS::Events::Rule');
    expect(rule!.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: ids.raw }] }, object: { key: [{ prefix: 'raw/' }] } },
    });
    const target = rule!.Properties.Targets[0];
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(s.stack, s.stack.ingest.function), 'Arn'] });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
    expect(target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [logicalId(s.stack, s.stack.ingest.deadLetterQueue), 'Arn'] });
  });

  it('retries failed invocations twice, then sends them to the DLQ; runs one at a time', () => {
    const fnId = logicalId(s.stack, s.stack.ingest.function);
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(s.stack, s.stack.ingest.deadLetterQueue), 'Arn'] } } },
    });
    expect(s.json.Resources[fnId].Properties.ReservedConcurrentExecutions).toBe(1);
  });

  it('alarms on the DLQ and on function errors, into the alert topic', () => {
    const alarms = resourcesOf(s.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties as Json);
    const dlq = alarms.find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && a.Dimensions[0].Value['Fn::GetAtt'][0] === logicalId(s.stack, s.stack.ingest.deadLetterQueue));
    expect(dlq).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [{ Ref: ids.topic }] });
    expect(alarms.find((a) => a.MetricName === 'Errors')).toMatchObject({ AlarmActions: [{ Ref: ids.topic }] });
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: ids.topic }]);
  });
});

describe('lambda functions', () => {
  it('run Node.js 22 on ARM64 (ingest on x86_64, for the DuckDB binary) with active tracing, JSON logs in their own log group, Powertools settings', () => {
    // Every function but CDK's BucketDeployment provider (deploy-time only, its runtime chosen by CDK).
    const fns = resourcesOf(s.json, 'AWS::Lambda::Function').filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'));
    expect(fns).toHaveLength(6);
    const portalApi = logicalId(s.stack, s.stack.portal.function);
    const ingest = logicalId(s.stack, s.stack.ingest.function);
    for (const [id, f] of fns) {
      const p = f.Properties;
      expect(p.Runtime, id).toBe('nodejs22.x');
      expect(p.Architectures, id).toEqual([id === ingest ? 'x86_64' : 'arm64']);
      expect(p.Handler, id).toBe('index.handler');
      expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(p.LoggingConfig.LogFormat, id).toBe('JSON');
      expect(p.LoggingConfig.LogGroup, id).toBeDefined();
      const env = p.Environment.Variables;
      expect(env, id).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: 'Catchment',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
        NODE_OPTIONS: '--enable-source-maps',
        LAKE_BUCKET: { Ref: ids.lake },
      });
      if (id === portalApi) {
        expect(env.POWERTOOLS_SERVICE_NAME, id).toBe('catchment-portal-api');
        continue;
      }
      expect(env, id).toMatchObject({
        RAW_BUCKET: { Ref: ids.raw },
        GLUE_DATABASE: 'catchment',
        ATHENA_WORKGROUP: 'catchment',
        CATCHMENT_LA_NAME: 'Example Council',
        CATCHMENT_SUPPRESSION_THRESHOLD: '5',
      });
      expect(env.POWERTOOLS_SERVICE_NAME, id).toMatch(/^catchment-(ingest|classify|profiles|render-pdfs|publish)$/);
    }
  });

  it('gives the profiles and PDF functions 15 minutes, and the renderer one full vCPU (1,769 MB)', () => {
    const props = (fn: object) => s.json.Resources[logicalId(s.stack, fn)].Properties;
    expect(props(s.stack.profilesFunction).Timeout).toBe(900);
    expect(props(s.stack.renderPdfsFunction)).toMatchObject({ Timeout: 900, MemorySize: 1769 });
  });

  it('sizes the ingest function for England-scale files: 6 GB (DuckDB 60% of it), 10 GB of /tmp, 15 minutes', () => {
    const p = s.json.Resources[logicalId(s.stack, s.stack.ingest.function)].Properties;
    expect(p).toMatchObject({ MemorySize: 6144, EphemeralStorage: { Size: 10240 }, Timeout: 900 });
    expect(p.Environment.Variables.CATCHMENT_INGEST_MEMORY).toBe('3686MB');
  });

  it('gives the ingest function every setting the CLI has, and its size, from context', () => {
    const c = synthApp({ classification: 'oac11', laCode: '886', clusterColumn: 'DistrictAdministrative (name)', defaultPeriod: '2025-26', ingestMemoryMiB: 10240, ingestStorageGiB: 8 });
    const p = c.json.Resources[logicalId(c.stack, c.stack.ingest.function)].Properties;
    expect(p).toMatchObject({ MemorySize: 10240, EphemeralStorage: { Size: 8192 } });
    expect(p.Environment.Variables).toMatchObject({
      CLASSIFICATION: 'oac11',
      LA_CODE: '886',
      CLUSTER_COLUMN: 'DistrictAdministrative (name)',
      DEFAULT_PERIOD: '2025-26',
      CATCHMENT_INGEST_MEMORY: '6144MB',
    });
    // Every setting has its variable (the handler reads the same names).
    expect(Object.values(INGEST_SETTINGS_ENV).every((v) => v in p.Environment.Variables)).toBe(true);
    // By default none is set: each takes its default in the function as in the CLI.
    const fresh = s.json.Resources[logicalId(s.stack, s.stack.ingest.function)].Properties.Environment.Variables;
    expect(Object.values(INGEST_SETTINGS_ENV).filter((v) => v in fresh)).toEqual([]);
  });

  it('gives the pseudonymisation secret id to the ingest function only', () => {
    const withSecret = resourcesOf(s.json, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Environment.Variables.PSEUDONYM_SECRET_ID);
    expect(withSecret.map(([id]) => id)).toEqual([logicalId(s.stack, s.stack.ingest.function)]);
  });
});

describe('nightly run', () => {
  it('is scheduled at 02:00 Europe/London with the scheduled time as input, retries and a DLQ', () => {
    const [[, sch]] = resourcesOf(s.json, 'AWS::Scheduler::Schedule');
    const p = sch!.Properties;
    expect(p.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(p.ScheduleExpressionTimezone).toBe('Europe/London');
    expect(p.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    expect(p.State).toBe('ENABLED');
    expect(p.Target.Arn).toEqual({ Ref: logicalId(s.stack, s.stack.nightlyRun.stateMachine) });
    expect(JSON.parse(p.Target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>', source: 'catchment-nightly-schedule' });
    expect(p.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 });
    expect(p.Target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [logicalId(s.stack, s.stack.nightlyRun.scheduleDeadLetterQueue), 'Arn'] });
  });

  it('takes the schedule and time zone from context', () => {
    const c = synthApp({ schedule: 'cron(30 3 ? * MON-FRI *)', timezone: 'Europe/Dublin' });
    c.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(30 3 ? * MON-FRI *)', ScheduleExpressionTimezone: 'Europe/Dublin' });
  });

  it('is a JSONata standard state machine with ALL-level logs and X-Ray tracing', () => {
    const [[, sm]] = resourcesOf(s.json, 'AWS::StepFunctions::StateMachine');
    expect(sm!.Properties.StateMachineType).toBe('STANDARD');
    expect(sm!.Properties.LoggingConfiguration.Level).toBe('ALL');
    expect(sm!.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(definition.QueryLanguage).toBe('JSONata');
    expect(definition.TimeoutSeconds).toBe(6 * 3600);
  });

  it('retries every Lambda task on Lambda service errors and throttling, with exponential backoff', () => {
    const lambdaTasks = Object.entries(allStates(definition)).filter(([, st]) => st.Type === 'Task' && String(st.Resource).endsWith(':states:::lambda:invoke'));
    expect(lambdaTasks.map(([n]) => n).sort()).toEqual(['AcquireLock', 'Classify', 'Cleanup', 'FairAccessTrend', 'FinishPdfs', 'Profiles', 'Publish', 'RecordFailure', 'ReleaseLock', 'RenderPdfs']);
    for (const [name, st] of lambdaTasks) {
      const retries = st.Retry as Json[];
      const service = retries.find((r) => r.ErrorEquals.includes('Lambda.ServiceException'));
      expect(service, name).toBeDefined();
      expect(service!.ErrorEquals).toEqual(expect.arrayContaining(LAMBDA_TRANSIENT_ERRORS));
      expect(service!.BackoffRate).toBeGreaterThanOrEqual(2);
      expect(service!.MaxAttempts).toBeGreaterThanOrEqual(3);
      const throttling = retries.find((r) => r.ErrorEquals.includes('TooManyRequestsException'));
      expect(throttling!.ErrorEquals).toEqual(expect.arrayContaining(THROTTLING_ERRORS));
      expect(throttling!.BackoffRate).toBeGreaterThanOrEqual(2);
      expect(throttling!.IntervalSeconds).toBeGreaterThanOrEqual(10);
      // never retry everything: a bad input must fail fast into the alert
      for (const r of retries) expect(r.ErrorEquals).not.toContain('States.ALL');
    }
  });

  it('catches every failure into the SNS alert, then fails the execution', () => {
    const top = definition.States as Record<string, Json>;
    for (const [name, st] of Object.entries(top)) {
      if (st.Type !== 'Task' && st.Type !== 'Map') continue;
      if (name === 'NotifyFailure') continue;
      // Before the run id is claimed, and after it is published, there is no failed night to record.
      const next = ['ClaimRun', 'RecordFailure', 'Cleanup', 'ReleaseLock'].includes(name) ? 'NotifyFailure' : 'RecordFailure';
      expect(st.Catch, name).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: next })]);
    }
    expect(top.RecordFailure).toMatchObject({ Resource: 'arn:aws:states:::lambda:invoke', Next: 'NotifyFailure' });
    expect(top.RecordFailure!.Arguments.Payload).toEqual({ runId: '{% $runId %}', failed: true, error: '{% $states.input %}' });
    const notify = top.NotifyFailure!;
    expect(notify.Resource).toBe('arn:aws:states:::sns:publish');
    expect(notify.Arguments.TopicArn).toBe(`arn:aws:sns:${FAKE.region}:${FAKE.account}:${ids.topic}`);
    expect(notify.Next).toBe('Failed');
    expect(top.Failed).toMatchObject({ Type: 'Fail', Error: 'NightlyRunFailed' });
  });

  it('classifies each period, then profiles and fair access, PDFs fanned out over batches of schools, and publishes last', () => {
    const states = allStates(definition);
    const fnArn = (fn: object) => `arn:aws:lambda:${FAKE.region}:${FAKE.account}:function:${logicalId(s.stack, fn)}`;
    const perPeriod = definition.States.ForEachPeriod;
    expect(perPeriod.Type).toBe('Map');
    expect(perPeriod.ItemProcessor.StartAt).toBe('Classify');
    expect(states.Classify!.End).toBe(true);
    expect(states.Classify!.Arguments.FunctionName).toBe(fnArn(s.stack.classifyFunction));
    expect(perPeriod.Next).toBe('ProfilesEachPeriod');
    // Profiles: a Map over the periods with pupils (one invocation each), then the trend.
    const profiles = definition.States.ProfilesEachPeriod;
    expect(profiles).toMatchObject({ Type: 'Map', Items: '{% $profiled %}', Next: 'FairAccessTrend' });
    expect(profiles.ItemSelector).toEqual({ runId: '{% $runId %}', period: '{% $states.context.Map.Item.Value %}', periods: '{% $profiled %}' });
    expect(profiles.ItemProcessor.StartAt).toBe('Profiles');
    expect(states.Profiles!.Arguments).toEqual({ FunctionName: fnArn(s.stack.profilesFunction), Payload: { runId: '{% $states.input.runId %}', period: '{% $states.input.period %}', periods: '{% $states.input.periods %}' } });
    const trend = definition.States.FairAccessTrend;
    expect(trend).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Pdfs' });
    expect(trend.Arguments).toEqual({ FunctionName: fnArn(s.stack.profilesFunction), Payload: { runId: '{% $runId %}', periods: '{% $profiled %}', trend: true, batchSize: 50 } });
    // The PDF work list is read from S3 by a Distributed Map: no URN list passes through the state.
    const pdfs = definition.States.Pdfs;
    expect(pdfs.Type).toBe('Map');
    expect(pdfs.Items).toBeUndefined();
    expect(pdfs.ItemReader).toMatchObject({ Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Arguments: { Key: '{% $pdfItemsKey %}' } });
    expect(pdfs.ItemProcessor.ProcessorConfig).toMatchObject({ Mode: 'DISTRIBUTED' });
    expect(trend.Assign.pdfItemsKey).toBe('{% $states.result.Payload.itemsKey %}');
    expect(pdfs.MaxConcurrency).toBe(10);
    expect(pdfs.ItemProcessor.StartAt).toBe('RenderPdfs');
    expect(states.RenderPdfs).toMatchObject({ Type: 'Task', End: true });
    expect(states.RenderPdfs!.Arguments.FunctionName).toBe(fnArn(s.stack.renderPdfsFunction));
    expect(pdfs.Next).toBe('FinishPdfs');
    expect(definition.States.FinishPdfs.Arguments).toEqual({
      FunctionName: fnArn(s.stack.renderPdfsFunction),
      Payload: { runId: '{% $runId %}', periods: '{% $profiled %}', finish: true },
    });
    expect(definition.States.FinishPdfs.Next).toBe('Publish');
    expect(definition.States.Publish.Arguments.FunctionName).toBe(fnArn(s.stack.publishFunction));
    expect(definition.States.Publish.Next).toBe('Cleanup');
    expect(definition.States.Cleanup.Arguments.Payload).toEqual({ runId: '{% $runId %}', cleanup: true });
    expect(definition.States.Cleanup.Next).toBe('ReleaseLock');
    expect(definition.States.ReleaseLock.Next).toBe('Succeeded');
    // The lake lock is taken right after the run id is claimed, and waited for while an ingest holds it.
    expect(definition.States.ClaimRun.Next).toBe('AcquireLock');
    expect((definition.States.AcquireLock.Retry as Json[]).find((r) => r.ErrorEquals.includes('LakeBusyError'))).toMatchObject({ MaxAttempts: 12 });
    expect(definition.States.Succeeded.Type).toBe('Succeed');
    // Publish is the only state that changes what readers see; only the cleanup of superseded runs follows.
    const after = Object.entries(definition.States as Record<string, Json>).filter(([, st]) => st.Next === 'Publish').map(([n]) => n);
    expect(after).toEqual(['FinishPdfs']);
    // No placeholder is left: the Pass states that held the later stages' places are gone.
    expect(Object.values(states).filter((st) => st.Type === 'Pass').map((st) => st.Comment ?? '')).not.toContainEqual(expect.stringMatching(/PLACEHOLDER/));
    for (const name of ['ProfilesAndFairAccess', 'FairAccess', 'RenderSchoolPdf']) expect(states[name], name).toBeUndefined();
    expect(Object.entries(states).filter(([, st]) => st.Type === 'Pass').map(([n]) => n)).toEqual(['Plan']);
  });

  it('profiles only the periods with pupils, and passes counts (no row data) to the manifest', async () => {
    const ev = (expr: string, bindings: Json) => jsonata(String(expr).replace(/^\{%|%\}$/g, '')).evaluate({}, bindings);
    const perPeriod = definition.States.ForEachPeriod;
    const classified = await Promise.all(
      [
        { period: '2024-25', total: 0 },
        { period: '2025-26', total: 1200 },
      ].map(({ period, total }) => ev(allStates(definition).Classify!.Output, { states: { input: { runId: 'r', period }, result: { Payload: { period, pupils: { total }, contacts: { total: 3 } } } } })),
    );
    expect(classified).toEqual([
      { period: '2024-25', pupils: 0 },
      { period: '2025-26', pupils: 1200 },
    ]);
    expect(await ev(perPeriod.Assign.profiled, { states: { result: classified } })).toEqual(['2025-26']);
    expect(await ev(perPeriod.Assign.profiled, { states: { result: [] } })).toEqual([]);
    const summary = await ev(definition.States.Publish.Arguments.Payload.summary, {
      profiled: ['2025-26'],
      profileDocuments: 580,
      fairAccessPeriods: ['2025-26'],
      pdfsRendered: 12,
      pdfsUnchanged: 569,
    });
    expect(summary).toEqual({ profiledPeriods: ['2025-26'], profileDocuments: 580, fairAccessPeriods: ['2025-26'], pdfsRendered: 12, pdfsUnchanged: 569 });
  });

  it('fans the PDFs out over the work list the trend step writes, each item a RenderPdfs payload', async () => {
    const pdfs = definition.States.Pdfs;
    const ev = (expr: string, bindings: Json) => jsonata(String(expr).replace(/^\{%|%\}$/g, '')).evaluate({}, bindings);
    const item = { period: '2025-26', urns: [], report: true };
    const selected: Json = {};
    for (const [k, v] of Object.entries(pdfs.ItemSelector as Record<string, string>)) selected[k] = await ev(v, { runId: 'r', states: { context: { Map: { Item: { Value: item } } } } });
    expect(selected).toEqual({ runId: 'r', period: '2025-26', urns: [], report: true });
    expect(states0().RenderPdfs!.Arguments.Payload).toEqual({ runId: '{% $states.input.runId %}', period: '{% $states.input.period %}', urns: '{% $states.input.urns %}', report: '{% $states.input.report %}' });
    expect(await ev(pdfs.Assign.pdfsRendered, { states: { result: [{ rendered: 3, skipped: 47 }, { rendered: 1, skipped: 0 }] } })).toBe(4);
    expect(await ev(pdfs.Assign.pdfsUnchanged, { states: { result: [] } })).toBe(0);
  });

  it('derives the run id from the scheduled date, so a rerun of the same night reuses it', async () => {
    const plan = definition.States.Plan;
    const runIdOf = async (input: Json, startTime: string) =>
      jsonata(String(plan.Assign.runId).replace(/^\{%|%\}$/g, '')).evaluate({}, { states: { input, context: { Execution: { StartTime: startTime } } } });
    expect(await runIdOf({ scheduledTime: '2025-11-03T02:00:00Z' }, '2025-11-03T02:00:01.123Z')).toBe('nightly-2025-11-03');
    // BST: 02:00 London is 01:00 UTC, same date
    expect(await runIdOf({ scheduledTime: '2025-06-01T01:00:00Z' }, '2025-06-01T01:00:00.500Z')).toBe('nightly-2025-06-01');
    // a manual rerun later that day, without input, gets the same id; an explicit id wins
    expect(await runIdOf({}, '2025-06-01T09:14:00.000Z')).toBe('nightly-2025-06-01');
    expect(await runIdOf({ runId: 'rerun-1' }, '2025-06-01T09:14:00.000Z')).toBe('rerun-1');
  });

  it('discovers periods from the curated partition folders unless the input names them', async () => {
    const ev = (expr: string, bindings: Json) => jsonata(String(expr).replace(/^\{%|%\}$/g, '')).evaluate({}, bindings);
    const given = await ev(definition.States.Plan.Assign.periods, { states: { input: { periods: ['2024-25'] } } });
    expect(given).toEqual(['2024-25']);
    expect(await ev(definition.States.Plan.Assign.periods, { states: { input: {} } })).toEqual([]);
    const pupils = await ev(definition.States.ListPupilPeriods.Assign.periods, {
      states: { result: { CommonPrefixes: [{ Prefix: 'curated/pupils/period=2025-26/' }, { Prefix: 'curated/pupils/period=junk/' }] } },
    });
    expect(pupils).toEqual(['2025-26']);
    const all = await ev(definition.States.ListContactPeriods.Assign.periods, {
      periods: pupils,
      states: { result: { CommonPrefixes: [{ Prefix: 'curated/contacts/period=2024-25/' }, { Prefix: 'curated/contacts/period=2025-26/' }] } },
    });
    expect(all).toEqual(['2024-25', '2025-26']);
    expect(await ev(definition.States.ListContactPeriods.Assign.periods, { periods: [], states: { result: { KeyCount: 0 } } })).toEqual([]);
  });

  it('clears what an earlier attempt left in staging/<runId>/ before classifying', async () => {
    const clear = definition.States.ClearStaging;
    expect(clear.Resource).toBe('arn:aws:states:::aws-sdk:s3:listObjectsV2');
    expect(clear.Arguments.Bucket).toBe(bucketName(ids.lake));
    expect(await jsonata(clear.Arguments.Prefix.replace(/^\{%|%\}$/g, '')).evaluate({}, { runId: 'nightly-2025-06-01' })).toBe('staging/nightly-2025-06-01/');
    expect(definition.States.StagingLeft.Default).toBe('ForEachPeriod');
    expect(definition.States.DeleteStaged.Next).toBe('ClearStaging');
    // One DeleteObjects call per listed page (up to 1,000 keys), not one state per object.
    const del = definition.States.DeleteStaged;
    expect(del.Resource).toBe('arn:aws:states:::aws-sdk:s3:deleteObjects');
    expect(await jsonata(del.Arguments.Delete.Objects.replace(/^\{%|%\}$/g, '')).evaluate({}, { states: { input: { keys: ['a', 'b'] } } })).toEqual([{ Key: 'a' }, { Key: 'b' }]);
    expect(await jsonata(del.Arguments.Delete.Objects.replace(/^\{%|%\}$/g, '')).evaluate({}, { states: { input: { keys: ['a'] } } })).toEqual([{ Key: 'a' }]);
  });

  it('passes asl-validator', async () => {
    const { default: aslValidator } = await import('asl-validator');
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText('\n'), JSON.stringify(definition).slice(0, 200)).toBe('');
    expect(isValid).toBe(true);
  });

  it('alarms on failed and timed-out executions and on the schedule DLQ', () => {
    const alarms = resourcesOf(s.json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties as Json);
    expect(alarms.filter((a) => a.Namespace === 'AWS/States').map((a) => a.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    expect(alarms).toHaveLength(5);
  });
});

describe('IAM', () => {
  /**
   * CDK's BucketDeployment provider (a singleton that copies the portal page into its bucket at
   * deploy time; never invoked at run time) comes with CDK's own grants, acknowledged one by one in
   * infra/constructs/portal.ts and checked in portal.test.ts. Everything else is ours.
   */
  const isDeployProvider = (roleId: string) => roleId.startsWith('CustomCDKBucketDeployment');
  const allStatements = () =>
    resourcesOf(s.json, 'AWS::IAM::Policy')
      .filter(([, p]) => !(p.Properties.Roles as Json[]).every((r) => isDeployProvider(r.Ref)))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
  const roleOf = (fn: { role?: unknown }) => logicalId(s.stack, fn.role as never);
  /** Concrete S3 object ARNs a role may touch with the given action. */
  const objectArns = (roleId: string, action: string) =>
    statementsOfRole(s.json, roleId)
      .filter((st) => st.Effect === 'Allow' && asArray<string>(st.Action).includes(action))
      .flatMap((st) => asArray(st.Resource).map((r) => concretise(r, s.json)))
      .filter((r) => r.startsWith('arn:aws:s3:::'))
      .sort();
  const lake = () => `arn:aws:s3:::${bucketName(ids.lake)}`;
  const raw = () => `arn:aws:s3:::${bucketName(ids.raw)}`;

  it('never grants s3:* or * actions, nor any action on Resource "*" except X-Ray/log delivery', () => {
    for (const st of allStatements().filter((x) => x.Effect === 'Allow')) {
      const actions = asArray<string>(st.Action);
      expect(actions).not.toContain('s3:*');
      expect(actions).not.toContain('*');
      for (const a of actions) expect(a, JSON.stringify(st)).not.toMatch(/\*$/);
      if (asArray(st.Resource).includes('*')) {
        for (const a of actions) expect(a).toMatch(/^(xray|logs):/);
      }
    }
    const roles = resourcesOf(s.json, 'AWS::IAM::Role');
    for (const [id, role] of roles) if (!isDeployProvider(id)) expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    // The one exception: the deploy-time provider's basic execution policy (its own logs).
    const provider = roles.filter(([id]) => isDeployProvider(id));
    expect(provider).toHaveLength(1);
    expect(JSON.stringify(provider[0]![1].Properties.ManagedPolicyArns)).toMatch(/AWSLambdaBasicExecutionRole/);
  });

  it('lists buckets only with an s3:prefix condition', () => {
    for (const st of allStatements().filter((x) => asArray<string>(x.Action).includes('s3:ListBucket'))) {
      expect(st.Condition?.StringLike?.['s3:prefix'], JSON.stringify(st)).toBeDefined();
    }
  });

  it('scopes the ingest function to raw/, its curated tables, quarantine/ and staging/', () => {
    const role = roleOf(s.stack.ingest.function);
    const rw = [...INGEST_TABLES.map((t) => `${lake()}/${tablePrefix(t)}/*`), `${lake()}/curated/_sources/*`, `${lake()}/quarantine/*`, `${lake()}/staging/*`, `${lake()}/locks/*`].sort();
    expect(objectArns(role, 's3:GetObject')).toEqual([...rw, `${raw()}/raw/*`].sort());
    expect(objectArns(role, 's3:PutObject')).toEqual(rw);
    expect(objectArns(role, 's3:DeleteObject')).toEqual(rw);
    const statements = statementsOfRole(s.json, role);
    expect(statements.some((st) => asArray<string>(st.Action).includes('secretsmanager:GetSecretValue'))).toBe(true);
    expect(statements.some((st) => asArray<string>(st.Action).some((a) => a.startsWith('athena:')))).toBe(false);
  });

  it('scopes the classify function to Athena, the curated Glue tables, curated/ reads and staging/ + enriched (and their markers) writes', () => {
    const role = roleOf(s.stack.classifyFunction);
    const results = [`arn:aws:s3:::${bucketName(ids.results)}/results/*`, `arn:aws:s3:::${bucketName(ids.results)}/publish-results/*`];
    const write = [`${lake()}/curated/enriched_pupils/*`, `${lake()}/curated/enriched_contacts/*`, `${lake()}/curated/_made-from/enriched_pupils/*`, `${lake()}/curated/_made-from/enriched_contacts/*`, `${lake()}/staging/*`, `${lake()}/runs/*`, ...results].sort();
    expect(objectArns(role, 's3:PutObject')).toEqual(write);
    expect(objectArns(role, 's3:DeleteObject')).toEqual(write.filter((a) => !a.includes('results/')));
    expect(objectArns(role, 's3:GetObject')).toEqual([`${lake()}/curated/*`, `${lake()}/published/_publication.json*`, ...write].sort());
    const statements = statementsOfRole(s.json, role);
    // The pipeline's workgroup, and its publishing one (UNLOADs of published tables, published-data key).
    const athenaSts = statements.filter((st) => asArray<string>(st.Action).includes('athena:StartQueryExecution'));
    expect(athenaSts.flatMap((st) => asArray(st.Resource).map((r) => concretise(r, s.json))).sort()).toEqual(['catchment', 'catchment-publish'].map((w) => `arn:aws:athena:${FAKE.region}:${FAKE.account}:workgroup/${w}`));
    for (const glueSt of statements.filter((st) => asArray<string>(st.Action).includes('glue:GetTable') && asArray<string>(st.Action).includes('glue:GetPartitions'))) {
      const glueArns = asArray(glueSt.Resource).map((r) => concretise(r, s.json));
      expect(glueArns.filter((a) => a.includes(':table/')).sort()).toEqual(CURATED_TABLES.map((t) => `arn:aws:glue:${FAKE.region}:${FAKE.account}:table/catchment/${t.name}`).sort());
    }
    expect(statements.some((st) => asArray<string>(st.Action).includes('secretsmanager:GetSecretValue'))).toBe(false);
  });

  it('scopes the publish function to staging/ -> published/<table>/ and published/{profiles,reports}/, and manifests/', () => {
    const role = roleOf(s.stack.publishFunction);
    // It writes nothing under published/ but the pointer: runs are published by flipping it.
    const own = [`${lake()}/published/_publication.json*`, `${lake()}/runs/*`, `${lake()}/staging/*`, `${lake()}/locks/*`];
    expect(objectArns(role, 's3:PutObject')).toEqual([...own, `${lake()}/manifests/*`].sort());
    expect(objectArns(role, 's3:DeleteObject')).toEqual(own.sort());
    expect(objectArns(role, 's3:GetObject').some((a) => a.includes('/curated/') || a.startsWith(raw()))).toBe(false);
    const glueSt = statementsOfRole(s.json, role).find((st) => asArray<string>(st.Action).includes('glue:BatchUpdatePartition'))!;
    const glueTables = asArray(glueSt.Resource).map((r) => concretise(r, s.json)).filter((a) => a.includes(':table/'));
    expect(glueTables.sort()).toEqual(PUBLISHED_TABLES.map((t) => `arn:aws:glue:${FAKE.region}:${FAKE.account}:table/catchment/${t.name}`).sort());
  });

  it('lets the state machine delete and read only under staging/ (the PDF work list) and invoke only its functions', () => {
    const role = logicalId(s.stack, s.stack.nightlyRun.stateMachine.role);
    expect(objectArns(role, 's3:DeleteObject')).toEqual([`${lake()}/staging/*`]);
    expect(objectArns(role, 's3:GetObject')).toEqual([`${lake()}/staging/*`]);
    const invoke = statementsOfRole(s.json, role).filter((st) => asArray<string>(st.Action).includes('lambda:InvokeFunction'));
    const targets = invoke.flatMap((st) => asArray(st.Resource).map((r) => concretise(r, s.json)));
    const fnIds = [s.stack.classifyFunction, s.stack.profilesFunction, s.stack.renderPdfsFunction, s.stack.publishFunction].map((f) => logicalId(s.stack, f));
    for (const t of targets) expect(fnIds.some((id) => t.includes(`function:${id}`))).toBe(true);
    for (const id of fnIds) expect(targets.some((t) => t === `arn:aws:lambda:${FAKE.region}:${FAKE.account}:function:${id}`), id).toBe(true);
    // not the ingest or portal functions
    for (const fn of [s.stack.ingest.function, s.stack.portal.function]) expect(targets.some((t) => t.includes(`function:${logicalId(s.stack, fn)}`))).toBe(false);
  });

  it('scopes the profiles function to Athena, the curated Glue tables, curated/ reads, its runs and staging (UNLOADed results read back), the kept facts and the enriched admissions (and their markers)', () => {
    const role = roleOf(s.stack.profilesFunction);
    const results = [`arn:aws:s3:::${bucketName(ids.results)}/results/*`, `arn:aws:s3:::${bucketName(ids.results)}/publish-results/*`];
    expect(objectArns(role, 's3:PutObject')).toEqual([`${lake()}/curated/enriched_admissions/*`, `${lake()}/curated/_made-from/enriched_admissions/*`, `${lake()}/curated/_kept/*`, `${lake()}/runs/*`, `${lake()}/staging/*`, ...results].sort());
    expect(objectArns(role, 's3:GetObject')).toEqual([`${lake()}/curated/*`, `${lake()}/curated/enriched_admissions/*`, `${lake()}/curated/_made-from/enriched_admissions/*`, `${lake()}/curated/_kept/*`, `${lake()}/published/_publication.json*`, `${lake()}/runs/*`, `${lake()}/staging/*`, ...results].sort());
    // deletes only its own run's documents of earlier periods, what an earlier attempt left, superseded kept facts, and the enriched admissions partitions it replaces (and their markers)
    expect(objectArns(role, 's3:DeleteObject')).toEqual([`${lake()}/curated/enriched_admissions/*`, `${lake()}/curated/_made-from/enriched_admissions/*`, `${lake()}/curated/_kept/*`, `${lake()}/runs/*`, `${lake()}/staging/*`].sort());
    const statements = statementsOfRole(s.json, role);
    const list = statements.filter((st) => asArray<string>(st.Action).includes('s3:ListBucket') && concretise(st.Resource, s.json) === lake());
    expect(list.flatMap((st) => st.Condition.StringLike['s3:prefix']).sort()).toEqual(['curated/*', 'curated/_kept/*', 'curated/_made-from/enriched_admissions/*', 'curated/enriched_admissions/*', 'published/_publication.json*', 'runs/*', 'staging/*'].sort());
    const athenaSts = statements.filter((st) => asArray<string>(st.Action).includes('athena:StartQueryExecution'));
    expect(athenaSts.flatMap((st) => asArray(st.Resource).map((r) => concretise(r, s.json))).sort()).toEqual(['catchment', 'catchment-publish'].map((w) => `arn:aws:athena:${FAKE.region}:${FAKE.account}:workgroup/${w}`));
    for (const glueSt of statements.filter((st) => asArray<string>(st.Action).includes('glue:GetTable'))) {
      const glueArns = asArray(glueSt.Resource).map((r) => concretise(r, s.json));
      expect(glueArns.filter((a) => a.includes(':table/')).sort()).toEqual(CURATED_TABLES.map((t) => `arn:aws:glue:${FAKE.region}:${FAKE.account}:table/catchment/${t.name}`).sort());
    }
    expect(statements.some((st) => asArray<string>(st.Action).some((a) => a.startsWith('secretsmanager:')))).toBe(false);
  });

  it('scopes the PDF function to the staged documents of a run and the published documents (read only)', () => {
    const role = roleOf(s.stack.renderPdfsFunction);
    const staged = [`${lake()}/runs/*/published/profiles/*`, `${lake()}/runs/*/published/reports/*`];
    const published = [`${lake()}/published/profiles/*`, `${lake()}/published/reports/*`, `${lake()}/published/_publication.json*`];
    expect(objectArns(role, 's3:PutObject')).toEqual(staged.sort());
    expect(objectArns(role, 's3:DeleteObject')).toEqual(staged.sort());
    expect(objectArns(role, 's3:GetObject')).toEqual([...staged, ...published].sort());
    const statements = statementsOfRole(s.json, role);
    expect(statements.some((st) => asArray<string>(st.Action).some((a) => /^(athena|glue|secretsmanager):/.test(a)))).toBe(false);
  });

  it('lets the portal read only the published documents and school names, and write only its own datasets', () => {
    const role = logicalId(s.stack, s.stack.portal.function.executionRole);
    // ... and heads' feedback (the analysts' feedback page, a head's own ratings): published data the portal wrote itself.
    expect(objectArns(role, 's3:GetObject')).toEqual(
      ['published/profiles/*', 'published/reports/*', 'published/school_context/*', 'published/portal_feedback/*', 'published/_publication.json*', 'runs/*/published/profiles/*', 'runs/*/published/reports/*', 'runs/*/published/school_context/*'].map((p) => `${lake()}/${p}`).sort(),
    );
    expect(objectArns(role, 's3:PutObject')).toEqual([`${lake()}/portal/revoked/*`, `${lake()}/published/portal_audit/*`, `${lake()}/published/portal_feedback/*`]);
    expect(objectArns(role, 's3:DeleteObject')).toEqual([]);
  });
});

describe('nightly run as a construct', () => {
  it('invokes the given functions for profiles, PDF batches (with the batch size and concurrency given) and the manifest merge', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const { Template } = await import('aws-cdk-lib/assertions');
    const lambda = await import('aws-cdk-lib/aws-lambda');
    const { Storage } = await import('../../infra/constructs/storage.ts');
    const { Alerts } = await import('../../infra/constructs/alerts.ts');
    const { NightlyRun } = await import('../../infra/constructs/nightly-run.ts');
    const stack = new Stack(new App({ outdir: tmpOutdir(), context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } }), 'Stages');
    const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('export const handler = async () => ({})') });
    const storage = new Storage(stack, 'Storage');
    const alerts = new Alerts(stack, 'Alerts', { key: storage.logKey });
    new NightlyRun(stack, 'Run', {
      storage,
      alerts,
      classify: fn('C'),
      profiles: fn('Prof'),
      renderPdfs: fn('Pdf'),
      publish: fn('P'),
      schoolsPerBatch: 25,
      renderConcurrency: 4,
    });
    const json = Template.fromStack(stack).toJSON() as Json;
    const def = concreteDefinition(json);
    const states = allStates(def);
    const arn = (id: string) => `arn:aws:lambda:${FAKE.region}:${FAKE.account}:function:${id}`;
    const fnId = (prefix: string) => resourcesOf(json, 'AWS::Lambda::Function').find(([id]) => id.startsWith(prefix))![0];
    for (const [name, prefix] of [
      ['Profiles', 'Prof'],
      ['FairAccessTrend', 'Prof'],
      ['RenderPdfs', 'Pdf'],
      ['FinishPdfs', 'Pdf'],
    ] as const) {
      expect(states[name]!.Type, name).toBe('Task');
      expect(states[name]!.Resource).toBe('arn:aws:states:::lambda:invoke');
      expect(states[name]!.Arguments.FunctionName, name).toBe(arn(fnId(prefix)));
      expect((states[name]!.Retry as Json[]).some((r) => r.ErrorEquals.includes('Lambda.ServiceException'))).toBe(true);
    }
    expect(def.States.ForEachPeriod.Next).toBe('ProfilesEachPeriod');
    expect(def.States.ProfilesEachPeriod.Next).toBe('FairAccessTrend');
    expect(states.FairAccessTrend!.Next).toBe('Pdfs');
    expect(states.FairAccessTrend!.Arguments.Payload.batchSize).toBe(25);
    expect(def.States.Pdfs).toMatchObject({ MaxConcurrency: 4 });
    expect(states.RenderPdfs!.Arguments.Payload).toEqual({ runId: '{% $states.input.runId %}', period: '{% $states.input.period %}', urns: '{% $states.input.urns %}', report: '{% $states.input.report %}' });
    const { default: aslValidator } = await import('asl-validator');
    expect(aslValidator(def).errorsText('\n')).toBe('');
  });
});
