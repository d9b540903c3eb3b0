/**
 * CatchmentStack: storage, catalog, the pseudonymisation key, alerts, the ingest path, the
 * nightly run and the heads' portal, wired together with least-privilege grants:
 *
 * | function    | S3                                                                      | other                              |
 * |-------------|-------------------------------------------------------------------------|------------------------------------|
 * | ingest      | raw/ read; curated/<ingest tables>/, curated/_sources/, quarantine/, staging/ read-write | pseudonymisation secret (only one) |
 * | classify    | curated/ read (Athena reads as the caller); curated/enriched_*, their markers (curated/_made-from/enriched_*), staging/ read-write; Athena results | Athena workgroup, Glue curated tables |
 * | profiles    | curated/ read (Athena); staging/, runs/ read-write (UNLOADed results read back, tables, documents, the PDF work list); curated/_kept/ read-write (kept facts); curated/enriched_admissions, its markers (curated/_made-from/enriched_admissions) read-write; Athena results | Athena workgroup, Glue curated tables |
 * | render-pdfs | staging/<run>/published/{profiles,reports}/ read-write; published/{profiles,reports}/ read (the previous PDFs, to skip unchanged schools) | - |
 * | publish     | staging/ read-write (moves out of it); published/<table>/, published/{profiles,reports}/ read-write; manifests/ write | - |
 * | portal-api  | published/{profiles,reports,school_context}/ read; published/portal_{audit,feedback}/, portal/revoked/ write (Portal construct) | the origin secret |
 * | AnalystRole | published/ read (through Athena); analysts/ of the results bucket read-write | the analysts' workgroup, published and portal tables |
 *
 * Keys by data class (Storage): pupil-level (raw, curated, quarantine, staging, pipeline query results,
 * pseudonymisation secret), published (published/, manifests/, portal/), analysts' query results,
 * logs and alerts; every grant through the service that uses it and for its resource only.
 * The portal's WAF web ACL lives in the edge stack in us-east-1 (edge-stack.ts); its ARN is this
 * stack's WebAclArn parameter.
 */
