/** Attaching contract tables to a SqlEngine, and writing their partitions into a run. */
import { columnsOf, dataColumnsOf, tablePrefix, type TableDef } from '../../schemas/columns.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';
import { physicalKeyOf, readPublication, runRoot } from './publication.ts';

/**
 * Make tables queryable. Published tables resolve through the publication pointer to the run
 * holding each partition (the DuckDB engine reads those folders; Athena reads Glue partitions set
 * from the same pointer, so attach is a no-op there).
 */
export async function attachTables(sql: SqlEngine, tables: TableDef[], lake?: ObjectStore): Promise<void> {
  const pub = lake && tables.some((t) => t.zone === 'published') ? await readPublication(lake) : null;
  for (const t of tables) {
    const prefix = tablePrefix(t);
    const named = pub ? Object.keys(pub.items).filter((i) => i.startsWith(`${prefix}/`)) : [];
    const prefixes = named.length ? named.map((i) => physicalKeyOf(pub, i)) : undefined;
    await sql.attach({ name: t.name, prefix, prefixes, partitions: t.partitions, columns: columnsOf(t) } as never);
  }
}

/** Scratch of a run (intermediate results); deleted when the run ends, never read by readers. */
export const stagingRoot = (runId: string) => `staging/${runId}`;

/**
 * Where a run writes one partition of a table: published tables under the run's own prefix
 * (`runs/<run>/published/<table>/<p>=<value>`, published by the pointer), curated ones in its
 * staging area before they are moved into curated/. Each (table, value) is its own empty prefix:
 * Athena's UNLOAD needs an empty target.
 */
export function stagedPartition(runId: string, table: TableDef, value: string): string {
  const rel = `${tablePrefix(table)}/${table.partitions[0]}=${value}`;
  return table.zone === 'published' ? `${runRoot(runId)}/${rel}` : `${stagingRoot(runId)}/parts/${value}/${rel}`;
}

/** The logical item a published table partition is published as (a key of the pointer). */
export const publishedItem = (table: TableDef, value: string) => `${tablePrefix(table)}/${table.partitions[0]}=${value}`;

/**
 * Write a SELECT's result for one partition value into the run. The SELECT returns the contract's
 * columns, partition last; the partition value goes in the path. The target is emptied first, so a
 * retried attempt (Athena UNLOAD refuses a non-empty target) starts clean.
 */
export async function stagePartition(sql: SqlEngine, lake: ObjectStore, runId: string, table: TableDef, select: string, value: string): Promise<void> {
  const target = stagedPartition(runId, table, value);
  await lake.deletePrefix(`${target}/`);
  const cols = dataColumnsOf(table)
    .map((c) => `"${c.name}"`)
    .join(', ');
  await sql.unload(`SELECT ${cols} FROM (${select}) staged`, { prefix: target, partitionedBy: [] });
}

/**
 * Move a staged curated partition into place, replacing the previous one; a staged partition with
 * no files (zero rows) empties the target. Only called right after stagePartition in the same
 * attempt, so the staged copy is always this attempt's.
 */
export async function promotePartition(lake: ObjectStore, runId: string, table: TableDef, value: string): Promise<string> {
  if (table.zone !== 'curated') throw new Error(`${table.name}: only curated tables are promoted; published ones are published by the pointer`);
  const part = `${tablePrefix(table)}/${table.partitions[0]}=${value}`;
  const staged = stagedPartition(runId, table, value);
  if ((await lake.list(staged + '/')).length > 0) await lake.replacePrefix(staged, part);
  else await lake.deletePrefix(part + '/');
  return part;
}
