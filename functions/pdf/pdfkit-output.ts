/**
 * Faster byte handling in pdfkit (0.20) for documents made here, with the same output bytes.
 *
 * pdfkit turns every content operator and every object it writes into bytes with a JavaScript
 * loop (`fromBinaryString`), then pushes each small piece through a Node stream. For a profile PDF
 * that was about a tenth of the render time. Two changes:
 *   - content written to an object (page content streams, mostly) is converted as it is written
 *     into one growing buffer per object with Buffer's native latin1 encoder, which is what the
 *     loop does (each UTF-16 unit's low byte; one buffer a page rather than thousands of small
 *     Buffers; see TextBytes);
 *   - a document created by `createCollectedDocument` keeps its output in an array (runs of text
 *     converted the same way) instead of pushing pieces through the stream, and `collected()`
 *     joins them once at the end.
 * A collected document's streams are also compressed at zlib level 3 rather than pdfkit's
 * default (6): page content streams are a PDF's largest, and level 6 took about four times as
 * long for 3% smaller PDFs (four pages of a profile: 15.5 against 18.2 KiB compressed, measured
 * on a shared machine). Decompressed, the streams are the same bytes; renderer version 6.
 * Documents created any other way behave exactly as before.
 */
import { deflateSync } from 'node:zlib';
import PDFDocument from 'pdfkit';

/** zlib level for a collected document's streams (see above). */
const DEFLATE_LEVEL = 3;

interface RefInternals {
  document: DocInternals;
  id: number;
  gen: number;
  offset: number;
  buffer: Uint8Array[];
  data: { Length?: number; Filter?: string };
  compress: boolean;
  uncompressedLength: number;
  write(chunk: unknown): void;
  finalize(): void;
  /** Text written since the last bytes, already converted (see TextBytes). */
  __text?: TextBytes;
}

interface DocInternals {
  _write(data: unknown): void;
  _offset: number;
  push(chunk: unknown): boolean;
  /** Output pieces of a collected document (absent: the document streams as usual). */
  __collected?: Uint8Array[] | null;
  /** Text written to a collected document since its last bytes piece (see TextBytes). */
  __text?: TextBytes;
  page: { content: RefInternals };
  _security?: unknown;
  _refEnd(ref: RefInternals): void;
}

let collectNext = false;
let docPatched = false;
let refPatched = false;

function patchDocument(): void {
  if (docPatched) return;
  docPatched = true;
  const proto = PDFDocument.prototype as unknown as DocInternals;
  const write = proto._write;
  proto._write = function (this: DocInternals, data: unknown): void {
    if (this.__collected === undefined) this.__collected = collectNext ? [] : null;
    if (!this.__collected) return write.call(this, data);
    if (data instanceof Uint8Array) {
      flushDocText(this);
      this.__collected.push(data);
      this._offset += data.length;
    } else {
      // One byte per UTF-16 unit (latin1), so the text's length is its length in bytes.
      this._offset += (this.__text ??= new TextBytes()).line(data as string);
    }
  };
}

/**
 * Text pieces converted to bytes as they are written, each followed by a newline, into one growing
 * buffer: what `Buffer.from(pieces.join(''), 'latin1')` gives, without the join. The pieces are
 * mostly strings built by concatenation (V8 keeps those as trees of their parts), and joining a
 * page's thousand of them at the end walked every tree long after it was made: a twentieth of a
 * profile PDF's render time. Converting each piece when it arrives reads it while it is fresh.
 */
class TextBytes {
  private buf: Buffer = Buffer.allocUnsafe(0);
  private length = 0;

  /** Appends `text` and a newline; returns the bytes added. */
  line(text: string): number {
    const n = text.length + 1;
    if (this.length + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.length + n, 2048));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.buf.write(text, this.length, 'latin1');
    this.buf[this.length + n - 1] = 10;
    this.length += n;
    return n;
  }

  /** The bytes so far (a view of the buffer; the writer starts a new one after taking them). */
  bytes(): Uint8Array | null {
    return this.length ? this.buf.subarray(0, this.length) : null;
  }
}

function flushDocText(doc: DocInternals): void {
  const bytes = doc.__text?.bytes();
  if (bytes) doc.__collected!.push(bytes);
  doc.__text = undefined;
}

function flushRefText(ref: RefInternals): void {
  const bytes = ref.__text?.bytes();
  if (bytes) ref.buffer.push(bytes);
  ref.__text = undefined;
}

