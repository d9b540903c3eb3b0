/**
 * The final step of a run: move every staged published partition and document folder into place.
 * Its own module (imported by run.ts and by the publish Lambda) so the publish bundle carries only
 * the object store and the table contracts, not the ingest, analysis or PDF stages.
 */
import { PUBLISHED_TABLES } from '../../schemas/published.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { promotePartition, stagingRoot } from './tables.ts';

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
 * Drop the staged documents of every profiled period that is not published (see documentPeriods),
 * so publish leaves those years' published documents as they are. Returns the published periods.
 */
export async function keepLatestDocuments(lake: ObjectStore, runId: string, profiled: readonly string[], opts: { none?: boolean } = {}): Promise<string[]> {
  const published = opts.none ? [] : documentPeriods(profiled);
  for (const period of profiled.filter((p) => !published.includes(p))) {
    for (const folder of DOCUMENT_FOLDERS) await lake.deletePrefix(`${stagingRoot(runId)}/published/${folder}/${period}/`);
  }
  return published;
}

/** Every staged published partition of `periods` moved into place, then the document folders. */
export async function publish(lake: ObjectStore, runId: string, periods: string[], progress: ProgressSink = noProgress): Promise<string[]> {
  const out: string[] = [];
  for (const table of PUBLISHED_TABLES) {
    for (const period of periods) {
      progress({ stage: 'publish', item: `${table.name}/period=${period}` });
      out.push(await promotePartition(lake, runId, table, period));
    }
  }
  // Documents (per-school profiles, the LA report) and the PDFs rendered from them.
  for (const folder of DOCUMENT_FOLDERS) {
    for (const period of periods) {
      const target = `published/${folder}/${period}`;
      const staged = `${stagingRoot(runId)}/${target}`;
      if ((await lake.list(staged + '/')).length === 0) continue;
      progress({ stage: 'publish', item: target });
      await lake.replacePrefix(staged, target);
      out.push(target);
    }
  }
  return out;
}
