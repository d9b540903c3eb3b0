/**
 * Each dataset's row checks as one DuckDB SELECT over the raw file: DuckDB's read_csv reads every
 * column as text (structurally broken lines go to its rejects table), the rules of ./rules.ts
 * normalise the fields, and the first failing check gives the row its rejection (reason, contract
 * column, masked value, message), in the order the contract states them. A row with no rejection
 * is accepted, once duplicates are set aside (ingest-stage.ts). Only the columns a layout reads
 * are selected: the others (names, dates of birth, addresses) are never looked at.
 */
import { PHASES, PREFERENCE_COLUMNS } from '../../../schemas/curated.ts';
import type { ImdEdition } from '../../../schemas/editions.ts';
import type { HeaderMap } from '../header.ts';
import { MAX_FIELD_LENGTH, MESSAGES, lit } from './rules.ts';

/** Where and how to read one CSV file: a UTF-8 file whose data records start after `skip` lines. */
export interface CsvScan {
  path: string;
  /** Fields in the header (every record must have as many). */
  width: number;
  skip: number;
  /** Table that collects this scan's structurally broken lines. */
  rejectsTable: string;
}

/** Lines longer than this are quarantined whole (DuckDB buffers a whole line). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export function readCsv(scan: CsvScan): string {
  const columns = Array.from({ length: scan.width }, (_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  return `read_csv(${lit(scan.path)}, auto_detect = false, header = false, skip = ${scan.skip}, delim = ',', quote = '"', escape = '"',
    columns = {${columns}}, store_rejects = true, rejects_table = ${lit(scan.rejectsTable)}, rejects_scan = ${lit(scan.rejectsTable + '_scan')},
    max_line_size = ${MAX_LINE_BYTES}, strict_mode = true, null_padding = false) WITH ORDINALITY`;
}

/** A reason to reject a row: `when` is true for a bad row; column, value and message are SQL expressions. */
interface Check {
  when: string;
  reason: string;
  column: string;
  value: string;
  message: string;
}

/**
 * The rejection of each row: first the number of its first failing check (a CASE over cheap
 * conditions, NULL for the rows that pass), then, in a projection above it, the struct of reason,
 * column, masked value and message, built only for the few rows that failed.
 */
function rejected(checks: Check[], from: string): string {
  const code = checks.length ? `CASE ${checks.map((c, i) => `WHEN ${c.when} THEN ${i}`).join('\n    ')} END` : 'CAST(NULL AS INTEGER)';
  const struct = checks.length
    ? `CASE WHEN rej_code IS NULL THEN NULL ELSE (CASE rej_code ${checks
        .map((c, i) => `WHEN ${i} THEN {'reason': ${lit(c.reason)}, 'col': ${c.column}, 'val': ${c.value}, 'msg': ${c.message}}`)
        .join('\n    ')} END) END`
    : 'CAST(NULL AS STRUCT(reason VARCHAR, col VARCHAR, val VARCHAR, msg VARCHAR))';
  return `(SELECT * EXCLUDE (rej_code), ${struct} AS rej FROM (SELECT *, ${code} AS rej_code FROM ${from}))`;
}

/** Contract columns a header map reads, with their positions, in contract order. */
function readColumns(h: HeaderMap): [string, number][] {
  return Object.entries(h.index).filter(([, i]) => i >= 0);
}

/**
 * Checks every dataset makes first, on the columns it reads: length, and bytes that were not
 * UTF-8 (decoded as U+FFFD). The column is named as the file's header names it.
 */
function structuralChecks(h: HeaderMap, header: string[]): Check[] {
  return readColumns(h).flatMap(([name, i]) => {
    const v = `f_${name}`;
    const mask = (x: string) => (name === 'upn' ? `q_upn(${x})` : name === 'application_ref' ? `q_secret(${x})` : `q_value(${x})`);
    return [
      {
        // strlen (bytes, constant time) first: a field of at most that many bytes is short enough.
        when: `strlen(${v}) > ${MAX_FIELD_LENGTH} AND length(${v}) > ${MAX_FIELD_LENGTH}`,
        reason: 'field_too_long',
        column: lit(header[i]!),
        value: mask(`left(${v}, 40)`),
        message: `'field is ' || length(${v}) || ' characters; the limit is ${MAX_FIELD_LENGTH}'`,
      },
      { when: `fffd AND contains(${v}, chr(65533))`, reason: 'invalid_encoding', column: lit(header[i]!), value: mask(v), message: lit(MESSAGES.invalid_encoding) },
    ];
  });
}

/**
 * The file's records as DuckDB reads them, numbered: the read columns as f_<contract name> (text,
 * '' for an empty field), `extra` columns by position likewise. The checks run over this, once it
 * is stored: numbering the records keeps file order, which DuckDB does in one thread, so the rest
 * runs apart from it, in parallel.
 */
