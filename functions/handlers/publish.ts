/**
 * Publish Lambda: the nightly run's last steps, three tasks:
 *
 *   { runId, periods, summary }      publish: flip the publication pointer to the run's outputs
 *                                    (runs/<runId>/published/...), point the Glue partitions of the
 *                                    published tables at them, write manifests/<runId>.json and
 *                                    manifests/latest.json. Idempotent: a retried or redriven publish
 *                                    of a run already published changes nothing and answers the same.
 *   { runId, cleanup: true }         delete superseded runs (those neither the current nor the
 *                                    previous publication names), and this run's staging area.
 *   { runId, failed: true, error }   the failure path: a "failed" manifest (latest.json untouched),
 *                                    and the lake lock given back.
 *   { runId, lock: 'acquire' }       take the lake lock (LakeBusyError while an ingest holds it).
 *   { runId, lock: 'release' }       give it back.
 *
 * Imports only the lake modules, so the bundle carries no stage code.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { PUBLISHED_TABLES } from '../../schemas/published.ts';
import { awsConfig, lakeStore } from '../commons/config.ts';
import { logger } from '../commons/logger.ts';
import { count, instrumented, traced } from '../commons/observability.ts';
import { periodsOf, runIdOf } from '../commons/task.ts';
import { publish } from '../lake/publish.ts';
import { runRoot, sweepRuns, type Publication } from '../lake/publication.ts';
import { stagingRoot } from '../lake/tables.ts';
import { acquireLakeLock, releaseLakeLock } from '../lake/lock.ts';
import { tablePrefix } from '../../schemas/columns.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { syncPartitions, type PartitionLocation } from '../ports/glue-partitions.ts';
import { CODE_VERSION } from '../commons/version.ts';

export interface PublishTask {
  runId: string;
  periods?: string[];
  /** Counts from the earlier steps, recorded in the manifest (no row data). */
  summary?: Record<string, unknown>;
  cleanup?: boolean;
  failed?: boolean;
  /** Take or give back the lake lock (ingest waits while a night holds it). */
  lock?: 'acquire' | 'release';
  /** The error name and cause of a failed night (truncated; never row data). */
  error?: unknown;
}

export interface PublishManifest {
  runId: string;
  status: 'succeeded' | 'failed';
  finishedAt: string;
  codeVersion: string;
  engine: 'athena';
  periods: string[];
  published: string[];
  summary?: Record<string, unknown>;
  error?: string;
}

/** Only plain numbers, strings and lists/objects of them, a few KB at most: the manifest is not a dump. */
function summaryOf(task: PublishTask): Record<string, unknown> | undefined {
  const s = task.summary;
  if (!s || typeof s !== 'object' || Array.isArray(s)) return undefined;
  const json = JSON.stringify(s);
  return json.length <= 16_384 ? (JSON.parse(json) as Record<string, unknown>) : undefined;
}

/** Glue partition locations of every published table partition the pointer names. */
export function partitionLocations(pub: Publication, lakeBucket: string): PartitionLocation[] {
  const out: PartitionLocation[] = [];
  for (const t of PUBLISHED_TABLES) {
    const prefix = `${tablePrefix(t)}/${t.partitions[0]}=`;
    for (const [item, run] of Object.entries(pub.items)) {
      if (!item.startsWith(prefix)) continue;
      out.push({ table: t.name, values: [item.slice(prefix.length)], location: `s3://${lakeBucket}/${runRoot(run)}/${item}/` });
    }
  }
  return out;
}

export interface PublishDeps {
  lake: ObjectStore;
  /** Glue client and database, to point Athena's partitions at the published runs. */
  glue?: { client: GlueClient; database: string; lakeBucket: string };
  now?: () => Date;
}

/** The task with its dependencies given (the handler passes the S3 lake and Glue). */
export async function runPublish(task: PublishTask, deps: PublishDeps): Promise<PublishManifest | { runId: string; deleted: string[] }> {
  const runId = runIdOf(task);
  const { lake } = deps;
  const now = deps.now ?? (() => new Date());
  if (task.lock === 'acquire') {
    // Held at most the state machine's timeout and a margin; LakeBusyError is retried by the state.
    await acquireLakeLock(lake, runId, 'run', { ttlMs: 7 * 3600_000 });
    return { runId, deleted: [] };
  }
  if (task.lock === 'release') {
    await releaseLakeLock(lake, runId);
    return { runId, deleted: [] };
  }
  if (task.cleanup === true) {
    const deleted = await sweepRuns(lake, [runId]);
    await lake.deletePrefix(`${stagingRoot(runId)}/`);
    return { runId, deleted };
  }
  if (task.failed === true) {
    const e = task.error as { Error?: unknown; Cause?: unknown } | string | undefined;
    const text = typeof e === 'string' ? e : `${String(e?.Error ?? 'error')}: ${String(e?.Cause ?? '')}`;
    const manifest: PublishManifest = { runId, status: 'failed', finishedAt: now().toISOString(), codeVersion: CODE_VERSION, engine: 'athena', periods: [], published: [], error: text.slice(0, 2000) };
    await lake.put(`manifests/${runId}.json`, JSON.stringify(manifest, null, 2));
    await releaseLakeLock(lake, runId);
    return manifest;
  }
  const periods = periodsOf(task);
  const { items, publication } = await publish(lake, runId, periods);
  if (deps.glue) await syncPartitions(deps.glue.client, deps.glue.database, partitionLocations(publication, deps.glue.lakeBucket));
  const summary = summaryOf(task);
  const manifest: PublishManifest = {
    runId,
    status: 'succeeded',
    finishedAt: now().toISOString(),
    codeVersion: CODE_VERSION,
    engine: 'athena',
    periods,
    published: items,
    ...(summary ? { summary } : {}),
  };
  const body = JSON.stringify(manifest, null, 2);
  await lake.put(`manifests/${runId}.json`, body);
  // latest.json names the newest publication: a retried publish of an older run does not move it back.
  if (publication.runId === runId) await lake.put('manifests/latest.json', body);
  return manifest;
}

let glue: GlueClient | undefined;

export const handler = instrumented(async (task: PublishTask) => {
  const config = awsConfig();
  const result = await runPublish(task, {
    lake: lakeStore(config),
    glue: { client: (glue ??= traced(new GlueClient({}))), database: config.database, lakeBucket: config.lakeBucket },
  });
  if ('deleted' in result) {
    count('RunsDeleted', result.deleted.length);
    logger.info('superseded runs deleted', { runId: result.runId, deleted: result.deleted.length });
  } else if (result.status === 'failed') {
    logger.info('failed run recorded', { runId: result.runId });
  } else {
    count('PartitionsPublished', result.published.length);
    logger.info('published', { runId: result.runId, periods: result.periods, items: result.published.length });
  }
  return result;
});
