/**
 * Ingest: an upload to raw/<dataset>/ in the raw bucket re-ingests that dataset.
 *
 * S3 (EventBridge notifications on) -> EventBridge rule "Object Created", key prefix raw/ ->
 * ingest function, invoked asynchronously.
 * - Delivery: the rule target retries for up to 24 h (185 attempts) and parks undeliverable events
 *   in the dead-letter queue.
 * - Execution: Lambda retries a failed invocation twice (with its own backoff), then sends the event
 *   to the same dead-letter queue (on-failure destination). Events older than 6 h are dropped there
 *   too.
 * - Reserved concurrency 1: uploads of several files at once are ingested one after another (each
 *   invocation rewrites the partitions of the whole dataset); throttled events wait in Lambda's
 *   async queue.
 * - Alarms: any message in the DLQ, or any function error, notifies the alert topic.
 * - The function runs the same ingest as the local pipeline: the embedded DuckDB checks every row
 *   (functions/ingest), so it carries DuckDB's native binary for Linux x86_64 beside its bundle and
 *   runs on x86_64. The objects of the dataset are downloaded to /tmp, where DuckDB also spills
 *   what does not fit its memory cap, so /tmp is sized for the England NSPL and two census years
 *   with the personal columns LAs' extracts carry (about 1.2 GB each), and DuckDB gets 60% of the
 *   function's memory. The settings the CLI takes as options (--classification, --la-code,
 *   --cluster-column) come as environment variables (functions/ingest/settings.ts).
 */
import { Duration, Size } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambdaDestinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { checkSettings, settingsToEnv, type IngestSettings } from '../../functions/ingest/settings.ts';
import { tablePrefix } from '../../schemas/columns.ts';
import { CURATED_TABLES } from '../../schemas/curated.ts';
import type { Alerts } from './alerts.ts';
import type { Catalog } from './catalog.ts';
import { CatchmentFunction } from './catchment-function.ts';
import type { PseudonymKey } from './pseudonym-key.ts';
import { acknowledge } from './nag.ts';
import { LAKE_PREFIXES, RAW_PREFIX, type Storage } from './storage.ts';

/** Curated tables the ingest stage writes (the classify stage writes the enriched_* ones). */
export const INGEST_TABLES = CURATED_TABLES.filter((t) => !t.name.startsWith('enriched_'));

export interface IngestProps {
  readonly storage: Storage;
  readonly catalog: Catalog;
  readonly pseudonymKey: PseudonymKey;
  readonly alerts: Alerts;
  /**
   * DEFAULT_PERIOD for files whose name carries no academic year.
   * @default - the current academic year at ingest time
   */
  readonly defaultPeriod?: string;
  /**
   * Memory of the ingest function (MiB); DuckDB may use 60% of it (the rest is Node and the S3
   * transfers). More memory also brings more vCPUs, which DuckDB uses.
   * @default 6144
   */
  readonly memorySize?: number;
  /**
   * Size of /tmp, which holds the downloaded files of the dataset, DuckDB's spill files and
   * the Parquet written before it is uploaded.
   * @default Size.gibibytes(10)
   */
  readonly ephemeralStorageSize?: Size;
  /**
   * Log retention of the function.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How inputs are read, as the CLI's --classification, --la-code and --cluster-column (checked
   * at synth, passed as CLASSIFICATION, LA_CODE, CLUSTER_COLUMN).
   * @default - each setting's default: OAC 2021 when the lookup carries both, the LA inferred from
   * the schools pupils attend, clusters from schools/clusters.csv
   */
  readonly settings?: IngestSettings;
  /** Extra environment (LA name, suppression threshold...). @default - none */
  readonly environment?: Record<string, string>;
}

/** How a wrong setting is named at synth. */
const SETTING_PROPS = { classification: 'settings.classification', laCode: 'settings.laCode', clusterColumn: 'settings.clusterColumn' };

