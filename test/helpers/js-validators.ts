/**
 * The field validators ingest ran row by row in JavaScript before the checks moved into SQL
 * (functions/ingest/sql/rules.ts), kept verbatim as the independent oracle that
 * test/equivalence.test.ts compares the SQL rules with. Not used by catchment itself.
 */
import { toNormalised } from 'postcode';
import { CHANNELS, NCYEARS, PHASES, SCHOOL_STATUSES } from '../../schemas/curated.ts';
import { isValidUpn } from '../../functions/domain/upn.ts';

export interface Rejection {
  reason: string;
  message: string;
}
export const reject = (reason: string, message: string): Rejection => ({ reason, message });
export const isRejection = (v: unknown): v is Rejection =>
  typeof v === 'object' && v !== null && 'reason' in v && 'message' in v;

export type NcYear = (typeof NCYEARS)[number];
const NCYEAR_SET = new Set<string>(NCYEARS);

export function parseUrn(raw: string): string | Rejection {
  const v = raw.trim();
  return /^\d{6}$/.test(v) ? v : reject('invalid_urn', 'URN must be 6 digits');
}

export function parseNcYear(raw: string): NcYear | Rejection {
  let v = raw.trim().toUpperCase().replace(/^(YEAR|Y)\s*/, '');
  if (/^0\d$/.test(v)) v = v.slice(1);
  if (v === 'RECEPTION') v = 'R';
  return NCYEAR_SET.has(v) ? (v as NcYear) : reject('invalid_ncyear', 'NC year must be N1, N2, R, X or 1..14');
}

const TRUE = new Set(['y', 'yes', 'true', 't', '1']);
const FALSE = new Set(['n', 'no', 'false', 'f', '0']);
export function parseFlag(raw: string): boolean | Rejection {
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return reject('invalid_flag', 'expected Y/N, true/false or 1/0');
}

/** Days since 1970-01-01 for a valid calendar date, else null. */
function epochDay(y: number, m: number, d: number): number | null {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2200) return null;
  const t = Date.UTC(y, m - 1, d);
  const dt = new Date(t);
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return null;
  return t / 86_400_000;
}

/** ISO yyyy-mm-dd or UK dd/mm/yyyy; impossible dates (31/02) are rejected. Returns days since epoch. */
export function parseDate(raw: string): number | Rejection {
  const v = raw.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  let day: number | null = null;
  if (m) day = epochDay(+m[1], +m[2], +m[3]);
  else if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v))) day = epochDay(+m[3], +m[2], +m[1]);
  else return reject('invalid_date', 'date must be yyyy-mm-dd or dd/mm/yyyy');
  return day ?? reject('invalid_date', 'no such calendar date');
}

/** Academic year (September to August) of a day since epoch, e.g. 2025-10-01 -> "2025-26". */
export function academicYear(epochDays: number): string {
  const d = new Date(epochDays * 86_400_000);
  const start = d.getUTCMonth() >= 8 ? d.getUTCFullYear() : d.getUTCFullYear() - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
}

export function isoDate(epochDays: number): string {
  return new Date(epochDays * 86_400_000).toISOString().slice(0, 10);
}

export type Channel = (typeof CHANNELS)[number];
const CHANNEL_WORDS: [RegExp, Channel][] = [
  [/^(helpline|help line|phone|telephone|tel|call|phone call)$/, 'helpline'],
  [/^(school[ _-]?meeting|meeting at school|school visit|meeting|school)$/, 'school_meeting'],
  [/^(drop[ _-]?in|drop[ _-]?in session|walk[ _-]?in)$/, 'drop_in'],
  [/^(e[ _-]?mail|email enquiry)$/, 'email'],
];
/** Normalise the contact channel; anything unrecognised (or blank) becomes `other`. */
export function parseChannel(raw: string): Channel {
  const v = raw.trim().toLowerCase();
  for (const [re, c] of CHANNEL_WORDS) if (re.test(v)) return c;
  return 'other';
}

