/**
 * The nearest school of each application (enriched_admissions: schemas/sql/admissions.ts) is the
 * one a brute-force search over every candidate school gives (test/helpers/nearest-lake.ts, in
 * TypeScript): same URN, ties to the lowest, same great-circle km. The fixture is laid out so that
 * both routes of the statement's grid search are taken (the neighbouring cells prove the nearest;
 * they hold none or only a farther one and every school is searched), with ties in each; and the
 * test is shown to fail on a search that trusts the neighbouring cells alone or breaks ties the
 * other way. The same statement is proven on Trino in trino-equivalence.test.ts over this lake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissions, contacts, postcodes, schools, segments } from '../schemas/curated.ts';
import { enrichedAdmissionsSql } from '../schemas/sql/admissions.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { attachTables } from '../functions/lake/tables.ts';
import { removeDir, tempDir } from './helpers/fixtures.ts';
import { bruteForceNearest, latitudeFixture, NEAREST_PERIODS, NEAREST_VINTAGE, nearestFixture, writeNearestLake, type NearestFixture } from './helpers/nearest-lake.ts';

/** A fixture written as a lake, with a DuckDB over it; closed and removed after the suite (or describe). */
function lakeOf(f: NearestFixture): { sql: () => DuckDbEngine } {
  let root: string | undefined;
  let engine: DuckDbEngine | undefined;
  beforeAll(async () => {
    root = tempDir();
    await writeNearestLake(root, f);
    engine = await DuckDbEngine.create({ lakeRoot: root, threads: 1 });
    await attachTables(engine, [admissions, contacts, postcodes, schools, segments], new LocalObjectStore(root));
  });
  afterAll(async () => {
    await engine?.close();
    if (root) removeDir(root);
  });
  return { sql: () => engine! };
}

const fixture: NearestFixture = nearestFixture();
const [FULL, NO_SECONDARY] = NEAREST_PERIODS;
const main = lakeOf(fixture);

const rowsOf = async (text: string) => (await main.sql().query(text)).toArray().map((r) => r.toJSON() as Record<string, unknown>);

/** Applications whose nearest school differs from the brute force's (empty when right). */
async function wrongNearest(statement: string, period: string): Promise<string[]> {
  const expected = bruteForceNearest(fixture, period);
  const got = await rowsOf(statement);
  expect(got.map((r) => String(r.application_id)).sort()).toEqual([...expected.keys()].sort());
  const firstOf = new Map(fixture.applications.map((a) => [a.application_id, a.preference_1]));
  const wrong: string[] = [];
  for (const r of got) {
    const id = String(r.application_id);
    const e = expected.get(id)!;
    const km = r.nearest_km as number | null;
    const right = e === null ? r.nearest_urn === null && km === null : r.nearest_urn === e.urn && km !== null && Math.abs(km - e.km) <= 1e-9 * e.km;
    const firstIsNearest = e === null ? null : firstOf.get(id) === e.urn;
    if (!right || r.first_is_nearest !== firstIsNearest) wrong.push(`${id.slice(0, 24)}: ${String(r.nearest_urn)} ${km} (expected ${e?.urn ?? null} ${e?.km ?? null})`);
  }
  return wrong;
}

/** The statement's grid search, as counts of homes by route (the CTEs of enrichedAdmissionsSql). */
async function routes(period: string): Promise<Record<string, number>> {
  const full = enrichedAdmissionsSql(period, NEAREST_VINTAGE);
  const withs = full.slice(0, full.lastIndexOf('\nSELECT l.application_id'));
  expect(withs.length).toBeLessThan(full.length);
  const [r] = await rowsOf(`${withs}
SELECT (SELECT count(*) FROM home_cells) AS homes,
       (SELECT count(*) FROM best_near WHERE proven) AS found,
       (SELECT count(*) FROM best_near WHERE NOT proven) AS searched,
       (SELECT count(*) FROM best_near WHERE NOT proven AND urn IS NOT NULL) AS searched_after_farther,
       (SELECT count(*) FROM best_near WHERE urn IS NULL) AS searched_after_none,
       (SELECT string_agg(postcode || '/' || school_phase, ',') FROM best_near WHERE proven) AS found_homes,
       (SELECT string_agg(postcode || '/' || school_phase, ',') FROM best_near WHERE NOT proven) AS searched_homes`);
  return Object.fromEntries(Object.entries(r!).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : (v as number)]));
}

