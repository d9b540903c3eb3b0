/**
 * Synthetic geography for the sample: districts with towns, postcode sectors, small "output area"
 * patches of ~15-25 postcodes, wards, LSOAs with IMD ranks, and the NSPL extract itself.
 *
 * Spatial model (coordinates in km from the box's south-west corner):
 *  - each district has one or two towns; about 65% of sectors sit around the towns, the rest are
 *    spread over the countryside;
 *  - urbanity u (0 rural .. 1 town centre) and affluence a (district offset + smooth random bumps
 *    - a penalty near town centres) vary smoothly in space;
 *  - a sector takes a dominant OAC supergroup from (u, a); 60% of its patches keep it, the rest
 *    draw their own from the patch's (u, a), so neighbouring postcodes and sectors mostly share a
 *    supergroup: rural residents in the countryside, suburbanites/urbanites in affluent suburbs,
 *    hard-pressed and constrained city dwellers around deprived town centres;
 *  - IMD rank is per LSOA (4-6 patches) and follows its supergroups and affluence.
 */
import { Rng } from './random.ts';
import { CsvOut, csvField } from './csv-out.ts';
import { NSPL_HEADERS } from '../schemas/published-headers.ts';
import { OAC_TREE, UNITS, URBAN_WARD_SUFFIX, sampleOac21, uniquePlaceName } from './names.ts';
import { allocate, type AreaPlan } from './plan.ts';

/** The NSPL layouts the sample writes: the November 2021 release (OAC 2011, IMD 2019) or August 2026 (OAC 2021, IMD 2025). */
export type NsplLayout = '2021' | '2026';
export const NSPL_HEADER = NSPL_HEADERS['2021-11'].join(',');
export const NSPL_HEADER_2026 = NSPL_HEADERS['2026-08'].join(',');
/** IMD 2025 ranks England's 33,755 LSOAs (2021), IMD 2019 its 32,844 (2011). */
const IMD_LSOAS: Record<NsplLayout, number> = { '2021': 32_844, '2026': 33_755 };
/** 2021 rural-urban classification codes for the sample's 2011 ones. */
const RUC21: Record<string, string> = { C1: 'UN1', D1: 'UF1', E1: 'RSN1', F1: 'RLN1' };

export const FLAG_TERMINATED = 1;
export const FLAG_UNPLACED = 2;
export const FLAG_PSEUDO_WARD = 4;

/** Supergroups whose families are treated as affluent / deprived in the contact model. */
export const AFFLUENT_SUPERGROUPS = new Set([1, 2, 5, 6]);
export const DEPRIVED_SUPERGROUPS = new Set([4, 7, 8]);

export interface Town {
  x: number;
  y: number;
  sigma: number;
  weight: number;
  name: string;
  /** Global town index (for built-up-area codes). */
  id: number;
}

export interface Bump {
  x: number;
  y: number;
  s: number;
  amp: number;
}

export interface GeoDistrict {
  index: number;
  county: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  towns: Town[];
  offset: number;
  bumps: Bump[];
  sectors: Sector[];
  /** Patch indices of the district (after layout). */
  patches: number[];
}

export interface Sector {
  index: number;
  district: number;
  cluster: number;
  ward: number;
  x: number;
  y: number;
  urban: boolean;
  radius: number;
  size: number;
  outward: string;
  digit: number;
  /** Postcode index range [start, end) and patch index range. */
  start: number;
  end: number;
  patchStart: number;
  patchEnd: number;
}

export interface Patch {
  index: number;
  sector: number;
  x: number;
  y: number;
  u: number;
  a: number;
  /** Supergroup 1..8 and subgroup code. */
  sg: number;
  code: string;
  lsoa: number;
  start: number;
  end: number;
  /** Postcodes that are live, placed and have a real ward (where people and schools are put). */
  live: number;
  /** Relative number of school-age children per postcode. */
  childW: number;
  /** Probability a pupil living here is eligible for free school meals. */
  fsmP: number;
  ru: string;
}