export function rawRecords(h: HeaderMap, scan: CsvScan, extra: Record<string, number> = {}): string {
  const cols = [...readColumns(h), ...Object.entries(extra)].map(([name, i]) => `coalesce(c${i}, '') AS f_${name}`);
  return `SELECT ordinality AS rec, ${cols.join(', ')} FROM ${readCsv(scan)}`;
}

/**
 * The raw records with `ws`: whether any field the checks read begins or ends with whitespace
 * (rules.ts ws_around), so that tr(ws, f) trims only in the rows that need it, and `fffd`: whether
 * any holds U+FFFD (a byte that was not UTF-8), so that the per-field test runs only there.
 */
function guarded(h: HeaderMap, raw: string): string {
  const cols = readColumns(h).map(([n]) => `f_${n}`);
  return `SELECT * EXCLUDE (joined), ws_around(joined) AS ws, contains(joined, chr(65533)) AS fffd FROM (SELECT *, concat_ws(chr(31), ${cols.join(', ')}) AS joined FROM ${raw})`;
}

/** A list of codes as a SQL list of text (typed, so that an empty one is too). */
const codeList = (codes: string[]) => `CAST([${codes.map(lit).join(', ')}] AS VARCHAR[])`;

const has = (h: HeaderMap, col: string) => (h.index[col] ?? -1) >= 0;

/** Columns of the per-dataset tables the checked rows go into (besides file_no, rec and rej). */
export const CHECKED_COLUMNS = {
  pupils: { period: 'VARCHAR', upn: 'VARCHAR', urn: 'VARCHAR', ncyear: 'VARCHAR', fsm: 'BOOLEAN', postcode: 'VARCHAR', la: 'VARCHAR' },
  contacts: { period: 'VARCHAR', contact_id: 'VARCHAR', contact_date: 'DATE', channel: 'VARCHAR', postcode: 'VARCHAR', child_urn: 'VARCHAR', child_ncyear: 'VARCHAR' },
  schools: { period: 'VARCHAR', urn: 'VARCHAR', laestab: 'VARCHAR', name: 'VARCHAR', phase: 'VARCHAR', cluster: 'VARCHAR', postcode: 'VARCHAR', la_code: 'VARCHAR', status: 'VARCHAR' },
  postcodes: {
    vintage: 'VARCHAR',
    postcode: 'VARCHAR',
    terminated: 'BOOLEAN',
    segment: 'VARCHAR',
    ward: 'VARCHAR',
    lsoa: 'VARCHAR',
    laua: 'VARCHAR',
    country: 'VARCHAR',
    imd_rank: 'INTEGER',
    imd_edition: 'VARCHAR',
    lat: 'DOUBLE',
    long: 'DOUBLE',
  },
  oa: { oa: 'VARCHAR', segment: 'VARCHAR' },
  admissions: {
    period: 'VARCHAR',
    ref: 'VARCHAR',
    upn: 'VARCHAR',
    entry_year: 'INTEGER',
    phase: 'VARCHAR',
    postcode: 'VARCHAR',
    ...(Object.fromEntries(PREFERENCE_COLUMNS.map((c) => [c, 'VARCHAR'])) as Record<(typeof PREFERENCE_COLUMNS)[number], 'VARCHAR'>),
    preferences: 'INTEGER',
    offered_urn: 'VARCHAR',
    offered_rank: 'INTEGER',
    on_time: 'BOOLEAN',
  },
} as const;
export type CheckedTable = keyof typeof CHECKED_COLUMNS;

/** Columns that identify a row within its dataset: a later row with the same values is a duplicate. */
export const UNIQUE_KEYS: Record<CheckedTable, string[]> = {
  pupils: ['period', 'urn', 'upn'],
  contacts: ['period', 'contact_id'],
  schools: ['period', 'urn'],
  postcodes: ['postcode'],
  oa: ['oa'],
  // An application is one per round: the same reference twice in a round is a duplicate.
  admissions: ['period', 'phase', 'ref'],
};

export interface PupilContext {
  period: string;
  /** Only this LA's schools' pupils are kept (a validated 3-digit code), if given. */
  laCode?: string | null;
}

