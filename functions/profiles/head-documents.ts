/**
 * Every head's profile document for one period, from the exact per-school counts: each school's
 * counts shown under the rule and audited (shown-counts.ts), and everything across schools (the
 * base, cluster ranges, similar schools) from those shown counts, so no document carries more about
 * any school than that school's own shown counts (docs/disclosure.md). Pure: the analysis stage
 * writes the results, and the attack test rebuilds them with one school's exact counts changed.
 */
import type { ClassificationInfo, ProfileDocument } from '../../schemas/profile-document.ts';
import type { RoundingRule } from '../domain/stats/disclosure.ts';
import type { Dictionary } from './dictionary.ts';
import type { MapGrid } from '../maps/grid.ts';
import type { ExactSchoolMap } from '../maps/school-map.ts';
import { profileDocumentFor } from './documents.ts';
import { baseKey, baseTotalsOf, clusterVariationOf, similarSchoolsOf, type BaseKind, type School, type SchoolCounts, type SchoolVectors, type Similar, type Variation } from './school-profiles.ts';
import { commonShownKeys, imdKey, shownPacker, schoolLines, showSchool, type DisclosureMode, type PackedShown, type SchoolFacts, type ShownSchool, type ShownView } from './shown-counts.ts';
import type { Counts } from './compare.ts';
import type { Level } from './dictionary.ts';

export interface HeadDocumentsInput {
  period: string;
  laName: string;
  classification: ClassificationInfo;
  rule: RoundingRule;
  mode: DisclosureMode;
  baseKind: BaseKind;
  /** Exact segment counts per school (every school with pupils, empty levels when none classified). */
  counts: SchoolCounts;
  facts: ReadonlyMap<string, SchoolFacts>;
  schools: ReadonlyMap<string, School>;
  dict: Dictionary;
  /** Where each located school's pupils live (exact), and the grid they are drawn on; no maps without them. */
  maps?: ReadonlyMap<string, ExactSchoolMap>;
  grid?: MapGrid;
}

export interface HeadDocuments {
  shown: Map<string, ShownSchool>;
  /** Cluster ranges and similar schools, from shown counts: the same numbers as the documents. */
  variation: Variation[];
  similar: Similar[];
  /** What every document draws on across schools (plain data). */
  context: DocumentContext;
  /** The document of one school. */
  document(urn: string): ProfileDocument;
  /** What the document of one school draws on of its own (plain data: schoolDocument(context, …, unpacked) is document(urn)). */
  packed(urn: string): PackedSchool;
}

const group = <T>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
};

export function headDocuments(input: HeadDocumentsInput): HeadDocuments {
  const { counts, facts, schools, dict, baseKind } = input;
  // Switched off (attack test only), counts are shown exactly and the document says so.
  const rule = input.mode === 'off' ? { threshold: input.rule.threshold, base: 1 } : input.rule;
  const lines = schoolLines(dict);
  const shown = new Map<string, ShownSchool>();
  for (const urn of [...counts.keys()].sort()) shown.set(urn, showSchool(urn, facts.get(urn)!, counts.get(urn)!, dict, rule, lines, input.mode, input.maps?.get(urn)));
  const shownVectors: SchoolVectors = new Map([...shown].map(([urn, s]) => [urn, { supergroup: s.segmentArray('supergroup'), group: s.segmentArray('group'), subgroup: s.segmentArray('subgroup') }]));
  const bases = baseTotalsOf(shownVectors, schools, baseKind, dict);
  const baseImd = new Map<string, number[]>();
  for (const [urn, s] of shown) {
    const key = baseKey(baseKind, schools.get(urn));
    const acc = baseImd.get(key) ?? new Array<number>(11).fill(0);
    for (let i = 0; i < 11; i++) acc[i]! += s.aggregate(imdKey(i < 10 ? i + 1 : 'unknown'));
    baseImd.set(key, acc);
  }
  const variation = clusterVariationOf(shownVectors, schools, dict);
  const similar = similarSchoolsOf(shownVectors, schools);
  const clusterSize = new Map<string, number>();
  for (const urn of counts.keys()) {
    const c = schools.get(urn)?.cluster ?? 'unknown';
    clusterSize.set(c, (clusterSize.get(c) ?? 0) + 1);
  }
  const similarByUrn = group(similar, (s) => s.urn);
  const context: DocumentContext = {
    period: input.period,
    laName: input.laName,
    classification: input.classification,
    rule,
    baseKind,
    bases,
    baseImd,
    clusterSize,
    variationByCluster: group(variation, (v) => v.cluster),
    shownKeys: shown.size ? commonShownKeys(shown.values().next().value!) : [],
  };
  const pack = shownPacker(context.shownKeys);
  const schoolOf = (urn: string): School => schools.get(urn) ?? { urn, name: null, phase: null, cluster: null, lat: null, long: null };
  const similarOf = (urn: string) => (similarByUrn.get(urn) ?? []).map((s) => ({ ...s, name: schools.get(s.similarUrn)?.name ?? s.similarUrn }));
  return {
    shown,
    variation,
    similar,
    context,
    document: (urn: string): ProfileDocument => schoolDocument(context, dict, input.grid, { school: schoolOf(urn), shown: shown.get(urn)!, similar: similarOf(urn) }),
    packed: (urn: string): PackedSchool => ({ school: schoolOf(urn), shown: pack(shown.get(urn)!, rule), similar: similarOf(urn) }),
  };
}

/** Everything across schools a document draws on, as plain data (a document thread is sent it once). */
export interface DocumentContext {
  period: string;
  laName: string;
  classification: ClassificationInfo;
  /** The rule the counts are shown under (base 1 when disclosure control is off). */
  rule: RoundingRule;
  baseKind: BaseKind;
  /** Base counts and IMD deciles by baseKey. */
  bases: Map<string, Record<Level, Counts>>;
  baseImd: Map<string, number[]>;
  /** Schools per cluster ('unknown': those without one). */
  clusterSize: Map<string, number>;
  variationByCluster: Map<string, Variation[]>;
  /** The shown-count keys every school has, in order (what packed shown counts are aligned to: packShown). */
  shownKeys: string[];
}

/** One school's part of a document: its own shown counts and its similar schools (named). */
export interface SchoolDocumentInput {
  school: School;
  shown: ShownView;
  similar: (Similar & { name: string })[];
}

/** SchoolDocumentInput as plain data. */
export interface PackedSchool extends Omit<SchoolDocumentInput, 'shown'> {
  shown: PackedShown;
}

/** The document of one school. */
export function schoolDocument(ctx: DocumentContext, dict: Dictionary, grid: MapGrid | undefined, s: SchoolDocumentInput): ProfileDocument {
  const { school, baseKind } = { school: s.school, baseKind: ctx.baseKind };
  // A school without a cluster is compared with the LA (baseKey).
  const label =
    baseKind === 'phase' ? `all pupils in ${school.phase} schools` : baseKind === 'cluster' && school.cluster ? `all pupils in the ${school.cluster} cluster` : `all pupils in ${ctx.laName}`;
  const key = baseKey(baseKind, school);
  return profileDocumentFor({
    period: ctx.period,
    laName: ctx.laName,
    classification: ctx.classification,
    rule: ctx.rule,
    school,
    base: { kind: baseKind, label },
    shown: s.shown,
    baseCounts: ctx.bases.get(key)!,
    baseImd: ctx.baseImd.get(key)!,
    similar: s.similar,
    clusterSchools: ctx.clusterSize.get(school.cluster ?? 'unknown') ?? 0,
    variation: ctx.variationByCluster.get(school.cluster ?? 'unknown') ?? [],
    dict,
    grid,
  });
}
