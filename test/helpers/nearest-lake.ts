/**
 * Test fixture: a small curated lake (Parquet, Hive-partitioned, the contracts' own columns) laid
 * out to catch a wrong nearest school in enriched_admissions: a dense town where the grid search
 * finds the nearest among the neighbouring cells, sparse country where it finds none or only a
 * farther one and must search every school, exact ties (the lowest URN wins) in both, a school
 * just outside the applicants' box that is nearer than any inside it (excluded, as always),
 * closed and special schools beside homes (never candidates), homes north and south of the grid's
 * middle and either side of the meridian, postcodes without a location, and a period whose
 * register has no open secondary school (no nearest). `bruteForceNearest` ranks every candidate
 * for every home in TypeScript: the oracle.
 */
import { dataColumnsOf, tablePrefix, type TableDef } from '../../schemas/columns.ts';
import { admissions, contacts, postcodes, schools, segments } from '../../schemas/curated.ts';
import { ColumnBuffer, type Value } from '../../functions/lake/column-buffer.ts';
import { toParquet } from '../../functions/lake/parquet.ts';
import { LocalObjectStore } from '../../functions/ports/local-store.ts';
import { EARTH_RADIUS_KM } from '../../schemas/sql/admissions.ts';
import { rng } from './rng.ts';

export const NEAREST_VINTAGE = '2026-08';
/** The period with the full register, and the one whose register has no open secondary. */
export const NEAREST_PERIODS = ['2025-26', '2024-25'] as const;

export interface Home {
  postcode: string;
  lat: number | null;
  long: number | null;
}
export interface School {
  urn: string;
  phase: string;
  status: string;
  lat: number;
  long: number;
  period: string;
}
export interface Application {
  application_id: string;
  phase: 'primary' | 'junior' | 'secondary';
  postcode: string | null;
  preference_1: string | null;
  period: string;
}
export interface NearestFixture {
  homes: Home[];
  schools: School[];
  applications: Application[];
  /** Homes built with an exact tie for their nearest school (postcode -> phase). */
  ties: { postcode: string; schoolPhase: 'primary' | 'secondary' }[];
}

/** Exactly representable offsets (powers of two), so tied distances are equal to the last bit. */
const TIE_NEAR = 2 ** -10;
const TIE_FAR = 2 ** -2;

