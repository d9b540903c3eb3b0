/**
 * Arrow table -> Parquet bytes with parquet-wasm (WebAssembly: runs the same locally and in Lambda,
 * no native binding). Snappy compression, dictionary encoding on by default.
 *
 * `toParquetAsync` encodes in a worker thread where one can load parquet-wasm (a local run: the
 * analysis builds documents while the analysts' tables are encoded), else in this thread (a Lambda
 * bundle carries no node_modules for a worker). Same library, same settings, same Arrow stream in:
 * the same bytes either way.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { tableToIPC, type Table } from 'apache-arrow';
import * as pw from 'parquet-wasm/node';

/** The writer settings (WriterProperties are consumed by writeParquet, so built per call). */
const writerProperties = (plain: readonly string[] = []) => {
  let b = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy('catchment');
  for (const column of plain) b = b.setColumnDictionaryEnabled(column, false);
  return b.build();
};

function encodeIPC(ipc: Uint8Array, plain?: readonly string[]): Uint8Array {
  return pw.writeParquet(pw.Table.fromIPCStream(ipc), writerProperties(plain));
}

/**
 * `plain`: columns written without dictionary encoding. For measures that rarely repeat (a
 * p-value, an interval bound) a dictionary is mostly misses: at England scale school_profile
 * encoded in 1.3 s instead of 2.1 s without one on its nine measures, in a file 22% larger.
 */
export function toParquet(table: Table, opts: { plain?: readonly string[] } = {}): Uint8Array {
  return encodeIPC(tableToIPC(table, 'stream'), opts.plain);
}

/** Parquet bytes -> Arrow table (used by tests and to read small published files). */
export async function fromParquet(bytes: Uint8Array): Promise<Table> {
  const { tableFromIPC } = await import('apache-arrow');
  const t = pw.readParquet(bytes);
  return tableFromIPC(t.intoIPCStream());
}

/** The worker: plain CommonJS loading parquet-wasm by path, with the settings above. Keep them alike. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const pw = require(workerData);
parentPort.on('message', ({ id, ipc }) => {
  try {
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy('catchment').build();
    const out = pw.writeParquet(pw.Table.fromIPCStream(ipc), props);
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.stack) || e) });
  }
});
`;

interface Job {
  ipc: Uint8Array;
  resolve: (b: Uint8Array) => void;
  reject: (e: unknown) => void;
}

/** One encoding thread for the process, started on first use; null once it cannot run (then this thread encodes). */
let encoder: { worker: Worker; jobs: Map<number, Job> } | null | undefined;
let nextJob = 0;

function startEncoder(): typeof encoder {
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve('parquet-wasm/node');
  } catch {
    return null; // bundled (Lambda): no package to load in a worker
  }
  const worker = new Worker(WORKER, { eval: true, workerData: path, execArgv: [] });
  worker.unref();
  const jobs = new Map<number, Job>();
  worker.on('message', (m: { id: number; out?: Uint8Array; error?: string }) => {
    const job = jobs.get(m.id);
    jobs.delete(m.id);
    if (jobs.size === 0) worker.unref();
    if (!job) return;
    if (m.out) job.resolve(m.out);
    else job.reject(new Error(`Parquet encoding: ${m.error}`));
  });
  // The thread could not start or died: what it held is encoded here, and so is everything after.
  const fallBack = () => {
    encoder = null;
    for (const job of jobs.values()) {
      try {
        job.resolve(encodeIPC(job.ipc));
      } catch (e) {
        job.reject(e);
      }
    }
    jobs.clear();
  };
  worker.on('error', fallBack);
  worker.on('exit', fallBack);
  return { worker, jobs };
}

/** Whether parts are encoded in a worker thread (false before the first part, in a bundle, or after the thread failed). */
export function encodingThread(): boolean {
  return !!encoder;
}

/** toParquet in the encoding thread when there is one (the same bytes). */
export function toParquetAsync(table: Table): Promise<Uint8Array> {
  const ipc = tableToIPC(table, 'stream');
  if (encoder === undefined) encoder = startEncoder();
  const e = encoder;
  if (!e) return Promise.resolve(encodeIPC(ipc));
  return new Promise((resolve, reject) => {
    const id = nextJob++;
    e.jobs.set(id, { ipc, resolve, reject });
    // Hold the process open only while a part is being encoded.
    e.worker.ref();
    // Copied, not transferred: kept for encoding here should the thread fail.
    e.worker.postMessage({ id, ipc });
  });
}