export interface Ward {
  index: number;
  code: string;
  name: string;
  district: number;
  cluster: number;
}

export interface Geography {
  area: AreaPlan;
  width: number;
  height: number;
  districts: GeoDistrict[];
  sectors: Sector[];
  patches: Patch[];
  wards: Ward[];
  lsoaImd: Int32Array;
  /** Per postcode: unit index into UNITS, flags, patch. */
  unit: Uint16Array;
  flags: Uint8Array;
  patchOf: Int32Array;
  total: number;
  knownSectors: Set<string>;
  counts: Record<string, number>;
}

const d2 = (ax: number, ay: number, bx: number, by: number) => (ax - bx) * (ax - bx) + (ay - by) * (ay - by);

/** Supergroup centroids in (urbanity, affluence) with base weights. */
const SG_MODEL: [sg: number, u: number, a: number, w: number][] = [
  [1, 0.0, 0.25, 1.0],
  [2, 0.95, 0.35, 0.2],
  [3, 0.9, -0.35, 0.1],
  [4, 0.9, -0.45, 0.15],
  [5, 0.55, 0.4, 0.9],
  [6, 0.35, 0.5, 1.1],
  [7, 0.85, -0.7, 0.6],
  [8, 0.45, -0.6, 0.9],
];

/** Draw a supergroup for (u, a); sharpness > 1 favours the most likely one (sectors are sticky). */
function drawSupergroup(rng: Rng, u: number, a: number, sharpness = 1): number {
  const w = SG_MODEL.map(([, su, sa, sw]) => (sw * Math.exp(-(((u - su) / 0.28) ** 2) - ((a - sa) / 0.45) ** 2) + 1e-6) ** sharpness);
  return SG_MODEL[rng.weighted(w)]![0];
}

/** Deprivation contribution of a supergroup to its LSOA's IMD score (higher = less deprived). */
const SG_IMD: Record<number, number> = { 1: 0.35, 2: 0.05, 3: -0.35, 4: -0.4, 5: 0.35, 6: 0.45, 7: -0.6, 8: -0.45 };
const SG_CHILDREN: Record<number, number> = { 1: 0.8, 2: 0.5, 3: 1.2, 4: 1.4, 5: 0.8, 6: 1.0, 7: 1.1, 8: 1.1 };
const SG_FSM: Record<number, number> = { 1: 0.75, 2: 0.9, 3: 1.1, 4: 1.15, 5: 0.8, 6: 0.75, 7: 1.2, 8: 1.2 };

const pad = (n: number, w: number) => String(n).padStart(w, '0');
/** Fictional GSS-style code: prefix + 9-digit-ish number from a base. */
const gss = (prefix: string, base: number, i: number) => prefix + pad(base + i, 6);

function urbanity(d: GeoDistrict, x: number, y: number): number {
  let u = 0;
  for (const t of d.towns) u = Math.max(u, t.weight * Math.exp(-d2(x, y, t.x, t.y) / (2 * (1.5 * t.sigma) ** 2)));
  return u;
}

function affluence(d: GeoDistrict, x: number, y: number, countyX0: number, countyW: number): number {
  let a = d.offset + 0.3 * (0.5 - (x - countyX0) / countyW);
  for (const b of d.bumps) a += b.amp * Math.exp(-d2(x, y, b.x, b.y) / (2 * b.s * b.s));
  let core = 0;
  for (const t of d.towns) core = Math.max(core, t.weight * Math.exp(-d2(x, y, t.x, t.y) / (2 * (0.6 * t.sigma) ** 2)));
  return a - 0.5 * core;
}

