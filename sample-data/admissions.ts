/**
 * Coordinated admissions rounds for the sample county: for each census year, the secondary round
 * (its Year 6 pupils apply for Year 7 next September) and the Reception round (the next intake,
 * living where this year's Reception children live), as two LA admissions-system exports with
 * different column names.
 *
 * The planted effect (what test/admissions-stats.test.ts recovers): families in two supergroups
 * of the classification the pipeline reads (PLANTED.supergroups) are offered their first
 * preference less often and name their nearest school first more often than other families, and
 * name fewer preferences. Contacting the Choice Advisers changes nothing here: a contacted family
 * fares like the other families of its supergroup, so any difference between contacted and
 * not-contacted families overall comes only from who contacts the service.
 */
import { CsvOut, csvField } from './csv-out.ts';
import { pcds, type Geography } from './geo.ts';
import { sampleOac21 } from './names.ts';
import { FORENAMES, STREET_WORDS, SURNAMES } from './names.ts';
import type { DefectRates, PlacedSchool, PostcodeRenderer } from './people.ts';
import { Rng } from './random.ts';

/** The planted effect, in the classification the pipeline reads (supergroup digits are the same in OAC 2011 and the sample's OAC 2021). */
export const PLANTED = {
  supergroups: ['7', '8'],
  /** Share of on-time applications offered their first preference, by round. */
  firstOffered: { secondary: { planted: 0.72, other: 0.87 }, primary: { planted: 0.82, other: 0.93 } },
  /** Share naming their nearest school of the phase first. */
  nearestFirst: { planted: 0.74, other: 0.42 },
} as const;

export const ADMISSION_DEFECTS: DefectRates = { blank: 0.002, malformed: 0.002, unmatchedKnownSector: 0.003, unmatchedUnknownSector: 0.002, caseOrSpace: 0.02, terminated: 0.004 };

/** One applicant: home postcode index, and the census pupil (secondary round) whose UPN the export carries. */
export interface Applicant {
  home: number;
  upn: string | null;
}

type Round = 'secondary' | 'primary';

const SECONDARY_HEADER = 'Application Ref,Entry Year,Round,Surname,Forename,DOB,Address Line 1,Post Code,UPN,Preference 1,Preference 2,Preference 3,Preference 4,Offered School,Offered Preference,Application Status';
const RECEPTION_HEADER = 'ApplicationID,YearOfEntry,AdmissionRound,Surname,Forename,DOB,HomePostcode,Pref1,Pref2,Pref3,SchoolOffered,RankOfOffer,LateApplication';

/** Export file of a round: admissions/<round>_offers_<entry year>.csv. */
export const admissionsFile = (round: Round, entryYear: number) => `admissions/${round === 'secondary' ? 'secondary' : 'reception'}_offers_${entryYear}.csv`;

/** The supergroup digit the pipeline will see for a home (the NSPL's OAC edition). */
export function outputSupergroup(geo: Geography, home: number, layout: '2021' | '2026'): string {
  const code = geo.patches[geo.patchOf[home]!]!.code;
  return (layout === '2026' ? sampleOac21(code) : code)[0]!;
}

/**
 * The nearest few schools of a phase to each home patch, among its district's schools (cached:
 * applicants share patches; a district keeps the England-scale sample cheap).
 */
class NearestSchools {
  private cache: Record<Round, Map<number, number[]>> = { secondary: new Map(), primary: new Map() };
  private byDistrict = new Map<number, PlacedSchool[]>();
  constructor(
    private readonly geo: Geography,
    private readonly schools: PlacedSchool[],
  ) {
    for (const s of schools) {
      const list = this.byDistrict.get(s.district);
      if (list) list.push(s);
      else this.byDistrict.set(s.district, [s]);
    }
  }
  of(home: number, phase: Round, k = 10): number[] {
    const patch = this.geo.patchOf[home]!;
    const cache = this.cache[phase];
    let hit = cache.get(patch);
    if (hit) return hit;
    const p = this.geo.patches[patch]!;
    const local = (this.byDistrict.get(this.geo.sectors[p.sector]!.district) ?? []).filter((s) => s.phase === phase);
    // the k nearest by (squared distance, index): a total order, so sorting all is the same as keeping the best k
    const all: [number, number][] = [];
    for (const s of local.length ? local : this.schools.filter((x) => x.phase === phase)) all.push([(s.x - p.x) ** 2 + (s.y - p.y) ** 2, s.index]);
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    hit = all.slice(0, k).map(([, i]) => i);
    cache.set(patch, hit);
    return hit;
  }
}

