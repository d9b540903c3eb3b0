/**
 * Catalog: the Glue database with one table per curated and published dataset, and two Athena
 * workgroups (engine v3, enforced settings): the pipeline's, whose results (unsuppressed counts) go
 * to results/ under the pupil-level key, and the LA analysts', with the named queries, whose results
 * go to analysts/ under a key of their own. Analysts are granted their workgroup, the published and
 * portal tables and nothing curated (grantAnalystQueries); the pipeline never uses theirs.
 *
 * Columns come from the zod contracts (schemas/curated.ts, schemas/published.ts) through
 * `dataColumnsOf`/`columnsOf` and `glueType`: nothing is retyped here, so a new column or a new
 * published table reaches the catalog on the next deploy.
 *
 * Published tables have registered partitions: the publish step points each `period` partition at
 * the run the publication pointer names for it (docs/publishing.md). Curated and portal tables use
 * partition projection (no Glue partitions to register, no MSCK REPAIR, no crawler):
 * - `period` (academic years such as 2025-26) uses the `enum` type over the configured range of
 *   years (firstPeriod..lastPeriod, 21 values by default). `date` cannot express "2025-26" (the
 *   second half is a two-digit year, not a date field), `integer` cannot either, and `injected`
 *   would make every query, including the analysts' trend queries, fail unless it filters on a
 *   literal period. Periods outside the range are invisible: extend lastPeriod before 2036.
 * - `vintage` (classification release, `yyyy-MM` from the file name, or `unspecified`) uses `enum`
 *   over every month from firstVintage to lastVintage plus `unspecified`. The classify SQL reads
 *   postcodes/segments/wards without a vintage filter (one vintage is current at a time), which
 *   rules out `injected`; `date` would miss `unspecified`. Empty projected partitions cost one S3
 *   LIST each.
 * - The heads' portal datasets (`portal_audit`, `portal_feedback`: schemas/portal.ts, written by the
 *   portal function, never by the pipeline) are partitioned by `period` too, and an audit record of
 *   a request that named no valid period goes to `period=none`: their enum is the same range of
 *   years plus `none` (an `injected` projection would hide those records unless a query names
 *   `none` literally; a `date`/`integer` one cannot express either value).
 * Tables are Parquet (ParquetHiveSerDe, Snappy), located at s3://<lake>/<zone>/<table>/.
 */
import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { columnsOf, dataColumnsOf, glueType, tablePrefix, type TableDef } from '../../schemas/columns.ts';
import { CURATED_TABLES } from '../../schemas/curated.ts';
import { NO_PERIOD, PORTAL_TABLES } from '../../schemas/portal.ts';
import { PUBLISHED_TABLES } from '../../schemas/published.ts';
import { analystQueries, portalFeedbackQuery, type AnalystQuery } from '../analyst-queries.ts';
import { periodRange, monthRange } from '../config.ts';
import { ANALYST_RESULTS_PREFIX, ATHENA_RESULTS_PREFIX, LAKE_PREFIXES, PUBLISH_RESULTS_PREFIX, type Storage } from './storage.ts';

export const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

export const ATHENA_ENGINE_V3 = 'Athena engine version 3';

