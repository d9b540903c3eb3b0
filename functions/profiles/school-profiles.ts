/**
 * School and cluster profiles, cluster variation and similar schools: pure functions over the
 * per-school segment counts. Each school is compared with a base (the LA by default; or its
 * cluster, or all schools of its phase), and each cluster with the LA.
 */
import { distribution, haversineKm, jensenShannonDistanceNormalised } from '../domain/stats/similarity.ts';
import { bhattacharyyaShortlist } from './similar-shortlist.ts';
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

export function baseKey(kind: BaseKind, s: School | undefined): string {
  // A school without a cluster is compared with the LA.
  if (kind === 'cluster') return s?.cluster ? `cluster:${s.cluster}` : 'la';
  if (kind === 'phase') return `phase:${s?.phase ?? 'unknown'}`;
  return 'la';
}

/** Totals per base key (la, cluster:X or phase:Y) by level. */
export function baseTotals(counts: SchoolCounts, schools: Map<string, School>, kind: BaseKind): Map<string, Record<Level, Counts>> {
  const out = new Map<string, Record<Level, Counts>>();
  for (const [urn, levels] of counts) {
    const key = baseKey(kind, schools.get(urn));
    let t = out.get(key);
    if (!t) out.set(key, (t = emptyLevels()));
    for (const level of LEVEL_ORDER) addInto(t[level], levels[level]);
  }
  return out;
}

/**
 * Each school's profile at every level, in URN order, one school at a time: a caller that writes
 * each school out before asking for the next never holds every school's comparisons at once
 * (millions of rows at England scale).
 */
export function* schoolProfiles(counts: SchoolCounts, schools: Map<string, School>, dict: Dictionary, kind: BaseKind = 'la'): Generator<ProfileResult[]> {
  const bases = baseTotals(counts, schools, kind);
  for (const urn of [...counts.keys()].sort()) {
    const base = baseKey(kind, schools.get(urn));
    yield LEVEL_ORDER.map((level) => ({ urn, level, base, rows: compare(counts.get(urn)![level], bases.get(base)![level], dict.codes[level]) }));
  }
}

export function clusterProfiles(counts: SchoolCounts, schools: Map<string, School>, dict: Dictionary): { cluster: string; level: Level; rows: Comparison[] }[] {
  const clusters = baseTotals(counts, schools, 'cluster');
  const la = baseTotals(counts, schools, 'la').get('la') ?? emptyLevels();
  const out: { cluster: string; level: Level; rows: Comparison[] }[] = [];
  for (const key of [...clusters.keys()].filter((k) => k.startsWith('cluster:')).sort()) {
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
    const cluster = schools.get(urn)?.cluster;
    if (!cluster) continue; // no cluster recorded: nothing to vary within
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

/** Above this many schools in a phase, candidates are shortlisted before the exact distance. */
export const EXACT_SIMILARITY_LIMIT = 3000;
const SHORTLIST = 25;

/**
 * For each school, the k most similar schools of the same phase: smallest Jensen-Shannon distance
 * (base 2, so similarity = 1 − distance is in 0..1) between subgroup-share vectors; ties by URN.
 * Distances in km come from the schools' postcodes, so near-twins that are not neighbours stand out.
 * An LA has a few hundred schools per phase and every pair is scored exactly. Beyond
 * EXACT_SIMILARITY_LIMIT (England-scale runs) the all-pairs JSD is too slow in JavaScript, so a
 * shortlist of 25 per school comes from the Bhattacharyya coefficient of group-level shares (a dot
 * product of square roots, 21 dimensions for OAC) and the shortlist is ranked by the exact JSD.
 */
export function similarSchools(counts: SchoolCounts, schools: Map<string, School>, dict: Dictionary, k = 5, exactLimit = EXACT_SIMILARITY_LIMIT): Similar[] {
  if (k <= 0) return [];
  const codes = dict.codes.subgroup;
  const groups = dict.codes.group;
  const byPhase = new Map<string, { urn: string; v: number[]; g: number[] }[]>();
  // Each school's subgroup shares, normalised once rather than in every one of its comparisons.
  for (const urn of [...counts.keys()].sort()) {
    const levels = counts.get(urn)!;
    const v = codes.map((c) => levels.subgroup.get(c) ?? 0);
    if (v.every((x) => x === 0)) continue;
    const phase = schools.get(urn)?.phase ?? 'unknown';
    const list = byPhase.get(phase) ?? [];
    list.push({ urn, v: distribution(v), g: groups.map((c) => levels.group.get(c) ?? 0) });
    byPhase.set(phase, list);
  }
  const out: Similar[] = [];
  for (const list of byPhase.values()) {
    const shortlist = list.length > exactLimit ? bhattacharyyaShortlist(list.map((x) => x.g), SHORTLIST) : null;
    list.forEach((a, ai) => {
      const candidates = shortlist ? shortlist[ai].map((j) => list[j]) : list;
      // The k nearest kept in order as candidates are scored (no sort of every candidate).
      const scored: { urn: string; d: number }[] = [];
      const before = (x: { urn: string; d: number }, y: { urn: string; d: number }) => x.d < y.d || (x.d === y.d && x.urn.localeCompare(y.urn) < 0);
      for (const b of candidates) {
        if (b.urn === a.urn) continue;
        const c = { urn: b.urn, d: jensenShannonDistanceNormalised(a.v, b.v) };
        if (scored.length === k && !before(c, scored[k - 1]!)) continue;
        let p = Math.min(scored.length, k - 1);
        scored[p] = c;
        while (p > 0 && before(c, scored[p - 1]!)) {
          scored[p] = scored[p - 1]!;
          scored[--p] = c;
        }
      }
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
    });
  }
  return out;
}

