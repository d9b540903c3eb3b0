/**
 * Profiles and fair access, one period at a time, then the trend across periods. The same three
 * stages run in the local pipeline (functions/pipeline/run.ts) and on AWS (a Step Functions Map
 * over periods invoking the profiles Lambda per period, then one trend task):
 *
 *   profilesStage(p)    the analysts' exact tables (school_profile, cluster_profile: counts and
 *                       row-by-row measures in SQL, profileRowsSql; p-values and exact intervals
 *                       here, profile-rows.ts), school_context, and what heads see: one document per
 *                       school from shown counts (head-documents.ts), the head_profile table,
 *                       cluster ranges and similar schools. Documents are written (in parallel)
 *                       only for the period whose documents are published.
 *   fairAccessStage(p)  fair access for a period with contacts: the tables except the trend, and
 *                       the report document without its trend, kept in the run's staging area.
 *                       analyse() runs it beside the period's profiles (the engine takes their
 *                       statements in turn; each fills the other's waits).
 *   trendStage          every period's fair-access rows (this run's, or the published ones of
 *                       periods it did not recompute), the trend tables, the report's trend.
 *
 * Large results (a row per school and segment) come through SqlEngine.queryLarge: Athena UNLOADs
 * them as Parquet and they are read back, never paged through GetQueryResults.
 *
 * Each stage is skipped when the publication already holds its outputs made from identical inputs
 * (functions/lake/stage-records.ts, fingerprints.ts), and says so in its report.
 */
import { contacts, enrichedContacts, enrichedPupils, postcodes, pupils, schools as schoolsTable, segments, wards } from '../../schemas/curated.ts';
import * as T from '../../schemas/published.ts';
import type { FairAccessDocument } from '../../schemas/fair-access-document.ts';
import { classificationName, IMD_EDITIONS, type ImdEdition } from '../../schemas/editions.ts';
import type { ClassificationInfo, ProfileDocument } from '../../schemas/profile-document.ts';
import { tablePrefix, type TableDef } from '../../schemas/columns.ts';
import * as q from '../../schemas/sql/profiles.ts';
import { periodLiteral } from '../../schemas/sql/classify.ts';
import { NotFoundError, type ObjectStore } from '../ports/object-store.ts';
import { abortable, type SqlEngine } from '../ports/sql-engine.ts';
import { readParquetObjects } from '../ports/parquet-objects.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { StagedTable, stageParquet, stageRows } from '../lake/table-writer.ts';
import { attachTables, publishedItem, stagingRoot } from '../lake/tables.ts';
import { keptOr } from '../lake/kept-facts.ts';
import { fromParquet, toParquet } from '../lake/parquet.ts';
import { assertUnpublished, physicalKeyOf, readPublication, runRoot } from '../lake/publication.ts';
import { columnOf, numbersOf, stringsOf } from '../lake/arrow-columns.ts';
import { Fingerprints } from '../lake/fingerprints.ts';
import { publishedRecord, writeStageRecord } from '../lake/stage-records.ts';
import { RENDERER_VERSION } from '../pdf/version.ts';
import { Dictionary, LEVEL_ORDER, type Level, type SegmentEntry } from './dictionary.ts';
import type { SchoolFacts } from './documents.ts';
import { headDocuments } from './head-documents.ts';
import { writeHeadOutputs } from './head-outputs.ts';
import { querySchoolMaps } from '../maps/load.ts';
import type { MapGrid } from '../maps/grid.ts';
import type { ExactSchoolMap } from '../maps/school-map.ts';
import type { Table } from 'apache-arrow';
import { currentVintage } from '../classify/classify-stage.ts';
import { fairAccess, trend, type FairAccessRow, type PlaceCount, type PlaceRow } from './fair-access.ts';
import { emptyLevels, type BaseKind, type School, type SchoolCounts } from './school-profiles.ts';
import { fairAccessDocumentFor, trendSection } from './fair-access-document.ts';
import type { DisclosureMode } from './shown-counts.ts';
import { criticalValues, forEachCount, placeProfileRows, type PlacedProfileRows } from './profile-rows.ts';
import { ProfileTableEncoder } from './profile-table-encoder.ts';
import { LocalObjectStore } from '../ports/local-store.ts';
import { bothSettled, sideBySide } from '../commons/settled.ts';

export interface AnalysisConfig {
  laName: string;
  /** What each school is compared with. Default: the LA. */
  baseKind: BaseKind;
  /** Counts below this are shown as "c" to heads. Default 5. */
  threshold: number;
  /** Other counts heads see are rounded to a multiple of this. Default 5. */
  roundingBase: number;
  /**
   * 'on' (default): heads' documents follow docs/disclosure.md. 'off': exact counts (c for 1 to 4
   * only) and cross-school figures from exact counts, the design switched off; only the attack
   * test uses it, to show what the rule prevents. Never set in production.
   */
  disclosure: DisclosureMode;
  /** NC years whose pupils form the fair-access base; null = all pupils. Default Years 5 and 6. */
  fairAccessYears: string[] | null;
  /** Level whose under-represented segments are located by ward and school. Default supergroup. */
  underLevel: Level;
}