/** Greedy spatial grouping: repeatedly take the first unassigned item and its nearest neighbours. */
function groupNearest<T extends { x: number; y: number }>(items: T[], sizeOf: (seed: T) => number): T[][] {
  const left = items.slice();
  const groups: T[][] = [];
  while (left.length > 0) {
    const seed = left.shift()!;
    const k = Math.min(left.length, sizeOf(seed) - 1);
    left.sort((p, q) => d2(p.x, p.y, seed.x, seed.y) - d2(q.x, q.y, seed.x, seed.y));
    groups.push([seed, ...left.splice(0, k)]);
  }
  return groups;
}

export function buildGeography(area: AreaPlan, seed: number): Geography {
  const { params, counties, districts: dplans, clusters } = area;
  const rng = new Rng(seed).fork('geo');
  const { box } = params;
  const latMid = (box.latMin + box.latMax) / 2;
  const width = (box.lonMax - box.lonMin) * 111.32 * Math.cos((latMid * Math.PI) / 180);
  const height = (box.latMax - box.latMin) * 111.2;
  const [cc, cr] = params.countyGrid;
  const [dc, dr] = params.districtGrid;
  const cw = width / cc;
  const ch = height / cr;
  const counts: Record<string, number> = {};

  // districts, towns and affluence fields
  let townId = 0;
  const districts: GeoDistrict[] = dplans.map((dp) => {
    const county = counties[dp.county]!;
    const x0 = county.col * cw + (dp.col * cw) / dc;
    const y0 = county.row * ch + (dp.row * ch) / dr;
    const w = cw / dc;
    const h = ch / dr;
    const span = Math.sqrt(w * h);
    const towns: Town[] = [];
    const mainSigma = span * rng.range(0.08, 0.13);
    towns.push({ x: x0 + w * rng.range(0.25, 0.75), y: y0 + h * rng.range(0.25, 0.75), sigma: mainSigma, weight: 1, name: dp.town, id: townId++ });
    if (rng.chance(0.6)) {
      for (let tries = 0; tries < 20; tries++) {
        const x = x0 + w * rng.range(0.15, 0.85);
        const y = y0 + h * rng.range(0.15, 0.85);
        if (Math.sqrt(d2(x, y, towns[0]!.x, towns[0]!.y)) > 0.35 * Math.min(w, h)) {
          towns.push({ x, y, sigma: mainSigma * rng.range(0.5, 0.7), weight: rng.range(0.55, 0.75), name: uniquePlaceName(rng, area.usedNames[dp.county]!), id: townId++ });
          break;
        }
      }
    }
    const bumps: Bump[] = [];
    for (let i = 0; i < 4; i++) bumps.push({ x: x0 + w * rng.range(-0.1, 1.1), y: y0 + h * rng.range(-0.1, 1.1), s: span * rng.range(0.08, 0.25), amp: rng.range(-0.6, 0.6) });
    return { index: dp.index, county: dp.county, x0, y0, x1: x0 + w, y1: y0 + h, towns, offset: rng.range(-0.3, 0.3), bumps, sectors: [], patches: [] };
  });

  // sectors: positions and raw sizes
  const nSectors = Math.max(dplans.length * 6, Math.round(params.postcodes / params.avgSectorSize));
  const perDistrict = allocate(nSectors, dplans.map((d) => d.share));
  const sectors: Sector[] = [];
  const rawSizes: number[] = [];
  for (const d of districts) {
    const n = Math.max(perDistrict[d.index]!, 2 * dplans[d.index]!.clusters.length);
    for (let i = 0; i < n; i++) {
      const urban = rng.chance(0.65);
      let x = 0;
      let y = 0;
      if (urban) {
        const t = d.towns[rng.weighted(d.towns.map((t) => t.weight))]!;
        x = Math.min(d.x1 - 0.3, Math.max(d.x0 + 0.3, t.x + rng.normal() * t.sigma));
        y = Math.min(d.y1 - 0.3, Math.max(d.y0 + 0.3, t.y + rng.normal() * t.sigma));
      } else {
        for (let tries = 0; tries < 20; tries++) {
          x = rng.range(d.x0 + 0.5, d.x1 - 0.5);
          y = rng.range(d.y0 + 0.5, d.y1 - 0.5);
          if (d.towns.every((t) => d2(x, y, t.x, t.y) > (1.3 * t.sigma) ** 2)) break;
        }
      }
      const s: Sector = {
        index: -1, district: d.index, cluster: -1, ward: -1, x, y, urban,
        radius: urban ? rng.range(0.45, 0.85) : rng.range(1.6, 3.0),
        size: 0, outward: '', digit: 0, start: 0, end: 0, patchStart: 0, patchEnd: 0,
      };
      sectors.push(s);
      d.sectors.push(s);
      rawSizes.push(urban ? rng.range(170, 300) : rng.range(80, 200));
    }
  }
  const sizes = allocate(params.postcodes, rawSizes);
  // keep every sector within the 400 possible units, with room for unused ones
  for (let i = 0; i < sizes.length; i++) {
    while (sizes[i]! > 360) {
      sizes[i]!--;
      sizes[sizes.indexOf(Math.min(...sizes))]!++;
    }
    sectors[i]!.size = sizes[i]!;
  }

  // clusters: cut each district along its axis into equal runs of sectors
  for (const d of districts) {
    const dp = dplans[d.index]!;
    const key = (s: Sector) => (dp.axis === 'ns' ? -s.y : s.x);
    const sorted = d.sectors.slice().sort((p, q) => key(p) - key(q));
    const k = dp.clusters.length;
    sorted.forEach((s, i) => (s.cluster = dp.clusters[Math.min(k - 1, Math.floor((i * k) / sorted.length))]!));
  }

  // wards: 1-3 neighbouring sectors of the same cluster
  const wards: Ward[] = [];
  const wardNames = counties.map(() => new Set<string>());
  for (const c of clusters) {
    const d = districts[c.district]!;
    const own = d.sectors.filter((s) => s.cluster === c.index).sort((p, q) => p.x - q.x || p.y - q.y);
    for (const group of groupNearest(own, () => 1 + rng.weighted([0.45, 0.45, 0.1]))) {
      const lead = group[0]!;
      const used = wardNames[d.county]!;
      let name = '';
      for (let tries = 0; tries < 50 && (name === '' || used.has(name)); tries++) {
        const nearest = d.towns.reduce((b, t) => (d2(lead.x, lead.y, t.x, t.y) < d2(lead.x, lead.y, b.x, b.y) ? t : b));
        if (lead.urban && tries < 40) name = `${nearest.name} ${rng.pick(URBAN_WARD_SUFFIX)}`;
        else if (rng.chance(0.25)) name = `${nearest.name} Rural ${rng.pick(['North', 'South', 'East', 'West'])}`;
        else if (rng.chance(0.5)) name = uniquePlaceName(rng, area.usedNames[d.county]!);
        else name = `${uniquePlaceName(rng, area.usedNames[d.county]!)} and ${uniquePlaceName(rng, area.usedNames[d.county]!)}`;
      }
      used.add(name);
      const ward: Ward = { index: wards.length, code: gss('E05', 900001, wards.length), name, district: d.index, cluster: c.index };
      wards.push(ward);
      for (const s of group) s.ward = ward.index;
    }
  }

  // outward codes: groups of 3-8 sectors, numbered from the main town outwards
  const knownSectors = new Set<string>();
  for (const county of counties) {
    let areaIdx = 0;
    let num = 0;
    for (const d of districts.filter((x) => x.county === county.index)) {
      const t = d.towns[0]!;
      const ordered = d.sectors.slice().sort((p, q) => d2(p.x, p.y, t.x, t.y) - d2(q.x, q.y, t.x, t.y));
      for (const group of groupNearest(ordered, (s) => (s.urban ? rng.intBetween(4, 8) : rng.intBetween(3, 6)))) {
        num++;
        if (num > 99) {
          areaIdx++;
          num = 1;
        }
        const outward = county.areas[Math.min(areaIdx, county.areas.length - 1)]! + num;
        const start = group.length <= 9 && rng.chance(0.5) ? 1 : 0;
        group.forEach((s, i) => {
          s.outward = outward;
          s.digit = start + i;
          knownSectors.add(`${outward} ${s.digit}`);
        });
      }
    }
  }

  // NSPL order: by 7-character pcd, i.e. outward padded to 4, then sector digit
  const pcdKey = (s: Sector) => s.outward.padEnd(4, ' ') + s.digit;
  sectors.sort((p, q) => (pcdKey(p) < pcdKey(q) ? -1 : pcdKey(p) > pcdKey(q) ? 1 : 0));

  const total = params.postcodes;
  const unit = new Uint16Array(total);
  const flags = new Uint8Array(total);
  const patchOf = new Int32Array(total);
  const patches: Patch[] = [];
  const lsoaScores: number[] = [];
  let pc = 0;
  const prng = rng.fork('patches');
  for (let si = 0; si < sectors.length; si++) {
    const s = sectors[si]!;
    s.index = si;
    const d = districts[s.district]!;
    const county = counties[d.county]!;
    const countyX0 = county.col * cw;
    s.start = pc;
    for (const u of prng.sampleSorted(UNITS.length, s.size)) unit[pc++] = u;
    s.end = pc;
    // the sector's dominant supergroup and preferred group letters
    const su = urbanity(d, s.x, s.y);
    const sa = affluence(d, s.x, s.y, countyX0, cw) + prng.normal() * 0.1;
    const dominant = drawSupergroup(prng, su, sa, 3);
    const preferredGroup = new Map<number, string>();
    for (const [sg, groups] of OAC_TREE) {
      const letters = [...groups.keys()];
      const w = letters.map((g) => (sg === 2 && g === 'A' && su < 0.9 ? 0.2 : 1));
      preferredGroup.set(sg, letters[prng.weighted(w)]!);
    }
    // patches: consecutive runs of 15-25 postcodes
    s.patchStart = patches.length;
    let p0 = s.start;
    while (p0 < s.end) {
      let n = prng.intBetween(15, 25);
      if (s.end - (p0 + n) < 8) n = s.end - p0;
      const r = s.radius * Math.sqrt(prng.next());
      const th = prng.next() * 2 * Math.PI;
      const x = s.x + r * Math.cos(th);
      const y = s.y + r * Math.sin(th);
      const u = urbanity(d, x, y);
      const a = affluence(d, x, y, countyX0, cw);
      const sg = prng.chance(0.6) ? dominant : drawSupergroup(prng, u, a + prng.normal() * 0.25);
      const groups = OAC_TREE.get(sg)!;
      const g = prng.chance(0.75) ? preferredGroup.get(sg)! : prng.pick([...groups.keys()]);
      const code = prng.pick(groups.get(g)!);
      let childW = SG_CHILDREN[sg]!;
      if (code.startsWith('2A')) childW = 0.15;
      else if (code.startsWith('1C')) childW = 0.5;
      const ru = u > 0.35 ? 'C1' : u > 0.15 ? 'D1' : prng.chance(0.65) ? 'E1' : 'F1';
      patches.push({ index: patches.length, sector: si, x, y, u, a, sg, code, lsoa: -1, start: p0, end: p0 + n, live: 0, childW, fsmP: 0, ru });
      for (let i = p0; i < p0 + n; i++) patchOf[i] = patches.length - 1;
      p0 += n;
    }
    s.patchEnd = patches.length;
    // LSOAs: runs of 4-6 patches (a short tail joins the previous one)
    let q = s.patchStart;
    while (q < s.patchEnd) {
      let n = prng.intBetween(4, 6);
      if (s.patchEnd - (q + n) < 3) n = s.patchEnd - q;
      let score = 0;
      for (let i = q; i < q + n; i++) score += SG_IMD[patches[i]!.sg]! + 0.25 * patches[i]!.a;
      lsoaScores.push(score / n + prng.normal() * 0.15);
      for (let i = q; i < q + n; i++) patches[i]!.lsoa = lsoaScores.length - 1;
      q += n;
    }
  }
  const lsoaImd = new Int32Array(lsoaScores.length);
  lsoaScores.forEach((sc, i) => (lsoaImd[i] = Math.max(1, Math.min(32844, Math.round(1 + 32843 / (1 + Math.exp(-4 * sc)))))));

  // terminated postcodes, and a few unplaced rows / rows with a pseudo ward code
  const frng = rng.fork('flags');
  for (let i = 0; i < total; i++) if (frng.chance(params.terminatedShare)) flags[i] = FLAG_TERMINATED;
  const odd = Math.max(2, Math.round(total * 1.3e-4));
  for (const [flag, name] of [[FLAG_UNPLACED, 'unplaced'], [FLAG_PSEUDO_WARD, 'pseudo_ward']] as const) {
    let done = 0;
    while (done < odd) {
      const i = frng.int(total);
      if (flags[i] === 0) {
        flags[i] = flag;
        done++;
      }
    }
    counts[`postcodes_${name}`] = odd;
  }
  let terminated = 0;
  for (let i = 0; i < total; i++) if (flags[i]! & FLAG_TERMINATED) terminated++;
  for (const p of patches) {
    for (let i = p.start; i < p.end; i++) if (flags[i] === 0) p.live++;
    const imd = lsoaImd[p.lsoa]!;
    p.fsmP = Math.min(0.75, Math.max(0.01, 0.03 + 0.42 * (1 - imd / 32844) ** 2.2 * SG_FSM[p.sg]!));
    districts[sectors[p.sector]!.district]!.patches.push(p.index);
  }
  Object.assign(counts, {
    postcodes: total,
    postcodes_terminated: terminated,
    sectors: sectors.length,
    wards: wards.length,
    lsoas: lsoaImd.length,
    output_areas: patches.length,
    districts: districts.length,
  });
  return { area, width, height, districts, sectors, patches, wards, lsoaImd, unit, flags, patchOf, total, knownSectors, counts };
}

