/**
 * Builds what a head teacher sees: the per-school profile document, with every count through
 * disclosure control. Segment counts are protected within each line of the hierarchy
 * (supergroups of the school; groups of a supergroup; subgroups of a group) and between levels:
 * when a parent is hidden, at least one non-zero child is hidden too, so children cannot be
 * summed back into it. Analysts' Parquet tables keep exact aggregates instead.
 */
import type { Cell, ClassificationInfo, ProfileDocument, SegmentRow } from '../../schemas/profile-document.ts';
import { suppress } from '../domain/stats/disclosure.ts';
import type { Comparison } from './compare.ts';
import { LEVEL_ORDER, type Dictionary, type Level } from './dictionary.ts';
import type { School, Similar, Variation } from './school-profiles.ts';

export interface SchoolFacts {
  pupils: number;
  classified: number;
  fsm_n: number;
  exact: number;
  terminated: number;
  sector: number;
  unmatched: number;
  invalid: number;
  imd: number[]; // deciles 1..10
  imdUnknown: number;
}

export interface DocumentInput {
  period: string;
  laName: string;
  classification: ClassificationInfo;
  threshold: number;
  school: School;
  base: { kind: 'la' | 'cluster' | 'phase'; label: string };
  facts: SchoolFacts;
  /** Decile counts of the base (for the base %). */
  baseImd: number[];
  profile: Record<Level, Comparison[]>;
  similar: (Similar & { name: string })[];
  clusterSchools: number;
  variation: Variation[];
  dict: Dictionary;
}

const cellOf = (value: number | null): Cell => (value === null ? 'c' : value);

/** Which segments to hide at each level for one school. */
export function hiddenSegments(profile: Record<Level, Comparison[]>, dict: Dictionary, classified: number, threshold: number): Record<Level, Set<string>> {
  const hidden: Record<Level, Set<string>> = { supergroup: new Set(), group: new Set(), subgroup: new Set() };
  const count = (level: Level) => new Map(profile[level].map((r) => [r.segment, r.O]));
  const counts = { supergroup: count('supergroup'), group: count('group'), subgroup: count('subgroup') };
  const line = (level: Level, codes: string[], total: number, parentHidden: boolean) => {
    const cells = codes.map((key) => ({ key, n: counts[level].get(key) ?? 0 }));
    const out = suppress({ cells, total }, { threshold });
    const shown = out.cells.filter((c) => !c.suppressed);
    for (const c of out.cells) if (c.suppressed) hidden[level].add(c.key);
    // A hidden parent must not be recoverable as the sum of fully shown children.
    if (parentHidden && shown.length === cells.length) {
      const smallest = cells.filter((c) => c.n > 0).sort((a, b) => a.n - b.n || a.key.localeCompare(b.key))[0];
      if (smallest) hidden[level].add(smallest.key);
    }
  };
  line('supergroup', dict.codes.supergroup, classified, false);
  for (const level of ['group', 'subgroup'] as const) {
    const parentLevel: Level = level === 'group' ? 'supergroup' : 'group';
    for (const parent of dict.codes[parentLevel]) {
      const children = dict.codes[level].filter((c) => dict.parent(level, c) === parent);
      line(level, children, counts[parentLevel].get(parent) ?? 0, hidden[parentLevel].has(parent));
    }
  }
  return hidden;
}

function segmentRows(level: Level, rows: Comparison[], hidden: Set<string>, dict: Dictionary): SegmentRow[] {
  return rows.map((r) => {
    const h = hidden.has(r.segment);
    return {
      code: r.segment,
      name: dict.name(level, r.segment),
      description: level === 'subgroup' ? dict.description(r.segment) : null,
      n: h ? 'c' : r.O,
      pct: h ? null : r.pct,
      basePct: r.basePct ?? 0,
      index: h ? null : r.index,
      ciLow: h ? null : r.ciLow,
      ciHigh: h ? null : r.ciHigh,
      flag: h ? null : r.ciFlag,
      reliable: r.reliable,
    };
  });
}

/**
 * When the match rate is hidden because only a few pupils (1 to threshold - 1) could not be matched,
 * the rate is at least (pupils - (threshold - 1)) / pupils: the lowest rate any count that "c" may
 * stand for gives, so printing it tells a head nothing the "c" does not. Rounded down to 0.1%.
 * Null when the rate is shown, or when the matched count itself is the small one.
 */
export function matchRateAtLeast(pupils: number, matched: number, threshold: number): number | null {
  const other = pupils - matched;
  if (pupils < threshold || matched < threshold || other < 1 || other >= threshold) return null;
  return Math.floor((1000 * (pupils - (threshold - 1))) / pupils) / 10;
}