export const DEFAULT_ANALYSIS: AnalysisConfig = {
  laName: 'Local authority',
  baseKind: 'la',
  threshold: 5,
  roundingBase: 5,
  disclosure: 'on',
  fairAccessYears: ['5', '6'],
  underLevel: 'supergroup',
};

export interface AnalysisReport {
  periods: string[];
  schools: number;
  documents: number;
  fairAccessPeriods: string[];
  underRepresented: Record<string, string[]>;
  /** Each stage of each period: `skipped` names the published run whose outputs stand (inputs unchanged), null when it ran. */
  stages: { stage: 'profiles' | 'fair-access'; period: string; skipped: string | null }[];
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));
const rowsOf = async (sql: SqlEngine, text: string) => (await sql.query(text)).toArray().map((r) => r.toJSON() as Record<string, unknown>);

/**
 * Document threads are off unless asked for (`documentThreads`). Memory no longer stops them (the
 * thread loads a bundle under a capped heap, document-threads.ts; large results are read a row group
 * at a time), but they do not pay on 2 cores: during the documents step this thread, its object
 * writer and V8's collector threads already keep both cores busy. Measured at England scale on a
 * quiet machine, whole process, 2 alternating pairs: one thread took wall 1.04x and CPU 1.06x of none
 * (peak 1,630 against 1,529 MiB). (Until then analyse() did not pass the option on, so a measurement
 * through it compared no thread with no thread.) Below about 3,000 schools starting a thread costs
 * more than it saves.
 */
const DEFAULT_DOCUMENT_THREADS = 0;

export const profileDocKey = (period: string, urn: string) => `published/profiles/${period}/${urn}.json`;
export const fairAccessDocKey = (period: string) => `published/reports/${period}/fair-access.json`;

/** Tables each stage writes for a period (its published items, with its document folder when it writes documents). */
export const PROFILE_TABLES: TableDef[] = [T.schoolContext, T.schoolProfile, T.headProfile, T.clusterProfile, T.clusterVariation, T.similarSchools];
export const FAIR_ACCESS_TABLES: TableDef[] = [T.fairAccess, T.fairAccessTests, T.fairAccessByWard, T.fairAccessBySchool, T.fairAccessTrend];
export const profileItems = (period: string) => PROFILE_TABLES.map((t) => publishedItem(t, period));
export const fairAccessItems = (period: string) => FAIR_ACCESS_TABLES.map((t) => publishedItem(t, period));

/** What the outputs of each stage depend on besides the data (the stage fingerprints hash these). */
export function analysisSettings(cfg: AnalysisConfig) {
  return {
    profiles: { laName: cfg.laName, baseKind: cfg.baseKind, threshold: cfg.threshold, roundingBase: cfg.roundingBase, disclosure: cfg.disclosure },
    fairAccess: { laName: cfg.laName, fairAccessYears: cfg.fairAccessYears, underLevel: cfg.underLevel },
    renderer: RENDERER_VERSION,
  };
}

/** Where a run keeps a period's fair-access result between the period's stage and the trend. */
const fairAccessStagingKey = (runId: string, period: string) => `${stagingRoot(runId)}/fair-access/${period}.json`;
/** Scratch of a large query (Athena UNLOADs it there). */
const scratch = (runId: string, name: string, period: string) => `${stagingRoot(runId)}/results/${name}-${period}`;

export interface ProfileInputs {
  dict: Dictionary;
  vintage: string;
  /** Which classification and IMD edition every table and document of the run uses. */
  classification: ClassificationInfo;
  imdEdition: ImdEdition | null;
}

/** The segment dictionary and classification of the attached lake. */
export async function profileInputs(sql: SqlEngine): Promise<ProfileInputs> {
  await attachTables(sql, [pupils, contacts, schoolsTable, postcodes, segments, wards, enrichedPupils, enrichedContacts]);
  const dict = new Dictionary(
    (await rowsOf(sql, q.segmentNamesSql())).map(
      (r): SegmentEntry => ({
        subgroup: String(r.subgroup_code),
        subgroupName: String(r.subgroup_name),
        group: String(r.group_code),
        groupName: String(r.group_name),
        supergroup: String(r.supergroup_code),
        supergroupName: String(r.supergroup_name),
        description: (r.description as string | null) ?? null,
      }),
    ),
  );
  const editions = (await rowsOf(sql, q.vintageSql()))[0] ?? {};
  const vintage = String(editions.vintage ?? 'unknown');
  const edition = (editions.classification as ClassificationInfo['edition'] | null) ?? 'custom';
  const imdEdition = (editions.imd_edition as ImdEdition | null) ?? null;
  const classification: ClassificationInfo = { name: classificationName(edition), vintage, edition, imd: imdEdition ? IMD_EDITIONS[imdEdition].name : null };
  return { dict, vintage, classification, imdEdition };
}

/** Rows of an Arrow table as objects (small results only: schools, facts). */
function objectsOf(t: import('apache-arrow').Table): Record<string, unknown>[] {
  return t.toArray().map((r) => r.toJSON() as Record<string, unknown>);
}

