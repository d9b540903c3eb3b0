/**
 * PDF render benchmark (run by hand: `npx tsx bench/pdf.ts [--schools 21500] [--workers N] [--keep] [--no-maps]`).
 *
 * Writes England-scale generated profile documents (21,500 schools, LA by LA, each with a map of where
 * its pupils live, as the pipeline's documents have; `--no-maps` for documents without, the fixture
 * measured before 2026-11-30, plus a fair-access report) into a temporary LocalObjectStore, then:
 *   1. renders every PDF with the worker pool and prints PDFs/s, CPU time and peak RSS;
 *   2. runs again with nothing changed (every PDF skipped);
 *   3. changes one school's document and runs again (one PDF rendered).
 * Peak RSS is process.resourceUsage().maxRSS of this process, which includes the worker threads
 * (threads share the process); the largest V8 heap seen in a worker is printed beside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPdfs, type RenderPdfsResult } from '../functions/pdf/render-stage.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { makeFairAccessDocument, profileFixtureBatches } from '../test/helpers/documents.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const SCHOOLS = Number(opt('schools', '21500'));
const WORKERS = Number(opt('workers', String(availableParallelism())));
const KEEP = args.includes('--keep');
const PERIOD = '2025-26';

const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

function line(label: string, r: RenderPdfsResult, cpu: NodeJS.CpuUsage): void {
  const s = r.ms / 1000;
  const rate = r.rendered / s;
  process.stdout.write(
    `${label.padEnd(22)} ${String(r.rendered).padStart(6)} rendered ${String(r.skipped).padStart(6)} skipped in ${s.toFixed(1).padStart(6)} s` +
      (r.rendered ? `  ${rate.toFixed(1)} PDFs/s  (${((cpuSeconds(cpu) / Math.max(1, r.rendered)) * 1000).toFixed(0)} ms CPU per PDF, all threads)` : '') +
      '\n',
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'catchment-bench-pdf-'));
  const lake = new LocalObjectStore(dir);
  process.stdout.write(`PDF bench: ${SCHOOLS} schools, ${WORKERS} worker threads, ${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(1)}; lake ${dir}\n`);
  try {
    const t0 = performance.now();
    let docBytes = 0;
    let firstKey = '';
    for (const batch of profileFixtureBatches(SCHOOLS, { maps: !args.includes("--no-maps") })) {
      await Promise.all(
        batch.map(({ doc }) => {
          const body = JSON.stringify(doc, null, 2);
          docBytes += body.length;
          const key = `published/profiles/${PERIOD}/${doc.school.urn}.json`;
          firstKey ||= key;
          return lake.put(key, body);
        }),
      );
    }
    await lake.put(`published/reports/${PERIOD}/fair-access.json`, JSON.stringify(makeFairAccessDocument(), null, 2));
    process.stdout.write(`generated ${SCHOOLS} profile documents (${mib(docBytes)}) and the fair-access document in ${((performance.now() - t0) / 1000).toFixed(1)} s\n\n`);

    const progress = (e: { done?: number; total?: number }) => {
      if (process.stderr.isTTY && e.done !== undefined) process.stderr.write(`\r  ${e.done} of ${e.total}`);
    };
    let c = process.cpuUsage();
    const cold = await renderPdfs({ lake, period: PERIOD, workers: WORKERS, progress });
    const coldCpu = process.cpuUsage(c);
    if (process.stderr.isTTY) process.stderr.write('\r');
    line('1. all documents', cold, coldCpu);
    const pdfs = (await lake.list(`published/profiles/${PERIOD}/`)).filter((o) => o.key.endsWith('.pdf'));
    const sizes = pdfs.map((o) => o.size).sort((a, b) => a - b);
    const fa = (await lake.list(`published/reports/${PERIOD}/`)).find((o) => o.key.endsWith('.pdf'));
    process.stdout.write(
      `   school PDFs: ${pdfs.length}, median ${(sizes[sizes.length >> 1]! / 1024).toFixed(0)} KiB, min ${(sizes[0]! / 1024).toFixed(0)} KiB, max ${(sizes[sizes.length - 1]! / 1024).toFixed(0)} KiB, total ${mib(sizes.reduce((a, b) => a + b, 0))}; fair-access PDF ${((fa?.size ?? 0) / 1024).toFixed(0)} KiB\n` +
        `   render time in workers ${(cold.renderMs / 1000).toFixed(0)} s (${(cold.renderMs / Math.max(1, cold.rendered)).toFixed(0)} ms per PDF per thread); largest worker heap ${mib(cold.maxThreadHeapBytes)}\n` +
        `   CPU-bound capacity: ${availableParallelism()} cores / ${((cpuSeconds(coldCpu) / Math.max(1, cold.rendered)) * 1000).toFixed(0)} ms CPU per PDF = ${(availableParallelism() / (cpuSeconds(coldCpu) / Math.max(1, cold.rendered))).toFixed(1)} PDFs/s if the cores were not shared (load average now ${loadavg()[0]!.toFixed(1)})\n`,
    );

    c = process.cpuUsage();
    const warm = await renderPdfs({ lake, period: PERIOD, workers: WORKERS });
    line('2. unchanged rerun', warm, process.cpuUsage(c));

    const doc = JSON.parse(new TextDecoder().decode(await lake.get(firstKey)));
    doc.school.name = `${doc.school.name} (renamed)`;
    await lake.put(firstKey, JSON.stringify(doc, null, 2));
    c = process.cpuUsage();
    const one = await renderPdfs({ lake, period: PERIOD, workers: WORKERS });
    line('3. one school changed', one, process.cpuUsage(c));

    process.stdout.write(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (main process including its worker threads)\n`);
    if (warm.rendered !== 0 || one.rendered !== 1) throw new Error('skip-unchanged check failed');
  } finally {
    if (KEEP) process.stdout.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
