/**
 * Deterministic synthetic sample data for catchment (everything is made up; see README.md).
 *
 *   npx tsx sample-data/generate.ts --out DIR [--scale kent|england|tiny] [--layout 2026|2021] [--seed N] [--force]
 *
 * Writes the input contract's folders (classification, schools, pupils, contacts) under DIR.
 * Without --force nothing is written when DIR already holds every file of the scale.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admissionsFile, writeAdmissionsRound, type Applicant } from './admissions.ts';
import { CensusContext, firstCensus, nextCensus } from './census.ts';
import { CsvOut, csvField } from './csv-out.ts';
import { buildGeography, pcds, writeNspl, writeWards, type NsplLayout } from './geo.ts';
import { CLUSTERS_FILE, GIAS_FILE, writeGias } from './gias.ts';
import { FamilyPool, PostcodeRenderer, PupilFile, generateContacts, placeSchools, writeContacts, type Contact, type PlacedSchool, type PostcodeSpelling, type Pupil } from './people.ts';
import { DEFAULT_SEED, SCALE_PARAMS, SCALES, planArea, planSchools, type Scale } from './plan.ts';

export { planSchools, planArea, SCALE_PARAMS, SCALES, DEFAULT_SEED, type Scale } from './plan.ts';

/**
 * The layouts the county is written in: '2026' (the default) is what an LA downloads and exports
 * today (NSPL August 2026 with OAC 2021 and IMD 2025, the GIAS extract with clusters.csv, census
 * extracts keyed by LAESTAB with pupils' personal details); '2021' is the NSPL November 2021
 * layout (OAC 2011), an LA schools list and plain pupils files keyed by URN.
 */
export type SampleLayout = NsplLayout;
export const NSPL_FILES: Record<SampleLayout, string> = {
  '2021': 'classification/NSPL_SAMPLE_NOV_2021.csv',
  '2026': 'classification/NSPL_SAMPLE_AUG_2026.csv',
};
export const NSPL_FILE = NSPL_FILES['2026'];
export { CLUSTERS_FILE, GIAS_FILE };

export interface GenerateOptions {
  out: string;
  scale: Scale;
  seed?: number;
  layout?: SampleLayout;
  onProgress?: (msg: string) => void;
  /** How pupils' and contacts' postcodes are spelled (default 'tidy'; the England benchmark uses 'extract'). */
  spelling?: PostcodeSpelling;
}

export interface GenerateResult {
  /** Absolute paths of the files written. */
  files: string[];
  /** Row counts per file/dataset, geography sizes and the deliberate defects, e.g. `pupils_2025-26:bad_upn`. */
  counts: Record<string, number>;
}

/** Files (relative to the output folder) a scale writes. */
export function expectedFiles(scale: Scale, layout: SampleLayout = '2026'): string[] {
  return [
    NSPL_FILES[layout],
    'classification/wards.csv',
    ...(layout === '2026' ? [GIAS_FILE, CLUSTERS_FILE] : ['schools/schools.csv']),
    ...SCALE_PARAMS[scale].years.map((y) => `pupils/pupils_${y}.csv`),
    'contacts/contacts.csv',
    ...SCALE_PARAMS[scale].years.flatMap((y) => (['secondary', 'primary'] as const).map((r) => admissionsFile(r, Number(y.slice(0, 4)) + 1))),
  ];
}

/** Contact propensity by supergroup: affluent over-represented; a little less so after the first year. */
function contactWeights(period: string): { affluent: number; deprived: number } {
  return period <= '2024-25' ? { affluent: 1.6, deprived: 0.5 } : { affluent: 1.5, deprived: 0.65 };
}

const PHASE_LABEL: Record<string, string> = { primary: 'Primary', secondary: 'Secondary', special: 'Special' };

