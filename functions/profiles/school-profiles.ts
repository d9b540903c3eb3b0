/**
 * School and cluster profiles, cluster variation and similar schools: pure functions over the
 * per-school segment counts. Each school is compared with a base (the LA by default; or its
 * cluster, or all schools of its phase), and each cluster with the LA.
 */
import { distribution, haversineKm, jensenShannonDistanceSparse, sparseDistribution, type SparseDistribution } from '../domain/stats/similarity.ts';
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

/**
 * Segment counts per school per level as arrays in the dictionary's order of codes (what a
 * document's figures across schools read: one typed array per school and level, not maps).
 */
export type SchoolVectors = Map<string, Record<Level, ArrayLike<number>>>;

/** SchoolCounts as SchoolVectors. */
export function schoolVectors(counts: SchoolCounts, dict: Dictionary): SchoolVectors {
  const out: SchoolVectors = new Map();
  for (const [urn, levels] of counts) {
    const v = {} as Record<Level, number[]>;
    for (const level of LEVEL_ORDER) v[level] = dict.codes[level].map((c) => levels[level].get(c) ?? 0);
    out.set(urn, v);
  }
  return out;
}

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
 * baseTotals over vectors: each base's counts per level (every code, in the dictionary's order),
 * the schools' values added in the vectors' order as baseTotals adds them.
 */
export function baseTotalsOf(vectors: SchoolVectors, schools: ReadonlyMap<string, School>, kind: BaseKind, dict: Dictionary): Map<string, Record<Level, Counts>> {
  const sums = new Map<string, Record<Level, Float64Array>>();
  for (const [urn, levels] of vectors) {
    const key = baseKey(kind, schools.get(urn));
    let t = sums.get(key);
    if (!t) sums.set(key, (t = { supergroup: new Float64Array(dict.codes.supergroup.length), group: new Float64Array(dict.codes.group.length), subgroup: new Float64Array(dict.codes.subgroup.length) }));
    for (const level of LEVEL_ORDER) {
      const acc = t[level];
      const v = levels[level];
      for (let j = 0; j < acc.length; j++) acc[j] = acc[j]! + v[j]!;
    }
  }
  const out = new Map<string, Record<Level, Counts>>();
  for (const [key, t] of sums) {
    const r = emptyLevels();
    for (const level of LEVEL_ORDER) dict.codes[level].forEach((c, j) => r[level].set(c, t[level][j]!));
    out.set(key, r);
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
  return clusterVariationOf(schoolVectors(counts, dict), schools, dict);
}

/** clusterVariation over vectors. */
export function clusterVariationOf(vectors: SchoolVectors, schools: ReadonlyMap<string, School>, dict: Dictionary): Variation[] {
  const codes = dict.codes.supergroup;
  const shares = new Map<string, number[][]>();
  for (const [urn, levels] of vectors) {
    const sg = levels.supergroup;
    let total = 0;
    for (let j = 0; j < codes.length; j++) total += sg[j]!;
    if (total === 0) continue;
    const cluster = schools.get(urn)?.cluster;
    if (!cluster) continue; // no cluster recorded: nothing to vary within
    let byCluster = shares.get(cluster);
    if (!byCluster) shares.set(cluster, (byCluster = codes.map(() => [])));
    for (let j = 0; j < codes.length; j++) byCluster[j]!.push((100 * sg[j]!) / total);
  }
  const out: Variation[] = [];
  for (const cluster of [...shares.keys()].sort()) {
    codes.forEach((code, j) => {
      const xs = shares.get(cluster)![j]!;
      out.push({ cluster, segment: code, schools: xs.length, min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });
    });
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
  return similarSchoolsOf(schoolVectors(counts, dict), schools, k, exactLimit);
}

/** similarSchools over vectors. */
export function similarSchoolsOf(vectors: SchoolVectors, schools: ReadonlyMap<string, School>, k = 5, exactLimit = EXACT_SIMILARITY_LIMIT): Similar[] {
  if (k <= 0) return [];
  const byPhase = new Map<string, { urn: string; v: SparseDistribution; g: number[] }[]>();
  // Each school's subgroup shares, normalised once rather than in every one of its comparisons.
  for (const urn of [...vectors.keys()].sort()) {
    const levels = vectors.get(urn)!;
    const v = Array.from(levels.subgroup);
    if (v.every((x) => x === 0)) continue;
    const phase = schools.get(urn)?.phase ?? 'unknown';
    const list = byPhase.get(phase) ?? [];
    list.push({ urn, v: sparseDistribution(distribution(v)), g: Array.from(levels.group) });
    byPhase.set(phase, list);
  }
  const out: Similar[] = [];
  for (const list of byPhase.values()) {
    const shortlist = list.length > exactLimit ? bhattacharyyaShortlist(list.map((x) => x.g), SHORTLIST) : null;
    // The k nearest so far, best first, as parallel arrays (no object per candidate scored).
    const topD = new Float64Array(k);
    const topUrn: string[] = new Array<string>(k);
    list.forEach((a, ai) => {
      const candidates = shortlist ? shortlist[ai].map((j) => list[j]) : list;
      // Kept in order as candidates are scored (no sort of every candidate); ties by URN.
      let size = 0;
      for (const b of candidates) {
        if (b.urn === a.urn) continue;
        const d = jensenShannonDistanceSparse(a.v, b.v);
        // Whether b at d goes before a kept one (written out twice: no closure per candidate).
        if (size === k && !(d < topD[k - 1]! || (d === topD[k - 1]! && b.urn.localeCompare(topUrn[k - 1]!) < 0))) continue;
        let p = Math.min(size, k - 1);
        while (p > 0 && (d < topD[p - 1]! || (d === topD[p - 1]! && b.urn.localeCompare(topUrn[p - 1]!) < 0))) {
          topD[p] = topD[p - 1]!;
          topUrn[p] = topUrn[p - 1]!;
          p--;
        }
        topD[p] = d;
        topUrn[p] = b.urn;
        if (size < k) size++;
      }
      const sa = schools.get(a.urn);
      for (let i = 0; i < size; i++) {
        const sb = schools.get(topUrn[i]!);
        const located = sa?.lat != null && sa.long != null && sb?.lat != null && sb.long != null;
        out.push({
          urn: a.urn,
          rank: i + 1,
          similarUrn: topUrn[i]!,
          similarity: 1 - topD[i]!,
          distanceKm: located ? haversineKm(sa!.lat!, sa!.long!, sb!.lat!, sb!.long!) : null,
        });
      }
    });
  }
  return out;
}

