/**
 * The analysts' profile tables are computed set-based (schemas/sql/profiles.ts profileRowsSql: counts,
 * shares, index, expected, z, Wilson bounds in SQL; p, exact intervals, p_adjusted and flag in
 * functions/profiles/profile-rows.ts). Every row must equal what the per-row TypeScript statistics
 * give (compare() over the per-school counts of the classify stage's school_segment_counts query,
 * an independent route to the counts), for each base (LA, cluster, phase) and for clusters. The
 * TypeScript statistics are themselves held to scipy in test/stats; the SQL is proven equal on
 * Trino in trino-equivalence.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../sample-data/generate.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { attachTables } from '../functions/lake/tables.ts';
import { CURATED_TABLES } from '../schemas/curated.ts';
import * as T from '../schemas/published.ts';
import { profileRowsSql } from '../schemas/sql/profiles.ts';
import { schoolSegmentCountsSql } from '../schemas/sql/classify.ts';
import { schoolsSql } from '../schemas/sql/profiles.ts';
import { criticalValues, ProfileTable } from '../functions/profiles/profile-rows.ts';
import { profileInputs } from '../functions/profiles/analysis-stage.ts';
import { clusterProfiles, emptyLevels, schoolProfiles, type BaseKind, type School, type SchoolCounts } from '../functions/profiles/school-profiles.ts';
import { LEVEL_ORDER, type Dictionary, type Level } from '../functions/profiles/dictionary.ts';
import type { Comparison } from '../functions/profiles/compare.ts';
import { toParquet } from '../functions/lake/parquet.ts';
import { removeDir, runLocal, tempDir } from './helpers/fixtures.ts';

const PERIOD = '2025-26';
let input: string;
let out: string;
let sql: DuckDbEngine;
let dict: Dictionary;
let counts: SchoolCounts;
let schools: Map<string, School>;

beforeAll(async () => {
  input = tempDir();
  out = tempDir();
  await generateSample({ out: input, scale: 'tiny' });
  const m = await runLocal(input, out, { period: PERIOD });
  expect(m.status).toBe('succeeded');
  sql = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
  await attachTables(sql, CURATED_TABLES, new LocalObjectStore(out));
  dict = (await profileInputs(sql)).dict;
  counts = new Map();
  const seg = (await sql.query(schoolSegmentCountsSql(PERIOD))).toArray().map((r) => r.toJSON() as Record<string, unknown>);
  for (const r of seg) {
    const urn = String(r.urn);
    if (!counts.has(urn)) counts.set(urn, emptyLevels());
    counts.get(urn)![r.level as Level].set(String(r.segment), Number(r.n));
  }
  schools = new Map(
    (await sql.query(schoolsSql(PERIOD))).toArray().map((row) => {
      const r = row.toJSON() as Record<string, unknown>;
      return [String(r.urn), { urn: String(r.urn), name: r.name as string, phase: (r.phase as string) ?? null, cluster: (r.cluster as string) ?? null, lat: null, long: null }];
    }),
  );
}, 300_000);

afterAll(async () => {
  await sql?.close();
  removeDir(input);
  removeDir(out);
});

const maxFamily = () => Math.max(...LEVEL_ORDER.map((l) => dict.codes[l].length));

/** The table's rows as objects keyed `unit|level|segment`. */
function rowsOf(t: ProfileTable, unitColumn: 'urn' | 'cluster'): Map<string, Record<string, unknown>> {
  const table = t.part(unitColumn === 'urn' ? T.schoolProfile : T.clusterProfile, 0, t.rows);
  const out = new Map<string, Record<string, unknown>>();
  for (const row of table.toArray()) {
    const r = row.toJSON() as Record<string, unknown>;
    out.set(`${r[unitColumn]}|${r.level}|${r.segment}`, r);
  }
  return out;
}