/** School census rows: UPN, then the school (URN, or LAESTAB through the register), the LA, NC year, FSM. */
export function pupilChecks(h: HeaderMap, header: string[], raw: string, ctx: PupilContext): string {
  const byUrn = has(h, 'urn');
  const byLaestab = has(h, 'laestab');
  const useUrn = !byLaestab ? 'true' : !byUrn ? 'false' : `urn_t <> ''`;
  const checks: Check[] = [
    ...structuralChecks(h, header),
    { when: 'NOT upn_shape_ok(upn)', reason: 'invalid_upn', column: `'upn'`, value: 'q_upn(upn)', message: lit(MESSAGES.invalid_upn) },
    { when: 'NOT upn_ok(upn, upn_n, upn_x)', reason: 'bad_upn_check_letter', column: `'upn'`, value: 'q_upn(upn)', message: lit(MESSAGES.bad_upn_check_letter) },
  ];
  if (byUrn) checks.push({ when: 'use_urn AND NOT urn_ok(urn_t)', reason: 'invalid_urn', column: `'urn'`, value: 'q_value(urn_t)', message: lit(MESSAGES.invalid_urn) });
  if (byLaestab) {
    checks.push(
      { when: 'NOT use_urn AND le IS NULL', reason: 'invalid_laestab', column: `'laestab'`, value: 'q_value(f_laestab)', message: lit(MESSAGES.invalid_laestab) },
      { when: 'NOT use_urn AND urn IS NULL', reason: 'unknown_laestab', column: `'laestab'`, value: 'q_value(le)', message: lit(MESSAGES.unknown_laestab) },
    );
  }
  if (ctx.laCode) {
    checks.push({
      when: `la IS NOT NULL AND la <> ${lit(ctx.laCode)}`,
      reason: 'outside_la',
      column: `CASE WHEN use_urn THEN 'urn' ELSE 'laestab' END`,
      value: 'q_value(urn)',
      message: `'the school is in LA ' || la || ', not ${ctx.laCode} (--la-code)'`,
    });
  }
  checks.push(
    { when: 'ncyear IS NULL', reason: 'invalid_ncyear', column: `'ncyear'`, value: 'q_value(f_ncyear)', message: lit(MESSAGES.invalid_ncyear) },
    { when: 'fsm IS NULL', reason: 'invalid_flag', column: `'fsm'`, value: 'q_value(f_fsm)', message: lit(MESSAGES.invalid_flag) },
  );
  const school = byLaestab
    ? `CASE WHEN use_urn THEN urn_t ELSE r.urn END AS urn FROM b LEFT JOIN reg_laestab r ON r.laestab = CASE WHEN use_urn THEN NULL ELSE le END`
    : 'urn_t AS urn FROM b';
  return `WITH a AS (SELECT *, CASE WHEN regexp_full_match(f_upn, '[A-Z][0-9]{11}[0-9A-Z]') THEN f_upn ELSE upper(js_trim(f_upn)) END AS upn, ${byUrn ? 'tr(ws, f_urn)' : "''"} AS urn_t, ${byLaestab ? 'tr(ws, f_laestab)' : "''"} AS le_t,
          upper(tr(ws, f_ncyear)) AS nc_u, lower(tr(ws, f_fsm)) AS fsm_l FROM (${guarded(h, raw)})),
  b AS (SELECT *, upn_digits(upn) AS upn_n, upn_last(upn) AS upn_x, ${byLaestab ? 'laestab_norm(le_t)' : 'CAST(NULL AS VARCHAR)'} AS le, nc_year(nc_u) AS ncyear, flag(fsm_l) AS fsm, pc_valid(pc_format(f_postcode)) AS postcode,
          ${useUrn} AS use_urn FROM a),
  c AS (SELECT b.*, ${school}),
  d AS (SELECT c.*, g.la FROM c LEFT JOIN reg_la g ON g.urn = c.urn)
  SELECT rec, rej, ${lit(ctx.period)} AS period, upn, urn, ncyear, fsm, postcode, la FROM ${rejected(checks, 'd')}`;
}

/** Choice Advisers contacts: reference, date (its academic year is the period), channel, optional child fields. */
export function contactChecks(h: HeaderMap, header: string[], raw: string): string {
  const checks: Check[] = [
    ...structuralChecks(h, header),
    { when: `id = ''`, reason: 'missing_value', column: `'contact_id'`, value: `''`, message: `'contact_id is blank'` },
    { when: 'ymd IS NULL', reason: 'invalid_date', column: `'contact_date'`, value: 'q_value(f_contact_date)', message: lit(MESSAGES.invalid_date_shape) },
    { when: 'NOT ymd_ok(ymd[1], ymd[2], ymd[3])', reason: 'invalid_date', column: `'contact_date'`, value: 'q_value(f_contact_date)', message: lit(MESSAGES.invalid_date_day) },
    { when: `cu <> '' AND NOT urn_ok(cu)`, reason: 'invalid_urn', column: `'child_urn'`, value: 'q_value(cu)', message: lit(MESSAGES.invalid_urn) },
    { when: `cy <> '' AND cy_n IS NULL`, reason: 'invalid_ncyear', column: `'child_ncyear'`, value: 'q_value(cy)', message: lit(MESSAGES.invalid_ncyear) },
  ];
  return `WITH a AS (SELECT *, tr(ws, f_contact_id) AS id, tr(ws, f_contact_date) AS date_t, lower(tr(ws, f_channel)) AS channel_l,
          ${has(h, 'child_urn') ? 'tr(ws, f_child_urn)' : "''"} AS cu, ${has(h, 'child_ncyear') ? 'tr(ws, f_child_ncyear)' : "''"} AS cy FROM (${guarded(h, raw)})),
  b AS (SELECT *, date_ymd(date_t) AS ymd, CASE WHEN cy <> '' THEN nc_year(upper(cy)) END AS cy_n FROM a),
  c AS (SELECT * FROM ${rejected(checks, 'b')}),
  d AS (SELECT *, CASE WHEN rej IS NULL THEN make_date(ymd[1], ymd[2], ymd[3]) END AS day FROM c)
  SELECT rec, rej, academic_year(day) AS period, id AS contact_id, day AS contact_date, channel(channel_l) AS channel, pc_norm(f_postcode) AS postcode,
    NULLIF(cu, '') AS child_urn, cy_n AS child_ncyear FROM d`;
}

