/**
 * The module a render pool's worker thread loads (bundled by render-worker-entry.ts, or through
 * tsx by render-worker.js): the queued render task, handed over once the thread has parsed its
 * fonts and compiled its chart specs. Piscina awaits a default export that is a promise when the
 * thread starts, before its first task; the pipeline starts the pool while its first stages run
 * (a core is often idle then), so this work is done early instead of inside the first document.
 * Inline renders (tests, Lambda) import render-task.ts and prepare lazily, as before.
 *
 * A pool started well ahead of its documents (RenderPool.start with warmUp) also has each thread
 * render a couple of dozen made-up documents (warmup-documents.ts) and throw the PDFs away: a cold
 * thread's first document took seconds and its next few dozen half as long again as later ones,
 * while V8 compiled the renderer's hot code (in each thread: compiled code is not shared), and the
 * real documents waited for all of it. The threads take turns (one lock for the pool), so warming
 * takes about one core from the stages running meanwhile, and a thread stops as soon as its first
 * real document arrives, which then waits for at most the one warm-up render in hand. PDF bytes do
 * not depend on what a thread drew before (test/pdf/reproducible.test.ts, render-thread.test.ts).
 */
import { workerData } from 'node:worker_threads';
import { prepareCharts } from './charts.ts';
import { prepareFonts } from './fonts.ts';
import queuedRenderTask, { type RenderResult, type RenderTask } from './render-task.ts';
import { warmupProfileDocument } from './warmup-documents.ts';

/** What RenderPool passes its threads (piscina's workerData). */
export interface RenderThreadData {
  /** Made-up documents to render before the first real one arrives (0: none). */
  warmUpDocuments?: number;
  /** One Int32 shared by the pool's threads, 1 while one of them is warming up: they take turns. */
  warmUpLock?: Int32Array;
  /** One Int32 shared by the pool's threads: the made-up documents they have rendered (RenderPool.warmUpRenders). */
  warmUpCount?: Int32Array;
}

let realTasks = 0;

/** The pool's task: render a real document (which also ends this thread's warm-up). */
export function renderDocument(task: RenderTask): Promise<RenderResult> {
  realTasks++;
  return queuedRenderTask(task);
}

/** Atomics.waitAsync (Node 16+; not in TypeScript's ES2022 library). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Render up to `documents` made-up documents one at a time, after taking `lock` (if given), until a
 * real document arrives (renderDocument); resolves to the number rendered, also added to `count`.
 */
export async function warmUp(documents: number, lock?: Int32Array, count?: Int32Array): Promise<number> {
  const before = realTasks;
  const waiting = () => realTasks === before;
  if (lock) {
    // Without blocking this thread's event loop: real tasks arrive as messages meanwhile.
    for (;;) {
      if (!waiting()) return 0;
      if (Atomics.compareExchange(lock, 0, 0, 1) === 0) break;
      const w = waitAsync(lock, 0, 1, 100);
      if (w.async) await w.value;
      await nextMacrotask();
    }
  }
  let rendered = 0;
  try {
    const encoder = new TextEncoder();
    for (let i = 0; i < documents; i++) {
      // A macrotask boundary before each: the pool's messages (real tasks) are read in between.
      await nextMacrotask();
      if (!waiting()) break;
      const json = encoder.encode(JSON.stringify(warmupProfileDocument(i)));
      // Through the real documents' queue, so a real one never interleaves with a warm-up render.
      await queuedRenderTask({ kind: 'profile', key: `warm-up-${i}.json`, json });
      rendered++;
      if (count) Atomics.add(count, 0, 1);
    }
  } finally {
    if (lock) {
      Atomics.store(lock, 0, 0);
      Atomics.notify(lock, 0);
    }
  }
  return rendered;
}

export default Promise.resolve().then(() => {
  prepareFonts();
  prepareCharts();
  const data = workerData as RenderThreadData | null;
  const documents = Math.max(0, Math.floor(Number(data?.warmUpDocuments ?? 0)) || 0);
  // A failed warm-up render costs only the warm-up: real documents report their own errors.
  const shared = (a: unknown) => (a instanceof Int32Array ? a : undefined);
  if (documents > 0) void warmUp(documents, shared(data?.warmUpLock), shared(data?.warmUpCount)).catch(() => 0);
  return renderDocument;
});
