/**
 * Storage: four customer-managed KMS keys, one per data class, and four S3 buckets.
 *
 * Keys (yearly rotation, retained):
 * - pupilKey:     raw uploads, pupil-level lake data (curated/, quarantine/, staging/), the pipeline's
 *                 Athena results (unsuppressed counts) and the pseudonymisation secret;
 * - publishedKey: what the portal and analysts may see: each run's runs/<run>/published/, published/
 *                 (the pointer), manifests/ and the portal's own records under portal/
 *                 (functions/commons/data-classes.ts; writers name it per object, and the pipeline's
 *                 publishing Athena workgroup encrypts its UNLOADs with it);
 * - analystKey:   the analysts' Athena query results (analysts/ in the results bucket);
 * - logKey:       CloudWatch log groups and the alert topic.
 * Every grant of a key is conditioned on the service it is used through (kms:ViaService) and on
 * the encryption context that service sets (the bucket for S3, with S3 Bucket Keys on), so a role
 * can use a key only to read or write the objects it was granted, never by calling KMS directly.
 *
 * Buckets:
 * - raw:            uploads from the LA (`raw/<dataset>/*.csv`), short-lived, EventBridge notifications on.
 * - lake:           curated/ published/ quarantine/ manifests/ staging/ portal/ (see the prefix constants).
 * - athenaResults:  Athena query results: results/ (pipeline), publish-results/ (the pipeline's UNLOADs
 *                   of published tables) and analysts/ (analysts).
 * - accessLogs:     S3 server access logs of the three buckets above (SSE-S3: the log delivery
 *                   service cannot write to SSE-KMS buckets).
 *
 * Every bucket blocks public access, enforces TLS 1.2+, is versioned and expires noncurrent versions;
 * versions of pupil-level objects within days (pupilNoncurrentVersionRetention), so an erasure is
 * complete soon after the data are corrected. Access is granted per prefix through the `grant*`
 * methods; nothing gets `s3:*`.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { isPublishedClass, spansClasses } from '../../functions/commons/data-classes.ts';
import { REVOKED_PREFIX } from '../../functions/portal/sessions.ts';
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
  portal: 'portal/',
} as const;

/** Prefix of raw uploads in the raw bucket. */
export const RAW_PREFIX = 'raw/';

/** Prefix of the pipeline's query results in the Athena results bucket (its workgroup's output location). */
export const ATHENA_RESULTS_PREFIX = 'results/';

/** Prefix of the analysts' query results in the Athena results bucket (their workgroup's output location). */
export const ANALYST_RESULTS_PREFIX = 'analysts/';

/**
 * Prefix of the results of the pipeline's publishing workgroup, whose UNLOADs write a run's
 * published tables (runs/<run>/published/) and so encrypt with the published-data key.
 */
export const PUBLISH_RESULTS_PREFIX = 'publish-results/';

