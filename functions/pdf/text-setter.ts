/**
 * Single lines of text set straight into the page's content stream, and their widths.
 *
 * Why not pdfkit's text(): every run goes through option handling, word splitting, glyph encoding
 * and number formatting again, one small content write per operator; the profile PDFs set several
 * hundred runs each, so that was a fifth of the render time. Here a word is shaped and encoded
 * once per thread (pdfkit's own shaping, via the font's layout cache), kept as its ready-made
 * `TJ` fragment, and a line is one content write. The PDF operators are the ones pdfkit writes
 * (hex glyph ids of the Identity-H font, kerning as TJ adjustments), so text extraction, the
 * ToUnicode map and the subset are unchanged.
 *
 * Cached fragments name glyphs by their id in the document's font subset. Those ids are stable
 * across documents only for the preloaded glyphs (fonts.ts adds them to every subset in a fixed
 * order first), so a word with any other glyph is encoded per document and not cached.
 */
import { shapeRun, stableSubsetIds, type DocumentFonts, type EmbeddedFontInternals, type Face, type GlyphPosition, type ShapedRun } from './fonts.ts';

/** A shaped word (with its trailing space, as pdfkit splits): TJ fragment and advance (1/1000 em). */
interface Word {
  /** Null when the word has a glyph outside the stable subset, or positioned glyphs. */
  tj: string | null;
  advance: number;
}

const MAX_CACHED_WORDS = 100_000;
const words: Record<Face, Map<string, Word>> = { regular: new Map(), semibold: new Map(), italic: new Map() };

/** Shaped pieces of the lines that are encoded per document (see encodeOnce), per face. */
type Run = ShapedRun;
const MAX_CACHED_RUNS = 20_000;
const runs: Record<Face, Map<string, Run>> = { regular: new Map(), semibold: new Map(), italic: new Map() };

/**
 * Round to 1/100 point: far below what a printer or screen resolves, and short to write. The text
 * is String(k / 100) for k = round(n * 100), written from k's integer parts: V8 turns integers into
 * text several times faster than fractions, and a page's paths write thousands of coordinates.
 */
export function num(n: number): string {
  const k = Math.round(n * 100);
  if (!(k >= -1e9 && k <= 1e9)) return String(k / 100);
  const a = k < 0 ? -k : k;
  const f = a % 100;
  const i = (a - f) / 100;
  const s = f === 0 ? `${i}` : f % 10 === 0 ? `${i}.${f / 10}` : f < 10 ? `${i}.0${f}` : `${i}.${f}`;
  return k < 0 ? `-${s}` : s;
}

/**
 * The same text as one contiguous string. Text built piece by piece (`a += b`) is kept by V8 as a
 * tree of its pieces (a glyph's four hex digits each, here), and every copy of it walks the tree
 * again: a cached TJ body is copied into every document that sets its words, so it is stored
 * contiguous once. TJ bodies are ASCII, which latin1 carries unchanged.
 */
function flat(s: string | null): string | null {
  return s === null ? null : Buffer.from(s, 'latin1').toString('latin1');
}

const hex4 = (n: number) => (n < 0x1000 ? `000${n.toString(16)}`.slice(-4) : n.toString(16));

/**
 * The TJ array body for glyph codes and positions, written as pdfkit writes it: a hex string per
 * run of glyphs, closed by the kerning adjustment when the advance differs from the glyph width.
 * Returns null when a glyph is offset (mark positioning), which a TJ array cannot express.
 */
function tjBody(codes: readonly string[], positions: readonly GlyphPosition[]): string | null {
  let out = '';
  let run = '';
  for (let i = 0; i < codes.length; i++) {
    const p = positions[i]!;
    if (p.xOffset || p.yOffset) return null;
    run += codes[i];
    const kern = p.xAdvance - p.advanceWidth;
    if (kern !== 0) {
      out += `<${run}> ${num(-kern)} `;
      run = '';
    }
  }
  return run ? `${out}<${run}>` : out.trimEnd();
}

