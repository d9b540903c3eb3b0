/**
 * The incremental nightly run (issue 13 item 4), on the generated tiny county with the warm run
 * (`--warm`): a stage whose inputs (the bytes of the input files behind it, its settings and the
 * code) are identical to those of the published run that made its outputs is skipped and says so,
 * and its published items keep pointing at that run. A night where only the contact log changed
 * re-ingests contacts, re-classifies contacts, recomputes fair access and re-renders the report
 * alone; a changed pupil file forces classify, profiles and fair access to run again. The
 * admissions stage likewise: kept whole on an unchanged night, only the contacted flag recomputed
 * when the contacts changed, and its section still added to a fair-access report made anew.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSample } from '../sample-data/generate.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { runPipeline } from '../functions/pipeline/run.ts';
import type { Manifest } from '../functions/pipeline/manifest.ts';
import { TEST_KEY, publicationOf, publishedPath, removeDir, tempDir } from './helpers/fixtures.ts';

let input: string;
let out: string;
const messages: string[] = [];

async function night(runId: string): Promise<Manifest> {
  const sql = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
  messages.length = 0;
  try {
    return await runPipeline({
      raw: new LocalObjectStore(input),
      lake: new LocalObjectStore(out),
      sql,
      pseudonymKey: TEST_KEY,
      period: '2025-26',
      runId,
      skipUnchanged: true,
      pdfWorkers: 0,
      progress: (e) => messages.push(`${e.stage} ${e.item ?? ''}: ${e.message ?? ''}`),
    });
  } finally {
    await sql.close();
  }
}

/** Every published file as readers see it (through the pointer), with its bytes. */
function published(): Record<string, string> {
  const pub = publicationOf(out)!;
  const files: Record<string, string> = {};
  for (const item of Object.keys(pub.items)) {
    const dir = publishedPath(out, item);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) files[`${item}/${n}`] = readFileSync(join(dir, n)).toString('base64');
  }
  return files;
}

const pdfsOf = (files: Record<string, string>, folder: string) => Object.fromEntries(Object.entries(files).filter(([k]) => k.startsWith(`published/${folder}/`) && k.endsWith('.pdf')));

let first: Manifest;
let docPeriod: string;

beforeAll(async () => {
  input = tempDir();
  out = tempDir();
  await generateSample({ out: input, scale: 'tiny' });
  first = await night('night-1');
  expect(first.status).toBe('succeeded');
  docPeriod = first.pdfs!.map((p) => p.period).sort().at(-1)!;
}, 600_000);

afterAll(() => {
  removeDir(input);
  removeDir(out);
});

