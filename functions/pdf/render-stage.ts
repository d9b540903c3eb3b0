/**
 * The render stage: every school's profile document and the LA's fair-access document for a period
 * become PDFs beside them in the lake:
 *
 *   published/profiles/<period>/<urn>.json        -> published/profiles/<period>/<urn>.pdf
 *   published/reports/<period>/fair-access.json   -> published/reports/<period>/fair-access.pdf
 *
 * Rendering runs in a pool of worker threads (piscina; each worker loads the renderer bundled into
 * one JavaScript file, see render-worker-entry.ts). The main thread does the I/O: it reads each
 * document, hashes it, hands the bytes to a worker and writes the PDF that comes back. The pool
 * starts as soon as enough changed documents are found, so its threads load the renderer while
 * this thread is still reading; or the caller passes a pool it started earlier (RenderPool), as the
 * pipeline does, and renders one folder while it is still writing the other's documents.
 *
 * Only changed documents are rendered. Each folder keeps `_render-manifest.json`: per document,
 * sha256(document bytes + NUL + RENDERER_VERSION) of the last render. A document whose hash matches
 * and whose PDF exists is skipped. Bumping RENDERER_VERSION re-renders everything.
 *
 * With `stagingRoot` (a run's staging prefix, published by replacing the whole folder), documents
 * are read and PDFs written under the staging copy, and the previous run's published manifest and
 * PDFs are the reference: an unchanged school's PDF is copied across instead of re-rendered, so the
 * published folder always holds documents and PDFs from the same run.
 *
 * With `only` (one batch of a fanned-out render, e.g. an item of a Step Functions Map), just the
 * named schools' profiles and/or the report are considered, and each folder's manifest is written
 * as a part (`_render-manifest.part-<hash>.json`, the same name when the same batch is retried);
 * `mergeRenderManifests` combines the parts once every batch has finished.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { NotFoundError, joinKey, type ObjectStore } from '../ports/object-store.ts';
import type { RenderKind, RenderResult, RenderTask } from './render-task.ts';
import type { RenderThreadData } from './render-thread.ts';
import { renderWorkerEntry } from './render-worker-entry.ts';
import { RENDERER_VERSION } from './version.ts';

export const RENDER_MANIFEST = '_render-manifest.json';
const PART_PREFIX = '_render-manifest.part-';

/** Up to this many changed documents are rendered in the calling thread rather than a pool. */
export const INLINE_BELOW = 8;

/**
 * Documents each worker thread holds at once: one rendering, the rest queued in the thread. A
 * thread only gets its next task when the main thread hands it over, and during a run the main
 * thread is busy with the analysis for up to a second or two at a time (building a period's
 * documents, encoding Parquet), so with one task each the threads sat idle then. About a second of
 * work each keeps them busy; the queued documents are a few megabytes.
 */
export const QUEUED_PER_THREAD = 24;

/**
 * Made-up documents each thread of a warmed-up pool renders at most before its first real one (it
 * stops sooner when one arrives). By about this many a cold thread's render times have levelled off.
 */
export const WARM_UP_DOCUMENTS = 24;

export interface RenderPdfsOptions {
  lake: ObjectStore;
  period: string;
  progress?: ProgressSink;
  /** Worker threads (default: available parallelism). 0 renders in this thread (tests, Lambda). */
  workers?: number;
  /**
   * Read documents from and write PDFs under this prefix (a run's staging root) instead of the
   * published folders, using the published manifest and PDFs to skip unchanged documents.
   */
  stagingRoot?: string;
  /** Render up to this many changed documents in the calling thread, without starting the pool (default INLINE_BELOW). */
  inlineBelow?: number;
  /**
   * A pool shared with other calls (the pipeline starts one early, so its threads load the renderer
   * while earlier stages run, and renders the profiles before the report is ready). It is left open;
   * `workers` is then ignored. Default: a pool of this call's own, closed when it returns.
   */
  pool?: RenderPool;
  /** Which folders: the schools' profiles, the LA's report (default both). */
  folders?: readonly RenderFolder[];
  /**
   * Only these documents (a batch): the profiles of `urns`, and the fair-access report if `report`.
   * Manifests are then written as parts for `mergeRenderManifests`. Default: every document.
   */
  only?: { urns?: readonly string[]; report?: boolean };
}