export type Phase = (typeof PHASES)[number];
const PHASE_WORDS: [RegExp, Phase][] = [
  [/^(primary|infant|junior|first|primary school|infant school|junior school|middle deemed primary)$/, 'primary'],
  [/^(secondary|high|upper|grammar|middle deemed secondary|secondary school)$/, 'secondary'],
  [/^(special|special school)$/, 'special'],
  [/^(all[ _-]?through|all[ _-]?through school)$/, 'all_through'],
  [/^(nursery|nursery school)$/, 'nursery'],
  [/^(pru|pupil referral unit|alternative[ _-]?provision|ap)$/, 'alternative_provision'],
  [/^(16 plus|16[ _-]?plus|sixteen[ _-]plus|post[ _-]?16)$/, 'sixteen_plus'],
  [/^(not[ _]applicable)$/, 'not_applicable'],
];
export function parsePhase(raw: string): Phase | Rejection {
  const v = raw.trim().toLowerCase();
  for (const [re, p] of PHASE_WORDS) if (re.test(v)) return p;
  return reject('invalid_phase', `phase must be one of ${PHASES.join(', ')}`);
}
/** A 7-digit LAESTAB (LA number + establishment number), written 8862001, 886/2001 or 886-2001. */
export function parseLaestab(raw: string): string | Rejection {
  const v = raw.trim();
  const m = /^(\d{3})\s*[/\-\s]?\s*(\d{4})$/.exec(v);
  return m ? m[1]! + m[2]! : reject('invalid_laestab', 'LAESTAB must be 7 digits: the 3-digit LA number and 4-digit establishment number');
}

const STATUS_WORDS: [RegExp, SchoolStatus][] = [
  [/^open,? but proposed to close$/, 'open_proposed_to_close'],
  [/^proposed to open$/, 'proposed_to_open'],
  [/^open$/, 'open'],
  [/^closed$/, 'closed'],
];

/** GIAS `EstablishmentStatus (name)`. */
export function parseStatus(raw: string): SchoolStatus | Rejection {
  const v = raw.trim().toLowerCase();
  for (const [re, s] of STATUS_WORDS) if (re.test(v)) return s;
  return reject('invalid_status', 'establishment status must be Open, Closed, Open but proposed to close or Proposed to open');
}

const GIAS_PHASES: [RegExp, Phase][] = [
  [/^nursery$/, 'nursery'],
  [/^(primary|middle deemed primary)$/, 'primary'],
  [/^(secondary|middle deemed secondary)$/, 'secondary'],
  [/^16 plus$/, 'sixteen_plus'],
  [/^all[ -]through$/, 'all_through'],
  [/^not applicable$/, 'not_applicable'],
];

/**
 * Phase from GIAS: its `TypeOfEstablishment (name)` marks special schools and pupil referral units
 * or alternative provision (whose phase GIAS often gives as Not applicable); otherwise
 * `PhaseOfEducation (name)`.
 */
export function parseGiasPhase(phase: string, type: string): Phase | Rejection {
  const t = type.trim().toLowerCase();
  if (/\bspecial\b/.test(t)) return 'special';
  if (/pupil referral unit|alternative provision/.test(t)) return 'alternative_provision';
  const v = phase.trim().toLowerCase();
  for (const [re, p] of GIAS_PHASES) if (re.test(v)) return p;
  const own = parsePhase(phase);
  return isRejection(own) ? reject('invalid_phase', 'PhaseOfEducation must be one of the GIAS phases (Nursery, Primary, Middle deemed primary, Secondary, Middle deemed secondary, 16 plus, All-through, Not applicable)') : own;
}

type SchoolStatus = (typeof SCHOOL_STATUSES)[number];

/** The postcode library's normalisation of a value with its whitespace removed (what ingest promised). */
export function referencePostcode(raw: string): string | null {
  const compact = raw.replace(/\s+/g, '');
  return compact.length >= 5 && compact.length <= 7 ? toNormalised(compact) : null;
}

export const UPN_FORMAT = /^[A-Z]\d{11}[0-9A-Z]$/;

/** The UPN checks of the JavaScript pupil mapper: shape, then check letter. */
export function upnReason(raw: string): 'invalid_upn' | 'bad_upn_check_letter' | null {
  const u = raw.trim().toUpperCase();
  if (!UPN_FORMAT.test(u)) return 'invalid_upn';
  return isValidUpn(u) ? null : 'bad_upn_check_letter';
}

/** Value of a number field as the NSPL mapper read it. */
export function num(v: string | undefined): number | null {
  const t = (v ?? '').trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

const PSEUDO = /^[A-Z]99999999$/;
export const code = (v: string | undefined): string | null => {
  const t = (v ?? '').trim();
  return t === '' || PSEUDO.test(t) ? null : t;
};
export function oacCode(raw: string | undefined): string | null {
  const t = (raw ?? '').trim().toUpperCase();
  return t === '' || PSEUDO.test(t) ? null : t;
}