/** The period's schools: name, phase, cluster, location. */
async function schoolsOf(sql: SqlEngine, period: string, scratchOf: (name: string) => string): Promise<Map<string, School>> {
  return new Map<string, School>(
    objectsOf(await sql.queryLarge(q.schoolsSql(period), scratchOf('schools'))).map((r) => [
      String(r.urn),
      { urn: String(r.urn), name: (r.name as string | null) ?? null, phase: (r.phase as string | null) ?? null, cluster: (r.cluster as string | null) ?? null, lat: (r.lat as number) ?? null, long: (r.long as number) ?? null },
    ]),
  );
}

/** The names of the period's schools (fair access names only schools with pupils: q.schoolNamesSql). */
async function schoolNamesOf(sql: SqlEngine, period: string): Promise<Map<string, string | null>> {
  const t = await sql.query(q.schoolNamesSql(period));
  if (t.numRows === 0) return new Map();
  const names = stringsOf(columnOf(t, 'name'));
  return new Map(stringsOf(columnOf(t, 'urn')).map((u, i) => [String(u), names[i] ?? null]));
}

/** Fair-access counts by finest segment, ward and school, read by column (a fifth of a million rows at England scale). */
function placeCountsOf(t: import('apache-arrow').Table, urnColumn: 'urn' | 'child_urn'): PlaceCount[] {
  if (t.numRows === 0) return [];
  const subgroup = stringsOf(columnOf(t, 'subgroup'));
  const ward = stringsOf(columnOf(t, 'ward'));
  const urn = stringsOf(columnOf(t, urnColumn));
  const n = numbersOf(columnOf(t, 'n')).values;
  return subgroup.map((s, i) => ({ subgroup: s, ward: ward[i] ?? null, urn: urn[i] ?? null, n: n[i]! }));
}

/** The period's schools and per-school facts. */
async function schoolsAndFacts(sql: SqlEngine, period: string, scratchOf: (name: string) => string): Promise<{ schools: Map<string, School>; facts: Map<string, SchoolFacts> }> {
  const schools = await schoolsOf(sql, period, scratchOf);
  const facts = new Map<string, SchoolFacts>();
  for (const r of objectsOf(await sql.queryLarge(q.schoolFactsSql(period), scratchOf('facts')))) {
    facts.set(String(r.urn), {
      pupils: num(r.pupils),
      classified: num(r.classified),
      fsm_n: num(r.fsm_n),
      exact: num(r.exact),
      terminated: num(r.terminated),
      sector: num(r.sector),
      unmatched: num(r.unmatched),
      invalid: num(r.invalid),
      imd: Array.from({ length: 10 }, (_, i) => num(r[`imd_decile_${i + 1}`])),
      imdUnknown: num(r.imd_unknown),
    });
  }
  return { schools, facts };
}

/** Exact per-school segment counts from the profile rows (counts of 0 left out), every school with pupils present. */
function countsFrom(rows: PlacedProfileRows, facts: Map<string, SchoolFacts>): SchoolCounts {
  const counts: SchoolCounts = new Map();
  for (const urn of [...facts.keys()].sort()) counts.set(urn, emptyLevels());
  forEachCount(rows, (urn, level, segment, n) => {
    let levels = counts.get(urn);
    if (!levels) counts.set(urn, (levels = emptyLevels()));
    levels[level].set(segment, n);
  });
  return counts;
}

/** Exact per-school segment counts, schools and facts of a period (the disclosure attack test rebuilds documents from these). */
export async function schoolInputs(sql: SqlEngine, period: string, opts: { baseKind?: BaseKind; runId?: string } = {}): Promise<{ counts: SchoolCounts; schools: Map<string, School>; facts: Map<string, SchoolFacts> }> {
  const { dict } = await profileInputs(sql);
  const scratchOf = (name: string) => scratch(opts.runId ?? 'inputs', name, period);
  const { schools, facts } = await schoolsAndFacts(sql, period, scratchOf);
  const rows = placeProfileRows(await sql.queryLarge(q.profileRowsSql(period, 'school', opts.baseKind ?? 'la', criticalValues(maxFamily(dict))), scratchOf('school-profile')));
  return { counts: countsFrom(rows, facts), schools, facts };
}

const maxFamily = (dict: Dictionary) => Math.max(1, ...LEVEL_ORDER.map((l) => dict.codes[l].length));

export interface StageOptions {
  lake: ObjectStore;
  sql: SqlEngine;
  runId: string;
  period: string;
  /** Every period of the run (fair access: the earlier ones feed this one's trend). */
  periods: string[];
  config?: Partial<AnalysisConfig>;
  progress?: ProgressSink;
  /** Write this period's documents (profiles, and the report in the trend stage): the published period. */
  documents: boolean;
  /** Skip a stage whose outputs are published from identical inputs (default true). */
  incremental?: boolean;
  /** The run's fingerprints (computed from the lake when not given). */
  fingerprints?: Fingerprints;
  /**
   * Threads making the documents beside this one when the lake is a local directory (0: this
   * thread alone). Default 0 (see DEFAULT_DOCUMENT_THREADS: memory); one per further core pays
   * at England scale where memory allows.
   */
  documentThreads?: number;
  /**
   * Complete and encode the analysts' profile tables in a thread beside this one when the lake is a
   * local directory (profile-table-encoder.ts). Default true; false encodes them in this thread.
   */
  profileTableThread?: boolean;
  /** Called as soon as this period's documents are written, before the rest of the stage's tables (the caller starts rendering them). */
  onDocuments?: () => void;
  /**
   * Aborted when the work beside this stage has failed: the stage stops at its next step, and its
   * engine calls are made under it (`abortable`), instead of running to its end.
   */
  signal?: AbortSignal;
}