export interface SchoolContext {
  period: string;
  /** True when a column chosen with --cluster-column supplies the cluster (read as f__cluster). */
  clusterColumn?: boolean;
}

/**
 * Schools from the GIAS register (status, phase from the establishment type and phase, LAESTAB
 * from LA code and establishment number) or an LA's own list. The cluster comes from the
 * `clusters` table (schools/clusters.csv, by URN then LAESTAB), else the chosen column, else the
 * list's own cluster column.
 */
export function schoolChecks(h: HeaderMap, header: string[], raw: string, ctx: SchoolContext): string {
  const gias = h.layout === 'gias';
  const checks: Check[] = [
    ...structuralChecks(h, header),
    { when: 'NOT urn_ok(urn)', reason: 'invalid_urn', column: `'urn'`, value: 'q_value(f_urn)', message: lit(MESSAGES.invalid_urn) },
    { when: `name = ''`, reason: 'missing_value', column: `'name'`, value: `''`, message: `'school name is blank'` },
  ];
  if (gias) {
    checks.push(
      { when: 'status IS NULL', reason: 'invalid_status', column: `'status'`, value: 'q_value(status_t)', message: lit(MESSAGES.invalid_status) },
      { when: 'phase IS NULL', reason: 'invalid_phase', column: `'phase'`, value: 'q_value(phase_t)', message: lit(MESSAGES.invalid_gias_phase) },
    );
  } else {
    checks.push(
      { when: 'phase IS NULL', reason: 'invalid_phase', column: `'phase'`, value: 'q_value(phase_t)', message: lit(`phase must be one of ${PHASES.join(', ')}`) },
      { when: `le_t <> '' AND laestab IS NULL`, reason: 'invalid_laestab', column: `'laestab'`, value: 'q_value(le_t)', message: lit(MESSAGES.invalid_laestab) },
    );
  }
  const own = ctx.clusterColumn ? 'js_trim(f__cluster)' : has(h, 'cluster') ? 'tr(ws, f_cluster)' : "''";
  const trimmed = gias
    ? `tr(ws, f_la_code) AS la_t, tr(ws, f_establishment_number) AS est_t, tr(ws, f_status) AS status_t, tr(ws, f_type) AS type_t, '' AS le_t`
    : `${has(h, 'laestab') ? 'tr(ws, f_laestab)' : "''"} AS le_t`;
  const school = gias
    ? `CASE WHEN regexp_full_match(la_t, '[0-9]{3}') THEN la_t END AS la_code, gias_status(lower(status_t)) AS status, gias_phase(lower(phase_t), lower(type_t)) AS phase`
    : `'open' AS status, phase(lower(phase_t)) AS phase, CASE WHEN le_t <> '' THEN laestab_norm(le_t) END AS laestab`;
  const laestab = gias ? `CASE WHEN la_code IS NOT NULL AND regexp_full_match(est_t, '[0-9]{4}') THEN la_code || est_t END AS laestab` : 'left(laestab, 3) AS la_code';
  return `WITH a AS (SELECT *, tr(ws, f_urn) AS urn, ${has(h, 'name') ? 'tr(ws, f_name)' : "''"} AS name, tr(ws, f_phase) AS phase_t, ${own} AS own_cluster, ${trimmed} FROM (${guarded(h, raw)})),
  b AS (SELECT *, ${school} FROM a),
  c AS (SELECT *, ${laestab} FROM b),
  d AS (SELECT c.*, coalesce(byurn.cluster, byle.cluster, NULLIF(own_cluster, '')) AS cluster
        FROM c LEFT JOIN clusters byurn ON byurn.key = c.urn LEFT JOIN clusters byle ON byle.key = c.laestab)
  SELECT rec, rej, ${lit(ctx.period)} AS period, urn, laestab, name, phase, cluster, pc_norm(tr(ws, f_postcode)) AS postcode, la_code, status FROM ${rejected(checks, 'd')}`;
}

