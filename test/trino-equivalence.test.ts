/**
 * SQL written once, proven on both engines: a real Trino (Athena engine v3's engine, server from
 * Maven Central) reads the same Parquet lake the local pipeline wrote, with every curated and
 * published table registered through Hive DDL derived from the same contracts as the Glue tables.
 * Every shared statement, and every analyst named query (parameters bound), runs on Trino and on
 * DuckDB; the results must be equal row for row (same columns, same rows; doubles to 1e-9).
 * What Trino cannot run (UNLOAD itself, partition projection) keeps its parse-only checks in
 * sql-dialect.test.ts and test/infra/athena-sql.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSample, NSPL_FILE } from '../sample-data/generate.ts';
import { sharedStatements } from '../schemas/sql/index.ts';
import { imdDecileSql } from '../schemas/sql/classify.ts';
import { CURATED_TABLES } from '../schemas/curated.ts';
import { PUBLISHED_TABLES } from '../schemas/published.ts';
import { columnsOf, tablePrefix, trinoType, type TableDef } from '../schemas/columns.ts';
import { analystQueries } from '../infra/analyst-queries.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { attachTables } from '../functions/lake/tables.ts';
import { publicationOf, runLocal } from './helpers/fixtures.ts';
import { physicalKeyOf } from '../functions/lake/publication.ts';
import { TrinoServer } from './helpers/trino.ts';
import { profileRowsSql } from '../schemas/sql/profiles.ts';
import { criticalValues } from '../functions/profiles/profile-rows.ts';
import { admissions, contacts, postcodes, schools, segments } from '../schemas/curated.ts';
import { enrichedAdmissionsSql } from '../schemas/sql/admissions.ts';
import { bruteForceNearest, NEAREST_PERIODS, NEAREST_VINTAGE, nearestFixture, writeNearestLake } from './helpers/nearest-lake.ts';

let root: string;
let trino: TrinoServer;
let duck: DuckDbEngine;
let lake: string;
const SCHEMA = 'catchment';
/** A second lake laid out for the nearest-school search (ties, empty and farther-only cells). */
const NEAREST = 'nearest';
const nearest = nearestFixture();
let nearestDuck: DuckDbEngine;

/** Trino DDL for a contract table over `<lake>/<zone>/<table>/`, Hive-partitioned like the Glue table. */
function createTableSql(def: TableDef, location: string, schema = SCHEMA): string {
  const cols = columnsOf(def).map((c) => `"${c.name}" ${trinoType(c.type)}`).join(', ');
  const parts = def.partitions.map((p) => `'${p}'`).join(', ');
  return `CREATE TABLE ${schema}.${def.name} (${cols}) WITH (external_location = '${location}', format = 'PARQUET', partitioned_by = ARRAY[${parts}])`;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'catchment-trino-'));
  // Trino starts while the pipeline runs (it takes ~20 s of its own).
  const starting = TrinoServer.start(root);
  const input = join(root, 'input');
  lake = join(root, 'lake');
  await generateSample({ out: input, scale: 'tiny' });
  // IMD ranks at the decile boundaries, where DECIMAL arithmetic would drop a decile.
  const nspl = readFileSync(join(input, NSPL_FILE), 'utf8').split('\n');
  const imdCol = nspl[0]!.split(',').indexOf('imd');
  const boundaries = [1, 164, 165, 3284, 3285, 3285 * 5, 29560, 32844];
  for (let i = 0; i < boundaries.length; i++) {
    const f = nspl[i + 1]!.split(',');
    f[imdCol] = String(boundaries[i]);
    nspl[i + 1] = f.join(',');
  }
  writeFileSync(join(input, NSPL_FILE), nspl.join('\n'));
  const manifest = await runLocal(input, lake, { period: '2025-26' });
  expect(manifest.status).toBe('succeeded');
  duck = await DuckDbEngine.create({ lakeRoot: lake, threads: 1 });
  await attachTables(duck, [...CURATED_TABLES, ...PUBLISHED_TABLES], new LocalObjectStore(lake));
  const nearestLake = join(root, 'nearest-lake');
  await writeNearestLake(nearestLake, nearest);
  const nearestTables = [admissions, contacts, postcodes, schools, segments];
  nearestDuck = await DuckDbEngine.create({ lakeRoot: nearestLake, threads: 1 });
  await attachTables(nearestDuck, nearestTables, new LocalObjectStore(nearestLake));
  trino = await starting;
  await trino.query(`CREATE SCHEMA ${NEAREST}`);
  for (const def of nearestTables) {
    await trino.query(createTableSql(def, trino.location(join(nearestLake, tablePrefix(def))), NEAREST));
    await trino.query(`CALL system.sync_partition_metadata('${NEAREST}', '${def.name}', 'FULL')`);
  }
  await trino.query(`CREATE SCHEMA ${SCHEMA}`);
  for (const def of CURATED_TABLES) {
    await trino.query(createTableSql(def, trino.location(join(lake, tablePrefix(def)))));
    await trino.query(`CALL system.sync_partition_metadata('${SCHEMA}', '${def.name}', 'FULL')`);
  }
  // Published tables follow the publication pointer the way Athena does through Glue: each
  // partition registered at the folder of the run the pointer names for it.
  const pub = publicationOf(lake)!;
  for (const def of PUBLISHED_TABLES) {
    mkdirSync(join(lake, tablePrefix(def)), { recursive: true });
    await trino.query(createTableSql(def, trino.location(join(lake, tablePrefix(def)))));
    for (const [item] of Object.entries(pub.items).filter(([i]) => i.startsWith(`${tablePrefix(def)}/`))) {
      const dir = join(lake, physicalKeyOf(pub, item));
      if (!existsSync(dir)) continue;
      const value = item.slice(item.indexOf('=') + 1);
      await trino.query(`CALL system.register_partition('${SCHEMA}', '${def.name}', ARRAY['${def.partitions[0]}'], ARRAY['${value}'], '${trino.location(dir)}')`);
    }
  }
}, 300_000);

