/**
 * NightlyRun: an EventBridge Scheduler schedule (02:00 Europe/London by default) starts a Step
 * Functions state machine (JSONata) that mirrors functions/pipeline/run.ts on AWS:
 *
 *   Plan -> ClaimRun (claims/<runId>.json, written only if absent: a second start is refused)
 *        -> AcquireLock (the lake lock: waits, by retrying, while an ingest changes curated/)
 *        -> [periods given?] -> ListPupilPeriods -> ListContactPeriods
 *        -> ClearStaging <-> DeleteStaged (1,000 keys per DeleteObjects, until staging/<runId>/ is empty)
 *        -> ForEachPeriod (Map over periods): Classify
 *        -> ProfilesEachPeriod (Map over the periods with pupils): Profiles
 *        -> FairAccessTrend (the trend across periods; writes the PDF work list to S3)
 *        -> Pdfs (Distributed Map over the work list, read from S3): RenderPdfs
 *        -> FinishPdfs (merge the batches' render manifests)
 *        -> Publish (flip the publication pointer; Glue partitions follow) -> Cleanup -> ReleaseLock
 *        -> Succeeded
 *   a failure after the claim -> RecordFailure (manifests/<runId>.json "failed", lock released) -> NotifyFailure
 *   (SNS, KMS-encrypted topic) -> Failed; a refused start -> NotifyFailure -> Failed
 *
 * Run ids: `nightly-<yyyy-mm-dd>` of the schedule's scheduled time (UTC date; 02:00 London is 01:00
 * or 02:00 UTC, the same date), or of the execution start time for a manual start, unless the input
 * names one (`{"runId": "...", "periods": ["2025-26"]}`). Each run id is claimed once (a conditional
 * write), so two executions never share a run's prefixes. A failed night is retried by redriving its
 * execution (each stage is idempotent: targets are emptied before each attempt, a published run is
 * never written again) or by a new run id.
 *
 * Each run writes its outputs under runs/<runId>/ and publishes them in one step, the Publish
 * task's pointer flip (functions/lake/publication.ts), so a night that fails anywhere leaves what
 * readers see exactly as it was; Publish retried or redriven changes nothing.
 *
 * The PDF fan-out: FairAccessTrend writes the work list, batches of `schoolsPerBatch` schools of the
 * latest period (50: a Lambda per school would spend more on invocations and cold starts than on
 * the 20-50 ms render of each PDF) then one item per fair-access report, to
 * staging/<runId>/pdf-items.json, and the Pdfs Distributed Map reads it from S3 (ItemReader), at
 * most `renderConcurrency` batches at a time: England's 21,500 schools never pass through the
 * state (256 KiB). Each batch writes its own render-manifest part, and FinishPdfs
 * merges them before Publish moves the folders into place.
 */
import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { tablePrefix } from '../../schemas/columns.ts';
import { contacts, pupils } from '../../schemas/curated.ts';
import type { Alerts } from './alerts.ts';
import { acknowledge, acknowledgeWildcardResources, flattenCfn } from './nag.ts';
import { LAKE_PREFIXES, grantKeyThroughS3, type Storage } from './storage.ts';

/** Errors of the Lambda service itself (not of the function code): always worth retrying. */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/**
 * Throttling raised inside a function and surfaced as its error type (the AWS SDK error name):
 * Athena's StartQueryExecution/GetQueryExecution throttling, S3 SlowDown, generic throttling.
 */
export const THROTTLING_ERRORS = ['TooManyRequestsException', 'ThrottlingException', 'SlowDown'];

/** Transient errors of the S3 SDK service integrations used to list and clear staging. */
export const S3_TRANSIENT_ERRORS = ['S3.SdkClientException', 'S3.InternalErrorException', 'S3.SlowDownException', 'S3.ServiceUnavailableException'];

/** The error an ingest's hold on the lake lock surfaces as (functions/lake/lock.ts). */
export const LAKE_BUSY_ERROR = 'LakeBusyError';

/** Where run ids are claimed (one object per run id, written only if absent). */
export const CLAIMS_PREFIX = 'claims/';