/** A stage's result for a period; `skipped` names the published run whose outputs stand when it did not run. */
export interface ProfilesReport {
  period: string;
  schools: number;
  /** Profile documents written (0 when not the published period). */
  documents: number;
  /** Whether the stage ran for the published period (its documents are in the run). */
  withDocuments: boolean;
  skipped: string | null;
}

export interface FairAccessReport {
  period: string;
  /** Whether the period has contacts (fair access computed). */
  clients: boolean;
  under: string[];
  /** Whether the report document is in the run (written by the trend stage). */
  report: boolean;
  withDocuments: boolean;
  skipped: string | null;
}

const configOf = (opts: { config?: Partial<AnalysisConfig> }): AnalysisConfig => ({ ...DEFAULT_ANALYSIS, ...opts.config });
const fingerprintsOf = async (opts: StageOptions, cfg: AnalysisConfig) => opts.fingerprints ?? (await Fingerprints.of(opts.lake, analysisSettings(cfg)));

/**
 * school_profile from the engine's rows and row measures: p-values, exact intervals and Parquet
 * parts from the encoder (its thread in a local run). Returns the exact per-school counts at once,
 * and `staged`, which settles once it and `cluster` (cluster_profile, staged the same way) are
 * staged: the caller goes on with what heads see meanwhile.
 */
function stageExactProfiles(opts: StageOptions, encoder: ProfileTableEncoder, schoolResult: Table, cluster: Promise<unknown>, facts: Map<string, SchoolFacts>): { counts: SchoolCounts; staged: Promise<void> } {
  const { lake, runId, period } = opts;
  const placed = placeProfileRows(schoolResult);
  const counts = countsFrom(placed, facts);
  const school = encoder.encode(placed, 'school_profile').then((parts) => stageParquet(lake, runId, T.schoolProfile, period, parts));
  school.catch(() => undefined);
  // Both settle before a failure is thrown: no write of either goes on after the stage has failed.
  const staged = bothSettled(school, cluster, [`school_profile ${period}`, `cluster_profile ${period}`]).then(() => undefined);
  staged.catch(() => undefined);
  return { counts, staged };
}

/** The options with every engine call made under `signal`, when there is one (see StageOptions.signal). */
const underSignal = (opts: StageOptions): StageOptions => (opts.signal ? { ...opts, sql: abortable(opts.sql, opts.signal) } : opts);

/** Profiles of one period (see the module comment). */
export async function profilesStage(given: StageOptions): Promise<ProfilesReport> {
  const opts = underSignal(given);
  const cfg = configOf(opts);
  const { lake, runId, period } = opts;
  periodLiteral(period);
  const progress = opts.progress ?? noProgress;
  const step = (message: string) => progress({ stage: 'profiles', item: period, message });
  const fingerprint = (await fingerprintsOf(opts, cfg)).profiles(period);
  if (opts.incremental !== false) {
    const before = await publishedRecord<ProfilesReport>(lake, 'profiles', period, fingerprint, profileItems(period), { accept: (r) => !opts.documents || r.result.withDocuments });
    if (before) {
      step(`unchanged since run ${before.runId}: skipped`);
      return { ...before.result, documents: 0, skipped: before.runId };
    }
  }
  await assertUnpublished(lake, runId);
  // Started now: the thread loads while the engine makes the rows.
  const encoder = ProfileTableEncoder.start({ thread: lake instanceof LocalObjectStore && opts.profileTableThread !== false });
  try {
    return await profilesOfPeriod(opts, cfg, fingerprint, encoder);
  } finally {
    await (await encoder).close();
  }
}

/** profilesStage once it runs: its outputs staged and its record written. */
async function profilesOfPeriod(opts: StageOptions, cfg: AnalysisConfig, fingerprint: string | null, encoderStarted: Promise<ProfileTableEncoder>): Promise<ProfilesReport> {
  const { sql, runId, period } = opts;
  const step = (message: string) => (opts.progress ?? noProgress)({ stage: 'profiles', item: period, message });
  const scratchOf = (name: string) => scratch(runId, name, period);
  step('school profiles');
  const { dict, vintage, classification, imdEdition } = await profileInputs(sql);
  const { schools, facts } = await schoolsAndFacts(sql, period, scratchOf);
  const critical = criticalValues(maxFamily(dict));

  const encoder = await encoderStarted;
  const { grid, maps, counts, staged } = await exactTablesAndMaps(opts, cfg, encoder, critical, schools, facts);
  try {
    return await headOutputs(opts, cfg, fingerprint, { dict, vintage, classification, imdEdition, schools, facts, counts, grid, maps, staged, encoder });
  } catch (e) {
    await staged.catch(() => undefined);
    throw e;
  }
}

