/**
 * catchment CLI: a thin shell over the pipeline stages on the local runtime
 * (a directory as the object store, embedded DuckDB as the SQL engine).
 */
import { Command, InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { getPseudonymKey } from '../commons/secrets.ts';
import { DuckDbEngine } from '../ports/duckdb-engine.ts';
import { LocalObjectStore } from '../ports/local-store.ts';
import { RunError, runPipeline, sampleWarmsUp } from '../pipeline/run.ts';
import { CODE_VERSION } from '../commons/version.ts';
import { physicalKeyOf, readPublication } from '../lake/publication.ts';
import { progressRenderer, summaryText } from './render.ts';
import { addServeCommand } from './serve.ts';
import { RenderPool } from '../pdf/render-stage.ts';
import type { ProgressSink } from '../commons/progress.ts';
import { ensureSample, hasSample, SCALES, type Scale } from '../../sample-data/generate.ts';

const period = (v: string) => {
  if (!/^\d{4}-\d{2}$/.test(v)) throw new InvalidArgumentError('expected an academic year such as 2025-26');
  return v;
};

const baseKind = (v: string) => {
  if (!['la', 'cluster', 'phase'].includes(v)) throw new InvalidArgumentError('expected la, cluster or phase');
  return v;
};
const classificationEdition = (v: string) => {
  if (!['oac11', 'oac21'].includes(v)) throw new InvalidArgumentError('expected oac11 or oac21');
  return v;
};
const laCode = (v: string) => {
  if (!/^\d{3}$/.test(v)) throw new InvalidArgumentError('expected a 3-digit LA number such as 886');
  return v;
};
const sampleScale = (v: string) => {
  if (!(SCALES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${SCALES.join(', ')}`);
  return v as Scale;
};
const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
};

const program = new Command()
  .name('catchment')
  .description('Geodemographic school community profiles and fair-access reports')
  .version(CODE_VERSION)
  .showSuggestionAfterError(true)
  .addHelpText(
    'after',
    `
Examples:
  catchment run --input input --out out --la-name "Kent County Council"   the whole pipeline
  catchment run --input input --out out --warm                             a nightly rerun: stages whose inputs are unchanged are skipped
  catchment run --input input --out out --no-pdfs                          analysts' tables only, no documents or PDFs
  catchment serve --out out                                                the heads' portal on http://127.0.0.1:8787
  catchment help run                                                       every option of run`,
  );

/**
 * --input and --out are checked in the action, not by commander's requiredOption: commander
 * reports a missing required option before an unknown one, so a typo (--inptu) would read as
 * "--input not specified" instead of naming the typo.
 */
function required(cmd: Command, o: Record<string, unknown>, ...flags: [key: string, flag: string][]): void {
  for (const [key, flag] of flags) if (o[key] === undefined) cmd.error(`error: required option '${flag}' not specified (see catchment help run)`);
}

program
  .command('run')
  .description('run the whole pipeline locally: ingest, classify, profiles and fair access, PDFs, publish')
  .option('-i, --input <dir>', '(required) input directory with pupils/, contacts/, schools/, classification/')
  .option('-o, --out <dir>', '(required) output directory (curated/, quarantine/, published/, manifests/)')
  .option('-p, --period <yyyy-yy>', 'academic year for inputs whose file names carry none', period)
  .option('--key-file <path>', 'pseudonymisation key file (made on first run)', '.secrets/pseudonym.key')
  .option('--warm', 'incremental: skip every stage (ingest, classify, profiles, fair access, PDFs) whose inputs are byte-identical to the published run that made its outputs')
  .option('--la-name <name>', 'local authority name shown on profiles and reports', 'Local authority')
  .option('--base <kind>', 'what each school is compared with: la, cluster or phase', baseKind, 'la')
  .option('--threshold <n>', 'counts below this are shown as c to heads and the public', positiveInt, 5)
  .option('--fa-years <list>', 'NC years forming the fair-access base, comma-separated, or "all"', '5,6')
  .option('--classification <edition>', 'oac21 or oac11: the OAC edition when the postcode lookup carries both (default oac21)', classificationEdition)
  .option('--la-code <nnn>', "the LA's 3-digit number (e.g. 886): pupils at other LAs' schools are set aside (default: inferred from the schools pupils attend)", laCode)
  .option('--cluster-column <name>', 'a column of the schools file naming each school\'s cluster, e.g. "DistrictAdministrative (name)" (when there is no schools/clusters.csv)')
  .option('--threads <n>', 'DuckDB threads', (v) => Number(v))
  .option('--json', 'print the run manifest as JSON on stdout instead of the summary')
  .option('--no-pdfs', 'publish the tables only: no PDFs, and the documents and PDFs published before stay as they were')
  .option('-q, --quiet', 'no progress output')
  .option('--sample <scale>', `first write the synthetic sample county (${SCALES.join(', ')}) into --input, unless its files are there already (npm start: kent)`, sampleScale)
  .addHelpText(
    'after',
    `
Examples:
  catchment run -i input -o out --la-name "Kent County Council" --base cluster
  catchment run -i input -o out --fa-years all --threshold 10 --json > manifest.json`,
  )
  .action(async (o, cmd: Command) => {
    required(cmd, o, ['input', '--input <dir>'], ['out', '--out <dir>']);
    const input = resolve(o.input);
    const out = resolve(o.out);
    const progress = o.quiet || o.json ? undefined : progressRenderer();
    // The PDF threads load the renderer, then warm it up on made-up documents (a county's sample:
    // see WARM_UP_PUPIL_BYTES), on the other core while this one writes the sample and runs the first stages.
    const pool = o.sample && o.pdfs !== false ? new RenderPool() : undefined;
    pool?.start({ warmUp: sampleWarmsUp(o.sample) });
    try {
      if (o.sample) await writeSample(o.sample, input, progress);
      if (!existsSync(input)) throw new Error(`input directory ${input} does not exist`);
      await run(o, input, out, progress, pool);
    } finally {
      await pool?.close();
    }
  });

/** The synthetic sample county in `input`, unless its files are there already. */
async function writeSample(scale: Scale, input: string, progress: ProgressSink | undefined): Promise<void> {
  if (hasSample(input, scale)) {
    progress?.({ stage: 'sample', item: scale, message: `already in ${input}` });
    return;
  }
  progress?.({ stage: 'sample', item: scale, message: `writing the synthetic sample county into ${input}` });
  const t0 = performance.now();
  const { written } = await ensureSample({ out: input, scale });
  progress?.({ stage: 'sample', item: scale, message: `${written?.files.length ?? 0} files written in ${((performance.now() - t0) / 1000).toFixed(1)} s` });
}

async function run(o: Record<string, any>, input: string, out: string, progress: ProgressSink | undefined, pool: RenderPool | undefined): Promise<void> {
  const sql = await DuckDbEngine.create({ lakeRoot: out, threads: o.threads });
  try {
    const lake = new LocalObjectStore(out);
    const manifest = await runPipeline({
      raw: new LocalObjectStore(input),
      lake,
      sql,
      period: o.period,
      pseudonymKey: await getPseudonymKey({ kind: 'file', path: resolve(o.keyFile) }),
      progress,
      skipUnchanged: Boolean(o.warm),
      skipPdfs: o.pdfs === false,
      pool,
      inputs: { classification: o.classification, laCode: o.laCode, clusterColumn: o.clusterColumn },
      analysis: {
        laName: o.laName,
        baseKind: o.base,
        threshold: o.threshold,
        fairAccessYears: o.faYears === 'all' ? null : String(o.faYears).split(',').map((y: string) => y.trim()),
      },
    });
    // Documents live under the run that made them (an unchanged stage keeps an earlier run's):
    // the summary names the folders a newcomer can open.
    const publication = await readPublication(lake);
    process.stdout.write(o.json ? `${JSON.stringify(manifest, null, 2)}\n` : `${summaryText(manifest, o.out, (k) => (publication?.items[k] ? physicalKeyOf(publication, k) : null))}\n`);
  } finally {
    await sql.close();
  }
}

addServeCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (process.stderr.isTTY) process.stderr.write('\n');
  const msg = e instanceof RunError ? `run ${e.manifest.runId} failed: ${e.message}` : e instanceof Error ? e.message : String(e);
  process.stderr.write(`catchment: ${msg.split('\n')[0]}\n`);
  process.exitCode = 1;
});
