/**
 * The Athena SqlEngine of the Lambdas that query (classify, profiles): the stack's workgroup and Glue
 * database, an X-Ray-traced client. Its own module so functions that never query do not bundle the
 * Athena client and Arrow.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import type { Context } from 'aws-lambda';
import { AthenaEngine } from '../ports/athena-engine.ts';
import { lakeStore, type AwsConfig } from './config.ts';
import { isPublishedClass } from './data-classes.ts';
import { traced } from './observability.ts';

/**
 * Time kept back from the invocation's remaining time: a query still running then is stopped
 * (StopQueryExecution) and the task fails cleanly, before Lambda kills the function mid-poll.
 */
export const STOP_MARGIN_MS = 30_000;

/** Poll timeout: the invocation's remaining time less the margin (15 minutes outside Lambda). */
export function queryTimeoutMs(context?: Pick<Context, 'getRemainingTimeInMillis'>): number | undefined {
  if (!context?.getRemainingTimeInMillis) return undefined;
  return Math.max(1000, context.getRemainingTimeInMillis() - STOP_MARGIN_MS);
}

/**
 * UNLOADs of published-class targets (a run's published tables) go to the publishing workgroup,
 * whose results (and so what UNLOAD writes) are encrypted with the published-data key; the rest
 * (enriched pupil rows staged for curated/) stay in the pipeline's workgroup and key.
 */
export function athenaUnloadWorkGroups(publishWorkGroup: string | undefined): ((prefix: string) => string | undefined) | undefined {
  if (!publishWorkGroup) return undefined;
  return (prefix) => (isPublishedClass(prefix.replace(/^\/+/, '')) ? publishWorkGroup : undefined);
}

export const athena = (c: AwsConfig, context?: Pick<Context, 'getRemainingTimeInMillis'>) =>
  new AthenaEngine({
    client: traced(new AthenaClient({})),
    workGroup: c.workGroup,
    unloadWorkGroupFor: athenaUnloadWorkGroups(c.publishWorkGroup),
    database: c.database,
    lakeUri: `s3://${c.lakeBucket}`,
    lake: lakeStore(c),
    timeoutMs: queryTimeoutMs(context),
  });
