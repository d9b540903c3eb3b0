/** Small hand-made inputs for tests: write CSV text into a temporary input directory. */
import { existsSync, readdirSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { upnCheckLetter } from '../../functions/domain/upn.ts';
import { LocalObjectStore } from '../../functions/ports/local-store.ts';
import { DuckDbEngine } from '../../functions/ports/duckdb-engine.ts';
import { runPipeline } from '../../functions/pipeline/run.ts';
import { makePseudonymiser } from '../../functions/domain/pseudonym.ts';
import { POINTER_KEY, physicalKeyOf, type Publication } from '../../functions/lake/publication.ts';

export const TEST_KEY = Buffer.alloc(32, 7);
export const pseudonymise = makePseudonymiser(TEST_KEY);

/** A valid UPN for a serial number (deterministic). */
export function upn(serial: number, last = '0'): string {
  const rest = `${String(serial).padStart(11, '0')}${last}`;
  return upnCheckLetter(rest) + rest;
}

export function tempDir(prefix = 'catchment-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, body] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, body);
  }
}

export const removeDir = (d: string) => rmSync(d, { recursive: true, force: true });

/** A generic classification: four sectors in two wards, three segments. */
export const GENERIC_CLASSIFICATION = {
  'classification/postcodes_2024-05.csv': [
    'postcode,segment,ward',
    'KT1 1AA,A1,E05000001',
    'KT1 1AB,A1,E05000001',
    'KT1 1AD,B1,E05000001',
    'KT1 2AA,B1,E05000002',
    'KT1 2AB,B2,E05000002',
    'KT1 2AD,B2,E05000002',
  ].join('\n'),
  'classification/segments.csv': [
    'code,name,group,supergroup,description',
    'A1,Leafy families,A,Affluent,Large detached homes',
    'B1,Busy renters,B,Stretched,Flats near the centre',
    'B2,Older terraces,B,Stretched,',
  ].join('\n'),
  'classification/wards.csv': 'code,name\nE05000001,Riverside\nE05000002,Hilltop\n',
};

export const SCHOOLS = 'urn,name,phase,cluster,postcode\n100001,Riverside Primary,Primary,North,KT1 1AA\n100002,Hilltop Academy,Secondary,North,KT1 2AA\n';

export interface LocalRun {
  input: string;
  out: string;
  lake: LocalObjectStore;
}

/** Run the whole local pipeline on the given input files; returns the manifest. */
export async function runLocal(input: string, out: string, opts: { period?: string; skipUnchanged?: boolean } = {}) {
  const sql = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
  try {
    return await runPipeline({
      raw: new LocalObjectStore(input),
      lake: new LocalObjectStore(out),
      sql,
      pseudonymKey: TEST_KEY,
      period: opts.period ?? '2025-26',
      skipUnchanged: opts.skipUnchanged,
    });
  } finally {
    await sql.close();
  }
}

/** Query Parquet output with a throwaway DuckDB. */
export async function duck<T = Record<string, unknown>>(sqlText: string): Promise<T[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const r = await conn.runAndReadAll(sqlText);
    // BIGINT counts come back as bigint; tests compare plain numbers.
    return r.getRowObjectsJS().map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString().slice(0, 10) : v])),
    ) as T[];
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** The current publication pointer of a local lake (null before the first publish). */
export function publicationOf(out: string): Publication | null {
  const p = join(out, POINTER_KEY);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Publication) : null;
}

/** Path of a logical published key (`published/...`) as readers resolve it through the pointer. */
export function publishedPath(out: string, key: string): string {
  return join(out, physicalKeyOf(publicationOf(out), key));
}

/**
 * `read_parquet(...)` of a published table as readers see it: the partition folders the pointer
 * names (a table the pointer does not name yet reads nothing).
 */
export function publishedTable(out: string, table: string): string {
  const pub = publicationOf(out);
  const dirs = Object.keys(pub?.items ?? {})
    .filter((i) => i.startsWith(`published/${table}/`))
    .map((i) => join(out, physicalKeyOf(pub, i)))
    // A partition published with no rows has no files.
    .filter((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.parquet')))
    .map((d) => `'${d}/*.parquet'`);
  if (dirs.length === 0) throw new Error(`no published partitions of ${table} in ${out}`);
  return `read_parquet([${dirs.join(', ')}], hive_partitioning = true, hive_types_autocast = false)`;
}
