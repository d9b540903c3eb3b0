/**
 * Ingest stage: raw CSV (one folder per dataset) -> validated, typed, Hive-partitioned Parquet under
 * curated/, rejected rows -> quarantine/<dataset>.csv. Each file is recognised by its header
 * (schemas/inputs.ts layouts), decoded as UTF-8 or Windows-1252, and read row by row. Output is
 * staged under staging/<run>/ and moved into place per partition only when a dataset has been read
 * completely, so a failure never leaves a half-written curated table. Every row read is either
 * accepted or quarantined.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { tablePrefix, type TableDef } from '../../schemas/columns.ts';
import { contacts, pupils, schools, postcodes, segments, wards } from '../../schemas/curated.ts';
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
import type { Pseudonymiser } from '../domain/pseudonym.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { genericMapper, imdPlanOf, nsplMapper, oaClassificationMapper, oacDictionary, vintageFromName, type ClassificationPlan, type ImdPlan } from './classification-rows.ts';
import { csvBatches, csvRecords, CsvFileError } from './csv-records.ts';
import { mapHeader, requireLayout, type HeaderMap } from './header.ts';
import { PartitionWriter } from './partition-writer.ts';
import { QuarantineLog } from './quarantine.ts';
import { contactMapper, periodFromName, pupilMapper, readPositions, schoolMapper, structuralCheck, type RowMapper, type Value } from './rows.ts';
import { SchoolRegister, type SchoolStatus } from './school-register.ts';
import type { DecodeResult, TextEncoding } from './text-decoding.ts';

export interface IngestOptions {
  /** Where the input CSVs are: one folder per dataset at the store's root. */
  raw: ObjectStore;
  /** The lake: curated/, quarantine/, staging/ live here. */
  lake: ObjectStore;
  runId: string;
  /** Period for pupils/schools files whose name carries none. */
  period: string;
  pseudonymise: Pseudonymiser;
  progress?: ProgressSink;
  rowsPerPart?: number;
  /** Skip a dataset whose input files (and settings) are identical to its last successful ingest. */
  skipUnchanged?: boolean;
  datasets?: InputDataset[];
  /** OAC edition to use when the lookup offers both (default: 2021 when present). */
  classification?: 'oac11' | 'oac21';
  /** The LA's number (e.g. 886): pupils at other LAs' schools are quarantined. Default: inferred from the schools pupils attend. */
  laCode?: string;
  /** A column of the schools file that names each school's cluster (e.g. a GIAS column), when there is no schools/clusters.csv. */
  clusterColumn?: string;
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
}

export class IngestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IngestError';
  }
}

/** Keys seen so far, per scope (e.g. per school and period). */
class UniqueKeys {
  private scopes = new Map<string, Set<string | number>>();
  has(scope: string, key: string | number): boolean {
    return this.scopes.get(scope)?.has(key) ?? false;
  }
  add(scope: string, key: string | number): void {
    let s = this.scopes.get(scope);
    if (!s) this.scopes.set(scope, (s = new Set()));
    s.add(key);
  }
}

const REQUIRED: InputDataset[] = ['classification', 'schools', 'pupils'];
const ORDER: InputDataset[] = ['classification', 'schools', 'pupils', 'contacts'];
const sourceStateKey = (d: InputDataset) => `curated/_sources/${d}.json`;
const REGISTER_KEY = 'curated/_sources/schools-register.json';

/** Ingest every dataset present in the input; returns one report per dataset. */
export async function ingest(opts: IngestOptions): Promise<Record<string, DatasetReport>> {
  if (opts.laCode !== undefined && !/^\d{3}$/.test(opts.laCode)) throw new IngestError(`--la-code must be a 3-digit LA number such as 886, not ${JSON.stringify(opts.laCode)}`);
  const reports: Record<string, DatasetReport> = {};
  const ctx: RunContext = { register: null };
  for (const dataset of opts.datasets ?? ORDER) {
    const keys = (await opts.raw.list(`${dataset}/`)).map((o) => o.key).filter((k) => /\.csv$/i.test(k));
    if (keys.length === 0) {
      if (REQUIRED.includes(dataset)) throw new IngestError(`no ${dataset} CSV files found under ${opts.raw.uri(dataset + '/')}`);
      continue;
    }
    reports[dataset] = await ingestDataset(dataset, keys, opts, ctx);
  }
  return reports;
}

