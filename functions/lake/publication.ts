/**
 * The publication: which run's output each reader sees. Design (docs/publishing.md):
 *
 * - A run writes its published outputs under its own prefix, `runs/<runId>/published/...`, with the
 *   same relative layout readers know (`published/<table>/period=<p>/`, `published/profiles/<p>/`,
 *   `published/reports/<p>/`). Nothing under another run's prefix is ever written or deleted by it.
 * - One small object, `published/_publication.json` (the pointer), maps each published item
 *   (a table partition or a document folder) to the run that holds its current version. Publishing
 *   is one PUT of a new pointer (atomic on S3 and, through rename, on a local directory): readers
 *   see every item of the old publication or every item of the new one, never a mix.
 * - Readers follow the pointer: `PublishedView` is an ObjectStore over the lake in which the logical
 *   keys `published/...` resolve to the run that holds them (the portal, the PDF stage's
 *   skip-unchanged, the DuckDB engine); Glue partitions are set from it (Athena). Items the pointer
 *   does not name are read where they are (data written before the pointer existed, the portal's
 *   own datasets).
 * - A published run is immutable: stages refuse to write into a run the pointer has published, so a
 *   retried or redriven stage can only touch an unpublished run. Publishing a run twice is a no-op.
 * - Superseded runs are deleted later (`sweepRuns`), keeping every run the current or the previous
 *   publication names, so a reader holding the previous pointer (a presigned URL, a running
 *   query) still finds its files.
 */
import { NotFoundError, joinKey, type ObjectInfo, type ObjectStore } from '../ports/object-store.ts';
import type { Readable } from 'node:stream';

export const POINTER_KEY = 'published/_publication.json';
export const RUNS_PREFIX = 'runs';

/** Where a run's published outputs live. */
export const runRoot = (runId: string) => `${RUNS_PREFIX}/${runId}`;

export interface PublicationState {
  runId: string;
  publishedAt: string;
  /** Logical item prefix (e.g. `published/fair_access/period=2025-26`) -> the run holding it. */
  items: Record<string, string>;
}

export interface Publication extends PublicationState {
  version: 1;
  /** The publication this one replaced (one level), so its runs are kept for readers still on it. */
  previous: PublicationState | null;
  /** Run ids published so far, newest last (the last 50): publishing one of them again is a no-op. */
  history: string[];
}

const HISTORY = 50;