/** Split as pdfkit's layout does: at spaces and tabs, each piece keeping its trailing one. */
function pieces(text: string): string[] {
  const out: string[] = [];
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9) {
      out.push(text.slice(last, i + 1));
      last = i + 1;
    }
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export interface LineOptions {
  /** 'top' (default): y is the top of the line box; 'alphabetic': y is the baseline. */
  baseline?: 'top' | 'alphabetic';
  opacity?: number;
  /** A transform [a b c d e f] to set the line under (x, y are in its coordinates). */
  matrix?: readonly number[];
}

export class TextSetter {
  private readonly fonts: DocumentFonts;
  private readonly doc: PDFKit.PDFDocument;

  constructor(doc: PDFKit.PDFDocument, fonts: DocumentFonts) {
    this.doc = doc;
    this.fonts = fonts;
    for (const face of Object.keys(words) as Face[]) if (words[face].size > MAX_CACHED_WORDS) words[face].clear();
  }

  private word(face: Face, piece: string): Word {
    const cache = words[face];
    let w = cache.get(piece);
    if (w) return w;
    const font = this.fonts[face];
    const run = shapeRun(face, font, piece);
    const stable = stableSubsetIds(face);
    let tj: string | null = null;
    const codes: string[] = [];
    let ok = true;
    for (const g of run.glyphs) {
      const gid = stable.get(g.id);
      if (gid === undefined) {
        ok = false;
        break;
      }
      codes.push(hex4(gid));
    }
    if (ok) tj = flat(tjBody(codes, run.positions));
    w = { tj, advance: run.advanceWidth };
    cache.set(piece, w);
    return w;
  }

  /**
   * A run of several words, cached per thread like a word (in the same map: a one-word run is that
   * word): nine in ten lines a document sets were set by an earlier one, so a line costs one lookup
   * rather than one per word. Its TJ body is null when any word's is.
   */
  private phrase(face: Face, text: string): Word {
    const w = words[face].get(text);
    if (w) return w;
    const ps = pieces(text);
    if (ps.length <= 1) return this.word(face, text);
    let tj: string | null = '';
    let advance = 0;
    for (const p of ps) {
      const x = this.word(face, p);
      advance += x.advance;
      if (tj !== null) tj = x.tj === null ? null : tj ? `${tj} ${x.tj}` : x.tj;
    }
    const phrase = { tj: flat(tj), advance };
    words[face].set(text, phrase);
    return phrase;
  }

  /** Width in points of `text` set in `face` at `size` (what pdfkit's widthOfString gives). */
  width(text: string, face: Face, size: number): number {
    // Most calls measure one word (line wrapping): no need to split it.
    if (text.indexOf(' ') < 0 && text.indexOf('\t') < 0) return (this.word(face, text).advance * size) / 1000;
    return (this.phrase(face, text).advance * size) / 1000;
  }

  /** Line height as pdfkit's currentLineHeight(true) gives it. */
  lineHeight(face: Face, size: number): number {
    const f = this.fonts[face];
    return ((f.ascender + f.lineGap - f.descender) / 1000) * size;
  }

  /**
   * Set one line with its left end at x. `y` is the top of the line (pdfkit's default) or, with
   * baseline 'alphabetic', the baseline. `rgb` is "r g b" in 0..1 (see rgbOf); opacity below 1 goes
   * through an ExtGState as pdfkit does it.
   */
  line(text: string, x: number, y: number, face: Face, size: number, rgb: string, o: LineOptions = {}): void {
    if (!text) return;
    const font = this.fonts[face];
    let body = this.phrase(face, text).tj;
    if (body === null) {
      body = this.encodeOnce(font, face, text) ?? '';
      if (!body) return this.fallback(text, x, y, face, size, rgb, o);
    }
    const page = this.doc.page as unknown as { fonts: Record<string, unknown> };
    if (page.fonts[font.id] == null) page.fonts[font.id] = font.ref();
    const by = o.baseline === 'alphabetic' ? y : y + (font.ascender / 1000) * size;
    const opacity = o.opacity ?? 1;
    if (opacity < 1) {
      this.doc.addContent('q');
      this.doc.fillOpacity(opacity);
    }
    // Text space is flipped back upright (d = -1) inside pdfkit's y-down page space; a caller's
    // transform (a rotated chart title) is folded into the text matrix.
    let tm = `1 0 0 -1 ${num(x)} ${num(by)}`;
    if (o.matrix) {
      const [a, b, c, d, e, f] = o.matrix as [number, number, number, number, number, number];
      tm = [a, b, -c, -d, a * x + c * by + e, b * x + d * by + f].map(num).join(' ');
    }
    this.doc.addContent(`${opacity < 1 ? '' : 'q\n'}${rgb} rg\nBT\n${tm} Tm\n/${font.id} ${num(size)} Tf\n[${body}] TJ\nET\nQ`);
  }

