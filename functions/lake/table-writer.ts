/** Writes a small computed table (aggregates, never pupil rows) as one Parquet part of a staged partition. */
import { dataColumnsOf, type TableDef } from '../../schemas/columns.ts';
import { ColumnBuffer } from './column-buffer.ts';
import { toParquet } from './parquet.ts';
import type { Value } from './column-buffer.ts';
import type { Table } from 'apache-arrow';
import type { ObjectStore } from '../ports/object-store.ts';
import { stagedPartition } from './tables.ts';

/** Rows packed into columns as they come, then staged as one Parquet part. */
export class StagedTable {
  private readonly columns;
  private readonly buf;
  private n = 0;

  constructor(private readonly table: TableDef) {
    this.columns = dataColumnsOf(table);
    this.buf = new ColumnBuffer(this.columns);
  }

  add(r: Record<string, Value>): void {
    this.n++;
    this.buf.append(
      this.columns.map((c) => {
        const v = r[c.name];
        if (v === undefined) throw new Error(`${this.table.name}: row has no value for column ${c.name}`);
        return v;
      }),
    );
  }

  /** Write the part (nothing when there are no rows) over whatever an earlier attempt left; returns its key. */
  async stage(lake: ObjectStore, runId: string, partition: string): Promise<string> {
    const dir = stagedPartition(runId, this.table, partition);
    const key = `${dir}/part-00000.parquet`;
    await lake.deletePrefix(`${dir}/`);
    if (this.n > 0) await lake.put(key, toParquet(this.buf.drain()));
    return key;
  }
}

/**
 * Write Arrow tables holding exactly the contract's data columns as the partition's Parquet parts
 * (part-00000, part-00001, ...; a large table in several parts keeps the writer's memory small),
 * over whatever an earlier attempt left. Returns the keys written.
 */
export async function stageArrow(lake: ObjectStore, runId: string, table: TableDef, partition: string, parts: Iterable<Table>): Promise<string[]> {
  const names = dataColumnsOf(table).map((c) => c.name);
  const dir = stagedPartition(runId, table, partition);
  await lake.deletePrefix(`${dir}/`);
  const keys: string[] = [];
  for (const data of parts) {
    const got = data.schema.fields.map((f) => f.name);
    if (got.join() !== names.join()) throw new Error(`${table.name}: columns ${got.join(', ')} are not the contract's ${names.join(', ')}`);
    if (data.numRows === 0) continue;
    const key = `${dir}/part-${String(keys.length).padStart(5, '0')}.parquet`;
    await lake.put(key, toParquet(data));
    keys.push(key);
  }
  return keys;
}

export async function stageRows(lake: ObjectStore, runId: string, table: TableDef, partition: string, rows: Iterable<Record<string, Value>>): Promise<string> {
  const t = new StagedTable(table);
  for (const r of rows) t.add(r);
  return t.stage(lake, runId, partition);
}
