/**
 * The pupils' extent that places a period's map grid is scanned once per run: the profiles stage
 * scans every pupil for its school maps and keeps the extent in the run's staging area; the
 * admissions stage (the fair-access report's map; on AWS another function) reads it back. The grid
 * is the same either way, and another run scans again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrichedPupils, postcodes } from '../schemas/curated.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { attachTables } from '../functions/lake/tables.ts';
import { loadMapGrid, pupilExtentKey } from '../functions/maps/load.ts';
import type { MapGrid } from '../functions/maps/grid.ts';
import { removeDir, tempDir } from './helpers/fixtures.ts';
import { NEAREST_VINTAGE, nearestFixture, writeNearestLake, writeTable } from './helpers/nearest-lake.ts';

const PERIOD = '2025-26';
let root: string;
let lake: LocalObjectStore;
let sql: DuckDbEngine;
const scans: string[] = [];

beforeAll(async () => {
  root = tempDir();
  const f = nearestFixture();
  await writeNearestLake(root, f);
  lake = new LocalObjectStore(root);
  // The pupils as classify leaves them: each with its home postcode's position (null for some).
  const none = { subgroup: null, group_code: null, supergroup: null, ward: null, lsoa: null, imd_rank: null, imd_decile: null };
  await writeTable(
    lake,
    enrichedPupils,
    PERIOD,
    f.homes.map((h, i) => ({ pupil_id: String(i).padStart(64, '0'), urn: '400000', ncyear: '6', fsm: false, match_status: 'unmatched', ...none, lat: h.lat, long: h.long })),
  );
  sql = await DuckDbEngine.create({ lakeRoot: root, threads: 1 });
  await attachTables(sql, [enrichedPupils, postcodes], lake);
  const query = sql.query.bind(sql);
  sql.query = (text: string) => {
    if (/FROM enriched_pupils e/.test(text) && /min\(e\.lat\)/.test(text)) scans.push(text);
    return query(text);
  };
});

afterAll(async () => {
  await sql?.close();
  if (root) removeDir(root);
});

const shape = (g: MapGrid | null) => JSON.stringify(g);

describe("the pupils' extent of a period's map grid", () => {
  it('is scanned once per run and period by the profiles stage, kept in the run’s staging area, and gives the same grid', async () => {
    const fresh = await loadMapGrid(sql, PERIOD, NEAREST_VINTAGE);
    expect(fresh).not.toBeNull();
    expect(scans.length).toBe(1);
    const first = await loadMapGrid(sql, PERIOD, NEAREST_VINTAGE, { lake, runId: 'run-a', mode: 'write' });
    expect(scans.length).toBe(2);
    expect(await lake.exists(pupilExtentKey('run-a', PERIOD))).toBe(true);
    const again = await loadMapGrid(sql, PERIOD, NEAREST_VINTAGE, { lake, runId: 'run-a', mode: 'read' });
    expect(scans.length).toBe(2);
    expect(shape(first)).toBe(shape(fresh));
    expect(shape(again)).toBe(shape(fresh));
    // Another run keeps nothing of run-a's: a reader there scans.
    await loadMapGrid(sql, PERIOD, NEAREST_VINTAGE, { lake, runId: 'run-b', mode: 'read' });
    expect(scans.length).toBe(3);
    expect(await lake.exists(pupilExtentKey('run-b', PERIOD))).toBe(false);
  });

  it('a retried profiles stage scans again and replaces what an earlier attempt kept', async () => {
    const key = pupilExtentKey('run-r', PERIOD);
    await lake.put(key, JSON.stringify({ latMin: 0, latMax: 1, longMin: 0, longMax: 1, latMean: 0.5, longMean: 0.5 }));
    const before = scans.length;
    const grid = await loadMapGrid(sql, PERIOD, NEAREST_VINTAGE, { lake, runId: 'run-r', mode: 'write' });
    expect(scans.length).toBe(before + 1);
    expect(shape(grid)).toBe(shape(await loadMapGrid(sql, PERIOD, NEAREST_VINTAGE)));
    expect(JSON.parse(Buffer.from(await lake.get(key)).toString()).latMean).not.toBe(0.5);
  });

  it('keeps "no located pupil" too (no grid, and no second scan)', async () => {
    const before = scans.length;
    expect(await loadMapGrid(sql, '2019-20', NEAREST_VINTAGE, { lake, runId: 'run-c', mode: 'write' })).toBeNull();
    expect(await loadMapGrid(sql, '2019-20', NEAREST_VINTAGE, { lake, runId: 'run-c', mode: 'read' })).toBeNull();
    expect(scans.length).toBe(before + 1);
  });
});
