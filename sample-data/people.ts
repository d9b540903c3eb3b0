/**
 * Schools, pupils and service contacts on top of the synthetic geography.
 *
 *  - schools sit at live postcodes of their cluster (big primaries and secondaries in towns,
 *    small primaries in villages);
 *  - each school draws its pupils from the nearest patches of its district with a distance decay
 *    (short for primaries, longer for secondaries, longest for special schools), so school
 *    profiles differ; FSM eligibility follows the home patch's IMD rank and supergroup;
 *  - the second census moves everyone up a year (same UPN), Year 6 move on to a nearby
 *    secondary, Year 13 and some Year 11 leave, new Reception and nursery children join;
 *  - service contacts come mostly from families of Year 5/6 pupils, weighted by supergroup so
 *    affluent segments are over-represented (slightly less so in the second year);
 *  - defects (blank, malformed, unmatched, oddly formatted postcodes, bad UPN check letters,
 *    duplicate UPN rows) are added as rows are written and counted.
 */
import { isValid } from 'postcode';
import { UPN_ALPHABET, upnCheckLetter } from '../functions/domain/upn.ts';
import { CsvOut, csvField } from './csv-out.ts';
import { AFFLUENT_SUPERGROUPS, DEPRIVED_SUPERGROUPS, FLAG_TERMINATED, pcds, type Geography } from './geo.ts';
import { FORENAMES, STREET_WORDS, SURNAMES, UNITS } from './names.ts';
import { ncYearLabel, yearProfile, type SchoolPlan } from './plan.ts';
import { CumulativeSampler, Rng } from './random.ts';

export interface PlacedSchool extends SchoolPlan {
  index: number;
  /** Postcode index of the school, and its position (km). */
  postcode: number;
  x: number;
  y: number;
}

export interface Pupil {
  upn: string;
  school: number;
  /** NC year ordinal: N1 = -2, N2 = -1, R = 0, 1..14. */
  ord: number;
  home: number;
  fsm: boolean;
}

const d2 = (ax: number, ay: number, bx: number, by: number) => (ax - bx) * (ax - bx) + (ay - by) * (ay - by);

/** A random live, placed postcode in a patch (one with a real ward). */
function livePostcode(geo: Geography, patch: number, rng: Rng): number {
  const p = geo.patches[patch]!;
  for (let tries = 0; tries < 200; tries++) {
    const i = p.start + rng.int(p.end - p.start);
    if (geo.flags[i] === 0) return i;
  }
  for (let i = p.start; i < p.end; i++) if (geo.flags[i] === 0) return i;
  throw new Error(`patch ${patch} has no live postcode`);
}

export function placeSchools(geo: Geography, plans: SchoolPlan[], seed: number): PlacedSchool[] {
  const rng = new Rng(seed).fork('place-schools');
  const byCluster = new Map<number, number[]>();
  for (const p of geo.patches) {
    if (p.live === 0) continue;
    const c = geo.sectors[p.sector]!.cluster;
    if (!byCluster.has(c)) byCluster.set(c, []);
    byCluster.get(c)!.push(p.index);
  }
  const primaryCohorts = plans.filter((s) => s.phase === 'primary').map((s) => s.cohort).sort((a, b) => a - b);
  const median = primaryCohorts[Math.floor(primaryCohorts.length / 2)] ?? 0;
  const penalty = new Float64Array(geo.patches.length).fill(1);
  return plans.map((s, index) => {
    const cands = byCluster.get(s.cluster);
    if (!cands || cands.length === 0) throw new Error(`cluster ${s.clusterName} has no live postcodes`);
    const w = cands.map((pi) => {
      const p = geo.patches[pi]!;
      let base: number;
      if (s.phase === 'primary') base = p.childW * (s.cohort < median ? 0.3 + (1 - p.u) : 0.3 + p.u);
      else if (s.phase === 'secondary') base = (0.15 + p.u) ** 2;
      else base = 1;
      return p.live * base * penalty[pi]!;
    });
    const pi = cands[rng.weighted(w)]!;
    penalty[pi]! *= 0.05;
    const p = geo.patches[pi]!;
    return { ...s, index, postcode: livePostcode(geo, pi, rng), x: p.x, y: p.y };
  });
}