const FIELDS: [string, keyof Comparison][] = [
  ['n', 'O'],
  ['pct', 'pct'],
  ['base_n', 'B'],
  ['base_pct', 'basePct'],
  ['penetration', 'penetration'],
  ['index', 'index'],
  ['ci_low', 'ciLow'],
  ['ci_high', 'ciHigh'],
  ['ci_level', 'ciLevel'],
  ['z', 'z'],
  ['p', 'p'],
  ['p_adjusted', 'pAdjusted'],
  ['flag', 'flag'],
  ['reliable', 'reliable'],
];

/** Every field equal; doubles to 1e-12 relative (the SQL repeats the TypeScript's order of operations). */
function expectRow(where: string, got: Record<string, unknown>, want: Comparison) {
  for (const [col, field] of FIELDS) {
    const g = typeof got[col] === 'bigint' ? Number(got[col]) : got[col];
    const w = want[field];
    if (typeof w === 'number' && typeof g === 'number' && !Number.isInteger(w)) {
      expect(Math.abs(g - w), `${where} ${col}: ${g} vs ${w}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w)));
    } else {
      expect(g ?? null, `${where} ${col}`).toEqual(w ?? null);
    }
  }
}

describe('profile rows computed by the engine equal the TypeScript statistics row for row', () => {
  for (const kind of ['la', 'cluster', 'phase'] as BaseKind[]) {
    it(`school profiles against the ${kind}`, async () => {
      const table = new ProfileTable(await sql.queryLarge(profileRowsSql(PERIOD, 'school', kind, criticalValues(maxFamily())), `scratch/rows-${kind}`));
      const got = rowsOf(table, 'urn');
      let compared = 0;
      const methods = new Set<string | null>();
      for (const results of schoolProfiles(counts, schools, dict, kind)) {
        for (const r of results) {
          for (const c of r.rows) {
            const row = got.get(`${r.urn}|${r.level}|${c.segment}`);
            expect(row, `${r.urn} ${r.level} ${c.segment}`).toBeDefined();
            expectRow(`${r.urn} ${r.level} ${c.segment}`, row!, c);
            expect(row!.base).toBe(r.base);
            methods.add(c.method);
            compared++;
          }
        }
      }
      // Every (school, segment) of the grid, and both tests (score and exact) among them.
      expect(compared).toBe(got.size);
      expect(compared).toBe(counts.size * LEVEL_ORDER.reduce((n, l) => n + dict.codes[l].length, 0));
      expect(methods.has('score') && methods.has('exact')).toBe(true);
      expect(table.exactRows).toBeGreaterThan(0);
    });
  }

  it('cluster profiles against the LA', async () => {
    const table = new ProfileTable(await sql.queryLarge(profileRowsSql(PERIOD, 'cluster', 'la', criticalValues(maxFamily())), 'scratch/rows-clusters'));
    const got = rowsOf(table, 'cluster');
    const want = clusterProfiles(counts, schools, dict);
    expect(want.length).toBeGreaterThan(0);
    let compared = 0;
    for (const r of want) {
      for (const c of r.rows) {
        const row = got.get(`${r.cluster}|${r.level}|${c.segment}`);
        expect(row, `${r.cluster} ${r.level} ${c.segment}`).toBeDefined();
        expectRow(`${r.cluster} ${r.level} ${c.segment}`, row!, c);
        compared++;
      }
    }
    expect(compared).toBe(got.size);
  });

  it('the same bytes whatever order the engine returns the rows in', async () => {
    const text = profileRowsSql(PERIOD, 'school', 'la', criticalValues(maxFamily()));
    const a = await sql.queryLarge(`SELECT * FROM (${text}) ORDER BY unit_rank, dict_rank`, 'scratch/a');
    const b = await sql.queryLarge(`SELECT * FROM (${text}) ORDER BY unit_rank DESC, dict_rank DESC`, 'scratch/b');
    const ta = new ProfileTable(a).part(T.schoolProfile, 0, a.numRows);
    const tb = new ProfileTable(b).part(T.schoolProfile, 0, b.numRows);
    expect(Buffer.from(toParquet(tb)).equals(Buffer.from(toParquet(ta)))).toBe(true);
  });
});
