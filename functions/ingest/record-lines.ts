/**
 * Line numbers for quarantine messages. DuckDB numbers the records it reads (WITH ORDINALITY) and
 * names the line of each record it rejects as broken; a quarantine row needs the line its record
 * starts on. In a file whose records are one line each (no blank line, no line break inside a
 * quoted field, which its count of line feeds tells), that follows from the record's position.
 * Otherwise the file is walked with the CSV parser that has always counted ingest's lines
 * (csv-records.ts), only as far as the last record asked for: rare files, and only when something
 * in them is quarantined.
 */
import { createReadStream } from 'node:fs';
import { csvBatches, CsvFileError } from './csv-records.ts';
import type { SourceFile } from './source-file.ts';

export interface RecordLines {
  /** Line of each record asked for, by its number among the records DuckDB read (1-based). */
  read: Map<number, number>;
  /** Line of each record DuckDB rejected, in file order. */
  rejected: number[];
}

/** True when every record after the header is one line and there is no blank line. */
export function oneLinePerRecord(file: SourceFile, skip: number, records: number): boolean {
  const lines = file.lineFeeds + (file.endsWithLineFeed || file.bytes === 0 ? 0 : 1);
  return lines === skip + records;
}

/**
 * @param rejectedLines DuckDB's lines of the records it rejected, in file order (right when the file
 *   has one line per record).
 * @param wanted numbers (1-based, among the records read) whose lines are needed
 */
export async function recordLines(file: SourceFile, skip: number, width: number, readCount: number, rejectedLines: number[], wanted: number[]): Promise<RecordLines> {
  const asked = [...new Set(wanted)].sort((a, b) => a - b);
  const read = new Map<number, number>();
  if (oneLinePerRecord(file, skip, readCount + rejectedLines.length)) {
    // Merge: the k-th record read is on the k-th line after the header that no rejected record holds.
    const rej = [...rejectedLines].sort((a, b) => a - b);
    let r = 0;
    for (const k of asked) {
      let line = skip + k + r;
      while (r < rej.length && rej[r]! <= line) {
        r++;
        line++;
      }
      read.set(k, line);
    }
    return { read, rejected: rej };
  }
  const rejected: number[] = [];
  const need = new Set(asked);
  let n = 0;
  let header = true;
  outer: for await (const batch of csvBatches(file.key, createReadStream(file.path, { highWaterMark: 1 << 20 }))) {
    for (const rec of batch) {
      if (header) {
        header = false;
        continue;
      }
      if (rec.fields.length === width) {
        n++;
        if (need.has(n)) read.set(n, rec.line);
      } else rejected.push(rec.line);
      if (read.size === need.size && rejected.length >= rejectedLines.length) break outer;
    }
  }
  for (const k of asked) if (!read.has(k)) throw new Error(`${file.key}: record ${k} not found while numbering lines`);
  return { read, rejected };
}

/**
 * A file DuckDB found malformed (a quote not closed properly): the error names the line as the CSV
 * parser finds it, else DuckDB's line.
 */
export async function malformedCsv(file: SourceFile, duckLine: number): Promise<CsvFileError> {
  try {
    for await (const batch of csvBatches(file.key, createReadStream(file.path, { highWaterMark: 1 << 20 }))) void batch;
  } catch (e) {
    if (e instanceof CsvFileError) return e;
    throw e;
  }
  return new CsvFileError(file.key, duckLine, 'malformed_csv', 'malformed CSV: a quoted field is not closed properly');
}
