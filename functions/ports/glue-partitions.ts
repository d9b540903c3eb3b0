/**
 * Athena follows the publication pointer through Glue partitions: each published table's partition
 * `period=<p>` is registered with the location of the run the pointer names for it
 * (`s3://<lake>/runs/<run>/published/<table>/period=<p>/`). Called right after the pointer flips
 * (and again on every publish, so a table recreated by a deploy heals); each partition switches
 * atomically. Published tables therefore have no partition projection (infra/constructs/catalog.ts).
 */
import { BatchCreatePartitionCommand, BatchUpdatePartitionCommand, GetPartitionsCommand, GetTableCommand, type GlueClient, type PartitionInput, type StorageDescriptor } from '@aws-sdk/client-glue';

export interface PartitionLocation {
  table: string;
  /** Partition values in partition-key order, e.g. ['2025-26']. */
  values: string[];
  /** s3:// location of the partition folder (with a trailing '/'). */
  location: string;
}

const BATCH = 100; // BatchCreatePartition / BatchUpdatePartition limit

/** Create or repoint partitions so each has exactly the location given. Returns how many changed. */
export async function syncPartitions(glue: GlueClient, database: string, wanted: PartitionLocation[]): Promise<number> {
  let changed = 0;
  const byTable = new Map<string, PartitionLocation[]>();
  for (const w of wanted) byTable.set(w.table, [...(byTable.get(w.table) ?? []), w]);
  for (const [table, parts] of byTable) {
    const t = (await glue.send(new GetTableCommand({ DatabaseName: database, Name: table }))).Table;
    if (!t?.StorageDescriptor) throw new Error(`Glue table ${database}.${table} has no storage descriptor`);
    const existing = new Map<string, string | undefined>();
    let token: string | undefined;
    do {
      const page = await glue.send(new GetPartitionsCommand({ DatabaseName: database, TableName: table, NextToken: token }));
      for (const p of page.Partitions ?? []) existing.set(JSON.stringify(p.Values ?? []), p.StorageDescriptor?.Location);
      token = page.NextToken;
    } while (token);
    const input = (p: PartitionLocation): PartitionInput => ({ Values: p.values, StorageDescriptor: { ...(t.StorageDescriptor as StorageDescriptor), Location: p.location } });
    const create = parts.filter((p) => !existing.has(JSON.stringify(p.values)));
    const update = parts.filter((p) => existing.has(JSON.stringify(p.values)) && existing.get(JSON.stringify(p.values)) !== p.location);
    for (let i = 0; i < create.length; i += BATCH) {
      const res = await glue.send(new BatchCreatePartitionCommand({ DatabaseName: database, TableName: table, PartitionInputList: create.slice(i, i + BATCH).map(input) }));
      const errors = (res.Errors ?? []).filter((e) => e.ErrorDetail?.ErrorCode !== 'AlreadyExistsException');
      if (errors.length) throw new Error(`Glue BatchCreatePartition ${table}: ${errors[0]!.ErrorDetail?.ErrorCode} ${errors[0]!.ErrorDetail?.ErrorMessage ?? ''}`);
    }
    for (let i = 0; i < update.length; i += BATCH) {
      const res = await glue.send(
        new BatchUpdatePartitionCommand({
          DatabaseName: database,
          TableName: table,
          Entries: update.slice(i, i + BATCH).map((p) => ({ PartitionValueList: p.values, PartitionInput: input(p) })),
        }),
      );
      if (res.Errors?.length) throw new Error(`Glue BatchUpdatePartition ${table}: ${res.Errors[0]!.ErrorDetail?.ErrorCode} ${res.Errors[0]!.ErrorDetail?.ErrorMessage ?? ''}`);
    }
    changed += create.length + update.length;
  }
  return changed;
}
