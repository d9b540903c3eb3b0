/**
 * Many objects written one after another with a bounded number in flight (the profiles stage's
 * 21,500 documents at England scale), each exactly as ObjectStore.put writes it.
 *
 * Into a local directory the writes are made by a writer thread with blocking calls (temp file in
 * the object's directory, then rename: the same all-or-nothing object as LocalObjectStore.put),
 * so this thread pays a share of one message per few objects instead of the promise and callback of each of four
 * asynchronous file operations (about a quarter of the profiles stage's own time at England scale).
 * Anywhere else (S3), or where a thread cannot start (a Lambda bundle may not), or once the thread
 * has failed, the objects are written here through put(), a pool of them in flight; what the
 * thread held unconfirmed is written again here (the same bytes, so a repeat is harmless).
 */
import { Worker } from 'node:worker_threads';
import { LocalObjectStore } from './local-store.ts';
import type { ObjectStore } from './object-store.ts';

export interface ObjectWriter {
  /** Queue one object; waits while the most allowed are in flight; throws once a write has failed. */
  write(key: string, body: string): Promise<void>;
  /** Wait for every queued object; throws the first failure. */
  flush(): Promise<void>;
  /** Whether the writes go through a writer thread (false in this thread). */
  readonly threaded: boolean;
}

export interface ObjectWriterOptions {
  /** Objects in flight at most. Default 32. */
  inFlight?: number;
  /** Use a writer thread where the store allows one. Default true. */
  thread?: boolean;
  /** @internal The thread's code (tests give one that fails, to see the writes fall back here). */
  threadSource?: string;
}

/**
 * The thread: plain CommonJS (node: modules only), so it starts in a bundle as under tsx. The
 * temp file is named like LocalObjectStore's (".tmp-" prefix, ignored by list(); unique per
 * thread), its directory made only when the write finds it missing.
 */
const WORKER = `
const { parentPort, threadId } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const tag = process.pid + '-w' + threadId + '-' + require('node:crypto').randomBytes(4).toString('hex');
let n = 0;
const writeOne = ({ id, file, body }) => {
  const dir = path.dirname(file);
  const tmp = path.join(dir, '.tmp-' + path.basename(file) + '-' + tag + '-' + (n++).toString(36));
  try {
    try {
      fs.writeFileSync(tmp, body);
    } catch (e) {
      if (!e || e.code !== 'ENOENT') throw e;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(tmp, body);
    }
    fs.renameSync(tmp, file);
    return { id };
  } catch (e) {
    try { fs.rmSync(tmp, { force: true }); } catch {}
    return { id, error: String((e && e.message) || e) };
  }
};
parentPort.on('message', (objects) => parentPort.postMessage(objects.map(writeOne)));
`;

/**
 * Objects per message to the thread (and confirmations per reply) at most: a message costs about
 * as much as copying a document, so a few go together; a quarter of those allowed in flight, so
 * the thread has the next batch while this thread fills another.
 */
const batchSize = (inFlight: number) => Math.max(1, Math.min(16, Math.floor(inFlight / 4)));

/** A writer for `lake`: a writer thread for a local directory, else put() in this thread. */
export function objectWriter(lake: ObjectStore, opts: ObjectWriterOptions = {}): ObjectWriter {
  const inFlight = Math.max(1, opts.inFlight ?? 32);
  const here = pooledWriter(lake, inFlight);
  if (opts.thread === false || !(lake instanceof LocalObjectStore)) return here;
  return threadedWriter(lake, inFlight, here, opts.threadSource ?? WORKER);
}

/** put() with at most `inFlight` in flight. */
function pooledWriter(lake: ObjectStore, inFlight: number): ObjectWriter {
  const writes = new Set<Promise<void>>();
  let failed: unknown;
  return {
    threaded: false,
    async write(key: string, body: string): Promise<void> {
      while (writes.size >= inFlight) await Promise.race(writes);
      if (failed) throw failed;
      const w: Promise<void> = lake.put(key, body).then(
        () => void writes.delete(w),
        (e: unknown) => {
          writes.delete(w);
          failed ??= e;
        },
      );
      writes.add(w);
    },
    async flush(): Promise<void> {
      await Promise.all(writes);
      if (failed) throw failed;
    },
  };
}

interface Pending {
  key: string;
  body: string;
}

function threadedWriter(lake: LocalObjectStore, inFlight: number, here: ObjectWriter, source: string): ObjectWriter {
  let worker: Worker | null;
  try {
    worker = new Worker(source, { eval: true, execArgv: [] });
  } catch {
    return here;
  }
  const pending = new Map<number, Pending>();
  /** Objects made ready for the thread, posted together (post()). */
  let batch: { id: number; file: string; body: string }[] = [];
  const perMessage = batchSize(inFlight);
  const post = () => {
    if (!worker || batch.length === 0) return;
    const objects = batch;
    batch = [];
    // Held open only while objects are in flight.
    worker.ref();
    worker.postMessage(objects);
  };
  let nextId = 0;
  let failed: unknown;
  /** Writes waiting for room, or flush() waiting for the last confirmation: woken by each confirmation. */
  let waiting: (() => void)[] = [];
  const signal = () => {
    const w = waiting;
    waiting = [];
    for (const f of w) f();
  };
  const waitForSignal = () => new Promise<void>((resolve) => waiting.push(resolve));
  const stop = async () => {
    const w = worker;
    worker = null;
    if (!w) return;
    w.removeAllListeners('exit');
    w.removeAllListeners('error');
    w.on('error', () => undefined);
    await w.terminate();
  };
  // Everything after a failed thread goes through `here`, starting with what the thread held.
  let fellBack: Promise<void> | null = null;
  const fallBack = () => {
    if (!worker) return;
    void worker.terminate();
    worker = null;
    const held = [...pending.values()];
    pending.clear();
    batch = [];
    fellBack = (async () => {
      for (const p of held) await here.write(p.key, p.body);
    })();
    fellBack.catch(() => undefined);
    signal();
  };
  worker.on('message', (done: { id: number; error?: string }[]) => {
    for (const m of done) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined && p) failed ??= new Error(`writing ${p.key}: ${m.error}`);
    }
    if (pending.size === 0) worker?.unref();
    signal();
  });
  worker.on('error', fallBack);
  worker.on('exit', fallBack);
  worker.unref();
  return {
    get threaded() {
      return worker !== null;
    },
    async write(key: string, body: string): Promise<void> {
      while (worker && pending.size >= inFlight && !failed) {
        post();
        await waitForSignal();
      }
      if (failed) throw failed;
      if (!worker) {
        await fellBack;
        return here.write(key, body);
      }
      // The path is checked here (LocalObjectStore rejects keys leaving its root) before the thread sees it.
      const file = lake.uri(key);
      if (file === lake.root) throw new Error('put: empty key');
      const id = nextId++;
      pending.set(id, { key, body });
      batch.push({ id, file, body });
      if (batch.length >= perMessage) post();
    },
    async flush(): Promise<void> {
      try {
        post();
        // Also after a failure: what the thread was given is finished (never a temp file left by
        // ending it mid-write); it answers every batch, or dies and falls back.
        while (worker && pending.size > 0) await waitForSignal();
      } finally {
        // The thread is done with (a writer is flushed once): ended, never left to hold the process.
        await stop();
      }
      if (fellBack) await fellBack;
      await here.flush();
      if (failed) throw failed;
    },
  };
}
