/**
 * Streams CSV records with their line numbers using csv-parse (BOM, CRLF, quoted newlines handled
 * by the library). Ragged rows are passed through so the caller can quarantine them; a structural
 * error (an unclosed quote) stops the file with an error naming its line.
 */
import { parse, CsvError } from 'csv-parse';
import type { Readable } from 'node:stream';

export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
}

export class CsvFileError extends Error {
  constructor(
    public readonly file: string,
    public readonly line: number | null,
    public readonly reason: string,
    detail: string,
  ) {
    super(`${file}${line ? ` line ${line}` : ''}: ${detail}`);
    this.name = 'CsvFileError';
  }
}

export async function* csvRecords(file: string, input: Readable, onBytes?: (n: number) => void): AsyncGenerator<CsvRecord> {
  if (onBytes) input.on('data', (chunk: Buffer) => onBytes(chunk.length));
  const parser = input.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      encoding: 'utf8',
    }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; raw?: string } }>) {
      // info.lines is the line the record ends on; count back embedded line breaks for its start.
      let breaks = 0;
      for (const f of record) if (f.includes('\n')) breaks += f.split('\n').length - 1;
      yield { fields: record, line: info.lines - breaks };
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines ?? null;
      throw new CsvFileError(file, line, 'malformed_csv', `malformed CSV (${e.code}): ${e.message.replace(/^[A-Za-z ]+:\s*/, '')}`);
    }
    throw e;
  }
}
