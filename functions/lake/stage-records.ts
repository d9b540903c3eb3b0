/**
 * Stage records: what each stage of a run made, from what. The incremental nightly run rests on
 * them (docs/publishing.md, "Incremental runs").
 *
 * A stage of a run (classify-pupils, classify-contacts, profiles or fair-access, for one period;
 * admissions, for all the run's periods together, recorded under the latest) writes `runs/<runId>/_stages/<stage>/<period>.json` once its outputs are complete: the
 * fingerprint of its inputs (a hash of the bytes of the input files behind them, the settings and
 * the code: functions/lake/fingerprints.ts), the published items it wrote, and its report.
 *
 * A stage is skipped when the publication already holds its outputs made from identical inputs:
 * every item it would write is named by the pointer, all of them from one run, and that run's
 * record of the stage has the same fingerprint. The run then writes nothing for the stage, and
 * publishing leaves those items pointing at the run that made them (publish-by-pointer). Only
 * published runs are trusted: a run that failed or was never published is never named by the
 * pointer, so its records are never read.
 *
 * Curated results a stage writes in place (the enriched partitions of classify and admissions) carry their own marker
 * (`markerKey`), so a skip also requires that the curated copy is the one the fingerprint names
 * (a failed night may have replaced it since).
 */
import { NotFoundError, type ObjectStore } from '../ports/object-store.ts';
import { readPublication, runRoot, type Publication } from './publication.ts';

export const STAGES = ['classify-pupils', 'classify-contacts', 'profiles', 'fair-access', 'enrich-admissions', 'admissions'] as const;
export type StageName = (typeof STAGES)[number];

export interface StageRecord<R = unknown> {
  stage: StageName;
  period: string;
  runId: string;
  /** sha256 of the stage's inputs; null when some input could not be fingerprinted (never skipped). */
  fingerprint: string | null;
  /** Published items (pointer keys) the stage wrote. */
  items: string[];
  /** The stage's report, returned again when a later run skips it. */
  result: R;
}

export const stagesPrefix = (runId: string) => `${runRoot(runId)}/_stages`;
export const recordKey = (runId: string, stage: StageName, period: string) => `${stagesPrefix(runId)}/${stage}/${period}.json`;

async function readJson<T>(lake: ObjectStore, key: string): Promise<T | null> {
  try {
    return JSON.parse(Buffer.from(await lake.get(key)).toString('utf8')) as T;
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
}

export async function writeStageRecord<R>(lake: ObjectStore, record: StageRecord<R>): Promise<void> {
  await lake.put(recordKey(record.runId, record.stage, record.period), `${JSON.stringify({ ...record, items: [...record.items].sort() }, null, 1)}\n`);
}

export async function readStageRecord<R>(lake: ObjectStore, runId: string, stage: StageName, period: string): Promise<StageRecord<R> | null> {
  return readJson<StageRecord<R>>(lake, recordKey(runId, stage, period));
}

/** Every record a run wrote (what it publishes). */
export async function runRecords(lake: ObjectStore, runId: string): Promise<StageRecord[]> {
  const out: StageRecord[] = [];
  for (const o of await lake.list(`${stagesPrefix(runId)}/`)) {
    if (!o.key.endsWith('.json')) continue;
    const r = await readJson<StageRecord>(lake, o.key);
    if (r) out.push(r);
  }
  return out;
}

/**
 * The published record of a stage with this fingerprint, if the publication holds every one of
 * `items` from the run that made them with these inputs; null otherwise (the stage must run).
 * A stage with no items (classify-contacts: its output is curated) is found through its marker
 * instead (`currentMarker`).
 */
export async function publishedRecord<R>(
  lake: ObjectStore,
  stage: StageName,
  period: string,
  fingerprint: string | null,
  items: readonly string[],
  opts: { publication?: Publication | null; accept?: (record: StageRecord<R>) => boolean } = {},
): Promise<StageRecord<R> | null> {
  if (!fingerprint || items.length === 0) return null;
  const publication = opts.publication === undefined ? await readPublication(lake) : opts.publication;
  if (!publication) return null;
  const runs = new Set(items.map((i) => publication.items[i]));
  if (runs.size !== 1) return null;
  const [runId] = [...runs];
  if (!runId) return null;
  const record = await readStageRecord<R>(lake, runId, stage, period);
  if (!record || record.fingerprint !== fingerprint) return null;
  return items.every((i) => record.items.includes(i)) && (opts.accept?.(record) ?? true) ? record : null;
}

/** Marker beside a curated result a stage replaced in place: which inputs it was made from. */
export interface Marker<R = unknown> {
  stage: StageName;
  period: string;
  runId: string;
  fingerprint: string | null;
  result: R;
}

/** Where a curated table's markers are: outside the table's folder, so no engine reads a marker as table data. */
export const markerFolder = (tablePrefix: string) => `curated/_made-from/${tablePrefix.replace(/^curated\//, '')}`;
export const markerKey = (tablePrefix: string, period: string) => `${markerFolder(tablePrefix)}/${period}.json`;

/** Forget what a curated partition was made from (before it is replaced: a crash then never leaves a stale marker). */
export async function clearMarker(lake: ObjectStore, tablePrefix: string, period: string): Promise<void> {
  await lake.deletePrefix(markerKey(tablePrefix, period));
}

export async function writeMarker<R>(lake: ObjectStore, tablePrefix: string, marker: Marker<R>): Promise<void> {
  await lake.put(markerKey(tablePrefix, marker.period), `${JSON.stringify(marker, null, 1)}\n`);
}

/** The marker of a curated partition, whatever it was made from (null: none, or being replaced). */
export async function readMarker<R>(lake: ObjectStore, tablePrefix: string, period: string): Promise<Marker<R> | null> {
  return readJson<Marker<R>>(lake, markerKey(tablePrefix, period));
}

/** The marker of a curated partition if it was made from inputs with this fingerprint. */
export async function currentMarker<R>(lake: ObjectStore, tablePrefix: string, period: string, fingerprint: string | null): Promise<Marker<R> | null> {
  if (!fingerprint) return null;
  const m = await readMarker<R>(lake, tablePrefix, period);
  return m && m.fingerprint === fingerprint ? m : null;
}
