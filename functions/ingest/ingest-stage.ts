/**
 * Ingest stage: raw CSV (one folder per dataset) -> validated, typed, Hive-partitioned Parquet under
 * curated/, rejected rows -> quarantine/<dataset>.csv.
 *
 * The engine does the row work, the same locally and in the ingest Lambda: an embedded DuckDB
 * (ingest-db.ts) reads each file with read_csv, runs the dataset's checks (sql/checks.ts, built
 * from the field rules of sql/rules.ts) over every row, and keeps the checked rows; duplicates are
 * found with one aggregation over the dataset; the accepted rows are written to Parquet by one
 * COPY, with the UPN pseudonyms (HMAC-SHA256) computed in that statement only for the rows it
 * writes. JavaScript does what must see a file as bytes or as a whole (source-file.ts: download,
 * hash, encoding; header.ts: the layout from the header row), the few quarantined rows' line
 * numbers (record-lines.ts) and the messages.
 *
 * Output is staged under staging/<run>/ and moved into place per partition only when a dataset
 * has been read completely, so a failure never leaves a half-written curated table. Every row read
 * is either accepted or quarantined.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeWorkDir, removeWorkDir } from '../ports/work-dir.ts';
import { Readable } from 'node:stream';
import { columnsOf, tablePrefix, type ColumnDef, type TableDef } from '../../schemas/columns.ts';
import { admissions, contacts, pupils, schools, postcodes, segments, wards } from '../../schemas/curated.ts';
import { APPLICATION_DOMAIN } from '../domain/admissions-fields.ts';
import { BUILT_IN_CLASSIFICATIONS, IMD_EDITIONS, type ClassificationEdition, type ImdEdition } from '../../schemas/editions.ts';
import {
  CLUSTERS_LAYOUT,
  LAYOUTS,
  NSPL_LAYOUT,
  OA_CLASSIFICATION_LAYOUT,
  PERSONAL_DATA_COLUMNS,
  normaliseHeader,
  segmentDictionaryColumns,
  wardNameColumns,
  type InputColumn,
  type InputDataset,
  type InputLayout,
} from '../../schemas/inputs.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { LocalObjectStore } from '../ports/local-store.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { IngestError, imdPlanOf, oacDictionary, planClassification, type ClassificationPlan, type ImdPlan } from './classification-plan.ts';
import { csvBatches, csvRecords, CsvFileError } from './csv-records.ts';
import { periodFromName, vintageFromName } from './file-names.ts';
import { mapHeader, requireLayout, type HeaderMap } from './header.ts';
import { IngestDb, IngestDbError, hmacSql } from './ingest-db.ts';
import { QuarantineLog, type QuarantineRow } from './quarantine.ts';
import { malformedCsv, recordLines } from './record-lines.ts';
import { SchoolRegister, type SchoolStatus } from './school-register.ts';
import { prepareSource, type SourceFile } from './source-file.ts';
import { InputHashes } from './input-hashes.ts';
import type { IngestSettings } from './settings.ts';
import { CHECKED_COLUMNS, MAX_LINE_BYTES, UNIQUE_KEYS, admissionChecks, contactChecks, genericChecks, nsplChecks, oaChecks, pupilChecks, rawRecords, schoolChecks, type CheckedTable, type CsvScan } from './sql/checks.ts';
import { MESSAGES, lit } from './sql/rules.ts';
import type { DecodeResult, TextEncoding } from './text-decoding.ts';

export { IngestError };

export interface IngestOptions extends IngestSettings {
  /** Where the input CSVs are: one folder per dataset at the store's root. */
  raw: ObjectStore;
  /** The lake: curated/, quarantine/, staging/ live here. */
  lake: ObjectStore;
  runId: string;
  /** Period for pupils/schools files whose name carries none. */
  period: string;
  /** Key of the HMAC-SHA256 pseudonyms that replace UPNs (at least 32 bytes). */
  pseudonymKey: Uint8Array;
  progress?: ProgressSink;
  /** Skip a dataset whose input files (and settings) are identical to its last successful ingest. */
  skipUnchanged?: boolean;
  datasets?: InputDataset[];
  /** Where downloads, decoded copies and DuckDB's files go while ingest runs (default: the OS temporary directory). */
  workDir?: string;
  /** DuckDB's memory cap for ingest (default defaultIngestMemory()). */
  memoryLimit?: string;
  /** DuckDB's threads for ingest (default: one per core). */
  threads?: number;
}

export interface FileReport {
  key: string;
  sha256: string;
  bytes: number;
  read: number;
  accepted: number;
  quarantined: number;
  /** The layout recognised from the header (nspl, gias, census...). */
  layout?: string;
  /** Which header cell fills each contract column. */
  columns?: Record<string, string>;
  encoding?: TextEncoding;
  ignoredColumns: string[];
  /** Columns of personal data the file carries and catchment never reads (names only). */
  personalColumns?: string[];
  warnings: string[];
}

export interface ClassificationReport {
  edition: ClassificationEdition;
  /** Human name of the edition, e.g. ONS Output Area Classification 2021. */
  name: string;
  via: ClassificationPlan['via'];
  from: string;
  imdEdition: ImdEdition | null;
  imdName: string | null;
  imdColumn: string | null;
}

export interface LaReport {
  code: string | null;
  source: 'option' | 'inferred' | 'unknown';
  /** Pupils at the LA's schools, and per LA code of the schools pupils attend. */
  pupils: number;
  byLa: { code: string; pupils: number }[];
}