interface RunContext {
  register: SchoolRegister | null;
}

async function hashObject(store: ObjectStore, key: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await store.getStream(key)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** What a dataset's result depends on besides its own files. */
async function settingsOf(dataset: InputDataset, opts: IngestOptions): Promise<string> {
  if (dataset === 'classification') return JSON.stringify({ classification: opts.classification ?? null });
  if (dataset === 'schools') return JSON.stringify({ clusterColumn: opts.clusterColumn ?? null });
  if (dataset === 'pupils') {
    const register = (await opts.lake.exists(REGISTER_KEY)) ? createHash('sha256').update(await opts.lake.get(REGISTER_KEY)).digest('hex') : null;
    return JSON.stringify({ laCode: opts.laCode ?? null, register });
  }
  return '{}';
}

async function ingestDataset(dataset: InputDataset, keys: string[], opts: IngestOptions, ctx: RunContext): Promise<DatasetReport> {
  const progress = opts.progress ?? noProgress;
  const settings = await settingsOf(dataset, opts);
  if (opts.skipUnchanged && (await opts.lake.exists(sourceStateKey(dataset)))) {
    const previous = JSON.parse(Buffer.from(await opts.lake.get(sourceStateKey(dataset))).toString()) as DatasetReport;
    const hashes = await Promise.all(keys.map((k) => hashObject(opts.raw, k)));
    const before = new Map(previous.files.map((f) => [f.key, f.sha256]));
    const same = previous.settings === settings && before.size === keys.length && keys.every((k, i) => before.get(k) === hashes[i]!.sha256);
    if (same) {
      progress({ stage: 'ingest', item: dataset, message: 'unchanged since last ingest: skipped' });
      return { ...previous, skipped: true };
    }
  }
  const staging = `staging/${opts.runId}/curated`;
  try {
    const report =
      dataset === 'classification'
        ? await ingestClassification(keys, opts, staging)
        : dataset === 'schools'
          ? await ingestSchools(keys, opts, staging, ctx)
          : await ingestRows(dataset, keys, opts, staging, ctx);
    report.settings = dataset === 'schools' ? settings : await settingsOf(dataset, opts);
    await opts.lake.put(sourceStateKey(dataset), JSON.stringify({ ...report, skipped: false }, null, 2));
    return report;
  } finally {
    await opts.lake.deletePrefix(`staging/${opts.runId}/curated`);
  }
}

interface FileSpec {
  /** Layouts the file may be in (recognised from its header), and what to call the file in errors. */
  layouts: InputLayout[];
  what: string;
  mapper: (h: HeaderMap) => RowMapper;
  /** Report columns of personal data that are present (census extracts). */
  personal?: boolean;
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

/** The header row of a file (decoded like the rest of it). */
async function peekHeader(store: ObjectStore, key: string): Promise<string[]> {
  for await (const rec of csvRecords(key, await store.getStream(key))) return rec.fields;
  return [];
}

/** Reads one CSV file through a mapper into the writer; returns its report. */
async function readFile(key: string, opts: IngestOptions, spec: FileSpec, writer: PartitionWriter | null, quarantine: QuarantineLog, seen: UniqueKeys): Promise<FileReport> {
  const progress = opts.progress ?? noProgress;
  const size = (await opts.raw.list(key)).find((o) => o.key === key)?.size;
  const source = await opts.raw.getStream(key);
  const hash = createHash('sha256');
  let bytes = 0;
  const tee = new PassThrough();
  source.on('data', (c: Buffer) => {
    hash.update(c);
    bytes += c.length;
  });
  source.on('error', (e) => tee.destroy(e));
  source.pipe(tee);
  const report: FileReport = { key, sha256: '', bytes: 0, read: 0, accepted: 0, quarantined: 0, ignoredColumns: [], warnings: [] };
  const text: DecodeResult = { encoding: 'utf-8' };
  let header: string[] | null = null;
  let mapper: RowMapper | null = null;
  let read: number[] = [];
  let lastTick = 0;
  for await (const batch of csvBatches(key, tee, text)) for (const rec of batch) {
    if (!header) {
      header = rec.fields;
      const h = requireLayout(key, header, spec.layouts, spec.what);
      report.layout = h.layout;
      report.columns = h.source;
      report.ignoredColumns = h.ignored;
      read = readPositions(h);
      if (spec.personal) {
        const personal = personalColumns(h.ignored);
        if (personal.length) {
          report.personalColumns = personal;
          report.warnings.push(
            `the extract carries more personal data than catchment needs: ${personal.join(', ')}; these columns were not read. Ask for an extract with only the columns listed in the README`,
          );
        }
      }
      mapper = spec.mapper(h);
      continue;
    }
    report.read++;
    const bad = structuralCheck(rec.fields, header, read);
    const out = bad ?? mapper!(rec.fields);
    if ('reason' in out) {
      quarantine.add({ file: key, line: rec.line, column: out.column, value: out.value, reason: out.reason, message: out.message });
      report.quarantined++;
    } else if (out.uniqueKey !== undefined && seen.has(out.uniqueScope ?? '', out.uniqueKey)) {
      quarantine.add({ file: key, line: rec.line, column: out.uniqueColumn ?? '', value: '', reason: out.uniqueReason ?? 'duplicate', message: 'duplicate of an earlier row: kept once' });
      report.quarantined++;
    } else {
      if (out.uniqueKey !== undefined) seen.add(out.uniqueScope ?? '', out.uniqueKey);
      if (writer) writer.append(out.partition, out.values);
      report.accepted++;
    }
    if (report.read - lastTick >= 100_000) {
      lastTick = report.read;
      progress({ stage: 'ingest', item: key, done: bytes, total: size, unit: 'bytes' });
    }
  }
  report.encoding = text.encoding;
  if (text.encoding === 'windows-1252') report.warnings.push(ENCODING_WARNING);
  if (!header) report.warnings.push('empty file: no header row');
  else if (report.read === 0) report.warnings.push('header only: no data rows');
  report.sha256 = hash.digest('hex');
  report.bytes = bytes;
  progress({ stage: 'ingest', item: key, done: bytes, total: size ?? bytes, unit: 'bytes' });
  return report;
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

async function commitPartitions(opts: IngestOptions, writer: PartitionWriter, table: TableDef, whole: boolean): Promise<void> {
  if (whole) {
    // The classification is replaced as a whole: one current vintage at a time.
    const stagedRoot = writer.partitionPrefix('x').replace(/\/[^/]+$/, '');
    if ((await opts.lake.list(stagedRoot + '/')).length > 0) await opts.lake.replacePrefix(stagedRoot, tablePrefix(table));
    else await opts.lake.deletePrefix(tablePrefix(table) + '/');
    return;
  }
  for (const p of writer.partitionValues) {
    await opts.lake.replacePrefix(writer.partitionPrefix(p), `${tablePrefix(table)}/${table.partitions[0]}=${p}`);
  }
}

const isNamed = (k: string, n: string) => k.split('/').pop()!.toLowerCase() === n;

async function loadRegister(opts: IngestOptions, ctx: RunContext): Promise<SchoolRegister | null> {
  if (ctx.register) return ctx.register;
  if (!(await opts.lake.exists(REGISTER_KEY))) return null;
  ctx.register = SchoolRegister.fromJSON(JSON.parse(Buffer.from(await opts.lake.get(REGISTER_KEY)).toString()));
  return ctx.register;
}

async function ingestRows(dataset: 'pupils' | 'contacts', keys: string[], opts: IngestOptions, staging: string, ctx: RunContext): Promise<DatasetReport> {
  const table = dataset === 'pupils' ? pupils : contacts;
  const writer = new PartitionWriter(opts.lake, table, staging, opts.rowsPerPart);
  const quarantine = new QuarantineLog();
  const seen = new UniqueKeys();
  const files: FileReport[] = [];
  const register = dataset === 'pupils' ? await loadRegister(opts, ctx) : null;
  const laCounts = new Map<string, number>();
  for (const key of keys) {
    const period = periodFromName(key) ?? opts.period;
    const mapper = (h: HeaderMap): RowMapper => {
      if (dataset === 'contacts') return contactMapper(h);
      if (h.index.urn! < 0 && !register?.hasLaestabs) {
        throw new CsvFileError(key, 1, 'no_register', `pupils are keyed by LAESTAB (${h.source.laestab}), but the schools file gives no LAESTABs: use the GIAS extract, or add a laestab column to the schools list`);
      }
      return pupilMapper(h, { period, pseudonymise: opts.pseudonymise }, period, { register, laCode: opts.laCode, laCounts });
    };
    files.push(await readFile(key, opts, { layouts: LAYOUTS[dataset], what: `${dataset} file`, mapper, personal: true }, writer, quarantine, seen));
  }
  await writer.close();
  const report = summarise(dataset, files, quarantine, writer.partitionValues);
  if (dataset === 'pupils') report.la = laReport(opts.laCode, laCounts);
  await commitPartitions(opts, writer, table, false);
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

async function ingestSchools(keys: string[], opts: IngestOptions, staging: string, ctx: RunContext): Promise<DatasetReport> {
  const clustersKey = keys.find((k) => isNamed(k, 'clusters.csv'));
  const schoolKeys = keys.filter((k) => k !== clustersKey);
  if (schoolKeys.length === 0) throw new IngestError('schools/ holds no schools file (the GIAS edubasealldata extract or urn,name,phase,postcode)');
  const files: FileReport[] = [];
  let clusters: Map<string, string> | undefined;
  if (clustersKey) {
    const { rows, file } = await readDictionary(opts, clustersKey, CLUSTERS_LAYOUT.columns, CLUSTERS_LAYOUT.oneOf);
    files.push(file);
    clusters = new Map();
    for (const [urn, laestab, cluster] of rows) if (cluster) clusters.set((urn || laestab)!.replace(/\D/g, ''), cluster);
  }
  const writer = new PartitionWriter(opts.lake, schools, staging, opts.rowsPerPart);
  const register = new SchoolRegister();
  const quarantine = new QuarantineLog();
  const seen = new UniqueKeys();
  for (const key of schoolKeys) {
    const period = periodFromName(key) ?? opts.period;
    let clusterAt = -1;
    if (opts.clusterColumn && !clusters) {
      const header = await peekHeader(opts.raw, key);
      clusterAt = header.map(normaliseHeader).indexOf(normaliseHeader(opts.clusterColumn));
      if (clusterAt < 0) throw new CsvFileError(key, 1, 'bad_header', `--cluster-column ${JSON.stringify(opts.clusterColumn)} is not a column of this file`);
    }
    const mapper = (h: HeaderMap): RowMapper => {
      const inner = schoolMapper(h, period, { clusters, clusterAt });
      return (f) => {
        const out = inner(f);
        if ('values' in out) register.add(out.values[0] as string, out.values[1] as string | null, out.values[7] as string | null, out.values[8] as SchoolStatus);
        return out;
      };
    };
    const report = await readFile(key, opts, { layouts: LAYOUTS.schools, what: 'schools file', mapper }, writer, quarantine, seen);
    if (clusterAt >= 0) report.columns = { ...report.columns, cluster: opts.clusterColumn! };
    files.push(report);
  }
  await writer.close();
  const report = summarise('schools', files, quarantine, writer.partitionValues);
  await commitPartitions(opts, writer, schools, false);
  await opts.lake.put(REGISTER_KEY, JSON.stringify(register.toJSON()));
  await opts.lake.put('quarantine/schools.csv', quarantine.toCsv());
  ctx.register = register;
  return report;
}

/** Decides the classification edition and where it comes from, or fails saying why. */
function planClassification(nspl: HeaderMap | null, oaKeys: string[], requested: IngestOptions['classification']): ClassificationPlan {
  if (!nspl) return { edition: 'custom', via: 'generic', from: 'classification/segments.csv' };
  const has21 = nspl.index.oac21! >= 0;
  const has11 = nspl.index.oac11! >= 0;
  const oa = oaKeys.length > 0 && nspl.index.oa21! >= 0;
  const viaOa = (): ClassificationPlan => ({ edition: 'oac21', via: 'oa-file', from: oaKeys.join(', ') });
  if (requested === 'oac11') {
    if (has11) return { edition: 'oac11', via: 'nspl-column', from: nspl.source.oac11! };
    throw new IngestError('--classification oac11: the postcode lookup carries no 2011 OAC column (oac11 or oac11ind)');
  }
  if (has21) return { edition: 'oac21', via: 'nspl-column', from: nspl.source.oac21! };
  if (oa) return viaOa();
  if (oaKeys.length > 0) throw new IngestError(`${oaKeys[0]}: an OA-level OAC 2021 file joins through the lookup's oa21/oa21cd, which this postcode lookup does not carry (it predates the 2024 releases)`);
  if (requested === 'oac21') throw new IngestError('--classification oac21: the postcode lookup carries no oac21ind, and there is no OA-level OAC 2021 file (oa21cd,subgroup) in classification/');
  if (has11) return { edition: 'oac11', via: 'nspl-column', from: nspl.source.oac11! };
  throw new IngestError('the postcode lookup carries no classification (oac11, oac11ind or oac21ind): add an OA-level OAC 2021 file (oa21cd,supergroup,group,subgroup) to classification/');
}

async function ingestClassification(keys: string[], opts: IngestOptions, staging: string): Promise<DatasetReport> {
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
  let dictionary: Value[][];
  if (plan.edition !== 'custom') dictionary = oacDictionary(plan.edition);
  else {
    if (!segKey) throw new IngestError('a generic postcode,segment classification needs classification/segments.csv (code,name,group,supergroup[,description])');
    const { rows, file } = await readDictionary(opts, segKey, segmentDictionaryColumns);
    files.push(file);
    dictionary = rows.map(([code, name, group, supergroup, description]) => [code, name, group, group, supergroup, supergroup, description || null, 'custom']);
  }
  const segmentCodes = new Set(dictionary.map((r) => r[0] as string));

  const quarantine = new QuarantineLog();
  // The OA-level file first: its codes are joined to postcodes through oa21.
  const oaSegments = new Map<string, string>();
  const oaSeen = new UniqueKeys();
  for (const k of oaKeys) {
    const report = await readFile(k, opts, { layouts: [OA_CLASSIFICATION_LAYOUT], what: 'OA-level classification', mapper: (h) => oaClassificationMapper(h, segmentCodes, oaSegments) }, null, quarantine, oaSeen);
    if (plan.via !== 'oa-file') report.warnings.push(`not used: the classification comes from the lookup's ${plan.from}`);
    files.push(report);
  }

  const writer = new PartitionWriter(opts.lake, postcodes, staging, opts.rowsPerPart);
  const seen = new UniqueKeys();
  for (const k of lookupKeys) {
    const mapper = (h: HeaderMap) => withPartition(plan.via === 'generic' ? genericMapper(h, segmentCodes) : nsplMapper(h, plan, imd, segmentCodes, oaSegments), vintage);
    const layouts = plan.via === 'generic' ? LAYOUTS.classification.filter((l) => l.id === 'generic') : [NSPL_LAYOUT];
    const report = await readFile(k, opts, { layouts, what: 'postcode lookup', mapper }, writer, quarantine, seen);
    if (imd.assumed && imd.edition) report.warnings.push(`the release is not in the file name: IMD ranks read as ${IMD_EDITIONS[imd.edition].name}`);
    if (nsplHeader && !imd.column) report.warnings.push('the lookup carries no IMD rank: deprivation deciles will be unknown');
    files.push(report);
  }
  await writer.close();

  const segWriter = new PartitionWriter(opts.lake, segments, staging);
  for (const row of dictionary) segWriter.append(vintage, row);
  await segWriter.close();

  const wardWriter = new PartitionWriter(opts.lake, wards, staging);
  if (wardKey) {
    const { rows, file } = await readDictionary(opts, wardKey, wardNameColumns);
    files.push(file);
    for (const [code, name] of rows) if (code) wardWriter.append(vintage, [code, name]);
  }
  await wardWriter.close();

  const report = summarise('classification', files, quarantine, [vintage]);
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
  await commitPartitions(opts, writer, postcodes, true);
  await commitPartitions(opts, segWriter, segments, true);
  await commitPartitions(opts, wardWriter, wards, true);
  await opts.lake.put('quarantine/classification.csv', quarantine.toCsv());
  return report;
}

function withPartition(mapper: RowMapper, vintage: string): RowMapper {
  return (f) => {
    const out = mapper(f);
    if ('values' in out) out.partition = vintage;
    return out;
  };
}