export interface NightlyRunProps {
  readonly storage: Storage;
  readonly alerts: Alerts;
  /** Classify function: invoked per period with {runId, period}; returns the match counts. */
  readonly classify: lambda.IFunction;
  /**
   * Profiles and fair-access function: invoked once with {runId, periods} (the periods with
   * pupils); returns {schools: {<period>: URNs}, reports: periods, documents}.
   */
  readonly profiles: lambda.IFunction;
  /**
   * PDF function: invoked per batch with {runId, period, urns, report}, then once with
   * {runId, periods, finish: true}; each call returns {rendered, skipped}.
   */
  readonly renderPdfs: lambda.IFunction;
  /** Publish function: invoked with {runId, periods, summary}. */
  readonly publish: lambda.IFunction;
  /**
   * Schools per PDF batch (one RenderPdfs invocation).
   * @default 50
   */
  readonly schoolsPerBatch?: number;
  /**
   * PDF batches rendered at the same time.
   * @default 10
   */
  readonly renderConcurrency?: number;
  /**
   * Schedule expression.
   * @default 'cron(0 2 * * ? *)'
   */
  readonly schedule?: string;
  /**
   * IANA time zone of the schedule.
   * @default 'Europe/London'
   */
  readonly timezone?: string;
  /**
   * Periods classified at the same time (each runs several Athena queries).
   * @default 2
   */
  readonly periodConcurrency?: number;
  /**
   * Execution timeout.
   * @default Duration.hours(6)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the state machine's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Schedule enabled.
   * @default true
   */
  readonly enabled?: boolean;
}