/** Where a school's pupils live: nearby patches of its district, weighted by children and distance. */
export interface Catchment {
  patches: Int32Array;
  sampler: CumulativeSampler;
}

export function catchmentOf(geo: Geography, s: PlacedSchool): Catchment {
  const district = geo.districts[s.district]!;
  const cands = district.patches.filter((pi) => geo.patches[pi]!.live > 0);
  const dist = new Map<number, number>();
  for (const pi of cands) dist.set(pi, Math.sqrt(d2(geo.patches[pi]!.x, geo.patches[pi]!.y, s.x, s.y)));
  cands.sort((a, b) => dist.get(a)! - dist.get(b)! || a - b);
  const need = s.phase === 'primary' ? Math.max(60, 0.9 * s.expected) : s.phase === 'secondary' ? 1.5 * s.expected : 4 * s.expected;
  const lambda = s.phase === 'primary' ? 1.5 : s.phase === 'secondary' ? 4 : 8;
  const chosen: number[] = [];
  let cum = 0;
  for (const pi of cands) {
    chosen.push(pi);
    cum += geo.patches[pi]!.live;
    if (cum >= need) break;
  }
  const weights = chosen.map((pi) => {
    const p = geo.patches[pi]!;
    return p.live * p.childW * Math.exp(-dist.get(pi)! / lambda);
  });
  return { patches: Int32Array.from(chosen), sampler: new CumulativeSampler(weights) };
}

export function drawHome(geo: Geography, c: Catchment, rng: Rng): number {
  return livePostcode(geo, c.patches[c.sampler.draw(rng)]!, rng);
}

/**
 * UPN allocation: LA number + establishment number + 2-digit year of allocation + 3-digit serial,
 * check letter in front. Serials are counted per (LA, establishment, year), so UPNs never repeat;
 * a full serial range spills into establishment numbers 6000+ of the same LA. Temporary UPNs end
 * in a letter (2-digit serial + letter).
 */
export class UpnAllocator {
  private readonly next = new Map<string, number>();
  private readonly spill = new Map<string, number>();

  make(la: string, estab: string, yy: number, temporary = false): string {
    const y = String(yy % 100).padStart(2, '0');
    const cap = temporary ? 99 * 23 : 999;
    let key = `${temporary ? 'T' : ''}${la}${estab}${y}`;
    let n = this.next.get(key) ?? 0;
    while (n >= cap) {
      const sk = `${temporary ? 'T' : ''}${la}${y}`;
      const e = this.spill.get(sk) ?? 6000;
      estab = String(e);
      key = `${temporary ? 'T' : ''}${la}${estab}${y}`;
      n = this.next.get(key) ?? 0;
      if (n >= cap) this.spill.set(sk, e + 1);
    }
    this.next.set(key, n + 1);
    const serial = temporary ? String(Math.floor(n / 23)).padStart(2, '0') + UPN_ALPHABET[n % 23] : String(n + 1).padStart(3, '0');
    const rest = `${la}${estab}${y}${serial}`;
    return upnCheckLetter(rest) + rest;
  }
}

export interface DefectRates {
  blank: number;
  malformed: number;
  unmatchedKnownSector: number;
  unmatchedUnknownSector: number;
  caseOrSpace: number;
  terminated: number;
}

export const PUPIL_DEFECTS: DefectRates = { blank: 0.003, malformed: 0.002, unmatchedKnownSector: 0.0025, unmatchedUnknownSector: 0.0025, caseOrSpace: 0.01, terminated: 0.005 };
export const CONTACT_DEFECTS: DefectRates = { blank: 0.004, malformed: 0.002, unmatchedKnownSector: 0.004, unmatchedUnknownSector: 0.002, caseOrSpace: 0.02, terminated: 0.004 };

