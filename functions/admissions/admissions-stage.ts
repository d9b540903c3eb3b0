/**
 * Admissions stage (after profiles and fair access, before PDFs): for each period with admissions,
 * each application is matched to the classification, its nearest school and the Choice Advisers'
 * contacts with the shared SQL (enriched_admissions, curated, application-level); the counts by
 * segment, ward and contact become the published admissions tables (statistics.ts); and the
 * fair-access report of each period the run wrote gets its admissions section ("Who gets their
 * first choice") and the geography of its maps.
 *
 * Its own stage so the profiles stage stays as it is: on AWS it runs in the profiles function after
 * the analysis (functions/handlers/profiles.ts), locally after it in run.ts.
 *
 * Incremental (the local nightly run, as the other stages: functions/lake/stage-records.ts): an
 * enriched_admissions partition whose inputs are unchanged is kept; when only the contacts changed,
 * only its contacted flag is recomputed (the matching is most of the work); and the published tables
 * are skipped when the publication holds them from identical inputs. Each skip is said. A
 * fair-access report the run wrote still gets its admissions section either way.
 */
import { admissions, contacts, enrichedAdmissions, enrichedPupils, postcodes, schools, segments, wards } from '../../schemas/curated.ts';
import { fairAccessDocument } from '../../schemas/fair-access-document.ts';
import * as q from '../../schemas/sql/admissions.ts';
import { wardCentroidsSql } from '../../schemas/sql/maps.ts';
import { currentVintage } from '../classify/classify-stage.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { assertUnpublished, runRoot } from '../lake/publication.ts';
import { attachTables } from '../lake/tables.ts';
import { classifyPupilsFingerprint, Fingerprints } from '../lake/fingerprints.ts';
import { publishedRecord, writeStageRecord } from '../lake/stage-records.ts';
import { keptOr } from '../lake/kept-facts.ts';
import { tablePrefix } from '../../schemas/columns.ts';
import type { ReportMap } from '../../schemas/admissions-document.ts';
import { loadMapGrid } from '../maps/load.ts';
import { reportMapFor } from '../maps/report-map.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';
import { analysisSettings, DEFAULT_ANALYSIS, fairAccessDocKey, profileInputs } from '../profiles/analysis-stage.ts';
import { admissionsSectionFor } from './section.ts';
import { enrich, type EnrichedBy } from './enrich.ts';
import { admissionsItems, writeTables } from './published-tables.ts';
import { contactedComparison, segmentOutcomes, trend, unclassifiedCounts, wardOutcomes, type CountsRow, type WardCountsRow } from './statistics.ts';
import { periodOfEntry } from '../domain/admissions-fields.ts';

export { ADMISSIONS_TABLES, admissionsItems } from './published-tables.ts';

export interface AdmissionsOptions {
  lake: ObjectStore;
  sql: SqlEngine;
  runId: string;
  /** Periods the run publishes (admissions of other periods are left alone). */
  periods: string[];
  progress?: ProgressSink;
  /** Skip what the publication (or the curated partition) already holds from identical inputs. */
  incremental?: boolean;
  /** The run's fingerprints (computed from the lake when not given). */
  fingerprints?: Fingerprints;
}

export interface AdmissionsReport {
  /** Periods with admissions analysed. */
  periods: string[];
  applications: number;
  /** Fair-access reports given an admissions section / map. */
  reports: string[];
  /** Per period with admissions: how its enriched_admissions was made. */
  enriched: Record<string, EnrichedBy>;
  /** The published run whose admissions tables stand (inputs unchanged); null when this run made them. */
  skipped: string | null;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : v === null || v === undefined ? 0 : (v as number));
const rowsOf = async (sql: SqlEngine, text: string) => (await sql.query(text)).toArray().map((r) => r.toJSON() as Record<string, unknown>);

const COUNT_FIELDS = ['applications', 'on_time_n', 'first_pref', 'any_pref', 'allocated', 'no_offer', 'one_pref', 'prefs_named', 'located_n', 'nearest_first', 'distance_n', 'first_km_sum', 'nearest_km_sum'] as const;
const countsOf = (r: Record<string, unknown>) => Object.fromEntries(COUNT_FIELDS.map((k) => [k, num(r[k])])) as Record<(typeof COUNT_FIELDS)[number], number>;