export async function generateSample(opts: GenerateOptions): Promise<GenerateResult> {
  const { scale } = opts;
  const layout = opts.layout ?? '2026';
  const seed = (opts.seed ?? DEFAULT_SEED) >>> 0;
  const params = SCALE_PARAMS[scale];
  if (!params) throw new Error(`unknown scale "${scale}" (expected ${SCALES.join(', ')})`);
  const out = resolve(opts.out);
  const log = opts.onProgress ?? (() => {});
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  for (const d of ['classification', 'schools', 'pupils', 'contacts', 'admissions']) mkdirSync(join(out, d), { recursive: true });
  // drop our own stale files from an earlier run at another scale
  const keep = new Set(expectedFiles(scale, layout));
  const ours = [['pupils', /^pupils_\d{4}-\d{2}\.csv$/], ['classification', /^NSPL_SAMPLE_.*\.csv$/], ['schools', /^(schools|clusters|edubasealldata\d{8})\.csv$/], ['admissions', /^(secondary|reception)_offers_\d{4}\.csv$/]] as const;
  for (const [dir, re] of ours) {
    for (const f of readdirSync(join(out, dir))) if (re.test(f) && !keep.has(`${dir}/${f}`)) rmSync(join(out, dir, f));
  }
  const files: string[] = [];
  const counts: Record<string, number> = {};

  log(`planning ${scale} sample (seed ${seed})`);
  const area = planArea(scale, seed);
  const plans = planSchools(scale, seed, area);
  const geo = buildGeography(area, seed);
  Object.assign(counts, geo.counts);
  log(`geography: ${geo.sectors.length} sectors, ${geo.wards.length} wards, ${geo.patches.length} output areas (${elapsed()})`);

  const nsplPath = join(out, NSPL_FILES[layout]);
  await writeNspl(geo, nsplPath, seed, log, layout);
  files.push(nsplPath);
  log(`classification written: ${geo.total.toLocaleString('en-GB')} postcodes (${elapsed()})`);
  const wardsPath = join(out, 'classification/wards.csv');
  await writeWards(geo, wardsPath);
  files.push(wardsPath);

  const schools: PlacedSchool[] = placeSchools(geo, plans, seed);
  if (layout === '2026') {
    const gias = await writeGias(geo, schools, join(out, GIAS_FILE), join(out, CLUSTERS_FILE), seed);
    files.push(join(out, GIAS_FILE), join(out, CLUSTERS_FILE));
    counts.gias_establishments = gias.establishments;
    counts.gias_closed_predecessors = gias.closedPredecessors;
    counts.gias_other_la_schools = gias.otherLaSchools;
  } else {
    const schoolsPath = join(out, 'schools/schools.csv');
    const sf = new CsvOut(schoolsPath, 'urn,name,phase,cluster,postcode');
    for (const s of schools) sf.row(`${s.urn},${csvField(s.name)},${PHASE_LABEL[s.phase]},${csvField(s.clusterName)},${pcds(geo, s.postcode)}`);
    await sf.close();
    files.push(schoolsPath);
  }
  counts.schools = schools.length;
  for (const ph of ['primary', 'secondary', 'special'] as const) counts[`schools_${ph}`] = schools.filter((s) => s.phase === ph).length;
  counts.clusters = area.clusters.length;

  const renderer = new PostcodeRenderer(geo, counts, opts.spelling);
  const ctx = new CensusContext(geo, schools, seed, params.years.length > 1);
  const badRate = params.defects.badUpn / params.pupils;
  const dupRate = params.defects.dupUpn / params.pupils;
  // big scales keep a 10% sample of the other-year families to bound memory
  const otherShare = params.pupils > 1_000_000 ? 0.1 : 1;
  const contacts: Contact[] = [];
  let prev: Pupil[] | null = null;
  for (const period of params.years) {
    const path = join(out, `pupils/pupils_${period}.csv`);
    const townOf = (home: number) => geo.districts[geo.sectors[geo.patches[geo.patchOf[home]!]!.sector]!.district]!.towns[0]!.name;
    const file = new PupilFile(path, period, schools, renderer, counts, seed, badRate, dupRate, layout, townOf);
    const y56 = new FamilyPool();
    // Who applies in this year's admissions rounds: Year 6 for secondary, the next Reception intake (living where this year's does).
    const applicants: Record<'secondary' | 'primary', Applicant[]> = { secondary: [], primary: [] };
    const others = new FamilyPool();
    let otherTick = 0;
    const retain = params.years.length > 1 && period !== params.years[params.years.length - 1];
    const kept: Pupil[] = [];
    let n = 0;
    const step = Math.max(1, Math.round(params.pupils / 10));
    const emit = (p: Pupil): Promise<void> | undefined => {
      const s = schools[p.school]!;
      if (s.phase === 'primary' && (p.ord === 5 || p.ord === 6)) y56.add(p);
      if (s.phase === 'primary' && p.ord === 6) applicants.secondary.push({ home: p.home, upn: p.upn });
      if (s.phase === 'primary' && p.ord === 0) applicants.primary.push({ home: p.home, upn: null });
      else if ((s.phase === 'primary' && (p.ord === 3 || p.ord === 4)) || (s.phase === 'secondary' && p.ord >= 7 && p.ord <= 9)) {
        otherTick += otherShare;
        if (otherTick >= 1) {
          otherTick -= 1;
          others.add(p);
        }
      }
      if (retain) kept.push(p);
      if (++n % step === 0) log(`pupils ${period}: ${n.toLocaleString('en-GB')} (${elapsed()})`);
      return file.write(p);
    };
    if (prev === null) await firstCensus(ctx, period, emit);
    else {
      for (const p of nextCensus(ctx, prev, period)) {
        const pending = emit(p);
        if (pending) await pending;
      }
    }
    const rows = await file.close();
    files.push(path);
    log(`pupils ${period} written: ${rows.toLocaleString('en-GB')} rows (${elapsed()})`);
    prev = retain ? kept : null;
    for (const round of ['secondary', 'primary'] as const) {
      const rows = await writeAdmissionsRound({ geo, schools, renderer, counts, seed, layout, period, round, applicants: applicants[round], out });
      files.push(join(out, admissionsFile(round, Number(period.slice(0, 4)) + 1)));
      log(`admissions ${round} ${period} written: ${rows.toLocaleString('en-GB')} rows (${elapsed()})`);
    }
    const nContacts = params.contacts[period] ?? 0;
    if (nContacts > 0) for (const c of generateContacts(geo, schools, period, nContacts, y56, others, contactWeights(period), seed)) contacts.push(c);
  }
  const contactsPath = join(out, 'contacts/contacts.csv');
  counts.contacts = await writeContacts(contactsPath, contacts, renderer, seed);
  for (const period of Object.keys(params.contacts)) counts[`contacts_${period}`] = contacts.filter((c) => c.period === period).length;
  files.push(contactsPath);
  log(`contacts written: ${counts.contacts.toLocaleString('en-GB')} rows (${elapsed()})`);

  const sorted = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
  const manifest = {
    generator: 'catchment sample-data/generate.ts',
    note: 'Synthetic data: every postcode, code, name, school and pupil is made up.',
    scale,
    seed,
    layout,
    ...(opts.spelling === 'extract' ? { spelling: 'extract' } : {}),
    files: Object.fromEntries(files.map((f) => [f.slice(out.length + 1), statSync(f).size])),
    counts: sorted,
  };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  log(`done in ${elapsed()}`);
  return { files, counts: sorted };
}

