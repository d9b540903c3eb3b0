/**
 * Decodes a CSV file's bytes to text. Files are UTF-8 (a byte order mark is dropped), but exports
 * from Excel ("CSV", not "CSV UTF-8") and older systems are Windows-1252: a file whose first
 * non-ASCII bytes are not UTF-8 is decoded as Windows-1252, with a warning. A file that is
 * neither (bytes Windows-1252 leaves undefined, NUL bytes of UTF-16 or a binary file) fails in
 * one line that names the line and never echoes the bytes.
 *
 * The choice is made at the first non-ASCII byte, in one pass: ASCII reads the same either way, so
 * nothing before it needs decoding twice. A UTF-8 file with a stray invalid byte later on stays
 * UTF-8: that row carries U+FFFD and is quarantined (invalid_encoding), the rest are read.
 */
import { CsvFileError } from './file-error.ts';

export type TextEncoding = 'utf-8' | 'windows-1252';

/** Bytes Windows-1252 leaves undefined. */
const UNDEFINED_1252 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/** Length of the valid UTF-8 sequence at `i`, 0 if invalid, -1 if the buffer ends inside it. */
function utf8SequenceAt(b: Uint8Array, i: number): number {
  const c = b[i]!;
  let n: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) (n = 2), (min = 0x80);
  else if (c >= 0xe0 && c <= 0xef) (n = 3), (min = c === 0xe0 ? 0xa0 : 0x80);
  else if (c >= 0xf0 && c <= 0xf4) (n = 4), (min = c === 0xf0 ? 0x90 : 0x80);
  else return 0;
  const max = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
  for (let k = 1; k < n; k++) {
    if (i + k >= b.length) return -1;
    const x = b[i + k]!;
    if (x < (k === 1 ? min : 0x80) || x > (k === 1 ? max : 0xbf)) return 0;
  }
  return n;
}

export interface DecodeResult {
  /** Set once the encoding is known (utf-8 until a non-ASCII byte says otherwise). */
  encoding: TextEncoding;
}

/**
 * Text chunks of a byte stream. `state.encoding` tells the caller what was chosen (for the file's
 * warning); a file that is not text throws CsvFileError.
 */
export async function* decodeText(file: string, bytes: AsyncIterable<Buffer | Uint8Array | string>, state: DecodeResult = { encoding: 'utf-8' }): AsyncGenerator<string> {
  let decided: TextEncoding | null = null;
  let decoder: TextDecoder | null = null;
  let held: Uint8Array = new Uint8Array(0);
  let line = 1;
  let first = true;
  const fail = (offsetLine: number, what: string): never => {
    throw new CsvFileError(file, offsetLine, 'invalid_encoding', `${what}; save the file as "CSV UTF-8" and load it again`);
  };
  const check = (b: Uint8Array) => {
    // Line counting, and the checks that make a file not text in any encoding read here.
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    const nul = buf.indexOf(0);
    const bad = decided === 'windows-1252' ? buf.findIndex((c) => UNDEFINED_1252.has(c)) : -1;
    const stop = [nul, bad].filter((x) => x >= 0).reduce((a, x) => Math.min(a, x), buf.length);
    for (let i = buf.indexOf(0x0a); i >= 0 && i < stop; i = buf.indexOf(0x0a, i + 1)) line++;
    if (stop === nul && nul >= 0) fail(line, 'not a text file (it holds NUL bytes: UTF-16 or binary)');
    if (stop === bad && bad >= 0) fail(line, 'not text in UTF-8 or Windows-1252 (a byte undefined in both)');
  };
  for await (const chunk of bytes) {
    let b: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (first && b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) fail(1, 'UTF-16 text, which catchment does not read');
    first = false;
    if (decided === null) {
      if (held.length) b = Buffer.concat([held, b]);
      held = new Uint8Array(0);
      let i = 0;
      while (i < b.length && b[i]! < 0x80) i++;
      if (i === b.length) {
        check(b);
        yield Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'); // pure ASCII
        continue;
      }
      const n = utf8SequenceAt(b, i);
      if (n === -1) {
        held = b; // wait for the rest of the sequence
        continue;
      }
      decided = n > 0 ? 'utf-8' : 'windows-1252';
      state.encoding = decided;
      decoder = new TextDecoder(decided, { fatal: false, ignoreBOM: false });
    }
    check(b);
    const text = decoder!.decode(b, { stream: true });
    if (text) yield text;
  }
  if (decided === null && held.length) {
    // The file ends inside what would have been a UTF-8 sequence: it is not UTF-8.
    decided = 'windows-1252';
    state.encoding = decided;
    decoder = new TextDecoder(decided);
    check(held);
    yield decoder.decode(held);
    return;
  }
  if (decoder) {
    const rest = decoder.decode();
    if (rest) yield rest;
  }
}