/** Postcode i in single-space form (NSPL pcds). */
export function pcds(geo: Geography, i: number): string {
  const s = geo.sectors[geo.patches[geo.patchOf[i]!]!.sector]!;
  return `${s.outward} ${s.digit}${UNITS[geo.unit[i]!]}`;
}

/** Planar km -> (lat, long) in the scale's box. */
export function toLatLong(geo: Geography, x: number, y: number): [number, number] {
  const { box } = geo.area.params;
  const latMid = (box.latMin + box.latMax) / 2;
  return [box.latMin + y / 111.2, box.lonMin + x / (111.32 * Math.cos((latMid * Math.PI) / 180))];
}

// OSGB36 National Grid transverse Mercator (Airy 1830), forward; the WGS84/OSGB36 datum shift
// (~100 m) is ignored, which is plenty for fictional postcodes.
const A = 6377563.396;
const B = 6356256.909;
const F0 = 0.9996012717;
const LAT0 = (49 * Math.PI) / 180;
const LON0 = (-2 * Math.PI) / 180;
const E2 = 1 - (B * B) / (A * A);
const N = (A - B) / (A + B);
function toGrid(latDeg: number, lonDeg: number): [number, number] {
  const phi = (latDeg * Math.PI) / 180;
  const lam = (lonDeg * Math.PI) / 180;
  const sin = Math.sin(phi);
  const cos = Math.cos(phi);
  const tan = Math.tan(phi);
  const nu = (A * F0) / Math.sqrt(1 - E2 * sin * sin);
  const rho = (A * F0 * (1 - E2)) / (1 - E2 * sin * sin) ** 1.5;
  const eta2 = nu / rho - 1;
  const dp = phi - LAT0;
  const sp = phi + LAT0;
  const M =
    B * F0 *
    ((1 + N + 1.25 * N * N + 1.25 * N ** 3) * dp -
      (3 * N + 3 * N * N + (21 / 8) * N ** 3) * Math.sin(dp) * Math.cos(sp) +
      ((15 / 8) * N * N + (15 / 8) * N ** 3) * Math.sin(2 * dp) * Math.cos(2 * sp) -
      (35 / 24) * N ** 3 * Math.sin(3 * dp) * Math.cos(3 * sp));
  const I = M - 100000;
  const II = (nu / 2) * sin * cos;
  const III = (nu / 24) * sin * cos ** 3 * (5 - tan * tan + 9 * eta2);
  const IIIA = (nu / 720) * sin * cos ** 5 * (61 - 58 * tan * tan + tan ** 4);
  const IV = nu * cos;
  const V = (nu / 6) * cos ** 3 * (nu / rho - tan * tan);
  const VI = (nu / 120) * cos ** 5 * (5 - 18 * tan * tan + tan ** 4 + 14 * eta2 - 58 * tan * tan * eta2);
  const dl = lam - LON0;
  const northing = I + II * dl ** 2 + III * dl ** 4 + IIIA * dl ** 6;
  const easting = 400000 + IV * dl + V * dl ** 3 + VI * dl ** 5;
  return [Math.round(easting), Math.round(northing)];
}
export { toGrid as osGridFromLatLong };