export interface RenderPdfsResult {
  rendered: number;
  skipped: number;
  /** Every PDF key of the period after the run (rendered and unchanged), sorted. */
  files: string[];
  ms: number;
  /** Bytes of the PDFs rendered in this run. */
  bytes: number;
  /** Render time summed over the worker threads, ms. */
  renderMs: number;
  /** Largest V8 heap seen in any render thread, bytes. */
  maxThreadHeapBytes: number;
  /** Render threads used (0 = in the calling thread). */
  threads: number;
}

interface ManifestEntry {
  sha256: string;
  pdf: string;
  bytes: number;
  pages: number;
}

export interface RenderManifest {
  renderer: string;
  period: string;
  documents: Record<string, ManifestEntry>;
}

interface Job {
  kind: RenderKind;
  /** File name within its folder, e.g. "100001.json". */
  name: string;
  docKey: string;
  pdfKey: string;
  /** Where the previous PDF lives (same as pdfKey unless staging). */
  prevPdfKey: string;
  folder: Folder;
}

interface Folder {
  label: string;
  /** Where documents are read and PDFs and the manifest written. */
  prefix: string;
  /** Where the previous manifest and PDFs are (same as prefix unless staging). */
  prevPrefix: string;
  prev: RenderManifest | null;
  prevPdfs: Set<string>;
  next: RenderManifest;
}

const encoder = new TextEncoder();

/** Content hash of a document for a given renderer version. */
export function documentHash(json: Uint8Array, rendererVersion = RENDERER_VERSION): string {
  return createHash('sha256').update(json).update(new Uint8Array([0])).update(encoder.encode(rendererVersion)).digest('hex');
}

async function readManifest(lake: ObjectStore, key: string): Promise<RenderManifest | null> {
  try {
    const m = JSON.parse(new TextDecoder().decode(await lake.get(key))) as RenderManifest;
    return m && typeof m === 'object' && m.documents && typeof m.documents === 'object' ? m : null;
  } catch (e) {
    if (e instanceof NotFoundError || e instanceof SyntaxError) return null;
    throw e;
  }
}

function manifestJson(m: RenderManifest): string {
  const documents: Record<string, ManifestEntry> = {};
  for (const k of Object.keys(m.documents).sort()) documents[k] = m.documents[k]!;
  return `${JSON.stringify({ renderer: m.renderer, period: m.period, documents }, null, 1)}\n`;
}

export type RenderFolder = 'profiles' | 'reports';

/**
 * Render worker threads (piscina), started by `start` or on first use; with 0 threads tasks run in
 * the calling thread. One pool can serve several renderPdfs calls (see RenderPdfsOptions.pool).
 */
export class RenderPool {
  private pool: Promise<Piscina> | null = null;
  private warmUpCount: Int32Array | null = null;
  readonly threads: number;
  constructor(threads: number = availableParallelism()) {
    this.threads = Math.max(0, Math.floor(threads));
  }

  /** Whether worker threads have been started. */
  get started(): boolean {
    return this.pool !== null;
  }

  /** Made-up documents the threads have rendered so far in their warm-up (0 without one). */
  get warmUpRenders(): number {
    return this.warmUpCount ? Atomics.load(this.warmUpCount, 0) : 0;
  }

