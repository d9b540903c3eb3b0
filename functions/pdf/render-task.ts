/**
 * One render job: document JSON bytes in, PDF bytes out. Runs in a worker thread (render-worker.js)
 * or inline. The document is validated against its zod contract before anything is drawn.
 */
import { getHeapStatistics } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { fairAccessDocument } from '../../schemas/fair-access-document.ts';
import { profileDocument } from '../../schemas/profile-document.ts';
import { renderFairAccessPdf } from './fair-access-pdf.ts';
import { renderProfilePdf } from './profile-pdf.ts';

export type RenderKind = 'profile' | 'fair-access';

export interface RenderTask {
  kind: RenderKind;
  /** The document's key, for error messages. */
  key: string;
  json: Uint8Array;
  /** Tests: a counter over shared memory the thread adds one to as each render ends (watched while blocked). */
  rendered?: Int32Array;
}

export interface RenderResult {
  pdf: Uint8Array;
  pages: number;
  /** Render time in this thread, ms. */
  ms: number;
  /** When the render ended (ms since the epoch, performance.timeOrigin + now). */
  endedAt: number;
  threadId: number;
  /** This thread's V8 heap in use after the render, bytes (process.memoryUsage().heapUsed, without reading the process's RSS: about a millisecond a call). */
  heapUsed: number;
}

const decoder = new TextDecoder();

export async function renderTask(task: RenderTask): Promise<RenderResult> {
  const t0 = performance.now();
  let data: unknown;
  try {
    data = JSON.parse(decoder.decode(task.json));
  } catch (e) {
    throw new Error(`${task.key}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = task.kind === 'profile' ? profileDocument.safeParse(data) : fairAccessDocument.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`${task.key}: does not match the ${task.kind} document contract (${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'})`);
  }
  const out =
    task.kind === 'profile'
      ? await renderProfilePdf(parsed.data as Parameters<typeof renderProfilePdf>[0])
      : await renderFairAccessPdf(parsed.data as Parameters<typeof renderFairAccessPdf>[0]);
  const t1 = performance.now();
  if (task.rendered) {
    Atomics.add(task.rendered, 0, 1);
    Atomics.notify(task.rendered, 0);
  }
  return { pdf: out.pdf, pages: out.pages, ms: t1 - t0, endedAt: performance.timeOrigin + t1, threadId, heapUsed: getHeapStatistics().used_heap_size };
}

/**
 * The worker threads' task (render-thread.ts hands it to the pool): tasks one at a time, in the order they arrive. The pool hands each
 * thread several documents ahead (RenderPool's QUEUED_PER_THREAD), so a thread goes straight on to
 * its next document while the main thread is busy with the analysis; this chain keeps one
 * document's render from being interleaved with another's at its awaits.
 */
let last: Promise<unknown> = Promise.resolve();
export default function queuedRenderTask(task: RenderTask): Promise<RenderResult> {
  const result = last.then(() => renderTask(task));
  last = result.catch(() => undefined);
  return result;
}
