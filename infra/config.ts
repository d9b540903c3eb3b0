/**
 * Deployment settings, read from CDK context (`cdk.json` "context", or `-c key=value` on the command
 * line). Every key is optional; the defaults below are what a fresh deployment gets.
 *
 * | key                       | default               | meaning                                                        |
 * |---------------------------|-----------------------|----------------------------------------------------------------|
 * | laName                    | "Example Council"     | local authority name: tags, descriptions, alert subjects, the portal's masthead and pages |
 * | portalContactEmail        | (none)                | e-mail on the portal's contact page; none = "contact your local authority" |
 * | stackName                 | "Catchment"           | CloudFormation stack name                                      |
 * | schedule                  | "cron(0 2 * * ? *)"   | EventBridge Scheduler expression of the nightly run            |
 * | timezone                  | "Europe/London"       | IANA time zone the schedule is evaluated in (follows BST/GMT)  |
 * | rawRetentionDays          | 30                    | raw uploads (raw/ in the raw bucket) expire after this         |
 * | quarantineRetentionDays   | 30                    | quarantine/ in the lake (rejected rows) expires after this     |
 * | noncurrentRetentionDays   | 30                    | overwritten/deleted versions of published data expire after this |
 * | pupilNoncurrentRetentionDays | 3                  | overwritten/deleted versions of pupil-level data (raw/, curated/, quarantine/, query results) expire after this (1-7): how soon an erasure is complete |
 * | stagingRetentionDays      | 2                     | staging/ (per-run scratch, UNLOAD targets) expires after this  |
 * | athenaResultsRetentionDays| 7                     | Athena query results expire after this                         |
 * | accessLogRetentionDays    | 365                   | S3 server access logs expire after this                        |
 * | logRetentionDays          | 365                   | CloudWatch log groups (Lambda, Step Functions) retention       |
 * | suppressionThreshold      | 5                     | counts below this are suppressed (null) in analyst queries     |
 * | alertEmail                | (none)                | e-mail subscribed to the alert topic; none = no subscription   |
 * | bytesScannedCutoff        | 10737418240 (10 GiB)  | Athena per-query scan limit of the workgroup                   |
 * | databaseName              | "catchment"           | Glue database name                                             |
 * | workGroupName             | "catchment"           | Athena workgroup of the pipeline                               |
 * | analystWorkGroupName      | "catchment-analysts"  | Athena workgroup of LA analysts (own results prefix and key)   |
 * | webAclArn                 | (none)                | default of the WebAclArn parameter: the CloudFront web ACL the edge stack outputs |
 * | wafRateLimit              | 1000                  | requests per 5 minutes one IP address may send the portal      |
 * | wafApiRateLimit           | 300                   | of which to /api/ (then WAF blocks that address for a while)    |
 * | apiAccessLogClientIps     | false                 | record caller IP addresses in the API access log (personal data) |
 * | firstPeriod / lastPeriod  | "2015-16" / "2035-36" | academic years projected for the `period` partition column     |
 * | firstVintage / lastVintage| "2011-01" / "2035-12" | months projected for the classification `vintage` column       |
 * | defaultPeriod             | (none)                | DEFAULT_PERIOD for ingest; none = the current academic year    |
 * | classification            | (none)                | oac21 or oac11 when the lookup carries both (CLI --classification) |
 * | laCode                    | (none)                | the LA's 3-digit number (CLI --la-code); none = inferred       |
 * | clusterColumn             | (none)                | schools-file column naming clusters (CLI --cluster-column)     |
 * | ingestMemoryMiB           | 6144                  | ingest function memory (DuckDB gets 60%), 2048-10240           |
 * | ingestStorageGiB          | 10                    | ingest function /tmp (downloads, spill, Parquet), 1-10         |
 *
 * Values given with `-c` arrive as strings; numbers are parsed and everything is validated here so
 * a typo fails `cdk synth` with a message naming the key.
 */
import type { Construct } from 'constructs';

export interface CatchmentConfig {
  readonly laName: string;
  readonly portalContactEmail?: string;
  readonly stackName: string;
  readonly schedule: string;
  readonly timezone: string;
  readonly rawRetentionDays: number;
  readonly quarantineRetentionDays: number;
  readonly noncurrentRetentionDays: number;
  readonly pupilNoncurrentRetentionDays: number;
  readonly stagingRetentionDays: number;
  readonly athenaResultsRetentionDays: number;
  readonly accessLogRetentionDays: number;
  readonly logRetentionDays: number;
  readonly suppressionThreshold: number;
  readonly alertEmail?: string;
  readonly bytesScannedCutoff: number;
  readonly databaseName: string;
  readonly workGroupName: string;
  readonly analystWorkGroupName: string;
  readonly wafRateLimit: number;
  readonly wafApiRateLimit: number;
  readonly apiAccessLogClientIps: boolean;
  readonly webAclArn?: string;
  readonly firstPeriod: string;
  readonly lastPeriod: string;
  readonly firstVintage: string;
  readonly lastVintage: string;
  readonly defaultPeriod?: string;
  readonly classification?: 'oac11' | 'oac21';
  readonly laCode?: string;
  readonly clusterColumn?: string;
  readonly ingestMemoryMiB: number;
  readonly ingestStorageGiB: number;
}

