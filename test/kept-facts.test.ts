/**
 * Kept facts (functions/lake/kept-facts.ts): what depends on the classified pupils alone (the
 * fair-access base, the report map's geography) is kept beside enriched_pupils, so a night on which
 * only the contact log changed reads it instead of scanning every pupil; the night publishes the same
 * bytes as a night that scans. Changed pupils invalidate it; it is read only while the curated
 * partition is the one its key names; a run that fails after keeping it leaves the published outputs
 * as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSample } from '../sample-data/generate.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { runPipeline } from '../functions/pipeline/run.ts';
import type { Manifest } from '../functions/pipeline/manifest.ts';
import { KEPT_ROOT, keptKey, keptOr, type KeptSpec } from '../functions/lake/kept-facts.ts';
import { clearMarker, writeMarker } from '../functions/lake/stage-records.ts';
import { TEST_KEY, publicationOf, publishedPath, removeDir, tempDir } from './helpers/fixtures.ts';

let input: string;
let out: string;
let docPeriod: string;

/** A night on `lake` (skip unchanged, as every night), recording the SQL it ran. */
async function night(lake: string, runId: string, store?: LocalObjectStore): Promise<{ manifest: Manifest; queries: string[] }> {
  const sql = await DuckDbEngine.create({ lakeRoot: lake, threads: 1 });
  const queries: string[] = [];
  for (const m of ['query', 'queryLarge', 'unload'] as const) {
    const f = (sql[m] as (...a: unknown[]) => Promise<unknown>).bind(sql);
    (sql as unknown as Record<string, unknown>)[m] = (text: string, ...rest: unknown[]) => {
      queries.push(text);
      return f(text, ...rest);
    };
  }
  try {
    const manifest = await runPipeline({ raw: new LocalObjectStore(input), lake: store ?? new LocalObjectStore(lake), sql, pseudonymKey: TEST_KEY, period: '2025-26', runId, skipUnchanged: true, pdfWorkers: 0 });
    return { manifest, queries };
  } finally {
    await sql.close();
  }
}

/** Every published file as readers see it (through the pointer), with its bytes. */
function published(lake: string): Record<string, string> {
  const pub = publicationOf(lake)!;
  const files: Record<string, string> = {};
  for (const item of Object.keys(pub.items)) {
    const dir = publishedPath(lake, item);
    if (!existsSync(dir)) continue;
    for (const n of readdirSync(dir)) files[`${item}/${n}`] = readFileSync(join(dir, n)).toString('base64');
  }
  return files;
}

const keptFiles = (lake: string, name: string) => {
  const dir = join(lake, KEPT_ROOT, name, docPeriod);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};
const scansBase = (qs: string[]) => qs.some((q) => /FROM enriched_pupils/.test(q) && /AS n\b/.test(q) && /ncyear IN/.test(q) && /GROUP BY subgroup, ward, urn/.test(q));
const scansExtent = (qs: string[]) => qs.some((q) => /min\(e\.lat\)/.test(q) && /FROM enriched_pupils e/.test(q));

/** Drop the last contacts of the document period (a night's change to the contact log). */
function changeContacts(drop: number): void {
  const file = join(input, 'contacts/contacts.csv');
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const year = docPeriod.slice(0, 4);
  const idx = lines.map((l, i) => (i > 0 && l.includes(`${year}-1`) ? i : -1)).filter((i) => i > 0);
  const gone = new Set(idx.slice(-drop));
  writeFileSync(file, `${lines.filter((_, i) => !gone.has(i)).join('\n')}\n`);
}

beforeAll(async () => {
  input = tempDir();
  out = tempDir();
  await generateSample({ out: input, scale: 'tiny' });
  const first = await night(out, 'night-1');
  expect(first.manifest.status).toBe('succeeded');
  docPeriod = first.manifest.pdfs!.map((p) => p.period).sort().at(-1)!;
}, 600_000);

afterAll(() => {
  removeDir(input);
  removeDir(out);
});

