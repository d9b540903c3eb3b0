/**
 * The shortlist behind similar schools at England scale: for each school, the m others whose
 * group shares have the largest Bhattacharyya coefficient BC(a, b) = Σ √a_t · √b_t (ties: the
 * lower index). A pair's score is the float sum over t = 0..d-1, in that order, from 0, of
 * roots[i·d+t]·roots[j·d+t]; each list is the m best by (score desc, index asc).
 *
 * Group shares are sparse (a primary school's pupils live in a handful of the 21 OAC groups: about
 * 6 on average at England scale), so a pair is scored from postings: for each dimension, the rows
 * with a nonzero root there, in ascending index. Row i adds a·root(j, t) to j's sum for each of its
 * nonzero dimensions t in ascending order, over the postings of t after i. A term left out has a
 * zero factor, so it is +0 or -0 (the roots are finite and non-negative), and adding ±0 to a partial
 * sum that starts at +0 and only grows leaves it unchanged: every pair's score is the same float as
 * the dense 21-term sum, bit for bit, while the work falls from 21 multiply-adds a pair to one per
 * shared dimension (England-scale lake: 2.05 a pair for 16,750 primaries, 10.1 for 3,850
 * secondaries). Bounds that prune pairs (k-means balls over the unit vectors of roots, per-dimension
 * angle bounds) were tried on the same shares and still had to score 20-30% of the ordered pairs
 * (the 25th neighbour is about half the spread of the data away), so none is used.
 *
 * Every pair is then offered to both rows' lists in the order of the plain loop (row i then row j,
 * j ascending), with the admission test inline, because at 16,750 primary schools it runs 140
 * million times. With more than one core the rows are split between threads (worker threads over
 * shared memory, this thread doing the last part): each part scores the pairs (i, j > i) of its
 * rows i and keeps m-best lists for every row. Each part offers a row its candidates in ascending
 * index, as the single loop does, so each list is that part's m best by (score desc, index asc);
 * merging the parts' lists by the same order gives exactly the single loop's lists. A pair's score
 * is the same sum in the same order whichever thread computes it.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

/** Below this many pairs one thread is quicker than starting another (a worker takes tens of ms to start). */
const PARALLEL_PAIRS = 4_000_000;
/** How long a worker may take to start (a loaded machine) before the shortlist gives up. */
const WORKER_START_MS = 120_000;
/**
 * How long a started worker may go without finishing a row before it is taken for dead (ended
 * without reporting: out of memory, terminated). A row is at most a few milliseconds of work.
 */
const WORKER_STALL_MS = 120_000;

/** Bounds on the worker threads (tests shorten them; `onWorker` sees each thread as it starts). */
export interface ShortlistLimits {
  /** @default 120 s */
  readonly startMs?: number;
  /** @default 120 s */
  readonly stallMs?: number;
  readonly onWorker?: (worker: Worker, part: number) => void;
  /**
   * Tests: each worker thread, once started, adds one to `hold[1]` and waits while `hold[0]` is 0
   * (so a test can end a thread that has started and cannot have finished).
   */
  readonly hold?: Int32Array;
}

/**
 * Score the pairs (i, j) with i0 <= i < i1 and j > i, offering j to row i and i to row j; `score`
 * and `index` hold each row's m best, best first (-1 when empty). `roots` is row-major (n·d);
 * `start`, `rows` and `values` are the postings (dimension t's rows, ascending, and their roots at
 * rows[start[t] .. start[t+1])). Self-contained (no closures, no inner functions) because worker
 * threads run its source text: keep it so. That is why the two insertions below are written out
 * twice: tsx compiles with esbuild's keepNames, which wraps an inner function in a `__name(...)`
 * call the worker does not have (test/similar-shortlist.test.ts runs the threads under tsx).
 */
