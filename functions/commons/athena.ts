/**
 * The Athena SqlEngine of the Lambdas that query (classify, profiles): the stack's workgroup and Glue
 * database, an X-Ray-traced client. Its own module so functions that never query do not bundle the
 * Athena client and Arrow.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { AthenaEngine } from '../ports/athena-engine.ts';
import type { AwsConfig } from './config.ts';
import { traced } from './observability.ts';

export const athena = (c: AwsConfig) =>
  new AthenaEngine({ client: traced(new AthenaClient({})), workGroup: c.workGroup, database: c.database, lakeUri: `s3://${c.lakeBucket}` });
