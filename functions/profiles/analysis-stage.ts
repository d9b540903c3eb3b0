/**
 * Profiles and fair-access stage: aggregate SQL on the engine, statistics in TypeScript, results
 * staged as published Parquet tables plus one JSON document per school (disclosure-controlled)
 * and the LA's fair-access document. The publish step moves them into place.
 */
import { contacts, enrichedContacts, enrichedPupils, postcodes, pupils, schools as schoolsTable, segments, wards } from '../../schemas/curated.ts';
import * as T from '../../schemas/published.ts';
import type { FairAccessDocument } from '../../schemas/fair-access-document.ts';
import { classificationName, IMD_EDITIONS, type ImdEdition } from '../../schemas/editions.ts';
import type { ClassificationInfo } from '../../schemas/profile-document.ts';
import * as q from '../../schemas/sql/profiles.ts';
import { schoolSegmentCountsSql } from '../../schemas/sql/classify.ts';
import type { Value } from '../lake/column-buffer.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { StagedTable, stageRows } from '../lake/table-writer.ts';
import { attachTables } from '../lake/tables.ts';
import { assertUnpublished, runRoot } from '../lake/publication.ts';
import type { Comparison } from './compare.ts';
import { Dictionary, type Level, type SegmentEntry } from './dictionary.ts';
import type { SchoolFacts } from './documents.ts';
import { headDocuments } from './head-documents.ts';
import { fairAccess, trend, type FairAccessResult, type PlaceCount, type PlaceRow } from './fair-access.ts';
import { clusterProfiles, emptyLevels, schoolProfiles, type BaseKind, type School, type SchoolCounts } from './school-profiles.ts';
import { fairAccessDocumentFor } from './fair-access-document.ts';
import { segmentKey, type DisclosureMode, type ShownSchool } from './shown-counts.ts';
import type { ProfileDocument } from '../../schemas/profile-document.ts';

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

export interface AnalysisOptions {
  lake: ObjectStore;
  sql: SqlEngine;
  runId: string;
  /** Periods with pupils to profile; fair access runs where contacts exist too. */
  periods: string[];
  config?: Partial<AnalysisConfig>;
  progress?: ProgressSink;
}

export interface AnalysisReport {
  periods: string[];
  schools: number;
  documents: number;
  fairAccessPeriods: string[];
  underRepresented: Record<string, string[]>;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));
const rowsOf = async (sql: SqlEngine, text: string) => (await sql.query(text)).toArray().map((r) => r.toJSON() as Record<string, unknown>);

/** Profile documents written at the same time (S3 PUTs of a few KB each). */
const DOCUMENT_WRITES = 16;

export const profileDocKey = (period: string, urn: string) => `published/profiles/${period}/${urn}.json`;
export const fairAccessDocKey = (period: string) => `published/reports/${period}/fair-access.json`;

function measures(r: Comparison): Record<string, Value> {
  return {
    n: r.O,
    pct: r.pct,
    base_n: r.B,
    base_pct: r.basePct,
    penetration: r.penetration,
    index: r.index,
    ci_low: r.ciLow,
    ci_high: r.ciHigh,
    ci_level: r.ciLevel,
    z: r.z,
    p: r.p,
    p_adjusted: r.pAdjusted,
    flag: r.flag,
    reliable: r.reliable,
  };
}

/** The head_profile rows of one document: the segment rows exactly as shown. */
function headRows(doc: ProfileDocument, shown: ShownSchool): Record<string, Value>[] {
  return (['supergroup', 'group', 'subgroup'] as const).flatMap((level) =>
    doc.segments[level].map((r) => ({
      urn: doc.school.urn,
      level,
      segment: r.code,
      segment_name: r.name,
      n_shown: String(r.n),
      rounded_to: shown.base(segmentKey(level, r.code)),
      pct: r.pct,
      base_pct: r.basePct,
      index: r.index,
      ci_low: r.ciLow,
      ci_high: r.ciHigh,
      flag: r.flag,
      reliable: r.reliable,
    })),
  );
}

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

