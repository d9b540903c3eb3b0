/** Classify Lambda: a Step Functions task `{ runId, period }` runs the classify stage on Athena. */
import { athena } from '../commons/athena.ts';
import { awsConfig, lakeStore } from '../commons/config.ts';
import { logger } from '../commons/logger.ts';
import { count, instrumented, metrics, MetricUnit } from '../commons/observability.ts';
import { periodOf, runIdOf } from '../commons/task.ts';
import { classify } from '../classify/classify-stage.ts';
import type { Context } from 'aws-lambda';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';

export interface ClassifyTask {
  runId: string;
  period: string;
}

/** The task with its dependencies given (the handler passes Athena and the S3 lake). */
export async function runClassify(task: ClassifyTask, deps: { lake: ObjectStore; sql: SqlEngine }) {
  return classify({ lake: deps.lake, sql: deps.sql, runId: runIdOf(task), period: periodOf(task) });
}

export const handler = instrumented(async (task: ClassifyTask, context?: Context) => {
  const runId = runIdOf(task);
  const period = periodOf(task);
  const config = awsConfig();
  const report = await runClassify(task, { lake: lakeStore(config), sql: athena(config, context) });
  const p = report.pupils;
  count('PupilsClassified', p.total);
  count('ContactsClassified', report.contacts.total);
  if (p.total > 0) metrics.addMetric('PupilPostcodeMatchRate', MetricUnit.Percent, (100 * (p.exact + p.terminated + p.sector)) / p.total);
  logger.info('classify finished', { runId, period, pupils: report.pupils, contacts: report.contacts });
  return report;
});