const PLACEHOLDERS = ['N/A', 'NFA', 'UNKNOWN', 'TBC', '0', 'XX', 'NONE'];

/** Postcode text as written in a pupils/contacts file, with defects at the given rates. */
/**
 * How postcodes are spelled: 'tidy' (the sample county: mostly as the NSPL writes them), or
 * 'extract' (as census extracts and contact logs spell them: a fifth in lower case, a tenth without
 * the space, some padded with spaces), for the England-scale benchmark.
 */
export type PostcodeSpelling = 'tidy' | 'extract';

export class PostcodeRenderer {
  constructor(
    readonly geo: Geography,
    private readonly counts: Record<string, number>,
    private readonly spelling: PostcodeSpelling = 'tidy',
  ) {}

  /** A postcode as an extract spells it ('extract' spelling), otherwise as it is. */
  private spell(pc: string, rng: Rng): string {
    if (this.spelling === 'tidy' || pc === '') return pc;
    const r = rng.next();
    if (r < 0.2) return pc.toLowerCase();
    if (r < 0.3) return pc.replace(' ', '');
    if (r < 0.33) return ` ${pc}  `;
    return pc;
  }

  private bump(key: string) {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }

  render(home: number, rng: Rng, rates: DefectRates, prefix: string): string {
    return this.spell(this.renderDefects(home, rng, rates, prefix), rng);
  }

  private renderDefects(home: number, rng: Rng, rates: DefectRates, prefix: string): string {
    const pc = pcds(this.geo, home);
    let r = rng.next();
    if ((r -= rates.blank) < 0) {
      this.bump(`${prefix}:blank_postcode`);
      return '';
    }
    if ((r -= rates.malformed) < 0) {
      this.bump(`${prefix}:malformed_postcode`);
      return this.malformed(pc, rng);
    }
    if ((r -= rates.unmatchedKnownSector) < 0) {
      const v = this.unmatchedInSector(home, rng);
      if (v) {
        this.bump(`${prefix}:unmatched_known_sector`);
        return v;
      }
      return pc;
    }
    if ((r -= rates.unmatchedUnknownSector) < 0) {
      this.bump(`${prefix}:unmatched_unknown_sector`);
      return this.unknownSector(home, rng);
    }
    if ((r -= rates.caseOrSpace) < 0) {
      this.bump(`${prefix}:case_or_space`);
      const k = rng.next();
      return k < 0.5 ? pc.toLowerCase() : k < 0.85 ? pc.replace(' ', '') : pc.replace(' ', '').toLowerCase();
    }
    if ((r -= rates.terminated) < 0) {
      const t = this.terminatedNear(home, rng);
      if (t >= 0) {
        this.bump(`${prefix}:terminated_postcode`);
        return pcds(this.geo, t);
      }
    }
    return pc;
  }

  private malformed(pc: string, rng: Rng): string {
    const [out, inw] = pc.split(' ') as [string, string];
    const options = [
      () => pc.slice(0, -1),
      () => pc + rng.pick(['X', 'A', '1']),
      () => out,
      () => `${out} ${inw[1]}${inw[2]}${inw[0]}`,
      () => rng.pick(PLACEHOLDERS),
    ];
    const v = options[rng.weighted([0.3, 0.15, 0.15, 0.15, 0.25])]!();
    return isValid(v) ? 'N/A' : v;
  }

  private unmatchedInSector(home: number, rng: Rng): string | null {
    const s = this.geo.sectors[this.geo.patches[this.geo.patchOf[home]!]!.sector]!;
    const used = new Set<number>();
    for (let i = s.start; i < s.end; i++) used.add(this.geo.unit[i]!);
    if (used.size >= UNITS.length) return null;
    let u: number;
    do u = rng.int(UNITS.length);
    while (used.has(u));
    return `${s.outward} ${s.digit}${UNITS[u]}`;
  }