export function profileDocumentFor(input: DocumentInput): ProfileDocument {
  const { facts, threshold, dict } = input;
  const hidden = hiddenSegments(input.profile, dict, facts.classified, threshold);
  const unclassified = facts.pupils - facts.classified;
  const coverage = suppress({ cells: [{ key: 'classified', n: facts.classified }, { key: 'unclassified', n: unclassified }], total: facts.pupils }, { threshold });
  const fsm = suppress({ cells: [{ key: 'fsm', n: facts.fsm_n }, { key: 'not', n: facts.pupils - facts.fsm_n }], total: facts.pupils }, { threshold });
  const statuses = ['exact', 'terminated', 'sector', 'unmatched', 'invalid'] as const;
  const match = suppress({ cells: statuses.map((s) => ({ key: s, n: facts[s] })), total: facts.pupils }, { threshold });
  const imdCells = facts.imd.map((n, i) => ({ key: String(i + 1), n }));
  const imd = suppress({ cells: [...imdCells, { key: 'unknown', n: facts.imdUnknown }], total: facts.pupils }, { threshold });
  const baseImdTotal = input.baseImd.reduce((a, b) => a + b, 0);
  const byKey = <T extends { key: string }>(xs: T[], k: string) => xs.find((x) => x.key === k)!;
  const matchCell = (k: string) => byKey(match.cells, k);
  const pctOf = (k: string) => (matchCell(k).suppressed || match.total.suppressed ? null : matchCell(k).pct);
  // The match rate is protected as its own two-cell line (matched to a unit postcode or not), so a
  // small number of terminated postcodes does not hide the headline rate.
  const unitMatched = facts.exact + facts.terminated;
  const rate = suppress({ cells: [{ key: 'matched', n: unitMatched }, { key: 'other', n: facts.pupils - unitMatched }], total: facts.pupils }, { threshold });
  const matched = rate.cells.some((c) => c.suppressed) || rate.total.suppressed ? null : facts.pupils ? (100 * unitMatched) / facts.pupils : null;
  const schoolSuper = new Map(input.profile.supergroup.map((r) => [r.segment, r]));
  return {
    period: input.period,
    laName: input.laName,
    school: { urn: input.school.urn, name: input.school.name ?? input.school.urn, phase: input.school.phase ?? 'unknown', cluster: input.school.cluster },
    classification: input.classification,
    base: input.base,
    threshold,
    keyFacts: {
      pupils: coverage.total.suppressed ? 'c' : facts.pupils,
      classified: cellOf(byKey(coverage.cells, 'classified').value),
      unclassified: cellOf(byKey(coverage.cells, 'unclassified').value),
      matchRatePct: matched,
      matchRateAtLeastPct: matched === null ? matchRateAtLeast(facts.pupils, unitMatched, threshold) : null,
      sectorImputedPct: pctOf('sector'),
      fsmPct: byKey(fsm.cells, 'fsm').suppressed ? null : byKey(fsm.cells, 'fsm').pct,
    },
    segments: {
      supergroup: segmentRows('supergroup', input.profile.supergroup, hidden.supergroup, dict),
      group: segmentRows('group', input.profile.group, hidden.group, dict),
      subgroup: segmentRows('subgroup', input.profile.subgroup, hidden.subgroup, dict),
    },
    imd: imdCells.map((c, i) => {
      const p = byKey(imd.cells, c.key);
      return { decile: i + 1, n: cellOf(p.value), pct: p.suppressed ? null : p.pct, basePct: baseImdTotal ? (100 * input.baseImd[i]) / baseImdTotal : 0 };
    }),
    matchStatus: statuses.map((s) => ({ status: s, n: cellOf(matchCell(s).value), pct: pctOf(s) })),
    similarSchools: input.similar.map((s) => ({ urn: s.similarUrn, name: s.name, similarity: s.similarity, distanceKm: s.distanceKm })),
    cluster: input.school.cluster === null ? null : {
      name: input.school.cluster,
      schools: input.clusterSchools,
      supergroups: input.variation.map((v) => {
        const own = schoolSuper.get(v.segment);
        return {
          code: v.segment,
          name: dict.name('supergroup', v.segment),
          schoolPct: hidden.supergroup.has(v.segment) ? null : (own?.pct ?? null),
          min: v.min,
          median: v.median,
          max: v.max,
        };
      }),
    },
  };
}

export { LEVEL_ORDER };