export interface AdmissionsRoundOptions {
  geo: Geography;
  schools: PlacedSchool[];
  renderer: PostcodeRenderer;
  counts: Record<string, number>;
  seed: number;
  layout: '2021' | '2026';
  /** Census year whose pupils apply (the round's academic year). */
  period: string;
  round: Round;
  applicants: Applicant[];
  out: string;
}

// Draw weights of the named-first school when it is not the nearest (by how many others there
// are), and of further preferences (1/rank): built once, not per applicant.
const NOT_NEAREST_WEIGHTS = [0, 1, 2, 3, 4, 5].map((n) => [0.4, 0.25, 0.15, 0.12, 0.08].slice(0, n));
const HARMONIC = Array.from({ length: 9 }, (_, n) => Array.from({ length: n }, (_, i) => 1 / (i + 1)));

/** Preference codes padded with blanks to n columns. */
function padded(xs: string[], n: number): string {
  let line = xs.join(',');
  for (let i = xs.length; i < n; i++) line += i === 0 ? '' : ',';
  return line;
}

/** Writes one round's export; returns rows written. */
export async function writeAdmissionsRound(o: AdmissionsRoundOptions): Promise<number> {
  const { geo, schools, round } = o;
  const rng = new Rng(o.seed).fork(`admissions-${o.round}-${o.period}`);
  const people = new Rng(o.seed).fork(`admissions-people-${o.round}-${o.period}`);
  const entryYear = Number(o.period.slice(0, 4)) + 1;
  const maxPrefs = round === 'secondary' ? 4 : 3;
  const nearest = new NearestSchools(geo, schools);
  const out = new CsvOut(`${o.out}/${admissionsFile(round, entryYear)}`, round === 'secondary' ? SECONDARY_HEADER : RECEPTION_HEADER);
  const prefix = `admissions_${round}_${entryYear}`;
  const bump = (k: string) => (o.counts[`${prefix}:${k}`] = (o.counts[`${prefix}:${k}`] ?? 0) + 1);
  // How a school is written: secondary exports DfE numbers (886/4012), Reception ones URNs, some
  // DfE numbers without the slash; the 2021 layout's schools list has no LAESTABs, so URNs only.
  const code = (i: number) => {
    const s = schools[i]!;
    if (o.layout === '2021') return s.urn;
    if (round === 'secondary') return rng.chance(0.85) ? `${s.la}/${s.estab}` : s.urn;
    return rng.chance(0.8) ? s.urn : `${s.la}${s.estab}`;
  };
  let serial = 0;
  const UNKNOWN = 2;
  const plantedAt = new Uint8Array(geo.patches.length).fill(UNKNOWN);
  for (const a of o.applicants) {
    const patch = geo.patchOf[a.home]!;
    if (plantedAt[patch] === UNKNOWN) plantedAt[patch] = (PLANTED.supergroups as readonly string[]).includes(outputSupergroup(geo, a.home, o.layout)) ? 1 : 0;
    const planted = plantedAt[patch] === 1;
    const cands = nearest.of(a.home, round);
    if (cands.length === 0) continue;
    const weights = round === 'secondary' ? (planted ? [0.3, 0.25, 0.25, 0.2] : [0.12, 0.18, 0.3, 0.4]) : planted ? [0.4, 0.3, 0.3] : [0.2, 0.3, 0.5];
    const nPrefs = Math.min(cands.length, 1 + rng.weighted(weights));
    const prefs: number[] = [];
    const nearestFirst = rng.chance(planted ? PLANTED.nearestFirst.planted : PLANTED.nearestFirst.other);
    prefs.push(nearestFirst || cands.length === 1 ? cands[0]! : cands[1 + rng.weighted(NOT_NEAREST_WEIGHTS[Math.max(1, Math.min(5, cands.length - 1))]!)]!);
    while (prefs.length < nPrefs) {
      const pool = cands.slice(0, 8).filter((c) => !prefs.includes(c));
      if (pool.length === 0) break;
      prefs.push(pool[rng.weighted(HARMONIC[pool.length]!)]!);
    }
    const onTime = !rng.chance(0.04);
    const rates = PLANTED.firstOffered[round];
    const pFirst = (planted ? rates.planted : rates.other) * (onTime ? 1 : 0.6);
    let rank: number | null = null;
    let offered: number | null = null;
    if (rng.chance(pFirst)) rank = 1;
    else for (let k = 2; k <= prefs.length && rank === null; k++) if (rng.chance(0.55)) rank = k;
    if (rank !== null) offered = prefs[rank - 1]!;
    else if (!rng.chance(0.01)) {
      // Allocated: a nearby school the family did not name.
      const pool = cands.filter((c) => !prefs.includes(c)).slice(0, 6);
      offered = pool.length ? pool[rng.int(pool.length)]! : null;
    }
    serial++;
    let ref = round === 'secondary' ? `SEC${entryYear % 100}-${String(serial).padStart(6, '0')}` : `RA${entryYear}${String(serial).padStart(5, '0')}`;
    const postcode = o.renderer.render(a.home, rng, ADMISSION_DEFECTS, prefix);
    const prefCodes = prefs.map(code);
    // Deliberate defects, counted: a blank reference, a DfE number no school has, an offer
    // recorded against the wrong preference.
    const d = rng.next();
    if (d < 0.0004) {
      ref = '';
      bump('blank_reference');
    } else if (d < 0.0008 && o.layout === '2026') {
      prefCodes[0] = `${schools[prefs[0]!]!.la}/9${String(rng.int(1000)).padStart(3, '0')}`;
      bump('unknown_laestab');
    }
    let rankText = rank === null ? (offered === null ? '' : round === 'secondary' ? 'A' : 'D') : String(rank);
    if (d >= 0.0008 && d < 0.0011 && rank !== null && prefs.length > 1) {
      rankText = String(rank === 1 ? 2 : 1);
      bump('offer_mismatch');
    }
    const offeredText = offered === null ? '' : code(offered);
    const surname = people.pick(SURNAMES);
    const forename = people.pick(FORENAMES);
    const birthYear = entryYear - (round === 'secondary' ? 12 : 5);
    const month = people.int(12);
    const dob = `${String(1 + people.int(28)).padStart(2, '0')}/${String(month + 1).padStart(2, '0')}/${month >= 8 ? birthYear - 1 : birthYear}`;
    const line =
      round === 'secondary'
        ? `${ref},${entryYear}/${String((entryYear + 1) % 100).padStart(2, '0')},Secondary,${surname},${forename},${dob},${csvField(`${1 + people.int(150)} ${people.pick(SURNAMES)} ${people.pick(STREET_WORDS)}`)},${postcode},${a.upn ?? ''},${padded(prefCodes, maxPrefs)},${offeredText},${rankText},${onTime ? 'On time' : 'Late'}`
        : `${ref},${entryYear},Reception,${surname},${forename},${dob},${postcode},${padded(prefCodes, maxPrefs)},${offeredText},${rankText},${onTime ? 'N' : 'Y'}`;
    if (out.row(line)) await out.flush();
    if (rng.chance(0.0003)) {
      if (out.row(line)) await out.flush();
      bump('duplicate_application');
    }
  }
  await out.close();
  o.counts[prefix] = out.rows;
  return out.rows;
}

export { pcds };