describe('the nearest school of each application', () => {
  it.each(NEAREST_PERIODS)('is the brute-force nearest of every candidate, ties to the lowest URN, with its great-circle km (%s)', async (period) => {
    expect(await wrongNearest(enrichedAdmissionsSql(period, NEAREST_VINTAGE), period)).toEqual([]);
  });

  it('the fixture takes both routes of the grid search, with a tie on each, and every kind of home', async () => {
    const r = await routes(FULL);
    expect(r.found).toBeGreaterThan(100);
    expect(r.searched_after_none).toBeGreaterThan(0);
    expect(r.searched_after_farther).toBeGreaterThan(0);
    expect(r.found + r.searched).toBe(r.homes);
    const found = String(r.found_homes).split(',');
    const searched = String(r.searched_homes ?? '').split(',');
    const [town, town2, country] = fixture.ties;
    expect(found).toContain(`${town!.postcode}/${town!.schoolPhase}`);
    expect(found).toContain(`${town2!.postcode}/${town2!.schoolPhase}`);
    expect(searched).toContain(`${country!.postcode}/${country!.schoolPhase}`);
    // The brute force sees the ties, and the lower URN wins them.
    const expected = bruteForceNearest(fixture, FULL);
    const tieWinners = new Set<string>();
    for (const a of fixture.applications.filter((x) => x.period === FULL && fixture.ties.some((t) => t.postcode === x.postcode && t.schoolPhase === (x.phase === 'secondary' ? 'secondary' : 'primary')))) {
      const e = expected.get(a.application_id)!;
      expect(e.tied).toBe(2);
      tieWinners.add(e.urn);
    }
    expect([...tieWinners].sort()).toEqual(['300001', '300003', '310001']);
    // Homes without a location, and a register without an open secondary school: no nearest.
    const unlocated = fixture.applications.filter((a) => a.period === FULL && !fixture.homes.some((h) => h.postcode === a.postcode && h.lat !== null && h.long !== null));
    expect(unlocated.length).toBeGreaterThan(2);
    expect([...expected].filter(([, e]) => e === null).map(([id]) => id).sort()).toEqual(unlocated.map((a) => a.application_id).sort());
    const noSecondary = bruteForceNearest(fixture, NO_SECONDARY);
    const secondary = fixture.applications.filter((a) => a.period === NO_SECONDARY && a.phase === 'secondary');
    expect(secondary.length).toBeGreaterThan(50);
    expect(secondary.every((a) => noSecondary.get(a.application_id) === null)).toBe(true);
  });

  it('would catch a search that trusts the neighbouring cells alone, or breaks ties the other way', async () => {
    const statement = enrichedAdmissionsSql(FULL, NEAREST_VINTAGE);
    const trusting = statement.replace('COALESCE(min(d2) <= reach2, false) AS proven', 'min(d2) IS NOT NULL AS proven');
    const otherTies = statement.replaceAll('min_by(urn, CASE WHEN urn IS NOT NULL THEN ROW(d2, urn) END)', 'max_by(urn, CASE WHEN urn IS NOT NULL THEN ROW(-d2, urn) END)');
    expect(trusting).not.toBe(statement);
    expect(otherTies).not.toBe(statement);
    expect((await wrongNearest(trusting, FULL)).length).toBeGreaterThan(0);
    expect((await wrongNearest(otherTies, FULL)).length).toBeGreaterThan(0);
  });
});

describe('the grid search north of the grid middle', () => {
  const { fixture: lat, north, inside, outside } = latitudeFixture();
  const latLake = lakeOf(lat);

  const nearestOf = async (statement: string) =>
    new Map((await latLake.sql().query(statement)).toArray().map((r) => [String(r.toJSON().application_id), String(r.toJSON().nearest_urn)]));

  it('shortens the reach where a degree of longitude is shorter, so the nearer school outside the 9 cells is found', async () => {
    const statement = enrichedAdmissionsSql(FULL, NEAREST_VINTAGE);
    const expected = bruteForceNearest(lat, FULL);
    const northApp = lat.applications.find((a) => a.period === FULL && a.postcode === north)!.application_id;
    expect(expected.get(northApp)?.urn).toBe(outside);
    const got = await nearestOf(statement);
    expect([...got].sort()).toEqual([...expected].map(([id, e]) => [id, String(e?.urn ?? null)]).sort());
    // Without the correction the school inside the 9 cells passes as proven: wrong.
    const uncorrected = statement.replace(/least\([^()]*, cos\(radians\(h\.lat\)\) \/ g\.cos_ref\)/, '1E0');
    expect(uncorrected).not.toBe(statement);
    expect((await nearestOf(uncorrected)).get(northApp)).toBe(inside);
  });
});
