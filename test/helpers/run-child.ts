/**
 * A local pipeline run in its own process, for the crash tests: `tsx run-child.ts <input> <out>`.
 * Every progress event is printed as one JSON line on stdout, so the parent can SIGKILL the
 * process at a chosen point of the run. PDFs render in this thread (deterministic and quick).
 */
import { DuckDbEngine } from '../../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../../functions/ports/local-store.ts';
import { runPipeline } from '../../functions/pipeline/run.ts';
import { TEST_KEY } from './fixtures.ts';

const [input, out] = process.argv.slice(2);
const sql = await DuckDbEngine.create({ lakeRoot: out!, threads: 1 });
try {
  await runPipeline({
    raw: new LocalObjectStore(input!),
    lake: new LocalObjectStore(out!),
    sql,
    pseudonymKey: TEST_KEY,
    period: '2025-26',
    pdfWorkers: 0,
    progress: (e) => process.stdout.write(`${JSON.stringify({ stage: e.stage, item: e.item ?? null })}\n`),
  });
  process.stdout.write('{"stage":"exit"}\n');
} finally {
  await sql.close();
}
