/** Classify Lambda: a Step Functions task `{ runId, period }` runs the classify stage on Athena. */
import { athena } from '../commons/athena.ts';
import { awsConfig, lakeStore } from '../commons/config.ts';
import { logger } from '../commons/logger.ts';
import { count, instrumented, metrics, MetricUnit } from '../commons/observability.ts';
import { periodOf, runIdOf } from '../commons/task.ts';
import { classify } from '../classify/classify-stage.ts';

export interface ClassifyTask {
  runId: string;
  period: string;
}

export const handler = instrumented(async (task: ClassifyTask) => {
  const runId = runIdOf(task);
  const period = periodOf(task);
  const config = awsConfig();
  const report = await classify({ lake: lakeStore(config), sql: athena(config), runId, period });
  const p = report.pupils;
  count('PupilsClassified', p.total);
  count('ContactsClassified', report.contacts.total);
  if (p.total > 0) metrics.addMetric('PupilPostcodeMatchRate', MetricUnit.Percent, (100 * (p.exact + p.terminated + p.sector)) / p.total);
  logger.info('classify finished', { runId, period, pupils: report.pupils, contacts: report.contacts });
  return report;
});
