/**
 * One benchmark run in its own process (so peak RSS is this run's): the local pipeline over a
 * prepared input directory. Prints the manifest's stage timings and the process peak RSS as JSON.
 * Usage: tsx bench/pipeline-child.ts <input> <out> [--warm]
 */
import { resolve } from 'node:path';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { runPipeline } from '../functions/pipeline/run.ts';

const [input, out, mode] = process.argv.slice(2);
const t0 = performance.now();
const sql = await DuckDbEngine.create({ lakeRoot: resolve(out) });
try {
  const m = await runPipeline({
    raw: new LocalObjectStore(resolve(input)),
    lake: new LocalObjectStore(resolve(out)),
    sql,
    pseudonymKey: Buffer.alloc(32, 1),
    skipUnchanged: mode === '--warm',
    skipPdfs: true,
    progress: (e) => {
      if (e.message || e.done === e.total) process.stderr.write(`  ${e.stage} ${e.item ?? ''} ${e.message ?? ''}\n`);
    },
  });
  const rows = Object.fromEntries(Object.values(m.datasets).map((d) => [d.dataset, { read: d.read, skipped: d.skipped, ms: d.ms ?? 0 }]));
  process.stdout.write(
    JSON.stringify({ wallMs: Math.round(performance.now() - t0), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), stages: m.stages, rows }) + '\n',
  );
} finally {
  await sql.close();
}