  /**
   * Start the worker threads now (each loads the renderer as it starts); no-op inline. With
   * `warmUp`, for a pool started well ahead of its documents, each thread then renders made-up
   * documents until the first real one arrives (render-thread.ts), so V8 has compiled the
   * renderer's hot code by then.
   */
  start(opts: { warmUp?: boolean } = {}): void {
    if (this.threads === 0 || this.pool) return;
    this.warmUpCount = opts.warmUp ? new Int32Array(new SharedArrayBuffer(4)) : null;
    const workerData: RenderThreadData = this.warmUpCount
      ? { warmUpDocuments: WARM_UP_DOCUMENTS, warmUpLock: new Int32Array(new SharedArrayBuffer(4)), warmUpCount: this.warmUpCount }
      : {};
    this.pool = renderWorkerEntry().then(
      (filename) =>
        new Piscina({
          filename,
          workerData,
          // By default an idle piscina thread blocks in Atomics.wait between tasks, which would
          // stop its warm-up the moment it began: a warming pool takes its tasks as messages.
          ...(opts.warmUp ? { atomics: 'disabled' as const } : {}),
          minThreads: this.threads,
          maxThreads: this.threads,
          idleTimeout: 30_000,
          concurrentTasksPerWorker: QUEUED_PER_THREAD,
          // A larger young generation: rendering allocates many short-lived objects (SVG nodes, PDF
          // operator strings), and fewer scavenges measurably speed it up.
          resourceLimits: { maxYoungGenerationSizeMb: 96 },
        }),
    );
  }

  /** Render one document: in a worker thread, or in this one when `inline` or the pool has no threads. */
  async run(task: RenderTask, inline = false): Promise<RenderResult> {
    if (this.threads === 0 || inline) {
      const { renderTask } = await import('./render-task.ts');
      return renderTask(task);
    }
    this.start();
    return (await (await this.pool!).run(task)) as RenderResult;
  }

  async close(): Promise<void> {
    const pool = await this.pool?.catch(() => null);
    this.pool = null;
    if (pool) await pool.destroy();
  }
}

