/**
 * The documents step of the profiles stage: every school's head_profile rows and, for the
 * published period, its profile document written, from the schools' shown counts
 * (head-documents.ts). In this thread, school after school, or in document threads
 * (document-threads.ts) beside it; the same rows and bytes either way.
 */
import type { Value } from '../lake/column-buffer.ts';
import type { StagedTable } from '../lake/table-writer.ts';
import type { MapGrid } from '../maps/grid.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { objectWriter } from '../ports/object-writer.ts';
import { LocalObjectStore } from '../ports/local-store.ts';
import { DocumentThreads } from './document-threads.ts';
import { documentWorkerEntry } from './document-worker-entry.ts';
import { headCells } from './document-batch.ts';
import { HeadProfileColumns } from './head-profile-columns.ts';
import type { Dictionary } from './dictionary.ts';
import type { HeadDocuments } from './head-documents.ts';

/** Schools per batch sent to a document thread. */
const DOCUMENT_BATCH = 250;

/** Profile documents in flight at once (S3 PUTs of some tens of KB each; a writer thread's queue locally). */
const DOCUMENT_WRITES = 32;

export interface HeadOutputsOptions {
  lake: ObjectStore;
  heads: HeadDocuments;
  dict: Dictionary;
  /** The classification edition every head_profile row carries. */
  edition: string;
  grid: MapGrid | undefined;
  /** The schools, in the order their rows are added. */
  urns: readonly string[];
  /** Where each school's document goes; null: no documents (head_profile rows only). */
  docKey: ((urn: string) => string) | null;
  /** Document threads beside this one (only with documents and a local lake; 0: this thread alone). */
  threads: number;
}

/** Adds every school's head_profile rows to `headTable` and writes their documents (when `docKey`); returns the documents written. */
export async function writeHeadOutputs(headTable: StagedTable, opts: HeadOutputsOptions): Promise<number> {
  const { lake, heads, dict, edition, urns, docKey } = opts;
  const threads = docKey && lake instanceof LocalObjectStore ? opts.threads : 0;
  const head = new HeadProfileColumns(headTable, dict, edition);
  if (threads > 0) {
    // Batches of schools to the document threads (document-threads.ts), or made here while each
    // thread has enough waiting; their values are added in school order.
    // Documents made here go to a writer thread (ports/object-writer.ts); a failed write is
    // reported by its flush.
    const writer = objectWriter(lake, { inFlight: DOCUMENT_BATCH });
    const writeHere = (key: string, body: string) => void writer.write(key, body).catch(() => undefined);
    const entry = new URL(await documentWorkerEntry());
    const pool = new DocumentThreads({ context: heads.context, dict: dict.entries, grid: opts.grid?.spec() ?? null, root: (lake as LocalObjectStore).root }, threads, { writeHere, entry });
    try {
      const waiting: { batch: readonly string[]; cells: Promise<Value[]> }[] = [];
      const take = async () => {
        const w = waiting.shift()!;
        head.add(w.batch, await w.cells);
      };
      for (let i = 0; i < urns.length; i += DOCUMENT_BATCH) {
        const batch = urns.slice(i, i + DOCUMENT_BATCH);
        const packed = batch.map((urn) => heads.packed(urn));
        // Nothing else here needs the schools' shown tables: let them go (fewer to trace per collection).
        for (const urn of batch) heads.shown.delete(urn);
        const cells = pool.run(batch.map(docKey!), packed);
        cells.catch(() => undefined);
        waiting.push({ batch, cells });
        while (waiting.length > 2 * pool.size + 1) await take();
        // Let the threads' finished batches in (a batch made here ran without a break).
        await new Promise(setImmediate);
      }
      while (waiting.length) await take();
      head.flush();
    } finally {
      await pool.close();
    }
    await writer.flush();
    return urns.length;
  }
  // One school at a time: its document (shown counts) is built, its rows go into head_profile, and
  // for the published period it is written (many writes in flight) before the next is built.
  let documents = 0;
  const pool = objectWriter(lake, { inFlight: DOCUMENT_WRITES, thread: docKey !== null });
  const cells: Value[] = [];
  for (const urn of urns) {
    const doc = heads.document(urn);
    cells.length = 0;
    headCells(doc, heads.shown.get(urn)!, cells);
    head.add([urn], cells);
    // Nothing else needs the school's shown table (the bases, ranges and similar schools are made):
    // let it go, so each collection has fewer of the 21,500 tables to trace.
    heads.shown.delete(urn);
    if (docKey) {
      // Compact: 23 KB instead of 39 KB indented, and the bytes to make, copy to the writer and write
      // were a second of the England run (documents are read by programs; `jq .` shows one to a person).
      await pool.write(docKey(urn), JSON.stringify(doc));
      documents++;
    }
  }
  head.flush();
  await pool.flush();
  return documents;
}