  private unknownSector(home: number, rng: Rng): string {
    const s = this.geo.sectors[this.geo.patches[this.geo.patchOf[home]!]!.sector]!;
    const county = this.geo.area.counties[this.geo.districts[s.district]!.county]!;
    for (let tries = 0; tries < 100; tries++) {
      // a neighbouring (out-of-county) area, or an unused sector/district of the county's own area
      const area = rng.chance(0.5) ? county.areas[1]! : county.areas[0]!;
      const outward = area + rng.intBetween(1, 99);
      const digit = rng.int(10);
      if (!this.geo.knownSectors.has(`${outward} ${digit}`)) return `${outward} ${digit}${rng.pick(UNITS)}`;
    }
    return `${county.areas[1]}99 9ZZ`;
  }

  private terminatedNear(home: number, rng: Rng): number {
    const s = this.geo.sectors[this.geo.patches[this.geo.patchOf[home]!]!.sector]!;
    const n = s.end - s.start;
    const off = rng.int(n);
    for (let k = 0; k < n; k++) {
      const i = s.start + ((off + k) % n);
      if (this.geo.flags[i] === FLAG_TERMINATED) return i;
    }
    return -1;
  }
}

/** Writes one pupils file: UPN defects (bad check letter, duplicate rows) and postcode defects. */
/**
 * The pupils file of one census. Layout '2026' is a census extract as an LA's system exports it:
 * schools by LAESTAB, CBDS field names, and the personal details such extracts carry (fictional
 * names, dates of birth, addresses, gender, ethnicity) that catchment must never read into any
 * output. Layout '2021' is the plain upn,urn,postcode,ncyear,fsm file. Personal details come
 * from their own random stream, so both layouts hold the same pupils and the same defects.
 */
export type PupilLayout = '2021' | '2026';
export const CENSUS_HEADER = 'LAEstab,UPN,Surname,Forename,DOB,Gender,Ethnicity,NCyearActual,FSMeligible,AddressLine1,Town,PostCode';
const ETHNICITY = ['WBRI', 'WOTH', 'MWBC', 'AIND', 'APKN', 'BAFR', 'CHNE', 'WIRT', 'NOBT'];
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

export class PupilFile {
  readonly out: CsvOut;
  private readonly rng: Rng;
  private readonly people: Rng;
  private readonly y0: number;
  private readonly firstYear: boolean;
  private readonly prefix: string;
  constructor(
    path: string,
    private readonly period: string,
    private readonly schools: PlacedSchool[],
    private readonly renderer: PostcodeRenderer,
    private readonly counts: Record<string, number>,
    seed: number,
    private readonly badRate: number,
    private readonly dupRate: number,
    private readonly layout: PupilLayout = '2021',
    private readonly townOf: (home: number) => string = () => 'Kentish Vale',
  ) {
    this.out = new CsvOut(path, layout === '2026' ? CENSUS_HEADER : 'upn,urn,postcode,ncyear,fsm');
    this.rng = new Rng(seed).fork(`pupil-file-${period}`);
    this.people = new Rng(seed).fork(`pupil-people-${period}`);
    this.y0 = Number(period.slice(0, 4));
    this.firstYear = period === '2024-25';
    this.prefix = `pupils_${period}`;
  }

  private bump(key: string) {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }

  /**
   * The row of a pupil. Layout '2026' adds fictional personal details (census extracts carry
   * them; catchment never reads them), drawn from the `people` stream in a fixed order.
   */
  private line(upn: string, s: PlacedSchool, postcode: string, p: Pupil, fsm: boolean): string {
    if (this.layout === '2021') {
      // 2024-25 writes FSM as Y/N, later censuses as 1/0 (both are in the input contract)
      const flag = this.firstYear ? (fsm ? 'Y' : 'N') : fsm ? '1' : '0';
      return `${upn},${s.urn},${postcode},${ncYearLabel(p.ord)},${flag}`;
    }
    const flag = this.firstYear ? (fsm ? 'Yes' : 'No') : fsm ? 'true' : 'false';
    const r = this.people;
    // Reception children are 4 on 1 September; the academic year of birth runs September to August.
    const born = this.y0 - (p.ord + 5);
    const month = r.int(12);
    const year = month >= 8 ? born : born + 1;
    const dob = `${year}-${TWO_DIGITS[month + 1]}-${TWO_DIGITS[1 + r.int(28)]}`;
    const gender = r.chance(0.5) ? 'F' : 'M';
    const street = `${1 + r.int(180)} ${r.pick(SURNAMES)} ${r.pick(STREET_WORDS)}`;
    const surname = r.pick(SURNAMES);
    const forename = r.pick(FORENAMES);
    const ethnicity = r.pick(ETHNICITY);
    // Special schools record a few pupils outside the national curriculum years (X).
    const nc = s.phase === 'special' && p.ord >= 12 && r.chance(0.2) ? 'X' : ncYearLabel(p.ord);
    return `${s.la}${s.estab},${upn},${surname},${forename},${dob},${gender},${ethnicity},${nc},${flag},${street},${this.townOf(p.home)},${postcode}`;
  }

  /** Writes a pupil's row(s); returns a promise (to await) only when the buffer must be flushed. */
  write(p: Pupil): Promise<void> | undefined {
    const rng = this.rng;
    const prefix = this.prefix;
    let upn = p.upn;
    if (rng.chance(this.badRate)) {
      const i = UPN_ALPHABET.indexOf(upn[0]!);
      upn = UPN_ALPHABET[(i + 1 + rng.int(22)) % 23] + upn.slice(1);
      this.bump(`${prefix}:bad_upn`);
    }
    const s = this.schools[p.school]!;
    const line = this.line(upn, s, this.renderer.render(p.home, rng, PUPIL_DEFECTS, prefix), p, p.fsm);
    let full = this.out.row(line);
    if (rng.chance(this.dupRate)) {
      this.bump(`${prefix}:duplicate_upn`);
      const again = rng.chance(0.5) ? line : this.line(upn, s, pcds(this.renderer.geo, p.home).toLowerCase(), p, p.fsm);
      full = this.out.row(again) || full;
    }
    return full ? this.out.flush() : undefined;
  }

  async close(): Promise<number> {
    await this.out.close();
    this.counts[`pupils_${this.period}`] = this.out.rows;
    return this.out.rows;
  }
}

/** Families who may contact the service: pupils with home, school and NC year. */
export class FamilyPool {
  home: number[] = [];
  school: number[] = [];
  ord: number[] = [];
  add(p: Pupil) {
    this.home.push(p.home);
    this.school.push(p.school);
    this.ord.push(p.ord);
  }
  get size() {
    return this.home.length;
  }
}

export interface Contact {
  day: number;
  period: string;
  home: number;
  urn: string;
  ord: number | null;
  channel: string;
}

const CHANNELS: [string, number][] = [
  ['Helpline', 0.24], ['helpline', 0.04], ['phone', 0.08], ['Telephone', 0.02],
  ['School meeting', 0.2], ['school meeting', 0.04], ['drop-in', 0.1], ['Drop in', 0.04],
  ['Email', 0.16], ['email', 0.04], ['other', 0.03], ['Other', 0.01],
];
// contacts cluster around secondary applications (Sep-Oct) and national offer day (March)
const MONTH_WEIGHTS = [0.14, 0.2, 0.08, 0.04, 0.07, 0.08, 0.14, 0.08, 0.06, 0.05, 0.04, 0.02]; // Sep..Aug

const DAY_MS = 86_400_000;

/**
 * Contacts of one academic year. `affluentWeight`/`deprivedWeight` multiply a family's chance of
 * contacting the service by the supergroup of its postcode (others weigh 1).
 */
