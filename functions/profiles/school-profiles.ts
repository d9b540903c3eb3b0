/**
 * School and cluster profiles, cluster variation and similar schools: pure functions over the
 * per-school segment counts. Each school is compared with a base (the LA by default; or its
 * cluster, or all schools of its phase), and each cluster with the LA.
 */
import { haversineKm, jensenShannonDistance } from '../domain/stats/similarity.ts';
import { addInto, compare, type Comparison, type Counts } from './compare.ts';
import { LEVEL_ORDER, type Dictionary, type Level } from './dictionary.ts';

export type BaseKind = 'la' | 'cluster' | 'phase';

export interface School {
  urn: string;
  name: string | null;
  phase: string | null;
  cluster: string | null;
  lat: number | null;
  long: number | null;
}

/** Segment counts per school per level: counts[urn][level] = Map(segment -> n). */
export type SchoolCounts = Map<string, Record<Level, Counts>>;

export function emptyLevels(): Record<Level, Counts> {
  return { supergroup: new Map(), group: new Map(), subgroup: new Map() };
}

export interface ProfileResult {
  urn: string;
  level: Level;
  base: string;
  rows: Comparison[];
}

function baseKey(kind: BaseKind, s: School | undefined): string {
  if (kind === 'cluster') return `cluster:${s?.cluster ?? 'unknown'}`;
  if (kind === 'phase') return `phase:${s?.phase ?? 'unknown'}`;
  return 'la';
}

/** Totals per base key (la, cluster:X or phase:Y) by level. */
function baseTotals(counts: SchoolCounts, schools: Map<string, School>, kind: BaseKind): Map<string, Record<Level, Counts>> {
  const out = new Map<string, Record<Level, Counts>>();
  for (const [urn, levels] of counts) {
    const key = baseKey(kind, schools.get(urn));
    let t = out.get(key);
    if (!t) out.set(key, (t = emptyLevels()));
    for (const level of LEVEL_ORDER) addInto(t[level], levels[level]);
  }
  return out;
}

export function schoolProfiles(counts: SchoolCounts, schools: Map<string, School>, dict: Dictionary, kind: BaseKind = 'la'): ProfileResult[] {
  const bases = baseTotals(counts, schools, kind);
  const out: ProfileResult[] = [];
  for (const urn of [...counts.keys()].sort()) {
    const base = baseKey(kind, schools.get(urn));
    for (const level of LEVEL_ORDER) {
      out.push({ urn, level, base, rows: compare(counts.get(urn)![level], bases.get(base)![level], dict.codes[level]) });
    }
  }
  return out;
}

export function clusterProfiles(counts: SchoolCounts, schools: Map<string, School>, dict: Dictionary): { cluster: string; level: Level; rows: Comparison[] }[] {
  const clusters = baseTotals(counts, schools, 'cluster');
  const la = baseTotals(counts, schools, 'la').get('la') ?? emptyLevels();
  const out: { cluster: string; level: Level; rows: Comparison[] }[] = [];
  for (const key of [...clusters.keys()].sort()) {
    for (const level of LEVEL_ORDER) out.push({ cluster: key.slice('cluster:'.length), level, rows: compare(clusters.get(key)![level], la[level], dict.codes[level]) });
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface Variation {
  cluster: string;
  segment: string;
  schools: number;
  min: number;
  median: number;
  max: number;
}

/** Spread of each supergroup's share (% of a school's classified pupils) across a cluster's schools. */
export function clusterVariation(counts: SchoolCounts, schools: Map<string, School>, dict: Dictionary): Variation[] {
  const shares = new Map<string, Map<string, number[]>>();
  for (const [urn, levels] of counts) {
    const total = [...levels.supergroup.values()].reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    const cluster = schools.get(urn)?.cluster ?? 'unknown';
    let byCluster = shares.get(cluster);
    if (!byCluster) shares.set(cluster, (byCluster = new Map()));
    for (const code of dict.codes.supergroup) {
      const list = byCluster.get(code) ?? [];
      list.push((100 * (levels.supergroup.get(code) ?? 0)) / total);
      byCluster.set(code, list);
    }
  }
  const out: Variation[] = [];
  for (const cluster of [...shares.keys()].sort()) {
    for (const code of dict.codes.supergroup) {
      const xs = shares.get(cluster)!.get(code)!;
      out.push({ cluster, segment: code, schools: xs.length, min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });
    }
  }
  return out;
}

export interface Similar {
  urn: string;
  rank: number;
  similarUrn: string;
  similarity: number;
  distanceKm: number | null;
}

/**
 * For each school, the k most similar schools of the same phase: smallest Jensen-Shannon distance
 * (base 2, so similarity = 1 − distance is in 0..1) between subgroup-share vectors; ties by URN.
 * Distances in km come from the schools' postcodes, so near-twins that are not neighbours stand out.
 */
export function similarSchools(counts: SchoolCounts, schools: Map<string, School>, dict: Dictionary, k = 5): Similar[] {
  const codes = dict.codes.subgroup;
  const byPhase = new Map<string, { urn: string; v: number[] }[]>();
  for (const urn of [...counts.keys()].sort()) {
    const sub = counts.get(urn)!.subgroup;
    const v = codes.map((c) => sub.get(c) ?? 0);
    if (v.every((x) => x === 0)) continue;
    const phase = schools.get(urn)?.phase ?? 'unknown';
    const list = byPhase.get(phase) ?? [];
    list.push({ urn, v });
    byPhase.set(phase, list);
  }
  const out: Similar[] = [];
  for (const list of byPhase.values()) {
    for (const a of list) {
      const scored = list
        .filter((b) => b.urn !== a.urn)
        .map((b) => ({ urn: b.urn, d: jensenShannonDistance(a.v, b.v) }))
        .sort((x, y) => x.d - y.d || x.urn.localeCompare(y.urn))
        .slice(0, k);
      const sa = schools.get(a.urn);
      scored.forEach((b, i) => {
        const sb = schools.get(b.urn);
        const located = sa?.lat != null && sa.long != null && sb?.lat != null && sb.long != null;
        out.push({
          urn: a.urn,
          rank: i + 1,
          similarUrn: b.urn,
          similarity: 1 - b.d,
          distanceKm: located ? haversineKm(sa!.lat!, sa!.long!, sb!.lat!, sb!.long!) : null,
        });
      });
    }
  }
  return out;
}
