/**
 * The admissions stage on a night when only the contact log changed (functions/admissions): it
 * keeps each application's matching (segment, ward, nearest school) and recomputes only the
 * contacted flag, yet writes what matching every application again would write: the same
 * enriched_admissions bytes, and the same published admissions tables as a run from nothing over
 * the same inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSample } from '../sample-data/generate.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import type { Manifest } from '../functions/pipeline/manifest.ts';
import { currentVintage } from '../functions/classify/classify-stage.ts';
import { attachTables, stagedPartition, stagePartition } from '../functions/lake/tables.ts';
import { ADMISSIONS_TABLES } from '../functions/admissions/admissions-stage.ts';
import { admissions, contacts, enrichedAdmissions, enrichedPupils, postcodes, schools, segments, wards } from '../schemas/curated.ts';
import { enrichedAdmissionsSql } from '../schemas/sql/admissions.ts';
import { tablePrefix } from '../schemas/columns.ts';
import { warmNight, parquetFilesOf } from './helpers/admissions-nights.ts';
import { publicationOf, publishedPath, removeDir, tempDir } from './helpers/fixtures.ts';

let input: string;
let lake: string;
let fresh: string;

/** Applications flagged as contacted in each period's curated enriched_admissions. */
async function contactedCounts(out: string): Promise<Record<string, number>> {
  const sql = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
  try {
    await attachTables(sql, [enrichedAdmissions]);
    const rows = (await sql.query('SELECT period, count(*) FILTER (WHERE contacted) AS n FROM enriched_admissions GROUP BY period')).toArray();
    return Object.fromEntries(rows.map((r) => [String(r.period), Number(r.n)]));
  } finally {
    await sql.close();
  }
}

let first: Manifest;
let second: Manifest;
let before: Record<string, number>;

beforeAll(async () => {
  input = tempDir();
  lake = tempDir();
  fresh = tempDir();
  await generateSample({ out: input, scale: 'tiny' });
  first = await warmNight(input, lake, 'night-1');
  before = await contactedCounts(lake);
  // Half of the contact log goes (every period's), so contacted flags change in each period.
  const file = join(input, 'contacts/contacts.csv');
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  writeFileSync(file, `${lines.filter((_, i) => i === 0 || i % 2 === 0).join('\n')}\n`);
  second = await warmNight(input, lake, 'night-2');
  await warmNight(input, fresh, 'night-fresh');
}, 600_000);

afterAll(() => {
  for (const d of [input, lake, fresh]) removeDir(d);
});

describe('the admissions stage when only the contacts changed', () => {
  it('recomputes only the contacted flag, and the flags did change', async () => {
    expect(first.admissions!.periods.length).toBeGreaterThan(0);
    expect(second.admissions!.periods).toEqual(first.admissions!.periods);
    for (const p of second.admissions!.periods) expect(second.admissions!.enriched![p], p).toBe('contacts');
    const after = await contactedCounts(lake);
    for (const p of second.admissions!.periods) {
      expect(before[p], p).toBeGreaterThan(0);
      expect(after[p], p).toBeLessThan(before[p]!);
    }
  });

  it('writes the same enriched_admissions bytes as matching every application again', async () => {
    const store = new LocalObjectStore(lake);
    const sql = await DuckDbEngine.create({ lakeRoot: lake, threads: 1 });
    try {
      await attachTables(sql, [admissions, contacts, schools, postcodes, segments, wards, enrichedPupils]);
      const vintage = await currentVintage(sql);
      for (const period of second.admissions!.periods) {
        await stagePartition(sql, store, 'check', enrichedAdmissions, enrichedAdmissionsSql(period, vintage), period);
        const matched = parquetFilesOf(join(lake, stagedPartition('check', enrichedAdmissions, period)));
        const kept = parquetFilesOf(join(lake, tablePrefix(enrichedAdmissions), `period=${period}`));
        expect(Object.keys(kept).length, period).toBeGreaterThan(0);
        expect(kept, period).toEqual(matched);
      }
    } finally {
      await sql.close();
    }
  });

  it('publishes the same admissions tables as a run from nothing over the same inputs', () => {
    const ours = publicationOf(lake)!;
    const theirs = publicationOf(fresh)!;
    let compared = 0;
    for (const table of ADMISSIONS_TABLES) {
      for (const period of second.admissions!.periods) {
        const item = `${tablePrefix(table)}/period=${period}`;
        expect(ours.items[item], item).toBe('night-2');
        const a = parquetFilesOf(publishedPath(lake, item));
        expect(a, item).toEqual(parquetFilesOf(publishedPath(fresh, item)));
        compared += Object.keys(a).length;
      }
    }
    expect(compared).toBeGreaterThan(ADMISSIONS_TABLES.length);
    expect(theirs.items).toBeTruthy();
  });
});