/**
 * The maps, the exact counts and the analysts' exact tables (staged through `staged`). A function of
 * its own so that what it reads (two million rows, the squares) is let go when it returns.
 */
async function exactTablesAndMaps(
  opts: StageOptions,
  cfg: AnalysisConfig,
  encoder: ProfileTableEncoder,
  critical: ReturnType<typeof criticalValues>,
  schools: Map<string, School>,
  facts: Map<string, SchoolFacts>,
): Promise<{ grid: MapGrid | undefined; maps: Map<string, ExactSchoolMap> | undefined; counts: SchoolCounts; staged: Promise<void> }> {
  const { sql, lake, runId, period } = opts;
  const scratchOf = (name: string) => scratch(runId, name, period);
  // Where each school's pupils live (functions/maps), shown under the same rule as the rest. The
  // engine's part comes first; this thread builds the maps while the engine makes the profile rows.
  const mapQuery = await querySchoolMaps(sql, period, scratchOf('map-squares'), await currentVintage(sql), { lake, runId, mode: 'write' });
  // The cluster rows before the school rows: this thread places them while the engine makes those.
  const clusterRows = sql.queryLarge(q.profileRowsSql(period, 'cluster', 'la', critical), scratchOf('cluster-profile'));
  const schoolRows = sql.queryLarge(q.profileRowsSql(period, 'school', cfg.baseKind, critical), scratchOf('school-profile'));
  schoolRows.catch(() => undefined); // awaited below; a failure is thrown there
  const cluster = clusterRows.then((result) => encoder.encode(placeProfileRows(result), 'cluster_profile')).then((parts) => stageParquet(lake, runId, T.clusterProfile, period, parts));
  cluster.catch(() => undefined); // awaited through `staged`
  try {
    const maps = mapQuery.build(schools, new Map([...facts].map(([u, f]) => [u, f.exact + f.terminated])));
    return { grid: mapQuery.grid, maps, ...stageExactProfiles(opts, encoder, await schoolRows, cluster, facts) };
  } catch (e) {
    // The stage fails only once the engine and the encoder are done with it (nothing of it left running).
    await Promise.allSettled([cluster, schoolRows]);
    throw e;
  }
}

/** The rest of profilesStage once the exact counts are in: what heads see, the stage's other tables, its record. */
async function headOutputs(
  opts: StageOptions,
  cfg: AnalysisConfig,
  fingerprint: string | null,
  inputs: ProfileInputs & { schools: Map<string, School>; facts: Map<string, SchoolFacts>; counts: SchoolCounts; grid: MapGrid | undefined; maps: Map<string, ExactSchoolMap> | undefined; staged: Promise<void>; encoder: ProfileTableEncoder },
): Promise<ProfilesReport> {
  const { lake, runId, period } = opts;
  const { dict, vintage, classification, imdEdition, schools, facts, counts, grid, maps, staged, encoder } = inputs;
  const edition = classification.edition;
  const step = (message: string) => (opts.progress ?? noProgress)({ stage: 'profiles', item: period, message });

  // What heads see: every document from shown counts (head-documents.ts, docs/disclosure.md).
  const rule = { threshold: cfg.threshold, base: cfg.roundingBase };
  opts.signal?.throwIfAborted();
  const heads = headDocuments({ period, laName: cfg.laName, classification, rule, mode: cfg.disclosure, baseKind: cfg.baseKind, counts, facts, schools, dict, grid, maps });
  const { variation, similar } = heads;
  await stageRows(lake, runId, T.clusterVariation, period, variation.map((v) => ({ cluster: v.cluster, segment: v.segment, segment_name: dict.name('supergroup', v.segment), schools: v.schools, min_pct: v.min, median_pct: v.median, max_pct: v.max, classification: edition })));
  await stageRows(lake, runId, T.similarSchools, period, similar.map((s) => ({ urn: s.urn, rank: s.rank, similar_urn: s.similarUrn, similarity: s.similarity, distance_km: s.distanceKm, classification: edition })));
  await stageRows(
    lake,
    runId,
    T.schoolContext,
    period,
    [...facts].map(([urn, f]) => {
      const s = schools.get(urn);
      return {
        urn,
        name: s?.name ?? null,
        phase: s?.phase ?? null,
        cluster: s?.cluster ?? null,
        pupils: f.pupils,
        classified: f.classified,
        unclassified: f.pupils - f.classified,
        fsm_n: f.fsm_n,
        fsm_pct: f.pupils ? (100 * f.fsm_n) / f.pupils : null,
        exact: f.exact,
        terminated: f.terminated,
        sector: f.sector,
        unmatched: f.unmatched,
        invalid: f.invalid,
        sector_share: f.pupils ? f.sector / f.pupils : null,
        ...Object.fromEntries(f.imd.map((n, i) => [`imd_decile_${i + 1}`, n])),
        imd_unknown: f.imdUnknown,
        vintage,
        classification: edition,
        imd_edition: imdEdition,
      };
    }),
  );

  // The exact tables are staged before the documents take this thread (and the other core).
  await staged;
  // Its thread's memory (the Parquet writer's WebAssembly memory stays at its largest) goes before the documents.
  await encoder.close();
  opts.signal?.throwIfAborted();
  step(opts.documents ? 'profile documents' : 'what heads see (head_profile)');
  const headTable = new StagedTable(T.headProfile);
  const urns = [...counts.keys()].sort();
  const docKey = (urn: string) => `${runRoot(runId)}/${profileDocKey(period, urn)}`;
  const documents = await writeHeadOutputs(headTable, {
    lake,
    heads,
    dict,
    edition,
    grid: grid ?? undefined,
    urns,
    docKey: opts.documents ? docKey : null,
    threads: opts.documentThreads ?? DEFAULT_DOCUMENT_THREADS,
  });
  opts.signal?.throwIfAborted(); // no PDFs are rendered for a run that has failed
  if (opts.documents) opts.onDocuments?.();
  await headTable.stage(lake, runId, period);

  const report: ProfilesReport = { period, schools: counts.size, documents, withDocuments: opts.documents, skipped: null };
  const items = [...profileItems(period), ...(opts.documents ? [`published/profiles/${period}`] : [])];
  opts.signal?.throwIfAborted();
  await writeStageRecord(lake, { stage: 'profiles', period, runId, fingerprint, items, result: report });
  return report;
}

