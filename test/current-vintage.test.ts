/**
 * The classification vintage every join is filtered to (classify-stage.ts currentVintage): the one
 * vintage of the lookup, none for an empty lookup, and a stop naming both when an ingest is
 * replacing the classification (two present: joining both would count every pupil twice).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { currentVintage } from '../functions/classify/classify-stage.ts';
import { removeDir, tempDir } from './helpers/fixtures.ts';

let engine: DuckDbEngine | undefined;
let root: string | undefined;
afterEach(async () => {
  await engine?.close();
  if (root) removeDir(root);
  engine = undefined;
  root = undefined;
});

/** An engine whose `postcodes` holds these vintages, one row each. */
async function lookupWith(vintages: string[]): Promise<DuckDbEngine> {
  root = tempDir();
  engine = await DuckDbEngine.create({ lakeRoot: root, threads: 1 });
  const rows = vintages.map((v, i) => `('AB1 ${i}CD', '${v}')`).join(', ');
  await engine.run(rows ? `CREATE VIEW postcodes AS SELECT * FROM (VALUES ${rows}) AS t(postcode, vintage)` : `CREATE VIEW postcodes AS SELECT CAST(NULL AS VARCHAR) AS postcode, CAST(NULL AS VARCHAR) AS vintage WHERE false`);
  return engine;
}

describe('currentVintage', () => {
  it('is the lookup’s one vintage', async () => {
    expect(await currentVintage(await lookupWith(['2021-11', '2021-11', '2021-11']))).toBe('2021-11');
  });

  it('is null for an empty lookup', async () => {
    expect(await currentVintage(await lookupWith([]))).toBeNull();
  });

  it('stops when two vintages are present, naming both', async () => {
    await expect(currentVintage(await lookupWith(['2021-11', '2024-02', '2021-11']))).rejects.toThrow(/holds 2 vintages \(2021-11, 2024-02\)/);
  });
});
