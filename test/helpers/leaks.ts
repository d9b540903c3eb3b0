/**
 * Looking for personal data in everything a run wrote: Parquet is read back through DuckDB and
 * PDFs through pdftotext (both compress, so their raw bytes could hide a leak), other files as
 * text. Secrets are found by token, in one pass over each text.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { duck } from './fixtures.ts';
import { pdfText } from '../pdf/poppler.ts';

export interface Text {
  path: string;
  text: string;
}

/** Every file under a folder as text: Parquet rows as JSON, PDF text, anything else as UTF-8 and Latin-1. */
export async function outputTexts(dir: string): Promise<Text[]> {
  const out: Text[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...(await outputTexts(p)));
    else if (name.endsWith('.parquet')) out.push({ path: p, text: JSON.stringify(await duck(`SELECT * FROM read_parquet('${p}')`)) });
    else if (name.endsWith('.pdf')) out.push({ path: p, text: pdfText(readFileSync(p), false) });
    else out.push({ path: p, text: `${readFileSync(p).toString('utf8')}\n${readFileSync(p).toString('latin1')}` });
  }
  return out;
}

const TOKEN = /[\p{L}\p{N}]+/gu;

/** The secrets that occur in any of the texts, as "<secret> in <path>". */
export function leaks(texts: Text[], secrets: Iterable<string>): string[] {
  return scan(texts, secrets).map(([s, path]) => `${s} in ${path}`);
}

/** The distinct secrets found in the texts (to show a search finds what is there). */
export function secretsFound(texts: Text[], secrets: Iterable<string>): Set<string> {
  return new Set(scan(texts, secrets).map(([s]) => s));
}

function scan(texts: Text[], secrets: Iterable<string>): [string, string][] {
  const byFirst = new Map<string, string[]>();
  for (const s of secrets) {
    const first = s.match(/[\p{L}\p{N}]+/u)?.[0];
    if (!first) continue;
    const list = byFirst.get(first) ?? [];
    list.push(s);
    byFirst.set(first, list);
  }
  const found = new Map<string, [string, string]>();
  for (const { path, text } of texts) {
    for (const m of text.matchAll(TOKEN)) {
      for (const s of byFirst.get(m[0]) ?? []) {
        if (text.startsWith(s, m.index! - s.indexOf(m[0]))) found.set(`${s}\u0000${path}`, [s, path]);
      }
    }
  }
  return [...found.values()];
}
