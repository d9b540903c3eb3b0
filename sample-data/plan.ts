/**
 * Scale parameters and the top-down plan of the synthetic sample: counties, districts, school
 * clusters and schools (phase, size, name, URN). Geography (postcodes, wards, positions) is laid
 * out afterwards to fit this plan (see geo.ts), so the plan can be checked cheaply on its own.
 */
import { Rng } from './random.ts';
import { SAINTS, SCHOOL_FEATURES, fictionalAreas, uniquePlaceName } from './names.ts';

export type Scale = 'kent' | 'england' | 'tiny' | 'small';
export const SCALES: readonly Scale[] = ['tiny', 'small', 'kent', 'england'];
export type SchoolPhase = 'primary' | 'secondary' | 'special';
export const SCHOOL_PHASES: readonly SchoolPhase[] = ['primary', 'secondary', 'special'];

export const DEFAULT_SEED = 20240901;

export interface ScaleParams {
  scale: Scale;
  /** Lat/long box the counties tile. */
  box: { latMin: number; latMax: number; lonMin: number; lonMax: number };
  /** Counties as a grid over the box: [columns, rows]. */
  countyGrid: [number, number];
  /** Districts (local authority districts) per county as a grid: [columns, rows]. */
  districtGrid: [number, number];
  /** School clusters in total (spread over the districts). */
  clusters: number;
  /** Postcodes in the NSPL extract (live and terminated). */
  postcodes: number;
  terminatedShare: number;
  /** Mean postcodes per postcode sector. */
  avgSectorSize: number;
  schools: Record<SchoolPhase, number>;
  /** Target pupils per school census (the first census; the second follows from it). */
  pupils: number;
  /** School censuses written, as academic years; one pupils file each. */
  years: string[];
  /** Service contacts per academic year. */
  contacts: Record<string, number>;
  /** Expected number of deliberately bad UPN check letters / duplicated UPN rows per pupils file. */
  defects: { badUpn: number; dupUpn: number };
  /** When set, no school is planned bigger than this many pupils (the small-schools county). */
  maxSchoolPupils?: number;
}

export const SCALE_PARAMS: Record<Scale, ScaleParams> = {
  tiny: {
    scale: 'tiny',
    box: { latMin: 51.0, latMax: 51.16, lonMin: 0.3, lonMax: 0.62 },
    countyGrid: [1, 1],
    districtGrid: [2, 1],
    clusters: 3,
    postcodes: 3_000,
    terminatedShare: 0.08,
    avgSectorSize: 120,
    schools: { primary: 15, secondary: 4, special: 1 },
    pupils: 3_000,
    years: ['2024-25', '2025-26'],
    contacts: { '2024-25': 100, '2025-26': 100 },
    defects: { badUpn: 5, dupUpn: 4 },
  },
  // A rural county of small schools (none over 60 pupils) in small clusters (two to five schools): the
  // hard case for disclosure control (docs/disclosure.md), used by the attack test.
  small: {
    scale: 'small',
    box: { latMin: 52.1, latMax: 52.3, lonMin: -1.2, lonMax: -0.8 },
    countyGrid: [1, 1],
    districtGrid: [2, 2],
    clusters: 14,
    postcodes: 4_000,
    terminatedShare: 0.08,
    avgSectorSize: 120,
    schools: { primary: 34, secondary: 6, special: 2 },
    pupils: 1_700,
    years: ['2025-26'],
    contacts: { '2025-26': 120 },
    defects: { badUpn: 2, dupUpn: 2 },
    maxSchoolPupils: 50,
  },
  kent: {
    scale: 'kent',
    box: { latMin: 50.95, latMax: 51.45, lonMin: 0.05, lonMax: 1.4 },
    countyGrid: [1, 1],
    districtGrid: [4, 3],
    clusters: 23,
    postcodes: 60_000,
    terminatedShare: 0.08,
    avgSectorSize: 200,
    schools: { primary: 452, secondary: 104, special: 24 },
    pupils: 210_000,
    years: ['2024-25', '2025-26'],
    contacts: { '2024-25': 3_000, '2025-26': 3_100 },
    defects: { badUpn: 20, dupUpn: 10 },
  },
  england: {
    scale: 'england',
    box: { latMin: 50.7, latMax: 54.8, lonMin: -2.9, lonMax: 1.3 },
    countyGrid: [5, 8],
    districtGrid: [4, 2],
    clusters: 860,
    postcodes: 2_600_000,
    terminatedShare: 0.25,
    avgSectorSize: 220,
    schools: { primary: 16_750, secondary: 3_850, special: 900 },
    pupils: 9_000_000,
    years: ['2025-26'],
    contacts: { '2025-26': 60_000 },
    defects: { badUpn: 200, dupUpn: 100 },
  },
};