export class NightlyRun extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly schedule: scheduler.Schedule;
  public readonly scheduleDeadLetterQueue: sqs.Queue;
  public readonly logGroup: logs.LogGroup;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: NightlyRunProps) {
    super(scope, id);
    const bucket = props.storage.lakeBucket;
    const lambdaRetry = (task: sfn.TaskStateBase | sfn.CustomState) => {
      task.addRetry({ errors: LAMBDA_TRANSIENT_ERRORS, interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2, maxDelay: Duration.minutes(1), jitterStrategy: sfn.JitterType.FULL });
      task.addRetry({ errors: THROTTLING_ERRORS, interval: Duration.seconds(30), maxAttempts: 5, backoffRate: 2, maxDelay: Duration.minutes(5), jitterStrategy: sfn.JitterType.FULL });
    };
    const s3Retry = (task: sfn.CustomState) =>
      task.addRetry({ errors: S3_TRANSIENT_ERRORS, interval: Duration.seconds(2), maxAttempts: 5, backoffRate: 2, maxDelay: Duration.seconds(30), jitterStrategy: sfn.JitterType.FULL });
    const invoke = (stateId: string, fn: lambda.IFunction, payload: Record<string, unknown>, outputs: string, comment: string, assign?: Record<string, string>) => {
      const t = tasks.LambdaInvoke.jsonata(this, stateId, {
        lambdaFunction: fn,
        payload: sfn.TaskInput.fromObject(payload),
        outputs,
        assign,
        retryOnServiceExceptions: false,
        comment,
      });
      lambdaRetry(t);
      return t;
    };

    // --- failure path -------------------------------------------------------------------------
    const failed = sfn.Fail.jsonata(this, 'Failed', {
      error: 'NightlyRunFailed',
      cause: "{% 'run ' & $runId & ' failed: ' & $states.input.Error %}",
    });
    const notify = tasks.SnsPublish.jsonata(this, 'NotifyFailure', {
      topic: props.alerts.topic,
      subject: 'catchment: nightly run failed',
      message: sfn.TaskInput.fromText(
        "{% $string({'runId': $runId, 'execution': $states.context.Execution.Id, 'error': $states.input.Error, 'cause': $substring($string($states.input.Cause), 0, 4000)}) %}",
      ),
      outputs: '{% $states.input %}',
      comment: 'Alert with the run id, the error name and (truncated) cause; never row data.',
    });
    notify.addRetry({ errors: ['SNS.SdkClientException', 'SNS.InternalErrorException', 'SNS.ThrottledException'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
    notify.next(failed);
    const refused = { errors: [sfn.Errors.ALL], outputs: '{% $states.errorOutput %}' };
    const recordFailure = tasks.LambdaInvoke.jsonata(this, 'RecordFailure', {
      lambdaFunction: props.publish,
      payload: sfn.TaskInput.fromObject({ runId: '{% $runId %}', failed: true, error: '{% $states.input %}' }),
      outputs: '{% $states.input %}',
      retryOnServiceExceptions: false,
      comment: 'A failed night writes manifests/<runId>.json with status failed (latest.json and the publication stay as they were)',
    });
    lambdaRetry(recordFailure);
    recordFailure.addCatch(notify, { errors: [sfn.Errors.ALL], outputs: '{% $states.input %}' });
    recordFailure.next(notify);
    const catchAll = refused;
    const failAfterClaim = (s: { addCatch: (h: sfn.IChainable, p: sfn.CatchProps) => unknown }) => s.addCatch(recordFailure, catchAll);

    // --- plan: run id and periods ---------------------------------------------------------------
    const plan = sfn.Pass.jsonata(this, 'Plan', {
      comment: 'runId: input.runId, else nightly-<UTC date of the scheduled time or of the execution start>. Periods: input.periods, else every period in curated pupils/contacts.',
      assign: {
        runId:
          "{% $exists($states.input.runId) ? $states.input.runId : 'nightly-' & $substring($exists($states.input.scheduledTime) ? $states.input.scheduledTime : $states.context.Execution.StartTime, 0, 10) %}",
        periods: '{% $exists($states.input.periods) ? [$states.input.periods] : [] %}',
      },
    });
    const periodsFrom = (stateId: string, prefix: string, assignExpr: string) => {
      const s = new sfn.CustomState(this, stateId, {
        stateJson: {
          Type: 'Task',
          Comment: `Academic years present under ${prefix} (Hive partition folders period=<p>/)`,
          Resource: 'arn:aws:states:::aws-sdk:s3:listObjectsV2',
          Arguments: { Bucket: bucket.bucketName, Prefix: prefix, Delimiter: '/', MaxKeys: 1000 },
          Assign: { periods: assignExpr },
          Output: '{% $states.input %}',
        },
      });
      s3Retry(s);
      failAfterClaim(s);
      return s;
    };
    const partitionValues = "[$states.result.CommonPrefixes.Prefix.$substringBefore($substringAfter($, 'period='), '/')[$contains($, /^\\d{4}-\\d{2}$/)]]";
    const listPupilPeriods = periodsFrom('ListPupilPeriods', `${tablePrefix(pupils)}/`, `{% ${partitionValues} %}`);
    const listContactPeriods = periodsFrom('ListContactPeriods', `${tablePrefix(contacts)}/`, `{% [$sort($distinct($append($periods, ${partitionValues})))] %}`);
    const periodsGiven = sfn.Choice.jsonata(this, 'PeriodsGiven', { comment: 'Classify the periods named in the input, or discover them' });
    const claim = new sfn.CustomState(this, 'ClaimRun', {
      stateJson: {
        Type: 'Task',
        Comment: 'Claim the run id: written only if absent (If-None-Match), so a second start with the same run id is refused',
        Resource: 'arn:aws:states:::aws-sdk:s3:putObject',
        Arguments: {
          Bucket: bucket.bucketName,
          Key: `{% '${CLAIMS_PREFIX}' & $runId & '.json' %}`,
          IfNoneMatch: '*',
          Body: "{% $string({'runId': $runId, 'execution': $states.context.Execution.Id, 'startedAt': $states.context.Execution.StartTime}) %}",
        },
        Output: '{% $states.input %}',
      },
    });
    s3Retry(claim);
    claim.addCatch(notify, refused);
    const acquireLock = invoke(
      'AcquireLock',
      props.publish,
      { runId: '{% $runId %}', lock: 'acquire' },
      '{% $states.input %}',
      'Take the lake lock, so no ingest changes curated/ during the night; while an ingest holds it, retried for about an hour and a half',
    );
    acquireLock.addRetry({ errors: [LAKE_BUSY_ERROR], interval: Duration.minutes(1), maxAttempts: 12, backoffRate: 1.5, maxDelay: Duration.minutes(10), jitterStrategy: sfn.JitterType.FULL });
    failAfterClaim(acquireLock);

    // --- clear what an earlier attempt of this run left in staging/<runId>/ ---------------------
    const clearStaging = new sfn.CustomState(this, 'ClearStaging', {
      stateJson: {
        Type: 'Task',
        Comment: 'List (up to 1000) objects an earlier attempt of this run left under staging/<runId>/',
        Resource: 'arn:aws:states:::aws-sdk:s3:listObjectsV2',
        Arguments: { Bucket: bucket.bucketName, Prefix: `{% '${LAKE_PREFIXES.staging}' & $runId & '/' %}`, MaxKeys: 1000 },
        Output: { keys: '{% [$states.result.Contents.Key] %}' },
      },
    });
    s3Retry(clearStaging);
    failAfterClaim(clearStaging);
    // One DeleteObjects call per page of 1,000 keys: a few history events per thousand objects
    // (one Map iteration per object would pass the 25,000-event limit on a large rerun).
    const deleteStaged = new sfn.CustomState(this, 'DeleteStaged', {
      stateJson: {
        Type: 'Task',
        Comment: 'Delete the listed leftovers in one DeleteObjects call (up to 1,000 keys), then list again',
        Resource: 'arn:aws:states:::aws-sdk:s3:deleteObjects',
        Arguments: { Bucket: bucket.bucketName, Delete: { Objects: "{% [$states.input.keys.{'Key': $}] %}", Quiet: true } },
        Output: '{% {} %}',
      },
    });
    s3Retry(deleteStaged);
    failAfterClaim(deleteStaged);
    const stagingLeft = sfn.Choice.jsonata(this, 'StagingLeft', { comment: 'Anything left under staging/<runId>/?' });

    // --- per period: classify --------------------------------------------------------------------
    const classify = invoke(
      'Classify',
      props.classify,
      { runId: '{% $states.input.runId %}', period: '{% $states.input.period %}' },
      "{% {'period': $states.input.period, 'pupils': $states.result.Payload.pupils.total} %}",
      'Classify one period on Athena (enriched tables, staged published tables); passes on its pupil count',
    );
    const forEachPeriod = sfn.Map.jsonata(this, 'ForEachPeriod', {
      comment: 'Classify each period; published outputs are only staged here',
      items: sfn.ProvideItems.jsonata('{% $periods %}'),
      itemSelector: { runId: '{% $runId %}', period: '{% $states.context.Map.Item.Value %}' },
      maxConcurrency: props.periodConcurrency ?? 2,
      assign: { profiled: '{% [$states.result[pupils > 0].period] %}' },
      outputs: '{% {} %}',
    });
    forEachPeriod.itemProcessor(classify);
    failAfterClaim(forEachPeriod);

    // --- profiles and fair access: a Map over the periods with pupils, then the trend ------------
    const profilesTask = invoke(
      'Profiles',
      props.profiles,
      { runId: '{% $states.input.runId %}', period: '{% $states.input.period %}', periods: '{% $states.input.periods %}' },
      "{% {'period': $states.result.Payload.period, 'schools': $states.result.Payload.schools} %}",
      'Profiles and fair access of one period on Athena (documents for the latest period only); large results read back as UNLOADed Parquet',
    );
    const profiles = sfn.Map.jsonata(this, 'ProfilesEachPeriod', {
      comment: 'One invocation per period: no 15-minute limit spans every year of an England-scale run',
      items: sfn.ProvideItems.jsonata('{% $profiled %}'),
      itemSelector: { runId: '{% $runId %}', period: '{% $states.context.Map.Item.Value %}', periods: '{% $profiled %}' },
      maxConcurrency: props.periodConcurrency ?? 2,
      outputs: '{% {} %}',
    });
    profiles.itemProcessor(profilesTask);
    failAfterClaim(profiles);
    const batchSize = props.schoolsPerBatch ?? 50;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`schoolsPerBatch must be a whole number of at least 1 (got ${batchSize})`);
    const trend = invoke(
      'FairAccessTrend',
      props.profiles,
      { runId: '{% $runId %}', periods: '{% $profiled %}', trend: true, batchSize },
      '{% {} %}',
      'The fair-access trend across periods and the report; writes the PDF work list (batches of schools, then the reports) to staging/<runId>/pdf-items.json',
      {
        profileDocuments: '{% $states.result.Payload.documents %}',
        fairAccessPeriods: '{% [$states.result.Payload.reports] %}',
        pdfItemsKey: '{% $states.result.Payload.itemsKey %}',
      },
    );
    failAfterClaim(trend);

    // --- PDFs: a Distributed Map over the work list in S3, then merge the manifests ----------------
    const renderBatch = invoke(
      'RenderPdfs',
      props.renderPdfs,
      {
        runId: '{% $states.input.runId %}',
        period: '{% $states.input.period %}',
        urns: '{% $states.input.urns %}',
        report: '{% $states.input.report %}',
      },
      "{% {'rendered': $states.result.Payload.rendered, 'skipped': $states.result.Payload.skipped} %}",
      "Render one batch of schools' profile PDFs, or a period's fair-access report, in runs/<runId>/",
    );
    const pdfs = sfn.DistributedMap.jsonata(this, 'Pdfs', {
      comment: `Fan out over the work list the trend step wrote (batches of ${batchSize} schools, then each fair-access report), read from S3: the state never carries the URNs`,
      // bucketNamePath, not bucket: CDK would grant s3:GetObject on the whole bucket; the grant below is staging/ only.
      itemReader: new sfn.S3JsonItemReader({ bucketNamePath: bucket.bucketName, key: '{% $pdfItemsKey %}' }),
      itemSelector: {
        runId: '{% $runId %}',
        period: '{% $states.context.Map.Item.Value.period %}',
        urns: '{% $states.context.Map.Item.Value.urns %}',
        report: '{% $states.context.Map.Item.Value.report %}',
      },
      maxConcurrency: props.renderConcurrency ?? 10,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      assign: { pdfsRendered: '{% $sum([$states.result.rendered]) %}', pdfsUnchanged: '{% $sum([$states.result.skipped]) %}' },
      outputs: '{% {} %}',
    });
    pdfs.itemProcessor(renderBatch);
    failAfterClaim(pdfs);
    const finishPdfs = invoke(
      'FinishPdfs',
      props.renderPdfs,
      { runId: '{% $runId %}', periods: '{% $profiled %}', finish: true },
      '{% {} %}',
      "Merge the batches' render manifests of each period (what the next night compares against)",
    );
    failAfterClaim(finishPdfs);

    const publish = invoke(
      'Publish',
      props.publish,
      {
        runId: '{% $runId %}',
        periods: '{% $periods %}',
        summary:
          "{% {'profiledPeriods': $profiled, 'profileDocuments': $profileDocuments, 'fairAccessPeriods': $fairAccessPeriods, 'pdfsRendered': $pdfsRendered, 'pdfsUnchanged': $pdfsUnchanged} %}",
      },
      "{% {'runId': $runId, 'periods': $periods, 'published': $count($states.result.Payload.published)} %}",
      'Publish the run: flip the publication pointer to runs/<runId>/ (one PUT), point the Glue partitions at it, write the manifest. Idempotent.',
    );
    failAfterClaim(publish);
    const cleanup = invoke(
      'Cleanup',
      props.publish,
      { runId: '{% $runId %}', cleanup: true },
      '{% $states.input %}',
      'Delete superseded runs (neither the current nor the previous publication names them) and this run’s staging area',
    );
    // The run is published: a failed cleanup is retried by the next night's, never a failed night.
    cleanup.addCatch(notify, refused);
    const releaseLock = invoke('ReleaseLock', props.publish, { runId: '{% $runId %}', lock: 'release' }, '{% $states.input %}', 'Give the lake lock back (ingest may run again)');
    releaseLock.addCatch(notify, refused);
    const succeeded = sfn.Succeed.jsonata(this, 'Succeeded');

    const definition = plan.next(claim).next(acquireLock).next(
      periodsGiven
        .when(sfn.Condition.jsonata('{% $count($periods) > 0 %}'), clearStaging)
        .otherwise(listPupilPeriods.next(listContactPeriods).next(clearStaging)),
    );
    clearStaging.next(
      stagingLeft
        .when(sfn.Condition.jsonata('{% $count($states.input.keys) > 0 %}'), deleteStaged.next(clearStaging))
        .otherwise(forEachPeriod.next(profiles).next(trend).next(pdfs).next(finishPdfs).next(publish).next(cleanup).next(releaseLock).next(succeeded)),
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.storage.logKey,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'catchment nightly run: classify each period, profiles and fair access, PDFs fanned out, then publish',
      queryLanguage: sfn.QueryLanguage.JSONATA,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: props.timeout ?? Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });

    // The S3 SDK integrations: list only staging/ and the two curated partition roots, delete only
    // staging/ objects.
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${LAKE_PREFIXES.staging}*`, `${tablePrefix(pupils)}/`, `${tablePrefix(contacts)}/`] } },
      }),
    );
    const stagingObjects = bucket.arnForObjects(`${LAKE_PREFIXES.staging}*`);
    // DeleteObject: leftovers of an earlier attempt; GetObject: the PDF work list the Pdfs map reads.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:DeleteObject', 's3:GetObject'], resources: [stagingObjects] }));
    const claimObjects = bucket.arnForObjects(`${CLAIMS_PREFIX}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [claimObjects] }));
    // The claim is written with the bucket's key, and the PDF work list read with it, through S3
    // and for this bucket's prefixes only.
    if (bucket.encryptionKey) {
      grantKeyThroughS3(role, bucket.encryptionKey, ['kms:GenerateDataKey'], bucket, [CLAIMS_PREFIX]);
      grantKeyThroughS3(role, bucket.encryptionKey, ['kms:Decrypt'], bucket, [LAKE_PREFIXES.staging]);
    }
    acknowledgeWildcardResources(
      this.stateMachine,
      [claimObjects],
      'Claims each run id once (claims/<runId>.json, written only if absent; the id is known only at run time); s3:PutObject on the claims/ prefix of the lake bucket only.',
    );
    acknowledgeWildcardResources(
      this.stateMachine,
      [stagingObjects],
      'Deletes the leftovers of an earlier attempt of the same run under staging/<runId>/ and reads the run’s PDF work list there (keys known only at run time); s3:DeleteObject and s3:GetObject on the staging/ prefix of the lake bucket only.',
    );
    // The Pdfs Distributed Map runs its batches as child executions of this state machine: CDK's
    // DistributedMapPolicy grants Start/Describe/Stop/Redrive on this state machine's executions only.
    const mapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy') as iam.Policy | undefined;
    if (mapPolicy) {
      const doc = Stack.of(this).resolve(mapPolicy.document.toJSON()) as { Statement: { Resource: unknown }[] };
      const wildcards = doc.Statement.flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource])).map(flattenCfn).filter((r) => r.includes('*'));
      for (const r of new Set(wildcards)) {
        acknowledge(
          mapPolicy,
          `AwsSolutions-IAM5[Resource::${r}]`,
          'The Pdfs Distributed Map starts, describes, stops and redrives its child executions, whose names Step Functions chooses at run time; only executions of this state machine.',
        );
      }
    }
    const invoked = [...new Set([props.classify, props.profiles, props.renderPdfs, props.publish])];
    acknowledgeWildcardResources(
      this.stateMachine,
      invoked.map((fn) => `${fn.functionArn}:*`),
      'CDK grants lambda:InvokeFunction on each invoked function and its qualified ARNs (<function-arn>:*, versions and aliases); only the functions this state machine invokes.',
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions logging (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) do not support resource-level permissions.',
    );
    props.alerts.grantPublish(this.stateMachine);

    // --- schedule --------------------------------------------------------------------------------
    this.scheduleDeadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.scheduleDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is the dead-letter queue of the nightly schedule (start requests Scheduler could not deliver); it needs no dead-letter queue of its own.',
    );
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'catchment: start the nightly run',
      schedule: scheduler.ScheduleExpression.expression(props.schedule ?? 'cron(0 2 * * ? *)', TimeZone.of(props.timezone ?? 'Europe/London')),
      timeWindow: scheduler.TimeWindow.off(),
      enabled: props.enabled ?? true,
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime, source: 'catchment-nightly-schedule' }),
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: this.scheduleDeadLetterQueue,
      }),
    });

    // --- alarms (the SNS message from the Catch is the primary alert; these catch the rest) ------
    const alarm = (alarmId: string, description: string, metric: cloudwatch.IMetric) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      props.alerts.alarmTo(a);
      this.alarms.push(a);
    };
    alarm('FailedAlarm', 'catchment: a nightly run execution failed', this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }));
    alarm('TimedOutAlarm', 'catchment: a nightly run execution timed out', this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }));
    alarm(
      'ScheduleDeadLetterAlarm',
      'catchment: the scheduler could not start the nightly run',
      this.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    );
  }
}