export async function readPublication(lake: ObjectStore): Promise<Publication | null> {
  let bytes: Uint8Array;
  try {
    bytes = await lake.get(POINTER_KEY);
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
  const p = JSON.parse(Buffer.from(bytes).toString('utf8')) as Publication;
  if (p?.version !== 1 || typeof p.items !== 'object') throw new Error(`${POINTER_KEY}: not a publication pointer`);
  return p;
}

/** The item prefix a logical key belongs to (longest match), if the pointer names it. */
function itemOf(items: Record<string, string>, key: string): string | undefined {
  let best: string | undefined;
  for (const item of Object.keys(items)) {
    if ((key === item || key.startsWith(item + '/')) && (!best || item.length > best.length)) best = item;
  }
  return best;
}

/** The physical key of a logical `published/...` key under a publication (itself when not named). */
export function physicalKeyOf(pub: Publication | null, key: string): string {
  const k = joinKey(key);
  if (!pub) return k;
  const item = itemOf(pub.items, k);
  return item ? joinKey(runRoot(pub.items[item]!), k) : k;
}

/** Whether a run has been published (is named by the pointer now or was in the past). */
export async function isPublished(lake: ObjectStore, runId: string): Promise<boolean> {
  const p = await readPublication(lake);
  return !!p && (p.runId === runId || p.history.includes(runId));
}

/** Refuse to write into a run that is published: a retried stage can only touch an unpublished run. */
export async function assertUnpublished(lake: ObjectStore, runId: string): Promise<void> {
  if (await isPublished(lake, runId)) throw new Error(`run ${runId} is already published; its outputs are immutable (start a new run)`);
}

/**
 * Flip the pointer: the items given now come from `runId`, every other item stays where it was.
 * Checks that the run holds something for each item it names a document folder for. Idempotent:
 * a run already published returns the current pointer unchanged.
 */
export async function flipPublication(lake: ObjectStore, runId: string, items: string[], now = new Date()): Promise<{ publication: Publication; flipped: boolean }> {
  const prev = await readPublication(lake);
  if (prev && (prev.runId === runId || prev.history.includes(runId))) return { publication: prev, flipped: false };
  const next: Publication = {
    version: 1,
    runId,
    publishedAt: now.toISOString(),
    items: { ...(prev?.items ?? {}) },
    previous: prev ? { runId: prev.runId, publishedAt: prev.publishedAt, items: prev.items } : null,
    history: [...(prev?.history ?? []), runId].slice(-HISTORY),
  };
  for (const item of items) next.items[joinKey(item)] = runId;
  next.items = Object.fromEntries(Object.entries(next.items).sort(([a], [b]) => (a < b ? -1 : 1)));
  await lake.put(POINTER_KEY, `${JSON.stringify(next, null, 1)}\n`);
  return { publication: next, flipped: true };
}

/**
 * Delete superseded runs: every `runs/<id>/` that neither the current nor the previous publication
 * names, except `keep` (the run in progress). Returns the run ids deleted.
 */
export async function sweepRuns(lake: ObjectStore, keep: string[] = []): Promise<string[]> {
  const pub = await readPublication(lake);
  const live = new Set<string>(keep);
  for (const p of [pub, pub?.previous]) {
    if (!p) continue;
    live.add(p.runId);
    for (const r of Object.values(p.items)) live.add(r);
  }
  const runs = new Set<string>();
  for (const o of await lake.list(`${RUNS_PREFIX}/`)) runs.add(o.key.split('/')[1]!);
  const gone = [...runs].filter((r) => !live.has(r)).sort();
  for (const r of gone) await lake.deletePrefix(`${runRoot(r)}/`);
  return gone;
}

/**
 * The lake as readers see it: `published/...` keys resolve through the pointer to the run holding
 * them; every other key (runs/, staging/, the portal's datasets) is the lake's own. Published items
 * are read-only here. The pointer is re-read at most every `ttlMs` (default 5 s).
 */
export class PublishedView implements ObjectStore {
  private cached: { at: number; pub: Publication | null } | null = null;
  constructor(
    readonly lake: ObjectStore,
    private readonly ttlMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  async publication(): Promise<Publication | null> {
    if (!this.cached || this.now() - this.cached.at > this.ttlMs) this.cached = { at: this.now(), pub: await readPublication(this.lake) };
    return this.cached.pub;
  }

  /** Forget the cached pointer. */
  refresh(): void {
    this.cached = null;
  }

  /** The physical key of a key (for presigned URLs). */
  async physicalKey(key: string): Promise<string> {
    return physicalKeyOf(await this.publication(), key);
  }

  uri(key: string): string {
    return this.lake.uri(key);
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await this.lake.get(await this.physicalKey(key));
    } catch (e) {
      if (e instanceof NotFoundError) throw new NotFoundError(key);
      throw e;
    }
  }

  async getStream(key: string): Promise<Readable> {
    try {
      return await this.lake.getStream(await this.physicalKey(key));
    } catch (e) {
      if (e instanceof NotFoundError) throw new NotFoundError(key);
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    return this.lake.exists(await this.physicalKey(key));
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    await this.assertWritable(key);
    return this.lake.putIfAbsent(key, body);
  }

  /** Same semantics as the lake's list: the keys equal to the prefix or below it as a folder. */
  async list(prefix: string): Promise<ObjectInfo[]> {
    const pub = await this.publication();
    const p = joinKey(prefix);
    const under = (k: string) => !p || k === p || k.startsWith(p + '/');
    const out = new Map<string, ObjectInfo>();
    // What the lake holds at the logical keys themselves, outside every named item.
    for (const o of await this.lake.list(prefix)) {
      if (o.key !== POINTER_KEY && (!pub || !itemOf(pub.items, o.key))) out.set(o.key, o);
    }
    for (const [item, run] of Object.entries(pub?.items ?? {})) {
      if (!(under(item) || p.startsWith(item + '/'))) continue;
      const root = runRoot(run);
      for (const o of await this.lake.list(joinKey(root, item))) {
        const logical = o.key.slice(root.length + 1);
        if (under(logical) && itemOf(pub!.items, logical) === item) out.set(logical, { key: logical, size: o.size });
      }
    }
    return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private assertWritable(key: string): Promise<void> {
    return this.publication().then((pub) => {
      const k = joinKey(key);
      if (k === POINTER_KEY || (pub && (itemOf(pub.items, k) || Object.keys(pub.items).some((i) => i.startsWith(k + '/'))))) {
        throw new Error(`${key}: published outputs are written under ${RUNS_PREFIX}/<run>/ and published by the pointer, not in place`);
      }
    });
  }

  async put(key: string, body: Uint8Array | string | Readable): Promise<void> {
    await this.assertWritable(key);
    await this.lake.put(key, body);
  }

  async deletePrefix(prefix: string): Promise<void> {
    await this.assertWritable(prefix);
    await this.lake.deletePrefix(prefix);
  }

  async replacePrefix(from: string, to: string): Promise<void> {
    await this.assertWritable(to);
    await this.lake.replacePrefix(from, to);
  }
}

/**
 * DuckDB views over the current publication: one `CREATE OR REPLACE VIEW <table>` per published
 * table reading exactly the partition folders the pointer names (`duckdb -init out/views.sql`).
 * Regenerated after every flip; a stale copy still reads a whole publication (the previous one's
 * runs are kept).
 */
export async function duckdbViewsSql(lake: ObjectStore, pub: Publication, tables: { name: string; prefix: string }[]): Promise<string> {
  const lines = [`-- catchment: the published tables of run ${pub.runId} (${pub.publishedAt}); regenerated at every publish`];
  for (const t of tables) {
    const dirs: string[] = [];
    for (const i of Object.keys(pub.items).filter((i) => i.startsWith(`${t.prefix}/`))) {
      // A partition published with no rows has no files (and DuckDB refuses a glob matching none).
      if ((await lake.list(physicalKeyOf(pub, i))).some((o) => o.key.endsWith('.parquet'))) dirs.push(`'${lake.uri(physicalKeyOf(pub, i)).replace(/'/g, "''")}/*.parquet'`);
    }
    if (dirs.length === 0) continue;
    lines.push(`CREATE OR REPLACE VIEW ${t.name} AS SELECT * FROM read_parquet([${dirs.join(', ')}], hive_partitioning = true, hive_types_autocast = false, union_by_name = true);`);
  }
  return `${lines.join('\n')}\n`;
}