export interface CountyPlan {
  index: number;
  /** 3-digit LA number used in UPNs. */
  la: string;
  /** Fictional postcode areas (a second one is used only if the first runs out of districts). */
  areas: string[];
  /** Region (1..9) for the E12 code; grid column/row of the county. */
  region: number;
  col: number;
  row: number;
}

export interface DistrictPlan {
  index: number;
  county: number;
  /** Main town, which names the district's clusters. */
  town: string;
  /** Share of all postcodes in the sample. */
  share: number;
  /** Global cluster indices, in part order (north/west first). */
  clusters: number[];
  /** How the district is cut into clusters. */
  axis: 'ns' | 'ew';
  col: number;
  row: number;
}

export interface ClusterPlan {
  index: number;
  name: string;
  district: number;
  county: number;
  /** Part of its district (0 = north or west), of `parts`. */
  part: number;
  parts: number;
  share: number;
}

export interface AreaPlan {
  params: ScaleParams;
  counties: CountyPlan[];
  districts: DistrictPlan[];
  clusters: ClusterPlan[];
  /** Place names already used per county (schools and wards draw further names from it). */
  usedNames: Set<string>[];
}

const REGION_BY_ROW: [number, number][] = [
  [9, 8],
  [9, 8],
  [9, 6],
  [5, 6],
  [5, 4],
  [2, 3],
  [2, 3],
  [2, 1],
];

export function planArea(scale: Scale, seed: number = DEFAULT_SEED): AreaPlan {
  const params = SCALE_PARAMS[scale];
  const rng = new Rng(seed).fork('area');
  const [cc, cr] = params.countyGrid;
  const [dc, dr] = params.districtGrid;
  const nCounties = cc * cr;
  const areas = fictionalAreas(rng.fork('areas'), nCounties * 2);
  const laPool = rng.shuffle(Array.from({ length: 200 }, (_, i) => 800 + i));
  const counties: CountyPlan[] = [];
  for (let i = 0; i < nCounties; i++) {
    const col = i % cc;
    const row = Math.floor(i / cc);
    const regionRow = REGION_BY_ROW[Math.min(7, Math.floor((row * 8) / cr))]!;
    counties.push({
      index: i,
      la: String(laPool[i % laPool.length]),
      areas: [areas[i]!, areas[nCounties + i]!],
      region: nCounties === 1 ? 8 : col < cc / 2 ? regionRow[0] : regionRow[1],
      col,
      row,
    });
  }

  const usedNames = counties.map(() => new Set<string>());
  const globalTowns = new Set<string>();
  const districts: DistrictPlan[] = [];
  for (const county of counties) {
    for (let j = 0; j < dc * dr; j++) {
      const town = uniquePlaceName(rng, globalTowns);
      usedNames[county.index]!.add(town);
      districts.push({
        index: districts.length,
        county: county.index,
        town,
        share: rng.range(0.75, 1.25),
        clusters: [],
        axis: rng.chance(0.5) ? 'ns' : 'ew',
        col: j % dc,
        row: Math.floor(j / dc),
      });
    }
  }
  const shareTotal = districts.reduce((s, d) => s + d.share, 0);
  for (const d of districts) d.share /= shareTotal;

  // clusters per district: an even spread, the remainder to randomly chosen districts
  const base = Math.floor(params.clusters / districts.length);
  const extra = params.clusters - base * districts.length;
  const parts = districts.map(() => Math.max(1, base));
  for (const i of rng.sampleSorted(districts.length, extra)) parts[i]!++;
  const clusters: ClusterPlan[] = [];
  const suffixes: Record<string, string[][]> = {
    ns: [[''], ['North', 'South'], ['North', 'Central', 'South']],
    ew: [[''], ['West', 'East'], ['West', 'Central', 'East']],
  };
  for (const d of districts) {
    const k = Math.min(3, parts[d.index]!);
    for (let p = 0; p < k; p++) {
      const suffix = suffixes[d.axis]![k - 1]![p]!;
      clusters.push({
        index: clusters.length,
        name: suffix ? `${d.town} ${suffix}` : `${d.town} and District`,
        district: d.index,
        county: d.county,
        part: p,
        parts: k,
        share: d.share / k,
      });
      d.clusters.push(clusters.length - 1);
    }
  }
  return { params, counties, districts, clusters, usedNames };
}