interface StagedFairAccess {
  /** The report without its trend (null: the period has no contacts). */
  document: FairAccessDocument | null;
  rows: Pick<FairAccessRow, 'level' | 'segment' | 'O' | 'expected' | 'index' | 'pct'>[];
  under: string[];
}

/** Fair access of one period (see the module comment); the trend stage completes it. */
export async function fairAccessStage(given: StageOptions): Promise<FairAccessReport> {
  const opts = underSignal(given);
  const cfg = configOf(opts);
  const { sql, lake, runId, period } = opts;
  periodLiteral(period);
  const progress = opts.progress ?? noProgress;
  const step = (message: string) => progress({ stage: 'profiles', item: period, message });
  const fingerprints = await fingerprintsOf(opts, cfg);
  const fingerprint = fingerprints.fairAccess(period, opts.periods);
  if (opts.incremental !== false) {
    const before = await publishedRecord<FairAccessReport>(lake, 'fair-access', period, fingerprint, fairAccessItems(period), { accept: (r) => !opts.documents || r.result.withDocuments });
    if (before) {
      step(`fair access unchanged since run ${before.runId}: skipped`);
      return { ...before.result, report: false, skipped: before.runId };
    }
  }
  await assertUnpublished(lake, runId);
  const scratchOf = (name: string) => scratch(runId, name, period);
  const { dict, classification } = await profileInputs(sql);
  const edition = classification.edition;
  const clientRows = placeCountsOf(await sql.queryLarge(q.clientCountsSql(period), scratchOf('clients')), 'child_urn');
  const staged: StagedFairAccess = { document: null, rows: [], under: [] };
  const empty = async (t: TableDef) => stageRows(lake, runId, t, period, []);
  if (clientRows.length === 0) {
    // No contacts this period: the tables are published empty (no stale rows stay visible).
    for (const t of FAIR_ACCESS_TABLES.filter((t) => t !== T.fairAccessTrend)) await empty(t);
  } else {
    step('fair access');
    // The base depends on the classified pupils alone: kept from the night that scanned them (kept-facts.ts).
    const base = await keptOr(
      lake,
      { name: 'fair-access-base', from: { tablePrefix: tablePrefix(enrichedPupils), period, fingerprint: fingerprints.classifyPupils(period) }, settings: { years: cfg.fairAccessYears }, ext: 'parquet', encode: toParquet, decode: fromParquet },
      () => sql.queryLarge(q.baseCountsSql(period, cfg.fairAccessYears), scratchOf('base')),
    );
    const baseRows = placeCountsOf(base.value, 'urn');
    const fa = fairAccess(clientRows, baseRows, dict, cfg.underLevel);
    const wardNames = new Map((await rowsOf(sql, 'SELECT ward, ward_name FROM wards')).map((r) => [String(r.ward), String(r.ward_name)]));
    const names = await schoolNamesOf(sql, period);
    await stageRows(lake, runId, T.fairAccess, period, fa.rows.map((r) => ({ level: r.level, segment: r.segment, segment_name: dict.name(r.level, r.segment), clients: r.O, client_pct: r.pct, client_pct_low: r.pctLow, client_pct_high: r.pctHigh, base: r.B, base_pct: r.basePct, penetration: r.B > 0 ? (1000 * r.O) / r.B : null, expected: r.expected, index: r.index, ci_low: r.ciLow, ci_high: r.ciHigh, ci_level: r.ciLevel, z: r.z, p: r.p, p_adjusted: r.pAdjusted, flag: r.flag, classification: edition })));
    await stageRows(lake, runId, T.fairAccessTests, period, fa.tests.map((t) => ({ level: t.level, statistic: t.statistic, df: t.df, p: t.p, merged_cells: t.mergedCells, clients: t.clients })));
    const place = (r: PlaceRow, i: number) => ({ base_n: r.baseN, expected: r.expected, actual: r.actual, gap: r.gap, ratio: r.ratio, p_lower: r.pLower, p: r.p, p_adjusted: r.pAdjusted, lower_95: r.lower95, upper_95: r.upper95, lower_adjusted: r.lowerAdjusted, upper_adjusted: r.upperAdjusted, flag: r.flag, rank: i + 1 });
    await stageRows(lake, runId, T.fairAccessByWard, period, fa.byWard.rows.map((r, i) => ({ ward: r.place, ward_name: wardNames.get(r.place) ?? null, ...place(r, i) })));
    await stageRows(lake, runId, T.fairAccessBySchool, period, fa.bySchool.rows.map((r, i) => ({ urn: r.place, school_name: names.get(r.place) ?? null, ...place(r, i) })));
    const contactsTotal = num((await rowsOf(sql, q.contactTotalSql(period)))[0]?.contacts ?? 0);
    const fam = (await rowsOf(sql, q.familyCountsSql(period)))[0] ?? {};
    const families = { byPostcodeAndChild: num(fam.by_postcode_and_child ?? 0), byPostcode: num(fam.by_postcode ?? 0), sharedPostcodes: num(fam.shared_postcodes ?? 0) };
    staged.document = fairAccessDocumentFor({
      period,
      laName: cfg.laName,
      classification,
      years: cfg.fairAccessYears,
      contacts: contactsTotal,
      families,
      result: fa,
      trend: [],
      dict,
      wardNames,
      schoolNames: new Map([...names].map(([u, n]) => [u, n ?? u])),
    });
    staged.rows = fa.rows.map((r) => ({ level: r.level, segment: r.segment, O: r.O, expected: r.expected, index: r.index, pct: r.pct }));
    staged.under = fa.under;
  }
  opts.signal?.throwIfAborted();
  await lake.put(fairAccessStagingKey(runId, period), JSON.stringify(staged));
  return { period, clients: staged.document !== null, under: staged.under, report: false, withDocuments: opts.documents, skipped: null };
}

