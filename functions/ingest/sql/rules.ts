/**
 * The field rules of the input contract, written once as DuckDB SQL macros: what a valid UPN, URN,
 * LAESTAB, NC year, flag, date, channel, phase or postcode is, and how each is normalised. Ingest
 * runs them over every row inside the engine (functions/ingest/sql/checks.ts composes them per
 * dataset); nothing is checked row by row in JavaScript.
 *
 * They reproduce the rules the JavaScript validators applied before (test/equivalence.test.ts
 * proves them equal on generated and real values), including JavaScript's idea of whitespace:
 * trimming and postcode spacing treat every character of the JavaScript `\s` class (tab, line
 * feed, no-break space, the Unicode spaces, the byte order mark...) as space, where SQL's own
 * trim() knows only the space character.
 */

/** Code points of JavaScript's `\s` (and of String.prototype.trim). */
const JS_WHITESPACE = [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, ...Array.from({ length: 11 }, (_, i) => 0x2000 + i), 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff];

/** The same characters as an RE2 class body, for patterns. */
const WS = JS_WHITESPACE.map((c) => `\\x{${c.toString(16)}}`).join('');
/** ... and as a SQL string expression, for trim()'s character set (folded to a constant). */
const WS_CHARS = JS_WHITESPACE.map((c) => `chr(${c})`).join(' || ');

