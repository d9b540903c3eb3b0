/** The run manifest: what went in (with hashes), what came out, row accounting and timings. */
import type { ClassificationReport, DatasetReport, LaReport } from '../ingest/ingest-stage.ts';
import type { ClassifyReport } from '../classify/classify-stage.ts';
import type { AnalysisReport } from '../profiles/analysis-stage.ts';
import type { AdmissionsReport } from '../admissions/admissions-stage.ts';

export interface StageTiming {
  stage: string;
  ms: number;
  /** Peak resident set size of the process so far, MiB. */
  peakRssMiB: number;
}

export interface Manifest {
  runId: string;
  status: 'succeeded' | 'failed';
  error?: string;
  startedAt: string;
  finishedAt: string;
  codeVersion: string;
  engine: string;
  period: string;
  inputs: { dataset: string; key: string; sha256: string; bytes: number }[];
  datasets: Record<string, DatasetReport>;
  /** The postcode lookup's layout and release, the classification edition and the IMD edition of its ranks. */
  classification: { layout?: string; vintage?: string } & Partial<ClassificationReport>;
  /** The LA whose schools are profiled: --la-code, or inferred from the schools pupils attend. */
  la?: LaReport;
  matchStatus: ClassifyReport[];
  analysis?: AnalysisReport;
  /** Admissions analysed (periods, applications) and the fair-access reports given their section and maps. */
  admissions?: AdmissionsReport;
  /** PDFs per period: rendered this run, skipped as unchanged (copied from the last run). */
  pdfs?: { period: string; rendered: number; skipped: number; files: number; ms: number }[];
  published: string[];
  stages: StageTiming[];
}

export function peakRssMiB(): number {
  // maxRSS is in KiB on Linux
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Runs a stage, recording wall time and peak RSS. */
export async function timed<T>(stages: StageTiming[], stage: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    stages.push({ stage, ms: Math.round(performance.now() - t0), peakRssMiB: peakRssMiB() });
  }
}
