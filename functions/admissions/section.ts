/**
 * Shapes the admissions statistics into the fair-access report's section ("Who gets their first
 * choice") for one cycle: the rounds decided in its academic year, secondary first. Pure.
 */
import type { AdmissionsRound, AdmissionsSection, RateCell } from '../../schemas/admissions-document.ts';
import type { Dictionary } from '../profiles/dictionary.ts';
import { MEASURES, type AdmissionsCounts, type ContactedRow, type Measure, type Rate, type SegmentOutcome, type TrendRow, type WardOutcome } from './statistics.ts';

const PHASE_ORDER = ['secondary', 'primary', 'junior'];

const cell = (r: Rate): RateCell => ({ x: r.x, n: r.n, rate: r.rate, ciLow: r.ciLow, ciHigh: r.ciHigh, pAdjusted: r.pAdjusted, flag: r.flag });
const mean = (sum: number, n: number) => (n > 0 ? sum / n : null);

function described(o: SegmentOutcome) {
  const c = o.counts;
  return {
    applications: c.applications,
    onTime: c.on_time_n,
    meanPreferences: mean(c.prefs_named, c.on_time_n),
    meanFirstKm: mean(c.first_km_sum, c.distance_n),
    meanNearestKm: mean(c.nearest_km_sum, c.distance_n),
    rates: Object.fromEntries(MEASURES.map((m) => [m, cell(o.rates[m])])) as Record<Measure, RateCell>,
  };
}

export interface SectionInput {
  /** The entry years decided in the cycle (normally one). */
  entryYears: number[];
  classificationName: string;
  outcomes: SegmentOutcome[];
  unclassified: Map<string, AdmissionsCounts>;
  trend: TrendRow[];
  contacted: ContactedRow[];
  wards: WardOutcome[];
  dict: Dictionary;
  wardNames: Map<string, string>;
}

export function admissionsSectionFor(i: SectionInput): AdmissionsSection {
  const rounds: AdmissionsRound[] = [];
  const las = i.outcomes.filter((o) => o.level === 'la' && i.entryYears.includes(o.entryYear));
  las.sort((a, b) => PHASE_ORDER.indexOf(a.phase) - PHASE_ORDER.indexOf(b.phase) || a.entryYear - b.entryYear);
  for (const la of las) {
    const mine = (level: string) => i.outcomes.filter((o) => o.level === level && o.phase === la.phase && o.entryYear === la.entryYear);
    const sgs = mine('supergroup');
    const contacted = i.contacted.filter((c) => c.phase === la.phase && c.entryYear === la.entryYear && c.measure === 'first_preference');
    const within = contacted.find((c) => c.level === 'within');
    const crude = contacted.find((c) => c.level === 'crude');
    const hasContacts = contacted.some((c) => c.contacted.n > 0);
    const trendRows = i.trend.filter((t) => t.phase === la.phase && t.level === 'supergroup' && t.measure === 'first_preference');
    const wards = i.wards
      .filter((w) => w.phase === la.phase && w.entryYear === la.entryYear)
      .sort((a, b) => (a.flag === 'lower' ? 0 : 1) - (b.flag === 'lower' ? 0 : 1) || (a.rate ?? 1) - (b.rate ?? 1) || b.missed - a.missed || (a.ward < b.ward ? -1 : 1));
    const unc = i.unclassified.get(`${la.entryYear}|${la.phase}`);
    rounds.push({
      phase: la.phase as AdmissionsRound['phase'],
      entryYear: la.entryYear,
      totals: { applications: la.counts.applications, onTime: la.counts.on_time_n, late: la.counts.applications - la.counts.on_time_n, unclassified: unc?.applications ?? 0 },
      la: described(la),
      intervalLevel: sgs.find((o) => o.rates.first_preference.p !== null)?.rates.first_preference.ciLevel ?? 0.95,
      supergroups: sgs.map((o) => ({ code: o.segment, name: i.dict.name('supergroup', o.segment), ...described(o) })),
      groups: mine('group').map((o) => ({ code: o.segment, name: i.dict.name('group', o.segment), onTime: o.counts.on_time_n, first: cell(o.rates.first_preference) })),
      contacted:
        hasContacts && within && crude
          ? {
              supergroups: contacted
                .filter((c) => c.level === 'supergroup')
                .map((c) => ({ code: c.segment, name: i.dict.name('supergroup', c.segment), contacted: c.contacted, other: c.other, pAdjusted: c.pAdjusted, flag: c.flag })),
              within: { contacted: within.contacted, other: within.other, expected: within.expected, p: within.p, flag: within.flag },
              crude: { contacted: crude.contacted, other: crude.other, expected: crude.expected, p: crude.p, flag: crude.flag },
            }
          : null,
      trend: sgs.map((o) => {
        const rows = trendRows.filter((t) => t.segment === o.segment && t.entryYear <= la.entryYear).sort((a, b) => a.entryYear - b.entryYear);
        const now = rows.find((t) => t.entryYear === la.entryYear);
        return {
          code: o.segment,
          name: i.dict.name('supergroup', o.segment),
          byYear: rows.map((t) => ({ entryYear: t.entryYear, rate: t.rate })),
          change: now?.change ?? null,
          pAdjusted: now?.pAdjusted ?? null,
          flag: now?.flag ?? null,
        };
      }),
      wards: wards.map((w) => ({ code: w.ward, name: i.wardNames.get(w.ward) ?? null, onTime: w.onTime, first: w.first, missed: w.missed, rate: w.rate, pAdjusted: w.pAdjusted, flag: w.flag })),
    });
  }
  return { classification: i.classificationName, rounds };
}
