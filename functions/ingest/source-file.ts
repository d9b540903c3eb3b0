/**
 * An input file made ready for DuckDB, in one pass over its bytes: the local path (the object
 * itself in a local directory; on S3 a download into the work directory, which in Lambda is its
 * ephemeral storage), its SHA-256, the line feeds it holds, and whether it is UTF-8. This is the
 * only JavaScript that sees every byte, and it never looks at rows.
 *
 * A file that is not valid UTF-8 is decoded as the rest of ingest always has (text-decoding.ts:
 * Windows-1252 when its first non-ASCII bytes are not UTF-8, else UTF-8 with U+FFFD for a stray
 * byte, which quarantines only a row whose read column holds one) into a UTF-8 copy that DuckDB
 * reads instead. A file that is not text at all (UTF-16, NUL bytes, bytes undefined in
 * Windows-1252) fails in one line naming its line.
 */
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ObjectStore } from '../ports/object-store.ts';
import { LocalObjectStore } from '../ports/local-store.ts';
import { CsvFileError } from './file-error.ts';
import { decodeText, type DecodeResult, type TextEncoding } from './text-decoding.ts';

export interface SourceFile {
  key: string;
  /** The UTF-8 file DuckDB reads: the original, or its decoded copy. */
  path: string;
  sha256: string;
  bytes: number;
  encoding: TextEncoding;
  /** Line feeds in `path`, and whether its last byte is one (records of one line each are told by these). */
  lineFeeds: number;
  endsWithLineFeed: boolean;
}

/** Bytes at the end of `b` that start a UTF-8 sequence the next chunk completes. */
function incompleteTail(b: Uint8Array): number {
  const n = b.length;
  for (let k = 1; k <= Math.min(3, n); k++) {
    const c = b[n - k]!;
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > k ? k : 0;
  }
  return 0;
}

interface Scan {
  sha256: string;
  bytes: number;
  lineFeeds: number;
  endsWithLineFeed: boolean;
  utf8: boolean;
  /** Line of the first NUL byte, if any. */
  nulLine: number | null;
}

async function scanBytes(source: AsyncIterable<Buffer>, onChunk: (b: Buffer) => Promise<void> | void, onBytes?: (done: number) => void): Promise<Scan> {
  const hash = createHash('sha256');
  let bytes = 0;
  let lineFeeds = 0;
  let last = -1;
  let utf8 = true;
  let carry: Buffer = Buffer.alloc(0);
  let nulLine: number | null = null;
  let lastReport = 0;
  for await (const b of source) {
    await onChunk(b);
    hash.update(b);
    if (nulLine === null) {
      const nul = b.indexOf(0);
      if (nul >= 0) {
        let before = 0;
        for (let i = b.indexOf(10); i >= 0 && i < nul; i = b.indexOf(10, i + 1)) before++;
        nulLine = lineFeeds + before + 1;
      }
    }
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lineFeeds++;
    if (utf8) {
      const data = carry.length ? Buffer.concat([carry, b]) : b;
      const tail = incompleteTail(data);
      if (!isUtf8(data.subarray(0, data.length - tail))) utf8 = false;
      carry = Buffer.from(data.subarray(data.length - tail));
    }
    bytes += b.length;
    if (b.length) last = b[b.length - 1]!;
    if (onBytes && bytes - lastReport >= 64 * 1024 * 1024) {
      lastReport = bytes;
      onBytes(bytes);
    }
  }
  if (carry.length) utf8 = false; // the file ends inside a UTF-8 sequence
  return { sha256: hash.digest('hex'), bytes, lineFeeds, endsWithLineFeed: last === 10, utf8, nulLine };
}

async function write(out: WriteStream, chunk: Buffer | string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

async function finish(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

/**
 * Make `key` of `store` a local UTF-8 file for DuckDB; files it writes go into `workDir` under
 * `name`. `onBytes` reports bytes read so far.
 */
export async function prepareSource(store: ObjectStore, key: string, workDir: string, name: string, onBytes?: (done: number) => void): Promise<SourceFile> {
  let path: string;
  let stream: Readable;
  let copy: WriteStream | null = null;
  if (store instanceof LocalObjectStore) {
    path = store.uri(key);
    stream = createReadStream(path, { highWaterMark: 1 << 20 });
  } else {
    path = join(workDir, `${name}.raw.csv`);
    stream = await store.getStream(key);
    copy = createWriteStream(path);
  }
  let scan: Scan;
  try {
    scan = await scanBytes(stream as AsyncIterable<Buffer>, (b) => (copy ? write(copy, b) : undefined), onBytes);
  } finally {
    if (copy) await finish(copy);
  }
  const base = { key, sha256: scan.sha256, bytes: scan.bytes };
  if (scan.utf8) {
    if (scan.nulLine !== null) {
      throw new CsvFileError(key, scan.nulLine, 'invalid_encoding', 'not a text file (it holds NUL bytes: UTF-16 or binary); save the file as "CSV UTF-8" and load it again');
    }
    return { ...base, path, encoding: 'utf-8', lineFeeds: scan.lineFeeds, endsWithLineFeed: scan.endsWithLineFeed };
  }
  // Not UTF-8 throughout: decode it as ingest always has, into a UTF-8 copy.
  const decoded = join(workDir, `${name}.utf8.csv`);
  const state: DecodeResult = { encoding: 'utf-8' };
  const out = createWriteStream(decoded);
  try {
    for await (const text of decodeText(key, createReadStream(path, { highWaterMark: 1 << 20 }), state)) await write(out, text);
  } finally {
    await finish(out);
  }
  const again = await scanBytes(createReadStream(decoded, { highWaterMark: 1 << 20 }), () => undefined);
  return { ...base, path: decoded, encoding: state.encoding, lineFeeds: again.lineFeeds, endsWithLineFeed: again.endsWithLineFeed };
}
