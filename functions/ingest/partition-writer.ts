/** Buffers rows per Hive partition and writes numbered Parquet parts into a staging prefix. */
import { dataColumnsOf, type TableDef } from '../../schemas/columns.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { ColumnBuffer } from '../lake/column-buffer.ts';
import { toParquet } from '../lake/parquet.ts';
import type { Value } from './rows.ts';

export class PartitionWriter {
  private buffers = new Map<string, ColumnBuffer>();
  private parts = new Map<string, number>();
  private pending: Promise<void>[] = [];
  readonly written: string[] = [];

  constructor(
    private readonly store: ObjectStore,
    private readonly table: TableDef,
    /** Prefix the table folder goes under, e.g. `staging/<run>/curated`. */
    private readonly root: string,
    private readonly rowsPerPart = 1_000_000,
  ) {}

  /** `partition` is the value of the table's single partition column. */
  append(partition: string, values: Value[]): void {
    let buf = this.buffers.get(partition);
    if (!buf) {
      buf = new ColumnBuffer(dataColumnsOf(this.table));
      this.buffers.set(partition, buf);
    }
    buf.append(values);
    if (buf.rows >= this.rowsPerPart) this.flush(partition, buf);
  }

  /** Partition folder key, e.g. `staging/r1/curated/pupils/period=2025-26`. */
  partitionPrefix(partition: string): string {
    return `${this.root}/${this.table.name}/${this.table.partitions[0]}=${partition}`;
  }

  get partitionValues(): string[] {
    return [...this.parts.keys()].sort();
  }

  private flush(partition: string, buf: ColumnBuffer): void {
    const n = this.parts.get(partition) ?? 0;
    this.parts.set(partition, n + 1);
    const key = `${this.partitionPrefix(partition)}/part-${String(n).padStart(5, '0')}.parquet`;
    const bytes = toParquet(buf.drain());
    this.written.push(key);
    this.pending.push(this.store.put(key, bytes));
  }

  async close(): Promise<void> {
    for (const [p, buf] of this.buffers) if (buf.rows > 0 || !this.parts.has(p)) this.flush(p, buf);
    await Promise.all(this.pending);
  }
}