export function nearestFixture(seed = 13): NearestFixture {
  const r = rng(seed);
  const between = (a: number, b: number) => a + (b - a) * r();
  const homes: Home[] = [];
  const located: School[] = [];
  const ties: NearestFixture['ties'] = [];
  let urn = 400000;
  const school = (phase: string, lat: number, long: number, status = 'open', u = String(urn++)) => located.push({ urn: u, phase, status, lat, long, period: '' });
  const home = (lat: number | null, long: number | null) => {
    const postcode = `NR${Math.floor(homes.length / 100) + 1} ${String(homes.length % 100).padStart(2, '0')}X`;
    homes.push({ postcode, lat, long });
    return postcode;
  };

  // Fixed places first; random schools keep clear of them so their nearest is what was built.
  const townTie = { lat: 51.28125, long: 0.1875 };
  const countryTie = { lat: 51.0625, long: -0.5625 };
  const edge = { lat: 52, long: 0 };
  const clear = (lat: number, long: number, gap: number) =>
    [townTie, countryTie, edge].every((p, i) => Math.hypot(p.lat - lat, p.long - long) > (i === 0 ? gap : 0.6));
  const randomSchool = (phase: string, lat0: number, lat1: number, long0: number, long1: number, gap: number) => {
    for (;;) {
      const lat = between(lat0, lat1);
      const long = between(long0, long1);
      if (clear(lat, long, gap)) return school(phase, lat, long);
    }
  };

  // A dense town: many primary schools and homes.
  for (let i = 0; i < 30; i++) randomSchool('primary', 51.25, 51.35, 0.12, 0.28, 0.01);
  for (let i = 0; i < 150; i++) home(between(51.24, 51.36), between(0.1, 0.3));
  // The country around it, both sides of the meridian, north and south.
  for (let i = 0; i < 20; i++) randomSchool('primary', 51.0, 52.0, -0.6, 0.6, 0.01);
  for (let i = 0; i < 6; i++) randomSchool('secondary', 51.0, 52.0, -0.6, 0.6, 0.02);
  for (let i = 0; i < 3; i++) randomSchool('all_through', 51.1, 51.9, -0.5, 0.5, 0.02);
  for (let i = 0; i < 80; i++) home(between(51.0, 52.0), between(-0.6, 0.6));
  // Ties: two schools equally near, the higher URN listed first.
  const townHome = home(townTie.lat, townTie.long);
  school('primary', townTie.lat + TIE_NEAR, townTie.long, 'open', '300002');
  school('primary', townTie.lat - TIE_NEAR, townTie.long, 'open', '300001');
  school('secondary', townTie.lat, townTie.long + 4 * TIE_NEAR, 'open', '310002');
  school('secondary', townTie.lat, townTie.long - 4 * TIE_NEAR, 'open', '310001');
  ties.push({ postcode: townHome, schoolPhase: 'primary' }, { postcode: townHome, schoolPhase: 'secondary' });
  const countryHome = home(countryTie.lat, countryTie.long);
  school('primary', countryTie.lat + TIE_FAR, countryTie.long, 'open', '300004');
  school('primary', countryTie.lat - TIE_FAR, countryTie.long, 'open', '300003');
  ties.push({ postcode: countryHome, schoolPhase: 'primary' });
  // The northern edge: the nearest primary of all lies outside the applicants' box (0.3 degrees
  // beyond the northernmost home), so the nearest is one inside it.
  home(edge.lat, edge.long);
  school('primary', edge.lat + 0.35, edge.long);
  // Not candidates, however near: closed, special, proposed to open.
  for (const [i, h] of homes.slice(0, 40).entries()) {
    school(['primary', 'secondary'][i % 2]!, h.lat! + 1e-5, h.long!, i % 3 === 0 ? 'closed' : 'proposed_to_open');
    if (i % 5 === 0) school('special', h.lat!, h.long! + 1e-5);
  }
  // Postcodes without a location.
  home(null, null);
  home(null, 0.1);

  const [full, noSecondary] = NEAREST_PERIODS;
  const register = [
    ...located.map((s) => ({ ...s, period: full })),
    ...located.map((s) => ({ ...s, period: noSecondary, status: s.phase === 'secondary' && s.status === 'open' ? 'closed' : s.status })).filter((s) => s.phase !== 'all_through'),
  ];
  const applications: Application[] = [];
  const phases = ['primary', 'junior', 'secondary'] as const;
  for (const period of NEAREST_PERIODS) {
    for (const [i, h] of homes.entries()) {
      for (const phase of phases) {
        if ((i + phases.indexOf(phase)) % 2 === 0 && !ties.some((t) => t.postcode === h.postcode)) continue;
        const firstPool = register.filter((s) => s.period === period && s.status === 'open');
        applications.push({
          application_id: `${period}-${phase}-${String(i).padStart(4, '0')}`.padEnd(64, 'x'),
          phase,
          postcode: h.postcode,
          preference_1: firstPool[Math.floor(r() * firstPool.length)]!.urn,
          period,
        });
      }
    }
    // An application whose postcode is not in the lookup, and one with none.
    applications.push({ application_id: `${period}-unknown`.padEnd(64, '0'), phase: 'primary', postcode: 'ZZ9 9ZZ', preference_1: null, period });
    applications.push({ application_id: `${period}-blank`.padEnd(64, '0'), phase: 'secondary', postcode: null, preference_1: null, period });
  }
  return { homes, schools: register, applications, ties };
}

/** One partition of a curated table as one Parquet part, the contract's data columns (missing values null). */
export async function writeTable(lake: LocalObjectStore, def: TableDef, partition: string, rows: Record<string, Value>[]): Promise<void> {
  const columns = dataColumnsOf(def);
  const buf = new ColumnBuffer(columns);
  for (const row of rows) buf.append(columns.map((c) => row[c.name] ?? null));
  await lake.put(`${tablePrefix(def)}/${def.partitions[0]}=${partition}/part-00000.parquet`, toParquet(buf.drain()));
}

const sectorOf = (postcode: string | null) => (postcode ? postcode.slice(0, -2) : null);

