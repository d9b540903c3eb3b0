/**
 * Maps a CSV header row onto the input contract (schemas/inputs.ts): which header cell fills each
 * contract column, by name, alias or pattern. A pattern's first group is a two-digit year, and the
 * newest wins (an ONS Postcode Directory carries imd20ind and imd25ind). Pure: no I/O.
 */
import { normaliseHeader, type InputColumn, type InputLayout, type SourceName } from '../../schemas/inputs.ts';
import { CsvFileError } from './csv-records.ts';

export interface HeaderMap {
  /** The recognised layout's id (or 'columns' for a plain column list). */
  layout: string;
  /** Position of each contract column in the record, or -1 when an optional column is absent. */
  index: Record<string, number>;
  /** The header cell (as written in the file) that fills each contract column present. */
  source: Record<string, string>;
  /** Header cells that matched nothing (ignored, reported once). */
  ignored: string[];
  width: number;
}

/** Position of the cell that fills `col`, or -1: sources in order of preference; among pattern matches, the newest year. */
function findColumn(cells: string[], col: InputColumn, used: Set<number>): number {
  const sources: SourceName[] = [col.name, ...col.aliases];
  for (const s of sources) {
    if (typeof s === 'string') {
      const at = cells.findIndex((c, i) => c === s && !used.has(i));
      if (at >= 0) return at;
      continue;
    }
    let best = -1;
    let bestYear = -1;
    cells.forEach((c, i) => {
      const m = used.has(i) ? null : s.exec(c);
      if (!m) return;
      const year = m[1] ? Number(m[1]) : 0;
      if (year > bestYear) {
        best = i;
        bestYear = year;
      }
    });
    if (best >= 0) return best;
  }
  return -1;
}

interface Attempt {
  map: HeaderMap;
  missing: string[];
}

function attempt(header: string[], columns: InputColumn[], layout: string, oneOf: string[][] = []): Attempt {
  const cells = header.map(normaliseHeader);
  const index: Record<string, number> = {};
  const source: Record<string, string> = {};
  const used = new Set<number>();
  const missing: string[] = [];
  for (const col of columns) {
    const at = findColumn(cells, col, used);
    if (at >= 0) {
      used.add(at);
      source[col.name] = header[at]!.replace(/^\uFEFF/, '').trim();
    } else if (col.required) missing.push(col.name);
    index[col.name] = at;
  }
  for (const group of oneOf) if (group.every((c) => index[c]! < 0)) missing.push(group.join(' or '));
  const ignored = header.filter((_, i) => !used.has(i) && cells[i] !== '');
  return { map: { layout, index, source, ignored, width: header.length }, missing };
}

/** The columns a file must have, in contract order, a one-of group written urn|laestab. */
function expectedColumns(columns: InputColumn[], oneOf: string[][]): string {
  const out: string[] = [];
  for (const c of columns) {
    const group = oneOf.find((g) => g.includes(c.name));
    if (c.required) out.push(c.name);
    else if (group && group[0] === c.name) out.push(group.join('|'));
  }
  return out.join(',');
}

const seen = (header: string[]) => (header.length ? header.map((h) => JSON.stringify(h)).join(', ') : '(none)');

/** Maps a header onto a plain column list (dictionaries, single-layout datasets); fails naming the missing columns. */
export function mapHeader(file: string, header: string[], columns: InputColumn[], oneOf: string[][] = []): HeaderMap {
  const { map, missing } = attempt(header, columns, 'columns', oneOf);
  if (missing.length > 0) {
    throw new CsvFileError(
      file,
      1,
      'bad_header',
      `header is missing required column(s) ${missing.join(', ')}; expected ${expectedColumns(columns, oneOf)} (case-insensitive; aliases in the README); found ${seen(header)}`,
    );
  }
  return map;
}

/** The first layout whose required columns the header carries, or null. */
export function recogniseLayout(header: string[], layouts: InputLayout[]): HeaderMap | null {
  for (const l of layouts) {
    const a = attempt(header, l.columns, l.id, l.oneOf);
    if (a.missing.length === 0) return a.map;
  }
  return null;
}

/** Like recogniseLayout, but fails naming the closest layout and what it lacks. */
export function requireLayout(file: string, header: string[], layouts: InputLayout[], what: string): HeaderMap {
  const found = recogniseLayout(header, layouts);
  if (found) return found;
  if (layouts.length === 1) return mapHeader(file, header, layouts[0]!.columns, layouts[0]!.oneOf);
  const tries = layouts.map((l) => ({ l, missing: attempt(header, l.columns, l.id, l.oneOf).missing }));
  tries.sort((a, b) => a.missing.length - b.missing.length);
  const best = tries[0]!;
  throw new CsvFileError(
    file,
    1,
    'bad_header',
    `not a recognised ${what}: expected ${layouts.map((l) => l.title).join('; or ')}. Closest: ${best.l.title}, missing ${best.missing.join(', ')}; found ${seen(header)}`,
  );
}
