/** Maps a CSV header row onto the input contract: case-insensitive names plus documented aliases. */
import { normaliseHeader, type InputColumn } from '../../schemas/inputs.ts';
import { CsvFileError } from './csv-records.ts';

export interface HeaderMap {
  /** Position of each contract column in the record, or -1 when an optional column is absent. */
  index: Record<string, number>;
  /** Header cells that matched nothing (ignored, reported once). */
  ignored: string[];
  width: number;
}

export function mapHeader(file: string, header: string[], columns: InputColumn[]): HeaderMap {
  const cells = header.map(normaliseHeader);
  const index: Record<string, number> = {};
  const used = new Set<number>();
  const missing: string[] = [];
  for (const col of columns) {
    const names = [col.name, ...col.aliases];
    let at = -1;
    for (const name of names) {
      at = cells.findIndex((c, i) => c === name && !used.has(i));
      if (at >= 0) break;
    }
    if (at >= 0) used.add(at);
    else if (col.required) missing.push(col.name);
    index[col.name] = at;
  }
  if (missing.length > 0) {
    const seen = header.length ? header.map((h) => JSON.stringify(h)).join(', ') : '(none)';
    throw new CsvFileError(
      file,
      1,
      'bad_header',
      `header is missing required column(s) ${missing.join(', ')}; expected ${columns
        .filter((c) => c.required)
        .map((c) => c.name)
        .join(',')} (case-insensitive; aliases in the README); found ${seen}`,
    );
  }
  const ignored = header.filter((_, i) => !used.has(i) && cells[i] !== '');
  return { index, ignored, width: header.length };
}