export interface DatasetReport {
  dataset: InputDataset;
  skipped: boolean;
  files: FileReport[];
  read: number;
  accepted: number;
  quarantined: number;
  quarantinedByReason: Record<string, number>;
  partitions: string[];
  layout?: string;
  /** Classification vintage: the NSPL release from the file name (yyyy-mm), else unspecified. */
  vintage?: string;
  classification?: ClassificationReport;
  la?: LaReport;
  /** Options and upstream inputs this result depends on (a warm run re-ingests when they change). */
  settings?: string;
  /** Wall time of this dataset's ingest in this run, ms (a skipped one's: its check). */
  ms?: number;
}

const REQUIRED: InputDataset[] = ['classification', 'schools', 'pupils'];
const ORDER: InputDataset[] = ['classification', 'schools', 'pupils', 'contacts', 'admissions'];
const sourceStateKey = (d: InputDataset) => `curated/_sources/${d}.json`;
const REGISTER_KEY = 'curated/_sources/schools-register.json';

/** What a run of ingest holds while it works through the datasets. */
interface Session {
  opts: IngestOptions;
  progress: ProgressSink;
  /** This run's work directory (removed at the end). */
  work: string;
  db: IngestDb | null;
  /** Files read so far (numbers them: file_no in the checked tables). */
  files: number;
  register: SchoolRegister | null;
  /** Input file hashes for the skip check, started together (input-hashes.ts). */
  hashes: InputHashes;
}

/** Ingest every dataset present in the input; returns one report per dataset. */
export async function ingest(opts: IngestOptions): Promise<Record<string, DatasetReport>> {
  if (opts.laCode !== undefined && !/^\d{3}$/.test(opts.laCode)) throw new IngestError(`--la-code must be a 3-digit LA number such as 886, not ${JSON.stringify(opts.laCode)}`);
  const reports: Record<string, DatasetReport> = {};
  const work = await makeWorkDir(opts.workDir ?? tmpdir());
  const s: Session = { opts, progress: opts.progress ?? noProgress, work, db: null, files: 0, register: null, hashes: new InputHashes(opts.raw) };
  try {
    const inputs: [InputDataset, string[]][] = [];
    for (const dataset of opts.datasets ?? ORDER) {
      const keys = (await opts.raw.list(`${dataset}/`)).map((o) => o.key).filter((k) => /\.csv$/i.test(k));
      if (keys.length === 0 && REQUIRED.includes(dataset)) throw new IngestError(`no ${dataset} CSV files found under ${opts.raw.uri(dataset + '/')}`);
      if (keys.length > 0) inputs.push([dataset, keys]);
    }
    // The warm run hashes the files of every dataset it may skip at once (input-hashes.ts).
    if (opts.skipUnchanged) for (const [dataset, keys] of inputs) if (await opts.lake.exists(sourceStateKey(dataset))) s.hashes.start(keys);
    for (const [dataset, keys] of inputs) {
      const t0 = performance.now();
      reports[dataset] = { ...(await ingestDataset(dataset, keys, s)), ms: Math.round(performance.now() - t0) };
    }
  } finally {
    s.db?.close();
    await removeWorkDir(work);
  }
  return reports;
}

async function database(s: Session): Promise<IngestDb> {
  s.db ??= await IngestDb.open({ dir: join(s.work, 'duckdb'), memoryLimit: s.opts.memoryLimit, threads: s.opts.threads });
  return s.db;
}

/** What a dataset's result depends on besides its own files. */
async function settingsOf(dataset: InputDataset, opts: IngestOptions): Promise<string> {
  if (dataset === 'classification') return JSON.stringify({ classification: opts.classification ?? null });
  if (dataset === 'schools') return JSON.stringify({ clusterColumn: opts.clusterColumn ?? null });
  if (dataset === 'pupils' || dataset === 'admissions') {
    const register = (await opts.lake.exists(REGISTER_KEY)) ? createHash('sha256').update(await opts.lake.get(REGISTER_KEY)).digest('hex') : null;
    return JSON.stringify({ laCode: opts.laCode ?? null, register });
  }
  return '{}';
}

