/**
 * Arrow table -> Parquet bytes with parquet-wasm (WebAssembly: runs the same locally and in Lambda,
 * no native binding). Snappy compression, dictionary encoding on by default.
 */
import { tableToIPC, type Table } from 'apache-arrow';
import * as pw from 'parquet-wasm/node';

let props: pw.WriterProperties | undefined;

export function toParquet(table: Table): Uint8Array {
  // WriterProperties are consumed by writeParquet, so build one per call.
  props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy('catchment').build();
  const wasmTable = pw.Table.fromIPCStream(tableToIPC(table, 'stream'));
  return pw.writeParquet(wasmTable, props);
}

/** Parquet bytes -> Arrow table (used by tests and to read small published files). */
export async function fromParquet(bytes: Uint8Array): Promise<Table> {
  const { tableFromIPC } = await import('apache-arrow');
  const t = pw.readParquet(bytes);
  return tableFromIPC(t.intoIPCStream());
}