/** Write the fixture as curated admissions, schools, postcodes, contacts and segments under `root`. */
export async function writeNearestLake(root: string, f: NearestFixture): Promise<void> {
  const lake = new LocalObjectStore(root);
  await writeTable(lake, segments, NEAREST_VINTAGE, [{ subgroup_code: '1a1', subgroup_name: 'Sub', group_code: '1a', group_name: 'Group', supergroup_code: '1', supergroup_name: 'Super', description: null, classification: 'oac21' }]);
  for (const period of NEAREST_PERIODS) {
    await writeTable(
      lake,
      schools,
      period,
      f.schools
        .filter((s) => s.period === period)
        .map((s) => {
          // Each school at a home-like postcode of its own (the register locates schools through the lookup).
          return { urn: s.urn, laestab: null, name: `School ${s.urn}`, phase: s.phase, cluster: null, postcode: `SC${s.urn}`, sector: null, la_code: null, status: s.status };
        }),
    );
    await writeTable(
      lake,
      admissions,
      period,
      f.applications
        .filter((a) => a.period === period)
        .map((a) => ({ application_id: a.application_id, pupil_id: null, entry_year: Number(period.slice(0, 4)) + 1, phase: a.phase, postcode: a.postcode, sector: sectorOf(a.postcode), preference_1: a.preference_1, preferences: a.preference_1 ? 1 : 0, offered_urn: null, offered_rank: null, on_time: true })),
    );
    await writeTable(lake, contacts, period, [{ contact_id: `c-${period}`, contact_date: 20000, channel: 'helpline', postcode: f.homes[0]!.postcode, sector: sectorOf(f.homes[0]!.postcode), child_urn: null, child_ncyear: null }]);
  }
  // The schools' own postcodes (one per school; both periods' registers share them).
  const schoolPostcodes = new Map(f.schools.map((s) => [s.urn, s]));
  const all = [...f.homes.map((h) => ({ postcode: h.postcode, lat: h.lat, long: h.long })), ...[...schoolPostcodes.values()].map((s) => ({ postcode: `SC${s.urn}`, lat: s.lat, long: s.long }))];
  await writeTable(
    lake,
    postcodes,
    NEAREST_VINTAGE,
    all.map((h) => ({ postcode: h.postcode, sector: sectorOf(h.postcode), terminated: false, segment: '1a1', ward: 'E05000001', lsoa: 'E01000001', laua: 'E07000001', country: 'E', imd_rank: 100, imd_edition: 'imd2019', lat: h.lat, long: h.long })),
  );
}

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle km, the statement's haversine. */
export function haversineKm(lat1: number, long1: number, lat2: number, long2: number): number {
  const a = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(long2 - long1) / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(a));
}

export interface Nearest {
  urn: string;
  km: number;
  /** Schools at the same least distance (a tie when more than one). */
  tied: number;
}

/**
 * The nearest school of each located application, ranking every candidate for every home: open
 * (or open, proposed to close) schools of the round's phase (all-through for both) in the period's
 * register, inside the applicants' homes' extent widened by 0.3 degrees of latitude and 0.5 of
 * longitude; flat-earth distance at the home's latitude, ties to the lowest URN.
 */
