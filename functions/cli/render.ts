/** Terminal rendering for the CLI: progress on stderr, the end-of-run summary on stdout. */
import type { Manifest } from '../pipeline/manifest.ts';
import type { ProgressEvent, ProgressSink } from '../commons/progress.ts';

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

export interface ProgressRendererOptions {
  /** Whether the stream is a terminal (default: stream.isTTY). */
  tty?: boolean;
  /** Outside a terminal, the least time between two lines of the same stage (default 10 s). */
  logIntervalMs?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/**
 * Progress to stderr. On a terminal, one line rewritten in place. Otherwise (a log file, CI, a
 * scheduler) at most one line per stage per `logIntervalMs`: the first event of a stage always,
 * then the latest state once the interval has passed, so a 600-PDF stage writes a few lines, not 600.
 */
export function progressRenderer(stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr, opts: ProgressRendererOptions = {}): ProgressSink {
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const interval = opts.logIntervalMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const lastLine = new Map<string, number>();
  const t0 = now();
  return (e: ProgressEvent) => {
    const t = now();
    const secs = ((t - t0) / 1000).toFixed(1).padStart(6);
    let text = `${secs}s  ${e.stage.padEnd(8)} ${e.item ?? ''}`;
    if (e.done !== undefined && e.total) {
      const pct = Math.min(100, Math.floor((100 * e.done) / e.total));
      text += `  ${String(pct).padStart(3)}%  ${e.unit === 'bytes' ? `${mib(e.done)} of ${mib(e.total)}` : `${e.done} of ${e.total}`}`;
    }
    if (e.message) text += `  ${e.message}`;
    if (tty) {
      stream.write(`\r\x1b[2K${text}`);
      if (e.stage === 'done') stream.write('\n');
      return;
    }
    const last = lastLine.get(e.stage);
    if (last !== undefined && t - last < interval && e.stage !== 'done') return;
    lastLine.set(e.stage, t);
    stream.write(`${text}\n`);
  };
}

/**
 * `located` maps a logical published folder to where it is on disk (the run the publication names
 * for it), or null when nothing was published there (no contacts: no fair-access report).
 */
export function summaryText(m: Manifest, outDir: string, located: (key: string) => string | null = (k) => k): string {
  const lines: string[] = [];
  const secs = (new Date(m.finishedAt).getTime() - new Date(m.startedAt).getTime()) / 1000;
  lines.push(`catchment run ${m.runId}: ${m.status} in ${secs.toFixed(1)} s (engine ${m.engine})`);
  lines.push('');
  lines.push('  dataset          read   accepted  quarantined');
  for (const d of Object.values(m.datasets)) {
    const note = d.skipped ? '  (unchanged, skipped)' : '';
    lines.push(`  ${d.dataset.padEnd(14)} ${String(d.read).padStart(8)} ${String(d.accepted).padStart(10)} ${String(d.quarantined).padStart(12)}${note}`);
    const reasons = Object.entries(d.quarantinedByReason).sort((a, b) => b[1] - a[1]);
    if (reasons.length) lines.push(`      quarantined: ${reasons.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  }
  lines.push(...inputLines(m));
  lines.push('');
  for (const r of m.matchStatus) {
    const p = r.pupils;
    const rate = p.total ? (100 * (p.exact + p.terminated)) / p.total : 0;
    const imputed = p.total ? (100 * p.sector) / p.total : 0;
    lines.push(
      `  ${r.period}: ${p.total} pupils, ${rate.toFixed(1)}% matched to a unit postcode (${p.terminated} terminated), ` +
        `${imputed.toFixed(1)}% sector-imputed, ${p.unmatched} unmatched, ${p.invalid} invalid; ${r.contacts.total} contacts`,
    );
  }
  lines.push('');
  lines.push(`  stage timings: ${m.stages.map((s) => `${s.stage} ${(s.ms / 1000).toFixed(1)} s`).join(', ')}; peak RSS ${Math.max(0, ...m.stages.map((s) => s.peakRssMiB))} MiB`);
  lines.push('');
  lines.push(`  outputs under ${outDir}/`);
  lines.push(`    runs/${m.runId}/published/   this run's outputs, published by published/_publication.json`);
  lines.push(`    views.sql    ${m.published.length} table partitions and document folders published: duckdb -init ${outDir}/views.sql`);
  for (const p of m.pdfs ?? []) {
    const profiles = located(`published/profiles/${p.period}`);
    const reports = located(`published/reports/${p.period}`);
    if (profiles) lines.push(`    ${profiles}/   ${p.files} PDFs (${p.rendered} rendered, ${p.skipped} unchanged) and their JSON documents`);
    if (reports) lines.push(`    ${reports}/    fair-access.pdf for the LA`);
  }
  lines.push(`    curated/     validated Parquet (pupil-level, pseudonymised)`);
  lines.push(`    quarantine/  rejected rows with file, line, column and reason`);
  lines.push(`    manifests/   ${m.runId}.json and latest.json`);
  return lines.join('\n');
}

const LAYOUT_NAMES: Record<string, string> = { nspl: 'NSPL', 'oac21-oa': 'OAC 2021 by OA', generic: 'postcode,segment', gias: 'GIAS extract', schools: 'schools list', census: 'census extract', contacts: 'contact log' };

/** What each input file was recognised as, the editions in use, the LA, and the files' warnings. */
export function inputLines(m: Manifest): string[] {
  const lines: string[] = ['', '  inputs recognised'];
  const warnings = new Map<string, string[]>();
  for (const d of Object.values(m.datasets)) {
    for (const f of d.files) {
      let layout = f.layout ? (LAYOUT_NAMES[f.layout] ?? f.layout) : 'lookup table';
      if (f.layout === 'census') layout += f.columns?.urn ? ', schools by URN' : ', schools by LAESTAB';
      // The header cells that did not match a contract column by name: the ones a layout renames.
      const renamed = f.columns ? Object.entries(f.columns).filter(([c, src]) => c !== src.toLowerCase()).map(([, src]) => src) : [];
      const encoding = f.encoding === 'windows-1252' ? ', Windows-1252' : '';
      lines.push(`    ${f.key}: ${layout}${encoding}${renamed.length ? ` (${renamed.join(', ')})` : ''}`);
      for (const w of f.warnings) warnings.set(w, [...(warnings.get(w) ?? []), f.key]);
    }
  }
  const c = m.classification;
  if (c.vintage) {
    const via = c.via === 'oa-file' ? `from ${c.from}, joined through oa21` : c.from ? `from ${c.from}` : c.layout;
    lines.push(`  classification: ${c.name ?? c.layout} ${via}, postcode lookup ${c.vintage}`);
    lines.push(`  deprivation: ${c.imdName ? `${c.imdName} (${c.imdColumn}), English postcodes only` : 'no IMD ranks in the lookup'}`);
  }
  if (m.la) {
    const total = m.la.byLa.reduce((a, x) => a + x.pupils, 0);
    const share = total ? ` (${((100 * m.la.pupils) / total).toFixed(1)}% of pupils attend its schools)` : '';
    lines.push(`  LA: ${m.la.code ?? 'not known (the schools file has no LA numbers)'}${m.la.source === 'option' ? ' from --la-code' : m.la.source === 'inferred' ? ', inferred from the schools pupils attend' : ''}${share}`);
  }
  if (warnings.size) {
    lines.push('  warnings');
    for (const [w, keys] of warnings) lines.push(`    ${keys.join(', ')}: ${w}`);
  }
  return lines;
}