/** Exact per-school segment counts, schools and facts of a period (from the enriched pupils). */
export async function schoolInputs(sql: SqlEngine, period: string): Promise<{ counts: SchoolCounts; schools: Map<string, School>; facts: Map<string, SchoolFacts> }> {
  // Read column by column: at England scale this is millions of rows, too many to hold as objects.
  const counts: SchoolCounts = new Map();
  const segCounts = await sql.query(schoolSegmentCountsSql(period));
  const [urnCol, levelCol, segCol, nCol] = ['urn', 'level', 'segment', 'n'].map((c) => segCounts.getChild(c)!);
  for (let i = 0; i < segCounts.numRows; i++) {
    const urn = String(urnCol!.get(i));
    let levels = counts.get(urn);
    if (!levels) counts.set(urn, (levels = emptyLevels()));
    levels[levelCol!.get(i) as Level].set(String(segCol!.get(i)), num(nCol!.get(i)));
  }
  const schoolRows = await rowsOf(sql, q.schoolsSql(period));
  const schools = new Map<string, School>(
    schoolRows.map((r) => [String(r.urn), { urn: String(r.urn), name: r.name as string, phase: r.phase as string, cluster: (r.cluster as string | null) ?? null, lat: (r.lat as number) ?? null, long: (r.long as number) ?? null }]),
  );
  const facts = new Map<string, SchoolFacts>();
  for (const r of await rowsOf(sql, q.schoolFactsSql(period))) {
    const urn = String(r.urn);
    if (!counts.has(urn)) counts.set(urn, emptyLevels());
    facts.set(urn, {
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
  return { counts, schools, facts };
}

export async function analyse(opts: AnalysisOptions): Promise<AnalysisReport> {
  const cfg = { ...DEFAULT_ANALYSIS, ...opts.config };
  const { sql, lake, runId } = opts;
  const progress = opts.progress ?? noProgress;
  await assertUnpublished(lake, runId);
  // Documents are written while the next ones are computed, at most DOCUMENT_WRITES in flight.
  const writes = new Set<Promise<void>>();
  let writeError: unknown;
  const write = async (key: string, body: string) => {
    while (writes.size >= DOCUMENT_WRITES) await Promise.race(writes);
    if (writeError) throw writeError;
    const w: Promise<void> = lake.put(key, body).then(
      () => void writes.delete(w),
      (e: unknown) => {
        writes.delete(w);
        writeError ??= e;
      },
    );
    writes.add(w);
  };
  const flushWrites = async () => {
    await Promise.all(writes);
    if (writeError) throw writeError;
  };
  const { dict, vintage, classification, imdEdition } = await profileInputs(sql);
  const edition = classification.edition;
  const wardNames = new Map((await rowsOf(sql, 'SELECT ward, ward_name FROM wards')).map((r) => [String(r.ward), String(r.ward_name)]));
  const report: AnalysisReport = { periods: opts.periods, schools: 0, documents: 0, fairAccessPeriods: [], underRepresented: {} };
  const faByPeriod: { period: string; result: FairAccessResult }[] = [];

  for (const period of opts.periods) {
    const step = (message: string) => progress({ stage: 'profiles', item: period, message });
    step('school profiles');
    const { counts, schools, facts } = await schoolInputs(sql, period);
    report.schools = Math.max(report.schools, counts.size);

    // What heads see: every document from shown counts (head-documents.ts, docs/disclosure.md).
    const rule = { threshold: cfg.threshold, base: cfg.roundingBase };
    const heads = headDocuments({ period, laName: cfg.laName, classification, rule, mode: cfg.disclosure, baseKind: cfg.baseKind, counts, facts, schools, dict });
    const clusters = clusterProfiles(counts, schools, dict);
    const { variation, similar } = heads;

    await stageRows(lake, runId, T.clusterProfile, period, clusters.flatMap((c) => c.rows.map((r) => ({ cluster: c.cluster, level: c.level, segment: r.segment, segment_name: dict.name(c.level, r.segment), ...measures(r), classification: edition }))));
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

    step('profile documents');
    // One school at a time: its exact profile rows go into the analysts' school_profile table, its
    // document (shown counts) is written and its rows go into head_profile, and its comparisons
    // are dropped before the next school's are computed.
    const profileTable = new StagedTable(T.schoolProfile);
    const headTable = new StagedTable(T.headProfile);
    for (const levels of schoolProfiles(counts, schools, dict, cfg.baseKind)) {
      const urn = levels[0]!.urn;
      for (const p of levels) {
        for (const r of p.rows) profileTable.add({ urn, level: p.level, segment: r.segment, segment_name: dict.name(p.level, r.segment), ...measures(r), base: p.base, classification: edition });
      }
      const doc = heads.document(urn);
      for (const r of headRows(doc, heads.shown.get(urn)!)) headTable.add({ ...r, classification: edition });
      await write(`${runRoot(runId)}/${profileDocKey(period, urn)}`, JSON.stringify(doc, null, 2));
      report.documents++;
    }
    await flushWrites();
    await profileTable.stage(lake, runId, period);
    await headTable.stage(lake, runId, period);

    // Fair access: only where the period has contacts.
    const clientRows: PlaceCount[] = (await rowsOf(sql, q.clientCountsSql(period))).map((r) => ({ subgroup: (r.subgroup as string) ?? null, ward: (r.ward as string) ?? null, urn: (r.child_urn as string) ?? null, n: num(r.n) }));
    if (clientRows.length === 0) continue;
    step('fair access');
    const baseRows: PlaceCount[] = (await rowsOf(sql, q.baseCountsSql(period, cfg.fairAccessYears))).map((r) => ({ subgroup: r.subgroup as string, ward: (r.ward as string) ?? null, urn: r.urn as string, n: num(r.n) }));
    const fa = fairAccess(clientRows, baseRows, dict, cfg.underLevel);
    faByPeriod.push({ period, result: fa });
    report.fairAccessPeriods.push(period);
    report.underRepresented[period] = fa.under;
    await stageRows(lake, runId, T.fairAccess, period, fa.rows.map((r) => ({ level: r.level, segment: r.segment, segment_name: dict.name(r.level, r.segment), clients: r.O, client_pct: r.pct, client_pct_low: r.pctLow, client_pct_high: r.pctHigh, base: r.B, base_pct: r.basePct, penetration: r.B > 0 ? (1000 * r.O) / r.B : null, expected: r.expected, index: r.index, ci_low: r.ciLow, ci_high: r.ciHigh, ci_level: r.ciLevel, z: r.z, p: r.p, p_adjusted: r.pAdjusted, flag: r.flag, classification: edition })));
    await stageRows(lake, runId, T.fairAccessTests, period, fa.tests.map((t) => ({ level: t.level, statistic: t.statistic, df: t.df, p: t.p, merged_cells: t.mergedCells, clients: t.clients })));
    const place = (r: PlaceRow, i: number) => ({ base_n: r.baseN, expected: r.expected, actual: r.actual, gap: r.gap, ratio: r.ratio, p_lower: r.pLower, p: r.p, p_adjusted: r.pAdjusted, lower_95: r.lower95, upper_95: r.upper95, lower_adjusted: r.lowerAdjusted, upper_adjusted: r.upperAdjusted, flag: r.flag, rank: i + 1 });
    await stageRows(lake, runId, T.fairAccessByWard, period, fa.byWard.rows.map((r, i) => ({ ward: r.place, ward_name: wardNames.get(r.place) ?? null, ...place(r, i) })));
    await stageRows(lake, runId, T.fairAccessBySchool, period, fa.bySchool.rows.map((r, i) => ({ urn: r.place, school_name: schools.get(r.place)?.name ?? null, ...place(r, i) })));
    const contactsTotal = num((await rowsOf(sql, q.contactTotalSql(period)))[0]?.contacts ?? 0);
    const fam = (await rowsOf(sql, q.familyCountsSql(period)))[0] ?? {};
    const families = { byPostcodeAndChild: num(fam.by_postcode_and_child ?? 0), byPostcode: num(fam.by_postcode ?? 0), sharedPostcodes: num(fam.shared_postcodes ?? 0) };
    const trendRows = trend(faByPeriod.map((f) => ({ period: f.period, rows: f.result.rows })));
    const doc: FairAccessDocument = fairAccessDocumentFor({
      period,
      laName: cfg.laName,
      classification,
      years: cfg.fairAccessYears,
      contacts: contactsTotal,
      families,
      result: fa,
      trend: trendRows,
      dict,
      wardNames,
      schoolNames: new Map([...schools].map(([u, s]) => [u, s.name ?? u])),
    });
    await lake.put(`${runRoot(runId)}/${fairAccessDocKey(period)}`, JSON.stringify(doc, null, 2));
  }

  // Trend: every period that has a fair-access table, compared with the previous one.
  const trendRows = trend(faByPeriod.map((f) => ({ period: f.period, rows: f.result.rows })));
  for (const period of report.fairAccessPeriods) {
    await stageRows(
      lake,
      runId,
      T.fairAccessTrend,
      period,
      trendRows.filter((t) => t.period === period).map((t) => ({ level: t.level, segment: t.segment, segment_name: dict.name(t.level, t.segment), previous_period: t.previousPeriod, index: t.index, previous_index: t.previousIndex, change: t.change, client_pct: t.clientPct, previous_client_pct: t.previousClientPct, p: t.p, p_adjusted: t.pAdjusted, flag: t.flag, classification: edition })),
    );
  }
  return report;
}
