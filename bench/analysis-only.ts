/**
 * The "profiles and fair access" figure of issue 13: re-runs only the analysis (profiles, fair
 * access, trend; then admissions, timed apart) over a lake a run has already filled, under a fresh
 * run id, and deletes that run's folder after (nothing is published). Prints one JSON line:
 * analyseMs, admissionsMs (null with --no-admissions), peakRssMiB.
 *
 *   node --import tsx bench/analysis-only.ts <lake> [--document-threads N] [--sql-times] [--cpu-profile file] [--keep] [--no-admissions]
 *
 * The England lake is the `out` of a cold run over `npm run bench`'s inputs (bench/.data).
 * --sql-times prints each engine call over 40 ms to stderr. --keep leaves the run's folder (its path
 * to stderr), to compare its outputs with another build's byte for byte. --no-admissions leaves the
 * admissions out (quicker A/B runs of the profiles figure).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { analyseAdmissions } from '../functions/admissions/admissions-stage.ts';
import { attachTables } from '../functions/lake/tables.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { analyse } from '../functions/profiles/analysis-stage.ts';
import { pupils } from '../schemas/curated.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const lakeRoot = resolve(process.argv[2] ?? '');
if (!process.argv[2]) throw new Error('usage: bench/analysis-only.ts <lake> [--document-threads N] [--sql-times] [--cpu-profile file] [--keep] [--no-admissions]');
const profileFile = arg('--cpu-profile');
const documentThreads = arg('--document-threads') === undefined ? undefined : Number(arg('--document-threads'));

if (process.argv.includes('--sql-times')) {
  const proto = DuckDbEngine.prototype as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const m of ['query', 'queryLarge', 'unload', 'run']) {
    const f = proto[m]!;
    proto[m] = async function (this: unknown, ...a: unknown[]) {
      const t = performance.now();
      try {
        return await f.apply(this, a);
      } finally {
        const ms = performance.now() - t;
        const text = typeof a[0] === 'string' ? a[0] : String((a[0] as { name?: string })?.name);
        if (ms > 40) process.stderr.write(`SQL ${m} ${ms.toFixed(0)} ms ${text.replace(/\s+/g, ' ').slice(0, 110)}\n`);
      }
    };
  }
}

const sql = await DuckDbEngine.create({ lakeRoot });
const lake = new LocalObjectStore(lakeRoot);
const runId = `bench-${Date.now()}-${process.pid}`;
const session = profileFile ? new Session() : null;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
try {
  const t0 = performance.now();
  await attachTables(sql, [pupils]);
  const periods = (await sql.query('SELECT DISTINCT period FROM pupils ORDER BY period')).toArray().map((r) => String(r.period));
  await analyse({
    lake,
    sql,
    runId,
    periods,
    incremental: false,
    // Not spread: a property analyse() does not take must fail the typecheck (it once did not reach the stage).
    documentThreads,
    progress: (e) => {
      if (e.message) process.stderr.write(`  ${((performance.now() - t0) / 1000).toFixed(1)} s ${e.stage} ${e.item ?? ''} ${e.message}\n`);
    },
  });
  const t1 = performance.now();
  if (!process.argv.includes('--no-admissions')) await analyseAdmissions({ lake, sql, runId, periods });
  const t2 = performance.now();
  if (session) writeFileSync(profileFile!, JSON.stringify((await session.post('Profiler.stop')).profile));
  console.log(JSON.stringify({ analyseMs: Math.round(t1 - t0), admissionsMs: process.argv.includes('--no-admissions') ? null : Math.round(t2 - t1), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
} finally {
  if (process.argv.includes('--keep')) process.stderr.write(`kept ${lakeRoot}/runs/${runId}\n`);
  else await lake.deletePrefix(`runs/${runId}`).catch(() => {});
  await lake.deletePrefix(`staging/${runId}`).catch(() => {});
  await sql.close();
}
