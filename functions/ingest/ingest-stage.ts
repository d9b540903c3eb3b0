/**
 * Ingest stage: raw CSV (one folder per dataset) -> validated, typed, Hive-partitioned Parquet under
 * curated/, rejected rows -> quarantine/<dataset>.csv. Output is staged under staging/<run>/ and
 * moved into place per partition only when a dataset has been read completely, so a failure never
 * leaves a half-written curated table. Every row read is either accepted or quarantined.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { tablePrefix, type TableDef } from '../../schemas/columns.ts';
import { contacts, pupils, schools, postcodes, segments, wards } from '../../schemas/curated.ts';
import { genericClassificationColumns, inputColumns, segmentDictionaryColumns, wardNameColumns, type InputDataset } from '../../schemas/inputs.ts';
import type { Pseudonymiser } from '../domain/pseudonym.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import { noProgress, type ProgressSink } from '../commons/progress.ts';
import { detectLayout, genericMapper, nsplColumns, nsplMapper, oacDictionary, vintageFromName, type ClassificationLayout } from './classification-rows.ts';
import { csvBatches, csvRecords, CsvFileError } from './csv-records.ts';
import { mapHeader, type HeaderMap } from './header.ts';
import { PartitionWriter } from './partition-writer.ts';
import { QuarantineLog } from './quarantine.ts';
import { contactMapper, periodFromName, pupilMapper, schoolMapper, structuralCheck, type RowMapper, type Value } from './rows.ts';

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
  /** Skip a dataset whose input files are byte-identical to its last successful ingest. */
  skipUnchanged?: boolean;
  datasets?: InputDataset[];
}