export interface NsplContext {
  vintage: string;
  /** Where the segment comes from: a lookup column (oac11/oac21 contract column) or the OA-level file (table oa_segments). */
  segment: { via: 'column'; column: 'oac11' | 'oac21'; edition: 'oac11' | 'oac21' } | { via: 'oa-file' };
  /** Subgroup codes of the edition (segments not among them are quarantined), and its short name for the message. */
  codes: string[];
  label: string;
  imdEdition: ImdEdition | null;
}

/** NSPL rows (any release): postcode, then the segment of the chosen edition; areas, country, IMD rank, location. */
export function nsplChecks(h: HeaderMap, header: string[], raw: string, ctx: NsplContext): string {
  const src = (c: string) => lit(h.source[c] ?? c);
  const trim = (c: string) => (has(h, c) ? `tr(ws, f_${c})` : 'CAST(NULL AS VARCHAR)');
  const checks: Check[] = [
    ...structuralChecks(h, header),
    { when: 'postcode IS NULL', reason: 'invalid_postcode', column: src('postcode'), value: 'q_value(f_postcode)', message: lit(MESSAGES.invalid_postcode) },
  ];
  let segment: string;
  if (ctx.segment.via === 'column') {
    // Areas outside the 2021 classification (Scotland, Northern Ireland, the islands) carry a pseudo code.
    segment = ctx.segment.edition === 'oac21' ? `CASE WHEN oac IN ('9Z9', 'Z9') THEN NULL ELSE oac END` : 'oac';
    checks.push({
      when: `segment IS NOT NULL AND NOT list_contains(${codeList(ctx.codes)}, segment)`,
      reason: 'unknown_segment',
      column: src(ctx.segment.column),
      value: 'q_value(segment)',
      message: lit(`not a ${ctx.label} subgroup code`),
    });
  } else segment = 'o.segment';
  const oac = ctx.segment.via === 'column' ? `gss_code(upper(tr(ws, f_${ctx.segment.column})))` : 'CAST(NULL AS VARCHAR)';
  // The output area that names the nation when nothing else does: oa21 when the lookup has it, else oa11.
  const oa = has(h, 'oa21') ? 'oa21' : 'oa11';
  const join = ctx.segment.via === 'oa-file' ? 'LEFT JOIN oa_segments o ON o.oa = b.oa21_code' : '';
  return `WITH a AS (SELECT *, pc_format(f_postcode) AS postcode_f, tr(ws, f_doterm) AS doterm_t, tr(ws, f_ward) AS ward_t, tr(ws, f_laua) AS laua_t,
          ${trim('lsoa')} AS lsoa_t, ${trim('ctry')} AS ctry_t, ${trim(oa)} AS oa_t, ${trim('imd')} AS imd_t, tr(ws, f_lat) AS lat_t, tr(ws, f_long) AS long_t,
          ${oac} AS oac FROM (${guarded(h, raw)})),
  b AS (SELECT *, pc_valid(postcode_f) AS postcode, gss_code(lsoa_t) AS lsoa, gss_code(laua_t) AS laua, ${oa === 'oa21' ? 'gss_code(oa_t)' : 'NULL'} AS oa21_code,
          js_number(imd_t) AS imd, js_number(lat_t) AS lat_n, js_number(long_t) AS long_n FROM a),
  c AS (SELECT b.*, ${segment} AS segment, coalesce(nation(ctry_t), nation(lsoa), nation(laua), nation(oa_t)) AS country,
          CASE WHEN isfinite(imd) AND imd > 0 AND imd = floor(imd) THEN TRY_CAST(imd AS INTEGER) END AS imd_rank,
          isfinite(lat_n) AND isfinite(long_n) AND abs(lat_n) <= 90 AS located FROM b ${join})
  SELECT rec, rej, ${lit(ctx.vintage)} AS vintage, postcode, doterm_t <> '' AS terminated, segment, gss_code(ward_t) AS ward,
    lsoa, laua, country, imd_rank, CASE WHEN imd_rank IS NOT NULL AND country = 'E' THEN ${ctx.imdEdition ? lit(ctx.imdEdition) : 'NULL'} END AS imd_edition,
    CASE WHEN located THEN lat_n END AS lat, CASE WHEN located THEN long_n END AS long FROM ${rejected(checks, 'c')}`;
}