/** DuckDB's Node binding with its Linux x86_64 library (and what the binding loads it with). */
export const DUCKDB_PACKAGES = ['@duckdb/node-bindings', '@duckdb/node-bindings-linux-x64', 'detect-libc'];

export class Ingest extends Construct {
  public readonly function: CatchmentFunction;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly rule: events.Rule;
  public readonly dlqAlarm: cloudwatch.Alarm;
  public readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    const { storage, catalog } = props;
    const memorySize = props.memorySize ?? 6144;
    // Lambda's limits: 128-10,240 MB of memory, 512 MB-10 GB of /tmp. Below 2 GB DuckDB's cap
    // (60%) cannot hold the checks of a county's census without spilling most of it.
    if (!Number.isInteger(memorySize) || memorySize < 2048 || memorySize > 10240) throw new Error(`Ingest memorySize must be a whole number of MiB from 2048 to 10240, got ${memorySize}`);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the ingest rule and function; its messages are S3 event envelopes that an operator replays after fixing the cause.',
    );

    this.function = new CatchmentFunction(this, 'Function', {
      handlerName: 'ingest',
      description: 'catchment ingest: raw/<dataset>/*.csv -> validated curated Parquet, quarantine CSV',
      memorySize,
      ephemeralStorageSize: props.ephemeralStorageSize ?? Size.gibibytes(10),
      architecture: lambda.Architecture.X86_64,
      nativePackages: DUCKDB_PACKAGES,
      timeout: Duration.minutes(15),
      logRetention: props.logRetention,
      logEncryptionKey: storage.logKey,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new lambdaDestinations.SqsDestination(this.deadLetterQueue),
      reservedConcurrentExecutions: 1,
      environment: {
        RAW_BUCKET: storage.rawBucket.bucketName,
        LAKE_BUCKET: storage.lakeBucket.bucketName,
        GLUE_DATABASE: catalog.databaseName,
        ATHENA_WORKGROUP: catalog.workGroupName,
        PSEUDONYM_SECRET_ID: props.pseudonymKey.secret.secretArn,
        CATCHMENT_INGEST_MEMORY: `${Math.floor(memorySize * 0.6)}MB`,
        ...(props.defaultPeriod ? { DEFAULT_PERIOD: props.defaultPeriod } : {}),
        ...settingsToEnv(checkSettings({ classification: props.settings?.classification, laCode: props.settings?.laCode, clusterColumn: props.settings?.clusterColumn }, SETTING_PROPS)),
        ...props.environment,
      },
    });

    // Least privilege: raw/ read; the ingest-written curated tables (+ the _sources state files),
    // quarantine/ and staging/ read-write; the pseudonymisation key (only this function).
    storage.grantRawRead(this.function);
    storage.grantLakeReadWrite(
      this.function,
      [...INGEST_TABLES.map((t) => `${tablePrefix(t)}/`), `${LAKE_PREFIXES.curated}_sources/`, LAKE_PREFIXES.quarantine, LAKE_PREFIXES.staging, LAKE_PREFIXES.locks],
      'stages Parquet parts under staging/<run>/, moves whole partitions into the curated tables it owns, rewrites quarantine/<dataset>.csv, and holds the lake lock (locks/lake.json) while it does',
    );
    props.pseudonymKey.grantRead(this.function);

    this.rule = new events.Rule(this, 'RawUploadRule', {
      description: 'catchment: an object created under raw/ in the raw bucket triggers the ingest function',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [storage.rawBucket.bucketName] },
          object: { key: events.Match.prefix(RAW_PREFIX) },
        },
      },
    });
    this.rule.addTarget(
      new targets.LambdaFunction(this.function, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      }),
    );

    this.dlqAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'catchment: an upload could not be ingested (message in the ingest dead-letter queue)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.errorsAlarm = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmDescription: 'catchment: the ingest function failed (it retries twice before the event goes to the DLQ)',
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    props.alerts.alarmTo(this.dlqAlarm);
    props.alerts.alarmTo(this.errorsAlarm);
  }
}