  /**
   * A line with glyphs outside the stable subset: encoded for this document only, as pdfkit's
   * encode() does it (each piece shaped, its glyphs added to the subset in order, one TJ body for
   * the whole line) but with the shaped pieces kept per thread: pdfkit's own layout() of a long line
   * cost more than shaping it (a character-by-character split and array concatenation per word).
   */
  private encodeOnce(font: EmbeddedFontInternals, face: Face, text: string): string | null {
    const cache = runs[face];
    const codes: string[] = [];
    const positions: GlyphPosition[] = [];
    for (const p of pieces(text)) {
      let run = cache.get(p);
      if (!run) {
        run = shapeRun(face, font, p);
        if (cache.size >= MAX_CACHED_RUNS) cache.clear();
        cache.set(p, run);
      }
      const { glyphs } = run;
      for (let i = 0; i < glyphs.length; i++) {
        const g = glyphs[i]!;
        const gid = font.subset.includeGlyph(g.id);
        codes.push(hex4(gid));
        if (font.widths[gid] == null) font.widths[gid] = g.advanceWidth * font.scale;
        if (font.unicode[gid] == null) font.unicode[gid] = g.codePoints;
        positions.push(run.positions[i]!);
      }
    }
    return tjBody(codes, positions);
  }

  /** Positioned glyphs (combining marks): let pdfkit set the line. */
  private fallback(text: string, x: number, y: number, face: Face, size: number, rgb: string, o: LineOptions): void {
    const [r, g, b] = rgb.split(' ').map((v) => Math.round(Number(v) * 255));
    const doc = this.doc as unknown as { _font: EmbeddedFontInternals; _fontSize: number };
    doc._font = this.fonts[face];
    doc._fontSize = size;
    this.doc.save();
    if (o.matrix) this.doc.transform(...(o.matrix as [number, number, number, number, number, number]));
    this.doc.fillColor([r!, g!, b!], o.opacity ?? 1);
    this.doc.text(text, x, y, { lineBreak: false, baseline: o.baseline === 'alphabetic' ? 'alphabetic' : 'top' });
    this.doc.restore();
  }
}

const rgbCache = new Map<string, string>();
const NAMED: Record<string, string> = { black: '#000000', white: '#ffffff', transparent: '#000000' };

/** "#rgb", "#rrggbb", "rgb(r, g, b)" or black/white as the "r g b" operands of rg/RG. */
export function rgbOf(colour: string): string {
  let v = rgbCache.get(colour);
  if (v !== undefined) return v;
  const c = NAMED[colour.toLowerCase()] ?? colour;
  let parts: number[] | null = null;
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(c);
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
  const fn = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/i.exec(c);
  if (short) parts = short.slice(1, 4).map((h) => parseInt(h + h, 16));
  else if (long) parts = long.slice(1, 4).map((h) => parseInt(h, 16));
  else if (fn) parts = fn.slice(1, 4).map(Number);
  if (!parts) throw new Error(`unsupported colour "${colour}" (use #rgb, #rrggbb or rgb())`);
  v = parts.map((p) => String(Math.round((p / 255) * 1000) / 1000)).join(' ');
  rgbCache.set(colour, v);
  return v;
}