afterAll(async () => {
  await trino?.stop();
  await duck?.close();
  await nearestDuck?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

type Row = unknown[];

/** A cell in a comparable form: numbers (bigint, decimal text) as numbers, dates as text. */
function norm(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return v;
}

async function onDuck(sql: string, engine = duck): Promise<{ columns: string[]; rows: Row[] }> {
  const t = await engine.query(sql);
  const columns = t.schema.fields.map((f) => f.name);
  const rows: Row[] = [];
  for (let i = 0; i < t.numRows; i++) rows.push(columns.map((c) => norm(t.getChild(c)!.get(i))));
  return { columns, rows };
}

async function onTrino(sql: string, schema = SCHEMA): Promise<{ columns: string[]; rows: Row[] }> {
  const r = await trino.query(sql, schema);
  const typed = (v: unknown, type: string) => {
    if (v === null) return null;
    // Trino's JSON carries doubles as numbers, except NaN/Infinity as text; decimals as text.
    if (/^(double|real)$/.test(type) && typeof v === 'string') return Number(v);
    if (/^decimal/.test(type)) return Number(v);
    return norm(v);
  };
  return { columns: r.columns.map((c) => c.name), rows: r.rows.map((row) => row.map((v, i) => typed(v, r.columns[i]!.type))) };
}

const key = (r: Row) => JSON.stringify(r.map((v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v)));

/** Row-for-row equality; rows compared in a canonical order (ORDER BY ties may come back in any order). */
function expectSameResult(name: string, a: { columns: string[]; rows: Row[] }, b: { columns: string[]; rows: Row[] }) {
  expect(b.columns, `${name}: columns`).toEqual(a.columns);
  expect(b.rows.length, `${name}: row count`).toBe(a.rows.length);
  const sa = [...a.rows].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  const sb = [...b.rows].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  for (let i = 0; i < sa.length; i++) {
    const x = sa[i]!;
    const y = sb[i]!;
    for (let c = 0; c < x.length; c++) {
      const u = x[c];
      const v = y[c];
      if (typeof u === 'number' && typeof v === 'number' && !(Number.isInteger(u) && Number.isInteger(v))) {
        expect(Math.abs(u - v), `${name}: row ${i} column ${a.columns[c]}: ${u} vs ${v}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(u)));
      } else {
        expect(v, `${name}: row ${i} column ${a.columns[c]}`).toEqual(u);
      }
    }
  }
}

describe('every shared statement gives the same rows on Trino and DuckDB', () => {
  for (const period of ['2024-25', '2025-26']) {
    it.each(Object.entries(sharedStatements(period, '2021-11')))(`${period} %s`, async (name, given) => {
      // The map grid and ward centroids read the postcodes of one vintage, and the applications'
      // nearest schools need located homes: run them with the sample's own.
      const vintage = name.startsWith('map_') || name === 'enriched_admissions' ? String((await onDuck('SELECT max(vintage) FROM postcodes')).rows[0]![0]) : null;
      const sql = vintage ? sharedStatements(period, vintage)[name]! : given;
      const d = await onDuck(sql);
      const t = await onTrino(sql);
      expect(d.rows.length, `${name} returns rows`).toBeGreaterThan(0);
      expectSameResult(name, d, t);
    });
  }
});

describe('the nearest school of each application gives the same rows on Trino and DuckDB, and the brute-force nearest', () => {
  // The lake of test/helpers/nearest-lake.ts: exact ties (lowest URN wins) where the neighbouring
  // cells prove the nearest and where every school is searched, cells with no school or only a
  // farther one, a nearer school outside the box, no open secondary school in one period.
  it.each(NEAREST_PERIODS)('%s', async (period) => {
    const sql = enrichedAdmissionsSql(period, NEAREST_VINTAGE);
    const d = await onDuck(sql, nearestDuck);
    const t = await onTrino(sql, NEAREST);
    expectSameResult(`enriched_admissions ${period}`, d, t);
    const expected = bruteForceNearest(nearest, period);
    const [id, urn, km] = ['application_id', 'nearest_urn', 'nearest_km'].map((c) => t.columns.indexOf(c));
    expect(t.rows.length).toBe(expected.size);
    expect(t.rows.filter((r) => r[urn!] !== null).length).toBeGreaterThan(100);
    for (const r of t.rows) {
      const e = expected.get(String(r[id!]))!;
      expect(r[urn!], String(r[id!])).toBe(e?.urn ?? null);
      if (e) expect(Math.abs((r[km!] as number) - e.km)).toBeLessThanOrEqual(1e-9 * e.km);
    }
  });
});

describe('the profile rows (counts, shares, index, z, Wilson bounds, set-based) give the same rows on Trino and DuckDB', () => {
  // Interval constants for families of up to 100 segments (more than any level of OAC has).
  const critical = criticalValues(100);
  const variants = [
    ['schools against the LA', profileRowsSql('2025-26', 'school', 'la', critical)],
    ['schools against their cluster', profileRowsSql('2025-26', 'school', 'cluster', critical)],
    ['schools against their phase', profileRowsSql('2024-25', 'school', 'phase', critical)],
    ['clusters against the LA', profileRowsSql('2025-26', 'cluster', 'la', critical)],
  ] as const;
  it.each(variants)('%s', async (name, sql) => {
    const d = await onDuck(sql);
    const t = await onTrino(sql);
    expect(d.rows.length, `${name} returns rows`).toBeGreaterThan(0);
    // Both tests' rows are present: Wilson bounds (score rows) and none (exact rows, done in TypeScript).
    const low = d.columns.indexOf('ci_low');
    expect(d.rows.some((r) => r[low] !== null) && d.rows.some((r) => r[low] === null)).toBe(true);
    expectSameResult(name, d, t);
  });
});

/** SQL literal for a named query's parameter. */
const bind = (sql: string, values: string[]) => {
  let i = 0;
  return sql.replace(/\?/g, () => `'${values[i++]!.replace(/'/g, "''")}'`);
};

describe('every analyst named query gives the same rows on Trino and DuckDB', () => {
  const params: Record<string, () => Promise<string[]>> = {
    'school-segment-profile': async () => [String((await onDuck(`SELECT min(urn) FROM school_profile WHERE period = '2025-26'`)).rows[0]![0]), '2025-26'],
    'under-represented-segments': async () => ['2025-26'],
    'wards-by-gap': async () => ['2025-26'],
    'segment-trend': async () => ['supergroup'],
    'match-summary': async () => ['2025-26'],
    'match-rate-trend': async () => [],
    'first-preference-by-segment': async () => ['2025-26'],
  };
  for (const threshold of [5, 0]) {
    it.each(analystQueries(threshold).map((q) => [q.name, q] as const))(`threshold ${threshold}: %s`, async (name, q) => {
      const sql = bind(q.sql, await params[name]!());
      const d = await onDuck(sql);
      const t = await onTrino(sql);
      expect(d.rows.length, `${name} returns rows`).toBeGreaterThan(0);
      expectSameResult(name, d, t);
    });
  }
});

describe('IMD deciles', () => {
  const ranks = [1, 2, 164, 165, 3284, 3285, 3286, 16422, 29559, 29560, 29561, 32843, 32844];
  const values = ranks.map((r) => `(${r})`).join(', ');
  const deciles = (expr: string) => `SELECT r, ${expr} AS decile FROM (VALUES ${values}) AS t(r) ORDER BY r`;
  // The classify stage's expression over a postcode row: English ranks of the edition's LSOAs.
  const editionDeciles = (edition: string, country: string) =>
    `SELECT pc.imd_rank, ${imdDecileSql('pc')} AS decile FROM (SELECT r AS imd_rank, '${country}' AS country, '${edition}' AS imd_edition FROM (VALUES ${values}) AS t(r)) pc ORDER BY pc.imd_rank`;

  it('put every rank from 1 to 32,844 in deciles 1-10 on both engines (decile = ceil(rank * 10 / 32844))', async () => {
    const sql = editionDeciles('imd2019', 'E');
    const t = await onTrino(sql);
    expect(t.rows).toEqual(ranks.map((r) => [r, Math.ceil((r * 10) / 32844)]));
    expectSameResult('deciles', await onDuck(sql), t);
  });

  it('IMD 2025 ranks run over 33,755 LSOAs, and Welsh ranks get no English decile, on both engines', async () => {
    const sql = editionDeciles('imd2025', 'E');
    const t = await onTrino(sql);
    expect(t.rows).toEqual(ranks.map((r) => [r, Math.ceil((r * 10) / 33755)]));
    expectSameResult('deciles 2025', await onDuck(sql), t);
    const wales = await onTrino(editionDeciles('imd2019', 'W'));
    expect(wales.rows.every((r) => r[1] === null)).toBe(true);
  });

  it('the harness catches DECIMAL arithmetic: the old `imd_rank * 10.0 / 32844` differs on Trino', async () => {
    const old = deciles('CAST(ceil(r * 10.0 / 32844) AS INTEGER)');
    const t = await onTrino(old);
    const d = await onDuck(old);
    expect(d.rows).toEqual(ranks.map((r) => [r, Math.ceil((r * 10) / 32844)]));
    // Trino keeps one decimal place before ceil: rank 164 -> 0.0 -> decile 0.
    expect(t.rows.find((r) => r[0] === 164)![1]).toBe(0);
    expect(() => expectSameResult('old deciles', d, t)).toThrow();
  });

  it('the school facts of the boundary ranks land in deciles 1 and 10 on Trino', async () => {
    const sql = `SELECT sum(imd_decile_1) AS d1, sum(imd_decile_10) AS d10, sum(imd_unknown) AS unknown, sum(pupils) AS pupils FROM (${sharedStatements('2025-26').school_facts}) f`;
    const t = await onTrino(sql);
    const d = await onDuck(sql);
    expectSameResult('school facts deciles', d, t);
    const all = await onTrino(`SELECT ${Array.from({ length: 10 }, (_, i) => `sum(imd_decile_${i + 1})`).join(' + ')} + sum(imd_unknown) - sum(pupils) FROM (${sharedStatements('2025-26').school_facts}) f`);
    expect(all.rows[0]![0]).toBe(0);
  });
});

describe('Trino', () => {
  it('reads the lake the pipeline wrote (every table registered, rows visible)', async () => {
    for (const def of [...CURATED_TABLES, ...PUBLISHED_TABLES]) {
      const [[n]] = (await onTrino(`SELECT count(*) FROM ${def.name}`)).rows as [[number]];
      const [[m]] = (await onDuck(`SELECT count(*) FROM ${def.name}`)).rows as [[number]];
      expect(n, def.name).toBe(m);
    }
    expect(trino.startMs).toBeGreaterThan(0);
    // Figures for the record (BENCHMARKS.md / the report), not an assertion.
    process.stdout.write(`trino: started in ${trino.startMs} ms\n`);
  });
});

