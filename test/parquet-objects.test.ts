/**
 * readParquetObjects reads a large result a row group at a time (functions/ports/parquet-objects.ts):
 * every row comes back once and in order, nulls stay nulls, each row group is one Arrow batch, and
 * a file without rows keeps its columns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { readParquetObjects } from '../functions/ports/parquet-objects.ts';

let root: string;
let engine: DuckDbEngine;
let lake: LocalObjectStore;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'parquet-objects-'));
  engine = await DuckDbEngine.create({ lakeRoot: root, threads: 1 });
  lake = new LocalObjectStore(root);
});

afterAll(async () => {
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

/** Writes `rows` rows from `from` (i, a text with nulls, a double) in row groups of `group` rows under `prefix`. */
async function write(prefix: string, rows: number, group: number, file = 'part-00000.parquet', from = 0): Promise<void> {
  const path = join(root, prefix, file);
  await engine.run(`COPY (SELECT i::BIGINT AS i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'row ' || i END AS label, i / 3.0 AS third
    FROM range(${from}, ${from + rows}) t(i) ORDER BY i) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE ${group})`);
}

describe('readParquetObjects', () => {
  it('reads a file of several row groups whole and in order, one Arrow batch per row group', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(root, 'many'), { recursive: true });
    await write('many', 250_000, 100_000);
    const t = await readParquetObjects(lake, 'many');
    expect(t.numRows).toBe(250_000);
    const groups = await engine.query(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${join(root, 'many', 'part-00000.parquet')}') ORDER BY row_group_id`);
    const sizes = groups.toArray().map((r) => Number(r.toJSON().row_group_num_rows));
    expect(sizes.length).toBe(3);
    expect(t.batches.map((b) => b.numRows)).toEqual(sizes);
    const i = t.getChild('i')!.toArray() as BigInt64Array;
    expect(Array.from(i, Number)).toEqual(Array.from({ length: 250_000 }, (_, k) => k));
    const label = Array.from(t.getChild('label')!);
    expect(label.filter((v) => v === null).length).toBe(Math.ceil(250_000 / 7));
    expect([label[0], label[1], label[99_999], label[100_000], label[249_999]]).toEqual([null, 'row 1', 'row 99999', 'row 100000', 'row 249999']);
    expect(t.getChild('third')!.get(200_001)).toBe(200_001 / 3);
  });

  it('concatenates files in key order, and a file without rows keeps its columns', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(root, 'two'), { recursive: true });
    await write('two', 5, 2, 'part-00001.parquet');
    await write('two', 3, 2, 'part-00000.parquet', 100);
    expect(Array.from((await readParquetObjects(lake, 'two')).getChild('i')!.toArray() as BigInt64Array, Number)).toEqual([100, 101, 102, 0, 1, 2, 3, 4]);
    mkdirSync(join(root, 'none'), { recursive: true });
    await write('none', 0, 100);
    const empty = await readParquetObjects(lake, 'none');
    expect(empty.numRows).toBe(0);
    expect(empty.schema.fields.map((f) => f.name)).toEqual(['i', 'label', 'third']);
  });
});
