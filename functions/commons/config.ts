/** Lambda configuration from the environment the CDK stack sets; fails fast naming what is missing. */
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3ObjectStore } from '../ports/s3-store.ts';
import { PUBLISHED_KEY_ENV, lakeKmsKeyFor } from './data-classes.ts';
import { traced } from './observability.ts';
import { getPseudonymKey } from './secrets.ts';

export interface AwsConfig {
  rawBucket: string;
  lakeBucket: string;
  database: string;
  workGroup: string;
  /** Workgroup of UNLOADs into a run's published tables (published-data key); none: `workGroup`. */
  publishWorkGroup?: string;
  secretId: string;
  defaultPeriod?: string;
}

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

export function awsConfig(): AwsConfig {
  return {
    rawBucket: need('RAW_BUCKET'),
    lakeBucket: need('LAKE_BUCKET'),
    database: process.env.GLUE_DATABASE ?? 'catchment',
    workGroup: process.env.ATHENA_WORKGROUP ?? 'catchment',
    publishWorkGroup: process.env.ATHENA_PUBLISH_WORKGROUP || undefined,
    secretId: process.env.PSEUDONYM_SECRET_ID ?? '',
    defaultPeriod: process.env.DEFAULT_PERIOD || undefined,
  };
}

/**
 * CATCHMENT_S3_FORCE_PATH_STYLE=true: path-style S3 addressing, for local emulators (moto_server,
 * LocalStack) on a host name such as localhost. Never set in the deployed stack. Endpoint and
 * checksum behaviour come from the SDK's own AWS_ENDPOINT_URL / AWS_REQUEST_CHECKSUM_CALCULATION.
 */
export const s3ForcePathStyle = (): boolean => /^(1|true|yes)$/i.test(process.env.CATCHMENT_S3_FORCE_PATH_STYLE ?? '');
const s3Client = () => traced(new S3Client(s3ForcePathStyle() ? { forcePathStyle: true } : {}));

let secrets: SecretsManagerClient | undefined;
const secretsClient = () => (secrets ??= traced(new SecretsManagerClient({})));

/** Raw uploads live under raw/<dataset>/ in the raw bucket. */
export const rawStore = (c: AwsConfig) => new S3ObjectStore({ bucket: c.rawBucket, prefix: 'raw', client: s3Client() });
/** The lake: published-class objects are written with the published-data key (data-classes.ts). */
export const lakeStore = (c: AwsConfig) =>
  new S3ObjectStore({ bucket: c.lakeBucket, client: s3Client(), kmsKeyFor: lakeKmsKeyFor(process.env[PUBLISHED_KEY_ENV]) });
export const pseudonymKey = (c: AwsConfig) => {
  if (!c.secretId) throw new Error('environment variable PSEUDONYM_SECRET_ID is not set');
  return getPseudonymKey({ kind: 'secretsManager', secretId: c.secretId, client: secretsClient() });
};