import { CfnOutput, CfnParameter, Duration, Size, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { tablePrefix } from '../schemas/columns.ts';
import { CURATED_TABLES, enrichedAdmissions, enrichedContacts, enrichedPupils } from '../schemas/curated.ts';
import { PUBLISHED_TABLES } from '../schemas/published.ts';
import { BUNDLED_FONTS_DIR, FONT_FILES, FONT_LICENSE, FONT_PACKAGE_DIR } from '../functions/pdf/font-files.ts';
import { DOCUMENT_FOLDERS } from '../functions/lake/publish.ts';
import { PUBLISHED_KEY_ENV } from '../functions/commons/data-classes.ts';
import { DEFAULT_CONFIG, WEB_ACL_ARN, type CatchmentConfig } from './config.ts';
import { Alerts } from './constructs/alerts.ts';
import { Catalog } from './constructs/catalog.ts';
import { CatchmentFunction, DEFAULT_COPY_FILES, type BundledFile } from './constructs/catchment-function.ts';
import { Ingest } from './constructs/ingest.ts';
import { NightlyRun } from './constructs/nightly-run.ts';
import { Portal } from './constructs/portal.ts';
import { PseudonymKey } from './constructs/pseudonym-key.ts';
import { LAKE_PREFIXES, Storage } from './constructs/storage.ts';
import { POINTER_KEY } from '../functions/lake/publication.ts';
import { KEPT_ROOT } from '../functions/lake/kept-facts.ts';
import { markerFolder } from '../functions/lake/stage-records.ts';

/** The publication pointer, as a grant prefix. */
const POINTER = POINTER_KEY;

export interface CatchmentStackProps extends StackProps {
  /**
   * Deployment settings (see infra/config.ts).
   * @default DEFAULT_CONFIG
   */
  readonly config?: CatchmentConfig;
}

export class CatchmentStack extends Stack {
  public readonly config: CatchmentConfig;
  public readonly storage: Storage;
  public readonly catalog: Catalog;
  public readonly pseudonymKey: PseudonymKey;
  public readonly alerts: Alerts;
  public readonly ingest: Ingest;
  public readonly classifyFunction: CatchmentFunction;
  public readonly profilesFunction: CatchmentFunction;
  public readonly renderPdfsFunction: CatchmentFunction;
  public readonly publishFunction: CatchmentFunction;
  public readonly nightlyRun: NightlyRun;
  public readonly portal: Portal;
  /** The CloudFront web ACL (edge stack, us-east-1) the portal is attached to. */
  public readonly webAclArn: CfnParameter;
  /** The role LA analysts assume to query the published tables (Catalog.grantAnalystQueries). */
  public readonly analystRole: iam.Role;

  constructor(scope: Construct, id: string, props: CatchmentStackProps = {}) {
    const config = props.config ?? DEFAULT_CONFIG;
    super(scope, id, {
      description: `catchment: school community profiles and fair-access reports for ${config.laName}`,
      ...props,
    });
    this.config = config;
    Tags.of(this).add('project', 'catchment');
    Tags.of(this).add('local-authority', config.laName);
    const logRetention = config.logRetentionDays as logs.RetentionDays;

    this.storage = new Storage(this, 'Storage', {
      rawRetention: Duration.days(config.rawRetentionDays),
      quarantineRetention: Duration.days(config.quarantineRetentionDays),
      noncurrentVersionRetention: Duration.days(config.noncurrentRetentionDays),
      pupilNoncurrentVersionRetention: Duration.days(config.pupilNoncurrentRetentionDays),
      stagingRetention: Duration.days(config.stagingRetentionDays),
      athenaResultsRetention: Duration.days(config.athenaResultsRetentionDays),
      accessLogRetention: Duration.days(config.accessLogRetentionDays),
    });
    this.catalog = new Catalog(this, 'Catalog', {
      storage: this.storage,
      databaseName: config.databaseName,
      workGroupName: config.workGroupName,
      analystWorkGroupName: config.analystWorkGroupName,
      periodRange: [config.firstPeriod, config.lastPeriod],
      vintageRange: [config.firstVintage, config.lastVintage],
      bytesScannedCutoffPerQuery: config.bytesScannedCutoff,
      suppressionThreshold: config.suppressionThreshold,
    });
    this.pseudonymKey = new PseudonymKey(this, 'PseudonymKey', { key: this.storage.pupilKey });
    this.alerts = new Alerts(this, 'Alerts', {
      key: this.storage.logKey,
      displayName: `catchment alerts (${config.laName})`.slice(0, 100),
      email: config.alertEmail,
    });

    const environment = {
      RAW_BUCKET: this.storage.rawBucket.bucketName,
      LAKE_BUCKET: this.storage.lakeBucket.bucketName,
      GLUE_DATABASE: this.catalog.databaseName,
      ATHENA_WORKGROUP: this.catalog.workGroupName,
      ATHENA_PUBLISH_WORKGROUP: this.catalog.publishWorkGroupName,
      CATCHMENT_LA_NAME: config.laName,
      CATCHMENT_SUPPRESSION_THRESHOLD: String(config.suppressionThreshold),
      // Lake writers name the published-data key for published/, manifests/ and portal/ objects.
      [PUBLISHED_KEY_ENV]: this.storage.publishedKey.keyArn,
    };

    this.ingest = new Ingest(this, 'Ingest', {
      storage: this.storage,
      catalog: this.catalog,
      pseudonymKey: this.pseudonymKey,
      alerts: this.alerts,
      defaultPeriod: config.defaultPeriod,
      settings: { classification: config.classification, laCode: config.laCode, clusterColumn: config.clusterColumn },
      memorySize: config.ingestMemoryMiB,
      ephemeralStorageSize: Size.gibibytes(config.ingestStorageGiB),
      logRetention,
      environment: {
        CATCHMENT_LA_NAME: config.laName,
        CATCHMENT_SUPPRESSION_THRESHOLD: String(config.suppressionThreshold),
        [PUBLISHED_KEY_ENV]: this.storage.publishedKey.keyArn,
      },
    });

    // Both Athena stages query every curated table; Athena reads their Parquet files with the
    // caller's credentials.
    const athenaStage = (id: string, handlerName: string, description: string, memorySize: number, readReason: string): CatchmentFunction => {
      const fn = new CatchmentFunction(this, id, {
        handlerName,
        description,
        memorySize,
        timeout: Duration.minutes(15),
        logRetention,
        logEncryptionKey: this.storage.logKey,
        retryAttempts: 0,
        environment,
      });
      this.catalog.grantQuery(
        fn,
        CURATED_TABLES.map((t) => t.name),
      );
      this.storage.grantLakeRead(fn, [LAKE_PREFIXES.curated], readReason);
      return fn;
    };

    // UNLOADs into staging/; the stage then moves the enriched partitions into curated/enriched_*.
    this.classifyFunction = athenaStage(
      'Classify',
      'classify',
      'catchment classify: one period on Athena -> enriched curated tables, staged published tables',
      512,
      'runs Athena queries over every curated table; Athena reads their Parquet files with the caller’s credentials',
    );
    this.storage.grantLakeReadWrite(
      this.classifyFunction,
      [
        `${tablePrefix(enrichedPupils)}/`,
        `${tablePrefix(enrichedContacts)}/`,
        `${markerFolder(tablePrefix(enrichedPupils))}/`,
        `${markerFolder(tablePrefix(enrichedContacts))}/`,
        LAKE_PREFIXES.staging,
        LAKE_PREFIXES.runs,
      ],
      'UNLOADs query results into staging/<run>/ and runs/<run>/published/ (file names chosen by Athena), empties each target first, moves the enriched partitions into curated/enriched_* and records what each was made from (curated/_made-from/enriched_*: cleared before the partition is replaced, written after)',
    );
    this.storage.grantLakeRead(this.classifyFunction, [POINTER], 'reads the publication pointer, to refuse writing into a run already published');

    // Aggregates through Athena (results to the workgroup's bucket); tables and documents are
    // written by the function.
    this.profilesFunction = athenaStage(
      'Profiles',
      'profiles',
      'catchment profiles and fair access: one period per call on Athena (then the trend) -> staged published tables and documents',
      1024,
      'runs Athena aggregate queries over the curated tables; Athena reads their Parquet files with the caller’s credentials',
    );
    this.storage.grantLakeReadWrite(
      this.profilesFunction,
      [LAKE_PREFIXES.staging, LAKE_PREFIXES.runs, `${KEPT_ROOT}/`, `${tablePrefix(enrichedAdmissions)}/`, `${markerFolder(tablePrefix(enrichedAdmissions))}/`],
      'reads large query results back as the Parquet Athena UNLOADs into staging/<run>/ (not paged through GetQueryResults), keeps each period’s fair access in staging/<run>/ for the trend step and reads earlier periods’ published fair_access through the pointer; writes the profile and fair-access tables (Parquet), one JSON document per school and the PDF work list; deletes what an earlier attempt left; keeps what depends on the classified pupils alone (the fair-access base, the report map) in curated/_kept/ and deletes the versions made from earlier pupils; the trend step moves the enriched admissions partitions into curated/enriched_admissions and records what each was made from (curated/_made-from/enriched_admissions: cleared before the partition is replaced, written after)',
    );
    this.storage.grantLakeRead(this.profilesFunction, [POINTER], 'reads the publication pointer, to refuse writing into a run already published');

    // PDFs: Source Sans 3 TTFs in fonts/ beside the bundle (functions/pdf/fonts.ts looks there) with
    // their licence; Vega's optional `canvas` (never used: charts are rendered to SVG) stays out.
    const fontFiles: BundledFile[] = [
      ...Object.values(FONT_FILES).map((f) => ({ spec: `${FONT_PACKAGE_DIR}/${f}`, into: BUNDLED_FONTS_DIR })),
      { spec: FONT_LICENSE, into: BUNDLED_FONTS_DIR, ifBundleMentions: FONT_FILES.regular },
    ];
    this.renderPdfsFunction = new CatchmentFunction(this, 'RenderPdfs', {
      handlerName: 'render-pdfs',
      description: 'catchment PDFs: one batch of school profiles (or a fair-access report) per invocation, rendered in-thread',
      // Rendering is single-threaded and CPU-bound: 1,769 MB is one full vCPU.
      memorySize: 1769,
      timeout: Duration.minutes(15),
      logRetention,
      logEncryptionKey: this.storage.logKey,
      retryAttempts: 0,
      environment,
      copyFiles: [...DEFAULT_COPY_FILES, ...fontFiles],
      externalModules: ['canvas'],
    });
    const stagedDocuments = DOCUMENT_FOLDERS.map((f) => `${LAKE_PREFIXES.runs}*/${LAKE_PREFIXES.published}${f}/`);
    const publishedDocuments = DOCUMENT_FOLDERS.map((f) => `${LAKE_PREFIXES.published}${f}/`);
    this.storage.grantLakeReadWrite(
      this.renderPdfsFunction,
      stagedDocuments,
      'reads the profile and report documents of a run (and, through the publication pointer, of the published run), writes their PDFs and render-manifest parts beside them, and deletes the parts once merged',
    );
    this.storage.grantLakeRead(
      this.renderPdfsFunction,
      [...publishedDocuments, POINTER],
      'reads the published render manifest and PDFs of the previous run, to copy an unchanged school’s PDF instead of rendering it again',
    );

    this.publishFunction = new CatchmentFunction(this, 'Publish', {
      handlerName: 'publish',
      description: 'catchment publish: staged published partitions -> published/, manifest',
      memorySize: 512,
      timeout: Duration.minutes(15),
      logRetention,
      logEncryptionKey: this.storage.logKey,
      retryAttempts: 0,
      environment,
    });
    this.storage.grantLakeReadWrite(
      this.publishFunction,
      [LAKE_PREFIXES.staging, LAKE_PREFIXES.runs, POINTER, LAKE_PREFIXES.locks],
      'lists what a run wrote under runs/<run>/, flips the publication pointer (published/_publication.json) to it, deletes superseded runs (runs/<run>/, any key of a run) and the run’s staging/<run>/, takes and gives back the lake lock (locks/lake.json)',
    );
    this.storage.grantLakeWrite(this.publishFunction, [LAKE_PREFIXES.manifests], 'writes manifests/<runId>.json and manifests/latest.json');
    this.catalog.grantPartitionSync(this.publishFunction);

    this.nightlyRun = new NightlyRun(this, 'NightlyRun', {
      storage: this.storage,
      alerts: this.alerts,
      classify: this.classifyFunction,
      profiles: this.profilesFunction,
      renderPdfs: this.renderPdfsFunction,
      publish: this.publishFunction,
      schedule: config.schedule,
      timezone: config.timezone,
      logRetention,
    });

    // The portal's web ACL is created in us-east-1 by the edge stack; its ARN is a parameter with no
    // default (unless given as context), so the portal cannot be deployed without one.
    this.webAclArn = new CfnParameter(this, 'WebAclArn', {
      type: 'String',
      description: `ARN of the portal’s CloudFront WAF web ACL: the WebAclArn output of the edge stack ${config.stackName}Edge`,
      allowedPattern: WEB_ACL_ARN.source,
      constraintDescription: 'must be the ARN of a CloudFront (global) WAF web ACL, as the edge stack outputs it',
      ...(config.webAclArn ? { default: config.webAclArn } : {}),
    });
    this.webAclArn.overrideLogicalId('WebAclArn');

    // The heads' portal reads the published PDFs and school names and writes its own audit and
    // feedback datasets (catalogued above) in the lake, with the published-data key only.
    this.portal = new Portal(this, 'Portal', {
      lakeBucket: this.storage.lakeBucket,
      publishedKey: this.storage.publishedKey,
      logKey: this.storage.logKey,
      webAclArn: this.webAclArn.valueAsString,
      accessLogClientIps: config.apiAccessLogClientIps,
      site: { councilName: config.laName, ...(config.portalContactEmail ? { contact: { team: 'The school information team', email: config.portalContactEmail } } : {}) },
      logRetention,
      accessLogRetention: Duration.days(config.accessLogRetentionDays),
    });

    // LA analysts: a role the account's administrators let analysts assume (or attach the same
    // grants to an existing role with Catalog.grantAnalystQueries).
    this.analystRole = new iam.Role(this, 'AnalystRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: `catchment: LA analysts of ${config.laName}: query the published tables in the ${config.analystWorkGroupName} workgroup`.slice(0, 1000),
      maxSessionDuration: Duration.hours(4),
    });
    this.catalog.grantAnalystQueries(this.analystRole);
    new CfnOutput(this, 'AnalystRoleArn', { value: this.analystRole.roleArn, description: 'The role LA analysts assume for Athena (published tables only)' });
  }
}
