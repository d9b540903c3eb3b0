/**
 * npm run bench: the England-scale benchmarks (`-- --spine` or `-- --pdf` for one of them;
 * `-- --scale kent` runs the spine on the Kent-scale sample in the same 2026 layouts and spellings,
 * for a quick look on a busy machine: the targets are for England; `-- --cold-only` stops after the
 * anchors and the cold run; `-- --cold-runs N` makes N cold runs, each into an empty lake, and
 * reports the median and range of the cold figures: this machine's speed drifts by 10 to 15% within
 * minutes, so one run cannot say on which side of a target a figure close to it lies).
 *
 * Spine: generates England-scale inputs once (bench/.data/england-2026: the 2026 layouts, an NSPL
 * of 2,600,000 postcodes with the 2021 OAC, the GIAS extract, a census extract of 9,000,000 pupils
 * keyed by LAESTAB with names and addresses, 60,000 contacts; postcodes spelled as real extracts
 * spell them: a fifth in lower case, a tenth without the space, some padded, blank or malformed).
 * Then, each in its own process so its peak RSS is its own:
 *   - floor: the bare join and counts as one DuckDB script (what the engine alone costs);
 *   - full work: bench/full-work.sql, the whole job as one plain DuckDB script (read_csv, every
 *     check with a reason to quarantine files, HMAC pseudonyms in SQL, curated Parquet, matching,
 *     per-school counts): the anchor the spine is held to (cold spine <= 1.2x);
 *   - cold run: the pipeline from CSV into an empty lake (PDFs apart: npm run bench:pdf);
 *   - warm run: the classification unchanged (skipped), the nightly extracts re-ingested;
 *   - contacts-only night: only the contact log changed (a night's new contacts).
 * Prints wall time and peak RSS per stage and the ratios to the anchors.
 *
 * PDFs (bench/pdf.ts): renders 21,500 England-scale school profiles (with maps) and the fair-access report in
 * worker threads, prints PDFs per second and peak RSS, then reruns to show unchanged ones skipped.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { generateSample } from '../sample-data/generate.ts';

const root = resolve(import.meta.dirname, '.data');
const scaleAt = process.argv.indexOf('--scale');
const scale = scaleAt > 0 ? process.argv[scaleAt + 1] : 'england';
if (scale !== 'england' && scale !== 'kent') throw new Error('--scale must be england or kent');
const input = join(root, `${scale}-2026`);
const only = process.argv.includes('--pdf') ? 'pdf' : process.argv.includes('--spine') || scale !== 'england' ? 'spine' : 'both';
// Checked before minutes of work: how many cold runs (--cold-runs N, the spine only).
const runsAt = process.argv.indexOf('--cold-runs');
const coldRuns = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 1;
if (!Number.isInteger(coldRuns) || coldRuns < 1) throw new Error('--cold-runs must be followed by a whole number of runs, at least 1');
if (coldRuns > 1 && only === 'pdf') throw new Error('--cold-runs is for the spine (npm run bench or bench:spine), not --pdf');

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

/**
 * Earlier lakes are set aside (renamed), not deleted, until every measurement is over: on a file
 * system without a journal (this machine's ext4) the inode allocator passes over inodes deleted in
 * the last minutes, and 21,500 files made after some 130,000 were deleted took 5 to 14 s of kernel
 * time instead of about 1 s. The profiles stage writes 21,500 documents: deleting the last run's
 * lake just before would time that instead of the stage. A night's run deletes superseded runs a day
 * before the next writes.
 */
const aside = join(root, `.aside-${process.pid}`);
function setAside(dir: string): void {
  if (!existsSync(dir)) return;
  mkdirSync(aside, { recursive: true });
  renameSync(dir, join(aside, `${basename(dir)}-${Date.now()}`));
}
/** Every lake set aside, this run's and any an interrupted run left (once the measurements are over). */
function removeSetAside(): void {
  for (const d of existsSync(root) ? readdirSync(root).filter((n) => n.startsWith('.aside-')) : []) rmSync(join(root, d), { recursive: true, force: true });
}
const load = () => loadavg().map((l) => l.toFixed(1)).join(', ');

