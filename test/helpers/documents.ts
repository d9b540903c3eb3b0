/**
 * Deterministic fixture documents for the PDF renderer: realistic ProfileDocuments for N schools
 * (OAC 2011 names, LA bases built from the schools' own pupils, disclosure control with the
 * project's `suppress`, Byar CIs from `profileRow`, similar schools, cluster ranges) and a
 * FairAccessDocument. Every document is validated with the zod schema's parse.
 *
 * Same options, same documents: a small seeded PRNG drives everything. Names are made up.
 * `rawCounts` keeps the true (unsuppressed) supergroup counts so tests can check that the renderer
 * never prints a hidden number.
 */
import { fairAccessDocument, type FairAccessDocument } from '../../schemas/fair-access-document.ts';
import { OAC11_NAMES } from '../../schemas/oac11.ts';
import { profileDocument, type Cell, type ProfileDocument, type SegmentRow } from '../../schemas/profile-document.ts';
import { suppress } from '../../functions/domain/stats/disclosure.ts';
import { matchRateAtLeast } from '../../functions/profiles/documents.ts';
import { profileRow } from '../../functions/domain/stats/index-measures.ts';
import { haversineKm, jensenShannonDistance } from '../../functions/domain/stats/similarity.ts';

// ---------------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------------
export { rng } from './rng.ts';
import { rng } from './rng.ts';
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

const cellOf = (v: number | null): Cell => (v === null ? 'c' : v);

function levelCounts(sub: readonly number[]): { supergroup: Map<string, number>; group: Map<string, number>; subgroup: Map<string, number> } {
  const out = { supergroup: new Map<string, number>(), group: new Map<string, number>(), subgroup: new Map<string, number>() };
  SUBGROUPS.forEach((s, i) => {
    const n = sub[i]!;
    out.subgroup.set(s.code, n);
    out.group.set(s.code.slice(0, 2), (out.group.get(s.code.slice(0, 2)) ?? 0) + n);
    out.supergroup.set(s.code[0]!, (out.supergroup.get(s.code[0]!) ?? 0) + n);
  });
  return out;
}

