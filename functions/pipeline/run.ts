/**
 * The nightly pipeline over two ports: ingest -> classify (each period) -> profiles and fair access -> PDFs -> publish. Used by the
 * CLI (local directory + DuckDB) and mirrored by the Step Functions tasks on AWS.
 * Each run writes its published outputs under runs/<runId>/ and publishes them in the final step
 * by flipping one pointer (functions/lake/publication.ts), so a failed or killed run leaves what
 * readers see exactly as it was, and a rerun starts a new run.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { classify, classifyPupilItems, curatedPeriods, type ClassifyReport } from '../classify/classify-stage.ts';
import { ingest, type IngestOptions } from '../ingest/ingest-stage.ts';
import { periodFromName } from '../ingest/file-names.ts';
import { analyse, analysisSettings, DEFAULT_ANALYSIS, fairAccessItems, profileItems, type AnalysisConfig } from '../profiles/analysis-stage.ts';
import { Fingerprints } from '../lake/fingerprints.ts';
import { bothSettled } from '../commons/settled.ts';
import { admissionsItems, analyseAdmissions } from '../admissions/admissions-stage.ts';
import { renderPdfs, RenderPool, type RenderPdfsResult } from '../pdf/render-stage.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { SqlEngine } from '../ports/sql-engine.ts';
import { peakRssMiB, timed, type Manifest, type StageTiming } from './manifest.ts';
import { currentPeriod } from '../domain/periods.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { documentPeriods as latestPeriods, keepLatestDocuments, publish } from '../lake/publish.ts';
import { stagingRoot } from '../lake/tables.ts';
import { acquireLakeLock, releaseLakeLock } from '../lake/lock.ts';
import { duckdbViewsSql, isPublished, PublishedView, runRoot, sweepRuns } from '../lake/publication.ts';
import { PUBLISHED_TABLES } from '../../schemas/published.ts';
import { tablePrefix } from '../../schemas/columns.ts';
import { CODE_VERSION } from '../commons/version.ts';

export interface RunOptions {
  raw: ObjectStore;
  lake: ObjectStore;
  sql: SqlEngine;
  pseudonymKey: Uint8Array;
  /** Default period for inputs whose file names carry none; default: the current academic year. */
  period?: string;
  runId?: string;
  progress?: ProgressSink;
  /** Skip ingesting datasets whose inputs are unchanged (the warm nightly run). */
  skipUnchanged?: boolean;
  /** Profiles and fair-access settings (LA name, base, suppression threshold, fair-access years). */
  analysis?: Partial<AnalysisConfig>;
  /** PDF render worker threads (default: one per core; 0 renders in the main thread). */
  pdfWorkers?: number;
  /** A render pool the caller made (and closes), e.g. started while it wrote the inputs; pdfWorkers is then unused. */
  pool?: RenderPool;
  /** Skip rendering PDFs (the spine benchmark; PDFs have their own, npm run bench:pdf). */
  skipPdfs?: boolean;
  /** How inputs are read: OAC edition, the LA's number, the schools file's cluster column. */
  inputs?: Pick<IngestOptions, 'classification' | 'laCode' | 'clusterColumn'>;
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

export { currentPeriod } from '../domain/periods.ts';
export { publish } from '../lake/publish.ts';

/** Bytes of the pupils input files. */
async function pupilBytes(raw: ObjectStore): Promise<number> {
  return (await raw.list('pupils/')).reduce((n, o) => n + o.size, 0);
}

/** Default period: the latest named in a pupils file name (pupils_2025-26.csv), else the current academic year. */
export async function defaultPeriod(raw: ObjectStore): Promise<string> {
  const named = (await raw.list('pupils/')).map((o) => periodFromName(o.key)).filter((p): p is string => p !== null);
  return named.sort().pop() ?? currentPeriod();
}

/**
 * Pupils files at least this large (about ten schools' pupils) make a cold run start its PDF
 * render threads with the run: each thread takes seconds of CPU to load the renderer, which a
 * handful of documents (rendered in the calling thread) would not repay.
 */
export const EARLY_POOL_PUPIL_BYTES = 1 << 20;

/**
 * Pupils files up to this size (a county's: Kent's sample is about 40 MiB) also have the early
 * pool warm up its threads on made-up documents (render-thread.ts). At national scale the warm-up
 * would gain a rounding error of the run time, while the warmed threads' heaps (about 170 MiB more
 * on the Kent sample's peak) would sit through the analysis's memory peak.
 */
export const WARM_UP_PUPIL_BYTES = 256 << 20;