async function ingestDataset(dataset: InputDataset, keys: string[], s: Session): Promise<DatasetReport> {
  const { opts } = s;
  const settings = await settingsOf(dataset, opts);
  if (opts.skipUnchanged && (await opts.lake.exists(sourceStateKey(dataset)))) {
    const previous = JSON.parse(Buffer.from(await opts.lake.get(sourceStateKey(dataset))).toString()) as DatasetReport;
    const hashes = await Promise.all(keys.map((k) => s.hashes.of(k)));
    const before = new Map(previous.files.map((f) => [f.key, f.sha256]));
    const same = previous.settings === settings && before.size === keys.length && keys.every((k, i) => before.get(k) === hashes[i]!.sha256);
    if (same) {
      s.progress({ stage: 'ingest', item: dataset, message: 'unchanged since last ingest: skipped' });
      return { ...previous, skipped: true };
    }
  }
  // Forget the last state before the curated table is replaced: a run killed between the two must
  // not leave a state naming the former bytes, or putting those bytes back would be skipped.
  await opts.lake.deletePrefix(sourceStateKey(dataset));
  try {
    const report =
      dataset === 'classification'
        ? await ingestClassification(keys, s)
        : dataset === 'schools'
          ? await ingestSchools(keys, s)
          : await ingestRows(dataset, keys, s);
    report.settings = dataset === 'schools' ? settings : await settingsOf(dataset, opts);
    await opts.lake.put(sourceStateKey(dataset), JSON.stringify({ ...report, skipped: false }, null, 2));
    return report;
  } finally {
    await opts.lake.deletePrefix(`staging/${opts.runId}/curated`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading one file

interface FileSpec {
  /** Layouts the file may be in (recognised from its header), and what to call the file in errors. */
  layouts: InputLayout[];
  what: string;
  /** The checked table its rows go into, and the SELECT that checks them. */
  table: CheckedTable;
  select: (h: HeaderMap, header: string[], raw: string) => string;
  /** Columns read besides the layout's, by position (a chosen cluster column). */
  extra?: Record<string, number>;
  /** Runs once the layout is known; may refuse the file. */
  accept?: (h: HeaderMap) => void;
  /** Report columns of personal data that are present (census extracts). */
  personal?: boolean;
  /** Contract column a duplicate is quarantined under. */
  duplicateColumn: (h: HeaderMap) => string;
}

/** A record DuckDB could not split into the header's fields. */
interface BrokenRecord {
  line: number;
  reason: 'wrong_field_count' | 'field_too_long';
  message: string;
}

interface FileRead {
  fileNo: number;
  report: FileReport;
  source: SourceFile | null;
  skip: number;
  width: number;
  /** Records DuckDB read (checked rows), and those it rejected as broken, in file order. */
  records: number;
  broken: BrokenRecord[];
  duplicateColumn: string;
}

/** Personal-data columns among the ignored ones, as "Surname (name)". */
function personalColumns(ignored: string[]): string[] {
  const out: string[] = [];
  for (const c of ignored) {
    const kind = PERSONAL_DATA_COLUMNS.find((p) => p.pattern.test(normaliseHeader(c)))?.kind;
    if (kind) out.push(`${c} (${kind})`);
  }
  return out;
}

const ENCODING_WARNING = 'not UTF-8: read as Windows-1252 (an Excel "CSV" export); save as "CSV UTF-8" to be sure every character is right';

/** The header row of a file as stored (decoded like the rest of it). */
async function peekHeader(store: ObjectStore, key: string): Promise<string[]> {
  for await (const rec of csvRecords(key, await store.getStream(key))) return rec.fields;
  return [];
}

/** The header record of a local file, and the lines up to its end (blank lines before it included). */
async function headerOf(file: SourceFile): Promise<{ fields: string[]; skip: number } | null> {
  for await (const batch of csvBatches(file.key, createReadStream(file.path, { highWaterMark: 64 * 1024 }))) {
    const first = batch[0]!;
    const breaks = first.fields.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
    return { fields: first.fields, skip: first.line + breaks };
  }
  return null;
}

/** DuckDB's rejects of a scan: broken records, or the error that refuses the file. */
async function brokenRecords(db: IngestDb, file: SourceFile, table: string, width: number): Promise<BrokenRecord[]> {
  const rows = await db.rows<{ line: bigint | number; types: string[]; lo: number | null; hi: number | null }>(
    `SELECT min(line) AS line, list(DISTINCT error_type) AS types,
       min(TRY_CAST(regexp_extract(error_message, 'Found: ([0-9]+)', 1) AS INTEGER)) AS lo,
       max(TRY_CAST(regexp_extract(error_message, 'Found: ([0-9]+)', 1) AS INTEGER)) AS hi
     FROM ${table} GROUP BY line_byte_position ORDER BY line_byte_position`,
  );
  await db.run(`DROP TABLE IF EXISTS ${table}`);
  await db.run(`DROP TABLE IF EXISTS ${table}_scan`);
  const out: BrokenRecord[] = [];
  for (const r of rows) {
    const line = Number(r.line);
    if (r.types.some((t) => t !== 'MISSING COLUMNS' && t !== 'TOO MANY COLUMNS' && t !== 'LINE SIZE OVER MAXIMUM')) throw await malformedCsv(file, line);
    if (r.types.includes('LINE SIZE OVER MAXIMUM')) {
      out.push({ line, reason: 'field_too_long', message: `the line is longer than ${MAX_LINE_BYTES / 1024 / 1024} MB` });
    } else {
      const found = r.types.includes('MISSING COLUMNS') ? r.lo : r.hi;
      out.push({ line, reason: 'wrong_field_count', message: `expected ${width} fields, found ${found ?? '?'}` });
    }
  }
  return out;
}

/** Read one file into its dataset's checked table. */
async function readFile(s: Session, key: string, spec: FileSpec): Promise<FileRead> {
  const fileNo = ++s.files;
  const size = (await s.opts.raw.list(key)).find((o) => o.key === key)?.size;
  s.progress({ stage: 'ingest', item: key, done: 0, total: size, unit: 'bytes' });
  const source = await prepareSource(s.opts.raw, key, s.work, `f${fileNo}`, (done) => s.progress({ stage: 'ingest', item: key, done, total: size, unit: 'bytes' }));
  const report: FileReport = { key, sha256: source.sha256, bytes: source.bytes, read: 0, accepted: 0, quarantined: 0, ignoredColumns: [], warnings: [] };
  const read: FileRead = { fileNo, report, source, skip: 0, width: 0, records: 0, broken: [], duplicateColumn: '' };
  const head = await headerOf(source);
  if (!head) {
    report.encoding = source.encoding;
    if (source.encoding === 'windows-1252') report.warnings.push(ENCODING_WARNING);
    report.warnings.push('empty file: no header row');
    return read;
  }
  const h = requireLayout(key, head.fields, spec.layouts, spec.what);
  report.layout = h.layout;
  report.columns = h.source;
  report.ignoredColumns = h.ignored;
  if (spec.personal) {
    const personal = personalColumns(h.ignored);
    if (personal.length) {
      report.personalColumns = personal;
      report.warnings.push(
        `the extract carries more personal data than catchment needs: ${personal.join(', ')}; these columns were not read. Ask for an extract with only the columns listed in the README`,
      );
    }
  }
  spec.accept?.(h);
  read.skip = head.skip;
  read.width = head.fields.length;
  read.duplicateColumn = spec.duplicateColumn(h);
  const db = await database(s);
  const scan: CsvScan = { path: source.path, width: read.width, skip: read.skip, rejectsTable: `rejects_${fileNo}` };
  const raw = `raw_${fileNo}`;
  try {
    await db.run(`CREATE TABLE ${raw} AS ${rawRecords(h, scan, spec.extra)}`);
  } catch (e) {
    if (e instanceof IngestDbError) throw new CsvFileError(key, null, 'unreadable', `the file could not be read as CSV (${e.message})`);
    throw e;
  }
  read.broken = await brokenRecords(db, source, scan.rejectsTable, read.width);
  await db.run(`INSERT INTO rows_${spec.table} BY NAME SELECT ${fileNo} AS file_no, * FROM (${spec.select(h, head.fields, raw)})`);
  await db.run(`DROP TABLE ${raw}`);
  const [{ n }] = await db.rows<{ n: bigint }>(`SELECT count(*) AS n FROM rows_${spec.table} WHERE file_no = ${fileNo}`);
  read.records = Number(n);
  report.read = read.records + read.broken.length;
  report.encoding = source.encoding;
  if (source.encoding === 'windows-1252') report.warnings.push(ENCODING_WARNING);
  if (report.read === 0) report.warnings.push('header only: no data rows');
  s.progress({ stage: 'ingest', item: key, done: source.bytes, total: size ?? source.bytes, unit: 'bytes' });
  return read;
}

// ---------------------------------------------------------------------------------------------
// A dataset's checked rows: duplicates, quarantine, accepted rows

const STRUCT = 'STRUCT(reason VARCHAR, col VARCHAR, val VARCHAR, msg VARCHAR)';

async function createChecked(db: IngestDb, table: CheckedTable): Promise<void> {
  const cols = Object.entries(CHECKED_COLUMNS[table]).map(([c, t]) => `${c} ${t}`);
  await dropChecked(db, table);
  await db.run(`CREATE TABLE rows_${table} (file_no INTEGER, rec BIGINT, rej ${STRUCT}, ${cols.join(', ')})`);
}

async function dropChecked(db: IngestDb, table: CheckedTable): Promise<void> {
  await db.run(`DROP TABLE IF EXISTS rows_${table}`);
  await db.run(`DROP TABLE IF EXISTS dups_${table}`);
}

/** Rows of a checked table that pass every check and are not a later duplicate. */
const accepted = (table: CheckedTable) =>
  `(SELECT * FROM rows_${table} r WHERE r.rej IS NULL AND NOT EXISTS (SELECT 1 FROM dups_${table} d WHERE d.file_no = r.file_no AND d.rec = r.rec))`;

/** An accepted row's place in the input (file, then record): the curated tables keep it (`a` is the accepted rows). */
const INPUT_ORDER = 'a.file_no, a.rec';

/**
 * Later rows with the key of an earlier accepted row (file order, then record order). Keys are
 * grouped by their 64-bit hash first (a small hash table even for 9 million pupils); only rows
 * whose hash repeats are compared by their key itself.
 */
async function findDuplicates(db: IngestDb, table: CheckedTable): Promise<void> {
  const cols = UNIQUE_KEYS[table];
  const keys = cols.join(', ');
  // A row's place in the dataset: file, then record.
  const place = (t: string) => `${t}.file_no::BIGINT * 4294967296 + ${t}.rec`;
  await db.run(`CREATE TABLE dups_${table} AS
    WITH repeated AS (SELECT hash(${keys}) AS h FROM rows_${table} WHERE rej IS NULL GROUP BY 1 HAVING count(*) > 1),
    candidates AS (SELECT file_no, rec, ${keys} FROM rows_${table} WHERE rej IS NULL AND hash(${keys}) IN (SELECT h FROM repeated)),
    multi AS (SELECT ${keys}, min(${place('x')}) AS first FROM candidates x GROUP BY ${keys} HAVING count(*) > 1)
    SELECT c.file_no, c.rec FROM candidates c JOIN multi m USING (${keys}) WHERE ${place('c')} <> m.first`);
}

interface Quarantined extends QuarantineRow {
  fileNo: number;
}

/**
 * The quarantine of the files read into a checked table (after findDuplicates): each rejected or
 * duplicate row with its line, and the broken records; per-file counts are set on the reports.
 */
async function quarantineOf(db: IngestDb, table: CheckedTable, reads: FileRead[], duplicateReason: string): Promise<Quarantined[]> {
  const rows = await db.rows<{ file_no: number; rec: bigint; reason: string | null; col: string; val: string; msg: string }>(
    `SELECT file_no, rec, rej.reason AS reason, rej.col AS col, rej.val AS val, rej.msg AS msg FROM rows_${table} WHERE rej IS NOT NULL
     UNION ALL SELECT file_no, rec, NULL, '', '', '' FROM dups_${table}`,
  );
  const byFile = new Map<number, typeof rows>();
  for (const r of rows) {
    const list = byFile.get(r.file_no) ?? [];
    list.push(r);
    byFile.set(r.file_no, list);
  }
  const out: Quarantined[] = [];
  for (const f of reads) {
    const mine = byFile.get(f.fileNo) ?? [];
    if (!f.source || (mine.length === 0 && f.broken.length === 0)) {
      f.report.accepted = f.records;
      continue;
    }
    const lines = await recordLines(f.source, f.skip, f.width, f.records, f.broken.map((b) => b.line), mine.map((r) => Number(r.rec)));
    for (const r of mine) {
      const line = lines.read.get(Number(r.rec))!;
      if (r.reason === null) out.push({ fileNo: f.fileNo, file: f.report.key, line, column: f.duplicateColumn, value: '', reason: duplicateReason, message: MESSAGES.duplicate });
      else out.push({ fileNo: f.fileNo, file: f.report.key, line, column: r.col, value: r.val, reason: r.reason, message: r.msg });
    }
    f.broken.forEach((b, i) => out.push({ fileNo: f.fileNo, file: f.report.key, line: lines.rejected[i] ?? b.line, column: '', value: '', reason: b.reason, message: b.message }));
    f.report.accepted = f.records - mine.length;
    f.report.quarantined = mine.length + f.broken.length;
  }
  return out;
}

function quarantineLog(rows: Quarantined[]): QuarantineLog {
  const log = new QuarantineLog();
  rows.sort((a, b) => a.fileNo - b.fileNo || a.line - b.line);
  for (const { fileNo: _, ...r } of rows) log.add(r);
  return log;
}

function summarise(dataset: InputDataset, files: FileReport[], quarantine: QuarantineLog, partitions: string[]): DatasetReport {
  const sum = (f: (r: FileReport) => number) => files.reduce((a, r) => a + f(r), 0);
  const report: DatasetReport = {
    dataset,
    skipped: false,
    files,
    read: sum((r) => r.read),
    accepted: sum((r) => r.accepted),
    quarantined: sum((r) => r.quarantined),
    quarantinedByReason: { ...quarantine.byReason },
    partitions,
  };
  const layouts = [...new Set(files.map((f) => f.layout).filter((l): l is string => !!l))];
  if (layouts.length) report.layout = layouts.join('+');
  if (report.read !== report.accepted + report.quarantined || report.quarantined !== quarantine.count) {
    throw new IngestError(`${dataset}: row accounting does not balance (read ${report.read}, accepted ${report.accepted}, quarantined ${report.quarantined})`);
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// Writing curated tables

const DUCK_TYPE: Record<ColumnDef['type'], string> = { string: 'VARCHAR', int: 'INTEGER', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', date: 'DATE' };
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const stagedTable = (s: Session, table: TableDef) => `staging/${s.opts.runId}/curated/${table.name}`;

/**
 * Write `from` as the table's Parquet under staging/<run>/curated/<table>/<partition>=<value>/
 * part-00000.parquet, typed by the contract, rows in the order `order` (SQL over `from`); returns
 * the partition values written. `exprs` gives a column's SQL when it is not a column of `from`.
 * With `key`, the statement can use the pseudonymisation key (table `k`, see IngestDb.withKey).
 *
 * Identical inputs give identical bytes (safe retries, audit by checksum): one COPY per partition
 * to a single file, whose rows DuckDB writes in the order of its query. A PARTITION_BY COPY does
 * not keep that order (its threads share the partitions' writers), even under ORDER BY.
 */
async function writeTable(s: Session, table: TableDef, from: string, order: string | null, exprs: Record<string, string> = {}, key?: Uint8Array): Promise<string[]> {
  const db = await database(s);
  const prefix = stagedTable(s, table);
  const local = s.opts.lake instanceof LocalObjectStore;
  const dir = local ? s.opts.lake.uri(prefix) : join(s.work, 'out', table.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (table.partitions.length !== 1) throw new Error(`${table.name}: a curated table has one partition column`);
  const column = table.partitions[0]!;
  const expr = (c: ColumnDef) => `CAST(${exprs[c.name] ?? ident(c.name)} AS ${DUCK_TYPE[c.type]})`;
  const columns = columnsOf(table);
  const partition = expr(columns.find((c) => c.name === column)!);
  const select = columns.filter((c) => c.name !== column).map((c) => `${expr(c)} AS ${ident(c.name)}`);
  const found = await db.rows<{ v: string | null }>(`SELECT DISTINCT CAST(${partition} AS VARCHAR) AS v FROM ${from} ORDER BY v`);
  const values = found.map(({ v }) => {
    // Periods and vintages only (validated at the checks); never a path of their own.
    if (v === null || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) throw new IngestError(`${table.name}: partition value ${JSON.stringify(v)} is not a period or vintage`);
    return v;
  });
  for (const value of values) {
    const file = join(dir, `${column}=${value}`, 'part-00000.parquet');
    mkdirSync(join(dir, `${column}=${value}`), { recursive: true });
    const sql = `COPY (SELECT ${select.join(', ')} FROM ${from}${key ? ', hmac_key k' : ''} WHERE ${partition} = ${lit(value)}${order ? ` ORDER BY ${order}` : ''})
      TO ${lit(file)} (FORMAT parquet, COMPRESSION snappy)`;
    if (key) await db.withKey(key, sql);
    else await db.run(sql);
    if (!local) await s.opts.lake.put(`${prefix}/${column}=${value}/part-00000.parquet`, createReadStream(file));
  }
  if (!local) rmSync(dir, { recursive: true, force: true });
  return values;
}

/** Move staged partitions into the curated table; `whole` replaces the table as a whole (one classification vintage). */
async function commitTable(s: Session, table: TableDef, partitions: string[], whole: boolean): Promise<void> {
  const { lake } = s.opts;
  const staged = stagedTable(s, table);
  if (whole) {
    if (partitions.length > 0) await lake.replacePrefix(staged, tablePrefix(table));
    else await lake.deletePrefix(tablePrefix(table) + '/');
    return;
  }
  const column = table.partitions[0]!;
  for (const p of partitions) await lake.replacePrefix(`${staged}/${column}=${p}`, `${tablePrefix(table)}/${column}=${p}`);
}

/** Rows given here (dictionaries: segments, wards) as a SQL relation with the table's data columns. */
function valuesOf(table: TableDef, rows: (string | null)[][], partition: string): string {
  const cols = columnsOf(table).map((c) => c.name);
  if (rows.length === 0) return `(SELECT ${cols.map((c) => `NULL AS ${ident(c)}`).join(', ')} WHERE false)`;
  const body = rows.map((r) => `(${[...r, partition].map((v) => (v === null ? 'NULL' : lit(v))).join(', ')})`).join(',\n');
  return `(VALUES ${body}) AS t(${cols.map(ident).join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// Datasets

const isNamed = (k: string, n: string) => k.split('/').pop()!.toLowerCase() === n;

async function loadRegister(s: Session): Promise<SchoolRegister | null> {
  if (s.register) return s.register;
  if (!(await s.opts.lake.exists(REGISTER_KEY))) return null;
  s.register = SchoolRegister.fromJSON(JSON.parse(Buffer.from(await s.opts.lake.get(REGISTER_KEY)).toString()));
  return s.register;
}

async function ingestRows(dataset: 'pupils' | 'contacts' | 'admissions', keys: string[], s: Session): Promise<DatasetReport> {
  const { opts } = s;
  const db = await database(s);
  const register = dataset === 'contacts' ? null : await loadRegister(s);
  await createChecked(db, dataset);
  if (dataset !== 'contacts') {
    // The schools register, for LAESTABs and each school's LA.
    const json = register?.toJSON() ?? { laestab: {}, la: {} };
    await db.run('CREATE OR REPLACE TABLE reg_laestab (laestab VARCHAR, urn VARCHAR)');
    await db.run('CREATE OR REPLACE TABLE reg_la (urn VARCHAR, la VARCHAR)');
    await db.insert('reg_laestab', ['laestab', 'urn'], Object.entries(json.laestab).map(([le, [urn]]) => [le, urn]));
    await db.insert('reg_la', ['urn', 'la'], Object.entries(json.la));
  }
  const reads: FileRead[] = [];
  for (const key of keys) {
    const period = periodFromName(key) ?? opts.period;
    const spec: FileSpec =
      dataset === 'pupils'
        ? {
            layouts: LAYOUTS.pupils,
            what: 'pupils file',
            table: 'pupils',
            personal: true,
            accept: (h) => {
              if (h.index.urn! < 0 && !register?.hasLaestabs) {
                throw new CsvFileError(key, 1, 'no_register', `pupils are keyed by LAESTAB (${h.source.laestab}), but the schools file gives no LAESTABs: use the GIAS extract, or add a laestab column to the schools list`);
              }
            },
            select: (h, header, raw) => pupilChecks(h, header, raw, { period, laCode: opts.laCode }),
            duplicateColumn: () => 'upn',
          }
        : dataset === 'admissions'
          ? { layouts: LAYOUTS.admissions, what: 'admissions file', table: 'admissions', personal: true, select: admissionChecks, duplicateColumn: () => 'application_ref' }
          : { layouts: LAYOUTS.contacts, what: 'contacts file', table: 'contacts', personal: true, select: contactChecks, duplicateColumn: () => 'contact_id' };
    reads.push(await readFile(s, key, spec));
  }
  await findDuplicates(db, dataset);
  const duplicateReason = { pupils: 'duplicate_upn', contacts: 'duplicate_contact_id', admissions: 'duplicate_application' }[dataset];
  const quarantine = quarantineLog(await quarantineOf(db, dataset, reads, duplicateReason));
  const partitions =
    dataset === 'pupils'
      ? await writeTable(s, pupils, `${accepted('pupils')} a`, INPUT_ORDER, { pupil_id: hmacSql('a.upn'), sector: 'pc_sector(a.postcode)' }, opts.pseudonymKey)
      : dataset === 'admissions'
        ? await writeTable(
            s,
            admissions,
            `${accepted('admissions')} a`,
            INPUT_ORDER,
            // The reference keyed in its own domain (never a pupil's pseudonym); a UPN like the census's.
            { application_id: hmacSql(`${lit(APPLICATION_DOMAIN)} || a.ref`), pupil_id: `CASE WHEN a.upn <> '' THEN ${hmacSql('a.upn')} END`, sector: 'pc_sector(a.postcode)' },
            opts.pseudonymKey,
          )
        : await writeTable(s, contacts, `${accepted('contacts')} a`, INPUT_ORDER, { sector: 'pc_sector(postcode)' });
  const report = summarise(dataset, reads.map((r) => r.report), quarantine, partitions);
  if (dataset === 'pupils') {
    // Pupils counted per LA of their school, duplicates included (as the LA is inferred from the extract).
    const counts = await db.rows<{ la: string; n: bigint }>(`SELECT la, count(*) AS n FROM rows_pupils WHERE rej IS NULL AND la IS NOT NULL GROUP BY la`);
    report.la = laReport(opts.laCode, new Map(counts.map((c) => [c.la, Number(c.n)])));
  }
  await dropChecked(db, dataset);
  await commitTable(s, { pupils, contacts, admissions }[dataset], partitions, false);
  await opts.lake.put(`quarantine/${dataset}.csv`, quarantine.toCsv());
  return report;
}

/** The LA: --la-code, else the LA of the schools most pupils attend (from the schools register). */
function laReport(option: string | undefined, counts: Map<string, number>): LaReport {
  const byLa = [...counts].map(([code, pupils]) => ({ code, pupils })).sort((a, b) => b.pupils - a.pupils || a.code.localeCompare(b.code));
  if (option) return { code: option, source: 'option', pupils: counts.get(option) ?? 0, byLa };
  if (byLa.length === 0) return { code: null, source: 'unknown', pupils: 0, byLa };
  return { code: byLa[0]!.code, source: 'inferred', pupils: byLa[0]!.pupils, byLa };
}

/** Reads a small dictionary CSV (segments.csv, wards.csv, clusters.csv) fully, validating its header. */
async function readDictionary(opts: IngestOptions, key: string, columns: InputColumn[], oneOf?: string[][]): Promise<{ rows: string[][]; file: FileReport }> {
  const rows: string[][] = [];
  let h: HeaderMap | null = null;
  const bytes = await opts.raw.get(key);
  const file: FileReport = { key, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, read: 0, accepted: 0, quarantined: 0, ignoredColumns: [], warnings: [] };
  const text: DecodeResult = { encoding: 'utf-8' };
  for await (const rec of csvRecords(key, Readable.from([Buffer.from(bytes)]), text)) {
    if (!h) {
      h = mapHeader(key, rec.fields, columns, oneOf);
      file.ignoredColumns = h.ignored;
      file.columns = h.source;
      continue;
    }
    file.read++;
    file.accepted++;
    rows.push(columns.map((c) => (h!.index[c.name]! >= 0 ? (rec.fields[h!.index[c.name]!] ?? '').trim() : '')));
  }
  file.encoding = text.encoding;
  if (text.encoding === 'windows-1252') file.warnings.push(ENCODING_WARNING);
  return { rows, file };
}

async function ingestSchools(keys: string[], s: Session): Promise<DatasetReport> {
  const { opts } = s;
  const clustersKey = keys.find((k) => isNamed(k, 'clusters.csv'));
  const schoolKeys = keys.filter((k) => k !== clustersKey);
  if (schoolKeys.length === 0) throw new IngestError('schools/ holds no schools file (the GIAS edubasealldata extract or urn,name,phase,postcode)');
  const files: FileReport[] = [];
  const clusters = new Map<string, string>();
  if (clustersKey) {
    const { rows, file } = await readDictionary(opts, clustersKey, CLUSTERS_LAYOUT.columns, CLUSTERS_LAYOUT.oneOf);
    files.push(file);
    for (const [urn, laestab, cluster] of rows) if (cluster) clusters.set((urn || laestab)!.replace(/\D/g, ''), cluster);
  }
  const db = await database(s);
  await createChecked(db, 'schools');
  await db.run('CREATE OR REPLACE TABLE clusters (key VARCHAR, cluster VARCHAR)');
  await db.insert('clusters', ['key', 'cluster'], [...clusters]);
  const reads: FileRead[] = [];
  for (const key of schoolKeys) {
    const period = periodFromName(key) ?? opts.period;
    let clusterAt = -1;
    if (opts.clusterColumn && !clustersKey) {
      const header = await peekHeader(opts.raw, key);
      clusterAt = header.map(normaliseHeader).indexOf(normaliseHeader(opts.clusterColumn));
      if (clusterAt < 0) throw new CsvFileError(key, 1, 'bad_header', `--cluster-column ${JSON.stringify(opts.clusterColumn)} is not a column of this file`);
    }
    const read = await readFile(s, key, {
      layouts: LAYOUTS.schools,
      what: 'schools file',
      table: 'schools',
      select: (h, header, raw) => schoolChecks(h, header, raw, { period, clusterColumn: clusterAt >= 0 }),
      extra: clusterAt >= 0 ? { _cluster: clusterAt } : {},
      duplicateColumn: () => 'urn',
    });
    if (clusterAt >= 0) read.report.columns = { ...read.report.columns, cluster: opts.clusterColumn! };
    reads.push(read);
  }
  await findDuplicates(db, 'schools');
  const quarantine = quarantineLog(await quarantineOf(db, 'schools', reads, 'duplicate_urn'));
  // The register: every row that passed its checks, in file order (a repeated URN's later LA wins).
  const register = new SchoolRegister();
  for (const r of await db.rows<{ urn: string; laestab: string | null; la_code: string | null; status: SchoolStatus }>(
    'SELECT urn, laestab, la_code, status FROM rows_schools WHERE rej IS NULL ORDER BY file_no, rec',
  )) {
    register.add(r.urn, r.laestab, r.la_code, r.status);
  }
  const partitions = await writeTable(s, schools, `${accepted('schools')} a`, INPUT_ORDER, { sector: 'pc_sector(postcode)' });
  const report = summarise('schools', [...files, ...reads.map((r) => r.report)], quarantine, partitions);
  await dropChecked(db, 'schools');
  await commitTable(s, schools, partitions, false);
  await opts.lake.put(REGISTER_KEY, JSON.stringify(register.toJSON()));
  await opts.lake.put('quarantine/schools.csv', quarantine.toCsv());
  s.register = register;
  return report;
}

async function ingestClassification(keys: string[], s: Session): Promise<DatasetReport> {
  const { opts } = s;
  const segKey = keys.find((k) => isNamed(k, 'segments.csv'));
  const wardKey = keys.find((k) => isNamed(k, 'wards.csv'));
  const tableKeys = keys.filter((k) => k !== segKey && k !== wardKey);
  if (tableKeys.length === 0) throw new IngestError('classification/ holds no postcode table (an NSPL extract or a postcode,segment CSV)');

  // Decide each file's layout from its header.
  const headers = new Map<string, HeaderMap>();
  for (const k of tableKeys) headers.set(k, requireLayout(k, await peekHeader(opts.raw, k), LAYOUTS.classification, 'classification file'));
  const byLayout = (id: string) => tableKeys.filter((k) => headers.get(k)!.layout === id);
  const nsplKeys = byLayout(NSPL_LAYOUT.id);
  const oaKeys = byLayout(OA_CLASSIFICATION_LAYOUT.id);
  const genericKeys = byLayout('generic');
  if (nsplKeys.length && genericKeys.length) throw new IngestError('classification/ mixes NSPL and generic postcode tables; use one layout');
  if (!nsplKeys.length && !genericKeys.length) throw new IngestError('classification/ holds an OA-level classification but no postcode lookup (NSPL) to join it to');
  const lookupKeys = nsplKeys.length ? nsplKeys : genericKeys;
  const vintages = new Set(lookupKeys.map((k) => vintageFromName(k) ?? 'unspecified'));
  if (vintages.size > 1) throw new IngestError(`classification files have different vintages (${[...vintages].join(', ')}); load one vintage at a time`);
  const vintage = [...vintages][0]!;
  const release = vintage === 'unspecified' ? null : vintage;
  const nsplHeader = nsplKeys.length ? headers.get(nsplKeys[0]!)! : null;
  const plan = planClassification(nsplHeader, oaKeys, opts.classification);
  const imd: ImdPlan = nsplHeader ? imdPlanOf(nsplHeader, release) : { edition: null, column: null, assumed: false };

  const files: FileReport[] = [];
  let dictionary: (string | null)[][];
  if (plan.edition !== 'custom') dictionary = oacDictionary(plan.edition);
  else {
    if (!segKey) throw new IngestError('a generic postcode,segment classification needs classification/segments.csv (code,name,group,supergroup[,description])');
    const { rows, file } = await readDictionary(opts, segKey, segmentDictionaryColumns);
    files.push(file);
    dictionary = rows.map(([code, name, group, supergroup, description]) => [code!, name!, group!, group!, supergroup!, supergroup!, description || null, 'custom']);
  }
  const codes = [...new Set(dictionary.map((r) => r[0] as string))];

  const db = await database(s);
  await createChecked(db, 'oa');
  await createChecked(db, 'postcodes');
  // The OA-level file first: its codes are joined to postcodes through oa21.
  const oaReads: FileRead[] = [];
  for (const k of oaKeys) {
    const read = await readFile(s, k, { layouts: [OA_CLASSIFICATION_LAYOUT], what: 'OA-level classification', table: 'oa', select: (h, header, raw) => oaChecks(h, header, raw, codes), duplicateColumn: (h) => h.source.oa21cd ?? 'oa21cd' });
    if (plan.via !== 'oa-file') read.report.warnings.push(`not used: the classification comes from the lookup's ${plan.from}`);
    oaReads.push(read);
  }
  await findDuplicates(db, 'oa');
  const oaQuarantine = await quarantineOf(db, 'oa', oaReads, 'duplicate_oa');
  await db.run(`CREATE OR REPLACE TABLE oa_segments AS SELECT oa, segment FROM ${accepted('oa')}`);

  const label = BUILT_IN_CLASSIFICATIONS[plan.edition as 'oac11' | 'oac21']?.short ?? plan.edition;
  const reads: FileRead[] = [];
  for (const k of lookupKeys) {
    const read = await readFile(s, k, {
      layouts: plan.via === 'generic' ? LAYOUTS.classification.filter((l) => l.id === 'generic') : [NSPL_LAYOUT],
      what: 'postcode lookup',
      table: 'postcodes',
      select: (h, header, raw) =>
        plan.via === 'generic'
          ? genericChecks(h, header, raw, vintage, codes)
          : nsplChecks(h, header, raw, {
              vintage,
              segment: plan.via === 'oa-file' ? { via: 'oa-file' } : { via: 'column', column: plan.edition === 'oac21' ? 'oac21' : 'oac11', edition: plan.edition as 'oac11' | 'oac21' },
              codes,
              label,
              imdEdition: imd.edition,
            }),
      duplicateColumn: (h) => (plan.via === 'generic' ? 'postcode' : (h.source.postcode ?? 'postcode')),
    });
    if (imd.assumed && imd.edition) read.report.warnings.push(`the release is not in the file name: IMD ranks read as ${IMD_EDITIONS[imd.edition].name}`);
    if (nsplHeader && !imd.column) read.report.warnings.push('the lookup carries no IMD rank: deprivation deciles will be unknown');
    reads.push(read);
  }
  await findDuplicates(db, 'postcodes');
  const quarantine = quarantineLog([...oaQuarantine, ...(await quarantineOf(db, 'postcodes', reads, 'duplicate_postcode'))]);
  const partitions = await writeTable(s, postcodes, `${accepted('postcodes')} a`, INPUT_ORDER, { sector: 'pc_sector(postcode)' });
  await dropChecked(db, 'oa');
  await dropChecked(db, 'postcodes');
  await db.run('DROP TABLE IF EXISTS oa_segments');

  const segmentParts = await writeTable(s, segments, valuesOf(segments, dictionary, vintage), null);
  let wardRows: (string | null)[][] = [];
  let wardFile: FileReport | null = null;
  if (wardKey) {
    const { rows, file } = await readDictionary(opts, wardKey, wardNameColumns);
    wardFile = file;
    wardRows = rows.filter(([code]) => code).map(([code, name]) => [code!, name!]);
  }
  const wardParts = await writeTable(s, wards, valuesOf(wards, wardRows, vintage), null);

  const report = summarise('classification', [...files, ...oaReads.map((r) => r.report), ...reads.map((r) => r.report), ...(wardFile ? [wardFile] : [])], quarantine, [vintage]);
  report.layout = nsplKeys.length ? 'nspl' : 'generic';
  report.vintage = vintage;
  report.classification = {
    edition: plan.edition,
    name: plan.edition === 'custom' ? 'Postcode classification' : BUILT_IN_CLASSIFICATIONS[plan.edition].name,
    via: plan.via,
    from: plan.from,
    imdEdition: imd.edition,
    imdName: imd.edition ? IMD_EDITIONS[imd.edition].name : null,
    imdColumn: imd.column,
  };
  await commitTable(s, postcodes, partitions, true);
  await commitTable(s, segments, segmentParts, true);
  await commitTable(s, wards, wardParts, true);
  await opts.lake.put('quarantine/classification.csv', quarantine.toCsv());
  return report;
}