export interface SchoolPlan {
  urn: string;
  name: string;
  phase: SchoolPhase;
  /** Global cluster index and name. */
  cluster: number;
  clusterName: string;
  district: number;
  county: number;
  /** LA number and 4-digit DfE establishment number (for UPN allocation). */
  la: string;
  estab: string;
  /** Expected pupils per main year group (R..6 or 7..11); for special schools, size / 12. */
  cohort: number;
  nursery: boolean;
  n1: boolean;
  sixthForm: boolean;
  /** Expected pupils in total. */
  expected: number;
}

/** NC year ordinal: N1 = -2, N2 = -1, R = 0, then 1..14. */
export function ncYearLabel(ord: number): string {
  return ord === -2 ? 'N1' : ord === -1 ? 'N2' : ord === 0 ? 'R' : String(ord);
}

/** Expected pupils per NC year ordinal for a school. */
export function yearProfile(s: Pick<SchoolPlan, 'phase' | 'cohort' | 'nursery' | 'n1' | 'sixthForm'>): [number, number][] {
  const c = s.cohort;
  const out: [number, number][] = [];
  if (s.phase === 'primary') {
    if (s.n1) out.push([-2, 0.35 * c]);
    if (s.nursery) out.push([-1, 0.8 * c]);
    for (let y = 0; y <= 6; y++) out.push([y, c]);
  } else if (s.phase === 'secondary') {
    for (let y = 7; y <= 11; y++) out.push([y, c]);
    if (s.sixthForm) out.push([12, 0.6 * c], [13, 0.52 * c]);
  } else {
    // special: all ages, more at secondary age; weights sum to 12
    const w: Record<number, number> = { 0: 0.3, 1: 0.5, 2: 0.5, 3: 0.6, 4: 0.6, 5: 0.7, 6: 0.7, 7: 1.1, 8: 1.1, 9: 1.1, 10: 1.1, 11: 1.1, 12: 0.9, 13: 0.8, 14: 0.9 };
    for (let y = 0; y <= 14; y++) out.push([y, c * w[y]!]);
  }
  return out;
}

function expectedSize(s: Parameters<typeof yearProfile>[0]): number {
  return yearProfile(s).reduce((t, [, n]) => t + n, 0);
}

/** Largest-remainder allocation of `total` items over `shares`. */
export function allocate(total: number, shares: number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  const raw = shares.map((s) => (total * s) / sum);
  const out = raw.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]![1]]!++;
  return out;
}

function schoolName(rng: Rng, phase: SchoolPhase, place: string, town: string, isTownSchool: boolean): string {
  const r = rng.next();
  if (phase === 'primary') {
    if (r < 0.42) return `${place} Primary School`;
    if (r < 0.56) return `${place} Community Primary School`;
    if (r < 0.68) return `${rng.pick(SAINTS)} Church of England Primary School, ${place}`;
    if (r < 0.75) return `${rng.pick(SAINTS)} Catholic Primary School, ${place}`;
    if (r < 0.88) return `${place} ${rng.pick(SCHOOL_FEATURES)} Primary School`;
    return `${place} Primary Academy`;
  }
  if (phase === 'secondary') {
    if (isTownSchool && r < 0.5) return `${town} Grammar School`;
    if (r < 0.3) return `${place} School`;
    if (r < 0.55) return `${place} Academy`;
    if (r < 0.7) return `The ${place} School`;
    if (r < 0.85) return `${place} High School`;
    if (r < 0.92) return `${place} Grammar School`;
    return `${rng.pick(SAINTS)} Catholic High School, ${place}`;
  }
  return r < 0.6 ? `${place} ${rng.pick(SCHOOL_FEATURES)} School` : `The ${place} School`;
}

