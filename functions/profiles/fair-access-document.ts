/** Shapes the fair-access result into the LA report document; contact counts in places are disclosure-controlled. */
import type { FairAccessDocument } from '../../schemas/fair-access-document.ts';
import type { ClassificationInfo } from '../../schemas/profile-document.ts';
import type { Dictionary } from './dictionary.ts';
import type { FairAccessResult, PlaceRow, TrendRow } from './fair-access.ts';

export interface FairAccessDocumentInput {
  period: string;
  laName: string;
  classification: ClassificationInfo;
  threshold: number;
  years: string[] | null;
  contacts: number;
  result: FairAccessResult;
  trend: TrendRow[];
  dict: Dictionary;
  wardNames: Map<string, string>;
  schoolNames: Map<string, string>;
}

export const CLIENT_RULE =
  'Each family is counted once per academic year: contacts are deduplicated by home postcode, keeping the earliest contact. Contacts without a usable postcode are counted but cannot be classified.';

export function fairAccessDocumentFor(i: FairAccessDocumentInput): FairAccessDocument {
  const { result: fa, dict } = i;
  const level = (l: 'supergroup' | 'group' | 'subgroup') =>
    fa.rows
      .filter((r) => r.level === l)
      .map((r) => ({
        code: r.segment,
        name: dict.name(l, r.segment),
        clients: r.O,
        clientPct: r.pct ?? 0,
        base: r.B,
        basePct: r.basePct ?? 0,
        penetration: r.B > 0 ? (1000 * r.O) / r.B : null,
        index: r.index,
        ciLow: r.ciLow,
        ciHigh: r.ciHigh,
        z: r.z,
        p: r.p,
        pHolm: r.pHolm,
        flag: r.flag,
      }));
  // Places: a contact count below the threshold (but not zero) is shown as c; its gap is hidden too.
  const place = (names: Map<string, string>) => (r: PlaceRow) => {
    const hidden = r.actual > 0 && r.actual < i.threshold;
    return {
      code: r.place,
      name: names.get(r.place) ?? null,
      baseN: r.baseN,
      expected: r.expected,
      actual: hidden ? ('c' as const) : r.actual,
      gap: hidden ? null : r.gap,
      lower95: r.lower95,
      lower998: r.lower998,
      upper95: r.upper95,
      upper998: r.upper998,
    };
  };
  return {
    period: i.period,
    laName: i.laName,
    classification: i.classification,
    base: {
      label: i.years ? `pupils in Years ${i.years.join(' and ')} (the families choosing a school)` : 'all pupils',
      ncyears: i.years,
    },
    clientRule: CLIENT_RULE,
    threshold: i.threshold,
    totals: { contacts: i.contacts, clients: fa.totals.clients, classifiedClients: fa.totals.classifiedClients, base: fa.totals.base, penetration: fa.totals.penetration === null ? null : 1000 * fa.totals.penetration },
    chiSquare: fa.tests.map((t) => ({ level: t.level, statistic: t.statistic, df: t.df, p: t.p ?? 1, mergedCells: t.mergedCells })),
    segments: { supergroup: level('supergroup'), group: level('group'), subgroup: level('subgroup') },
    underRepresented: { level: fa.underLevel, segments: fa.under.map((code) => ({ code, name: dict.name(fa.underLevel, code) })) },
    wards: fa.byWard.map(place(i.wardNames)),
    schools: fa.bySchool.map(place(i.schoolNames)),
    trend: i.trend
      .filter((t) => t.period === i.period)
      .map((t) => ({
        level: t.level,
        code: t.segment,
        name: dict.name(t.level, t.segment),
        byYear: i.trend.filter((u) => u.level === t.level && u.segment === t.segment && u.period <= i.period).map((u) => ({ period: u.period, index: u.index })),
        change: t.change,
        z: t.z,
        p: t.p,
      })),
  };
}
