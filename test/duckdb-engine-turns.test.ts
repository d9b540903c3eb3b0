/**
 * DuckDbEngine takes statements asked for concurrently one at a time, in the order they were asked
 * (the analysis runs a period's fair access beside its profiles on one engine): a view created
 * without awaiting is there for the query asked after it, every concurrent query answers its own
 * SQL, and a failing statement fails alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { removeDir, tempDir } from './helpers/fixtures.ts';

let root: string;
let sql: DuckDbEngine;
beforeAll(async () => {
  root = tempDir();
  sql = await DuckDbEngine.create({ lakeRoot: root });
});
afterAll(async () => {
  await sql.close();
  removeDir(root);
});

const values = async (t: Promise<import('apache-arrow').Table>) => (await t).toArray().map((r) => Number(r.toJSON().x));

describe('DuckDbEngine statements asked for together', () => {
  it('run in the order asked, each answering its own SQL', async () => {
    const asked: Promise<unknown>[] = [];
    const answers: Promise<number[]>[] = [];
    for (let i = 0; i < 20; i++) {
      // Replaced, then read, then replaced again before the read is answered: only the order asked gives i.
      asked.push(sql.run(`CREATE OR REPLACE VIEW turn AS SELECT ${i} AS x`));
      answers.push(values(i % 2 ? sql.query('SELECT x FROM turn') : sql.queryLarge('SELECT x FROM turn', `scratch/turn-${i}`)));
    }
    await Promise.all(asked);
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 20 }, (_, i) => [i]));
  });

  it('a failing statement fails alone; the next ones run', async () => {
    const bad = sql.query('SELECT * FROM no_such_table');
    const good = values(sql.query('SELECT 42 AS x'));
    await expect(bad).rejects.toThrow(/no_such_table/);
    expect(await good).toEqual([42]);
  });
});