function yyyymm(m: number): string {
  return `${Math.floor(m / 12)}${pad((m % 12) + 1, 2)}`;
}

/**
 * Write the NSPL extract in a release's full layout, quoted like the ONS file: November 2021 (41
 * columns, OAC 2011 in oac11, IMD 2019 in imd) or August 2026 (35 columns, OAC 2021 in oac21ind,
 * IMD 2025 in imd25ind). Both describe the same postcodes with the same random draws.
 */

/**
 * The lookup's own marker for a postcode with no grid reference (the NSPL user guide: latitude
 * 99.999999, longitude 0), which ingest must treat as "no position": a convention, not a place.
 */
const NO_LOCATION = [99.999999, 0].map((v) => v.toFixed(6)).join(',');
export async function writeNspl(geo: Geography, path: string, seed: number, onProgress?: (msg: string) => void, layout: NsplLayout = '2021'): Promise<number> {
  const rng = new Rng(seed).fork('nspl');
  const { area, sectors, patches, districts, wards } = geo;
  const out = new CsvOut(path, layout === '2021' ? NSPL_HEADER : NSPL_HEADER_2026);
  const END = 2021 * 12 + 9; // 2021-10, month index
  const START = 1980 * 12; // 1980-01
  const step = Math.max(1, Math.ceil(sectors.length / 10));
  const imdScale = IMD_LSOAS[layout] / IMD_LSOAS['2021'];
  for (let si = 0; si < sectors.length; si++) {
    const s = sectors[si]!;
    const d = districts[s.district]!;
    const county = area.counties[d.county]!;
    const ward = wards[s.ward]!;
    const c = d.county;
    const laua = gss('E07', 900001, d.index);
    const countyCodes = [gss('E10', 900001, c), gss('E58', 900001, ward.index), laua];
    const region = county.region;
    const msoa = gss('E02', 900001, ward.index);
    const pcon = gss('E14', 900001, s.cluster);
    for (let pi = s.patchStart; pi < s.patchEnd; pi++) {
      const p = patches[pi]!;
      const town = d.towns.reduce((b, t) => (d2(p.x, p.y, t.x, t.y) < d2(p.x, p.y, b.x, b.y) ? t : b));
      const bua = p.u > 0.3 ? gss('E34', 900001, town.id) : 'E34999999';
      const buasd = p.u > 0.5 && town.weight === 1 ? gss('E35', 900001, town.id) : 'E35999999';
      const imd = Math.max(1, Math.round(geo.lsoaImd[p.lsoa]! * imdScale));
      const q = (xs: string[]) => `"${xs.join('","')}"`;
      const midFor = (wardCode: string) =>
        layout === '2021'
          ? q([
              '1', gss('E00', 500001, pi), countyCodes[0]!, countyCodes[1]!, laua, wardCode, gss('E18', 900001, c), `E4000000${region}`,
              'E92000001', `E1200000${region}`, pcon, `E1500000${region}`, gss('E24', 900001, c), gss('E30', 900001, d.index),
              gss('E16', 900001, d.index), laua, 'E99999999', gss('E01', 900001, p.lsoa), msoa, gss('E33', 800001, pi),
              gss('E38', 900001, d.index), bua, buasd, p.ru, p.code,
            ])
          : q([
              '1', gss('E00', 500001, pi), countyCodes[0]!, countyCodes[1]!, laua, wardCode, `E4000000${region}`, 'E92000001',
              `E1200000${region}`, pcon, gss('E30', 900001, d.index), laua, 'E99999999', gss('E01', 900001, p.lsoa), msoa,
              gss('E33', 800001, pi), gss('E38', 900001, d.index), bua, RUC21[p.ru]!, sampleOac21(p.code),
            ]);
      const mid = midFor(ward.code);
      const tail =
        layout === '2021'
          ? `"${gss('E37', 900001, c)}","","${gss('E23', 900001, c)}",${imd},"${gss('E56', 900001, c)}","${gss('E54', 900001, c)}"`
          : `"${gss('E37', 900001, c)}","","${gss('E23', 900001, c)}",${imd},"${gss('E54', 900001, c)}"`;
      const jitter = s.urban ? 0.1 : 0.35;
      for (let i = p.start; i < p.end; i++) {
        const inward = `${s.digit}${UNITS[geo.unit[i]!]}`;
        const pcd = s.outward.padEnd(4, ' ').slice(0, 4) + inward;
        const pcd2 = s.outward.padEnd(4, ' ') + ' ' + inward;
        const pcdsv = `${s.outward} ${inward}`;
        const f = geo.flags[i]!;
        const intro = rng.chance(0.45) ? START : rng.intBetween(START + 12, END - 1);
        const term = f & FLAG_TERMINATED ? yyyymm(rng.intBetween(Math.max(intro + 1, 1985 * 12), END)) : '';
        const userType = rng.chance(f & FLAG_TERMINATED ? 0.2 : 0.07) ? '1' : '0';
        const x = p.x + rng.normal() * jitter;
        const y = p.y + rng.normal() * jitter;
        let line: string;
        if (f & FLAG_UNPLACED) {
          const blanks = layout === '2021' ? 24 : 19;
          const tailBlank = layout === '2021' ? '"","","",0,"",""' : '"","","",0,""';
          line = `"${pcd}","${pcd2}","${pcdsv}","${yyyymm(rng.intBetween(2019 * 12, END))}","","1","","","9",${'"",'.repeat(blanks)}${NO_LOCATION},${tailBlank}`;
        } else {
          const [lat, lon] = toLatLong(geo, x, y);
          const [e, n] = toGrid(lat, lon);
          line = `"${pcd}","${pcd2}","${pcdsv}","${yyyymm(intro)}","${term}","${userType}","${e}","${pad(n, 7)}",${f & FLAG_PSEUDO_WARD ? midFor('E99999999') : mid},${lat.toFixed(6)},${lon.toFixed(6)},${tail}`;
        }
        if (out.row(line)) await out.flush();
      }
    }
    if (onProgress && si % step === step - 1) onProgress(`classification: ${Math.round(((si + 1) / sectors.length) * 100)}% (${s.end.toLocaleString('en-GB')} postcodes)`);
  }
  await out.close();
  return out.rows;
}

/** `classification/wards.csv`: code,name. */
export async function writeWards(geo: Geography, path: string): Promise<number> {
  const out = new CsvOut(path, 'code,name');
  for (const w of geo.wards) if (out.row(`${w.code},${csvField(w.name)}`)) await out.flush();
  await out.close();
  return out.rows;
}
