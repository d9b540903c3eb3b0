/**
 * What the lake holds for the portal: profile PDFs (published/profiles/<period>/<urn>.pdf), the LA's
 * fair-access reports (published/reports/<period>/fair-access.pdf), and school names from the
 * published school_context table (read only to label the schools a caller may already see).
 */
import { PERIOD_RE } from '../../schemas/portal.ts';
import { logger } from '../commons/logger.ts';
import { fromParquet } from '../lake/parquet.ts';
import type { ObjectStore } from '../ports/object-store.ts';

const PROFILE_PDF = /^published\/profiles\/(\d{4}-\d{2})\/(\d{6})\.pdf$/;
const REPORT_PDF = /^published\/reports\/(\d{4}-\d{2})\/fair-access\.pdf$/;

export interface Available {
  /** Periods (newest first) with a profile PDF, per URN. */
  profiles: Map<string, string[]>;
  /** Periods (newest first) with a fair-access report PDF. */
  reports: string[];
}

const newestFirst = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);

export async function listAvailable(lake: ObjectStore): Promise<Available> {
  const [profileObjects, reportObjects] = await Promise.all([lake.list('published/profiles/'), lake.list('published/reports/')]);
  const profiles = new Map<string, string[]>();
  for (const o of profileObjects) {
    const m = PROFILE_PDF.exec(o.key);
    if (!m) continue;
    const [, period, urn] = m as unknown as [string, string, string];
    const list = profiles.get(urn) ?? [];
    list.push(period);
    profiles.set(urn, list);
  }
  for (const list of profiles.values()) list.sort(newestFirst);
  const reports = reportObjects.flatMap((o) => REPORT_PDF.exec(o.key)?.[1] ?? []).sort(newestFirst);
  return { profiles, reports };
}

/** What the portal shows about a school, from the published school_context table. */
export interface SchoolFacts {
  name: string | null;
  phase: string | null;
  cluster: string | null;
  pupils: number | null;
  /** Pupils whose postcode found a neighbourhood type. */
  classified: number | null;
}

/** Parsed school_context files, by key and size (a republished partition has a new size or key). */
const contextCache = new Map<string, Map<string, SchoolFacts>>();
const CONTEXT_CACHE_LIMIT = 64;

async function contextIn(lake: ObjectStore, period: string): Promise<Map<string, SchoolFacts>> {
  const out = new Map<string, SchoolFacts>();
  if (!PERIOD_RE.test(period)) return out;
  for (const o of await lake.list(`published/school_context/period=${period}/`)) {
    if (!o.key.endsWith('.parquet')) continue;
    const cacheKey = `${o.key}:${o.size}`;
    let facts = contextCache.get(cacheKey);
    if (!facts) {
      facts = new Map();
      const t = await fromParquet(await lake.get(o.key));
      const col = (n: string) => t.getChild(n);
      const [urn, name, phase, cluster, pupils, classified] = ['urn', 'name', 'phase', 'cluster', 'pupils', 'classified'].map(col);
      const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
      if (urn) {
        for (let i = 0; i < t.numRows; i++) {
          const u = urn.get(i) as string | null;
          if (!u) continue;
          facts.set(u, {
            name: (name?.get(i) as string | null) ?? null,
            phase: (phase?.get(i) as string | null) ?? null,
            cluster: (cluster?.get(i) as string | null) ?? null,
            pupils: num(pupils?.get(i)),
            classified: num(classified?.get(i)),
          });
        }
      }
      if (contextCache.size >= CONTEXT_CACHE_LIMIT) contextCache.delete(contextCache.keys().next().value!);
      contextCache.set(cacheKey, facts);
    }
    for (const [u, f] of facts) out.set(u, f);
  }
  return out;
}

/**
 * Facts about `urns` from the newest period's school_context that has them. Best effort: a missing
 * or unreadable table only leaves schools without them.
 */
export async function schoolFacts(lake: ObjectStore, periods: string[], urns: Iterable<string>): Promise<Map<string, SchoolFacts>> {
  const wanted = new Set(urns);
  const out = new Map<string, SchoolFacts>();
  try {
    for (const period of [...new Set(periods)].sort(newestFirst)) {
      if (out.size === wanted.size) break;
      const facts = await contextIn(lake, period);
      for (const u of wanted) if (!out.has(u) && facts.has(u)) out.set(u, facts.get(u)!);
    }
  } catch (err) {
    logger.warn('school context unavailable', { error: (err as Error).message });
  }
  return out;
}

/** Names of `urns` (see schoolFacts). */
export async function schoolNames(lake: ObjectStore, periods: string[], urns: Iterable<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [u, f] of await schoolFacts(lake, periods, urns)) if (f.name) out.set(u, f.name);
  return out;
}
