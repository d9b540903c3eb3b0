/** Writes a small computed table (aggregates, never pupil rows) as one Parquet part of a staged partition. */
import { dataColumnsOf, type TableDef } from '../../schemas/columns.ts';
import { ColumnBuffer } from '../ingest/column-buffer.ts';
import { toParquet } from '../ingest/parquet.ts';
import type { Value } from '../ingest/rows.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { stagedPartition } from './tables.ts';

/** `rows` may be a generator, so a large table is packed into columns without an array of row objects. */
export async function stageRows(lake: ObjectStore, runId: string, table: TableDef, partition: string, rows: Iterable<Record<string, Value>>): Promise<string> {
  const columns = dataColumnsOf(table);
  const buf = new ColumnBuffer(columns);
  let n = 0;
  for (const r of rows) {
    n++;
    buf.append(
      columns.map((c) => {
        const v = r[c.name];
        if (v === undefined) throw new Error(`${table.name}: row has no value for column ${c.name}`);
        return v;
      }),
    );
  }
  const key = `${stagedPartition(runId, table, partition)}/part-00000.parquet`;
  if (n > 0) await lake.put(key, toParquet(buf.drain()));
  return key;
}