describe('the incremental nightly run', () => {
  it('the first night runs every stage', () => {
    expect(first.matchStatus.every((r) => r.skipped?.pupils === null && r.skipped?.contacts === false)).toBe(true);
    expect(first.admissions!.periods.length).toBeGreaterThan(0);
    expect(Object.values(first.admissions!.enriched!).every((e) => e === 'matched')).toBe(true);
    expect(first.admissions!.skipped).toBeNull();
    expect(first.analysis!.stages.length).toBeGreaterThan(0);
    expect(first.analysis!.stages.every((st) => st.skipped === null)).toBe(true);
    expect(first.pdfs!.reduce((n, p) => n + p.rendered, 0)).toBeGreaterThan(1);
  });

  it('a night with byte-identical inputs skips every stage, says so, and leaves every published file as it was', async () => {
    const before = published();
    const m = await night('night-2');
    expect(m.status).toBe('succeeded');
    expect(Object.values(m.datasets).every((d) => d.skipped)).toBe(true);
    expect(m.matchStatus.every((r) => r.skipped?.pupils === 'night-1' && r.skipped?.contacts === true)).toBe(true);
    expect(m.analysis!.stages.every((st) => st.skipped === 'night-1')).toBe(true);
    expect(m.pdfs!.reduce((n, p) => n + p.rendered, 0)).toBe(0);
    // Each skip is said, naming the run whose outputs stand.
    for (const r of m.matchStatus) {
      expect(messages).toContain(`classify ${r.period}: pupils unchanged since run night-1: skipped`);
      expect(messages).toContain(`classify ${r.period}: contacts unchanged since run night-1: skipped`);
    }
    for (const st of m.analysis!.stages) expect(messages.some((x) => x.startsWith(`profiles ${st.period}:`) && x.includes('unchanged since run night-1: skipped'))).toBe(true);
    // The admissions: every enriched partition kept, the tables left as night-1 published them.
    expect(Object.values(m.admissions!.enriched!).every((e) => e === 'kept')).toBe(true);
    expect(m.admissions!.skipped).toBe('night-1');
    expect(m.admissions!.applications).toBe(first.admissions!.applications);
    for (const p of m.admissions!.periods) expect(messages).toContain(`admissions ${p}: applications unchanged since run night-1 matched them: kept`);
    expect(messages.some((x) => x.startsWith('admissions ') && x.endsWith('tables unchanged since run night-1: skipped'))).toBe(true);
    expect(messages.some((x) => x.includes('matching applications'))).toBe(false);
    expect(published()).toEqual(before);
    // The profile tables and documents are still night-1's.
    expect(publicationOf(out)!.items[`published/profiles/${docPeriod}`]).toBe('night-1');
    expect(publicationOf(out)!.items[`published/admissions_rates/period=${docPeriod}`]).toBe('night-1');
  }, 600_000);

  it('a night where only the contact log changed re-ingests contacts, recomputes fair access and re-renders only the report', async () => {
    const before = published();
    const file = join(input, 'contacts/contacts.csv');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    // Drop contacts of the latest period (the document period's report must change).
    const periodYear = docPeriod.slice(0, 4);
    const dropped = lines.filter((l, i) => i === 0 || !l.includes(`${periodYear}-1`)).slice(0, -3);
    expect(dropped.length).toBeLessThan(lines.length);
    writeFileSync(file, `${dropped.join('\n')}\n`);
    const m = await night('night-3');
    expect(m.status).toBe('succeeded');
    expect(m.datasets.contacts!.skipped).toBeFalsy();
    for (const d of ['classification', 'schools', 'pupils']) expect(m.datasets[d]!.skipped, d).toBe(true);
    expect(m.matchStatus.every((r) => r.skipped?.pupils === 'night-1' && r.skipped?.contacts === false)).toBe(true);
    const stages = m.analysis!.stages;
    expect(stages.filter((st) => st.stage === 'profiles').every((st) => st.skipped === 'night-1')).toBe(true);
    expect(stages.filter((st) => st.stage === 'fair-access').every((st) => st.skipped === null)).toBe(true);
    // Only the report's PDF was rendered; every school's PDF is the same file, still night-1's.
    const pdfs = m.pdfs!.find((p) => p.period === docPeriod)!;
    expect(pdfs.rendered).toBe(1);
    const after = published();
    expect(pdfsOf(after, 'profiles')).toEqual(pdfsOf(before, 'profiles'));
    expect(Object.keys(pdfsOf(after, 'profiles')).length).toBeGreaterThan(1);
    expect(after[`published/reports/${docPeriod}/fair-access.pdf`]).not.toEqual(before[`published/reports/${docPeriod}/fair-access.pdf`]);
    const pub = publicationOf(out)!;
    expect(pub.items[`published/profiles/${docPeriod}`]).toBe('night-1');
    expect(pub.items[`published/school_profile/period=${docPeriod}`]).toBe('night-1');
    expect(pub.items[`published/reports/${docPeriod}`]).toBe('night-3');
    expect(pub.items[`published/fair_access/period=${docPeriod}`]).toBe('night-3');
    // Admissions: no application matched again, the contacted flag recomputed, the tables made anew.
    expect(Object.values(m.admissions!.enriched!).every((e) => e === 'contacts')).toBe(true);
    expect(messages.some((x) => x.includes('matching applications'))).toBe(false);
    expect(m.admissions!.skipped).toBeNull();
    expect(pub.items[`published/admissions_contacted/period=${docPeriod}`]).toBe('night-3');
    expect(m.admissions!.reports).toContain(docPeriod);
    // The runs the pointer still names are kept by the sweep.
    expect(readdirSync(join(out, 'runs'))).toEqual(expect.arrayContaining(['night-1', 'night-3']));
  }, 600_000);

  it('a changed pupil file forces classify, profiles and fair access to run again', async () => {
    const name = readdirSync(join(input, 'pupils')).filter((f) => f.includes(docPeriod)).sort()[0]!;
    const file = join(input, 'pupils', name);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, `${lines.slice(0, -5).join('\n')}\n`);
    const m = await night('night-4');
    expect(m.status).toBe('succeeded');
    expect(m.datasets.pupils!.skipped).toBeFalsy();
    expect(m.datasets.contacts!.skipped).toBe(true);
    const r = m.matchStatus.find((x) => x.period === docPeriod)!;
    expect(r.skipped?.pupils).toBeNull();
    for (const st of m.analysis!.stages.filter((x) => x.period === docPeriod)) expect(st.skipped, st.stage).toBeNull();
    expect(m.pdfs!.find((p) => p.period === docPeriod)!.rendered).toBeGreaterThan(0);
    expect(publicationOf(out)!.items[`published/profiles/${docPeriod}`]).toBe('night-4');
    // Admissions read no pupils: kept and left as published, yet the report made anew has its section.
    expect(Object.values(m.admissions!.enriched!).every((e) => e === 'kept')).toBe(true);
    expect(m.admissions!.skipped).toBe('night-3');
    expect(publicationOf(out)!.items[`published/admissions_rates/period=${docPeriod}`]).toBe('night-3');
    expect(m.admissions!.reports).toContain(docPeriod);
    const report = JSON.parse(readFileSync(publishedPath(out, `published/reports/${docPeriod}`) + '/fair-access.json', 'utf8')) as { admissions?: unknown };
    expect(report.admissions).toBeTruthy();
  }, 600_000);
});
