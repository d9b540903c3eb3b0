/**
 * Profiles Lambda: two Step Functions tasks after every period is classified.
 *
 *   { runId, period, periods }        one period (a Map over the periods with pupils): its school
 *                                     and cluster profiles, what heads see, and its fair access
 *                                     without the trend (functions/profiles/analysis-stage.ts).
 *                                     Documents are written only for the latest of `periods`.
 *   { runId, periods, trend: true }   after every period: the fair-access trend across periods, the
 *                                     report with its trend, and the PDF fan-out's work list.
 *
 * Each period is its own invocation, so no 15-minute limit spans every year of England; large
 * results come back from Athena as UNLOADed Parquet read from S3 (SqlEngine.queryLarge), never
 * paged through GetQueryResults; documents are written many at a time.
 *
 * Documents and PDFs are published for the latest period only, as the local pipeline does
 * (functions/pipeline/run.ts): heads download this year's profiles, and earlier years keep the
 * documents and PDFs published while they were current.
 *
 * The PDF work list (batches of `batchSize` schools of the document period, then one item per
 * fair-access report) is written to `staging/<runId>/pdf-items.json`, and the Pdfs Distributed Map
 * reads it from S3 (ItemReader): however many schools, the state carries only its key and counts
 * (Step Functions' 256 KiB payload limit never applies to the URN list).
 *
 * Settings from the environment the stack sets: CATCHMENT_LA_NAME, CATCHMENT_SUPPRESSION_THRESHOLD.
 */
import { athena } from '../commons/athena.ts';
import type { Context } from 'aws-lambda';
import { awsConfig, lakeStore } from '../commons/config.ts';
import { logger } from '../commons/logger.ts';
import { count, instrumented } from '../commons/observability.ts';
import { periodOf, periodsOf, runIdOf } from '../commons/task.ts';
import { documentPeriods } from '../lake/publish.ts';
import { runRoot } from '../lake/publication.ts';
import { stagingRoot } from '../lake/tables.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';
import { fairAccessStage, profilesStage, trendStage, type AnalysisConfig } from '../profiles/analysis-stage.ts';
import { analyseAdmissions } from '../admissions/admissions-stage.ts';

export interface ProfilesTask {
  runId: string;
  /** The period of this invocation. */
  period: string;
  /** Every period profiled this run (the latest gets documents). */
  periods: string[];
}

export interface TrendTask {
  runId: string;
  periods: string[];
  trend: true;
  /**
   * Schools per PDF work item.
   * @default 50
   */
  batchSize?: number;
}

export interface ProfilesResult {
  runId: string;
  period: string;
  /** Schools profiled. */
  schools: number;
  /** Profile documents written (the document period only). */
  documents: number;
  /** Whether the period has contacts (fair access computed). */
  fairAccess: boolean;
}

export interface TrendResult {
  runId: string;
  periods: string[];
  /** Profile documents staged for the PDFs (the document period's schools). */
  documents: number;
  /** Periods with a fair-access report document. */
  reports: string[];
  /** The PDF work list in the lake, and how many items it holds. */
  itemsKey: string;
  items: number;
}

/** One PDF work item: a batch of schools of a period, or a period's fair-access report. */
export interface RenderItem {
  period: string;
  urns: string[];
  report: boolean;
}

export const pdfItemsKey = (runId: string) => `${stagingRoot(runId)}/pdf-items.json`;

/** Batches of `size` schools per period, then one item per report. */
export function renderItems(schools: Record<string, string[]>, reports: string[], size: number): RenderItem[] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`batchSize must be a whole number of at least 1 (got ${size})`);
  const out: RenderItem[] = [];
  for (const period of Object.keys(schools).sort()) {
    const urns = schools[period]!;
    for (let i = 0; i < urns.length; i += size) out.push({ period, urns: urns.slice(i, i + size), report: false });
  }
  for (const period of [...reports].sort()) out.push({ period, urns: [], report: true });
  return out;
}

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

interface Deps {
  lake: ObjectStore;
  sql: SqlEngine;
  config?: Partial<AnalysisConfig>;
}

const isTrend = (task: unknown): task is TrendTask => (task as { trend?: unknown } | null)?.trend === true;

/** One period's profiles and fair access. */
export async function runPeriodProfiles(task: ProfilesTask, deps: Deps): Promise<ProfilesResult> {
  const runId = runIdOf(task);
  const period = periodOf(task);
  const periods = periodsOf(task);
  if (!periods.includes(period)) throw new Error('task.period must be one of task.periods');
  const documents = documentPeriods(periods).includes(period);
  // Every stage runs on AWS (a night's outputs are all its own run's: docs/publishing.md).
  const base = { lake: deps.lake, sql: deps.sql, runId, period, periods, config: deps.config, documents, incremental: false };
  const p = await profilesStage(base);
  const f = await fairAccessStage(base);
  return { runId, period, schools: p.schools, documents: p.documents, fairAccess: f.clients };
}

/** The trend across periods and the PDF work list. */
export async function runTrend(task: TrendTask, deps: Deps): Promise<TrendResult> {
  const runId = runIdOf(task);
  const periods = periodsOf(task);
  const [documentPeriod = null] = documentPeriods(periods);
  const t = await trendStage({ lake: deps.lake, sql: deps.sql, runId, periods, documentPeriod, config: deps.config });
  // Admissions go with fair access: their outcomes, and their section and maps in the report the trend just wrote (functions/admissions).
  await analyseAdmissions({ lake: deps.lake, sql: deps.sql, runId, periods });
  const schools: Record<string, string[]> = {};
  if (documentPeriod) schools[documentPeriod] = await stagedSchools(deps.lake, runId, documentPeriod);
  const reports = t.report && documentPeriod ? [documentPeriod] : [];
  const items = renderItems(schools, reports, task.batchSize ?? 50);
  const itemsKey = pdfItemsKey(runId);
  await deps.lake.put(itemsKey, JSON.stringify(items));
  const documents = Object.values(schools).reduce((n, u) => n + u.length, 0);
  return { runId, periods, documents, reports, itemsKey, items: items.length };
}

/** Either task with its dependencies given (the handler passes Athena and the S3 lake). */
export async function runProfiles(task: ProfilesTask | TrendTask, deps: Deps): Promise<ProfilesResult | TrendResult> {
  return isTrend(task) ? runTrend(task, deps) : runPeriodProfiles(task as ProfilesTask, deps);
}

export const handler = instrumented(async (task: ProfilesTask | TrendTask, context?: Context): Promise<ProfilesResult | TrendResult> => {
  const config = awsConfig();
  const result = await runProfiles(task, { lake: lakeStore(config), sql: athena(config, context), config: analysisConfigFromEnv() });
  if ('period' in result) {
    count('SchoolsProfiled', result.schools);
    logger.info('period profiled', { runId: result.runId, period: result.period, schools: result.schools, documents: result.documents, fairAccess: result.fairAccess });
  } else {
    count('FairAccessReports', result.reports.length);
    logger.info('trend and PDF work list', { runId: result.runId, periods: result.periods, documents: result.documents, reports: result.reports, items: result.items });
  }
  return result;
});
