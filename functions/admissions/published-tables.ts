/**
 * The published admissions tables of a run's periods, from the statistics (statistics.ts): rates
 * and segment counts by segment, the trend, the contacted comparison and the wards.
 */
import * as T from '../../schemas/published.ts';
import { periodOfEntry } from '../domain/admissions-fields.ts';
import type { Value } from '../lake/column-buffer.ts';
import { stageRows } from '../lake/table-writer.ts';
import { publishedItem } from '../lake/tables.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { Dictionary } from '../profiles/dictionary.ts';
import { MEASURES, type AdmissionsCounts, type ContactedRow, type SegmentOutcome, type TrendRow, type WardOutcome } from './statistics.ts';

/** The published tables of the stage. */
export const ADMISSIONS_TABLES = [T.admissionsRates, T.admissionsSegments, T.admissionsTrend, T.admissionsContacted, T.admissionsByWard];

/** The published items the stage writes for a period (a skipped stage leaves them to the run that made them). */
export const admissionsItems = (period: string): string[] => ADMISSIONS_TABLES.map((t) => publishedItem(t, period));

/** What the tables are made of: the statistics of every period of the run, and the names to show. */
export interface AdmissionsStatistics {
  outcomes: SegmentOutcome[];
  trends: TrendRow[];
  contacted: ContactedRow[];
  wardRows: WardOutcome[];
  unclassified: Map<string, AdmissionsCounts>;
  dict: Dictionary;
  edition: string;
  wardNames: Map<string, string>;
}

export async function writeTables(lake: ObjectStore, runId: string, periods: readonly string[], st: AdmissionsStatistics): Promise<void> {
  const { outcomes, trends, contacted, wardRows, unclassified, dict, edition, wardNames } = st;
  const name = (level: string, code: string) => (level === 'la' ? 'All applications' : dict.name(level as 'supergroup' | 'group', code));
  for (const period of periods) {
    const inPeriod = (entryYear: number) => periodOfEntry(entryYear) === period;
    const rates: Record<string, Value>[] = [];
    const segs: Record<string, Value>[] = [];
    for (const o of outcomes.filter((x) => inPeriod(x.entryYear))) {
      for (const m of MEASURES) {
        const r = o.rates[m];
        rates.push({
          entry_year: o.entryYear,
          phase: o.phase,
          level: o.level,
          segment: o.segment,
          segment_name: name(o.level, o.segment),
          measure: m,
          n: r.n,
          x: r.x,
          rate: r.rate,
          ci_low: r.ciLow,
          ci_high: r.ciHigh,
          ci_level: r.ciLevel,
          la_rate: o.level === 'la' ? r.rate : r.laRate,
          difference: r.rate !== null && r.laRate !== null ? r.rate - r.laRate : o.level === 'la' ? 0 : null,
          p: r.p,
          p_adjusted: r.pAdjusted,
          flag: r.flag,
          classification: edition,
        });
      }
      segs.push(segmentRow(o.entryYear, o.phase, o.level, o.segment, name(o.level, o.segment), o.counts, edition));
    }
    for (const [k, c] of unclassified) {
      const [y, phase] = k.split('|') as [string, string];
      if (inPeriod(Number(y)) && c.applications > 0) segs.push(segmentRow(Number(y), phase, 'unclassified', 'none', 'No usable postcode', c, edition));
    }
    await stageRows(lake, runId, T.admissionsRates, period, rates);
    await stageRows(lake, runId, T.admissionsSegments, period, segs);
    await stageRows(
      lake,
      runId,
      T.admissionsTrend,
      period,
      trends
        .filter((t) => inPeriod(t.entryYear))
        .map((t) => ({ phase: t.phase, level: t.level, segment: t.segment, segment_name: name(t.level, t.segment), measure: t.measure, entry_year: t.entryYear, previous_entry_year: t.previousEntryYear, rate: t.rate, previous_rate: t.previousRate, change: t.change, p: t.p, p_adjusted: t.pAdjusted, flag: t.flag, classification: edition })),
    );
    await stageRows(
      lake,
      runId,
      T.admissionsContacted,
      period,
      contacted
        .filter((c) => inPeriod(c.entryYear))
        .map((c) => ({
          entry_year: c.entryYear,
          phase: c.phase,
          level: c.level,
          segment: c.segment,
          segment_name: c.level === 'supergroup' ? dict.name('supergroup', c.segment) : c.level === 'within' ? 'All types, compared within each' : 'All families',
          measure: c.measure,
          contacted_n: c.contacted.n,
          contacted_x: c.contacted.x,
          contacted_rate: c.contacted.n ? c.contacted.x / c.contacted.n : null,
          other_n: c.other.n,
          other_x: c.other.x,
          other_rate: c.other.n ? c.other.x / c.other.n : null,
          expected_x: c.expected,
          p: c.p,
          p_adjusted: c.pAdjusted,
          flag: c.flag,
          classification: edition,
        })),
    );
    await stageRows(
      lake,
      runId,
      T.admissionsByWard,
      period,
      wardRows
        .filter((w) => inPeriod(w.entryYear))
        .map((w) => ({ entry_year: w.entryYear, phase: w.phase, ward: w.ward, ward_name: wardNames.get(w.ward) ?? null, on_time: w.onTime, first_pref: w.first, missed: w.missed, rate: w.rate, la_rate: w.laRate, expected_missed: w.expectedMissed, p: w.p, p_adjusted: w.pAdjusted, flag: w.flag })),
    );
  }
}

function segmentRow(entryYear: number, phase: string, level: string, segment: string, segmentName: string, c: AdmissionsCounts, edition: string): Record<string, Value> {
  return {
    entry_year: entryYear,
    phase,
    level,
    segment,
    segment_name: segmentName,
    applications: c.applications,
    on_time: c.on_time_n,
    late: c.applications - c.on_time_n,
    mean_preferences: c.on_time_n ? c.prefs_named / c.on_time_n : null,
    distance_n: c.distance_n,
    mean_first_km: c.distance_n ? c.first_km_sum / c.distance_n : null,
    mean_nearest_km: c.distance_n ? c.nearest_km_sum / c.distance_n : null,
    classification: edition,
  };
}