export async function analyseAdmissions(opts: AdmissionsOptions): Promise<AdmissionsReport> {
  const { sql, lake, runId } = opts;
  const progress = opts.progress ?? noProgress;
  await assertUnpublished(lake, runId);
  await attachTables(sql, [admissions, contacts, schools, postcodes, segments, wards, enrichedPupils]);
  const present = new Set((await rowsOf(sql, q.admissionsPeriodsSql())).map((r) => String(r.period)));
  const periods = opts.periods.filter((p) => present.has(p)).sort();
  const vintage = await currentVintage(sql);
  const fps = opts.fingerprints ?? (await Fingerprints.of(lake, analysisSettings(DEFAULT_ANALYSIS)));
  const report: AdmissionsReport = { periods, applications: 0, reports: [], enriched: {}, skipped: null };

  for (const period of periods) report.enriched[period] = await enrich(opts, period, vintage, fps);
  await attachTables(sql, [enrichedAdmissions]);

  // The published tables: made together for the run's periods (the trend spans them), one record
  // under the latest period.
  const fingerprint = fps.admissions(opts.periods);
  const recordPeriod = [...opts.periods].sort().at(-1);
  const items = opts.periods.flatMap(admissionsItems);
  const before = opts.incremental && recordPeriod ? await publishedRecord<AdmissionsReport>(lake, 'admissions', recordPeriod, fingerprint, items) : null;
  const written = await writtenReports(lake, runId, opts.periods);
  if (before) {
    progress({ stage: 'admissions', item: periods.join(', '), message: `tables unchanged since run ${before.runId}: skipped` });
    report.applications = before.result.applications;
    report.skipped = before.runId;
    // Nothing else to do unless this run wrote a fair-access report (its admissions section is made again).
    if (written.length === 0) return report;
  }

  const { dict, classification } = await profileInputs(sql);
  const edition = classification.edition;
  const wardNames = new Map((await rowsOf(sql, 'SELECT ward, ward_name FROM wards')).map((r) => [String(r.ward), String(r.ward_name)]));
  const counts: CountsRow[] = [];
  const wardCounts: WardCountsRow[] = [];
  for (const period of periods) {
    for (const r of await rowsOf(sql, q.admissionsCountsSql(period))) {
      counts.push({ entry_year: num(r.entry_year), phase: String(r.phase), subgroup: (r.subgroup as string | null) ?? null, contacted: Boolean(r.contacted), ...countsOf(r) });
    }
    for (const r of await rowsOf(sql, q.admissionsWardCountsSql(period))) {
      wardCounts.push({ entry_year: num(r.entry_year), phase: String(r.phase), ward: (r.ward as string | null) ?? null, ...countsOf(r) });
    }
  }
  report.applications = counts.reduce((n, r) => n + r.applications, 0);
  const outcomes = segmentOutcomes(counts, dict);
  const trends = trend(outcomes);
  const contacted = contactedComparison(counts, dict);
  const wardRows = wardOutcomes(wardCounts);
  const unclassified = unclassifiedCounts(counts, dict);
  if (!before) {
    await writeTables(lake, runId, periods, { outcomes, trends, contacted, wardRows, unclassified, dict, edition, wardNames });
    if (recordPeriod) await writeStageRecord(lake, { stage: 'admissions', period: recordPeriod, runId, fingerprint, items, result: { ...report, reports: [] } });
  }

  // The fair-access reports this run wrote: their admissions section and map geography.
  const sources = fps.sources;
  for (const period of written) {
    const key = `${runRoot(runId)}/${fairAccessDocKey(period)}`;
    progress({ stage: 'admissions', item: period, message: 'report section and maps' });
    const doc = fairAccessDocument.parse(JSON.parse(Buffer.from(await lake.get(key)).toString()));
    const entryYears = [...new Set(outcomes.filter((o) => periodOfEntry(o.entryYear) === period).map((o) => o.entryYear))];
    if (entryYears.length) {
      doc.admissions = admissionsSectionFor({ entryYears, classificationName: classification.name, outcomes, unclassified, trend: trends, contacted, wards: wardRows, dict, wardNames });
    }
    // The maps' geography depends on the classified pupils alone: kept from the night that made it
    // (kept-facts.ts), so a night on which only contacts changed does not scan the pupils for it.
    const { value: map } = await keptOr<ReportMap | null>(
      lake,
      { name: 'report-map', from: { tablePrefix: tablePrefix(enrichedPupils), period, fingerprint: classifyPupilsFingerprint(sources, period) }, settings: { vintage }, ext: 'json', encode: (m) => JSON.stringify(m), decode: (b) => JSON.parse(Buffer.from(b).toString('utf8')) as ReportMap | null },
      async () => {
        // The pupils' extent the profiles stage of this run scanned for its maps (scanned here only when that stage was skipped).
        const grid = await loadMapGrid(sql, period, vintage, { lake, runId, mode: 'read' });
        const centroids = (await rowsOf(sql, wardCentroidsSql(period, vintage))).map((r) => ({ ward: String(r.ward), lat: num(r.lat), long: num(r.long) }));
        return grid ? reportMapFor(grid, centroids) : null;
      },
    );
    if (map) doc.map = map;
    await lake.put(key, JSON.stringify(doc, null, 2));
    report.reports.push(period);
  }
  return report;
}

/** The periods whose fair-access report this run wrote (the report gets the admissions section). */
async function writtenReports(lake: ObjectStore, runId: string, periods: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const period of periods) if (await lake.exists(`${runRoot(runId)}/${fairAccessDocKey(period)}`)) out.push(period);
  return out;
}