/** OA-level OAC 2021 rows: output area, subgroup (one of the codes), group and supergroup consistent with it. */
export function oaChecks(h: HeaderMap, header: string[], raw: string, codes: string[]): string {
  const src = (c: string) => lit(h.source[c] ?? c);
  const checks: Check[] = [
    ...structuralChecks(h, header),
    { when: `NOT regexp_full_match(oa, '[EWSN][0-9]{8}')`, reason: 'invalid_oa', column: src('oa21cd'), value: 'q_value(oa)', message: `'not a 2021 output area code (e.g. E00000001)'` },
    { when: `sub IS NULL OR NOT list_contains(${codeList(codes)}, sub)`, reason: 'unknown_segment', column: src('subgroup'), value: 'q_value(sub_t)', message: `'not an OAC 2021 subgroup code'` },
  ];
  for (const [col, len] of [['group', 2], ['supergroup', 1]] as const) {
    if (!has(h, col)) continue;
    const v = `${col}_u`;
    checks.push({ when: `${v} <> '' AND ${v} <> left(sub, ${len})`, reason: 'inconsistent_segment', column: src(col), value: `q_value(${v})`, message: `'${col} ' || ${v} || ' does not contain subgroup ' || sub` });
  }
  const levels = (['group', 'supergroup'] as const).filter((c) => has(h, c)).map((c) => `, upper(tr(ws, f_${c})) AS ${c}_u`).join('');
  return `WITH a AS (SELECT *, upper(tr(ws, f_oa21cd)) AS oa, tr(ws, f_subgroup) AS sub_t${levels} FROM (${guarded(h, raw)})),
  b AS (SELECT *, gss_code(upper(sub_t)) AS sub FROM a)
  SELECT rec, rej, oa, sub AS segment FROM ${rejected(checks, 'b')}`;
}

/** A licensed classification as postcode,segment[,ward] with its own dictionary's codes. */
export function genericChecks(h: HeaderMap, header: string[], raw: string, vintage: string, codes: string[]): string {
  const checks: Check[] = [
    ...structuralChecks(h, header),
    { when: 'postcode IS NULL', reason: 'invalid_postcode', column: `'postcode'`, value: 'q_value(f_postcode)', message: lit(MESSAGES.invalid_postcode) },
    {
      when: `segment IS NOT NULL AND NOT list_contains(${codeList(codes)}, segment)`,
      reason: 'unknown_segment',
      column: `'segment'`,
      value: 'q_value(segment)',
      message: `'segment code is not in classification/segments.csv'`,
    },
  ];
  return `WITH a AS (SELECT *, pc_norm(f_postcode) AS postcode, gss_code(tr(ws, f_segment)) AS segment, ${has(h, 'ward') ? 'gss_code(tr(ws, f_ward))' : 'CAST(NULL AS VARCHAR)'} AS ward FROM (${guarded(h, raw)}))
  SELECT rec, rej, ${lit(vintage)} AS vintage, postcode, false AS terminated, segment, ward, NULL AS lsoa, NULL AS laua,
    nation(ward) AS country, NULL AS imd_rank, NULL AS imd_edition, NULL AS lat, NULL AS long FROM ${rejected(checks, 'a')}`;
}

/** Offered-school values that say no school was offered (matched whole, lower case; blank too). */
const NO_OFFER = '|none|no offer|n/a|na|-';
/** Offered-preference values that say the offer was none of the preferences (allocated, directed, none). */
const NOT_A_PREFERENCE = '0|none|no|n/a|na|a|allocated|alloc|d|directed|direct|x|-|nearest|nearest school|not offered|no preference';
const ON_TIME_WORDS = ['on time', 'ontime', 'on-time', 'on_time', 'o', 'ot', 'y', 'yes', 'true', 't', '1'];
const LATE_WORDS = ['late', 'l', 'n', 'no', 'false', 'f', '0'];
/** A `late` column (Y = late): words for late, and for on time (blank is on time). */
const LATE_YES = ['y', 'yes', 'true', 't', '1', 'late', 'l'];
const LATE_NO = ['n', 'no', 'false', 'f', '0', 'on time', 'ontime', ''];

/**
 * Coordinated admissions applications (schemas/inputs.ts ADMISSIONS_LAYOUT): the reference, entry
 * year (its academic year before entry is the period), round, preferences in rank order (URN or
 * LAESTAB through the register; the first required, no gaps, no school twice), the offer against
 * its rank, on time or late, and an optional UPN checked like the census. Schools given as LAESTABs
 * are resolved through reg_laestab, one join per school column.
 */
