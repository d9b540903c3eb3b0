/**
 * Deterministic fixture documents for the PDF renderer: realistic ProfileDocuments for N schools
 * (OAC 2011 names) built by the pipeline's own functions from simulated exact counts (shown counts
 * and audit, LA base, cluster ranges and similar schools from shown counts, the statistics), and a
 * FairAccessDocument built by the pipeline's fair-access functions from simulated clients.
 * Every document is validated with the zod schema's parse.
 *
 * Same options, same documents: a small seeded PRNG drives everything. Names are made up.
 * `rawCounts` keeps the true (unsuppressed) supergroup counts so tests can check that the renderer
 * never prints a hidden number.
 */
import { fairAccessDocument, type FairAccessDocument } from '../../schemas/fair-access-document.ts';
import { OAC11_NAMES } from '../../schemas/oac11.ts';
import { profileDocument, type ProfileDocument } from '../../schemas/profile-document.ts';
import { DEFAULT_RULE } from '../../functions/domain/stats/disclosure.ts';
import { profileDocumentFor } from '../../functions/profiles/documents.ts';
import { Dictionary, type Level } from '../../functions/profiles/dictionary.ts';
import { baseTotals, clusterVariation, similarSchools, type School, type SchoolCounts } from '../../functions/profiles/school-profiles.ts';
import { imdKey, schoolLines, showSchool, type SchoolFacts, type ShownSchool } from '../../functions/profiles/shown-counts.ts';
import { fairAccess, trend, type PlaceCount } from '../../functions/profiles/fair-access.ts';
import { fairAccessDocumentFor } from '../../functions/profiles/fair-access-document.ts';