export async function renderPdfs(opts: RenderPdfsOptions): Promise<RenderPdfsResult> {
  const t0 = performance.now();
  const { lake, period } = opts;
  const progress = opts.progress ?? noProgress;
  if (!/^[\w.-]+$/.test(period)) throw new Error(`invalid period ${JSON.stringify(period)}`);
  const renderer = opts.pool ?? new RenderPool(opts.workers ?? availableParallelism());
  const wanted = new Set<RenderFolder>(opts.folders ?? ['profiles', 'reports']);

  const folders: Folder[] = [];
  const jobs: Job[] = [];
  const only = opts.only;
  const onlyUrns = only?.urns ? new Set(only.urns.map((u) => `${u}.json`)) : null;
  for (const [label, kind] of [
    ['profiles', 'profile'],
    ['reports', 'fair-access'],
  ] as const) {
    if (!wanted.has(label)) continue;
    if (only && (kind === 'profile' ? !onlyUrns?.size : !only.report)) continue;
    const published = `published/${label}/${period}`;
    const prefix = opts.stagingRoot ? joinKey(opts.stagingRoot, published) : published;
    const listed = await lake.list(`${prefix}/`);
    const prevListed = opts.stagingRoot ? await lake.list(`${published}/`) : listed;
    const folder: Folder = {
      label,
      prefix,
      prevPrefix: published,
      prev: await readManifest(lake, `${published}/${RENDER_MANIFEST}`),
      prevPdfs: new Set(prevListed.filter((o) => o.key.endsWith('.pdf')).map((o) => o.key)),
      next: { renderer: RENDERER_VERSION, period, documents: {} },
    };
    folders.push(folder);
    for (const o of listed) {
      const name = o.key.slice(prefix.length + 1);
      if (name.includes('/') || !name.endsWith('.json') || name.startsWith('_') || name.startsWith('.')) continue;
      if (kind === 'fair-access' && name !== 'fair-access.json') continue;
      if (kind === 'profile' && onlyUrns && !onlyUrns.has(name)) continue;
      const pdfName = `${name.slice(0, -'.json'.length)}.pdf`;
      jobs.push({ kind, name, docKey: o.key, pdfKey: `${prefix}/${pdfName}`, prevPdfKey: `${published}/${pdfName}`, folder });
    }
  }

  let rendered = 0;
  let skipped = 0;
  let done = 0;
  let bytes = 0;
  let renderMs = 0;
  let maxHeap = 0;
  const failures: { key: string; error: string }[] = [];
  const what = wanted.size === 2 ? 'profiles and reports' : [...wanted].join(', ');
  const report = () => progress({ stage: 'pdf', item: `${what} ${period}`, done, total: jobs.length, message: `${rendered} rendered, ${skipped} unchanged` });

  // Each document is read and hashed once: an unchanged one is carried over, a changed one is handed
  // to the renderer with the bytes that were hashed, while the other documents are still being read.
  // (Hashing every document before rendering any left the render threads idle for the whole scan,
  // which alone, as an unchanged England-scale rerun, took 14.9 s beside a 309 s render, and read
  // and hashed every changed document twice.) The PDF is made from exactly the bytes whose hash the
  // manifest records.
  interface Changed {
    job: Job;
    sha256: string;
    json: Uint8Array;
  }
  const inlineBelow = opts.inlineBelow ?? INLINE_BELOW;
  // Where changed documents go: the pool's threads, this thread, or (until more than inlineBelow
  // have changed, and no pool is running yet) held back: a pool costs a few seconds to start, so a
  // handful of documents are rendered in this thread instead.
  let mode: 'pool' | 'inline' | 'undecided' = renderer.threads === 0 ? 'inline' : renderer.started ? 'pool' : 'undecided';
  const held: Changed[] = [];
  const inFlight = new Set<Promise<void>>();

  const renderOne = async ({ job, sha256, json }: Changed) => {
    const r = await renderer.run({ kind: job.kind, key: job.docKey, json }, mode === 'inline');
    await lake.put(job.pdfKey, r.pdf);
    job.folder.next.documents[job.name] = { sha256, pdf: job.pdfKey.slice(job.folder.prefix.length + 1), bytes: r.pdf.byteLength, pages: r.pages };
    rendered++;
    bytes += r.pdf.byteLength;
    renderMs += r.ms;
    maxHeap = Math.max(maxHeap, r.heapUsed);
  };
  const failed = (key: string, e: unknown): void => void failures.push({ key, error: e instanceof Error ? e.message : String(e) });
  const step = () => {
    done++;
    if (done % 100 === 0) report();
  };
  // Start a render, waiting first while enough are in flight to fill every thread's queue (two at a time in this thread).
  const submit = async (c: Changed) => {
    const limit = mode === 'pool' ? Math.max(2, renderer.threads * (QUEUED_PER_THREAD + 2)) : 2;
    while (inFlight.size >= limit) await Promise.race(inFlight);
    const p: Promise<void> = renderOne(c)
      .catch((e: unknown) => failed(c.job.docKey, e))
      .finally(() => {
        inFlight.delete(p);
        step();
      });
    inFlight.add(p);
  };
  const flushHeld = async () => {
    for (const c of held.splice(0)) await submit(c);
  };

  const check = async (job: Job) => {
    const json = await lake.get(job.docKey);
    const sha256 = documentHash(json);
    const before = job.folder.prev?.documents[job.name];
    if (before && before.sha256 === sha256 && job.folder.prevPdfs.has(job.prevPdfKey)) {
      if (job.prevPdfKey !== job.pdfKey) await lake.put(job.pdfKey, await lake.get(job.prevPdfKey));
      job.folder.next.documents[job.name] = { ...before, pdf: job.pdfKey.slice(job.folder.prefix.length + 1) };
      skipped++;
      step();
      return;
    }
    if (mode !== 'undecided') return submit({ job, sha256, json });
    held.push({ job, sha256, json });
    if (held.length > inlineBelow) {
      mode = 'pool';
      renderer.start();
      await flushHeld();
    }
  };

  // The fair-access report takes as long as twenty or more schools: read first, it is among the
  // first rendered, not left rendering in one thread at the end while the others have nothing to do.
  const order = [...jobs].sort((a, b) => Number(b.kind === 'fair-access') - Number(a.kind === 'fair-access'));
  try {
    report();
    let next = 0;
    const lane = async () => {
      while (next < order.length) {
        const job = order[next++]!;
        try {
          await check(job);
        } catch (e) {
          failed(job.docKey, e);
          step();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, Math.max(1, order.length)) }, lane));
    if (mode === 'undecided') mode = 'inline';
    await flushHeld();
    while (inFlight.size) await Promise.all(inFlight);
    report();
  } finally {
    if (!opts.pool) await renderer.close();
  }
  const inline = mode !== 'pool';

  // Manifests record what was rendered (or carried over); failed documents are left out, so they
  // are retried next time. Orphan PDFs (document gone) are removed when rendering in place.
  const files: string[] = [];
  for (const f of folders) {
    const names = new Set(Object.values(f.next.documents).map((e) => `${f.prefix}/${e.pdf}`));
    files.push(...names);
    if (only) {
      // Named after the batch's selection, so a retried batch replaces its own part.
      const selected = jobs.filter((j) => j.folder === f).map((j) => j.name).sort();
      const part = `${PART_PREFIX}${createHash('sha256').update(selected.join('\n')).digest('hex').slice(0, 16)}.json`;
      if (Object.keys(f.next.documents).length) await lake.put(`${f.prefix}/${part}`, manifestJson(f.next));
    } else if (Object.keys(f.next.documents).length || f.prev) await lake.put(`${f.prefix}/${RENDER_MANIFEST}`, manifestJson(f.next));
    if (!opts.stagingRoot && !only) {
      const docs = new Set(jobs.filter((j) => j.folder === f).map((j) => j.pdfKey));
      for (const pdf of f.prevPdfs) if (!docs.has(pdf)) await lake.deletePrefix(pdf);
    }
  }
  if (failures.length) {
    const first = failures.slice(0, 3).map((f) => `${f.key}: ${f.error}`);
    throw new Error(`${failures.length} of ${jobs.length} PDFs failed to render (the others were written): ${first.join('; ')}`);
  }
  files.sort();
  return { rendered, skipped, files, ms: performance.now() - t0, bytes, renderMs, maxThreadHeapBytes: maxHeap, threads: inline ? 0 : renderer.threads };
}