/**
 * The schools of a scale: phase counts exactly as in SCALE_PARAMS, spread over the clusters in
 * proportion to their share of postcodes; sizes scaled so the expected pupil total hits the
 * scale's target. Sorted by URN. Deterministic for (scale, seed).
 */
export function planSchools(scale: Scale, seed: number = DEFAULT_SEED, area: AreaPlan = planArea(scale, seed)): SchoolPlan[] {
  const params = SCALE_PARAMS[scale];
  const rng = new Rng(seed).fork('schools');
  const { clusters, districts, counties } = area;
  const urns = new Set<number>();
  const estabPools = counties.map(() => ({
    primary: rng.shuffle(Array.from({ length: 2000 }, (_, i) => 2000 + i)),
    secondary: rng.shuffle(Array.from({ length: 2000 }, (_, i) => 4000 + i)),
    special: rng.shuffle(Array.from({ length: 1000 }, (_, i) => 7000 + i)),
  }));
  const estabNext = counties.map(() => ({ primary: 0, secondary: 0, special: 0 }));
  const schools: SchoolPlan[] = [];
  const usedNames = area.usedNames.map((s) => new Set(s));
  const townSchoolDone = new Set<number>();
  for (const phase of SCHOOL_PHASES) {
    const perCluster = allocate(params.schools[phase], clusters.map((c) => c.share * rng.range(0.85, 1.15)));
    for (const c of clusters) {
      for (let k = 0; k < perCluster[c.index]!; k++) {
        let urn: number;
        do urn = rng.intBetween(100000, 149999);
        while (urns.has(urn));
        urns.add(urn);
        const district = districts[c.district]!;
        const county = counties[c.county]!;
        let cohort: number;
        let nursery = false;
        let n1 = false;
        let sixthForm = false;
        if (phase === 'primary') {
          cohort = [15, 30, 45, 60, 90][rng.weighted([0.18, 0.37, 0.12, 0.27, 0.06])]! * rng.range(0.85, 1.0);
          nursery = rng.chance(0.35);
          n1 = nursery && rng.chance(0.3);
        } else if (phase === 'secondary') {
          cohort = 30 * (4 + rng.weighted([0.1, 0.15, 0.2, 0.2, 0.15, 0.12, 0.08])) * rng.range(0.85, 1.0);
          sixthForm = rng.chance(0.7);
        } else {
          cohort = rng.range(60, 180) / 12;
        }
        const estabIndex = estabNext[county.index]![phase]++;
        const isTownSchool = phase === 'secondary' && !townSchoolDone.has(district.index) && rng.chance(0.25);
        if (isTownSchool) townSchoolDone.add(district.index);
        const place = uniquePlaceName(rng, usedNames[county.index]!);
        schools.push({
          urn: String(urn),
          name: schoolName(rng, phase, place, district.town, isTownSchool),
          phase,
          cluster: c.index,
          clusterName: c.name,
          district: district.index,
          county: county.index,
          la: county.la,
          estab: String(estabPools[county.index]![phase][estabIndex % estabPools[county.index]![phase].length]),
          cohort,
          nursery,
          n1,
          sixthForm,
          expected: 0,
        });
      }
    }
  }
  // secondary year groups about as big as primary ones (most Year 6 pupils move on to them)
  const cohortSum = (ph: SchoolPhase) => schools.filter((s) => s.phase === ph).reduce((t, s) => t + s.cohort, 0);
  const prim = cohortSum('primary');
  const sec = cohortSum('secondary');
  if (prim > 0 && sec > 0) for (const s of schools) if (s.phase === 'secondary') s.cohort *= (0.97 * prim) / sec;
  // scale mainstream cohorts so the expected total meets the target
  const special = schools.filter((s) => s.phase === 'special').reduce((t, s) => t + expectedSize(s), 0);
  const mainstream = schools.filter((s) => s.phase !== 'special').reduce((t, s) => t + expectedSize(s), 0);
  const f = (params.pupils - special) / mainstream;
  for (const s of schools) {
    if (s.phase !== 'special') s.cohort *= f;
    s.expected = expectedSize(s);
    if (params.maxSchoolPupils && s.expected > params.maxSchoolPupils) {
      s.cohort *= params.maxSchoolPupils / s.expected;
      s.expected = expectedSize(s);
    }
  }
  return schools.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
}