export interface FileReport {
  key: string;
  sha256: string;
  bytes: number;
  read: number;
  accepted: number;
  quarantined: number;
  ignoredColumns: string[];
  warnings: string[];
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
  layout?: ClassificationLayout;
  vintage?: string;
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

/** Ingest every dataset present in the input; returns one report per dataset. */
export async function ingest(opts: IngestOptions): Promise<Record<string, DatasetReport>> {
  const reports: Record<string, DatasetReport> = {};
  for (const dataset of opts.datasets ?? ORDER) {
    const keys = (await opts.raw.list(`${dataset}/`)).map((o) => o.key).filter((k) => /\.csv$/i.test(k));
    if (keys.length === 0) {
      if (REQUIRED.includes(dataset)) throw new IngestError(`no ${dataset} CSV files found under ${opts.raw.uri(dataset + '/')}`);
      continue;
    }
    reports[dataset] = await ingestDataset(dataset, keys, opts);
  }
  return reports;
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

async function ingestDataset(dataset: InputDataset, keys: string[], opts: IngestOptions): Promise<DatasetReport> {
  const progress = opts.progress ?? noProgress;
  if (opts.skipUnchanged && (await opts.lake.exists(sourceStateKey(dataset)))) {
    const previous = JSON.parse(Buffer.from(await opts.lake.get(sourceStateKey(dataset))).toString()) as DatasetReport;
    const hashes = await Promise.all(keys.map((k) => hashObject(opts.raw, k)));
    const before = new Map(previous.files.map((f) => [f.key, f.sha256]));
    const same = before.size === keys.length && keys.every((k, i) => before.get(k) === hashes[i].sha256);
    if (same) {
      progress({ stage: 'ingest', item: dataset, message: 'unchanged since last ingest: skipped' });
      return { ...previous, skipped: true };
    }
  }
  const staging = `staging/${opts.runId}/curated`;
  try {
    const report =
      dataset === 'classification' ? await ingestClassification(keys, opts, staging) : await ingestRows(dataset, keys, opts, staging);
    await opts.lake.put(sourceStateKey(dataset), JSON.stringify({ ...report, skipped: false }, null, 2));
    return report;
  } finally {
    await opts.lake.deletePrefix(`staging/${opts.runId}/curated`);
  }
}

interface FileSpec {
  columns: typeof nsplColumns;
  mapper: (h: HeaderMap, key: string) => RowMapper;
}

/** Reads one CSV file through a mapper into the writer; returns its report. */
async function readFile(
  key: string,
  opts: IngestOptions,
  spec: FileSpec,
  writer: PartitionWriter,
  quarantine: QuarantineLog,
  seen: UniqueKeys,
): Promise<FileReport> {
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
  let header: string[] | null = null;
  let mapper: RowMapper | null = null;
  let lastTick = 0;
  for await (const batch of csvBatches(key, tee)) for (const rec of batch) {
    if (!header) {
      header = rec.fields;
      const h = mapHeader(key, header, spec.columns);
      report.ignoredColumns = h.ignored;
      mapper = spec.mapper(h, key);
      continue;
    }
    report.read++;
    const bad = structuralCheck(rec.fields, header);
    const out = bad ?? mapper!(rec.fields);
    if ('reason' in out) {
      quarantine.add({ file: key, line: rec.line, column: out.column, value: out.value, reason: out.reason, message: out.message });
      report.quarantined++;
    } else if (out.uniqueKey !== undefined && seen.has(out.uniqueScope ?? '', out.uniqueKey)) {
      const col = out.uniqueReason === 'duplicate_upn' ? 'upn' : spec.columns[0].name;
      quarantine.add({ file: key, line: rec.line, column: col, value: '', reason: out.uniqueReason ?? 'duplicate', message: 'duplicate of an earlier row: kept once' });
      report.quarantined++;
    } else {
      if (out.uniqueKey !== undefined) seen.add(out.uniqueScope ?? '', out.uniqueKey);
      writer.append(out.partition, out.values);
      report.accepted++;
    }
    if (report.read - lastTick >= 100_000) {
      lastTick = report.read;
      progress({ stage: 'ingest', item: key, done: bytes, total: size, unit: 'bytes' });
    }
  }
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

const TABLE_FOR: Record<Exclude<InputDataset, 'classification'>, TableDef> = { pupils, contacts, schools };

async function ingestRows(dataset: Exclude<InputDataset, 'classification'>, keys: string[], opts: IngestOptions, staging: string): Promise<DatasetReport> {
  const table = TABLE_FOR[dataset];
  const writer = new PartitionWriter(opts.lake, table, staging, opts.rowsPerPart);
  const quarantine = new QuarantineLog();
  const seen = new UniqueKeys();
  const files: FileReport[] = [];
  for (const key of keys) {
    const period = periodFromName(key) ?? opts.period;
    const mapper = (h: HeaderMap): RowMapper =>
      dataset === 'pupils'
        ? pupilMapper(h, { period, pseudonymise: opts.pseudonymise }, period)
        : dataset === 'schools'
          ? schoolMapper(h, period)
          : contactMapper(h);
    files.push(await readFile(key, opts, { columns: inputColumns[dataset], mapper }, writer, quarantine, seen));
  }
  await writer.close();
  const report = summarise(dataset, files, quarantine, writer.partitionValues);
  await commitPartitions(opts, writer, table, false);
  await opts.lake.put(`quarantine/${dataset}.csv`, quarantine.toCsv());
  return report;
}

/** Reads a small dictionary CSV (segments.csv, wards.csv) fully, validating its header. */
async function readDictionary(opts: IngestOptions, key: string, columns: typeof segmentDictionaryColumns): Promise<{ rows: string[][]; file: FileReport }> {
  const rows: string[][] = [];
  let h: HeaderMap | null = null;
  const bytes = await opts.raw.get(key);
  const file: FileReport = { key, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, read: 0, accepted: 0, quarantined: 0, ignoredColumns: [], warnings: [] };
  for await (const rec of csvRecords(key, Readable.from([Buffer.from(bytes)]))) {
    if (!h) {
      h = mapHeader(key, rec.fields, columns);
      file.ignoredColumns = h.ignored;
      continue;
    }
    file.read++;
    file.accepted++;
    rows.push(columns.map((c) => (h!.index[c.name] >= 0 ? (rec.fields[h!.index[c.name]] ?? '').trim() : '')));
  }
  return { rows, file };
}

async function ingestClassification(keys: string[], opts: IngestOptions, staging: string): Promise<DatasetReport> {
  const isNamed = (k: string, n: string) => k.split('/').pop()!.toLowerCase() === n;
  const segKey = keys.find((k) => isNamed(k, 'segments.csv'));
  const wardKey = keys.find((k) => isNamed(k, 'wards.csv'));
  const tableKeys = keys.filter((k) => k !== segKey && k !== wardKey);
  if (tableKeys.length === 0) throw new IngestError('classification/ holds no postcode table (an NSPL extract or a postcode,segment CSV)');

  // Decide the layout from each file's header.
  const layouts = new Map<string, ClassificationLayout>();
  for (const k of tableKeys) {
    let header: string[] = [];
    for await (const rec of csvRecords(k, await opts.raw.getStream(k))) {
      header = rec.fields;
      break;
    }
    const layout = detectLayout(header);
    if (!layout) {
      throw new CsvFileError(k, 1, 'bad_header', `not a recognised classification: expected the NSPL layout (${nsplColumns.map((c) => c.name).join(',')}) or postcode,segment[,ward] with classification/segments.csv`);
    }
    layouts.set(k, layout);
  }
  const layout = [...layouts.values()][0];
  if ([...layouts.values()].some((l) => l !== layout)) throw new IngestError('classification/ mixes NSPL and generic postcode tables; use one layout');
  const vintages = new Set(tableKeys.map((k) => vintageFromName(k) ?? 'unspecified'));
  if (vintages.size > 1) throw new IngestError(`classification files have different vintages (${[...vintages].join(', ')}); load one vintage at a time`);
  const vintage = [...vintages][0];

  const files: FileReport[] = [];
  let dictionary: Value[][];
  if (layout === 'nspl') dictionary = oacDictionary();
  else {
    if (!segKey) throw new IngestError('a generic postcode,segment classification needs classification/segments.csv (code,name,group,supergroup[,description])');
    const { rows, file } = await readDictionary(opts, segKey, segmentDictionaryColumns);
    files.push(file);
    dictionary = rows.map(([code, name, group, supergroup, description]) => [code, name, group, group, supergroup, supergroup, description || null]);
  }
  const segmentCodes = new Set(dictionary.map((r) => r[0] as string));

  const writer = new PartitionWriter(opts.lake, postcodes, staging, opts.rowsPerPart);
  const quarantine = new QuarantineLog();
  const seen = new UniqueKeys();
  const spec: FileSpec =
    layout === 'nspl'
      ? { columns: nsplColumns, mapper: (h) => nsplMapper(h, segmentCodes) }
      : { columns: genericClassificationColumns, mapper: (h) => genericMapper(h, segmentCodes) };
  for (const k of tableKeys) {
    files.push(await readFile(k, opts, { ...spec, mapper: (h) => withPartition(spec.mapper(h, k), vintage) }, writer, quarantine, seen));
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
  report.layout = layout;
  report.vintage = vintage;
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
