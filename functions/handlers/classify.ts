/** Classify Lambda: a Step Functions task `{ runId, period }` runs the classify stage on Athena. */
import { awsConfig, athena, lakeStore } from '../commons/config.ts';
import { logger } from '../commons/logger.ts';
import { classify } from '../classify/classify-stage.ts';

export interface ClassifyTask {
  runId: string;
  period: string;
}

export const handler = async (task: ClassifyTask) => {
  if (!task?.runId || !/^[\w.-]{1,80}$/.test(task.runId)) throw new Error('task.runId is required (letters, digits, . _ -)');
  if (!task.period || !/^\d{4}-\d{2}$/.test(task.period)) throw new Error('task.period must be an academic year such as 2025-26');
  const config = awsConfig();
  const report = await classify({ lake: lakeStore(config), sql: athena(config), runId: task.runId, period: task.period });
  logger.info('classify finished', { runId: task.runId, period: task.period, pupils: report.pupils, contacts: report.contacts });
  return report;
};
