/** Writes a computed table (aggregates, never pupil rows) as the Parquet parts of a staged partition. */
import { dataColumnsOf, type TableDef } from '../../schemas/columns.ts';
import { ColumnBuffer } from './column-buffer.ts';
import { toParquetAsync } from './parquet.ts';
import type { Value } from './column-buffer.ts';
import type { Table } from 'apache-arrow';
import type { ObjectStore } from '../ports/object-store.ts';
import { stagedPartition } from './tables.ts';

/** The key of a staged partition's i-th Parquet part (every writer here names them alike). */
const partKey = (dir: string, i: number) => `${dir}/part-${String(i).padStart(5, '0')}.parquet`;

/** Rows packed into columns as they come, then staged as Parquet parts of STAGED_PART_ROWS rows. */
export class StagedTable {
  private readonly columns;
  private readonly buf;
  /** The row being appended, in column order (one array for every row). */
  private readonly values: Value[];
  /**
   * Parts given to the Parquet writer (a full part at a time, so no one Arrow table or writer call
   * holds every row), encoded in the encoding thread while rows keep coming.
   */
  private readonly parts: Promise<Uint8Array>[] = [];

  constructor(
    private readonly table: TableDef,
    /** Rows per part at most. */
    readonly partRows = STAGED_PART_ROWS,
  ) {
    this.columns = dataColumnsOf(table);
    this.buf = new ColumnBuffer(this.columns);
    this.values = new Array<Value>(this.columns.length);
  }

  /** One row (read at once: a caller may reuse the object for its next row). */
  add(r: Record<string, Value>): void {
    const values = this.values;
    for (let i = 0; i < values.length; i++) {
      const v = r[this.columns[i]!.name];
      if (v === undefined) throw new Error(`${this.table.name}: row has no value for column ${this.columns[i]!.name}`);
      values[i] = v;
    }
    this.buf.append(values);
    if (this.buf.rows >= this.partRows) this.encode();
  }

  /** The columns' names, in the order addValues takes a row's values. */
  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  /**
   * One row as its values in column order (columnNames), read at once: no lookup by name per
   * column (the profiles stage's million head_profile rows).
   */
  addValues(values: readonly Value[]): void {
    if (values.length !== this.columns.length) throw new Error(`${this.table.name}: row has ${values.length} values for ${this.columns.length} columns`);
    for (let i = 0; i < values.length; i++) {
      if (values[i] === undefined) throw new Error(`${this.table.name}: row has no value for column ${this.columns[i]!.name}`);
    }
    this.buf.append(values as Value[]);
    if (this.buf.rows >= this.partRows) this.encode();
  }

  /**
   * A whole part made column by column (Arrow vectors of the contract's data columns, in order),
   * staged after the parts before it; rows added one at a time must not be waiting (they would
   * come after it).
   */
  addTable(part: Table): void {
    const got = part.schema.fields.map((f) => f.name);
    if (got.join() !== this.columnNames.join()) throw new Error(`${this.table.name}: columns ${got.join(', ')} are not the contract's ${this.columnNames.join(', ')}`);
    if (part.numRows > this.partRows) throw new Error(`${this.table.name}: a part of ${part.numRows} rows is over ${this.partRows}`);
    if (this.buf.rows > 0) throw new Error(`${this.table.name}: a part given while ${this.buf.rows} rows added one at a time wait`);
    if (part.numRows === 0) return;
    this.push(part);
  }

  private encode(): void {
    this.push(this.buf.drain());
  }

  private push(table: Table): void {
    const part = toParquetAsync(table);
    // Awaited in stage(); a failure is reported there, not as an unhandled rejection now.
    part.catch(() => undefined);
    this.parts.push(part);
  }

  /** Write the parts (nothing when there are no rows) over whatever an earlier attempt left; returns the first part's key. */
  async stage(lake: ObjectStore, runId: string, partition: string): Promise<string> {
    const dir = stagedPartition(runId, this.table, partition);
    const key = (i: number) => partKey(dir, i);
    await lake.deletePrefix(`${dir}/`);
    if (this.buf.rows > 0) this.encode();
    for (let i = 0; i < this.parts.length; i++) await lake.put(key(i), await this.parts[i]!);
    this.parts.length = 0;
    return key(0);
  }
}

/**
 * Rows per Parquet part of a staged table: the WebAssembly writer's memory grows to the largest
 * table it is given and never shrinks, so a head_profile of 1.7 million rows is written in parts.
 */
export const STAGED_PART_ROWS = 250_000;

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
  // The next part is made while the one before is encoded (in the encoding thread), two at most.
  let pending: Promise<void> = Promise.resolve();
  for (const data of parts) {
    const got = data.schema.fields.map((f) => f.name);
    if (got.join() !== names.join()) throw new Error(`${table.name}: columns ${got.join(', ')} are not the contract's ${names.join(', ')}`);
    if (data.numRows === 0) continue;
    const key = partKey(dir, keys.length);
    const bytes = toParquetAsync(data);
    bytes.catch(() => undefined); // its failure is thrown through `pending`, not left unhandled while the last part is written
    await pending;
    pending = bytes.then((b) => lake.put(key, b));
    pending.catch(() => undefined);
    keys.push(key);
  }
  await pending;
  return keys;
}

/** Parquet parts already encoded (in the contract's data columns) as the partition's parts, over whatever an earlier attempt left. Returns the keys written. */
export async function stageParquet(lake: ObjectStore, runId: string, table: TableDef, partition: string, parts: readonly Uint8Array[]): Promise<string[]> {
  const dir = stagedPartition(runId, table, partition);
  await lake.deletePrefix(`${dir}/`);
  const keys = parts.map((_, i) => partKey(dir, i));
  for (let i = 0; i < parts.length; i++) await lake.put(keys[i]!, parts[i]!);
  return keys;
}

export async function stageRows(lake: ObjectStore, runId: string, table: TableDef, partition: string, rows: Iterable<Record<string, Value>>): Promise<string> {
  const t = new StagedTable(table);
  for (const r of rows) t.add(r);
  return t.stage(lake, runId, partition);
}
