/**
 * The shortlist behind similar schools at England scale: for each school, the m others whose
 * group shares have the largest Bhattacharyya coefficient BC(a, b) = Σ √a_t · √b_t (ties: the
 * lower index). Every pair is scored once (a dot product of 21 square roots for OAC) and offered
 * to both schools' lists; the loop is written over flat typed arrays with the admission test
 * inline, because at 16,750 primary schools it runs 140 million times.
 *
 * With more than one core the rows are split between threads (worker threads over shared memory,
 * this thread doing the last part): each part scores the pairs (i, j > i) of its rows i and keeps
 * m-best lists for every row. Each part offers a row its candidates in ascending index, as the
 * single loop does, so each list is that part's m best by (score desc, index asc); merging the
 * parts' lists by the same order gives exactly the single loop's lists. A pair's score is the same
 * sum in the same order whichever thread computes it.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

/** Below this many pairs one thread is quicker than starting another. */
const PARALLEL_PAIRS = 4_000_000;
/** How long a worker may take to start (a loaded machine) before the shortlist gives up. */
const WORKER_START_MS = 120_000;

/**
 * Score the pairs (i, j) with i0 <= i < i1 and j > i, offering j to row i and i to row j; `score`
 * and `index` hold each row's m best, best first (-1 when empty). Self-contained (no closures, no
 * inner functions) because worker threads run its source text: keep it so. That is why the two
 * insertions below are written out twice: tsx compiles with esbuild's keepNames, which wraps an
 * inner function in a `__name(...)` call the worker does not have (test/similar-shortlist.test.ts
 * runs the threads under tsx).
 */
function scoreRows(roots: Float64Array, rootsT: Float64Array, n: number, d: number, m: number, i0: number, i1: number, score: Float64Array, index: Int32Array): void {
  const BLOCK = 1024;
  // Each row's m-th best score (-1 while its list is not full), from the lists as given.
  const last = new Float64Array(n);
  for (let r = 0; r < n; r++) last[r] = score[r * m + m - 1]!;
  const dots = new Float64Array(n);
  for (let i = i0; i < i1; i++) {
    dots.fill(0, i + 1);
    // Square roots by dimension (rootsT[t·n + j]): row i's dot products with every later row are
    // accumulated one dimension at a time over contiguous memory, in blocks that stay in the
    // processor's fastest cache, in the same order of terms for every pair.
    for (let j0 = i + 1; j0 < n; j0 += BLOCK) {
      const j1 = Math.min(n, j0 + BLOCK);
      for (let t = 0; t < d; t++) {
        const a = roots[i * d + t]!;
        const o = t * n;
        for (let j = j0; j < j1; j++) dots[j] = dots[j]! + a * rootsT[o + j]!;
      }
    }
    // Offers in the order of the plain loop (row i then row j, j ascending), so ties resolve alike.
    // An insertion goes behind any equal score (the lower index, offered first, stays ahead).
    for (let j = i + 1; j < n; j++) {
      const bc = dots[j]!;
      if (bc > last[i]!) {
        const o = i * m;
        let p = m - 1;
        while (p > 0 && score[o + p - 1]! < bc) {
          score[o + p] = score[o + p - 1]!;
          index[o + p] = index[o + p - 1]!;
          p--;
        }
        score[o + p] = bc;
        index[o + p] = j;
        last[i] = score[o + m - 1]!;
      }
      if (bc > last[j]!) {
        const o = j * m;
        let p = m - 1;
        while (p > 0 && score[o + p - 1]! < bc) {
          score[o + p] = score[o + p - 1]!;
          index[o + p] = index[o + p - 1]!;
          p--;
        }
        score[o + p] = bc;
        index[o + p] = i;
        last[j] = score[o + m - 1]!;
      }
    }
  }
}

/** Worker thread: plain CommonJS running scoreRows' source, so it needs no TypeScript loader. */
const WORKER = `
const { workerData: w } = require('node:worker_threads');
const status = new Int32Array(w.status);
Atomics.store(status, w.slot, 1);
try {
  (${scoreRows.toString()})(new Float64Array(w.roots), new Float64Array(w.rootsT), w.n, w.d, w.m, w.i0, w.i1, new Float64Array(w.score), new Int32Array(w.index));
  Atomics.store(status, w.slot, 2);
} catch (e) {
  w.port.postMessage(String(e && e.stack || e));
  Atomics.store(status, w.slot, 3);
}
Atomics.notify(status, w.slot);
`;

