/**
 * npm run bench: the England-scale benchmarks (`-- --spine` or `-- --pdf` for one of them).
 *
 * Spine: generates England-scale inputs once (bench/.data/england: 9,000,000 pupils, 21,500
 * schools, 60,000 contacts, 2,600,000 postcodes in the full NSPL layout, a quarter terminated),
 * then in separate processes: the bare-SQL floor, a cold run (everything from CSV) and a warm
 * nightly run (classification already curated; pupils, schools and contacts re-ingested). Prints
 * wall time and peak RSS per stage and the ratios to the floor.
 *
 * PDFs (bench/pdf.ts): renders 21,500 England-scale school profiles and the fair-access report in
 * worker threads, prints PDFs per second and peak RSS, then reruns to show unchanged ones skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSample } from '../sample-data/generate.ts';

const root = resolve(import.meta.dirname, '.data');
const input = join(root, 'england');
const only = process.argv.includes('--pdf') ? 'pdf' : process.argv.includes('--spine') ? 'spine' : 'both';

function child(script: string, args: string[]): unknown {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, script), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

if (only !== 'pdf') {
  if (!existsSync(join(input, 'manifest.json'))) {
    console.log(`generating England-scale inputs into ${input} (once; a few minutes)...`);
    const t = performance.now();
    // The 2021 layouts: the bare-SQL floor reads their columns (oac11, urn), and timings stay comparable with earlier runs.
    await generateSample({ out: input, scale: 'england', layout: '2021', onProgress: (m) => process.stderr.write(`  ${m}\n`) });
    console.log(`  generated in ${s(performance.now() - t)}`);
  }
  const out = join(root, 'out');
  const floorOut = join(root, 'floor');
  rmSync(out, { recursive: true, force: true });
  rmSync(floorOut, { recursive: true, force: true });

  console.log('bare-SQL floor (one DuckDB script over the CSVs)...');
  const floor = child('floor-child.ts', [input, floorOut]) as { wallMs: number; peakRssMiB: number };
  console.log('cold run (everything from CSV)...');
  const cold = child('pipeline-child.ts', [input, out]) as Run;
  // Warm nightly run: the classification stays curated; the nightly extracts are re-ingested.
  for (const d of ['pupils', 'schools', 'contacts']) rmSync(join(out, `curated/_sources/${d}.json`), { force: true });
  console.log('warm nightly run (classification already curated)...');
  const warm = child('pipeline-child.ts', [input, out, '--warm']) as Run;

  const spine = (r: Run) => r.stages.filter((x) => x.stage !== 'profiles').reduce((a, x) => a + x.ms, 0);
  console.log('\n| run | stage | wall | peak RSS (process, so far) |');
  console.log('|---|---|---|---|');
  console.log(`| floor | one DuckDB script | ${s(floor.wallMs)} | ${floor.peakRssMiB} MiB |`);
  for (const [name, r] of [['cold', cold], ['warm', warm]] as const) {
    for (const st of r.stages) console.log(`| ${name} | ${st.stage} | ${s(st.ms)} | ${st.peakRssMiB} MiB |`);
    console.log(`| ${name} | total (process) | ${s(r.wallMs)} | ${r.peakRssMiB} MiB |`);
  }
  console.log(`\nspine (ingest + classify + publish) vs floor: cold ${s(spine(cold))} = ${(spine(cold) / floor.wallMs).toFixed(2)}x (target <= 1.5x), warm ${s(spine(warm))} = ${(spine(warm) / floor.wallMs).toFixed(2)}x (target <= 0.8x)`);
  console.log(`whole run incl. profiles and fair access: cold ${s(cold.wallMs)}, warm ${s(warm.wallMs)}; peak RSS cold ${cold.peakRssMiB} MiB (target <= 3072), warm ${warm.peakRssMiB} MiB`);
}

if (only !== 'spine') {
  // The PDF benchmark lives in its own script (21,500 England-scale profile documents), in its own
  // process so its peak RSS is its own.
  if (only === 'both') console.log('\nPDFs: 21,500 England-scale school profiles...');
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'pdf.ts'), ...process.argv.slice(2).filter((a) => a !== '--pdf' && a !== '--spine')], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}

interface Run {
  wallMs: number;
  peakRssMiB: number;
  stages: { stage: string; ms: number; peakRssMiB: number }[];
}
