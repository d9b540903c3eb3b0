/**
 * Shapes the fair-access result into the LA report document: internal management information for
 * the Choice Advisers service (OFFICIAL-SENSITIVE), exact counts (docs/disclosure.md).
 */
import { HANDLING, type FairAccessDocument } from '../../schemas/fair-access-document.ts';
import type { ClassificationInfo } from '../../schemas/profile-document.ts';
import { exactPoissonInterval } from '../domain/stats/index-measures.ts';
import type { Dictionary, Level } from './dictionary.ts';
import type { FairAccessResult, PlaceRow, TrendRow } from './fair-access.ts';

export interface FamilyCounts {
  byPostcodeAndChild: number;
  byPostcode: number;
  sharedPostcodes: number;
}

export interface FairAccessDocumentInput {
  period: string;
  laName: string;
  classification: ClassificationInfo;
  years: string[] | null;
  contacts: number;
  families: FamilyCounts;
  result: FairAccessResult;
  trend: TrendRow[];
  dict: Dictionary;
  wardNames: Map<string, string>;
  schoolNames: Map<string, string>;
}

export const HANDLING_NOTE =
  'Internal management information for the Choice Advisers service. Counts are exact and not protected for publication: do not publish or pass this report on (to schools or anyone else) without applying the published-statistics rule first.';

/** How contacts become families, with the effect of the rule measured on this year's contacts. */
export function clientRule(f: FamilyCounts): string {
  const merged = f.byPostcodeAndChild - f.byPostcode;
  return (
    'Each family is counted once per academic year: contacts are grouped by home postcode and child (school and year group), so repeat contacts about one child count once, ' +
    'and a contact that names no child joins the earliest family at its postcode. Contacts without a usable postcode are counted but cannot be classified. ' +
    `This year that gives ${f.byPostcodeAndChild.toLocaleString('en-GB')} families; grouping by postcode alone would have given ${f.byPostcode.toLocaleString('en-GB')}` +
    (merged > 0 ? `, merging ${merged.toLocaleString('en-GB')} ${merged === 1 ? 'family' : 'families'} at ${f.sharedPostcodes.toLocaleString('en-GB')} shared ${f.sharedPostcodes === 1 ? 'postcode' : 'postcodes'}.` : '.')
  );
}

export function fairAccessDocumentFor(i: FairAccessDocumentInput): FairAccessDocument {
  const { result: fa, dict } = i;
  const rowsAt = (l: Level) => fa.rows.filter((r) => r.level === l);
  const level = (l: Level) =>
    rowsAt(l).map((r) => ({
      code: r.segment,
      name: dict.name(l, r.segment),
      clients: r.O,
      clientPct: r.pct ?? 0,
      clientPctLow: r.pctLow,
      clientPctHigh: r.pctHigh,
      base: r.B,
      basePct: r.basePct ?? 0,
      penetration: r.B > 0 ? (1000 * r.O) / r.B : null,
      expected: r.expected,
      index: r.index,
      ciLow: r.ciLow,
      ciHigh: r.ciHigh,
      z: r.z,
      p: r.p,
      pAdjusted: r.pAdjusted,
      flag: r.flag,
    }));
  const intervalLevel = (l: Level) => rowsAt(l).find((r) => r.ciLow !== null)?.ciLevel ?? 0.95;
  // Counts reached repeat across thousands of wards and schools: each count's interval once.
  const intervals = new Map<number, { low: number; high: number }>();
  const garwood = (n: number) => intervals.get(n) ?? intervals.set(n, exactPoissonInterval(n)).get(n)!;
  const place = (names: Map<string, string>) => (r: PlaceRow) => ({
    code: r.place,
    name: names.get(r.place) ?? null,
    baseN: r.baseN,
    expected: r.expected,
    actual: r.actual,
    gap: r.gap,
    // The shortfall's 95% interval, from the exact (Garwood) interval of the count reached.
    shortfallLow: r.expected - garwood(r.actual).high,
    shortfallHigh: r.expected - garwood(r.actual).low,
    ratio: r.ratio,
    p: r.p,
    pAdjusted: r.pAdjusted,
    lower95: r.lower95,
    upper95: r.upper95,
    lowerAdjusted: r.lowerAdjusted,
    upperAdjusted: r.upperAdjusted,
    flag: r.flag,
  });
  return {
    period: i.period,
    laName: i.laName,
    handling: HANDLING,
    handlingNote: HANDLING_NOTE,
    classification: i.classification,
    base: {
      label: i.years ? `pupils in Years ${i.years.join(' and ')} (the families choosing a school)` : 'all pupils',
      ncyears: i.years,
    },
    clientRule: clientRule(i.families),
    families: i.families,
    intervals: { supergroup: intervalLevel('supergroup'), group: intervalLevel('group'), subgroup: intervalLevel('subgroup') },
    totals: { contacts: i.contacts, clients: fa.totals.clients, classifiedClients: fa.totals.classifiedClients, base: fa.totals.base, penetration: fa.totals.penetration === null ? null : 1000 * fa.totals.penetration },
    chiSquare: fa.tests.map((t) => ({ level: t.level, statistic: t.statistic, df: t.df, p: t.p, mergedCells: t.mergedCells })),
    segments: { supergroup: level('supergroup'), group: level('group'), subgroup: level('subgroup') },
    underRepresented: { level: fa.underLevel, segments: fa.under.map((code) => ({ code, name: dict.name(fa.underLevel, code) })) },
    placeTables: {
      wards: { adjustedLevel: fa.byWard.adjustedLevel, notKnown: fa.byWard.notKnown },
      schools: { adjustedLevel: fa.bySchool.adjustedLevel, notKnown: fa.bySchool.notKnown },
    },
    wards: fa.byWard.rows.map(place(i.wardNames)),
    schools: fa.bySchool.rows.map(place(i.schoolNames)),
    trend: trendSection(i.trend, i.period, dict),
  };
}

/** The report's trend section for `period`: each segment's index by year up to it, and the test of the change. */
export function trendSection(trend: TrendRow[], period: string, dict: Dictionary): FairAccessDocument['trend'] {
  return trend
    .filter((t) => t.period === period)
    .map((t) => ({
      level: t.level,
      code: t.segment,
      name: dict.name(t.level, t.segment),
      byYear: trend.filter((u) => u.level === t.level && u.segment === t.segment && u.period <= period).map((u) => ({ period: u.period, index: u.index })),
      change: t.change,
      p: t.p,
      pAdjusted: t.pAdjusted,
      flag: t.flag,
    }));
}
