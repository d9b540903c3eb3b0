/**
 * The analysts' profile tables completed and encoded beside the stage's thread. At England scale
 * school_profile is 2.2 million rows: its exact statistics and Parquet parts took about 2.5 s of
 * the stage's thread, while the second core sat half idle through the documents' shown counts and
 * similar schools that come next. So a local run hands the placed rows (typed arrays, moved, not
 * copied) to one thread, which returns the parts' bytes for the stage to write; the stage goes on
 * with the documents' inputs meanwhile.
 *
 * Where no thread runs (a Lambda: an S3 lake, and a bundle with no thread entry; or a thread that
 * could not load) the same function (profile-table-parquet.ts) runs in the stage's thread: the same
 * bytes either way. A thread that dies holding rows fails the stage (the rows were moved to it);
 * a retry starts over.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { bundledOrTsx, bundleModule, EXTERNAL, REQUIRE_BANNER } from '../commons/module-bundle.js';
import { placedBuffers, type PlacedProfileRows } from './profile-rows.ts';
import { profileTableParquet, type ProfileTableName } from './profile-table-parquet.ts';

/** A table to complete and encode. */
export interface ProfileTableJob {
  id: number;
  placed: PlacedProfileRows;
  table: ProfileTableName;
}

/** The TypeScript entry (registers tsx in the thread, then loads profile-table-thread.ts). */
export const TSX_PROFILE_TABLE_ENTRY = new URL('./profile-table-worker.js', import.meta.url).href;

/** The thread's module: a bundle of profile-table-thread.ts (commons/module-bundle.js), or the tsx entry. */
const entry = bundledOrTsx(
  'the profile-table thread',
  async () => (await bundleModule({ entry: fileURLToPath(new URL('./profile-table-thread.ts', import.meta.url)), name: 'profile-table-thread', external: EXTERNAL, banner: { js: REQUIRE_BANNER } })).url,
  TSX_PROFILE_TABLE_ENTRY,
);

/** How long the thread may take to load before the tables are encoded in this thread instead. */
const READY_MS = 60_000;

/** The thread's heap: what it holds besides the rows' buffers (outside the heap) is a part at a time. */
const THREAD_LIMITS = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 };

export class ProfileTableEncoder {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (parts: Uint8Array[]) => void; reject: (e: unknown) => void }>();

  private constructor(private worker: Worker | null) {
    if (!worker) return;
    worker.on('message', (m: { id: number; parts?: Uint8Array[]; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!p) return;
      if (m.parts) p.resolve(m.parts);
      else p.reject(new Error(`profile tables: ${m.error}`));
    });
    const died = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      worker.on('error', () => undefined);
      void worker.terminate();
      for (const p of this.pending.values()) p.reject(new Error(`profile tables: the encoding thread ${why} with a table unfinished`));
      this.pending.clear();
    };
    worker.on('error', (e) => died(`failed (${String(e).split('\n')[0]})`));
    worker.on('messageerror', (e) => died(`sent a table that could not be read (${String(e).split('\n')[0]})`));
    worker.on('exit', (code) => died(`exited (code ${code})`));
  }

  /**
   * An encoder with its thread loaded (`thread`: false, or a thread that cannot load: one that
   * encodes in this thread). `entry`: the thread's module (default the bundle, else the tsx entry).
   */
  static async start(opts: { thread: boolean; entry?: string }): Promise<ProfileTableEncoder> {
    if (!opts.thread) return new ProfileTableEncoder(null);
    let worker: Worker;
    try {
      worker = new Worker(new URL(opts.entry ?? (await entry())), { execArgv: [], resourceLimits: THREAD_LIMITS });
    } catch {
      return new ProfileTableEncoder(null);
    }
    // Only the listeners added here are taken off: removeAllListeners() would also drop the ones
    // Worker keeps to start its message port when a 'message' listener is added (none would arrive).
    let settle: (ok: boolean) => void = () => undefined;
    const onMessage = (m: { ready?: boolean }) => settle(m?.ready === true);
    const onFail = () => settle(false);
    let timer: NodeJS.Timeout | undefined;
    const ready = await new Promise<boolean>((resolve) => {
      settle = resolve;
      worker.on('message', onMessage);
      worker.on('error', onFail);
      worker.on('exit', onFail);
      // A thread that never says it is ready (a loaded machine, a stuck loader) leaves the work here.
      timer = setTimeout(onFail, READY_MS);
    });
    clearTimeout(timer);
    worker.off('message', onMessage);
    worker.off('error', onFail);
    worker.off('exit', onFail);
    if (!ready) {
      worker.on('error', () => undefined);
      await worker.terminate();
      return new ProfileTableEncoder(null);
    }
    return new ProfileTableEncoder(worker);
  }

  /** Whether tables go to the thread. */
  get threaded(): boolean {
    return this.worker !== null;
  }

  /** The table's Parquet parts. With a thread, `placed`'s buffers move to it (unusable here after). */
  encode(placed: PlacedProfileRows, table: ProfileTableName): Promise<Uint8Array[]> {
    const worker = this.worker;
    if (!worker) {
      try {
        return Promise.resolve(profileTableParquet(placed, table));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const job: ProfileTableJob = { id: this.nextId++, placed, table };
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      try {
        worker.postMessage(job, placedBuffers(placed));
      } catch (e) {
        this.pending.delete(job.id);
        reject(e);
      }
    });
  }

  /** End the thread (tables still being encoded are rejected). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    worker.on('error', () => undefined);
    await worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error('profile tables: the encoding thread closed with a table unfinished'));
    this.pending.clear();
  }
}
