/**
 * Publish Lambda: the last task of the nightly run. Moves the run's staged published partitions into
 * place and writes the manifest, so a night that failed earlier never half-publishes.
 */
import { awsConfig, lakeStore } from '../commons/config.ts';
import { logger } from '../commons/logger.ts';
import { publish } from '../pipeline/run.ts';

export interface PublishTask {
  runId: string;
  periods: string[];
}

export const handler = async (task: PublishTask) => {
  if (!task?.runId || !/^[\w.-]{1,80}$/.test(task.runId)) throw new Error('task.runId is required');
  if (!Array.isArray(task.periods) || task.periods.some((p) => !/^\d{4}-\d{2}$/.test(p))) throw new Error('task.periods must be academic years');
  const lake = lakeStore(awsConfig());
  const published = await publish(lake, task.runId, task.periods);
  const manifest = { runId: task.runId, status: 'succeeded', finishedAt: new Date().toISOString(), published };
  await lake.put(`manifests/${task.runId}.json`, JSON.stringify(manifest, null, 2));
  await lake.put('manifests/latest.json', JSON.stringify(manifest, null, 2));
  logger.info('published', { runId: task.runId, partitions: published.length });
  return manifest;
};