export interface CatalogProps {
  /** Buckets and key. */
  readonly storage: Storage;
  /**
   * Glue database name (also GLUE_DATABASE of the functions).
   * @default 'catchment'
   */
  readonly databaseName?: string;
  /**
   * Athena workgroup of the pipeline (also ATHENA_WORKGROUP of the functions).
   * @default 'catchment'
   */
  readonly workGroupName?: string;
  /**
   * Athena workgroup of the pipeline's UNLOADs into a run's published tables (results encrypted with
   * the published-data key; ATHENA_PUBLISH_WORKGROUP of the functions).
   * @default `${workGroupName}-publish`
   */
  readonly publishWorkGroupName?: string;
  /**
   * Athena workgroup of the LA analysts (the named queries live there).
   * @default `${workGroupName}-analysts`
   */
  readonly analystWorkGroupName?: string;
  /**
   * Curated tables to catalogue.
   * @default CURATED_TABLES
   */
  readonly curatedTables?: readonly TableDef[];
  /**
   * Published tables to catalogue.
   * @default PUBLISHED_TABLES
   */
  readonly publishedTables?: readonly TableDef[];
  /**
   * The heads' portal datasets to catalogue (published zone; `period` also projects `none`).
   * @default PORTAL_TABLES
   */
  readonly portalTables?: readonly TableDef[];
  /**
   * Academic years projected for `period`, inclusive.
   * @default ['2015-16', '2035-36']
   */
  readonly periodRange?: readonly [string, string];
  /**
   * Months projected for `vintage`, inclusive (plus 'unspecified').
   * @default ['2011-01', '2035-12']
   */
  readonly vintageRange?: readonly [string, string];
  /**
   * Per-query scan limit of the workgroup, in bytes (Athena's minimum is 10 MB).
   * @default 10 GiB
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * Counts below this are suppressed in the named queries.
   * @default 5
   */
  readonly suppressionThreshold?: number;
  /**
   * Named queries to create (in the analysts' workgroup).
   * @default analystQueries(suppressionThreshold) and portalFeedbackQuery()
   */
  readonly namedQueries?: readonly AnalystQuery[];
}