function scoreRows(roots: Float64Array, start: Int32Array, rows: Int32Array, values: Float64Array, n: number, d: number, m: number, i0: number, i1: number, score: Float64Array, index: Int32Array, beats: Int32Array | null, slot: number): void {
  // Each row's m-th best score (-1 while its list is not full), from the lists as given.
  const last = new Float64Array(n);
  for (let r = 0; r < n; r++) last[r] = score[r * m + m - 1]!;
  // Per dimension, the first posting not yet behind the current row.
  const next = new Int32Array(d);
  for (let t = 0; t < d; t++) next[t] = start[t]!;
  const dots = new Float64Array(n);
  for (let i = i0; i < i1; i++) {
    dots.fill(0, i + 1);
    // Row i's terms in ascending t, each over the later rows that are nonzero in t (ascending, so
    // every sum gets its terms in the order of the dense loop; the terms left out are zeros).
    for (let t = 0; t < d; t++) {
      const a = roots[i * d + t]!;
      if (a === 0) continue;
      const e = start[t + 1]!;
      let p = next[t]!;
      while (p < e && rows[p]! <= i) p++;
      next[t] = p;
      for (; p < e; p++) {
        const j = rows[p]!;
        dots[j] = dots[j]! + a * values[p]!;
      }
    }
    // Offers in the order of the plain loop (row i then row j, j ascending), so ties resolve alike.
    // An insertion goes behind any equal score (the lower index, offered first, stays ahead).
    let own = last[i]!;
    for (let j = i + 1; j < n; j++) {
      const bc = dots[j]!;
      if (bc > own) {
        const o = i * m;
        let p = m - 1;
        while (p > 0 && score[o + p - 1]! < bc) {
          score[o + p] = score[o + p - 1]!;
          index[o + p] = index[o + p - 1]!;
          p--;
        }
        score[o + p] = bc;
        index[o + p] = j;
        own = score[o + m - 1]!;
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
    last[i] = own;
    // Rows done, for the thread waiting on this part (it takes a part that stops moving for dead).
    if (beats !== null) Atomics.store(beats, slot, i - i0 + 1);
  }
}

/** Worker thread: plain CommonJS running scoreRows' source, so it needs no TypeScript loader. */
const WORKER = `
const { workerData: w } = require('node:worker_threads');
const status = new Int32Array(w.status);
Atomics.store(status, w.slot, 1);
if (w.hold) {
  const hold = new Int32Array(w.hold);
  Atomics.add(hold, 1, 1);
  Atomics.notify(hold, 1);
  Atomics.wait(hold, 0, 0);
}
try {
  (${scoreRows.toString()})(new Float64Array(w.roots), new Int32Array(w.start), new Int32Array(w.rows), new Float64Array(w.values), w.n, w.d, w.m, w.i0, w.i1, new Float64Array(w.score), new Int32Array(w.index), new Int32Array(w.beats), w.slot);
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
export function bhattacharyyaShortlist(vectors: readonly (readonly number[])[], m: number, threads = defaultThreads(vectors.length), limits: ShortlistLimits = {}): number[][] {
  const n = vectors.length;
  const d = vectors[0]?.length ?? 0;
  const shared = (bytes: number) => (threads > 1 ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const roots = new Float64Array(shared(8 * n * d));
  vectors.forEach((v, i) => {
    // Finite and non-negative, so every root is too: what makes a term left out exactly ±0.
    const bad = v.findIndex((x) => !(x >= 0 && x < Infinity));
    if (bad >= 0) throw new RangeError(`similar-school shortlist: row ${i} dimension ${bad} is ${v[bad]}, not a finite non-negative weight`);
    const total = v.reduce((a, b) => a + b, 0) || 1;
    for (let j = 0; j < d; j++) roots[i * d + j] = Math.sqrt(v[j]! / total);
  });
  // Postings: for each dimension, the rows with a nonzero root there (ascending) and that root.
  const start = new Int32Array(shared(4 * (d + 1)));
  for (let k = 0; k < n * d; k++) if (roots[k] !== 0) start[(k % d) + 1]++;
  for (let t = 0; t < d; t++) start[t + 1] = start[t + 1]! + start[t]!;
  const rows = new Int32Array(shared(4 * Math.max(1, start[d]!)));
  const values = new Float64Array(shared(8 * Math.max(1, start[d]!)));
  const fill = start.slice(0, d);
  for (let j = 0; j < n; j++) {
    for (let t = 0; t < d; t++) {
      const x = roots[j * d + t]!;
      if (x === 0) continue;
      rows[fill[t]!] = j;
      values[fill[t]!] = x;
      fill[t] = fill[t]! + 1;
    }
  }
  const bounds = splitRows(n, Math.max(1, threads));
  const lists = bounds.slice(1).map(() => ({ score: new Float64Array(shared(8 * n * m)).fill(-1), index: new Int32Array(shared(4 * n * m)).fill(-1) }));
  const status = new Int32Array(shared(4 * lists.length));
  const beats = new Int32Array(shared(4 * lists.length));
  const started = lists.slice(0, -1).map((l, k) => {
    const { port1, port2 } = new MessageChannel();
    const workerData = { roots: roots.buffer, start: start.buffer, rows: rows.buffer, values: values.buffer, n, d, m, i0: bounds[k]!, i1: bounds[k + 1]!, score: l.score.buffer, index: l.index.buffer, status: status.buffer, beats: beats.buffer, slot: k, port: port2, hold: limits.hold?.buffer };
    const worker = new Worker(WORKER, { eval: true, workerData, transferList: [port2], execArgv: [] });
    worker.unref();
    limits.onWorker?.(worker, k);
    return { worker, port: port1 };
  });
  const mine = lists.at(-1)!;
  scoreRows(roots, start, rows, values, n, d, m, bounds.at(-2)!, n, mine.score, mine.index, null, 0);
  // This thread waits (blocking: the caller is synchronous) for each worker's part. A worker that
  // ends without reporting (out of memory, terminated) cannot say so while this thread blocks, so a
  // part whose rows stop moving for stallMs is taken for dead: an error, never an endless wait.
  const startMs = limits.startMs ?? WORKER_START_MS;
  const stallMs = limits.stallMs ?? WORKER_STALL_MS;
  const stop = (worker: Worker, why: string): never => {
    void worker.terminate();
    throw new Error(`similar-school shortlist: worker thread ${why}`);
  };
  started.forEach(({ worker, port }, k) => {
    if (Atomics.wait(status, k, 0, startMs) === 'timed-out') stop(worker, `${k} did not start within ${startMs / 1000} s`);
    let seen = -1;
    let since = Date.now();
    while (Atomics.load(status, k) === 1) {
      Atomics.wait(status, k, 1, Math.min(1000, stallMs));
      const done = Atomics.load(beats, k);
      if (done !== seen) {
        seen = done;
        since = Date.now();
      } else if (Atomics.load(status, k) === 1 && Date.now() - since >= stallMs) {
        stop(worker, `${k} finished no row for ${stallMs / 1000} s (it ended without reporting, or is stuck)`);
      }
    }
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