/** Row boundaries splitting the n·(n-1)/2 pairs into `parts` nearly equal shares (row i has n-1-i pairs). */
export function splitRows(n: number, parts: number): number[] {
  const total = (n * (n - 1)) / 2;
  const bounds = [0];
  let done = 0;
  for (let i = 0; i < n && bounds.length < parts; i++) {
    done += n - 1 - i;
    if (done >= (total * bounds.length) / parts) bounds.push(i + 1);
  }
  while (bounds.length < parts) bounds.push(n);
  bounds.push(n);
  return bounds;
}

/** Threads for n rows: one per core (at most 4) when the pairs are many enough to pay for starting them. */
function defaultThreads(n: number): number {
  return (n * (n - 1)) / 2 < PARALLEL_PAIRS ? 1 : Math.max(1, Math.min(4, availableParallelism()));
}

/** For each vector (non-negative weights), the indices of the m others with the largest Bhattacharyya coefficient of their shares. */
export function bhattacharyyaShortlist(vectors: readonly (readonly number[])[], m: number, threads = defaultThreads(vectors.length)): number[][] {
  const n = vectors.length;
  const d = vectors[0]?.length ?? 0;
  const shared = (bytes: number) => (threads > 1 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const roots = new Float64Array(shared(8 * n * d));
  vectors.forEach((v, i) => {
    const total = v.reduce((a, b) => a + b, 0) || 1;
    for (let j = 0; j < d; j++) roots[i * d + j] = Math.sqrt(v[j]! / total);
  });
  const rootsT = new Float64Array(shared(8 * n * d));
  for (let j = 0; j < n; j++) for (let t = 0; t < d; t++) rootsT[t * n + j] = roots[j * d + t]!;
  const bounds = splitRows(n, Math.max(1, threads));
  const lists = bounds.slice(1).map(() => ({ score: new Float64Array(shared(8 * n * m)).fill(-1), index: new Int32Array(shared(4 * n * m)).fill(-1) }));
  const status = new Int32Array(shared(4 * lists.length));
  const started = lists.slice(0, -1).map((l, k) => {
    const { port1, port2 } = new MessageChannel();
    const workerData = { roots: roots.buffer, rootsT: rootsT.buffer, n, d, m, i0: bounds[k]!, i1: bounds[k + 1]!, score: l.score.buffer, index: l.index.buffer, status: status.buffer, slot: k, port: port2 };
    const worker = new Worker(WORKER, { eval: true, workerData, transferList: [port2], execArgv: [] });
    worker.unref();
    return { worker, port: port1 };
  });
  const mine = lists.at(-1)!;
  scoreRows(roots, rootsT, n, d, m, bounds.at(-2)!, n, mine.score, mine.index);
  // This thread waits (blocking: the caller is synchronous) for each worker's part.
  started.forEach(({ worker, port }, k) => {
    if (Atomics.wait(status, k, 0, WORKER_START_MS) === 'timed-out') {
      void worker.terminate();
      throw new Error(`similar-school shortlist: worker thread ${k} did not start within ${WORKER_START_MS / 1000} s`);
    }
    while (Atomics.load(status, k) === 1) Atomics.wait(status, k, 1);
    const failed = receiveMessageOnPort(port)?.message as string | undefined;
    port.close();
    if (Atomics.load(status, k) !== 2) throw new Error(`similar-school shortlist: worker thread ${k} failed: ${failed ?? 'unknown error'}`);
  });
  const out: number[][] = [];
  const heads = new Int32Array(lists.length);
  for (let i = 0; i < n; i++) {
    // Merge row i's lists: score desc, then index asc.
    const row: number[] = [];
    heads.fill(0);
    while (row.length < m) {
      let best = -1;
      for (let k = 0; k < lists.length; k++) {
        const p = i * m + heads[k]!;
        if (heads[k]! >= m || lists[k]!.index[p]! < 0) continue;
        if (best < 0) {
          best = k;
          continue;
        }
        const q = i * m + heads[best]!;
        const s = lists[k]!.score[p]!;
        const t = lists[best]!.score[q]!;
        if (s > t || (s === t && lists[k]!.index[p]! < lists[best]!.index[q]!)) best = k;
      }
      if (best < 0) break;
      row.push(lists[best]!.index[i * m + heads[best]!]!);
      heads[best] = heads[best]! + 1;
    }
    out.push(row);
  }
  return out;
}
