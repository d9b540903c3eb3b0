/**
 * Reproducible curated bytes: the same inputs, ingested and matched twice into two lakes (other run
 * ids, Kent-scale tables, DuckDB on 4 threads so its parallel writers are at work even on a small machine), give
 * byte-identical curated Parquet and quarantine files. Safe retries and audit by checksum rest on
 * it: a retried ingest must not rewrite a table whose rows did not change, and the same rows must
 * be the same file. (Rows equal as sets are not enough: a parallel write can order them its own way.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateSample } from '../sample-data/generate.ts';
import { ingest } from '../functions/ingest/ingest-stage.ts';
import { classify, curatedPeriods } from '../functions/classify/classify-stage.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { attachTables, promotePartition, stagePartition } from '../functions/lake/tables.ts';
import { admissions, contacts, enrichedAdmissions, enrichedPupils, postcodes, schools, segments, wards } from '../schemas/curated.ts';
import { admissionsPeriodsSql, enrichedAdmissionsSql } from '../schemas/sql/admissions.ts';
import { currentVintage } from '../functions/classify/classify-stage.ts';
import { TEST_KEY, removeDir, tempDir } from './helpers/fixtures.ts';

const THREADS = 4;
let input: string;
const lakes: string[] = [];

/** Ingest, classify, and the admissions stage's enriched table (the curated tables a run writes). */
async function curate(lake: string, runId: string): Promise<void> {
  const raw = new LocalObjectStore(input);
  const store = new LocalObjectStore(lake);
  await ingest({ raw, lake: store, runId, period: '2025-26', pseudonymKey: TEST_KEY, threads: THREADS });
  const sql = await DuckDbEngine.create({ lakeRoot: lake, threads: THREADS });
  try {
    for (const period of await curatedPeriods(sql)) await classify({ lake: store, sql, runId, period });
    await attachTables(sql, [admissions, contacts, schools, postcodes, segments, wards, enrichedPupils]);
    const vintage = await currentVintage(sql);
    for (const r of (await sql.query(admissionsPeriodsSql())).toArray()) {
      const period = String(r.period);
      await stagePartition(sql, store, runId, enrichedAdmissions, enrichedAdmissionsSql(period, vintage), period);
      await promotePartition(store, runId, enrichedAdmissions, period);
    }
  } finally {
    await sql.close();
  }
}

/** SHA-256 of every file under the lake's curated tables and quarantine (the run's own records aside: they name it). */
function digests(lake: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(lake, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(join(lake, 'quarantine'));
  for (const e of readdirSync(join(lake, 'curated'), { withFileTypes: true })) {
    if (e.isDirectory() && e.name !== '_made-from') walk(join(lake, 'curated', e.name));
  }
  return out;
}

beforeAll(async () => {
  input = tempDir();
  // County scale: tables of several row groups, which parallel writers can interleave (a tiny county's
  // fit in one and came out in the same order most runs). One census is enough and halves the time.
  await generateSample({ out: input, scale: 'kent' });
  rmSync(join(input, 'pupils', 'pupils_2024-25.csv'));
  for (const runId of ['run-a', 'run-b']) {
    const lake = tempDir();
    lakes.push(lake);
    await curate(lake, runId);
  }
}, 600_000);

afterAll(() => {
  removeDir(input);
  for (const l of lakes) removeDir(l);
});

describe('curated tables from identical inputs', () => {
  it('are byte-identical, every table and partition', () => {
    const [a, b] = lakes.map(digests) as [Record<string, string>, Record<string, string>];
    // Every curated table a run writes has its Parquet there (a lake missing one would compare equal vacuously).
    const parquet = Object.keys(a).filter((k) => k.endsWith('.parquet'));
    const tables = new Set(parquet.map((k) => k.split('/')[1]));
    expect([...tables].sort()).toEqual(['admissions', 'contacts', 'enriched_admissions', 'enriched_contacts', 'enriched_pupils', 'postcodes', 'pupils', 'schools', 'segments', 'wards']);
    expect(parquet.length).toBeGreaterThanOrEqual(14);
    expect(Object.keys(a).filter((k) => k.startsWith('quarantine/')).length).toBe(5);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    const differing = Object.keys(a).filter((k) => a[k] !== b[k]);
    expect(differing).toEqual([]);
  });
});
