/**
 * Storage: one customer-managed KMS key and four S3 buckets.
 *
 * - raw:            uploads from the LA (`raw/<dataset>/*.csv`), short-lived, EventBridge notifications on.
 * - lake:           curated/ published/ quarantine/ manifests/ staging/ (see the prefix constants).
 * - athenaResults:  Athena query results of the workgroup (enforced location).
 * - accessLogs:     S3 server access logs of the three buckets above (SSE-S3: the log delivery
 *                   service cannot write to SSE-KMS buckets).
 *
 * Every bucket blocks public access, enforces TLS 1.2+, is versioned and expires noncurrent versions.
 * Access is granted per prefix through the `grant*` methods; nothing gets `s3:*`.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from './nag.ts';

/** Prefixes of the lake bucket (always with a trailing '/'). */
export const LAKE_PREFIXES = {
  curated: 'curated/',
  published: 'published/',
  quarantine: 'quarantine/',
  manifests: 'manifests/',
  staging: 'staging/',
  /** Each run's published outputs, runs/<runId>/published/...; the pointer says which run readers see. */
  runs: 'runs/',
  /** The lake lock (locks/lake.json): one ingest or one nightly run at a time. */
  locks: 'locks/',
} as const;

/** Prefix of raw uploads in the raw bucket. */
export const RAW_PREFIX = 'raw/';

/** Prefix of query results in the Athena results bucket (the workgroup's output location). */
export const ATHENA_RESULTS_PREFIX = 'results/';

export interface StorageProps {
  /**
   * How long raw uploads are kept (objects under `raw/`).
   * @default Duration.days(30)
   */
  readonly rawRetention?: Duration;
  /**
   * How long quarantine files (rejected rows, may hold raw values) are kept. Curated and published
   * data have no expiry, so quarantine is always kept shorter than curated.
   * @default Duration.days(30)
   */
  readonly quarantineRetention?: Duration;
  /**
   * How long overwritten or deleted object versions are kept, in every bucket.
   * @default Duration.days(30)
   */
  readonly noncurrentVersionRetention?: Duration;
  /**
   * How long per-run scratch objects under `staging/` are kept (a run normally cleans up itself).
   * @default Duration.days(2)
   */
  readonly stagingRetention?: Duration;
  /**
   * How long Athena query results are kept.
   * @default Duration.days(7)
   */
  readonly athenaResultsRetention?: Duration;
  /**
   * How long S3 server access logs are kept.
   * @default Duration.days(365)
   */
  readonly accessLogRetention?: Duration;
  /**
   * Removal policy of the key and the buckets. Data about children: keep it unless told otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class Storage extends Construct {
  /** Customer-managed key (rotation on) for the data buckets, the secret, the topic and log groups. */
  public readonly key: kms.Key;
  public readonly rawBucket: s3.Bucket;
  public readonly lakeBucket: s3.Bucket;
  public readonly athenaResultsBucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const noncurrent = props.noncurrentVersionRetention ?? Duration.days(30);
    const stack = Stack.of(this);

