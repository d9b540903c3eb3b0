/**
 * Render-PDFs Lambda: the PDF fan-out of the nightly run. Tasks (Step Functions):
 *
 *   { runId, period, urns: [...] }     one batch: those schools' profile PDFs (a Map item)
 *   { runId, period, report: true }    the LA's fair-access report PDF (a Map item)
 *   { runId, periods, finish: true }   after every batch: merge the batches' render manifests
 *   { runId, period }                  everything of a period in one call (manual or small runs)
 *
 * Documents are read from, and PDFs written under, runs/<runId>/published/{profiles,reports}/
 * <period>/; a document unchanged since the published run (found through the publication pointer)
 * is not rendered again, its published PDF is copied instead (renderPdfs with `stagingRoot`). Rendering runs in this thread (`workers: 0`):
 * a Lambda has one or two vCPUs and the bundle carries no worker entry point.
 */
import { awsConfig, lakeStore } from '../commons/config.ts';
import { logger } from '../commons/logger.ts';
import { count, instrumented } from '../commons/observability.ts';
import { periodOf, periodsOf, runIdOf, urnsOf } from '../commons/task.ts';
import { mergeRenderManifests, renderPdfs } from '../pdf/render-stage.ts';
import { PublishedView, runRoot } from '../lake/publication.ts';
import type { ObjectStore } from '../ports/object-store.ts';

export interface RenderBatchTask {
  runId: string;
  period: string;
  /** School URNs of this batch. */
  urns?: string[];
  /** Render the fair-access report. */
  report?: boolean;
}

export interface FinishTask {
  runId: string;
  periods: string[];
  finish: true;
}

export type RenderPdfsTask = RenderBatchTask | FinishTask;

export interface RenderPdfsResult {
  runId: string;
  period?: string;
  periods?: string[];
  rendered: number;
  skipped: number;
  /** Documents in the merged manifests (finish). */
  documents?: number;
}

/** The task against a given lake (the handler passes the S3 lake). */
export async function runRenderPdfs(task: RenderPdfsTask, lake: ObjectStore): Promise<RenderPdfsResult> {
  const runId = runIdOf(task);
  const root = runRoot(runId);
  if ((task as FinishTask).finish === true) {
    const periods = periodsOf(task);
    let documents = 0;
    for (const period of periods) documents += await mergeRenderManifests({ lake, period, stagingRoot: root });
    return { runId, periods, rendered: 0, skipped: 0, documents };
  }
  const period = periodOf(task);
  const urns = urnsOf(task);
  const report = (task as RenderBatchTask).report === true;
  const only = urns || report ? { urns: urns ?? [], report } : undefined;
  // Previous PDFs through the pointer (an unchanged school's is copied); new ones into the run.
  const r = await renderPdfs({ lake: new PublishedView(lake), period, stagingRoot: root, workers: 0, only });
  const expected = (urns?.length ?? 0) + (report ? 1 : 0);
  if (only && r.rendered + r.skipped !== expected) {
    throw new Error(`${expected - r.rendered - r.skipped} of the ${expected} documents of this batch are not staged under ${root}/published/ for ${period}`);
  }
  return { runId, period, rendered: r.rendered, skipped: r.skipped };
}

export const handler = instrumented(async (task: RenderPdfsTask): Promise<RenderPdfsResult> => {
  const result = await runRenderPdfs(task, lakeStore(awsConfig()));
  count('PdfsRendered', result.rendered);
  count('PdfsUnchanged', result.skipped);
  logger.info(result.periods ? 'render manifests merged' : 'pdfs rendered', { ...result });
  return result;
});
