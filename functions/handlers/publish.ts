/**
 * Publish Lambda: the last task of the nightly run, `{ runId, periods }`. Moves the run's staged
 * published partitions and document folders (profiles, reports: JSON and PDF) of every period it
 * is given into place and writes the manifest, so a night that failed earlier never half-publishes.
 * Imports only functions/pipeline/publish.ts, so the bundle carries no stage code.
 */
import { awsConfig, lakeStore } from '../commons/config.ts';
import { logger } from '../commons/logger.ts';
import { count, instrumented } from '../commons/observability.ts';
import { periodsOf, runIdOf } from '../commons/task.ts';
import { publish } from '../lake/publish.ts';
import { CODE_VERSION } from '../commons/version.ts';

export interface PublishTask {
  runId: string;
  periods: string[];
  /** Counts from the earlier steps, recorded in the manifest (no row data). */
  summary?: Record<string, unknown>;
}

export interface PublishManifest {
  runId: string;
  status: 'succeeded';
  finishedAt: string;
  codeVersion: string;
  engine: 'athena';
  periods: string[];
  published: string[];
  summary?: Record<string, unknown>;
}

/** Only plain numbers, strings and lists/objects of them, a few KB at most: the manifest is not a dump. */
function summaryOf(task: PublishTask): Record<string, unknown> | undefined {
  const s = task.summary;
  if (!s || typeof s !== 'object' || Array.isArray(s)) return undefined;
  const json = JSON.stringify(s);
  return json.length <= 16_384 ? (JSON.parse(json) as Record<string, unknown>) : undefined;
}

export const handler = instrumented(async (task: PublishTask): Promise<PublishManifest> => {
  const runId = runIdOf(task);
  const periods = periodsOf(task);
  const lake = lakeStore(awsConfig());
  const published = await publish(lake, runId, periods);
  const summary = summaryOf(task);
  const manifest: PublishManifest = {
    runId,
    status: 'succeeded',
    finishedAt: new Date().toISOString(),
    codeVersion: CODE_VERSION,
    engine: 'athena',
    periods,
    published,
    ...(summary ? { summary } : {}),
  };
  const body = JSON.stringify(manifest, null, 2);
  await lake.put(`manifests/${runId}.json`, body);
  await lake.put('manifests/latest.json', body);
  count('PartitionsPublished', published.length);
  logger.info('published', { runId, periods, partitions: published.length });
  return manifest;
});