    this.key = new kms.Key(this, 'Key', {
      description: 'catchment: data buckets, pseudonymisation secret, alert topic and log groups',
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch Logs encrypts the stack's log groups with this key (Lambda and Step Functions logs).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
        },
      }),
    );
    // CloudWatch alarms publish to the KMS-encrypted alert topic.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    } satisfies s3.BucketProps;
    const housekeeping: s3.LifecycleRule[] = [
      { id: 'noncurrent-versions', noncurrentVersionExpiration: noncurrent, abortIncompleteMultipartUploadAfter: Duration.days(1) },
      { id: 'expired-delete-markers', expiredObjectDeleteMarker: true },
    ];

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: props.accessLogRetention ?? Duration.days(365) }, ...housekeeping],
    });
    // No AwsSolutions-S1 finding here: cdk-nag recognises a bucket that receives other buckets' access
    // logs (logging it into itself would loop).

    const dataBucket = (id: string, logPrefix: string, extra: Partial<s3.BucketProps>) =>
      new s3.Bucket(this, id, {
        ...common,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: true,
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: logPrefix,
        ...extra,
      });

    this.rawBucket = dataBucket('Raw', 'raw-bucket/', {
      lifecycleRules: [{ id: 'expire-raw-uploads', prefix: RAW_PREFIX, expiration: props.rawRetention ?? Duration.days(30) }, ...housekeeping],
    });
    // EventBridge notifications set on the bucket resource itself (CloudFormation supports it), rather
    // than through `eventBridgeEnabled`, which deploys a custom-resource Lambda to do the same.
    (this.rawBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

    this.lakeBucket = dataBucket('Lake', 'lake-bucket/', {
      lifecycleRules: [
        { id: 'expire-quarantine', prefix: LAKE_PREFIXES.quarantine, expiration: props.quarantineRetention ?? Duration.days(30) },
        {
          id: 'expire-staging',
          prefix: LAKE_PREFIXES.staging,
          expiration: props.stagingRetention ?? Duration.days(2),
          noncurrentVersionExpiration: Duration.days(1),
        },
        ...housekeeping,
      ],
    });

    this.athenaResultsBucket = dataBucket('AthenaResults', 'athena-results-bucket/', {
      lifecycleRules: [
        { id: 'expire-query-results', prefix: ATHENA_RESULTS_PREFIX, expiration: props.athenaResultsRetention ?? Duration.days(7), noncurrentVersionExpiration: Duration.days(1) },
        ...housekeeping,
      ],
    });
  }

  /** Read raw uploads (`raw/`) of the raw bucket. */
  public grantRawRead(grantee: iam.IGrantable): void {
    this.grantPrefixes(grantee, this.rawBucket, [RAW_PREFIX], { read: true }, 'reads the uploaded CSV files of a dataset, whose names are chosen by the uploader');
  }

  /** Upload to `raw/` of the raw bucket (for the LA's upload role or user). */
  public grantRawUpload(grantee: iam.IGrantable): void {
    this.grantPrefixes(grantee, this.rawBucket, [RAW_PREFIX], { write: true, list: true }, 'uploads CSV files under raw/<dataset>/ with names chosen by the uploader');
  }

  /** Read objects under the given lake prefixes (each ending in '/'). */
  public grantLakeRead(grantee: iam.IGrantable, prefixes: string[], why: string): void {
    this.grantPrefixes(grantee, this.lakeBucket, prefixes, { read: true }, why);
  }

  /** Read, write and delete objects under the given lake prefixes (each ending in '/'). */
  public grantLakeReadWrite(grantee: iam.IGrantable, prefixes: string[], why: string): void {
    this.grantPrefixes(grantee, this.lakeBucket, prefixes, { read: true, write: true, delete: true }, why);
  }

  /**
   * Write (put) objects under the given lake prefixes, without reading them; with `list`, also list
   * them, with `delete`, also delete them (s3:ListBucket only under the prefixes).
   */
  public grantLakeWrite(grantee: iam.IGrantable, prefixes: string[], why: string, opts: { list?: boolean; delete?: boolean } = {}): void {
    this.grantPrefixes(grantee, this.lakeBucket, prefixes, { write: true, list: opts.list, delete: opts.delete }, why);
  }

  /** What Athena needs from a caller to write query results of the workgroup. */
  public grantAthenaResults(grantee: iam.IGrantable): void {
    this.grantPrefixes(grantee, this.athenaResultsBucket, [ATHENA_RESULTS_PREFIX], { read: true, write: true }, 'runs Athena queries, which write each result under a new key named after the query execution id');
    this.grantBucketLocation(grantee, this.athenaResultsBucket);
  }

  /** s3:GetBucketLocation, which Athena checks on every bucket a query touches. */
  public grantBucketLocation(grantee: iam.IGrantable, bucket: s3.IBucket): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation'], resourceArns: [bucket.bucketArn] });
  }

  /**
   * Prefix-scoped grant: object actions on `<bucket>/<prefix>*`, s3:ListBucket only with an
   * `s3:prefix` condition, and the KMS actions SSE-KMS needs. The object ARN wildcard is acknowledged
   * (AwsSolutions-IAM5) for exactly these prefixes.
   */
  private grantPrefixes(
    grantee: iam.IGrantable,
    bucket: s3.IBucket,
    prefixes: string[],
    access: { read?: boolean; write?: boolean; delete?: boolean; list?: boolean },
    why: string,
  ): void {
    const objectArns = prefixes.map((p) => bucket.arnForObjects(`${p}*`));
    const actions = [
      ...(access.read ? ['s3:GetObject'] : []),
      ...(access.write ? ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'] : []),
      ...(access.delete ? ['s3:DeleteObject'] : []),
    ];
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: objectArns });
    if (access.read || access.delete || access.list) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
        }),
      );
    }
    const keyActions = [...(access.read || access.write ? ['kms:Decrypt'] : []), ...(access.write ? ['kms:GenerateDataKey'] : [])];
    if (bucket.encryptionKey && keyActions.length > 0) {
      iam.Grant.addToPrincipal({ grantee, actions: keyActions, resourceArns: [bucket.encryptionKey.keyArn] });
    }
    const where = prefixes.map((p) => `${p}*`).join(', ');
    acknowledgeWildcardResources(
      grantee,
      objectArns,
      `Object keys are only known at run time: the grantee ${why}. Access is bounded to ${where} of this one bucket, with ${actions.join(', ')} only.`,
    );
  }
}