export const DEFAULT_CONFIG: CatchmentConfig = {
  laName: 'Example Council',
  stackName: 'Catchment',
  schedule: 'cron(0 2 * * ? *)',
  timezone: 'Europe/London',
  rawRetentionDays: 30,
  quarantineRetentionDays: 30,
  noncurrentRetentionDays: 30,
  pupilNoncurrentRetentionDays: 3,
  stagingRetentionDays: 2,
  athenaResultsRetentionDays: 7,
  accessLogRetentionDays: 365,
  logRetentionDays: 365,
  suppressionThreshold: 5,
  bytesScannedCutoff: 10 * 1024 ** 3,
  databaseName: 'catchment',
  workGroupName: 'catchment',
  analystWorkGroupName: 'catchment-analysts',
  wafRateLimit: 1000,
  wafApiRateLimit: 300,
  apiAccessLogClientIps: false,
  firstPeriod: '2015-16',
  lastPeriod: '2035-36',
  firstVintage: '2011-01',
  lastVintage: '2035-12',
  ingestMemoryMiB: 6144,
  ingestStorageGiB: 10,
};

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const PERIOD = /^(\d{4})-(\d{2})$/;
/** A CloudFront (global) WAFv2 web ACL ARN; such ACLs always live in us-east-1. */
export const WEB_ACL_ARN = /^arn:aws[a-zA-Z-]*:wafv2:[a-z0-9-]+:\d{12}:global\/webacl\/[A-Za-z0-9_-]{1,128}\/[A-Za-z0-9-]{1,128}$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export class ConfigError extends Error {
  constructor(key: string, message: string) {
    super(`context "${key}": ${message}`);
    this.name = 'ConfigError';
  }
}

function str(key: keyof CatchmentConfig, raw: unknown, pattern?: RegExp, hint?: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new ConfigError(key, 'must be a non-empty string');
  const v = raw.trim();
  if (pattern && !pattern.test(v)) throw new ConfigError(key, `${JSON.stringify(v)} is not ${hint ?? `of the form ${pattern}`}`);
  return v;
}