/**
 * Combine the manifest parts that batches (`only`) wrote in a period's folders into each folder's
 * `_render-manifest.json`, then delete the parts. With `stagingRoot`, the staged folders. Returns
 * the number of documents in the merged manifests.
 */
export async function mergeRenderManifests(opts: { lake: ObjectStore; period: string; stagingRoot?: string }): Promise<number> {
  const { lake, period } = opts;
  if (!/^[\w.-]+$/.test(period)) throw new Error(`invalid period ${JSON.stringify(period)}`);
  let documents = 0;
  for (const label of ['profiles', 'reports']) {
    const published = `published/${label}/${period}`;
    const prefix = opts.stagingRoot ? joinKey(opts.stagingRoot, published) : published;
    const parts = (await lake.list(`${prefix}/`)).map((o) => o.key).filter((k) => k.startsWith(`${prefix}/${PART_PREFIX}`) && !k.slice(prefix.length + 1).includes('/'));
    if (parts.length === 0) continue;
    const merged: RenderManifest = (await readManifest(lake, `${prefix}/${RENDER_MANIFEST}`)) ?? { renderer: RENDERER_VERSION, period, documents: {} };
    for (const key of parts) {
      const part = await readManifest(lake, key);
      if (!part) throw new Error(`${key}: not a render manifest`);
      Object.assign(merged.documents, part.documents);
    }
    merged.renderer = RENDERER_VERSION;
    await lake.put(`${prefix}/${RENDER_MANIFEST}`, manifestJson(merged));
    for (const key of parts) await lake.deletePrefix(key);
    documents += Object.keys(merged.documents).length;
  }
  return documents;
}
