/**
 * Ingest Lambda: an upload to raw/<dataset>/ (S3 event notification or EventBridge "Object Created")
 * re-ingests that dataset's files into curated Parquet. Thin shell over the ingest stage.
 */
import type { Context, S3Event } from 'aws-lambda';
import { INPUT_DATASETS, type InputDataset } from '../../schemas/inputs.ts';
import { awsConfig, lakeStore, pseudonymKey, rawStore } from '../commons/config.ts';
import { logger } from '../commons/logger.ts';
import { count, instrumented } from '../commons/observability.ts';
import { ingest } from '../ingest/ingest-stage.ts';
import { settingsFromEnv, type IngestSettings } from '../ingest/settings.ts';
import { currentPeriod } from '../domain/periods.ts';
import { acquireLakeLock, releaseLakeLock } from '../lake/lock.ts';

interface EventBridgeS3Event {
  'detail-type': string;
  detail: { bucket: { name: string }; object: { key: string } };
}

/** Datasets touched by the event's object keys (raw/<dataset>/...). */
export function datasetsOf(event: S3Event | EventBridgeS3Event): InputDataset[] {
  const keys =
    'Records' in event
      ? event.Records.map((r) => decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')))
      : [event.detail.object.key];
  const found = new Set<InputDataset>();
  for (const key of keys) {
    const dataset = key.split('/')[1] as InputDataset;
    if (key.startsWith('raw/') && INPUT_DATASETS.includes(dataset)) found.add(dataset);
  }
  return INPUT_DATASETS.filter((d) => found.has(d));
}

export const handler = instrumented(async (event: S3Event | EventBridgeS3Event, context?: Context) => {
  const config = awsConfig();
  // The CLI's --classification, --la-code and --cluster-column, from the environment the stack
  // sets: a wrong value fails here, before the lake lock is taken.
  const settings = settingsFromEnv();
  const datasets = datasetsOf(event);
  if (datasets.length === 0) {
    logger.warn('event names no raw/<dataset>/ object; nothing to ingest');
    return { datasets: [] };
  }
  const runId = `ingest-${context?.awsRequestId ?? Date.now().toString(36)}`;
  const lake = lakeStore(config);
  // Never change curated/ under a nightly run: wait for it (most of this invocation), else fail
  // with LakeBusyError and let the asynchronous invocation's retries come back later.
  const remaining = context?.getRemainingTimeInMillis?.() ?? 60_000;
  await acquireLakeLock(lake, runId, 'ingest', { ttlMs: 20 * 60_000, waitMs: Math.max(0, remaining - 5 * 60_000), pollMs: 15_000 });
  try {
    return await ingestDatasets(config, lake, runId, datasets, settings);
  } finally {
    await releaseLakeLock(lake, runId);
  }
});

async function ingestDatasets(config: ReturnType<typeof awsConfig>, lake: ReturnType<typeof lakeStore>, runId: string, datasets: InputDataset[], settings: IngestSettings) {
  const reports = await ingest({
    raw: rawStore(config),
    lake,
    runId,
    period: config.defaultPeriod ?? currentPeriod(),
    pseudonymKey: await pseudonymKey(config),
    datasets,
    ...settings,
  });
  const summary = Object.values(reports).map((r) => ({
    dataset: r.dataset,
    read: r.read,
    accepted: r.accepted,
    quarantined: r.quarantined,
    quarantinedByReason: r.quarantinedByReason,
    partitions: r.partitions,
    // The LA the pupils were checked against (option or inferred) and pupils per LA: counts only.
    ...(r.la ? { la: r.la } : {}),
  }));
  count('RowsRead', summary.reduce((n, d) => n + d.read, 0));
  count('RowsIngested', summary.reduce((n, d) => n + d.accepted, 0));
  count('RowsQuarantined', summary.reduce((n, d) => n + d.quarantined, 0));
  logger.info('ingest finished', { runId, summary });
  return { runId, datasets: summary };
}