describe('facts kept beside the classified pupils', () => {
  it('the night that scans the pupils keeps the fair-access base and the report map', () => {
    expect(keptFiles(out, 'fair-access-base')).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.parquet$/)]);
    expect(keptFiles(out, 'report-map')).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.json$/)]);
  });

  it('a contacts-only night reads them instead of scanning every pupil, and publishes the same bytes as a night that scans', async () => {
    changeContacts(3);
    const scanning = tempDir();
    try {
      cpSync(out, scanning, { recursive: true });
      rmSync(join(scanning, KEPT_ROOT), { recursive: true, force: true });
      const kept = await night(out, 'night-2');
      const scanned = await night(scanning, 'night-2');
      for (const r of [kept, scanned]) {
        expect(r.manifest.status).toBe('succeeded');
        expect(r.manifest.analysis!.stages.find((s) => s.stage === 'profiles' && s.period === docPeriod)!.skipped).toBe('night-1');
        expect(r.manifest.analysis!.stages.find((s) => s.stage === 'fair-access' && s.period === docPeriod)!.skipped).toBeNull();
      }
      expect(scansBase(kept.queries)).toBe(false);
      expect(scansExtent(kept.queries)).toBe(false);
      expect(scansBase(scanned.queries)).toBe(true);
      expect(scansExtent(scanned.queries)).toBe(true);
      // The report (with its map) and every fair-access table: the same bytes either way.
      const a = published(out);
      const b = published(scanning);
      expect(Object.keys(a).some((k) => k === `published/reports/${docPeriod}/fair-access.json`)).toBe(true);
      expect(JSON.parse(Buffer.from(a[`published/reports/${docPeriod}/fair-access.json`]!, 'base64').toString()).map).toBeTruthy();
      expect(a).toEqual(b);
      // The scanning night kept them again, under the same names.
      expect(keptFiles(scanning, 'fair-access-base')).toEqual(keptFiles(out, 'fair-access-base'));
      expect(keptFiles(scanning, 'report-map')).toEqual(keptFiles(out, 'report-map'));
    } finally {
      removeDir(scanning);
    }
  }, 600_000);

  it('a run that fails after keeping them leaves the published outputs exactly as they were', async () => {
    changeContacts(2);
    const before = published(out);
    rmSync(join(out, KEPT_ROOT), { recursive: true, force: true });
    // The run dies when it writes the report's map (after the base and the map were kept).
    class Dying extends LocalObjectStore {
      override async put(key: string, body: Parameters<LocalObjectStore['put']>[1]): Promise<void> {
        if (key.endsWith(`published/reports/${docPeriod}/fair-access.json`) && String(body).includes('"map"')) throw new Error('killed (injected)');
        return super.put(key, body);
      }
    }
    await expect(night(out, 'night-3', new Dying(out))).rejects.toThrow(/killed/);
    expect(published(out)).toEqual(before);
    expect(keptFiles(out, 'fair-access-base')).toHaveLength(1);
    expect(keptFiles(out, 'report-map')).toHaveLength(1);
    // The retry (a new run) reads what the failed one kept, and succeeds.
    const retry = await night(out, 'night-4');
    expect(retry.manifest.status).toBe('succeeded');
    expect(scansBase(retry.queries)).toBe(false);
    expect(scansExtent(retry.queries)).toBe(false);
  }, 600_000);

  it('a changed pupil file makes them anew (the old ones are never read and are deleted)', async () => {
    const base = keptFiles(out, 'fair-access-base');
    const map = keptFiles(out, 'report-map');
    const name = readdirSync(join(input, 'pupils')).filter((f) => f.includes(docPeriod)).sort()[0]!;
    const file = join(input, 'pupils', name);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, `${lines.slice(0, -5).join('\n')}\n`);
    const r = await night(out, 'night-5');
    expect(r.manifest.status).toBe('succeeded');
    expect(scansBase(r.queries)).toBe(true);
    expect(keptFiles(out, 'fair-access-base')).toHaveLength(1);
    expect(keptFiles(out, 'fair-access-base')).not.toEqual(base);
    expect(keptFiles(out, 'report-map')).toHaveLength(1);
    expect(keptFiles(out, 'report-map')).not.toEqual(map);
  }, 600_000);
});

describe('keptOr', () => {
  const PREFIX = 'curated/enriched_pupils';
  let root: string;
  let lake: LocalObjectStore;
  beforeAll(() => {
    root = tempDir();
    lake = new LocalObjectStore(root);
  });
  afterAll(() => removeDir(root));

  const spec = (fingerprint: string | null, settings: unknown = { years: ['5', '6'] }): KeptSpec<number[]> => ({
    name: 'sums',
    from: { tablePrefix: PREFIX, period: '2025-26', fingerprint },
    settings,
    ext: 'json',
    encode: (v) => JSON.stringify(v),
    decode: (b) => JSON.parse(Buffer.from(b).toString()) as number[],
  });
  const marker = (fingerprint: string | null) => writeMarker(lake, PREFIX, { stage: 'classify-pupils', period: '2025-26', runId: 'r', fingerprint, result: null });

  it('keeps a fact while the partition is the one its key names, and reads it back', async () => {
    await marker('f1');
    let computed = 0;
    const compute = async () => [++computed, 2, 3];
    expect(await keptOr(lake, spec('f1'), compute)).toEqual({ value: [1, 2, 3], kept: false });
    expect(await keptOr(lake, spec('f1'), compute)).toEqual({ value: [1, 2, 3], kept: true });
    expect(computed).toBe(1);
    // Other settings: another fact.
    expect((await keptOr(lake, spec('f1', { years: null }), compute)).kept).toBe(false);
  });

  it('never reads a fact once the partition is replaced or its marker cleared (a failed classify)', async () => {
    await marker('f1');
    await keptOr(lake, spec('f1'), async () => [7]);
    await clearMarker(lake, PREFIX, '2025-26');
    expect(await keptOr(lake, spec('f1'), async () => [8])).toEqual({ value: [8], kept: false });
    // Nor keeps one: the curated copy is not known to be what f1 says.
    await marker('f1');
    expect(await keptOr(lake, spec('f1'), async () => [9])).toEqual({ value: [7], kept: true });
    await marker('f2');
    expect(await keptOr(lake, spec('f1'), async () => [10])).toEqual({ value: [10], kept: false });
  });

  it('a new fingerprint replaces the old version; an unreadable one is computed again; none is kept without a fingerprint', async () => {
    await marker('f3');
    await keptOr(lake, spec('f3'), async () => [3]);
    expect(readdirSync(join(root, KEPT_ROOT, 'sums', '2025-26'))).toEqual([keptKey(spec('f3'))!.split('/').pop()]);
    writeFileSync(join(root, keptKey(spec('f3'))!), '{not json');
    expect(await keptOr(lake, spec('f3'), async () => [4])).toEqual({ value: [4], kept: false });
    expect(await keptOr(lake, spec('f3'), async () => [5])).toEqual({ value: [4], kept: true });
    expect(keptKey(spec(null))).toBeNull();
    await marker(null);
    expect(await keptOr(lake, spec(null), async () => [6])).toEqual({ value: [6], kept: false });
    expect(await keptOr(lake, spec(null), async () => [7])).toEqual({ value: [7], kept: false });
  });
});
