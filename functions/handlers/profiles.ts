/**
 * Profiles Lambda: one Step Functions task `{ runId, periods }` after every period is classified.
 * Runs the profiles and fair-access stage (functions/profiles/analysis-stage.ts) on Athena over
 * all the periods at once (the trend compares every year with the one before), staging the
 * published tables and the JSON documents under staging/<runId>/.
 *
 * Documents and PDFs are published for the latest period only, as the local pipeline does
 * (functions/pipeline/run.ts): heads download this year's profiles, and earlier years keep the
 * documents and PDFs published while they were current. So the staged documents of the earlier
 * periods are deleted here (their tables are still published: the trend needs them).
 *
 * Returns what the PDF fan-out needs: for the latest period, the URNs of the staged school
 * documents, and whether it has a fair-access report. For one LA (hundreds of schools, 6-digit
 * URNs) the list is a few KB, well inside Step Functions' 256 KiB payload, so it travels inline and
 * the Pdfs Map reads it from the state; `MAX_INLINE_URNS` refuses (with a message saying what to
 * change) a size that would need a Distributed Map reading the list from S3 instead.
 *
 * Settings from the environment the stack sets: CATCHMENT_LA_NAME, CATCHMENT_SUPPRESSION_THRESHOLD.
 */
import { athena } from '../commons/athena.ts';
import type { Context } from 'aws-lambda';
import { awsConfig, lakeStore } from '../commons/config.ts';
import { logger } from '../commons/logger.ts';
import { count, instrumented } from '../commons/observability.ts';
import { periodsOf, runIdOf } from '../commons/task.ts';
import { keepLatestDocuments } from '../lake/publish.ts';
import { runRoot } from '../lake/publication.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';
import { analyse, type AnalysisConfig } from '../profiles/analysis-stage.ts';

export interface ProfilesTask {
  runId: string;
  /** Periods to profile (the classified periods that have pupils). */
  periods: string[];
}

export interface ProfilesResult {
  runId: string;
  /** The periods profiled (tables staged for each). */
  periods: string[];
  /** Per period whose documents are published (the latest), the URNs of its staged profile documents (sorted). */
  schools: Record<string, string[]>;
  /** Those periods with a fair-access report document. */
  reports: string[];
  /** Profile documents staged for publishing. */
  documents: number;
}


/**
 * URNs returned inline: ~9 bytes each in JSON, so 20,000 keep the result near 180 KB, under the
 * 256 KiB Step Functions payload limit with room for the rest of the state.
 */
export const MAX_INLINE_URNS = 20_000;

/** Analysis settings from the environment (unset: the stage's defaults). */
export function analysisConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<AnalysisConfig> {
  const out: Partial<AnalysisConfig> = {};
  if (env.CATCHMENT_LA_NAME) out.laName = env.CATCHMENT_LA_NAME;
  const t = env.CATCHMENT_SUPPRESSION_THRESHOLD;
  if (t !== undefined && t !== '') {
    if (!/^\d{1,4}$/.test(t)) throw new Error('CATCHMENT_SUPPRESSION_THRESHOLD must be a whole number');
    out.threshold = Number(t);
  }
  return out;
}

/** The URNs of the school documents a run wrote for a period (`<urn>.json` under runs/<run>/published/profiles/<period>/). */
export async function stagedSchools(lake: ObjectStore, runId: string, period: string): Promise<string[]> {
  const prefix = `${runRoot(runId)}/published/profiles/${period}/`;
  return (await lake.list(prefix))
    .map((o) => o.key.slice(prefix.length))
    .filter((name) => /^\d{6}\.json$/.test(name))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

/** The task with its dependencies given (the handler passes Athena and the S3 lake). */
export async function runProfiles(task: ProfilesTask, deps: { lake: ObjectStore; sql: SqlEngine; config?: Partial<AnalysisConfig> }): Promise<ProfilesResult> {
  const runId = runIdOf(task);
  const periods = periodsOf(task);
  if (periods.length === 0) return { runId, periods, schools: {}, reports: [], documents: 0 };
  const report = await analyse({ lake: deps.lake, sql: deps.sql, runId, periods, config: deps.config });
  const published = await keepLatestDocuments(deps.lake, runId, periods);
  const schools: Record<string, string[]> = {};
  for (const period of published) schools[period] = await stagedSchools(deps.lake, runId, period);
  const total = Object.values(schools).reduce((n, u) => n + u.length, 0);
  if (total > MAX_INLINE_URNS) {
    throw new Error(
      `${total} school documents are too many to pass inline to the PDF fan-out (at most ${MAX_INLINE_URNS}); ` +
        'switch the Pdfs state to a Distributed Map reading the URN list from S3',
    );
  }
  const documents = Object.values(schools).reduce((n, u) => n + u.length, 0);
  return { runId, periods, schools, reports: report.fairAccessPeriods.filter((p) => published.includes(p)).sort(), documents };
}

export const handler = instrumented(async (task: ProfilesTask, context?: Context): Promise<ProfilesResult> => {
  const config = awsConfig();
  const result = await runProfiles(task, { lake: lakeStore(config), sql: athena(config, context), config: analysisConfigFromEnv() });
  const perPeriod = Object.fromEntries(Object.entries(result.schools).map(([p, u]) => [p, u.length]));
  count('SchoolsProfiled', result.documents);
  count('FairAccessReports', result.reports.length);
  logger.info('profiles finished', { runId: result.runId, periods: result.periods, schools: perPeriod, fairAccessPeriods: result.reports });
  return result;
});
