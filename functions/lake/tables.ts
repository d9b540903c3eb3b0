/** Attaching contract tables to a SqlEngine, and staging/publishing their partitions in the lake. */
import { columnsOf, tablePrefix, type TableDef } from '../../schemas/columns.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';

export async function attachTables(sql: SqlEngine, tables: TableDef[], root = ''): Promise<void> {
  for (const t of tables) {
    const prefix = root ? `${root}/${tablePrefix(t)}` : tablePrefix(t);
    await sql.attach({ name: t.name, prefix, partitions: t.partitions, columns: columnsOf(t) } as never);
  }
}

export const stagingRoot = (runId: string) => `staging/${runId}`;

/**
 * Where a table's partition is staged in a run. Each (period, table) gets its own empty prefix
 * because Athena's UNLOAD (like DuckDB's partitioned COPY) needs an empty target.
 */
export const stagedTableRoot = (runId: string, table: TableDef, value: string) => `${stagingRoot(runId)}/parts/${value}/${tablePrefix(table)}`;
export const stagedPartition = (runId: string, table: TableDef, value: string) => `${stagedTableRoot(runId, table, value)}/${table.partitions[0]}=${value}`;

/** Write a SELECT's result for one period (its partition value) into the run's staging area. */
export async function stagePartition(sql: SqlEngine, runId: string, table: TableDef, select: string, value: string): Promise<void> {
  await sql.unload(select, { prefix: stagedTableRoot(runId, table, value), partitionedBy: table.partitions });
}

/**
 * Move a staged partition into place, replacing the previous one. A staged partition with no
 * files (zero rows) empties the target partition.
 */
export async function promotePartition(lake: ObjectStore, runId: string, table: TableDef, value: string): Promise<string> {
  const part = `${tablePrefix(table)}/${table.partitions[0]}=${value}`;
  const staged = stagedPartition(runId, table, value);
  if ((await lake.list(staged + '/')).length > 0) await lake.replacePrefix(staged, part);
  else await lake.deletePrefix(part + '/');
  return part;
}