export const UPN_ALPHABET = 'ABCDEFGHJKLMNPQRTUVWXYZ';
export const NCYEAR_VALUES = ['N1', 'N2', 'R', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', 'X'];
export const TRUE_WORDS = ['y', 'yes', 'true', 't', '1'];
export const FALSE_WORDS = ['n', 'no', 'false', 'f', '0'];
/** Longest field accepted; longer values (a pasted document, a 10 MB cell) are quarantined. */
export const MAX_FIELD_LENGTH = 1000;

/** Words that name each contact channel (matched whole, after trimming and lower-casing); anything else is `other`. */
export const CHANNEL_WORDS: [string, string][] = [
  ['helpline|help line|phone|telephone|tel|call|phone call', 'helpline'],
  ['school[ _-]?meeting|meeting at school|school visit|meeting|school', 'school_meeting'],
  ['drop[ _-]?in|drop[ _-]?in session|walk[ _-]?in', 'drop_in'],
  ['e[ _-]?mail|email enquiry', 'email'],
];

/** Words that name each school phase in an LA's own list (GIAS phase names too). */
export const PHASE_WORDS: [string, string][] = [
  ['primary|infant|junior|first|primary school|infant school|junior school|middle deemed primary', 'primary'],
  ['secondary|high|upper|grammar|middle deemed secondary|secondary school', 'secondary'],
  ['special|special school', 'special'],
  ['all[ _-]?through|all[ _-]?through school', 'all_through'],
  ['nursery|nursery school', 'nursery'],
  ['pru|pupil referral unit|alternative[ _-]?provision|ap', 'alternative_provision'],
  ['16 plus|16[ _-]?plus|sixteen[ _-]plus|post[ _-]?16', 'sixteen_plus'],
  ['not[ _]applicable', 'not_applicable'],
];

/** Coordinated admissions rounds as LA admissions systems name them (lower case, `_`/`-` as spaces). */
export const ADMISSION_PHASE_WORDS: [string, string][] = [
  ['primary|reception|infant|infants|yr|r|year r|rec|first|primary school|reception class|pri|starting school|fs2|foundation', 'primary'],
  ['junior|juniors|junior transfer|year 3|y3|yr3|ks2 transfer|infant to junior|jun', 'junior'],
  ['secondary|year 7|y7|yr7|transfer|secondary transfer|sec|high|upper|secondary school|year 7 transfer', 'secondary'],
];

/** GIAS `PhaseOfEducation (name)`. */
export const GIAS_PHASE_WORDS: [string, string][] = [
  ['nursery', 'nursery'],
  ['primary|middle deemed primary', 'primary'],
  ['secondary|middle deemed secondary', 'secondary'],
  ['16 plus', 'sixteen_plus'],
  ['all[ -]through', 'all_through'],
  ['not applicable', 'not_applicable'],
];

/** GIAS `EstablishmentStatus (name)`. */
export const STATUS_WORDS: [string, string][] = [
  ['open,? but proposed to close', 'open_proposed_to_close'],
  ['proposed to open', 'proposed_to_open'],
  ['open', 'open'],
  ['closed', 'closed'],
];

export const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const list = (xs: string[]) => xs.map(lit).join(', ');

/** The value `v` maps to in `pairs` (one lookup, `v` evaluated once), else NULL. */
const lookup = (v: string, pairs: [string, string][], type = 'VARCHAR') =>
  `CAST([${pairs.map(([, to]) => (type === 'VARCHAR' ? lit(to) : to)).join(', ')}] AS ${type}[])[list_position([${list(pairs.map(([from]) => from))}], ${v})]`;

/** Each NC year as written after "Year"/"Y" is dropped: itself, with a leading zero, or "Reception". */
const NC_SPELLINGS: [string, string][] = [
  ...NCYEAR_VALUES.map((v): [string, string] => [v, v]),
  ...Array.from({ length: 10 }, (_, d): [string, string] => [`0${d}`, String(d)]).filter(([, v]) => NCYEAR_VALUES.includes(v)),
  ['RECEPTION', 'R'],
];
const firstMatch = (v: string, words: [string, string][], otherwise = 'NULL') =>
  `CASE ${words.map(([re, value]) => `WHEN regexp_full_match(${v}, ${lit(`(${re})`)}) THEN ${lit(value)}`).join(' ')} ELSE ${otherwise} END`;

/**
 * UPN check sum (functions/domain/upn.ts): characters 2-13 weighted by their position (2..13).
 * Characters 2-12 are the decimal digits of n; with q_j = n // 10^j, the digit j places from the
 * right is q_j - 10 q_(j+1), and its weight is 12 - j, so the weighted sum of the digits telescopes
 * to 12 q_0 + sum over j = 1..10 of (9j - 118) q_j: ten integer divisions instead of twenty-two
 * operations on characters. Character 13 is a digit or a letter of the alphabet; `x` is its place
 * in "0123456789" followed by the alphabet (1-based), so its value is x - 1 for a digit and x - 11
 * for a letter.
 */
const upnSum = [
  '12 * n',
  ...Array.from({ length: 10 }, (_, i) => `${9 * (i + 1) - 118} * (n // ${10n ** BigInt(i + 1)})`),
  `13 * (x - CASE WHEN x > 10 THEN 11 ELSE 1 END)`,
].join(' + ');

/**
 * `CREATE MACRO` statements, run once per ingest session. A macro is expanded where it is used, so
 * each one refers to its argument once where it can (a lookup in a list rather than a chain of
 * comparisons) and takes values the caller has already trimmed or cased: the checks compute those
 * once per row, in their own projection.
 */
export const RULE_MACROS: string[] = [
  // Trimming as JavaScript's String.prototype.trim does. trim() with a set of characters is slow,
  // so only values that begin or end with a control character, a space or a non-ASCII character
  // (every JavaScript whitespace character is one of those) go through it.
  `js_trim(s) AS CASE WHEN ascii(s) <= 32 OR ascii(s) >= 160 OR ascii(right(s, 1)) <= 32 OR ascii(right(s, 1)) >= 160 THEN trim(s, ${WS_CHARS}) ELSE s END`,
  /**
   * True when one of the texts joined by chr(31) begins or ends with whitespace: a row whose fields
   * do not need js_trim at all (almost every row) is told by one match instead of one trim per field.
   */
  `ws_around(joined) AS regexp_matches(joined, '(^|\\x{1f})[${WS}]|[${WS}](\\x{1f}|$)')`,
  /** js_trim(s) on a row that ws_around found whitespace in, else s as it is. */
  `tr(ws, s) AS CASE WHEN ws THEN js_trim(s) ELSE s END`,
  // The `postcode` library's rule (what toNormalised makes of the value with all whitespace
  // removed): 1-2 letters, a digit, an optional letter or digit, then a digit and two letters, in
  // upper case with one space before the last three. pc_format gives that form, or a text without a
  // space when the value is not a postcode; already normalised values are kept as they are.
  `pc_format(s) AS CASE WHEN regexp_full_match(s, '[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}') THEN s
     ELSE upper(regexp_replace(regexp_replace(s, '[${WS}]+', '', 'g'), '^([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)([0-9][A-Za-z]{2})$', '\\1 \\2')) END`,
  /** The normalised postcode of pc_format's result, NULL when there is none. */
  `pc_valid(f) AS CASE WHEN contains(f, ' ') THEN f END`,
  `pc_norm(s) AS pc_valid(pc_format(s))`,
  /** Sector: outward code and the first character of the inward code ("SR1 1"). */
  `pc_sector(p) AS left(p, length(p) - 2)`,
  // UPN (already trimmed and upper-cased): the shape, then the DfE check letter.
  `upn_shape_ok(u) AS regexp_full_match(u, '[A-Z][0-9]{11}[0-9A-Z]')`,
  /** The check letter's place in the alphabet (0 = A), from upn_digits and upn_last of a UPN. */
  `upn_check_letter(n, x) AS (${upnSum}) % 23`,
  `upn_digits(u) AS TRY_CAST(substr(u, 2, 11) AS BIGINT)`,
  `upn_last(u) AS instr('0123456789${UPN_ALPHABET}', right(u, 1))`,
  /**
   * u is a UPN of the right shape (upn_shape_ok); n = upn_digits(u), x = upn_last(u): its last
   * character is a digit or a letter of the alphabet (not I, O or S: x > 0), and its first letter
   * is the check letter (I, O and S are none: their instr is 0, the check letter's place is 0..22).
   */
  `upn_ok(u, n, x) AS x > 0 AND upn_check_letter(n, x) = instr('${UPN_ALPHABET}', left(u, 1)) - 1`,
  `urn_ok(s) AS regexp_full_match(s, '[0-9]{6}')`,
  /** LAESTAB (trimmed) written 8862001, 886/2001, 886-2001 or 886 2001: its 7 digits, or NULL. */
  `laestab_norm(t) AS CASE WHEN regexp_full_match(t, '[0-9]{7}') THEN t
     WHEN regexp_full_match(t, '[0-9]{3}[${WS}]*[/\\-${WS}]?[${WS}]*[0-9]{4}') THEN regexp_replace(t, '[^0-9]', '', 'g') END`,
  /** NC year from its trimmed, upper-case text: "YEAR 7", "Y07", "07", "RECEPTION" -> 7, 7, 7, R; NULL when it is none of N1, N2, R, X, 1..14. */
  `nc_year(u) AS ${lookup(`regexp_replace(u, '^(YEAR|Y)[${WS}]*', '')`, NC_SPELLINGS)}`,
  /** Y/N, Yes/No, true/false, T/F, 1/0 (trimmed, lower case) as a boolean, else NULL. */
  `flag(l) AS ${lookup('l', [...TRUE_WORDS.map((w): [string, string] => [w, 'true']), ...FALSE_WORDS.map((w): [string, string] => [w, 'false'])], 'BOOLEAN')}`,
  /** [year, month, day] of a trimmed ISO yyyy-mm-dd or UK d/m/yyyy date, or NULL when it is neither. */
  `date_ymd(t) AS CASE
     WHEN regexp_full_match(t, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN [CAST(substr(t, 1, 4) AS INTEGER), CAST(substr(t, 6, 2) AS INTEGER), CAST(substr(t, 9, 2) AS INTEGER)]
     WHEN regexp_full_match(t, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}') THEN [CAST(split_part(t, '/', 3) AS INTEGER), CAST(split_part(t, '/', 2) AS INTEGER), CAST(split_part(t, '/', 1) AS INTEGER)]
   END`,
  /** A real calendar day between 1900 and 2200 (31/02 is not). make_date's arguments are clamped so it never fails. */
  `ymd_ok(y, m, d) AS m BETWEEN 1 AND 12 AND d BETWEEN 1 AND 31 AND y BETWEEN 1900 AND 2200
     AND d <= day(last_day(make_date(least(greatest(y, 1900), 2200), least(greatest(m, 1), 12), 1)))`,
  /** Academic year (September to August) of a date: 2025-10-01 -> 2025-26. */
  `academic_year(d) AS CAST(year(d) - CASE WHEN month(d) >= 9 THEN 0 ELSE 1 END AS VARCHAR) || '-' || lpad(CAST((year(d) + CASE WHEN month(d) >= 9 THEN 1 ELSE 0 END) % 100 AS VARCHAR), 2, '0')`,
  /** Contact channel of a trimmed, lower-case value; anything unrecognised (or blank) is `other`. */
  `channel(l) AS ${firstMatch('l', CHANNEL_WORDS, "'other'")}`,
  /** School phase of a trimmed, lower-case value (an LA list), else NULL. */
  `phase(l) AS ${firstMatch('l', PHASE_WORDS)}`,
  // GIAS (trimmed, lower-case phase and type): the establishment type marks special schools and
  // pupil referral units (often phase "Not applicable").
  `gias_phase(p, t) AS CASE
     WHEN regexp_matches(t, '\\bspecial\\b') THEN 'special'
     WHEN regexp_matches(t, 'pupil referral unit|alternative provision') THEN 'alternative_provision'
     ELSE coalesce(${firstMatch('p', GIAS_PHASE_WORDS)}, phase(p)) END`,
  /** Admissions round of a lower-case value with `_`/`-` and runs of spaces as one space, else NULL. */
  `admission_phase(l) AS ${firstMatch('l', ADMISSION_PHASE_WORDS)}`,
  `gias_status(l) AS ${firstMatch('l', STATUS_WORDS)}`,
  /** A trimmed GSS code as given, NULL when blank or a pseudo code (E99999999: no such area). */
  `gss_code(t) AS CASE WHEN t = '' OR (length(t) = 9 AND regexp_full_match(t, '[A-Z]99999999')) THEN NULL ELSE t END`,
  /** Nation of a trimmed GSS code by its first letter (E, W, S, N; L and M for the Channel Islands and the Isle of Man). */
  `nation(t) AS CASE WHEN regexp_full_match(t, '[EWSNLM][0-9]{8}') THEN left(t, 1) END`,
  /** A trimmed decimal number as JavaScript's Number() reads one (NULL when blank, not a number or not finite). */
  `js_number(t) AS CASE WHEN regexp_full_match(t, '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?') THEN TRY_CAST(t AS DOUBLE) END`,
  // Quarantine values: a UPN never leaves ingest in clear (masked to its length); long values are cut.
  `q_upn(v) AS repeat('*', least(length(v), 13))`,
  /** Any other identifier (an application reference): masked to its length, at most 20 characters. */
  `q_secret(v) AS repeat('*', least(length(v), 20))`,
  `q_value(v) AS CASE WHEN length(v) > 60 THEN left(v, 60) || '…' ELSE v END`,
];

/** The statements that define the rules in a session. */
export const defineRules = (): string[] => RULE_MACROS.map((m) => `CREATE OR REPLACE TEMP MACRO ${m}`);

export const MESSAGES = {
  invalid_upn: 'UPN must be 13 characters: a letter, 11 digits, then a digit or letter',
  bad_upn_check_letter: 'UPN check letter does not match its digits',
  invalid_urn: 'URN must be 6 digits',
  invalid_laestab: 'LAESTAB must be 7 digits: the 3-digit LA number and 4-digit establishment number',
  unknown_laestab: 'no school with this LAESTAB (LA number + establishment number) in the schools file',
  invalid_ncyear: 'NC year must be N1, N2, R, X or 1..14',
  invalid_flag: 'expected Y/N, true/false or 1/0',
  invalid_date_shape: 'date must be yyyy-mm-dd or dd/mm/yyyy',
  invalid_date_day: 'no such calendar date',
  invalid_status: 'establishment status must be Open, Closed, Open but proposed to close or Proposed to open',
  invalid_gias_phase: 'PhaseOfEducation must be one of the GIAS phases (Nursery, Primary, Middle deemed primary, Secondary, Middle deemed secondary, 16 plus, All-through, Not applicable)',
  invalid_postcode: 'not a valid UK postcode',
  invalid_encoding: 'bytes that are not UTF-8 (save the file as "CSV UTF-8")',
  duplicate: 'duplicate of an earlier row: kept once',
} as const;