export function generateContacts(
  geo: Geography,
  schools: PlacedSchool[],
  period: string,
  n: number,
  y56: FamilyPool,
  others: FamilyPool,
  weights: { affluent: number; deprived: number },
  seed: number,
): Contact[] {
  const rng = new Rng(seed).fork(`contacts-${period}`);
  const y0 = Number(period.slice(0, 4));
  const w = (home: number) => {
    const sg = geo.patches[geo.patchOf[home]!]!.sg;
    return AFFLUENT_SUPERGROUPS.has(sg) ? weights.affluent : DEPRIVED_SUPERGROUPS.has(sg) ? weights.deprived : 1;
  };
  const mainSampler = new CumulativeSampler(Float64Array.from(y56.home, w));
  const otherSampler = others.size > 0 ? new CumulativeSampler(Float64Array.from(others.home, w)) : mainSampler;
  const monthStart = (m: number) => Date.UTC(y0 + (m >= 4 ? 1 : 0), (m + 8) % 12, 1) / DAY_MS; // m = 0 is September
  const drawDay = () => {
    for (;;) {
      const m = rng.weighted(MONTH_WEIGHTS);
      const start = monthStart(m);
      const len = (m === 11 ? Date.UTC(y0 + 1, 8, 1) / DAY_MS : monthStart(m + 1)) - start;
      const day = start + rng.int(len);
      const dow = new Date(day * DAY_MS).getUTCDay();
      if ((dow !== 0 && dow !== 6) || rng.chance(0.15)) return day;
    }
  };
  const yearEnd = Date.UTC(y0 + 1, 7, 31) / DAY_MS;
  const out: Contact[] = [];
  for (let i = 0; i < n; i++) {
    const channel = CHANNELS[rng.weighted(CHANNELS.map((c) => c[1]))]![0];
    const r = rng.next();
    if (r < 0.07 && out.length > 0) {
      // repeat contact from the same family, a little later
      const prev = out[rng.int(out.length)]!;
      out.push({ ...prev, day: Math.min(yearEnd, prev.day + rng.intBetween(1, 45)), channel });
      continue;
    }
    let home: number;
    let urn = '';
    let ord: number | null = null;
    if (r < 0.9 || r >= 0.96) {
      const k = mainSampler.draw(rng);
      home = y56.home[k]!;
      if (r < 0.9) {
        urn = schools[y56.school[k]!]!.urn;
        ord = y56.ord[k]!;
      }
    } else {
      const pool = others.size > 0 ? others : y56;
      const k = otherSampler.draw(rng);
      home = pool.home[k]!;
      urn = schools[pool.school[k]!]!.urn;
      ord = pool.ord[k]!;
    }
    // child details are not always recorded
    const blank = rng.next();
    if (blank < 0.1) {
      urn = '';
      ord = null;
    } else if (blank < 0.13) urn = '';
    else if (blank < 0.15) ord = null;
    out.push({ day: drawDay(), period, home, urn, ord, channel });
  }
  return out;
}

export async function writeContacts(path: string, contacts: Contact[], renderer: PostcodeRenderer, seed: number): Promise<number> {
  const rng = new Rng(seed).fork('contacts-file');
  const sorted = contacts.map((c, i) => [c, i] as const).sort((a, b) => a[0].day - b[0].day || a[1] - b[1]);
  const out = new CsvOut(path, 'contact_id,contact_date,postcode,channel,child_urn,child_ncyear');
  const seq = new Map<string, number>();
  for (const [c] of sorted) {
    const n = (seq.get(c.period) ?? 0) + 1;
    seq.set(c.period, n);
    const id = `CA${c.period.slice(2, 4)}-${String(n).padStart(5, '0')}`;
    const iso = new Date(c.day * DAY_MS).toISOString().slice(0, 10);
    const date = rng.chance(0.85) ? iso : `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
    let year = '';
    if (c.ord !== null) {
      const label = ncYearLabel(c.ord);
      const k = rng.next();
      year = k < 0.9 || c.ord <= 0 ? label : k < 0.96 ? `Y${label}` : `Year ${label}`;
    }
    const pc = renderer.render(c.home, rng, CONTACT_DEFECTS, 'contacts');
    if (out.row(`${id},${date},${pc},${csvField(c.channel)},${c.urn},${year}`)) await out.flush();
  }
  await out.close();
  return out.rows;
}