/**
 * Whether the render pool the CLI starts before it writes the synthetic sample `scale` (so before
 * any pupils file exists to measure) warms up: each county's sample is well under
 * WARM_UP_PUPIL_BYTES (Kent's about 40 MiB), England's well over.
 */
export function sampleWarmsUp(scale: string): boolean {
  return scale !== 'england';
}

/** Both renders of a period (profiles, then the report) as one result. */
function combined(a: RenderPdfsResult, b: RenderPdfsResult, ms: number): RenderPdfsResult {
  return {
    rendered: a.rendered + b.rendered,
    skipped: a.skipped + b.skipped,
    files: [...a.files, ...b.files].sort(),
    ms,
    bytes: a.bytes + b.bytes,
    renderMs: a.renderMs + b.renderMs,
    maxThreadHeapBytes: Math.max(a.maxThreadHeapBytes, b.maxThreadHeapBytes),
    threads: Math.max(a.threads, b.threads),
  };
}

export class RunError extends Error {
  constructor(
    message: string,
    public readonly manifest: Manifest,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'RunError';
  }
}

export async function runPipeline(opts: RunOptions): Promise<Manifest> {
  const runId = opts.runId ?? newRunId();
  const progress = opts.progress ?? noProgress;
  const stages: StageTiming[] = [];
  const manifest: Manifest = {
    runId,
    status: 'failed',
    startedAt: new Date().toISOString(),
    finishedAt: '',
    codeVersion: CODE_VERSION,
    engine: opts.sql.name,
    period: opts.period ?? (await defaultPeriod(opts.raw)),
    inputs: [],
    datasets: {},
    classification: {},
    matchStatus: [],
    published: [],
    stages,
  };
  let failure: unknown;
  let locked = false;
  const incremental = Boolean(opts.skipUnchanged);
  // One render pool for the run. A cold run of a county starts its threads now, so they load (and
  // warm up) the renderer while ingest keeps one core busy; the latest period's profile PDFs are then rendered
  // while the other periods, fair access and admissions are analysed (see analyse's onProfileDocuments).
  const pool = opts.pool ?? new RenderPool(opts.pdfWorkers ?? availableParallelism());
  const early = new Map<string, { started: number; result: Promise<RenderPdfsResult> }>();
  try {
    // One run or ingest at a time on a lake (a killed holder's lock is taken over: its process is gone).
    await acquireLakeLock(opts.lake, runId, 'run', { ttlMs: 12 * 3600_000 });
    locked = true;
    const pupilsBytes = opts.skipPdfs || incremental ? 0 : await pupilBytes(opts.raw);
    if (pupilsBytes >= EARLY_POOL_PUPIL_BYTES) pool.start({ warmUp: pupilsBytes <= WARM_UP_PUPIL_BYTES });
    manifest.datasets = await timed(stages, 'ingest', () =>
      ingest({
        raw: opts.raw,
        lake: opts.lake,
        runId,
        period: manifest.period,
        pseudonymKey: opts.pseudonymKey,
        progress,
        skipUnchanged: opts.skipUnchanged,
        ...opts.inputs,
      }),
    );
    for (const d of Object.values(manifest.datasets)) {
      for (const f of d.files) manifest.inputs.push({ dataset: d.dataset, key: f.key, sha256: f.sha256, bytes: f.bytes });
    }
    const cls = manifest.datasets.classification;
    manifest.classification = { layout: cls?.layout, vintage: cls?.vintage, ...cls?.classification };
    if (manifest.datasets.pupils?.la) manifest.la = manifest.datasets.pupils.la;

    // The warm nightly run is incremental: a stage whose inputs (file bytes, settings, code) are
    // identical to those of the published run that made its outputs is skipped and says so, and
    // its published items keep pointing at that run (docs/publishing.md).
    const fingerprints = await Fingerprints.of(opts.lake, analysisSettings({ ...DEFAULT_ANALYSIS, ...opts.analysis }));
    const reports: ClassifyReport[] = await timed(stages, 'classify', async () => {
      const out: ClassifyReport[] = [];
      for (const period of await curatedPeriods(opts.sql)) {
        const fp = { pupils: fingerprints.classifyPupils(period), contacts: fingerprints.classifyContacts(period) };
        out.push(await classify({ lake: opts.lake, sql: opts.sql, runId, period, progress, fingerprints: fp, incremental }));
      }
      return out;
    });
    manifest.matchStatus = reports;

    const profiled = reports.filter((r) => r.pupils.total > 0).map((r) => r.period);
    manifest.analysis = await timed(stages, 'profiles', async () => {
      const onProfileDocuments = (period: string) => {
        if (opts.skipPdfs || !latestPeriods(profiled).includes(period)) return;
        const result = renderPdfs({ lake: new PublishedView(opts.lake), period, stagingRoot: runRoot(runId), progress, pool, folders: ['profiles'] });
        result.catch(() => undefined); // awaited in the pdfs stage (or settled in finally)
        early.set(period, { started: performance.now(), result });
      };
      return analyse({ lake: opts.lake, sql: opts.sql, runId, periods: profiled, config: opts.analysis, progress, incremental, onProfileDocuments });
    });
    // Admissions go after fair access: their outcomes, and their section and the maps' geography in
    // the fair-access report the trend just wrote (timed apart: profiles and fair access are a figure of their own).
    manifest.admissions = await timed(stages, 'admissions', () => analyseAdmissions({ lake: opts.lake, sql: opts.sql, runId, periods: profiled, progress, incremental, fingerprints }));
    // What skipped stages would have written stays as published.
    const leave = [
      ...reports.filter((r) => r.skipped?.pupils).flatMap((r) => classifyPupilItems(r.period)),
      ...manifest.analysis.stages
        .filter((st) => st.skipped)
        .flatMap((st) => (st.stage === 'profiles' ? [...profileItems(st.period), `published/profiles/${st.period}`] : [...fairAccessItems(st.period), `published/reports/${st.period}`])),
      ...(manifest.admissions?.skipped ? profiled.flatMap(admissionsItems) : []),
    ];

    // Documents and PDFs are published for the latest period only (see keepLatestDocuments).
    const documentPeriods = await keepLatestDocuments(opts.lake, runId, profiled, { none: opts.skipPdfs });
    manifest.pdfs = await timed(stages, 'pdfs', async () => {
      const out: Manifest['pdfs'] = [];
      for (const period of documentPeriods) {
        // The previous PDFs are read through the pointer (skip unchanged); new ones go into the run.
        const t0 = performance.now();
        const profiles = early.get(period);
        const rest = renderPdfs({ lake: new PublishedView(opts.lake), period, stagingRoot: runRoot(runId), progress, pool, folders: profiles ? ['reports'] : undefined });
        let r: RenderPdfsResult;
        if (profiles) {
          // Both settle before a failure is thrown (the pool is closed after this).
          const [a, b] = await bothSettled(profiles.result, rest, [`profile PDFs ${period}`, `report PDFs ${period}`]);
          r = combined(a, b, performance.now() - profiles.started);
        } else r = { ...(await rest), ms: performance.now() - t0 };
        out.push({ period, rendered: r.rendered, skipped: r.skipped, files: r.files.length, ms: r.ms });
      }
      return out;
    });

    const published = await timed(stages, 'publish', () => publish(opts.lake, runId, reports.map((r) => r.period), progress, leave));
    manifest.published = published.items;
    manifest.status = 'succeeded';
    await opts.lake.put(
      'views.sql',
      await duckdbViewsSql(opts.lake, published.publication, PUBLISHED_TABLES.map((t) => ({ name: t.name, prefix: tablePrefix(t) }))),
    );
    // Superseded runs go once neither the current nor the previous publication names them.
    await sweepRuns(opts.lake, [runId]).catch(() => undefined);
  } catch (e) {
    manifest.error = e instanceof Error ? e.message : String(e);
    failure = e;
  } finally {
    // Renders started during the analysis finish (or fail) before anything is cleaned up.
    await Promise.allSettled([...early.values()].map((e) => e.result));
    if (!opts.pool) await pool.close();
    manifest.finishedAt = new Date().toISOString();
    await opts.lake.deletePrefix(stagingRoot(runId) + '/').catch(() => undefined);
    if (locked) await releaseLakeLock(opts.lake, runId).catch(() => undefined);
    // A run that failed before publishing leaves nothing any reader can see; drop its outputs now.
    if (manifest.status === 'failed' && !(await isPublished(opts.lake, runId).catch(() => true))) {
      await opts.lake.deletePrefix(runRoot(runId) + '/').catch(() => undefined);
    }
  }
  const body = JSON.stringify(manifest, null, 2);
  await opts.lake.put(`manifests/${runId}.json`, body);
  if (manifest.status === 'succeeded') await opts.lake.put('manifests/latest.json', body);
  if (manifest.status === 'failed') throw new RunError(manifest.error ?? 'run failed', manifest, failure);
  progress({ stage: 'done', message: `peak RSS ${peakRssMiB()} MiB` });
  return manifest;
}