function segmentRows(
  level: 'supergroup' | 'group' | 'subgroup',
  codes: readonly string[],
  O: Map<string, number>,
  B: Map<string, number>,
  n: number,
  N: number,
  threshold: number,
  descriptions: boolean,
): SegmentRow[] {
  const sup = suppress({ cells: codes.map((c) => ({ key: c, n: O.get(c) ?? 0 })), total: n }, { threshold });
  return codes.map((code, i) => {
    const o = O.get(code) ?? 0;
    const row = profileRow({ O: o, n, B: B.get(code) ?? 0, N });
    const hidden = sup.cells[i]!.suppressed;
    const flag = row.ciLow === null || row.ciHigh === null ? 'ns' : row.ciLow > 100 ? 'over' : row.ciHigh < 100 ? 'under' : 'ns';
    return {
      code,
      name: nameOf[level](code),
      description: level === 'subgroup' && descriptions ? `Areas like ${nameOf.subgroup(code).toLowerCase()}, within ${nameOf.group(code.slice(0, 2)).toLowerCase()}.` : null,
      n: hidden ? 'c' : o,
      pct: hidden ? null : row.pct,
      basePct: row.basePct ?? 0,
      index: hidden ? null : row.index,
      ciLow: hidden ? null : row.ciLow,
      ciHigh: hidden ? null : row.ciHigh,
      flag: hidden ? null : flag,
      reliable: row.reliable,
    } satisfies SegmentRow;
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

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
    const out: ProfileFixture[] = [];
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
    // The base: every classified pupil in the LA.
    const baseSub = SUBGROUPS.map((_, i) => sims.reduce((s, x) => s + x.sub[i]!, 0));
    const B = levelCounts(baseSub);
    const N = baseSub.reduce((a, b) => a + b, 0);
    const baseImd = Array.from({ length: 10 }, (_, k) => sims.reduce((s, x) => s + x.imd[k]!, 0));
    const baseImdTotal = baseImd.reduce((a, b) => a + b, 0);
    const counts = sims.map((s) => levelCounts(s.sub));
    const sgPct = sims.map((s, i) => {
      const cls = s.sub.reduce((a, b) => a + b, 0);
      return new Map(SG_CODES.map((c) => [c, cls ? (100 * counts[i]!.supergroup.get(c)!) / cls : 0]));
    });
    for (let i = 0; i < sims.length; i++) {
      const s = sims[i]!;
      const classified = s.sub.reduce((a, b) => a + b, 0);
      const pupils = classified + s.unclassified;
      const segs = {
        supergroup: segmentRows('supergroup', SG_CODES, counts[i]!.supergroup, B.supergroup, classified, N, threshold, false),
        group: segmentRows('group', GROUP_CODES, counts[i]!.group, B.group, classified, N, threshold, false),
        subgroup: segmentRows(
          'subgroup',
          SUBGROUPS.map((x) => x.code),
          counts[i]!.subgroup,
          B.subgroup,
          classified,
          N,
          threshold,
          opts.descriptions ?? false,
        ),
      };
      const coverage = suppress({ cells: [{ key: 'classified', n: classified }, { key: 'unclassified', n: s.unclassified }], total: pupils }, { threshold });
      const fsm = suppress({ cells: [{ key: 'fsm', n: s.fsm }, { key: 'not', n: pupils - s.fsm }], total: pupils }, { threshold });
      const statuses = ['exact', 'terminated', 'sector', 'unmatched', 'invalid'] as const;
      const match = suppress({ cells: statuses.map((k) => ({ key: k, n: s.match[k] })), total: pupils }, { threshold });
      const imd = suppress({ cells: s.imd.map((n, k) => ({ key: String(k + 1), n })), total: pupils }, { threshold });
      const mc = (k: string) => match.cells.find((c) => c.key === k)!;
      const similar = sims
        .filter((o) => o.urn !== s.urn && o.phase === s.phase && o.sub.some((x) => x > 0) && s.sub.some((x) => x > 0))
        .map((o) => ({ o, d: jensenShannonDistance(s.sub, o.sub) }))
        .sort((a, b) => a.d - b.d || a.o.urn.localeCompare(b.o.urn))
        .slice(0, 5)
        .map(({ o, d }) => ({ urn: o.urn, name: o.name, similarity: 1 - d, distanceKm: haversineKm(s.lat, s.lon, o.lat, o.lon) }));
      const inCluster = sims.map((o, j) => ({ o, j })).filter(({ o }) => o.cluster === s.cluster);
      const hiddenSg = new Set(segs.supergroup.filter((x) => x.n === 'c').map((x) => x.code));
      const doc = profileDocument.parse({
        period,
        laName,
        school: { urn: s.urn, name: s.name, phase: s.phase, cluster: s.cluster },
        classification: { name: '2011 Output Area Classification (ONS)', vintage: 'NSPL November 2024', edition: 'oac11', imd: 'English Indices of Deprivation 2019' },
        base: { kind: 'la', label: `all pupils in ${laName.replace(/ (County|Borough|City)? ?Council( \d+)?$/, '$2').trim()}` },
        threshold,
        keyFacts: {
          pupils: coverage.total.suppressed ? 'c' : pupils,
          classified: cellOf(coverage.cells[0]!.value),
          unclassified: cellOf(coverage.cells[1]!.value),
          matchRatePct: mc('exact').suppressed || mc('terminated').suppressed ? null : (100 * (s.match.exact + s.match.terminated)) / pupils,
          matchRateAtLeastPct:
            mc('exact').suppressed || mc('terminated').suppressed ? matchRateAtLeast(pupils, s.match.exact + s.match.terminated, threshold) : null,
          sectorImputedPct: mc('sector').suppressed ? null : mc('sector').pct,
          fsmPct: fsm.cells[0]!.suppressed ? null : fsm.cells[0]!.pct,
        },
        segments: segs,
        imd: imd.cells.map((c, k) => ({ decile: k + 1, n: cellOf(c.value), pct: c.suppressed ? null : c.pct, basePct: (100 * baseImd[k]!) / baseImdTotal })),
        matchStatus: statuses.map((k) => ({ status: k, n: cellOf(mc(k).value), pct: mc(k).suppressed ? null : mc(k).pct })),
        similarSchools: similar,
        cluster: {
          name: s.cluster,
          schools: inCluster.length,
          supergroups: SG_CODES.map((c) => {
            const xs = inCluster.map(({ j }) => sgPct[j]!.get(c)!);
            return { code: c, name: nameOf.supergroup(c), schoolPct: hiddenSg.has(c) ? null : sgPct[i]!.get(c)!, min: Math.min(...xs), median: median(xs), max: Math.max(...xs) };
          }),
        },
      });
      out.push({ doc, rawCounts: Object.fromEntries(counts[i]!.supergroup) });
    }
    made += out.length;
    yield out;
  }
}

export function makeProfileDocuments(count: number, opts: FixtureOptions = {}): ProfileDocument[] {
  return makeProfileFixtures(count, opts).map((f) => f.doc);
}

/**
 * A school with known small supergroup counts: 2 pupils in 'Cosmopolitans' and 3 in 'Ethnicity
 * central' (both "c" in the document), from a generated document with its supergroup line rebuilt.
 */
export function makeSmallCountsFixture(opts: FixtureOptions = {}): ProfileFixture {
  const base = makeProfileFixtures(3, { ...opts, schoolsPerLa: 3 })[0]!;
  const d = structuredClone(base.doc);
  const threshold = d.threshold;
  const raw: Record<string, number> = { '1': 41, '2': 2, '3': 3, '4': 57, '5': 88, '6': 131, '7': 23, '8': 17 };
  // All of a supergroup's pupils in its first subgroup, so the three levels agree.
  const sub = SUBGROUPS.map((s) => (SUBGROUPS.find((x) => x.code[0] === s.code[0]) === s ? raw[s.code[0]!]! : 0));
  const O = levelCounts(sub);
  const n = sub.reduce((a, b) => a + b, 0);
  // A base with every subgroup present, shares from the generated document's subgroup base %.
  const baseSub = SUBGROUPS.map((s) => Math.max(1, Math.round(600 * (d.segments.subgroup.find((r) => r.code === s.code)?.basePct ?? 1))));
  const B = levelCounts(baseSub);
  const N = baseSub.reduce((a, b) => a + b, 0);
  d.segments = {
    supergroup: segmentRows('supergroup', SG_CODES, O.supergroup, B.supergroup, n, N, threshold, false),
    group: segmentRows('group', GROUP_CODES, O.group, B.group, n, N, threshold, false),
    subgroup: segmentRows('subgroup', SUBGROUPS.map((x) => x.code), O.subgroup, B.subgroup, n, N, threshold, false),
  };
  d.keyFacts.classified = n;
  d.keyFacts.unclassified = 0;
  d.keyFacts.pupils = n;
  for (const c of d.cluster!.supergroups) c.schoolPct = d.segments.supergroup.find((r) => r.code === c.code)!.pct;
  return { doc: profileDocument.parse(d), rawCounts: raw };
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

export function makeFairAccessDocument(opts: { seed?: number; threshold?: number; period?: string; wards?: number; schools?: number } = {}): FairAccessDocument {
  const r = rng((opts.seed ?? 424242) >>> 0);
  const threshold = opts.threshold ?? 5;
  const period = opts.period ?? '2025-26';
  const laName = 'Wealdshire County Council';
  // Base pupils (Years 5 and 6) by subgroup; clients skewed towards the affluent supergroups.
  const baseShare = dirichlet(
    r,
    SUBGROUPS.map(() => 1.5),
  );
  const Nbase = 36000;
  const baseSub = multinomial(r, Nbase, baseShare);
  const propensity = SUBGROUPS.map((s) => 0.05 * (1.6 - DEPRIVATION[s.code[0]!]!) * (0.8 + r() * 0.4));
  const clientSub = baseSub.map((b, i) => binomial(r, b, propensity[i]!));
  const classifiedClients = clientSub.reduce((a, b) => a + b, 0);
  const clients = classifiedClients + Math.floor(r() * 40);
  const contacts = Math.round(clients * 1.35);
  const Bc = levelCounts(baseSub);
  const Oc = levelCounts(clientSub);
  const rows = (level: 'supergroup' | 'group' | 'subgroup', codes: readonly string[]) => {
    const pre = codes.map((code) => {
      const O = Oc[level].get(code) ?? 0;
      const B = Bc[level].get(code) ?? 0;
      const pr = profileRow({ O, n: classifiedClients, B, N: Nbase });
      const p = pr.z === null ? null : Math.min(1, 2 * (1 - normalCdf(Math.abs(pr.z))));
      return { code, O, B, pr, p };
    });
    const adj = holmAdjust(pre.map((x) => x.p));
    return pre.map((x, i) => ({
      code: x.code,
      name: nameOf[level](x.code),
      clients: x.O,
      clientPct: x.pr.pct ?? 0,
      base: x.B,
      basePct: x.pr.basePct ?? 0,
      penetration: x.B > 0 ? (1000 * x.O) / x.B : null,
      index: x.pr.index,
      ciLow: x.pr.ciLow,
      ciHigh: x.pr.ciHigh,
      z: x.pr.z,
      p: x.p,
      pHolm: adj[i] ?? null,
      flag: adj[i] !== null && adj[i]! < 0.05 && x.pr.index !== null ? (x.pr.index < 100 ? ('under' as const) : ('over' as const)) : ('ns' as const),
    }));
  };
  const supergroup = rows('supergroup', SG_CODES);
  const under = supergroup.filter((x) => x.flag === 'under');
  const underCodes = new Set(under.map((x) => x.code));
  const pen = classifiedClients / Nbase;
  const underPen = under.reduce((s, x) => s + x.clients, 0) / Math.max(1, under.reduce((s, x) => s + x.base, 0));
  const place = (code: string, name: string | null, baseN: number) => {
    const expected = pen * baseN;
    const actual = binomial(r, baseN, underPen * (0.4 + r() * 1.2));
    const sd = Math.sqrt(expected * (1 - pen));
    const lim = (z: number) => Math.max(0, expected + z * sd);
    const hidden = actual > 0 && actual < threshold;
    return {
      code,
      name,
      baseN,
      expected,
      actual: hidden ? ('c' as const) : actual,
      gap: hidden ? null : actual - expected,
      lower95: lim(-1.959964),
      lower998: lim(-3.090232),
      upper95: lim(1.959964),
      upper998: lim(3.090232),
    };
  };
  const byGap = (a: { gap: number | null; expected: number }, b: { gap: number | null; expected: number }) => (a.gap ?? -a.expected * 0.5) - (b.gap ?? -b.expected * 0.5);
  const wards = WARD_NAMES.slice(0, opts.wards ?? 32)
    .map((w, i) => place(`E05${String(9000 + i).padStart(6, '0')}`, w, 20 + Math.floor(r() * 900)))
    .sort(byGap);
  const schoolDocs = makeProfileDocuments(opts.schools ?? 40, { seed: 77, schoolsPerLa: opts.schools ?? 40 });
  const schools = schoolDocs.map((d) => place(d.school.urn, d.school.name, 8 + Math.floor(r() * 160))).sort(byGap);
  const years = ['2022-23', '2023-24', '2024-25', period];
  const trend = supergroup.map((row) => {
    const drift = (r() - 0.5) * 20;
    const byYear = years.map((y, k) => ({ period: y, index: row.index === null ? null : Math.max(10, row.index - drift * (years.length - 1 - k) + (r() - 0.5) * 8) }));
    const first = byYear[0]!.index;
    const last = byYear[byYear.length - 1]!.index;
    const change = first === null || last === null ? null : last - first;
    const z = change === null ? null : change / 9;
    return { level: 'supergroup', code: row.code, name: row.name, byYear, change, z, p: z === null ? null : Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
  });
  const chi = (lvl: string, rs: { clients: number; base: number }[]) => {
    let stat = 0;
    let merged = 0;
    for (const x of rs) {
      const E = (classifiedClients * x.base) / Nbase;
      if (E < 5) {
        merged++;
        continue;
      }
      stat += (x.clients - E) ** 2 / E;
    }
    return { level: lvl, statistic: stat, df: rs.length - merged - 1, p: stat > 40 ? 1e-6 : 0.2, mergedCells: merged };
  };
  const group = rows('group', GROUP_CODES);
  const subgroup = rows(
    'subgroup',
    SUBGROUPS.map((x) => x.code),
  );
  return fairAccessDocument.parse({
    period,
    laName,
    classification: { name: '2011 Output Area Classification (ONS)', vintage: 'NSPL November 2024', edition: 'oac11', imd: 'English Indices of Deprivation 2019' },
    base: { label: 'pupils in Years 5 and 6 (the families choosing a school)', ncyears: ['5', '6'] },
    clientRule:
      'Each family is counted once per academic year: contacts are deduplicated by home postcode, keeping the earliest contact. Contacts without a usable postcode are counted but cannot be classified.',
    threshold,
    totals: { contacts, clients, classifiedClients, base: Nbase, penetration: 1000 * pen },
    chiSquare: [chi('supergroup', supergroup), chi('group', group), chi('subgroup', subgroup)],
    segments: { supergroup, group, subgroup },
    underRepresented: { level: 'supergroup', segments: under.filter((x) => underCodes.has(x.code)).map((x) => ({ code: x.code, name: x.name })) },
    wards,
    schools,
    trend,
  });
}

function normalCdf(z: number): number {
  // Abramowitz-Stegun 7.1.26 via erf; ample for fixtures.
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

function holmAdjust(ps: readonly (number | null)[]): (number | null)[] {
  const idx = ps.map((p, i) => ({ p, i })).filter((x): x is { p: number; i: number } => x.p !== null).sort((a, b) => a.p - b.p || a.i - b.i);
  const out: (number | null)[] = ps.map(() => null);
  let run = 0;
  idx.forEach((x, rank) => {
    run = Math.max(run, Math.min(1, (idx.length - rank) * x.p));
    out[x.i] = run;
  });
  return out;
}
