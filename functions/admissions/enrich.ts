/**
 * A period's enriched_admissions (curated, application-level), made only as far as its inputs
 * changed on an incremental night: its matching (segment, ward, nearest school: admissions,
 * schools, classification) is most of the work, the contacted flag (contacts) little. The marker
 * beside the partition (functions/lake/stage-records.ts) records the fingerprints of both.
 */
import { enrichedAdmissions } from '../../schemas/curated.ts';
import { tablePrefix } from '../../schemas/columns.ts';
import * as q from '../../schemas/sql/admissions.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import type { Fingerprints } from '../lake/fingerprints.ts';
import { clearMarker, readMarker, writeMarker } from '../lake/stage-records.ts';
import { attachTables, promotePartition, stagePartition } from '../lake/tables.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';

/** How a period's enriched_admissions was made: matched anew, only its contacted flag recomputed, or kept. */
export type EnrichedBy = 'matched' | 'contacts' | 'kept';

export interface EnrichOptions {
  lake: ObjectStore;
  sql: SqlEngine;
  runId: string;
  progress?: ProgressSink;
  /** Keep or refresh what the marker shows unchanged (the local nightly run); otherwise always match. */
  incremental?: boolean;
}

/** What the marker beside an enriched_admissions partition records besides its fingerprint. */
interface EnrichedMade {
  /** The fingerprint of its matching (Fingerprints.matchAdmissions): kept when only the contacts change. */
  matched: string | null;
}

/**
 * A period's enriched_admissions partition, made only as far as its inputs changed: kept when its
 * marker names these inputs, its contacted flag recomputed when only the contacts changed, else
 * every application matched again. The marker is cleared before the partition is replaced, so a
 * killed run leaves none that could name the wrong copy.
 */
export async function enrich(opts: EnrichOptions, period: string, vintage: string | null, fps: Fingerprints): Promise<EnrichedBy> {
  const { sql, lake, runId } = opts;
  const step = (message: string) => (opts.progress ?? noProgress)({ stage: 'admissions', item: period, message });
  const prefix = tablePrefix(enrichedAdmissions);
  const fingerprint = fps.enrichAdmissions(period);
  const matched = fps.matchAdmissions(period);
  const marker = opts.incremental && fingerprint ? await readMarker<EnrichedMade>(lake, prefix, period) : null;
  if (marker && marker.fingerprint === fingerprint) {
    step(`applications unchanged since run ${marker.runId} matched them: kept`);
    return 'kept';
  }
  const contactsOnly = marker !== null && matched !== null && marker.result?.matched === matched;
  step(contactsOnly ? `only the contacts changed since run ${marker.runId}: contacted flag recomputed` : 'matching applications, nearest schools and contacts');
  await clearMarker(lake, prefix, period);
  // The view names the files the lake holds now (an earlier period's may have just been replaced).
  if (contactsOnly) await attachTables(sql, [enrichedAdmissions]);
  await stagePartition(sql, lake, runId, enrichedAdmissions, contactsOnly ? q.contactedRefreshSql(period) : q.enrichedAdmissionsSql(period, vintage), period);
  await promotePartition(lake, runId, enrichedAdmissions, period);
  await writeMarker<EnrichedMade>(lake, prefix, { stage: 'enrich-admissions', period, runId, fingerprint, result: { matched } });
  return contactsOnly ? 'contacts' : 'matched';
}