/** Lake prefixes holding pupil-level rows (whose old versions must go within days). */
export const PUPIL_LEVEL_LAKE_PREFIXES = [LAKE_PREFIXES.curated, LAKE_PREFIXES.quarantine, LAKE_PREFIXES.staging] as const;

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
   * How long overwritten or deleted object versions are kept: published data and logs.
   * @default Duration.days(30)
   */
  readonly noncurrentVersionRetention?: Duration;
  /**
   * How long overwritten or deleted versions of pupil-level objects are kept: the raw bucket, the
   * lake's curated/, quarantine/ (staging/: 1 day) and Athena results. Bounds how long an erased
   * pupil's rows survive in old versions after the data are corrected.
   * @default Duration.days(3)
   */
  readonly pupilNoncurrentVersionRetention?: Duration;
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
  /** Raw uploads, pupil-level lake data, the pipeline's query results, the pseudonymisation secret. */
  public readonly pupilKey: kms.Key;
  /** published/, manifests/ and portal/ of the lake. */
  public readonly publishedKey: kms.Key;
  /** The analysts' query results. */
  public readonly analystKey: kms.Key;
  /** CloudWatch log groups and the alert topic. */
  public readonly logKey: kms.Key;
  public readonly rawBucket: s3.Bucket;
  public readonly lakeBucket: s3.Bucket;
  public readonly athenaResultsBucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const noncurrent = props.noncurrentVersionRetention ?? Duration.days(30);
    const pupilNoncurrent = props.pupilNoncurrentVersionRetention ?? Duration.days(3);
    const stack = Stack.of(this);

    const key = (keyId: string, description: string) => new kms.Key(this, keyId, { description: `catchment: ${description}`, enableKeyRotation: true, removalPolicy });
    this.pupilKey = key('PupilKey', 'pupil-level data: raw uploads, curated/quarantine/staging in the lake, pipeline query results, the pseudonymisation secret');
    this.publishedKey = key('PublishedKey', 'published data: published/, manifests/ and portal/ in the lake (the portal and analysts read these)');
    this.analystKey = key('AnalystKey', 'LA analysts’ Athena query results');
    this.logKey = key('LogKey', 'CloudWatch log groups and the alert topic');
    // CloudWatch Logs encrypts the stack's log groups with the logs key (Lambda, Step Functions, API access logs).
    this.logKey.addToResourcePolicy(
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

    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    } satisfies s3.BucketProps;
    const housekeeping = (days: Duration): s3.LifecycleRule[] => [
      { id: 'noncurrent-versions', noncurrentVersionExpiration: days, abortIncompleteMultipartUploadAfter: Duration.days(1) },
      { id: 'expired-delete-markers', expiredObjectDeleteMarker: true },
    ];

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: props.accessLogRetention ?? Duration.days(365) }, ...housekeeping(noncurrent)],
    });
    // No AwsSolutions-S1 finding here: cdk-nag recognises a bucket that receives other buckets' access
    // logs (logging it into itself would loop).

    const dataBucket = (bucketId: string, logPrefix: string, extra: Partial<s3.BucketProps>) =>
      new s3.Bucket(this, bucketId, {
        ...common,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.pupilKey,
        bucketKeyEnabled: true,
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: logPrefix,
        ...extra,
      });

    this.rawBucket = dataBucket('Raw', 'raw-bucket/', {
      lifecycleRules: [{ id: 'expire-raw-uploads', prefix: RAW_PREFIX, expiration: props.rawRetention ?? Duration.days(30) }, ...housekeeping(pupilNoncurrent)],
    });
    // EventBridge notifications set on the bucket resource itself (CloudFormation supports it), rather
    // than through `eventBridgeEnabled`, which deploys a custom-resource Lambda to do the same.
    (this.rawBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

    // Where rules overlap S3 honours the shorter expiration, so pupil-level prefixes lose old
    // versions within days although the bucket-wide rule keeps published versions for a month.
    this.lakeBucket = dataBucket('Lake', 'lake-bucket/', {
      lifecycleRules: [
        {
          id: 'expire-quarantine',
          prefix: LAKE_PREFIXES.quarantine,
          expiration: props.quarantineRetention ?? Duration.days(30),
          noncurrentVersionExpiration: pupilNoncurrent,
        },
        {
          id: 'expire-staging',
          prefix: LAKE_PREFIXES.staging,
          expiration: props.stagingRetention ?? Duration.days(2),
          noncurrentVersionExpiration: Duration.days(1),
        },
        { id: 'pupil-level-noncurrent-versions', prefix: LAKE_PREFIXES.curated, noncurrentVersionExpiration: pupilNoncurrent },
        // Sign-out revocations (functions/portal/sessions.ts) outlive any token (1 h access, 8 h refresh).
        { id: 'expire-revocations', prefix: REVOKED_PREFIX, expiration: Duration.days(1), noncurrentVersionExpiration: Duration.days(1) },
        ...housekeeping(noncurrent),
      ],
    });

    this.athenaResultsBucket = dataBucket('AthenaResults', 'athena-results-bucket/', {
      lifecycleRules: [
        { id: 'expire-query-results', prefix: ATHENA_RESULTS_PREFIX, expiration: props.athenaResultsRetention ?? Duration.days(7), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'expire-analyst-results', prefix: ANALYST_RESULTS_PREFIX, expiration: props.athenaResultsRetention ?? Duration.days(7), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'expire-publish-results', prefix: PUBLISH_RESULTS_PREFIX, expiration: props.athenaResultsRetention ?? Duration.days(7), noncurrentVersionExpiration: Duration.days(1) },
        ...housekeeping(pupilNoncurrent),
      ],
    });
  }

  /**
   * The keys that encrypt objects under `prefix` of `bucket` (data-classes.ts; analysts/ and
   * publish-results/ in the results bucket). A lake prefix that spans both classes (runs/ as a
   * whole) needs both.
   */
  public keysFor(bucket: s3.IBucket, prefix: string): kms.IKey[] {
    const own = bucket.encryptionKey ? [bucket.encryptionKey] : [];
    if (bucket === this.lakeBucket) {
      if (isPublishedClass(prefix)) return [this.publishedKey];
      if (spansClasses(prefix)) return [...own, this.publishedKey];
    }
    if (bucket === this.athenaResultsBucket && prefix.startsWith(ANALYST_RESULTS_PREFIX)) return [this.analystKey];
    if (bucket === this.athenaResultsBucket && prefix.startsWith(PUBLISH_RESULTS_PREFIX)) return [this.publishedKey];
    return own;
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

  /** What Athena needs from a caller to write query results of a workgroup whose output is `prefix`. */
  public grantAthenaResults(grantee: iam.IGrantable, prefix: string = ATHENA_RESULTS_PREFIX): void {
    this.grantPrefixes(grantee, this.athenaResultsBucket, [prefix], { read: true, write: true }, 'runs Athena queries, which write each result under a new key named after the query execution id');
    this.grantBucketLocation(grantee, this.athenaResultsBucket);
  }

  /** s3:GetBucketLocation, which Athena checks on every bucket a query touches. */
  public grantBucketLocation(grantee: iam.IGrantable, bucket: s3.IBucket): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation'], resourceArns: [bucket.bucketArn] });
  }

  /**
   * Prefix-scoped grant: object actions on `<bucket>/<prefix>*`, s3:ListBucket only with an
   * `s3:prefix` condition, and the KMS actions SSE-KMS needs on the key of each prefix's data class,
   * through S3 only and for this bucket only. The object ARN wildcard is acknowledged
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
    if (keyActions.length > 0) {
      const byKey = new Map<kms.IKey, string[]>();
      for (const p of prefixes) {
        for (const k of this.keysFor(bucket, p)) byKey.set(k, [...(byKey.get(k) ?? []), p]);
      }
      for (const [k, ps] of byKey) grantKeyThroughS3(grantee, k, keyActions, bucket, ps);
    }
    const where = prefixes.map((p) => `${p}*`).join(', ');
    acknowledgeWildcardResources(
      grantee,
      objectArns,
      `Object keys are only known at run time: the grantee ${why}. Access is bounded to ${where} of this one bucket, with ${actions.join(', ')} only.`,
    );
  }
}

/**
 * KMS actions on `key` for S3 requests on `prefixes` of `bucket` only: `kms:ViaService` is S3 of this
 * region, and the encryption context S3 sets is this bucket (with S3 Bucket Keys on, S3 uses the
 * bucket ARN; without, the object ARN, which the prefixes cover).
 */
export function grantKeyThroughS3(grantee: iam.IGrantable, key: kms.IKey, actions: string[], bucket: s3.IBucket, prefixes: readonly string[]): void {
  const stack = Stack.of(key);
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions,
      resources: [key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucket.bucketArn, ...prefixes.map((p) => bucket.arnForObjects(`${p}*`))] },
      },
    }),
  );
}
