/**
 * Profile documents made in worker threads: at England scale 21,500 documents of about 40 KB are
 * built, serialised and written, most of the profiles stage's own time and much of its garbage.
 * Each thread is sent what every document draws on once (head-documents.ts DocumentContext, the
 * dictionary, the map grid) and then batches of schools' shown counts; it writes their documents
 * into the local lake (LocalObjectStore.putSync: the same all-or-nothing objects as put()) and
 * returns their head_profile values, which this thread adds in school order; while every thread
 * has batches waiting, this thread makes the next batch itself.
 *
 * A thread that cannot start (a Lambda bundle has no worker entry; the stage only asks for threads
 * for a local lake) or that fails leaves its batches to this thread, with the same code
 * (document-batch.ts): the same documents and values either way.
 */
import { Worker } from 'node:worker_threads';
import type { Value } from '../lake/column-buffer.ts';
import { MapGrid, type MapGridSpec } from '../maps/grid.ts';
import { LocalObjectStore } from '../ports/local-store.ts';
import { Dictionary, type SegmentEntry } from './dictionary.ts';
import { documentBatch } from './document-batch.ts';
import type { DocumentContext, PackedSchool } from './head-documents.ts';

/** What a document thread starts with. */
export interface DocumentThreadInit {
  context: DocumentContext;
  dict: SegmentEntry[];
  grid: MapGridSpec | null;
  /** The local lake's directory. */
  root: string;
}

/** A batch: each school's document key and packed inputs. */
export interface DocumentJob {
  id: number;
  keys: string[];
  schools: PackedSchool[];
}

interface Pending {
  job: DocumentJob;
  resolve: (cells: Value[]) => void;
  reject: (e: unknown) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

const ENTRY = new URL('./document-worker.js', import.meta.url);

/**
 * A thread's heap, held small: left to itself V8 lets a thread that makes 40 KB documents all
 * night grow its heap by a few hundred MiB of garbage before collecting, which at England scale
 * lifted the run's peak by about 100 MiB. England's thread (the map grid, the context, a batch)
 * works within these; a thread that runs out dies and its batches are made in this thread (drop).
 */
const THREAD_LIMITS = { maxOldGenerationSizeMb: 160, maxYoungGenerationSizeMb: 16 };

export class DocumentThreads {
  private readonly threads: Thread[] = [];
  private nextId = 0;
  private readonly queue: number;
  /**
   * Where documents made in this thread go (the stage gives its object writer's thread, so this
   * thread never waits on the disk); default: written here, blocking (LocalObjectStore.putSync).
   */
  private readonly writeHere: ((key: string, body: string) => void) | null;
  /** Batches made in this thread (no thread, or its thread failed). */
  madeHere = 0;
  private local: { dict: Dictionary; grid: MapGrid | undefined; store: LocalObjectStore } | null = null;

  /**
   * `threads` worker threads; a batch goes to the one with the fewest waiting, or, once each has
   * `queue` waiting, is made at once in this thread (which has nothing else to do meanwhile: it
   * makes its share of the documents instead of waiting).
   */
  constructor(
    private readonly init: DocumentThreadInit,
    threads: number,
    /** `entry`: the thread's module (default the tsx entry, document-worker.js; the stage gives the bundle, document-worker-entry.ts). */
    opts: { queue?: number; entry?: URL | string; writeHere?: (key: string, body: string) => void } = {},
  ) {
    this.queue = Math.max(1, opts.queue ?? 2);
    this.writeHere = opts.writeHere ?? null;
    const entry = opts.entry ?? ENTRY;
    for (let i = 0; i < threads; i++) {
      let worker: Worker;
      try {
        worker = new Worker(entry, { workerData: init, execArgv: [], resourceLimits: THREAD_LIMITS });
      } catch {
        break;
      }
      const t: Thread = { worker, pending: new Map() };
      worker.on('message', (m: { id: number; cells?: Value[]; error?: string }) => {
        const p = t.pending.get(m.id);
        t.pending.delete(m.id);
        if (!p) return;
        if (m.cells) p.resolve(m.cells);
        else p.reject(new Error(`profile documents: ${m.error}`));
      });
      // A thread that could not start or died: its batches are made here.
      const fail = () => this.drop(t);
      worker.on('error', fail);
      worker.on('exit', fail);
      this.threads.push(t);
    }
  }

  /** Threads working (0: every batch is made in this thread). */
  get size(): number {
    return this.threads.length;
  }

  /** Make, write and return the head_profile values of a batch of schools' documents. */
  run(keys: string[], schools: PackedSchool[]): Promise<Value[]> {
    const job: DocumentJob = { id: this.nextId++, keys, schools };
    // The thread with the fewest batches waiting.
    const t = this.threads.reduce<Thread | null>((best, x) => (!best || x.pending.size < best.pending.size ? x : best), null);
    if (!t || t.pending.size >= this.queue) {
      try {
        return Promise.resolve(this.here(job));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise((resolve, reject) => {
      t.pending.set(job.id, { job, resolve, reject });
      t.worker.postMessage(job);
    });
  }

  /** End the threads (after the last batch's values have come back). */
  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(
      threads.map(async (t) => {
        t.worker.removeAllListeners('exit');
        t.worker.removeAllListeners('error');
        t.worker.on('error', () => undefined);
        await t.worker.terminate();
        for (const p of t.pending.values()) p.reject(new Error('profile documents: threads closed with a batch unfinished'));
      }),
    );
  }

  private drop(t: Thread): void {
    const i = this.threads.indexOf(t);
    if (i < 0) return;
    this.threads.splice(i, 1);
    void t.worker.terminate();
    const held = [...t.pending.values()];
    t.pending.clear();
    for (const p of held) {
      try {
        p.resolve(this.here(p.job));
      } catch (e) {
        p.reject(e);
      }
    }
  }

  /** A batch made in this thread. */
  private here(job: DocumentJob): Value[] {
    this.madeHere++;
    this.local ??= { dict: new Dictionary(this.init.dict), grid: this.init.grid ? MapGrid.ofSpec(this.init.grid) : undefined, store: new LocalObjectStore(this.init.root) };
    const { dict, grid, store } = this.local;
    const write = this.writeHere;
    return documentBatch(this.init.context, dict, grid, job.schools, write ? (i, body) => write(job.keys[i]!, body) : (i, body) => store.putSync(job.keys[i]!, body));
  }
}
