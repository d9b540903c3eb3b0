/**
 * The portal's two datasets, written as Hive-partitioned Parquet under published/ with the zod
 * contracts of schemas/portal.ts: one small file per record,
 *   published/portal_audit/period=<period|none>/<yyyymmddThhmmssmmmZ>-<uuid>.parquet
 *   published/portal_feedback/period=<period>/<yyyymmddThhmmssmmmZ>-<uuid>.parquet
 *
 * Why one file per request rather than a buffer: a Lambda environment can be frozen or discarded
 * between invocations without notice, so anything buffered in memory can be lost, and an audit trail
 * that loses records is not one. The record is written before the response goes out (the handler
 * fails closed when it cannot be written). Object keys are unique (time + random UUID), so concurrent
 * writers never collide and nothing is ever rewritten. The cost is many small files: at the scale of
 * one LA (hundreds of heads, a few downloads a term) that is thousands of ~2 KB files a year, which
 * DuckDB and Athena read in seconds; a periodic compaction can merge old partitions if it ever matters.
 */
import { randomUUID } from 'node:crypto';
import { dataColumnsOf, tablePrefix, type TableDef } from '../../schemas/columns.ts';
import { portalAudit, portalFeedback, type AuditRecord, type FeedbackRecord } from '../../schemas/portal.ts';
import { ColumnBuffer } from '../lake/column-buffer.ts';
import { fromParquet, toParquet } from '../lake/parquet.ts';
import type { Value } from '../lake/column-buffer.ts';
import type { ObjectStore } from '../ports/object-store.ts';

/** Compact UTC timestamp for keys: 20251125T121426123Z (sorts by time). */
export function keyTimestamp(iso: string): string {
  return iso.replace(/[-:]/g, '').replace('.', '');
}

/** Validate a row against the table's contract and write it as one Parquet file in its partition. */
export async function writeRecord(lake: ObjectStore, table: TableDef, row: Record<string, unknown>, at: string): Promise<string> {
  const parsed = table.schema.parse(row) as Record<string, Value>;
  const partition = table.partitions.map((p) => `${p}=${parsed[p]}`).join('/');
  const columns = dataColumnsOf(table);
  const buf = new ColumnBuffer(columns);
  buf.append(columns.map((c) => parsed[c.name] ?? null));
  const key = `${tablePrefix(table)}/${partition}/${keyTimestamp(at)}-${randomUUID()}.parquet`;
  await lake.put(key, toParquet(buf.drain()));
  return key;
}

export interface AuditSink {
  append(record: AuditRecord): Promise<void>;
}

export interface FeedbackSink {
  append(record: FeedbackRecord): Promise<void>;
  /** Every record so far (the analysts' feedback page, heads' "you rated this"); absent = none shown. */
  list?(): Promise<FeedbackRecord[]>;
}

/** Records already read, by key: each file holds one record and is never rewritten. */
const feedbackFiles = new Map<string, FeedbackRecord>();

async function listFeedback(lake: ObjectStore): Promise<FeedbackRecord[]> {
  const prefix = `${tablePrefix(portalFeedback)}/`;
  const out: FeedbackRecord[] = [];
  for (const o of await lake.list(prefix)) {
    if (!o.key.endsWith('.parquet')) continue;
    const cacheKey = lake.uri(o.key);
    let rec = feedbackFiles.get(cacheKey);
    if (!rec) {
      const period = /\/period=([^/]+)\//.exec(o.key)?.[1];
      const t = await fromParquet(await lake.get(o.key));
      const row = t.toArray()[0]?.toJSON() as Record<string, unknown> | undefined;
      if (!row) continue;
      const parsed = portalFeedback.schema.safeParse({ ...row, rating: Number(row.rating), period });
      if (!parsed.success) continue;
      rec = parsed.data;
      feedbackFiles.set(cacheKey, rec);
    }
    out.push(rec);
  }
  return out;
}

export const auditDataset = (lake: ObjectStore): AuditSink => ({
  append: async (r) => {
    await writeRecord(lake, portalAudit, r, r.occurred_at);
  },
});

export const feedbackDataset = (lake: ObjectStore): FeedbackSink => ({
  append: async (r) => {
    await writeRecord(lake, portalFeedback, r, r.submitted_at);
  },
  list: () => listFeedback(lake),
});