function patchReference(ref: RefInternals): void {
  if (refPatched) return;
  refPatched = true;
  const proto = Object.getPrototypeOf(ref) as RefInternals;
  const finalize = proto.finalize;
  proto.write = function (this: RefInternals, chunk: unknown): void {
    let length: number;
    if (chunk instanceof Uint8Array) {
      flushRefText(this);
      this.buffer.push(chunk);
      length = chunk.length;
    } else {
      length = (this.__text ??= new TextBytes()).line(chunk as string);
    }
    this.uncompressedLength += length;
    if (this.data.Length == null) this.data.Length = 0;
    this.data.Length += length;
    if (this.compress) this.data.Filter = 'FlateDecode';
  };
  proto.finalize = function (this: RefInternals): void {
    flushRefText(this);
    const doc = this.document;
    if (!doc.__collected || doc._security) return finalize.call(this);
    // pdfkit's finalize for an unencrypted document, with the stream compressed at our level and
    // the object written by objectText (the same text as pdfkit's PDFObject.convert, faster).
    this.offset = doc._offset;
    let stream: Uint8Array | null = null;
    if (this.buffer.length) {
      stream = this.buffer.length === 1 ? this.buffer[0]! : Buffer.concat(this.buffer);
      if (this.compress) {
        stream = deflateSync(stream, { level: DEFLATE_LEVEL });
        this.compress = false;
        this.data.Filter = 'FlateDecode';
      }
      this.data.Length = stream.length;
    }
    this.buffer = [];
    doc._write(`${this.id} ${this.gen} obj`);
    doc._write(objectText(this.data));
    if (stream?.length) {
      doc._write('stream');
      doc._write(stream);
      doc._write('\nendstream');
    }
    doc._write('endobj');
    doc._refEnd(this);
  };
}

const ESCAPED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\\': '\\\\', '(': '\\(', ')': '\\)' };
const ESCAPABLE = /[\n\r\t\b\f()\\]/g;
const NON_ASCII = /[^\x00-\x7f]/;
const pad = (n: number, length: number) => `${'0'.repeat(length)}${n}`.slice(-length);

/**
 * A PDF object as text, as pdfkit 0.20's PDFObject.convert writes it for an unencrypted document
 * (which was a tenth of finishing a profile PDF: a tagged PDF has a dictionary per structure
 * element): names, strings (ASCII as they are, anything else UTF-16BE with a byte order mark),
 * byte strings as hex, dates, arrays, dictionaries, numbers rounded to 1e-6. pdfkit's own objects
 * that write themselves (references, name and number trees, spot colours) are asked to.
 */
function objectText(o: unknown): string {
  if (typeof o === 'string') return `/${o}`;
  if (typeof o === 'number') {
    if (!(o > -1e21 && o < 1e21)) throw new Error(`unsupported number: ${o}`);
    return `${Math.round(o * 1e6) / 1e6}`;
  }
  if (o === null || typeof o !== 'object') return `${o as string}`;
  if (o instanceof String) {
    const v = o.valueOf();
    let bytes = v;
    if (NON_ASCII.test(v)) {
      bytes = '\u00fe\u00ff';
      for (let i = 0; i < v.length; i++) {
        const c = v.charCodeAt(i);
        bytes += String.fromCharCode(c >> 8, c & 0xff);
      }
    }
    return `(${bytes.replace(ESCAPABLE, (c) => ESCAPED[c]!)})`;
  }
  if (o instanceof Uint8Array) return `<${Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString('hex')}>`;
  if (o instanceof Date) {
    return `(D:${pad(o.getUTCFullYear(), 4)}${pad(o.getUTCMonth() + 1, 2)}${pad(o.getUTCDate(), 2)}${pad(o.getUTCHours(), 2)}${pad(o.getUTCMinutes(), 2)}${pad(o.getUTCSeconds(), 2)}Z)`;
  }
  if (Array.isArray(o)) {
    let out = '[';
    for (let i = 0; i < o.length; i++) out += (i ? ' ' : '') + objectText(o[i] === undefined ? null : o[i]);
    return `${out}]`;
  }
  // References, name and number trees and spot colours write themselves (toString); a dictionary
  // is any other object, as pdfkit treats it.
  if ((o as { toString: unknown }).toString !== Object.prototype.toString) return (o as { toString(): string }).toString();
  if (Object.prototype.toString.call(o) !== '[object Object]') return String(o);
  let out = '<<';
  for (const key in o) {
    const val = (o as Record<string, unknown>)[key];
    if (val === undefined) continue;
    out += `\n/${key} ${objectText(val)}`;
  }
  return `${out}\n>>`;
}

/** A pdfkit document whose output is collected in memory (read it with `collected` after 'end'). */
export function createCollectedDocument(options: PDFKit.PDFDocumentOptions): PDFKit.PDFDocument {
  patchDocument();
  collectNext = true;
  let doc: PDFKit.PDFDocument;
  try {
    doc = new PDFDocument(options);
  } finally {
    collectNext = false;
  }
  patchReference((doc as unknown as DocInternals).page.content);
  // Nothing is pushed through the stream until pdfkit's final push(null); keep it flowing so that
  // 'end' fires.
  doc.resume();
  return doc;
}

/** The whole file of a collected document, once it has ended. */
export function collected(doc: PDFKit.PDFDocument): Uint8Array {
  const internals = doc as unknown as DocInternals;
  const parts = internals.__collected;
  if (!parts) throw new Error('not a collected document');
  flushDocText(internals);
  return Buffer.concat(parts);
}
