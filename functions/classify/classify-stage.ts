/**
 * Classify stage: joins pupils and contacts of one period to the postcode classification with the
 * shared SQL, writes enriched_pupils/enriched_contacts (curated, pupil-level) and stages the first
 * published tables (school_segment_counts, match_summary) for the publish step.
 */
import { contacts, enrichedContacts, enrichedPupils, postcodes, pupils, schools, segments, wards, MATCH_STATUSES, type MatchStatus } from '../../schemas/curated.ts';
import { matchSummary, schoolSegmentCounts } from '../../schemas/published.ts';
import * as q from '../../schemas/sql/classify.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { attachTables, promotePartition, publishedItem, stagePartition } from '../lake/tables.ts';
import { tablePrefix } from '../../schemas/columns.ts';
import { clearMarker, currentMarker, publishedRecord, writeMarker, writeStageRecord } from '../lake/stage-records.ts';
import { assertUnpublished } from '../lake/publication.ts';

export interface ClassifyOptions {
  lake: ObjectStore;
  sql: SqlEngine;
  runId: string;
  period: string;
  progress?: ProgressSink;
  /**
   * Input fingerprints of the two halves (functions/lake/fingerprints.ts). With `incremental`, a
   * half whose curated result (and, for pupils, whose published tables) were made from identical
   * inputs is skipped and says so; every half records what it was made from either way.
   */
  fingerprints?: { pupils: string | null; contacts: string | null };
  incremental?: boolean;
}

export type MatchCounts = Record<MatchStatus, number> & { total: number };

export interface ClassifyReport {
  period: string;
  pupils: MatchCounts;
  contacts: MatchCounts;
  /** Published tables staged for the publish step, as `table/period=P`. */
  staged: string[];
  /** Halves not run because their inputs were unchanged: pupils (the run whose tables stand), contacts. */
  skipped?: { pupils: string | null; contacts: boolean };
}

/** The published items the pupils half writes for a period. */
export const classifyPupilItems = (period: string) => [publishedItem(schoolSegmentCounts, period), publishedItem(matchSummary, period)];

function countsFrom(rows: { match_status: string; n: number | bigint }[]): MatchCounts {
  const c = Object.fromEntries(MATCH_STATUSES.map((s) => [s, 0])) as MatchCounts;
  c.total = 0;
  for (const r of rows) {
    c[r.match_status as MatchStatus] = Number(r.n);
    c.total += Number(r.n);
  }
  return c;
}

export async function classify(opts: ClassifyOptions): Promise<ClassifyReport> {
  const { sql, lake, runId, period } = opts;
  const progress = opts.progress ?? noProgress;
  const step = (message: string) => progress({ stage: 'classify', item: period, message });
  q.periodLiteral(period);
  await assertUnpublished(lake, runId);

  await attachTables(sql, [pupils, contacts, schools, postcodes, segments, wards]);
  const vintage = await currentVintage(sql);
  const fp = opts.fingerprints ?? { pupils: null, contacts: null };
  const pupilsPrefix = tablePrefix(enrichedPupils);
  const contactsPrefix = tablePrefix(enrichedContacts);

  // Pupils: the enriched partition in place, and the two published tables of the run.
  const before = opts.incremental
    ? (await currentMarker(lake, pupilsPrefix, period, fp.pupils)) && (await publishedRecord<MatchCounts>(lake, 'classify-pupils', period, fp.pupils, classifyPupilItems(period)))
    : null;
  let pupilCounts: MatchCounts;
  if (before) {
    step(`pupils unchanged since run ${before.runId}: skipped`);
    pupilCounts = before.result;
  } else {
    step('matching pupils to the classification');
    await clearMarker(lake, pupilsPrefix, period);
    await stagePartition(sql, lake, runId, enrichedPupils, q.enrichedPupilsSql(period, vintage), period);
    await promotePartition(lake, runId, enrichedPupils, period);
    await attachTables(sql, [enrichedPupils]);
    step('counting segments per school');
    await stagePartition(sql, lake, runId, schoolSegmentCounts, q.schoolSegmentCountsSql(period), period);
    await stagePartition(sql, lake, runId, matchSummary, q.matchSummarySql(period), period);
    const pupilRows = (await sql.query(q.matchSummarySql(period))).toArray().find((r) => r.scope === 'la');
    pupilCounts = countsFrom(MATCH_STATUSES.map((s) => ({ match_status: s, n: pupilRows ? Number(pupilRows[s]) : 0 })));
    await writeMarker(lake, pupilsPrefix, { stage: 'classify-pupils', period, runId, fingerprint: fp.pupils, result: pupilCounts });
    await writeStageRecord(lake, { stage: 'classify-pupils', period, runId, fingerprint: fp.pupils, items: classifyPupilItems(period), result: pupilCounts });
  }

  // Contacts: curated only (fair access reads them).
  const contactsBefore = opts.incremental ? await currentMarker(lake, contactsPrefix, period, fp.contacts) : null;
  if (contactsBefore) step(`contacts unchanged since run ${contactsBefore.runId}: skipped`);
  else {
    step('matching contacts to the classification');
    await clearMarker(lake, contactsPrefix, period);
    await stagePartition(sql, lake, runId, enrichedContacts, q.enrichedContactsSql(period, vintage), period);
    await promotePartition(lake, runId, enrichedContacts, period);
    await writeMarker(lake, contactsPrefix, { stage: 'classify-contacts', period, runId, fingerprint: fp.contacts, result: null });
  }
  await attachTables(sql, [enrichedPupils, enrichedContacts]);
  const contactCounts = countsFrom((await sql.query(q.contactMatchCountsSql(period))).toArray() as never);
  return {
    period,
    pupils: pupilCounts,
    contacts: contactCounts,
    staged: before ? [] : [schoolSegmentCounts, matchSummary].map((t) => `${t.name}/period=${period}`),
    skipped: { pupils: before ? before.runId : null, contacts: contactsBefore !== null },
  };
}

/**
 * The classification vintage to join against. One vintage is current at a time; two present means
 * an ingest is replacing the classification (or one died half-way): joining both would count every
 * pupil twice, so the run stops and says so.
 */
export async function currentVintage(sql: SqlEngine): Promise<string | null> {
  const found = (await sql.query(q.vintagesSql())).toArray().map((r) => String(r.vintage));
  if (found.length > 1) throw new Error(`the classification holds ${found.length} vintages (${found.join(', ')}): an ingest is replacing it; run again once it has finished`);
  return found[0] ?? null;
}

/** Periods present in curated pupils or contacts (the CLI classifies each; Lambda is given one). */
export async function curatedPeriods(sql: SqlEngine): Promise<string[]> {
  await attachTables(sql, [pupils, contacts]);
  const found = new Set<string>();
  for (const t of ['pupils', 'contacts'] as const) {
    for (const r of (await sql.query(q.periodsSql(t))).toArray()) found.add(String(r.period));
  }
  return [...found].sort();
}