async function readStaged(lake: ObjectStore, runId: string, period: string): Promise<StagedFairAccess | null> {
  try {
    return JSON.parse(Buffer.from(await lake.get(fairAccessStagingKey(runId, period))).toString('utf8')) as StagedFairAccess;
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
}

/** A published fair_access partition's rows as the trend needs them (through the pointer). */
async function publishedFairAccessRows(lake: ObjectStore, period: string): Promise<StagedFairAccess['rows']> {
  const pub = await readPublication(lake);
  const item = publishedItem(T.fairAccess, period);
  if (!pub?.items[item]) return [];
  const t = await readParquetObjects(lake, physicalKeyOf(pub, item));
  if (t.numRows === 0) return [];
  const levels = stringsOf(columnOf(t, 'level'));
  const segs = stringsOf(columnOf(t, 'segment'));
  const O = numbersOf(columnOf(t, 'clients'));
  const expected = numbersOf(columnOf(t, 'expected'));
  const index = numbersOf(columnOf(t, 'index'));
  const pct = numbersOf(columnOf(t, 'client_pct'));
  const v = (c: { values: Float64Array; valid: Uint8Array }, i: number) => (c.valid[i] ? c.values[i]! : null);
  return levels.map((level, i) => ({ level: level as Level, segment: segs[i]!, O: O.values[i]!, expected: v(expected, i), index: v(index, i), pct: v(pct, i) }));
}

export interface TrendOptions {
  lake: ObjectStore;
  sql: SqlEngine;
  runId: string;
  /** Every profiled period of the run. */
  periods: string[];
  /** The period whose report document is published (null: none, e.g. --no-pdfs). */
  documentPeriod: string | null;
  config?: Partial<AnalysisConfig>;
  fingerprints?: Fingerprints;
  progress?: ProgressSink;
}

/**
 * The trend across periods, for the periods whose fair access this run recomputed (those with a
 * staged result): their fair_access_trend partitions and, for the published period, the report
 * with its trend section. Then each recomputed period's stage record (its tables are complete).
 * Returns those periods and whether the report document is in the run.
 */
export async function trendStage(opts: TrendOptions): Promise<{ periods: string[]; report: boolean }> {
  const cfg = configOf(opts);
  const { lake, runId } = opts;
  const periods = [...new Set(opts.periods)].sort();
  const staged = new Map<string, StagedFairAccess>();
  for (const p of periods) {
    const s = await readStaged(lake, runId, p);
    if (s) staged.set(p, s);
  }
  if (staged.size === 0) return { periods: [], report: false };
  (opts.progress ?? noProgress)({ stage: 'profiles', item: [...staged.keys()].join(', '), message: 'fair-access trend' });
  const { dict, classification } = await profileInputs(opts.sql);
  const byPeriod: { period: string; rows: FairAccessRow[] }[] = [];
  for (const p of periods) {
    const rows = staged.has(p) ? staged.get(p)!.rows : await publishedFairAccessRows(lake, p);
    if (rows.length) byPeriod.push({ period: p, rows: rows as FairAccessRow[] });
  }
  const trendRows = trend(byPeriod);
  const fingerprints = opts.fingerprints ?? (await Fingerprints.of(lake, analysisSettings(cfg)));
  let report = false;
  for (const [period, s] of staged) {
    await stageRows(
      lake,
      runId,
      T.fairAccessTrend,
      period,
      trendRows.filter((t) => t.period === period && s.document !== null).map((t) => ({ level: t.level, segment: t.segment, segment_name: dict.name(t.level, t.segment), previous_period: t.previousPeriod, index: t.index, previous_index: t.previousIndex, change: t.change, client_pct: t.clientPct, previous_client_pct: t.previousClientPct, p: t.p, p_adjusted: t.pAdjusted, flag: t.flag, classification: classification.edition })),
    );
    const withDocuments = period === opts.documentPeriod;
    const written = withDocuments && s.document !== null;
    if (written) {
      await lake.put(`${runRoot(runId)}/${fairAccessDocKey(period)}`, JSON.stringify({ ...s.document, trend: trendSection(trendRows, period, dict) }, null, 2));
      report = true;
    }
    const result: FairAccessReport = { period, clients: s.document !== null, under: s.under, report: written, withDocuments, skipped: null };
    const items = [...fairAccessItems(period), ...(written ? [`published/reports/${period}`] : [])];
    await writeStageRecord(lake, { stage: 'fair-access', period, runId, fingerprint: fingerprints.fairAccess(period, periods), items, result });
    await lake.deletePrefix(fairAccessStagingKey(runId, period));
  }
  return { periods: [...staged.keys()], report };
}

export interface AnalysisOptions {
  lake: ObjectStore;
  sql: SqlEngine;
  runId: string;
  /** Periods with pupils to profile; fair access runs where contacts exist too. */
  periods: string[];
  config?: Partial<AnalysisConfig>;
  progress?: ProgressSink;
  /** The period whose documents are written (default: the latest; null: none). */
  documentPeriod?: string | null;
  /** Skip stages whose outputs are published from identical inputs (default false here: every stage runs). */
  incremental?: boolean;
  /**
   * Called once the document period's profile documents are written. When given, that period's
   * profiles (with its fair access beside them) run first (the periods' stages are independent;
   * only the trend joins them), so the caller can render its PDFs while the other stages run.
   */
  onProfileDocuments?: (period: string) => void;
  /** Threads making the profile documents beside this one (StageOptions.documentThreads). */
  documentThreads?: number;
  /** Complete and encode the analysts' profile tables in a thread (StageOptions.profileTableThread; default true). */
  profileTableThread?: boolean;
}

/**
 * Every stage of the analysis for a run's periods (the pipeline's and the tools'): a period's
 * profiles and fair access side by side (they share no output; the engine takes their statements
 * in turn, and each fills the other's waits for it), period after period, then the trend.
 */
export async function analyse(opts: AnalysisOptions): Promise<AnalysisReport> {
  const periods = [...new Set(opts.periods)].sort();
  const documentPeriod = opts.documentPeriod === undefined ? (periods.at(-1) ?? null) : opts.documentPeriod;
  const cfg = configOf(opts);
  const fingerprints = await Fingerprints.of(opts.lake, analysisSettings(cfg));
  const base = { lake: opts.lake, sql: opts.sql, runId: opts.runId, periods, config: cfg, progress: opts.progress, incremental: opts.incremental ?? false, fingerprints, documentThreads: opts.documentThreads, profileTableThread: opts.profileTableThread };
  const report: AnalysisReport = { periods, schools: 0, documents: 0, fairAccessPeriods: [], underRepresented: {}, stages: [] };
  const early = documentPeriod !== null && periods.includes(documentPeriod) ? opts.onProfileDocuments : undefined;
  // The hook fires as soon as the documents are written (or once the stage ends, when it wrote none).
  let told = false;
  const tell = () => {
    if (!told) early!(documentPeriod!);
    told = true;
  };
  // When one side fails the other is stopped at its next statement, not left to run to its end.
  const period = (p: string) =>
    sideBySide(
      [`profiles ${p}`, `fair access ${p}`],
      (signal) => profilesStage({ ...base, signal, period: p, documents: p === documentPeriod, onDocuments: early && p === documentPeriod ? tell : undefined }),
      (signal) => fairAccessStage({ ...base, signal, period: p, documents: p === documentPeriod }),
    );
  const done = new Map<string, [ProfilesReport, FairAccessReport]>();
  // The document period first when its documents are awaited (the caller renders them while the rest runs).
  if (early) {
    done.set(documentPeriod!, await period(documentPeriod!));
    tell();
  }
  for (const p of periods) if (!done.has(p)) done.set(p, await period(p));
  for (const p of periods) {
    const [pr, f] = done.get(p)!;
    report.schools = Math.max(report.schools, pr.schools);
    report.documents += pr.documents;
    report.stages.push({ stage: 'profiles', period: p, skipped: pr.skipped });
    report.stages.push({ stage: 'fair-access', period: p, skipped: f.skipped });
    if (f.clients) {
      report.fairAccessPeriods.push(p);
      report.underRepresented[p] = f.under;
    }
  }
  await trendStage({ ...base, documentPeriod });
  return report;
}
