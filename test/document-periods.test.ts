import { afterAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { documentPeriods, keepLatestDocuments } from '../functions/lake/publish.ts';
import { runRoot as stagingRoot } from '../functions/lake/publication.ts';
import { removeDir, tempDir } from './helpers/fixtures.ts';

const dir = tempDir();
afterAll(() => removeDir(dir));

describe('which periods publish documents and PDFs', () => {
  it('is the latest profiled period, whatever order the periods come in', () => {
    expect(documentPeriods(['2025-26', '2023-24', '2024-25'])).toEqual(['2025-26']);
    expect(documentPeriods([])).toEqual([]);
  });

  it('drops the staged documents of earlier periods and keeps the latest (the local run and the Lambda share this)', async () => {
    const lake = new LocalObjectStore(dir);
    const run = 'r1';
    for (const p of ['2024-25', '2025-26']) {
      await lake.put(`${stagingRoot(run)}/published/profiles/${p}/100000.json`, '{}');
      await lake.put(`${stagingRoot(run)}/published/reports/${p}/fair-access.json`, '{}');
    }
    expect(await keepLatestDocuments(lake, run, ['2025-26', '2024-25'])).toEqual(['2025-26']);
    const keys = (await lake.list(`${stagingRoot(run)}/published/`)).map((o) => o.key.slice(stagingRoot(run).length + 1)).sort();
    expect(keys).toEqual(['published/profiles/2025-26/100000.json', 'published/reports/2025-26/fair-access.json']);
    expect(await keepLatestDocuments(lake, run, ['2025-26'], { none: true })).toEqual([]);
    expect(await lake.list(`${stagingRoot(run)}/published/`)).toEqual([]);
  });
});