export class Catalog extends Construct {
  public readonly database: glue.CfnDatabase;
  public readonly databaseName: string;
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly workGroupName: string;
  public readonly analystWorkGroup: athena.CfnWorkGroup;
  public readonly analystWorkGroupName: string;
  public readonly publishWorkGroup: athena.CfnWorkGroup;
  public readonly publishWorkGroupName: string;
  /** Glue tables by table name. */
  public readonly tables: Record<string, glue.CfnTable> = {};
  public readonly namedQueries: athena.CfnNamedQuery[] = [];
  public readonly curatedTables: readonly TableDef[];
  public readonly publishedTables: readonly TableDef[];
  public readonly portalTables: readonly TableDef[];
  /** Values projected per partition column. */
  public readonly projectedValues: Record<string, string[]>;
  private readonly storage: Storage;

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.storage = props.storage;
    this.databaseName = props.databaseName ?? 'catchment';
    this.workGroupName = props.workGroupName ?? 'catchment';
    this.analystWorkGroupName = props.analystWorkGroupName ?? `${this.workGroupName}-analysts`;
    this.publishWorkGroupName = props.publishWorkGroupName ?? `${this.workGroupName}-publish`;
    if (new Set([this.workGroupName, this.analystWorkGroupName, this.publishWorkGroupName]).size !== 3) {
      throw new Error('Catalog: the pipeline, its publishing and the analysts’ workgroups need names of their own');
    }
    this.curatedTables = props.curatedTables ?? CURATED_TABLES;
    this.publishedTables = props.publishedTables ?? PUBLISHED_TABLES;
    this.portalTables = props.portalTables ?? PORTAL_TABLES;
    const [firstPeriod, lastPeriod] = props.periodRange ?? ['2015-16', '2035-36'];
    const [firstVintage, lastVintage] = props.vintageRange ?? ['2011-01', '2035-12'];
    this.projectedValues = {
      period: periodRange(firstPeriod, lastPeriod),
      vintage: [...monthRange(firstVintage, lastVintage), 'unspecified'],
    };

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: 'catchment: curated (pupil-level, pseudonymised) and published (aggregate) tables',
      },
    });

    const bucket = props.storage.lakeBucket;
    for (const def of this.curatedTables) {
      const t = this.glueTable(def, bucket);
      t.addResourceDependency(this.database);
      this.tables[def.name] = t;
    }
    // Published tables follow the publication pointer: their partitions are registered by the
    // publish step at the run that holds each one (functions/ports/glue-partitions.ts), so no
    // projection (which would read fixed locations).
    for (const def of this.publishedTables) {
      const t = this.glueTable(def, bucket, this.projectedValues, { projection: false });
      t.addResourceDependency(this.database);
      this.tables[def.name] = t;
    }
    const portalValues = { ...this.projectedValues, period: [...this.projectedValues.period!, NO_PERIOD] };
    for (const def of this.portalTables) {
      const t = this.glueTable(def, bucket, portalValues);
      t.addResourceDependency(this.database);
      this.tables[def.name] = t;
    }

    const workGroup = (wgId: string, name: string, description: string, resultsPrefix: string, key: kms.IKey) =>
      new athena.CfnWorkGroup(this, wgId, {
        name,
        description,
        state: 'ENABLED',
        recursiveDeleteOption: false,
        workGroupConfiguration: {
          enforceWorkGroupConfiguration: true,
          engineVersion: { selectedEngineVersion: ATHENA_ENGINE_V3 },
          bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery ?? 10 * 1024 ** 3,
          publishCloudWatchMetricsEnabled: true,
          requesterPaysEnabled: false,
          resultConfiguration: {
            outputLocation: props.storage.athenaResultsBucket.s3UrlForObject(resultsPrefix),
            expectedBucketOwner: stack.account,
            encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn },
          },
        },
      });
    this.workGroup = workGroup(
      'WorkGroup',
      this.workGroupName,
      'catchment: the nightly pipeline’s queries (engine v3, enforced settings, results encrypted with the pupil-level key)',
      ATHENA_RESULTS_PREFIX,
      props.storage.pupilKey,
    );
    // Athena encrypts what an UNLOAD writes with its workgroup's result encryption: a run's published
    // tables are unloaded here, so they are published data (the portal and analysts can read them).
    this.publishWorkGroup = workGroup(
      'PublishWorkGroup',
      this.publishWorkGroupName,
      'catchment: the nightly pipeline’s UNLOADs of published tables (engine v3, enforced settings, encrypted with the published-data key)',
      PUBLISH_RESULTS_PREFIX,
      props.storage.publishedKey,
    );
    this.analystWorkGroup = workGroup(
      'AnalystWorkGroup',
      this.analystWorkGroupName,
      'catchment: LA analysts’ queries of the published tables (engine v3, enforced settings, results of their own)',
      ANALYST_RESULTS_PREFIX,
      props.storage.analystKey,
    );

    const queries = props.namedQueries ?? [...analystQueries(props.suppressionThreshold ?? 5, this.publishedTables), portalFeedbackQuery(this.portalTables)];
    for (const q of queries) {
      const nq = new athena.CfnNamedQuery(this, `Query-${q.name}`, {
        name: q.name,
        description: `${q.description}${q.parameters.length ? `. Parameters: ${q.parameters.join('; ')}` : ''}`.slice(0, 1024),
        database: this.databaseName,
        workGroup: this.analystWorkGroupName,
        queryString: q.sql,
      });
      nq.addResourceDependency(this.analystWorkGroup);
      nq.addResourceDependency(this.database);
      this.namedQueries.push(nq);
    }
  }

  private glueTable(def: TableDef, bucket: s3.IBucket, projectedValues: Record<string, string[]> = this.projectedValues, opts: { projection?: boolean } = {}): glue.CfnTable {
    const prefix = tablePrefix(def);
    const location = `s3://${bucket.bucketName}/${prefix}/`;
    const comment = (s: string) => (s.length > 255 ? `${s.slice(0, 252)}...` : s);
    const withProjection = opts.projection ?? true;
    const projection: Record<string, string> = withProjection ? { 'projection.enabled': 'true' } : {};
    for (const p of withProjection ? def.partitions : []) {
      const values = projectedValues[p];
      if (!values) throw new Error(`table ${def.name}: no partition projection for column ${p} (known: ${Object.keys(projectedValues).join(', ')})`);
      projection[`projection.${p}.type`] = 'enum';
      projection[`projection.${p}.values`] = values.join(',');
    }
    const template = `${location}${def.partitions.map((p) => `${p}=\${${p}}`).join('/')}/`;
    const partitionColumns = columnsOf(def).filter((c) => def.partitions.includes(c.name));
    return new glue.CfnTable(this, `Table-${def.name}`, {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: def.name,
        description: comment(`${def.zone}: ${def.description}`),
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'parquet',
          'parquet.compression': 'SNAPPY',
          ...projection,
          ...(withProjection ? { 'storage.location.template': template } : {}),
        },
        partitionKeys: partitionColumns.map((c) => ({ name: c.name, type: glueType(c.type), comment: comment(c.description) })),
        storageDescriptor: {
          location,
          inputFormat: PARQUET.inputFormat,
          outputFormat: PARQUET.outputFormat,
          serdeInfo: { serializationLibrary: PARQUET.serde, parameters: { 'serialization.format': '1' } },
          columns: dataColumnsOf(def).map((c) => ({ name: c.name, type: glueType(c.type), comment: comment(c.description) })),
          compressed: true,
          storedAsSubDirectories: false,
        },
      },
    });
  }

  /** ARN of a Glue table of this database. */
  public tableArn(name: string): string {
    const stack = Stack.of(this);
    return stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/${name}` });
  }

  /** ARNs of the Glue catalog and database. */
  public catalogArns(): string[] {
    const stack = Stack.of(this);
    return [
      stack.formatArn({ service: 'glue', resource: 'catalog' }),
      stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
    ];
  }

  /**
   * Point the published tables' Glue partitions at the runs the publication pointer names (the
   * publish step): read the tables and their partitions, create and update partitions.
   */
  public grantPartitionSync(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['glue:GetTable', 'glue:GetPartitions', 'glue:BatchCreatePartition', 'glue:BatchUpdatePartition'],
      resourceArns: [...this.catalogArns(), ...this.publishedTables.map((t) => this.tableArn(t.name))],
    });
  }

  /** ARN of the pipeline's workgroup (or of the analysts'). */
  public workGroupArn(name: string = this.workGroupName): string {
    return Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: name });
  }

  /**
   * Run pipeline queries against the named tables: Athena query actions on the pipeline's workgroups,
   * Glue reads of the catalog/database/tables, and its results prefix. S3 access to the data is
   * granted separately (Storage.grantLake*), because Athena reads with the caller's credentials.
   */
  public grantQuery(grantee: iam.IGrantable, tableNames: string[]): void {
    this.grantWorkGroup(grantee, this.workGroupName, ATHENA_RESULTS_PREFIX, tableNames);
    this.grantWorkGroup(grantee, this.publishWorkGroupName, PUBLISH_RESULTS_PREFIX, tableNames);
  }

  /**
   * What an LA analyst needs: query in the analysts' workgroup (results under analysts/ with the
   * analysts' key), the published tables and the portal's audit and feedback datasets (and read them
   * under published/ in S3), list and read the named queries. Nothing curated (pupil-level), and
   * nothing of the pipeline's workgroup or results.
   */
  public grantAnalystQueries(grantee: iam.IGrantable): void {
    this.grantWorkGroup(
      grantee,
      this.analystWorkGroupName,
      ANALYST_RESULTS_PREFIX,
      [...this.publishedTables, ...this.portalTables].map((t) => t.name),
    );
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['athena:ListNamedQueries', 'athena:GetNamedQuery', 'athena:BatchGetNamedQuery', 'athena:ListQueryExecutions'],
      resourceArns: [this.workGroupArn(this.analystWorkGroupName)],
    });
    this.storage.grantLakeRead(
      grantee,
      [LAKE_PREFIXES.published, `${LAKE_PREFIXES.runs}*/${LAKE_PREFIXES.published}`],
      'queries the published tables through Athena, which reads every Parquet file of a partition, at the run the publication pointer names for it',
    );
  }

  private grantWorkGroup(grantee: iam.IGrantable, workGroupName: string, resultsPrefix: string, tableNames: string[]): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
      resourceArns: [this.workGroupArn(workGroupName)],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'],
      resourceArns: [...this.catalogArns(), ...tableNames.map((n) => this.tableArn(n))],
    });
    this.storage.grantAthenaResults(grantee, resultsPrefix);
    this.storage.grantBucketLocation(grantee, this.storage.lakeBucket);
  }
}
