/**
 * Mean positions (the pupils' mean that centres a period's map projection, each ward's centroid on
 * the report map) and sums of distances (admissions) are the same bits on every run: whole
 * millionths summed exactly, then divided, whatever order the engine's threads add the rows in.
 * A floating-point sum or avg over many rows is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { exactSumSql } from '../schemas/sql/exact-sums.ts';
import { pupilExtentSql, wardCentroidsSql } from '../schemas/sql/maps.ts';
import { removeDir, tempDir } from './helpers/fixtures.ts';

const N = 300_000;
// Positions as the NSPL gives them (six decimals), spread over England: micro-degrees from i.
const latMicro = (i: number) => 50_000_000 + ((i * 7919) % 5_000_000);
const longMicro = (i: number) => -5_000_000 + ((i * 104_729) % 6_000_000);
const exactMean = (f: (i: number) => number, ids: number[]) => {
  let s = 0n;
  for (const i of ids) s += BigInt(f(i));
  return Number(s) / ids.length / 1_000_000;
};

let root: string;
let sql: DuckDbEngine;

beforeAll(async () => {
  root = tempDir();
  sql = await DuckDbEngine.create({ lakeRoot: root, threads: 4 });
  // Two copies of the same rows in different physical orders.
  for (const [name, order] of [
    ['postcodes_a', 'i'],
    ['postcodes_b', 'hash(i)'],
  ] as const) {
    await sql.run(`CREATE TABLE ${name} AS SELECT 'P' || i AS postcode, 'W' || (i % 7) AS ward, 'S' AS segment, (50000000 + (i * 7919) % 5000000) / 1000000.0 AS lat, (-5000000 + (i * 104729) % 6000000) / 1000000.0 AS long FROM range(${N}) t(i) ORDER BY ${order}`);
  }
  // The pupils' positions as classify keeps them (enriched_pupils), in the same two row orders.
  for (const name of ['a', 'b']) {
    await sql.run(`CREATE TABLE enriched_${name} AS SELECT '2025-26' AS period, ward, lat, long FROM postcodes_${name}`);
  }
  await sql.run(`CREATE VIEW enriched_pupils AS SELECT * FROM enriched_a`);
});

afterAll(async () => {
  await sql?.close();
  removeDir(root);
});

const ids = Array.from({ length: N }, (_, i) => i);

describe('mean positions in SQL', () => {
  it('the pupils’ mean position is the exact mean of their micro-degrees, in either row order', async () => {
    for (const table of ['enriched_a', 'enriched_b']) {
      await sql.run(`CREATE OR REPLACE VIEW enriched_pupils AS SELECT * FROM ${table}`);
      const r = (await sql.query(pupilExtentSql('2025-26'))).toArray()[0]!.toJSON();
      expect(Number(r.located)).toBe(N);
      expect(r.lat_mean, table).toBe(exactMean(latMicro, ids));
      expect(r.long_mean, table).toBe(exactMean(longMicro, ids));
    }
  });

  it('an exact sum (the admissions distances) is the sum of whole millionths, in either row order', async () => {
    for (const table of ['postcodes_a', 'postcodes_b']) {
      const r = (await sql.query(`SELECT ${exactSumSql('CASE WHEN ward <> \'W3\' THEN lat * 1.3 END')} AS s, ${exactSumSql('CASE WHEN false THEN lat END')} AS none FROM ${table}`)).toArray()[0]!.toJSON();
      let want = 0n;
      for (const i of ids) if (i % 7 !== 3) want += BigInt(Math.round((latMicro(i) / 1_000_000) * 1.3 * 1_000_000));
      expect(r.s, table).toBe(Number(want) / 1_000_000);
      expect(r.none).toBe(0);
    }
  });

  it('each ward’s centroid is the exact mean of its postcodes’ micro-degrees, in either row order', async () => {
    for (const table of ['postcodes_a', 'postcodes_b']) {
      await sql.run(`CREATE OR REPLACE VIEW postcodes AS SELECT * FROM ${table}`);
      const rows = (await sql.query(wardCentroidsSql('2025-26'))).toArray().map((r) => r.toJSON());
      expect(rows).toHaveLength(7);
      for (const r of rows) {
        const w = Number(String(r.ward).slice(1));
        const mine = ids.filter((i) => i % 7 === w);
        expect(r.lat, `${table} ${r.ward}`).toBe(exactMean(latMicro, mine));
        expect(r.long, `${table} ${r.ward}`).toBe(exactMean(longMicro, mine));
      }
    }
  });
});