export function bruteForceNearest(f: NearestFixture, period: string): Map<string, Nearest | null> {
  const where = new Map(f.homes.map((h) => [h.postcode, h]));
  const apps = f.applications.filter((a) => a.period === period);
  const homes = apps.map((a) => where.get(a.postcode ?? '')).filter((h): h is Home => h !== undefined && h.lat !== null && h.long !== null);
  const lats = homes.map((h) => h.lat!);
  const longs = homes.map((h) => h.long!);
  const box = { lat0: Math.min(...lats) - 0.3, lat1: Math.max(...lats) + 0.3, long0: Math.min(...longs) - 0.5, long1: Math.max(...longs) + 0.5 };
  const out = new Map<string, Nearest | null>();
  for (const a of apps) {
    const h = where.get(a.postcode ?? '');
    if (!h || h.lat === null || h.long === null) {
      out.set(a.application_id, null);
      continue;
    }
    const phase = a.phase === 'secondary' ? 'secondary' : 'primary';
    let best: { d2: number; s: School; tied: number } | null = null;
    for (const s of f.schools) {
      if (s.period !== period || !['open', 'open_proposed_to_close'].includes(s.status) || ![phase, 'all_through'].includes(s.phase)) continue;
      if (s.lat < box.lat0 || s.lat > box.lat1 || s.long < box.long0 || s.long > box.long1) continue;
      const d2 = (s.lat - h.lat) ** 2 + ((s.long - h.long) * Math.cos(rad(h.lat))) ** 2;
      if (!best || d2 < best.d2 || (d2 === best.d2 && s.urn < best.s.urn)) best = { d2, s, tied: best && d2 === best.d2 ? best.tied + 1 : 1 };
      else if (d2 === best.d2) best.tied++;
    }
    out.set(a.application_id, best ? { urn: best.s.urn, km: haversineKm(h.lat, h.long, best.s.lat, best.s.long), tied: best.tied } : null);
  }
  return out;
}

/**
 * A fixture for the grid search's latitude correction: applicants spread from 50 to 56 degrees
 * north, so a degree of longitude at the northern home is 7% shorter than at the grid's middle,
 * where cells are sized. That home sits at the eastern edge of its cell with two primary schools:
 * one inside its 9 cells (0.97 of a cell's side due south) and one just outside them to the east,
 * nearer (about 0.95 of a side, the shorter longitude). Only a reach shortened for the home's
 * latitude sends it to the full search; without it, the school in the 9 cells is taken as proven.
 * Returns the fixture and the postcode and URNs of that construction.
 */
export function latitudeFixture(): { fixture: NearestFixture; north: string; inside: string; outside: string } {
  const homes: Home[] = [
    { postcode: 'LT1 1AA', lat: 50.0, long: -0.2 },
    { postcode: 'LT1 1AB', lat: 50.0, long: 0.2 },
    { postcode: 'LT1 1AD', lat: 56.05, long: -0.2 },
  ];
  const r = rng(29);
  const located: Omit<School, 'period'>[] = [];
  // Schools far south of the northern home: they set the cell size, never its nearest.
  for (let i = 0; i < 38; i++) located.push({ urn: String(500100 + i), phase: 'primary', status: 'open', lat: 50 + 0.5 * r(), long: -0.2 + 0.4 * r() });
  const count = located.length + 2;
  // The statement's grid (enrichedAdmissionsSql: box, cos_ref, cell), from the homes above.
  const lat0 = 50.0 - 0.3;
  const lat1 = 56.05 + 0.3;
  const long0 = -0.2 - 0.5;
  const long1 = 0.2 + 0.5;
  const cosRef = Math.cos(rad((50.0 + 56.05) / 2));
  const cell = Math.sqrt(((lat1 - lat0) * (long1 - long0) * cosRef) / count);
  const xOf = (long: number) => ((long - long0) * cosRef) / cell;
  // The northern home 98% across cell 0 from the west; its 9 cells end at cell 1's eastern edge.
  const north = { postcode: 'LT1 1AE', lat: 56.0, long: long0 + (0.98 * cell) / cosRef };
  homes.push(north);
  const inside = { urn: '500001', phase: 'primary', status: 'open', lat: north.lat - 0.97 * cell, long: north.long };
  const outside = { urn: '500002', phase: 'primary', status: 'open', lat: north.lat, long: long0 + (2 * cell) / cosRef + 1e-6 };
  if (Math.floor(xOf(north.long)) !== 0 || Math.floor(xOf(outside.long)) !== 2 || outside.long > long1) throw new Error('latitude fixture: cells not as built');
  located.push(inside, outside);
  const schools = NEAREST_PERIODS.flatMap((period) => located.map((s) => ({ ...s, period })));
  const applications: Application[] = NEAREST_PERIODS.flatMap((period) =>
    homes.map((h, i) => ({ application_id: `${period}-lat-${i}`.padEnd(64, 'x'), phase: 'primary' as const, postcode: h.postcode, preference_1: inside.urn, period })),
  );
  return { fixture: { homes, schools, applications, ties: [] }, north: north.postcode, inside: inside.urn, outside: outside.urn };
}
