/**
 * The final step of a run: publish what it wrote under runs/<runId>/ by flipping the publication
 * pointer (functions/lake/publication.ts), then let superseded runs go. Its own module (imported by
 * run.ts and by the publish Lambda) so the publish bundle carries only the object store and the
 * table contracts, not the ingest, analysis or PDF stages.
 */
import { PUBLISHED_TABLES } from '../../schemas/published.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { flipPublication, runRoot, type Publication } from './publication.ts';
import { publishedItem } from './tables.ts';

/**
 * Folders of documents published per period, `published/<folder>/<period>/`: each school's profile
 * (JSON and PDF) and the LA's fair-access report (JSON and PDF).
 */
export const DOCUMENT_FOLDERS = ['profiles', 'reports'] as const;

/**
 * The periods whose documents and PDFs a run publishes: the latest profiled one. Heads download
 * this year's profile; earlier years keep the documents and PDFs published when they were current.
 */
export const documentPeriods = (profiled: readonly string[]): string[] => [...profiled].sort().slice(-1);

/**
 * Drop the documents a run wrote for every profiled period that is not published (see
 * documentPeriods), so publishing leaves those years' published documents as they are. Returns the
 * published periods.
 */
export async function keepLatestDocuments(lake: ObjectStore, runId: string, profiled: readonly string[], opts: { none?: boolean } = {}): Promise<string[]> {
  const published = opts.none ? [] : documentPeriods(profiled);
  for (const period of profiled.filter((p) => !published.includes(p))) {
    for (const folder of DOCUMENT_FOLDERS) await lake.deletePrefix(`${runRoot(runId)}/published/${folder}/${period}/`);
  }
  return published;
}

/**
 * The items a run publishes: every published table's partition of each period (a partition the run
 * wrote no rows for is published empty), and each document folder the run holds documents in,
 * except the `leave` items (those of stages an incremental run skipped).
 */
export async function runItems(lake: ObjectStore, runId: string, periods: string[], leave: readonly string[] = []): Promise<string[]> {
  const items: string[] = [];
  for (const table of PUBLISHED_TABLES) for (const period of periods) items.push(publishedItem(table, period));
  for (const folder of DOCUMENT_FOLDERS) {
    for (const period of periods) {
      const item = `published/${folder}/${period}`;
      if ((await lake.list(`${runRoot(runId)}/${item}/`)).length > 0) items.push(item);
    }
  }
  return items.filter((i) => !leave.includes(i));
}

/**
 * Publish a run's partitions of `periods` and its document folders: one PUT of the pointer.
 * Idempotent (a run already published is left as it is). Returns the items and the pointer.
 */
export async function publish(
  lake: ObjectStore,
  runId: string,
  periods: string[],
  progress: ProgressSink = noProgress,
  /** Items of stages the run skipped (inputs unchanged): they keep pointing at the run that made them. */
  leave: readonly string[] = [],
): Promise<{ items: string[]; publication: Publication; flipped: boolean }> {
  const items = await runItems(lake, runId, periods, leave);
  progress({ stage: 'publish', item: `${items.length} partitions and folders of run ${runId}` });
  const { publication, flipped } = await flipPublication(lake, runId, items);
  return { items, publication, flipped };
}
