/**
 * What the portal says about each document before it is downloaded ("Published 12 March 2026 ·
 * pupil data 2025-26 · ONS OAC 2021 · PDF, 6 pages, 412 KB"), from what the pipeline already
 * writes, a few small reads per period:
 * - size and pages: the folder's render manifest (`_render-manifest.json`, written with each PDF);
 * - published: the time of the run that holds the folder, from the publication pointer (run ids
 *   start with their UTC start time, 20260312T021500Z-…);
 * - classification: the `classification` of one of the folder's profile documents (every school of
 *   a period is profiled with the same one).
 * Best effort: anything missing or unreadable is left out of the line, never an error.
 */
import { logger } from '../commons/logger.ts';
import { readPublication, type Publication } from '../lake/publication.ts';
import type { ObjectStore } from '../ports/object-store.ts';

export interface DocumentFacts {
  publishedAt: string | null;
  classification: string | null;
  /** By file name without extension (URN, or "fair-access"). */
  files: Map<string, { bytes: number; pages: number }>;
}

const RUN_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/;

/** The UTC start time of a run from its id, or null. */
export function runTime(runId: string | undefined): string | null {
  const m = runId ? RUN_TIME.exec(runId) : null;
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : null;
}

function publishedAtOf(pub: Publication | null, folder: string): string | null {
  if (!pub) return null;
  const run = pub.items[folder];
  if (run === pub.runId) return pub.publishedAt;
  if (pub.previous && run === pub.previous.runId) return pub.previous.publishedAt;
  return runTime(run);
}

const cache = new Map<string, { at: number; facts: DocumentFacts }>();
const TTL_MS = 60_000;

async function readJson(lake: ObjectStore, key: string): Promise<unknown> {
  return JSON.parse(Buffer.from(await lake.get(key)).toString('utf8'));
}

/** Facts of every document in `published/<kind>/<period>/`. */
export async function documentFacts(lake: ObjectStore, kind: 'profiles' | 'reports', period: string, now = Date.now()): Promise<DocumentFacts> {
  const folder = `published/${kind}/${period}`;
  const cacheKey = lake.uri(folder);
  const hit = cache.get(cacheKey);
  if (hit && now - hit.at < TTL_MS) return hit.facts;
  const facts: DocumentFacts = { publishedAt: null, classification: null, files: new Map() };
  try {
    const [pub, listing] = await Promise.all([readPublication(lake).catch(() => null), lake.list(`${folder}/`)]);
    facts.publishedAt = publishedAtOf(pub, folder);
    const keys = new Set(listing.map((o) => o.key));
    const manifestKey = `${folder}/_render-manifest.json`;
    if (keys.has(manifestKey)) {
      const m = (await readJson(lake, manifestKey)) as { documents?: Record<string, { bytes?: number; pages?: number }> };
      for (const [name, d] of Object.entries(m.documents ?? {})) {
        if (typeof d.bytes === 'number' && typeof d.pages === 'number') facts.files.set(name.replace(/\.json$/, ''), { bytes: d.bytes, pages: d.pages });
      }
    }
    // Files the manifest does not describe still get their size.
    for (const o of listing) {
      const name = /\/([^/]+)\.pdf$/.exec(o.key)?.[1];
      if (name && !facts.files.has(name)) facts.files.set(name, { bytes: o.size, pages: 0 });
    }
    const doc = listing.find((o) => /\/\d{6}\.json$/.test(o.key));
    if (kind === 'profiles' && doc) {
      const c = ((await readJson(lake, doc.key)) as { classification?: { name?: string } }).classification;
      facts.classification = typeof c?.name === 'string' ? c.name : null;
    }
  } catch (err) {
    logger.warn('document facts unavailable', { folder, error: (err as Error).message });
  }
  cache.set(cacheKey, { at: now, facts });
  if (cache.size > 64) cache.delete(cache.keys().next().value!);
  return facts;
}

/** Forget cached facts (tests that republish). */
export function clearDocumentFacts(): void {
  cache.clear();
}
