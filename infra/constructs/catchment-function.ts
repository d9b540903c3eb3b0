/**
 * CatchmentFunction: the one NodejsFunction shape every catchment Lambda uses.
 *
 * - Node.js 22 on ARM64 (Graviton) unless a function needs another architecture (the ingest
 *   function runs DuckDB's x86_64 binary), X-Ray tracing, JSON logs into its own KMS-encrypted log group
 *   with a retention, and a role of its own with no AWS managed policy.
 * - Bundled locally by esbuild from node_modules (never Docker): ESM output (index.mjs), minified,
 *   with source maps (NODE_OPTIONS=--enable-source-maps). The AWS SDK is bundled too, so the asset
 *   runs exactly the SDK version the tests ran, anywhere (the smoke test runs it outside Lambda).
 * - CommonJS dependencies bundled into ESM still call `require`, `__dirname` and `__filename`: the
 *   banner defines `require` (Powertools' documented ESM banner) and the two path variables under
 *   private names that `define` maps the free identifiers to, so no bundled module's own
 *   `__dirname` declaration can clash with them.
 * - Files a dependency reads from beside its JavaScript at run time are copied next to the bundle
 *   (`copyFiles`): parquet-wasm's `node` build reads `${__dirname}/parquet_wasm_bg.wasm`, and
 *   esbuild does not copy it; the PDF renderer reads its TTF fonts from `fonts/` beside the bundle
 *   (functions/pdf/fonts.ts).
 * - Native packages (`nativePackages`: DuckDB's Node binding and its shared library, for the
 *   ingest function) stay out of esbuild and are copied whole into `node_modules/` beside the
 *   bundle, where the bundle's `require` finds them; only the functions that list them carry them
 *   (the tests check every other bundle for DuckDB).
 * - Optional native modules a dependency only tries to load (`externalModules`, e.g. Vega's
 *   `canvas`, which vega-canvas imports in a try/catch and the SVG renderer never needs) stay
 *   external: the import fails at run time and the dependency falls back, as documented.
 * - Powertools environment: service name, metrics namespace, log level; events and tracer
 *   responses are never logged or captured (they can carry personal data).
 */
import { Duration, type Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acknowledge } from './nag.ts';

/** The repository root (holds package.json, package-lock.json and functions/). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Default run-time files copied beside every bundle. */
export const DEFAULT_COPY_FILES = ['parquet-wasm/node/parquet_wasm_bg.wasm'];

/** A package file a bundle needs at run time. */
export interface BundledFile {
  /** Module specifier resolved from the project root, e.g. 'source-sans/TTF/SourceSans3-Regular.ttf'. */
  readonly spec: string;
  /**
   * Folder inside the bundle directory.
   * @default - beside index.mjs
   */
  readonly into?: string;
  /**
   * Copy only if index.mjs contains this text.
   * @default - the file's base name
   */
  readonly ifBundleMentions?: string;
}

/** Banner prepended to index.mjs (see the file comment). */
export const ESM_BANNER = [
  "import { createRequire as __catchmentCreateRequire } from 'node:module';",
  "import { fileURLToPath as __catchmentFileURLToPath } from 'node:url';",
  'const require = __catchmentCreateRequire(import.meta.url);',
  'const __catchment_filename = __catchmentFileURLToPath(import.meta.url);',
  "const __catchment_dirname = __catchment_filename.slice(0, __catchment_filename.lastIndexOf('/'));",
].join(' ');