function int(key: keyof CatchmentConfig, raw: unknown, min: number, max: number): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(key, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function bool(key: keyof CatchmentConfig, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(key, `must be true or false, got ${JSON.stringify(raw)}`);
}

function isPeriod(v: string): boolean {
  const m = PERIOD.exec(v);
  return !!m && (Number(m[1]) + 1) % 100 === Number(m[2]);
}

/** Academic years from `first` to `last` inclusive, e.g. 2015-16, 2016-17, ... */
export function periodRange(first: string, last: string): string[] {
  const a = Number(first.slice(0, 4));
  const b = Number(last.slice(0, 4));
  return Array.from({ length: b - a + 1 }, (_, i) => `${a + i}-${String((a + i + 1) % 100).padStart(2, '0')}`);
}

/** Months `yyyy-MM` from `first` to `last` inclusive. */
export function monthRange(first: string, last: string): string[] {
  const toIndex = (s: string) => Number(s.slice(0, 4)) * 12 + Number(s.slice(5, 7)) - 1;
  const out: string[] = [];
  for (let i = toIndex(first); i <= toIndex(last); i++) out.push(`${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
  return out;
}

/**
 * Reads and validates the configuration. `get` is a context lookup: pass `(k) => scope.node.tryGetContext(k)`.
 */
export function readConfig(get: (key: string) => unknown): CatchmentConfig {
  const pick = <K extends keyof CatchmentConfig>(k: K): unknown => {
    const v = get(k);
    return v === undefined || v === null || v === '' ? DEFAULT_CONFIG[k] : v;
  };
  const days = (k: keyof CatchmentConfig) => int(k, pick(k), 1, 3650);
  const cfg: CatchmentConfig = {
    laName: str('laName', pick('laName')),
    stackName: str('stackName', pick('stackName'), /^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name'),
    schedule: str('schedule', pick('schedule'), /^(cron|rate|at)\(.+\)$/, 'a Scheduler expression such as cron(0 2 * * ? *)'),
    timezone: str('timezone', pick('timezone'), /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, 'an IANA time zone such as Europe/London'),
    rawRetentionDays: days('rawRetentionDays'),
    quarantineRetentionDays: days('quarantineRetentionDays'),
    noncurrentRetentionDays: days('noncurrentRetentionDays'),
    pupilNoncurrentRetentionDays: int('pupilNoncurrentRetentionDays', pick('pupilNoncurrentRetentionDays'), 1, 7),
    stagingRetentionDays: int('stagingRetentionDays', pick('stagingRetentionDays'), 1, 7),
    athenaResultsRetentionDays: days('athenaResultsRetentionDays'),
    accessLogRetentionDays: days('accessLogRetentionDays'),
    logRetentionDays: int('logRetentionDays', pick('logRetentionDays'), 1, 3653),
    suppressionThreshold: int('suppressionThreshold', pick('suppressionThreshold'), 0, 1000),
    bytesScannedCutoff: int('bytesScannedCutoff', pick('bytesScannedCutoff'), 10_000_000, Number.MAX_SAFE_INTEGER),
    databaseName: str('databaseName', pick('databaseName'), /^[a-z0-9_]{1,255}$/, 'a Glue database name (lower case, digits, _)'),
    workGroupName: str('workGroupName', pick('workGroupName'), /^[A-Za-z0-9._-]{1,128}$/, 'an Athena workgroup name'),
    analystWorkGroupName: str('analystWorkGroupName', pick('analystWorkGroupName'), /^[A-Za-z0-9._-]{1,128}$/, 'an Athena workgroup name'),
    // WAF rate-based rules count per 5 minutes, from 10 up.
    wafRateLimit: int('wafRateLimit', pick('wafRateLimit'), 10, 2_000_000_000),
    wafApiRateLimit: int('wafApiRateLimit', pick('wafApiRateLimit'), 10, 2_000_000_000),
    apiAccessLogClientIps: bool('apiAccessLogClientIps', pick('apiAccessLogClientIps')),
    firstPeriod: str('firstPeriod', pick('firstPeriod'), PERIOD, 'an academic year such as 2015-16'),
    lastPeriod: str('lastPeriod', pick('lastPeriod'), PERIOD, 'an academic year such as 2035-36'),
    firstVintage: str('firstVintage', pick('firstVintage'), MONTH, 'a month such as 2011-01'),
    lastVintage: str('lastVintage', pick('lastVintage'), MONTH, 'a month such as 2035-12'),
    ingestMemoryMiB: int('ingestMemoryMiB', pick('ingestMemoryMiB'), 2048, 10240),
    ingestStorageGiB: int('ingestStorageGiB', pick('ingestStorageGiB'), 1, 10),
  };
  const alertEmail = get('alertEmail');
  const portalContactEmail = get('portalContactEmail');
  const defaultPeriod = get('defaultPeriod');
  const webAclArn = get('webAclArn');
  const classification = get('classification');
  const laCode = get('laCode');
  const clusterColumn = get('clusterColumn');
  const out: CatchmentConfig = {
    ...cfg,
    ...(webAclArn ? { webAclArn: str('webAclArn', webAclArn, WEB_ACL_ARN, 'the ARN of a CloudFront (global) WAF web ACL, as the edge stack outputs it') } : {}),
    ...(alertEmail ? { alertEmail: str('alertEmail', alertEmail, /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address') } : {}),
    ...(portalContactEmail ? { portalContactEmail: str('portalContactEmail', portalContactEmail, /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address') } : {}),
    ...(defaultPeriod ? { defaultPeriod: str('defaultPeriod', defaultPeriod, PERIOD, 'an academic year such as 2025-26') } : {}),
    ...(classification ? { classification: str('classification', classification, /^oac(11|21)$/, 'oac11 or oac21') as 'oac11' | 'oac21' } : {}),
    ...(laCode ? { laCode: str('laCode', String(laCode), /^\d{3}$/, "the LA's 3-digit number such as 886") } : {}),
    ...(clusterColumn ? { clusterColumn: str('clusterColumn', clusterColumn) } : {}),
  };
  if (!LOG_RETENTION_DAYS.includes(out.logRetentionDays)) {
    throw new ConfigError('logRetentionDays', `must be one of ${LOG_RETENTION_DAYS.join(', ')} (CloudWatch Logs retention values)`);
  }
  for (const k of ['firstPeriod', 'lastPeriod', 'defaultPeriod'] as const) {
    const v = out[k];
    if (v !== undefined && !isPeriod(v)) throw new ConfigError(k, `${v} is not an academic year (the second part must be the next year, e.g. 2025-26)`);
  }
  if (out.firstPeriod > out.lastPeriod) throw new ConfigError('lastPeriod', 'must not be before firstPeriod');
  if (out.firstVintage > out.lastVintage) throw new ConfigError('lastVintage', 'must not be before firstVintage');
  if (out.workGroupName === out.analystWorkGroupName) throw new ConfigError('analystWorkGroupName', 'must differ from workGroupName (analysts never share the pipeline’s results)');
  return out;
}

/** The configuration of a construct tree's app. */
export function configOf(scope: Construct): CatchmentConfig {
  return readConfig((k) => scope.node.tryGetContext(k));
}