export interface EnsureOptions {
  out: string;
  scale: Scale;
  seed?: number;
  layout?: SampleLayout;
  /** Write again even when every file of the scale is there. */
  force?: boolean;
  onProgress?: (msg: string) => void;
}

/** Whether `out` holds every file of the scale's sample. */
export function hasSample(out: string, scale: Scale, layout: SampleLayout = '2026'): boolean {
  return expectedFiles(scale, layout).every((f) => existsSync(join(resolve(out), f)));
}

/** The sample in `out` (made when a file of the scale is missing, or with `force`); `written` is null when it was already there. */
export async function ensureSample(opts: EnsureOptions): Promise<{ out: string; written: GenerateResult | null }> {
  const out = resolve(opts.out);
  if (hasSample(out, opts.scale, opts.layout) && !opts.force) return { out, written: null };
  return { out, written: await generateSample({ out, scale: opts.scale, seed: opts.seed, layout: opts.layout, onProgress: opts.onProgress }) };
}

function parseArgs(argv: string[]): { out?: string; scale: Scale; seed: number; layout: SampleLayout; force: boolean; help: boolean } {
  const a = { out: undefined as string | undefined, scale: 'kent' as Scale, seed: DEFAULT_SEED, layout: '2026' as SampleLayout, force: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === '--out') a.out = val();
    else if (k === '--scale') {
      const v = val();
      if (!(SCALES as readonly string[]).includes(v)) throw new Error(`--scale must be one of ${SCALES.join(', ')}`);
      a.scale = v as Scale;
    } else if (k === '--seed') {
      const v = Number(val());
      if (!Number.isInteger(v) || v < 0) throw new Error('--seed must be a non-negative integer');
      a.seed = v;
    } else if (k === '--layout') {
      const v = val();
      if (v !== '2021' && v !== '2026') throw new Error('--layout must be 2026 or 2021');
      a.layout = v;
    } else if (k === '--force') a.force = true;
    else if (k === '--help' || k === '-h') a.help = true;
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

async function main() {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(String((e as Error).message));
    process.exitCode = 2;
    return;
  }
  if (args.help || !args.out) {
    console.log('usage: npx tsx sample-data/generate.ts --out DIR [--scale kent|england|tiny] [--layout 2026|2021] [--seed N] [--force]');
    if (!args.help) process.exitCode = 2;
    return;
  }
  const t0 = Date.now();
  const { out, written: res } = await ensureSample({ out: args.out, scale: args.scale, seed: args.seed, layout: args.layout, force: args.force, onProgress: (m) => console.log(m) });
  if (!res) {
    console.log(`${out} already has the ${args.scale} sample files; nothing written (use --force to regenerate)`);
    return;
  }
  console.log(`wrote ${res.files.length} files to ${out} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  for (const f of res.files) console.log(`  ${f.slice(out.length + 1)}  ${(statSync(f).size / 1e6).toFixed(1)} MB`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