/** The input of a night on which only the contact log changed: the same files (hard links), and 500 new contacts. */
function contactsNight(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  for (const d of readdirSync(from, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    mkdirSync(join(to, d.name), { recursive: true });
    for (const f of readdirSync(join(from, d.name))) {
      if (d.name === 'contacts') copyFileSync(join(from, d.name, f), join(to, d.name, f));
      else linkSync(join(from, d.name, f), join(to, d.name, f));
    }
  }
  const lines = readFileSync(join(from, 'contacts/contacts.csv'), 'utf8').trimEnd().split('\n');
  const recent = lines.slice(-500).map((l, i) => l.replace(/^[^,]*/, `NIGHT-${String(i + 1).padStart(5, '0')}`));
  appendFileSync(join(to, 'contacts/contacts.csv'), recent.join('\n') + '\n');
}

if (only !== 'pdf') {
  if (!existsSync(join(input, 'manifest.json'))) {
    console.log(`generating ${scale}-scale inputs into ${input} (once; a few minutes at England scale)...`);
    const t = performance.now();
    await generateSample({ out: input, scale, layout: '2026', spelling: 'extract', onProgress: (m) => process.stderr.write(`  ${m}\n`) });
    console.log(`  generated in ${s(performance.now() - t)}`);
  }
  const out = join(root, 'out');
  const night = join(root, `${scale}-2026-contacts-night`);
  setAside(out);
  const sizes = Object.fromEntries(['classification', 'pupils', 'contacts'].map((d) => [d, readdirSync(join(input, d)).filter((f) => f.endsWith('.csv')).reduce((n, f) => n + statSync(join(input, d, f)).size, 0)]));
  console.log(`scale: ${scale} (${Object.entries(sizes).map(([d, b]) => `${d} ${(b / 1e6).toFixed(0)} MB`).join(', ')}); machine: ${cpus().length} cores; load average at start ${load()}`);

  console.log('bare-join floor (one DuckDB script over the CSVs)...');
  const floor = child('floor-child.ts', [input, join(root, 'floor')]) as Anchor;
  console.log('full-work SQL (bench/full-work.sql)...');
  const full = child('full-work-child.ts', [input, join(root, 'full-work')]) as Anchor;
  console.log(`cold run (everything from CSV; load ${load()})...`);
  const cold = child('pipeline-child.ts', [input, out]) as Run;
  // Further cold runs (--cold-runs N), each into an empty lake of its own, removed after it.
  const colds: Run[] = [cold];
  for (let k = 2; k <= coldRuns; k++) {
    const again = join(root, `out-cold-${k}`);
    setAside(again);
    console.log(`cold run ${k} of ${coldRuns} (load ${load()})...`);
    try {
      colds.push(child('pipeline-child.ts', [input, again]) as Run);
    } finally {
      setAside(again);
    }
  }
  const coldOnly = process.argv.includes('--cold-only');
  // Warm nightly run: the classification stays curated; the nightly extracts are re-ingested.
  for (const d of ['pupils', 'schools', 'contacts']) rmSync(join(out, `curated/_sources/${d}.json`), { force: true });
  let warm: Run | null = null;
  let contacts: Run | null = null;
  if (!coldOnly) {
    console.log(`warm nightly run (classification already curated; load ${load()})...`);
    warm = child('pipeline-child.ts', [input, out, '--warm']) as Run;
    contactsNight(input, night);
    console.log(`contacts-only night (only the contact log changed; load ${load()})...`);
    contacts = child('pipeline-child.ts', [night, out, '--warm']) as Run;
  }
  console.log(`load average at the end ${load()}`);

  const stage = (r: Run, name: string) => r.stages.find((x) => x.stage === name)?.ms ?? 0;
  const spine = (r: Run) => stage(r, 'ingest') + stage(r, 'classify') + stage(r, 'publish');
  console.log('\n| run | stage | wall | peak RSS (process, so far) |');
  console.log('|---|---|---|---|');
  console.log(`| floor | bare join, one DuckDB script | ${s(floor.wallMs)} | ${floor.peakRssMiB} MiB |`);
  console.log(`| full work | bench/full-work.sql | ${s(full.wallMs)} | ${full.peakRssMiB} MiB |`);
  for (const [name, r] of [['cold', cold], ['warm', warm], ['contacts-only night', contacts]] as const) {
    if (!r) continue;
    for (const st of r.stages) {
      console.log(`| ${name} | ${st.stage} | ${s(st.ms)} | ${st.peakRssMiB} MiB |`);
      if (st.stage === 'ingest') for (const [d, v] of Object.entries(r.rows)) console.log(`| ${name} | - ingest ${d}${v.skipped ? ' (skipped)' : ''} | ${s(v.ms)} | |`);
    }
    console.log(`| ${name} | total (process) | ${s(r.wallMs)} | ${r.peakRssMiB} MiB |`);
  }
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  console.log(`\ncold spine (ingest + classify + publish) ${s(spine(cold))} = ${ratio(spine(cold), full.wallMs)}x the full-work SQL (target <= 1.2x), ${ratio(spine(cold), floor.wallMs)}x the bare join`);
  // The full-work script ingests no admissions (they came after it): the like-for-like figure leaves their ingest out.
  const admissionsIngest = cold.rows.admissions?.ms ?? 0;
  if (admissionsIngest > 0) console.log(`cold spine without the admissions' ingest ${s(spine(cold) - admissionsIngest)} = ${ratio(spine(cold) - admissionsIngest, full.wallMs)}x the full-work SQL (its scope)`);
  if (warm) console.log(`warm spine ${s(spine(warm))} = ${ratio(spine(warm), full.wallMs)}x the full-work SQL`);
  if (contacts) {
    console.log(`contacts-only night ${s(contacts.wallMs)} (whole run) = ${ratio(contacts.wallMs, spine(cold))}x the cold spine (target <= 0.2x); its ingest re-read ${Object.entries(contacts.rows).filter(([, v]) => !v.skipped).map(([k]) => k).join(', ') || 'nothing'}`);
  }
  console.log(`profiles and fair access: cold ${s(stage(cold, 'profiles'))}${warm ? `, warm ${s(stage(warm, 'profiles'))}` : ''} (target <= 20 s); admissions: cold ${s(stage(cold, 'admissions'))}${warm ? `, warm ${s(stage(warm, 'admissions'))}` : ''}${contacts ? `, contacts night ${s(stage(contacts, 'admissions'))}` : ''}`);
  if (colds.length > 1) {
    const spread = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
      return `${xs.map(s).join(', ')}: median ${s(median)} (${s(sorted[0]!)} to ${s(sorted.at(-1)!)})`;
    };
    console.log(`\n${colds.length} cold runs, in the order run:`);
    console.log(`  cold spine ${spread(colds.map(spine))}; full-work SQL ${s(full.wallMs)} (target <= 1.2x: ${s(1.2 * full.wallMs)})`);
    console.log(`  profiles and fair access ${spread(colds.map((r) => stage(r, 'profiles')))} (target <= 20 s)`);
    console.log(`  peak RSS ${colds.map((r) => `${r.peakRssMiB} MiB`).join(', ')} (target <= 3072)`);
  }
  console.log(`peak RSS: cold ${cold.peakRssMiB} MiB${warm ? `, warm ${warm.peakRssMiB} MiB` : ''}${contacts ? `, contacts night ${contacts.peakRssMiB} MiB` : ''} (target <= 3072)`);
}

if (only !== 'spine') {
  // The PDF benchmark lives in its own script (21,500 England-scale profile documents), in its own
  // process so its peak RSS is its own.
  if (only === 'both') console.log('\nPDFs: 21,500 England-scale school profiles...');
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'pdf.ts'), ...process.argv.slice(2).filter((a) => a !== '--pdf' && a !== '--spine')], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}

// The lakes set aside go once nothing more is measured.
removeSetAside();

interface Anchor {
  wallMs: number;
  peakRssMiB: number;
}

interface Run extends Anchor {
  stages: { stage: string; ms: number; peakRssMiB: number }[];
  rows: Record<string, { read: number; skipped: boolean; ms: number }>;
}