export interface CatchmentFunctionProps {
  /** Handler module under functions/handlers/, without extension (e.g. 'ingest'); it exports `handler`. */
  readonly handlerName: string;
  /** What the function does (the Lambda description). */
  readonly description: string;
  /**
   * Environment variables in addition to the Powertools ones.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Memory in MiB.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Timeout.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Key that encrypts the log group.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * POWERTOOLS_SERVICE_NAME.
   * @default `catchment-${handlerName}`
   */
  readonly serviceName?: string;
  /**
   * POWERTOOLS_METRICS_NAMESPACE.
   * @default 'Catchment'
   */
  readonly metricsNamespace?: string;
  /**
   * POWERTOOLS_LOG_LEVEL (and the Lambda application log level).
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * Package files (module specifiers resolved from the project root) copied into the bundle
   * directory, for dependencies that read them from beside their code at run time. Each is copied
   * only if the bundle mentions its file name.
   * @default DEFAULT_COPY_FILES (parquet-wasm's WebAssembly)
   */
  readonly copyFiles?: (string | BundledFile)[];
  /**
   * Modules left out of the bundle (optional native dependencies that are only tried at run time).
   * @default - none
   */
  readonly externalModules?: string[];
  /**
   * Packages with native code: kept external and copied whole (from the project's node_modules)
   * into `node_modules/` beside the bundle. They must be built for `architecture`.
   * @default - none
   */
  readonly nativePackages?: string[];
  /**
   * Instruction set.
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Size of /tmp.
   * @default Size.mebibytes(512)
   */
  readonly ephemeralStorageSize?: Size;
  /**
   * Async invocation retries (0-2) for event-source invocations.
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * Maximum age of an async event before Lambda drops it (or sends it to `onFailure`).
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
  /**
   * Destination for async invocations that failed every retry.
   * @default - none
   */
  readonly onFailure?: lambda.IDestination;
  /**
   * Reserved concurrency (1 serialises invocations).
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
}

export class CatchmentFunction extends NodejsFunction {
  /** The function's log group (retention and encryption set here). */
  public readonly functionLogGroup: logs.LogGroup;
  /** The function's execution role (no managed policies). */
  public readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: CatchmentFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.logEncryptionKey,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `catchment ${props.handlerName} function`,
    });
    const level = props.logLevel ?? 'INFO';
    const fromProject = createRequire(path.join(PROJECT_ROOT, 'package.json'));
    // CDK falls back to Docker bundling when it cannot find esbuild; this project never bundles in
    // Docker, so say what is wrong instead.
    try {
      fromProject.resolve('esbuild');
    } catch {
      throw new Error('esbuild is not installed in node_modules: run `npm ci` (catchment bundles Lambdas locally, never in Docker)');
    }
    const copies = (props.copyFiles ?? DEFAULT_COPY_FILES).map((f) => {
      const file: BundledFile = typeof f === 'string' ? { spec: f } : f;
      const rel = path.relative(PROJECT_ROOT, fromProject.resolve(file.spec));
      return { rel, into: file.into ?? '', mentions: file.ifBundleMentions ?? path.basename(rel) };
    });
    const natives = (props.nativePackages ?? []).map((pkg) => ({ pkg, rel: path.relative(PROJECT_ROOT, path.dirname(fromProject.resolve(`${pkg}/package.json`))) }));

    super(scope, id, {
      entry: path.join(PROJECT_ROOT, 'functions', 'handlers', `${props.handlerName}.ts`),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      ephemeralStorageSize: props.ephemeralStorageSize,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(5),
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[level],
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      awsSdkConnectionReuse: false,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(6),
      onFailure: props.onFailure,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? `catchment-${props.handlerName}`,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'Catchment',
        POWERTOOLS_LOG_LEVEL: level,
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        minify: true,
        keepNames: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        bundleAwsSDK: true,
        externalModules: [...(props.externalModules ?? []), ...(props.nativePackages ?? [])],
        metafile: true,
        banner: ESM_BANNER,
        define: { __dirname: '__catchment_dirname', __filename: '__catchment_filename' },
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // Copy a run-time file only into bundles that reference it (the classify bundle does not
          // load parquet-wasm, so it does not carry its 5 MB).
          afterBundling: (inputDir: string, outputDir: string) => {
            const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
            return [
              ...copies.map(({ rel, into, mentions }) => {
                const dest = path.join(outputDir, into) + '/';
                return `if grep -qF ${q(mentions)} ${q(path.join(outputDir, 'index.mjs'))}; then mkdir -p ${q(dest)} && cp ${q(path.join(inputDir, rel))} ${q(dest)}; fi`;
              }),
              ...natives.map(({ pkg, rel }) => {
                const dest = path.join(outputDir, 'node_modules', pkg);
                return `mkdir -p ${q(path.dirname(dest))} && cp -R ${q(path.join(inputDir, rel))} ${q(dest)}`;
              }),
            ];
          },
        },
      },
    });
    this.functionLogGroup = logGroup;
    this.executionRole = role;
    logGroup.grantWrite(role);

    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions (the AWS managed AWSXRayDaemonWriteAccess policy also uses "*").',
    );
    acknowledge(
      this,
      'AwsSolutions-L1',
      'Pinned to Node.js 22 (supported until 2027-04), the runtime the bundles are built for (esbuild target node22) and smoke-tested against; move to the next LTS deliberately, not on every cdk-nag update.',
    );
  }
}
