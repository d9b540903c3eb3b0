/**
 * Read the Parquet files under a prefix of an object store as one Arrow table (parquet-wasm: the
 * same locally and in Lambda). What AthenaEngine.queryLarge reads back after an UNLOAD, instead of
 * paging GetQueryResults 1,000 rows a call.
 */
import { RecordBatch, Table, tableFromIPC } from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import type { ObjectStore } from './object-store.ts';

/** Files fetched at the same time (S3 GETs of a few MB each). */
const READS = 8;

/**
 * Rows per Arrow batch: more than a row group holds (DuckDB writes 122,880 rows a group), so each
 * row group comes back as one batch instead of parquet-wasm's default of 1,024 rows.
 */
const BATCH_ROWS = 1 << 20;

/**
 * One Parquet file as Arrow, a row group at a time. Decoding a whole large file in one call made
 * the WebAssembly heap grow in hundreds of small steps, and V8 starts a full garbage collection
 * for each step: the first 1.7-million-row read took 9 s of CPU where a second one took 1 s.
 * A row group at a time, the heap grows to one group's size once and is reused.
 */
async function readParquetFile(bytes: Uint8Array): Promise<Table> {
  const file = await pw.ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  try {
    const groups = file.metadata().numRowGroups();
    if (groups <= 1) return tableFromIPC(pw.readParquet(bytes, { batchSize: BATCH_ROWS }).intoIPCStream());
    const batches: RecordBatch[] = [];
    for (let g = 0; g < groups; g++) {
      const part = await file.read({ rowGroups: [g], batchSize: BATCH_ROWS });
      batches.push(...tableFromIPC(part.intoIPCStream()).batches);
    }
    const schema = batches[0]!.schema;
    return new Table(schema, batches.map((b) => (b.schema === schema ? b : new RecordBatch(schema, b.data))));
  } finally {
    file.free();
  }
}

/**
 * Every `*.parquet` object under `prefix` (UNLOAD names its files without the extension, so every
 * object not starting with `_` or `.`), concatenated in key order. No files: an empty table.
 */
export async function readParquetObjects(store: ObjectStore, prefix: string): Promise<Table> {
  const keys = (await store.list(prefix.endsWith('/') ? prefix : `${prefix}/`))
    .filter((o) => o.size > 0)
    .map((o) => o.key)
    .filter((k) => !/(^|\/)[_.][^/]*$/.test(k));
  const tables: Table[] = new Array(keys.length);
  let next = 0;
  const lane = async () => {
    while (next < keys.length) {
      const i = next++;
      const bytes = await store.get(keys[i]!);
      tables[i] = await readParquetFile(bytes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS, keys.length) }, lane));
  const batches: RecordBatch[] = tables.flatMap((t) => t.batches).filter((b) => b.numRows > 0);
  if (batches.length === 0) return tables[0] ?? new Table();
  const schema = batches[0]!.schema;
  // Files of one UNLOAD share a schema; align the others to the first (nullability may differ).
  return new Table(schema, batches.map((b) => (b.schema === schema ? b : new RecordBatch(schema, b.data))));
}