export function admissionChecks(h: HeaderMap, header: string[], raw: string): string {
  const prefs = PREFERENCE_COLUMNS.filter((c) => has(h, c));
  const codes = [...prefs, 'offered_school'];
  const rankGiven = has(h, 'offered_rank') ? `rk_l <> ''` : 'false';
  const byLate = !has(h, 'on_time');
  const checks: Check[] = [
    ...structuralChecks(h, header),
    { when: `ref = ''`, reason: 'missing_value', column: `'application_ref'`, value: `''`, message: `'application reference is blank'` },
    { when: 'entry_year IS NULL', reason: 'invalid_entry_year', column: `'entry_year'`, value: 'q_value(ey_t)', message: `'entry year must be the September of entry, e.g. 2026 or 2026/27'` },
    { when: 'NOT ey_follows', reason: 'invalid_entry_year', column: `'entry_year'`, value: 'q_value(ey_t)', message: `'the two years of an entry year must follow each other, e.g. 2026/27'` },
    {
      when: 'phase IS NULL',
      reason: 'invalid_phase',
      column: `'phase'`,
      value: 'q_value(phase_t)',
      message: `'round must be Reception (primary), Junior (Year 3) or Secondary (Year 7); in-year admissions are not a coordinated round'`,
    },
  ];
  const schoolChecks = (c: string): Check[] => [
    {
      when: `t_${c} <> '' AND NOT ok_${c} AND le_${c} IS NULL`,
      reason: 'invalid_school',
      column: lit(c),
      value: `q_value(t_${c})`,
      message: `'a school must be a 6-digit URN or a LAESTAB (LA number + establishment number, e.g. 886/4012)'`,
    },
    { when: `t_${c} <> '' AND u_${c} IS NULL`, reason: 'unknown_laestab', column: lit(c), value: `q_value(t_${c})`, message: lit(MESSAGES.unknown_laestab) },
  ];
  prefs.forEach((c, k) => {
    const before = prefs.slice(0, k);
    if (before.length) {
      // The first blank preference before a named one is the gap.
      const gap = `CASE ${before.map((b) => `WHEN t_${b} = '' THEN ${lit(b)}`).join(' ')} END`;
      checks.push({ when: `t_${c} <> '' AND (${before.map((b) => `t_${b} = ''`).join(' OR ')})`, reason: 'preference_gap', column: gap, value: `''`, message: `${gap} || ' is blank but a later preference is named'` });
    }
    checks.push(...schoolChecks(c));
    if (before.length) {
      checks.push({ when: `u_${c} IN (${before.map((b) => `u_${b}`).join(', ')})`, reason: 'duplicate_preference', column: lit(c), value: `q_value(t_${c})`, message: `'the same school is named twice'` });
    }
  });
  checks.push(
    { when: 'len(prefs) = 0', reason: 'missing_value', column: `'preference_1'`, value: `''`, message: `'an application names at least one preference'` },
    ...schoolChecks('offered_school'),
    {
      when: `${rankGiven} AND NOT rk_none AND rk_n IS NULL`,
      reason: 'invalid_offered_rank',
      column: `'offered_rank'`,
      value: 'q_value(rk_t)',
      message: `'the preference offered must be 1 to 6, or blank/None/A (allocated)/D (directed) when it is none of them'`,
    },
    {
      when: `${rankGiven} AND rk_n IS NOT NULL AND (offered IS NULL OR prefs[rk_n] IS DISTINCT FROM offered)`,
      reason: 'offer_mismatch',
      column: `'offered_rank'`,
      value: 'q_value(rk_t)',
      message: `CASE WHEN offered IS NULL THEN 'a preference is said to be offered but no school is' ELSE 'preference ' || rk_n || ' is not the school offered' END`,
    },
    {
      when: `${rankGiven} AND rk_none AND offered IS NOT NULL AND list_contains(prefs, offered)`,
      reason: 'offer_mismatch',
      column: `'offered_rank'`,
      value: 'q_value(rk_t)',
      message: `'the school offered is one of the preferences, but the offer is recorded as not a preference'`,
    },
    byLate
      ? { when: 'on_time IS NULL', reason: 'invalid_flag', column: `'late'`, value: 'q_value(ot_l)', message: `'late must be Y/N (true when the application was late)'` }
      : { when: 'on_time IS NULL', reason: 'invalid_on_time', column: `'on_time'`, value: 'q_value(ot_l)', message: `'expected On time or Late (or Y/N)'` },
  );
  if (has(h, 'upn')) {
    checks.push(
      { when: `upn <> '' AND NOT upn_shape_ok(upn)`, reason: 'invalid_upn', column: `'upn'`, value: 'q_upn(upn)', message: lit(MESSAGES.invalid_upn) },
      { when: `upn <> '' AND NOT upn_ok(upn, upn_digits(upn), upn_last(upn))`, reason: 'bad_upn_check_letter', column: `'upn'`, value: 'q_upn(upn)', message: lit(MESSAGES.bad_upn_check_letter) },
    );
  }
  const trimmed = codes.map((c) => `${has(h, c) ? `tr(ws, f_${c})` : "''"} AS t_${c}`).join(', ');
  // Each school column: a URN as it is, else the URN of its LAESTAB in the register. A file names
  // a few hundred schools in tens of thousands of cells, so each distinct value is read once (in
  // `schools`: whether it is a URN, its LAESTAB, its URN, whether it says "no offer") and the
  // columns look their values up there, rather than running the patterns on every cell.
  const named = codes.filter((c) => has(h, c));
  const schools = named.length
    ? `schools AS (SELECT s.t, s.ok, s.le, CASE WHEN s.ok THEN s.t ELSE r.urn END AS u, regexp_full_match(lower(s.t), ${lit(NO_OFFER)}) AS no_offer
          FROM (SELECT t, urn_ok(t) AS ok, CASE WHEN urn_ok(t) THEN NULL ELSE laestab_norm(t) END AS le
                FROM (SELECT DISTINCT js_trim(v) AS t FROM (SELECT unnest([${named.map((c) => `f_${c}`).join(', ')}]) AS v FROM ${raw}))) s
          LEFT JOIN reg_laestab r ON r.laestab = s.le),\n  `
    : '';
  const joins = named.map((c) => `LEFT JOIN schools k_${c} ON k_${c}.t = b.t_${c}`).join('\n    ');
  const urns = codes
    .map((c) => (has(h, c) ? `k_${c}.u AS u_${c}, k_${c}.ok AS ok_${c}, k_${c}.le AS le_${c}` : `CAST(NULL AS VARCHAR) AS u_${c}, false AS ok_${c}, CAST(NULL AS VARCHAR) AS le_${c}`))
    .join(', ');
  const noOffer = has(h, 'offered_school') ? 'k_offered_school.no_offer' : 'true';
  const onTime = byLate
    ? `CASE WHEN list_contains(${codeList(LATE_YES)}, ot_l) THEN false WHEN list_contains(${codeList(LATE_NO)}, ot_l) THEN true END`
    : `CASE WHEN list_contains(${codeList(ON_TIME_WORDS)}, ot_l) THEN true WHEN list_contains(${codeList(LATE_WORDS)}, ot_l) THEN false END`;
  const prefList = prefs.length ? `list_filter([${prefs.map((c) => `u_${c}`).join(', ')}], x -> x IS NOT NULL)` : 'CAST([] AS VARCHAR[])';
  return `WITH ${schools}a AS (SELECT *, tr(ws, f_application_ref) AS ref, tr(ws, f_entry_year) AS ey_t, tr(ws, f_phase) AS phase_t, ${trimmed},
          ${has(h, 'offered_rank') ? 'tr(ws, f_offered_rank)' : "''"} AS rk_t, lower(tr(ws, ${byLate ? 'f_late' : 'f_on_time'})) AS ot_l,
          ${has(h, 'upn') ? 'upper(tr(ws, f_upn))' : "''"} AS upn FROM (${guarded(h, raw)})),
  b AS (SELECT *, lower(rk_t) AS rk_l,
          CASE WHEN regexp_full_match(ey_t, '20[0-9]{2}(\\s*[-/]\\s*([0-9]{2}|[0-9]{4}))?') THEN CAST(left(ey_t, 4) AS INTEGER) END AS entry_year,
          admission_phase(regexp_replace(regexp_replace(lower(phase_t), '[_-]+', ' ', 'g'), '\\s+', ' ', 'g')) AS phase FROM a),
  c AS (SELECT b.*, ${urns}, ${noOffer} AS no_offer,
          entry_year IS NULL OR NOT contains(ey_t, '-') AND NOT contains(ey_t, '/')
            OR TRY_CAST(regexp_extract(ey_t, '[-/]\\s*([0-9]+)$', 1) AS INTEGER) % 100 = (entry_year + 1) % 100 AS ey_follows,
          regexp_full_match(rk_l, ${lit(`(${NOT_A_PREFERENCE})`)}) AS rk_none,
          TRY_CAST(NULLIF(regexp_extract(rk_l, '^(pref(erence)?\\s*|p)?([1-6])(st|nd|rd|th)?( preference)?$', 3), '') AS INTEGER) AS rk_n,
          ${onTime} AS on_time
    FROM b ${joins}),
  d AS (SELECT *, ${prefList} AS prefs,
          CASE WHEN no_offer THEN NULL ELSE u_offered_school END AS offered FROM c)
  SELECT rec, rej, CAST(entry_year - 1 AS VARCHAR) || '-' || lpad(CAST(entry_year % 100 AS VARCHAR), 2, '0') AS period, ref, upn, entry_year, phase,
    pc_norm(f_postcode) AS postcode, ${PREFERENCE_COLUMNS.map((c, i) => `prefs[${i + 1}] AS ${c}`).join(', ')}, len(prefs) AS preferences,
    offered AS offered_urn, CASE WHEN ${rankGiven} THEN CASE WHEN rk_none THEN NULL ELSE rk_n END ELSE list_position(prefs, offered) END AS offered_rank, on_time
  FROM ${rejected(checks, 'd')}`;
}