// ---------------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------------
export { rng } from './rng.ts';
import { rng } from './rng.ts';
import { simulatedMaps } from './maps.ts';
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
function gamma(r: () => number, k: number): number {
  // Marsaglia-Tsang; boost for k < 1.
  if (k < 1) return gamma(r, k + 1) * Math.pow(r() || 1e-12, 1 / k);
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      const u1 = r() || 1e-12;
      const u2 = r();
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = r() || 1e-12;
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
function dirichlet(r: () => number, alpha: readonly number[]): number[] {
  const g = alpha.map((a) => gamma(r, Math.max(a, 1e-3)));
  const s = g.reduce((a, b) => a + b, 0) || 1;
  return g.map((x) => x / s);
}
/** Multinomial counts by sampling n items (n is at most a few thousand here). */
function multinomial(r: () => number, n: number, p: readonly number[]): number[] {
  const cum: number[] = [];
  let s = 0;
  for (const x of p) cum.push((s += x));
  const out = p.map(() => 0);
  for (let i = 0; i < n; i++) {
    const u = r() * s;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out[lo]!++;
  }
  return out;
}
const binomial = (r: () => number, n: number, p: number) => {
  let k = 0;
  for (let i = 0; i < n; i++) if (r() < p) k++;
  return k;
};

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------
const PLACES = [
  'Alderbrook', 'Ashcombe', 'Beckmere', 'Birchgate', 'Bramhurst', 'Brookdene', 'Calderwick', 'Claymarsh',
  'Coldharbour Vale', 'Crandale', 'Darnholt', 'Elmcliffe', 'Fernleigh', 'Foxmere', 'Glendale', 'Goldhurst',
  'Hartwell Green', 'Hazelmere', 'Holmdene', 'Ivybridge Park', 'Kestrel Heath', 'Larkstead', 'Marlgate',
  'Millthorpe', 'Netherby', 'Oakridge', 'Pennington Vale', 'Queensmead', 'Ravensholt', 'Rookwell',
  'Rushcombe', 'Sandmere', 'Sorrelby', 'Stanwick', 'Tansy Hill', 'Thornmere', 'Upperholt', 'Walcombe',
  'Willowmere', 'Woldgate', 'Wynstead', 'Yewcliffe', 'Heronsgate', 'Barkhurst', 'Flintcombe', 'Lyndale',
];
const SAINTS = ['St Mary', 'St John', 'St Peter', 'St Andrew', 'St Thérèse', 'Holy Trinity', 'St Michael', 'All Saints', 'St Augustine', 'Our Lady'];
const PRIMARY_KINDS = ['Primary School', 'Community Primary School', 'Infant School', 'Junior School', 'Primary Academy', 'C of E Primary School'];
const SECONDARY_KINDS = ['Academy', 'High School', 'School', 'Grammar School', 'Community College', 'Church of England Academy'];
const CLUSTERS = [
  'North Downs', 'Marshside', 'Riverside', 'Weald Central', 'Coastal East', 'Coastal West', 'Town Centre', 'Valley', 'Heathlands',
  'Orchard', 'Harbour', 'Moorside', 'Castle', 'Forest Edge', 'Estuary', 'Hillside', 'Three Rivers', 'Chalk Ridge', 'Brookvale',
  'Eastgate', 'Westgate', 'Northfields', 'Southfields',
];
const LA_NAMES = ['Wealdshire County Council', 'Marlborough Vale Council', 'Eastmere Borough Council', 'Holmshire County Council', 'Riverby City Council'];

function schoolName(r: () => number, phase: string, used: Set<string>): string {
  for (let tries = 0; ; tries++) {
    const place = pick(r, PLACES);
    let name: string;
    const u = r();
    if (phase === 'Secondary') {
      name = u < 0.15 ? `${pick(r, SAINTS)}'s ${pick(r, SECONDARY_KINDS)}` : `${place} ${pick(r, SECONDARY_KINDS)}`;
    } else if (phase === 'Special') {
      name = `${place} ${pick(r, ['Special School', 'School', 'Academy'])}`;
    } else if (u < 0.04) {
      name = `${pick(r, SAINTS.filter((x) => x.startsWith('St ')))}'s Church of England Voluntary Aided Primary School and Nursery, ${place}`;
    } else if (u < 0.3) {
      name = `${pick(r, SAINTS)}'s ${pick(r, ['Catholic Primary School', 'C of E Primary School', 'C of E Infant School'])}, ${place}`;
    } else {
      name = `${place} ${pick(r, PRIMARY_KINDS)}`;
    }
    if (!used.has(name) || tries > 20) {
      if (used.has(name)) name = `${name} (${used.size})`;
      used.add(name);
      return name;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------
const SUBGROUPS = OAC11_NAMES.filter((x) => x.code !== '9Z9');
const SG_CODES = [...new Set(SUBGROUPS.map((x) => x.code[0]!))];
const GROUP_CODES = [...new Set(SUBGROUPS.map((x) => x.code.slice(0, 2)))];
const nameOf = {
  supergroup: (c: string) => SUBGROUPS.find((x) => x.code[0] === c)!.supergroup,
  group: (c: string) => SUBGROUPS.find((x) => x.code.slice(0, 2) === c)!.group,
  subgroup: (c: string) => SUBGROUPS.find((x) => x.code === c)!.subgroup,
};
/** Rough deprivation tilt of each supergroup (0 = least, 1 = most deprived), for IMD and FSM. */
const DEPRIVATION: Record<string, number> = { '1': 0.25, '2': 0.4, '3': 0.6, '4': 0.7, '5': 0.35, '6': 0.2, '7': 0.85, '8': 0.8 };

export interface FixtureOptions {
  seed?: number;
  threshold?: number;
  period?: string;
  /** Schools per LA (documents are generated LA by LA; the base is the LA's pupils). */
  schoolsPerLa?: number;
  /** Give subgroups a description (as a classification with a dictionary would). */
  descriptions?: boolean;
  /** Give each school a map of where its pupils live (helpers/maps.ts). */
  maps?: boolean;
}

export interface ProfileFixture {
  doc: ProfileDocument;
  /** True supergroup counts before disclosure control (never in the document). */
  rawCounts: Record<string, number>;
}

interface SchoolSim {
  urn: string;
  name: string;
  phase: string;
  cluster: string;
  lat: number;
  lon: number;
  sub: number[]; // classified pupils by subgroup (index into SUBGROUPS)
  unclassified: number;
  match: { exact: number; terminated: number; sector: number; unmatched: number; invalid: number };
  fsm: number;
  imd: number[]; // by decile 1..10
}

function simulateSchool(r: () => number, urn: string, name: string, phase: string, cluster: string, centre: [number, number], baseShare: number[]): SchoolSim {
  const size =
    phase === 'Secondary' ? 500 + Math.floor(r() * 1300) : phase === 'Special' ? 30 + Math.floor(r() * 150) : r() < 0.06 ? 18 + Math.floor(r() * 40) : 90 + Math.floor(r() * 520);
  // A catchment leans towards one or two supergroups.
  const lean = pick(r, SG_CODES);
  const lean2 = pick(r, SG_CODES);
  const strength = 1 + r() * 5;
  const alpha = SUBGROUPS.map((s, i) => baseShare[i]! * 60 * (s.code[0] === lean ? strength : 1) * (s.code[0] === lean2 ? 1 + strength / 3 : 1));
  const share = dirichlet(r, alpha);
  const newHomes = r() < 0.12; // near a new development: many postcodes too new for the classification
  const invalid = binomial(r, size, 0.004);
  const unmatched = binomial(r, size - invalid, 0.006);
  const classified = size - invalid - unmatched;
  const sector = binomial(r, classified, newHomes ? 0.06 + r() * 0.08 : 0.004);
  const terminated = binomial(r, classified - sector, 0.01);
  const exact = classified - sector - terminated;
  const sub = multinomial(r, classified, share);
  const dep = sub.reduce((s, n, i) => s + n * DEPRIVATION[SUBGROUPS[i]!.code[0]!]!, 0) / Math.max(1, classified);
  const imdP = Array.from({ length: 10 }, (_, k) => Math.exp(-((k / 9 - (1 - dep)) ** 2) / 0.08));
  const imd = multinomial(r, size, imdP);
  const fsm = binomial(r, size, Math.min(0.6, Math.max(0.02, dep * 0.45 - 0.05)));
  return {
    urn,
    name,
    phase,
    cluster,
    lat: centre[0] + (r() - 0.5) * 0.3,
    lon: centre[1] + (r() - 0.5) * 0.45,
    sub,
    unclassified: invalid + unmatched,
    match: { exact, terminated, sector, unmatched, invalid },
    fsm,
    imd,
  };
}

const FIXTURE_CLASSIFICATION = { name: '2011 Output Area Classification (ONS)', vintage: 'NSPL November 2024', edition: 'oac11', imd: 'English Indices of Deprivation 2019' } as const;

/** The OAC 2011 dictionary of the fixtures. */
export const OAC_DICTIONARY = new Dictionary(
  SUBGROUPS.map((x) => ({
    subgroup: x.code,
    subgroupName: x.subgroup,
    group: x.code.slice(0, 2),
    groupName: x.group,
    supergroup: x.code[0]!,
    supergroupName: x.supergroup,
    description: null,
  })),
);

function levelCounts(sub: readonly number[]): Record<Level, Map<string, number>> {
  const out = { supergroup: new Map<string, number>(), group: new Map<string, number>(), subgroup: new Map<string, number>() };
  SUBGROUPS.forEach((s, i) => {
    const n = sub[i]!;
    out.subgroup.set(s.code, n);
    out.group.set(s.code.slice(0, 2), (out.group.get(s.code.slice(0, 2)) ?? 0) + n);
    out.supergroup.set(s.code[0]!, (out.supergroup.get(s.code[0]!) ?? 0) + n);
  });
  return out;
}

function factsOf(s: SchoolSim): SchoolFacts {
  const classified = s.sub.reduce((a, b) => a + b, 0);
  const pupils = classified + s.unclassified;
  const known = s.imd.reduce((a, b) => a + b, 0);
  return { pupils, classified, fsm_n: s.fsm, ...s.match, imd: s.imd, imdUnknown: pupils - known };
}

/**
 * Profile documents for schools of one LA, built exactly as the analysis stage builds them: each
 * school's shown counts, the LA base and the cluster ranges and similar schools from shown counts.
 */
export function documentsForLa(sims: SchoolSim[], opts: { laName: string; period: string; threshold: number; descriptions: boolean; dict?: Dictionary; maps?: boolean }): ProfileDocument[] {
  const dict = opts.dict ?? (opts.descriptions ? describedDictionary() : OAC_DICTIONARY);
  const rule = { ...DEFAULT_RULE, threshold: opts.threshold };
  const lines = schoolLines(dict);
  const schools = new Map<string, School>(sims.map((s) => [s.urn, { urn: s.urn, name: s.name, phase: s.phase, cluster: s.cluster, lat: s.lat, long: s.lon }]));
  const mapped = opts.maps ? simulatedMaps(sims.map((s) => ({ urn: s.urn, lat: s.lat, long: s.lon, matched: s.match.exact + s.match.terminated }))) : undefined;
  const shown = new Map<string, ShownSchool>(sims.map((s) => [s.urn, showSchool(s.urn, factsOf(s), levelCounts(s.sub), dict, rule, lines, 'on', mapped?.maps.get(s.urn))]));
  const shownCounts: SchoolCounts = new Map([...shown].map(([u, x]) => [u, { supergroup: x.segmentVector('supergroup'), group: x.segmentVector('group'), subgroup: x.segmentVector('subgroup') }]));
  const base = baseTotals(shownCounts, schools, 'la').get('la')!;
  const baseImd = new Array<number>(11).fill(0);
  for (const x of shown.values()) for (let i = 0; i < 11; i++) baseImd[i]! += x.aggregate(imdKey(i < 10 ? i + 1 : 'unknown'));
  const variation = clusterVariation(shownCounts, schools, dict);
  const similar = similarSchools(shownCounts, schools, dict);
  const label = `all pupils in ${opts.laName.replace(/ (County|Borough|City)? ?Council( \d+)?$/, '$2').trim()}`;
  return sims.map((s) =>
    profileDocument.parse(
      profileDocumentFor({
        period: opts.period,
        laName: opts.laName,
        classification: FIXTURE_CLASSIFICATION,
        rule,
        school: schools.get(s.urn)!,
        base: { kind: 'la', label },
        shown: shown.get(s.urn)!,
        baseCounts: base,
        baseImd,
        similar: similar.filter((x) => x.urn === s.urn).map((x) => ({ ...x, name: schools.get(x.similarUrn)!.name! })),
        clusterSchools: sims.filter((o) => o.cluster === s.cluster).length,
        variation: variation.filter((v) => v.cluster === s.cluster),
        dict,
        grid: mapped?.grid,
      }),
    ),
  );
}

let described: Dictionary | null = null;
function describedDictionary(): Dictionary {
  described ??= new Dictionary(
    SUBGROUPS.map((x) => ({
      subgroup: x.code,
      subgroupName: x.subgroup,
      group: x.code.slice(0, 2),
      groupName: x.group,
      supergroup: x.code[0]!,
      supergroupName: x.supergroup,
      description: `Areas like ${x.subgroup.toLowerCase()}, within ${x.group.toLowerCase()}.`,
    })),
  );
  return described;
}

/**
 * Profile documents for `count` schools, LA by LA. Deterministic for given options.
 */
export function makeProfileFixtures(count: number, opts: FixtureOptions = {}): ProfileFixture[] {
  const out: ProfileFixture[] = [];
  for (const batch of profileFixtureBatches(count, opts)) out.push(...batch);
  return out;
}

/** The same fixtures, one LA at a time (England-scale runs without holding every document). */
export function* profileFixtureBatches(count: number, opts: FixtureOptions = {}): Generator<ProfileFixture[]> {
  const seed = opts.seed ?? 20250901;
  const threshold = opts.threshold ?? 5;
  const period = opts.period ?? '2025-26';
  const perLa = Math.max(2, opts.schoolsPerLa ?? 143);
  let made = 0;
  let urnSeq = 100000 + (seed % 1000) * 100;
  for (let la = 0; made < count; la++) {
    const r = rng(seed * 7919 + la * 104729);
    const n = Math.min(perLa, count - made);
    const laName = LA_NAMES[la % LA_NAMES.length]! + (la >= LA_NAMES.length ? ` ${Math.floor(la / LA_NAMES.length) + 1}` : '');
    const laShare = dirichlet(
      r,
      SUBGROUPS.map(() => 1.2),
    );
    const nClusters = Math.max(1, Math.min(CLUSTERS.length, Math.round(n / 14)));
    const clusters = CLUSTERS.slice(0, nClusters);
    const centres = clusters.map(() => [51 + r() * 1.5, -2 + r() * 3] as [number, number]);
    const used = new Set<string>();
    const sims: SchoolSim[] = [];
    for (let i = 0; i < n; i++) {
      const u = r();
      const phase = u < 0.8 ? 'Primary' : u < 0.96 ? 'Secondary' : 'Special';
      const c = Math.floor(r() * nClusters);
      sims.push(simulateSchool(r, String(urnSeq++), schoolName(r, phase, used), phase, clusters[c]!, centres[c]!, laShare));
    }
    const docs = documentsForLa(sims, { laName, period, threshold, descriptions: opts.descriptions ?? false, maps: opts.maps });
    const out = docs.map((doc, i) => ({ doc, rawCounts: Object.fromEntries(levelCounts(sims[i]!.sub).supergroup) }));
    made += out.length;
    yield out;
  }
}

export function makeProfileDocuments(count: number, opts: FixtureOptions = {}): ProfileDocument[] {
  return makeProfileFixtures(count, opts).map((f) => f.doc);
}

/**
 * A school with known small supergroup counts: 2 pupils in 'Cosmopolitans' and 3 in 'Ethnicity
 * central' (both "c" in the document), among generated schools of one LA, built by the pipeline's
 * functions.
 */
export function makeSmallCountsFixture(opts: FixtureOptions = {}): ProfileFixture {
  const r = rng((opts.seed ?? 20250901) * 31 + 7);
  const laShare = dirichlet(
    r,
    SUBGROUPS.map(() => 1.2),
  );
  const used = new Set<string>();
  const sims = Array.from({ length: 4 }, (_, i) => simulateSchool(r, String(190000 + i), schoolName(r, 'Primary', used), 'Primary', 'North Downs', [51.2, 0.5], laShare));
  const raw: Record<string, number> = { '1': 41, '2': 2, '3': 3, '4': 57, '5': 88, '6': 131, '7': 23, '8': 17 };
  // All of a supergroup's pupils in its first subgroup, so the three levels agree.
  const target = sims[0]!;
  target.sub = SUBGROUPS.map((s) => (SUBGROUPS.find((x) => x.code[0] === s.code[0]) === s ? (raw[s.code[0]!] ?? 0) : 0));
  const classified = target.sub.reduce((a, b) => a + b, 0);
  target.unclassified = 0;
  target.match = { exact: classified, terminated: 0, sector: 0, unmatched: 0, invalid: 0 };
  target.imd = multinomial(r, classified, Array.from({ length: 10 }, () => 0.1));
  target.fsm = Math.round(classified * 0.2);
  const docs = documentsForLa(sims, { laName: LA_NAMES[0]!, period: opts.period ?? '2025-26', threshold: opts.threshold ?? 5, descriptions: false });
  return { doc: docs[0]!, rawCounts: raw };
}

// ---------------------------------------------------------------------------------------------
// Fair access
// ---------------------------------------------------------------------------------------------
const WARD_NAMES = [
  'Abbey', 'Beacon', 'Castle', 'Cathedral', 'Chalkpit', 'Church Street', 'Cliftonville', 'Dane Valley', 'Eastry', 'Fairfield',
  'Garlinge', 'Harbour', 'Heath', 'Hilltop', 'Kingsgate', 'Laurel', 'Marsh', 'Meadow', 'Minster', 'Newington', 'Northwood',
  'Orchard', 'Park', 'Priory', 'Quarry', 'Riverside', 'St Anne', 'Salmestone', 'Sandgate', 'Shore', 'Southgate', 'Spring',
  'Station', 'Sydenham', 'Tanner', 'Victoria', 'Westbrook', 'Wharf', 'Windmill', 'Woodlands',
];

export function makeFairAccessDocument(opts: { seed?: number; period?: string; wards?: number; schools?: number } = {}): FairAccessDocument {
  const r = rng((opts.seed ?? 424242) >>> 0);
  const period = opts.period ?? '2025-26';
  const laName = 'Wealdshire County Council';
  const wards = WARD_NAMES.slice(0, opts.wards ?? 32).map((w, i) => ({ code: `E05${String(9000 + i).padStart(6, '0')}`, name: w }));
  const schoolDocs = makeProfileDocuments(opts.schools ?? 40, { seed: 77, schoolsPerLa: opts.schools ?? 40 });
  const schools = schoolDocs.map((d) => ({ code: d.school.urn, name: d.school.name }));
  // Base pupils (Years 5 and 6) by subgroup, ward and school; clients skewed towards the affluent
  // supergroups, with some wards and schools reached less well than others.
  const baseShare = dirichlet(
    r,
    SUBGROUPS.map(() => 1.5),
  );
  const Nbase = 36000;
  const baseSub = multinomial(r, Nbase, baseShare);
  const wardEffect = wards.map(() => 0.5 + r());
  const schoolEffect = schools.map(() => 0.5 + r());
  const base: PlaceCount[] = [];
  const cells: { sub: number; w: number; u: number; n: number }[] = [];
  SUBGROUPS.forEach((sg, i) => {
    const byPlace = multinomial(r, baseSub[i]!, wards.map((_, w) => 1 + ((w * 7 + i) % 5)));
    byPlace.forEach((n, w) => {
      if (n === 0) return;
      const u = Math.floor(r() * schools.length);
      cells.push({ sub: i, w, u, n });
      base.push({ subgroup: sg.code, ward: wards[w]!.code, urn: schools[u]!.code, n });
    });
  });
  const years = ['2022-23', '2023-24', '2024-25', period];
  const dict = OAC_DICTIONARY;
  const byPeriod = years.map((y, k) => {
    const clients: PlaceCount[] = [];
    for (const c of cells) {
      const p = 0.05 * (1.6 - DEPRIVATION[SUBGROUPS[c.sub]!.code[0]!]!) * (1 + 0.05 * k) * wardEffect[c.w]! * schoolEffect[c.u]!;
      const n = binomial(r, c.n, Math.min(0.9, p));
      if (n === 0) continue;
      const unplaced = r() < 0.1;
      clients.push({ subgroup: SUBGROUPS[c.sub]!.code, ward: wards[c.w]!.code, urn: unplaced ? null : schools[c.u]!.code, n });
    }
    clients.push({ subgroup: null, ward: null, urn: null, n: 5 + Math.floor(r() * 30) });
    return { period: y, result: fairAccess(clients, base, dict, 'supergroup') };
  });
  const current = byPeriod[byPeriod.length - 1]!.result;
  const trendRows = trend(byPeriod.map((x) => ({ period: x.period, rows: x.result.rows })));
  const families = { byPostcodeAndChild: current.totals.clients, byPostcode: current.totals.clients - 12, sharedPostcodes: 11 };
  return fairAccessDocument.parse(
    fairAccessDocumentFor({
      period,
      laName,
      classification: FIXTURE_CLASSIFICATION,
      years: ['5', '6'],
      contacts: Math.round(current.totals.clients * 1.35),
      families,
      result: current,
      trend: trendRows,
      dict,
      wardNames: new Map(wards.map((w) => [w.code, w.name])),
      schoolNames: new Map(schools.map((x) => [x.code, x.name])),
    }),
  );
}
