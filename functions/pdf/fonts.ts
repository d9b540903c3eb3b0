/**
 * Fonts for the PDFs: Source Sans 3 (SIL Open Font License) embedded from the `source-sans`
 * package. Never pdfkit's built-in AFM fonts (Helvetica etc.): they are read from pdfkit's own
 * data directory at run time and break when the code is bundled.
 *
 * Where the TTFs are found (first that exists): CATCHMENT_FONTS_DIR; a `fonts/` folder beside this
 * module, which is where a bundled Lambda carries them (copied next to index.mjs at bundling, see
 * infra/constructs/catchment-function.ts); the `source-sans` package in node_modules.
 *
 * Per thread, each face is parsed once (fontkit) and handed to every document as a parsed font
 * object, with one shared text-layout cache, so a worker rendering thousands of documents neither
 * re-reads nor re-parses the TTFs nor re-shapes the same words.
 */
import { create as createFont } from 'fontkit';
import { existsSync, readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_FONTS_DIR, FONT_FILES, type Face } from './font-files.ts';

const require = createRequire(import.meta.url);

/**
 * The fontkit pdfkit itself imports (`import { create } from 'fontkit'` in pdfkit's node build): a
 * static import, so a bundler includes it, and the same module instance pdfkit uses.
 */
const fontkit = { create: (buf: Uint8Array) => createFont(buf) as unknown as FontkitFont };

/** The parts of a fontkit font used here. */
export interface FontkitFont {
  unitsPerEm: number;
  postscriptName: string;
  layout(text: string): { advanceWidth: number; glyphs: FontkitGlyph[] };
}
export interface FontkitGlyph {
  id: number;
  advanceWidth: number;
  codePoints: number[];
}
/** A glyph position from pdfkit's layout, in thousandths of an em. */
export interface GlyphPosition {
  xAdvance: number;
  yAdvance: number;
  xOffset: number;
  yOffset: number;
  advanceWidth: number;
}

/** The parts of pdfkit's EmbeddedFont touched here (pdfkit 0.20 internals, checked by the tests). */
export interface EmbeddedFontInternals {
  /** Resource name on the page (F1, F2, ...). */
  id: string;
  ascender: number;
  descender: number;
  lineGap: number;
  layoutCache?: Record<string, unknown>;
  scale: number;
  widths: (number | undefined)[];
  unicode: (number[] | undefined)[];
  subset: { glyphs: number[]; includeGlyph(gid: number): number; encode(): Uint8Array };
  /** Shape a word (not cached): glyphs and positions in thousandths of an em. */
  layoutRun(text: string): { glyphs: FontkitGlyph[]; positions: GlyphPosition[]; advanceWidth: number };
  /** Hex glyph codes (adding the glyphs to this document's subset) and positions. */
  encode(text: string): [string[], GlyphPosition[]];
  /** The font's indirect object; referencing it from a page embeds the font. */
  ref(): unknown;
  embed(): void;
  document: { ref(data?: Record<string, unknown>): PdfRef };
}
interface PdfRef {
  compress: boolean;
  data: Record<string, unknown>;
  end(chunk?: Uint8Array): void;
}

export type { Face };
const FILES = FONT_FILES;

/** Names the faces are registered under in every document (and used by the SVG font callback). */
export const FONT: Record<Face, string> = { regular: 'SS3', semibold: 'SS3-Semibold', italic: 'SS3-Italic' };

/** The font family the charts ask for; mapped back to these faces when the SVG is embedded. */
export const CHART_FONT_FAMILY = 'Source Sans 3';

export function fontDir(): string {
  const fromEnv = process.env.CATCHMENT_FONTS_DIR;
  if (fromEnv) return fromEnv;
  const beside = join(dirname(fileURLToPath(import.meta.url)), BUNDLED_FONTS_DIR);
  if (existsSync(join(beside, FILES.regular))) return beside;
  try {
    return join(dirname(require.resolve('source-sans/package.json')), 'TTF');
  } catch {
    throw new Error(`fonts not found: no ${BUNDLED_FONTS_DIR}/${FILES.regular} beside the renderer and no source-sans package (set CATCHMENT_FONTS_DIR)`);
  }
}

let parsed: Record<Face, FontkitFont> | null = null;

/** Parsed faces for this thread (parsed on first use). */
export function faces(): Record<Face, FontkitFont> {
  if (!parsed) {
    const dir = fontDir();
    const load = (f: Face) => fontkit.create(readFileSync(join(dir, FILES[f])));
    parsed = { regular: load('regular'), semibold: load('semibold'), italic: load('italic') };
  }
  return parsed;
}

// pdfkit's EmbeddedFont keeps a per-document cache of shaped words (`layoutCache`). The entries only
// hold glyph objects of the shared fontkit font and scaled positions, so one cache per face can
// serve every document in the thread. Bounded (shaped runs are large objects, and a big old
// generation makes every major GC slower): every 64 documents it is dropped if it has grown past
// MAX_CACHED_RUNS words; the words every document uses are back within one document.
const MAX_CACHED_RUNS = 8_000;
const layoutCaches: Record<Face, Record<string, unknown>> = {
  regular: Object.create(null),
  semibold: Object.create(null),
  italic: Object.create(null),
};
let registrations = 0;

/**
 * Glyphs every document's font subset starts with, in a fixed order: printable ASCII, the
 * typography the templates use and common ligatures. With a fixed start, most documents end up
 * with the same subset, so the subset font program is built once per thread and reused (building
 * it is the most expensive step of finishing a PDF). A document that uses other characters (an
 * accented school name, say) appends them and gets its own subset, cached in turn.
 */
const PRELOAD_TEXT =
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~' +
  '\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u00b7\u2026\u00a3\u00d7\u2264\u2265\u00e9 fi fl ff ffi ffl';
const preloadGlyphs = new Map<Face, FontkitGlyph[]>();
const MAX_CACHED_SUBSETS = 64;
const subsetCache = new Map<string, Uint8Array>();

function preload(face: Face): FontkitGlyph[] {
  let g = preloadGlyphs.get(face);
  if (!g) {
    const seen = new Set<number>();
    g = faces()[face].layout(PRELOAD_TEXT).glyphs.filter((x) => !seen.has(x.id) && (seen.add(x.id), true));
    preloadGlyphs.set(face, g);
  }
  return g;
}

/**
 * Parse the faces and shape the preloaded glyphs now (a render thread does this when it starts, so
 * its first document does not). Returns how many faces were not ready yet.
 */
export function prepareFonts(): number {
  let done = 0;
  for (const face of ['regular', 'semibold', 'italic'] as const) {
    if (preloadGlyphs.has(face)) continue;
    preload(face);
    done++;
  }
  return done;
}

/**
 * Font glyph id -> subset glyph id for the preloaded glyphs: the same in every document, because
 * every subset starts with them in the same order.
 */
const stableIds = new Map<Face, Map<number, number>>();
export function stableSubsetIds(face: Face): ReadonlyMap<number, number> {
  return stableIds.get(face) ?? new Map();
}

/** Compressed font programs, keyed by the (cached, shared) uncompressed subset bytes. */
const deflated = new WeakMap<Uint8Array, Uint8Array>();

function prepareEmbeddedFont(face: Face, f: EmbeddedFontInternals): void {
  f.layoutCache = layoutCaches[face];
  const ids = new Map<number, number>();
  for (const g of preload(face)) {
    const gid = f.subset.includeGlyph(g.id);
    ids.set(g.id, gid);
    if (f.widths[gid] == null) f.widths[gid] = g.advanceWidth * f.scale;
    if (f.unicode[gid] == null) f.unicode[gid] = g.codePoints;
  }
  if (!stableIds.has(face)) stableIds.set(face, ids);
  const subset = f.subset;
  const encode = subset.encode.bind(subset);
  subset.encode = () => {
    const key = `${face}:${subset.glyphs.join(',')}`;
    let bytes = subsetCache.get(key);
    if (!bytes) {
      bytes = encode();
      if (subsetCache.size >= MAX_CACHED_SUBSETS) subsetCache.delete(subsetCache.keys().next().value!);
      subsetCache.set(key, bytes);
    }
    return bytes;
  };
  // pdfkit deflates the font program again in every document. The first object embed() makes is
  // the font file: hand it the program already compressed (once per distinct subset).
  const embed = f.embed.bind(f);
  f.embed = () => {
    const doc = f.document as { ref(data?: Record<string, unknown>): PdfRef };
    const ref = doc.ref;
    doc.ref = (data) => {
      doc.ref = ref;
      const r = ref.call(doc, data);
      const end = r.end.bind(r);
      r.end = (chunk) => {
        if (!chunk) return end();
        let z = deflated.get(chunk);
        if (!z) {
          z = deflateSync(chunk);
          deflated.set(chunk, z);
        }
        r.compress = false;
        r.data.Filter = 'FlateDecode';
        r.data.Length1 = chunk.length;
        return end(z);
      };
      return r;
    };
    try {
      embed();
    } finally {
      delete (doc as { ref?: unknown }).ref;
    }
  };
}

/** A shaped run as pdfkit's layoutRun returns it (positions in thousandths of an em). */
export interface ShapedRun {
  glyphs: FontkitGlyph[];
  positions: GlyphPosition[];
  advanceWidth: number;
}

/**
 * Numbers ("1,615", "26.4%", "(188–268).") are most of the words a document sets that no earlier
 * document did, and fontkit's shaping costs about a tenth of a millisecond a call whatever the
 * length. For these characters (all of the Common script) Source Sans' shaping is one glyph per
 * character with pairwise kerning and nothing else (no ligature, substitution or mark positioning;
 * test/pdf/numeric-shaping.test.ts checks every triple and random longer strings against fontkit),
 * so such a run is put together from shaped single characters and the first glyph's advance of
 * each shaped pair, each shaped once per thread and checked as it is: a character or pair that
 * does not shape that way makes the word go through fontkit as before.
 */
const COMPOSABLE = /^[0-9.,%()\u2013+\- ]+$/;
const SINGLE_KEYS = ['xAdvance', 'yAdvance', 'xOffset', 'yOffset', 'advanceWidth'] as const;

/** pdfkit's layoutRun of an embedded font, or fontkit's layout of a parsed one (unscaled, for widths). */
interface Shaper {
  layoutRun(text: string): ShapedRun;
}

interface Single {
  glyph: FontkitGlyph;
  position: GlyphPosition;
}

class RunComposer {
  private readonly singles = new Map<number, Single | null>();
  /** The first glyph's x advance when followed by the second (char codes a << 16 | b); null: not composable. */
  private readonly pairs = new Map<number, number | null>();

  private single(font: Shaper, c: number): Single | null {
    let s = this.singles.get(c);
    if (s !== undefined) return s;
    const run = font.layoutRun(String.fromCharCode(c));
    const p = run.positions[0];
    s = run.glyphs.length === 1 && p && !p.xOffset && !p.yOffset && !p.yAdvance ? { glyph: run.glyphs[0]!, position: p } : null;
    this.singles.set(c, s);
    return s;
  }

  private pair(font: Shaper, a: number, b: number): number | null {
    const key = (a << 16) | b;
    let x = this.pairs.get(key);
    if (x !== undefined) return x;
    x = null;
    const sa = this.single(font, a);
    const sb = this.single(font, b);
    if (sa && sb) {
      const run = font.layoutRun(String.fromCharCode(a, b));
      const [p0, p1] = run.positions;
      if (
        run.glyphs.length === 2 &&
        run.glyphs[0]!.id === sa.glyph.id &&
        run.glyphs[1]!.id === sb.glyph.id &&
        p0 && p1 &&
        !p0.xOffset && !p0.yOffset && !p0.yAdvance && p0.advanceWidth === sa.position.advanceWidth &&
        SINGLE_KEYS.every((k) => p1[k] === sb.position[k])
      ) x = p0.xAdvance;
    }
    this.pairs.set(key, x);
    return x;
  }

  /** The run fontkit would shape for `text` (via pdfkit's layoutRun), or null if it cannot be composed. */
  compose(font: Shaper, text: string): ShapedRun | null {
    if (!text || !COMPOSABLE.test(text)) return null;
    const glyphs: FontkitGlyph[] = [];
    const positions: GlyphPosition[] = [];
    let advanceWidth = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const s = this.single(font, c);
      if (!s) return null;
      const xAdvance = i + 1 < text.length ? this.pair(font, c, text.charCodeAt(i + 1)) : s.position.xAdvance;
      if (xAdvance === null) return null;
      glyphs.push(s.glyph);
      positions.push({ xAdvance, yAdvance: 0, xOffset: 0, yOffset: 0, advanceWidth: s.position.advanceWidth });
      advanceWidth += xAdvance;
    }
    return { glyphs, positions, advanceWidth };
  }
}

const composers: Record<Face, RunComposer> = { regular: new RunComposer(), semibold: new RunComposer(), italic: new RunComposer() };

/**
 * Shape one word (no spaces inside, perhaps one trailing) as pdfkit's `layoutRun` does, uncached:
 * numbers are put together from shaped characters and pairs (see RunComposer), anything else goes
 * through fontkit.
 */
export function shapeRun(face: Face, font: EmbeddedFontInternals, text: string): ShapedRun {
  return composers[face].compose(font, text) ?? font.layoutRun(text);
}

/** The composed run of a number, or null where it goes through fontkit (for tests). */
export function composedRun(face: Face, font: EmbeddedFontInternals, text: string): ShapedRun | null {
  return composers[face].compose(font, text);
}

/** The characters numbers are composed from (for tests). */
export const COMPOSABLE_CHARS = '0123456789.,%()\u2013+- ';

/** The faces as opened in one document (after registerFonts). */
export type DocumentFonts = Record<Face, EmbeddedFontInternals>;

/**
 * Register the faces on a document created with `font: null` (so pdfkit loads no AFM default) and
 * select the regular face. Each face is opened once per document; its layout cache and subset
 * font program are shared across the thread's documents.
 */
export function registerFonts(doc: PDFKit.PDFDocument): DocumentFonts {
  const f = faces();
  if (++registrations % 64 === 0) {
    for (const face of Object.keys(layoutCaches) as Face[]) {
      if (Object.keys(layoutCaches[face]).length > MAX_CACHED_RUNS) layoutCaches[face] = Object.create(null);
    }
  }
  const opened = {} as DocumentFonts;
  for (const face of ['semibold', 'italic', 'regular'] as const) {
    // pdfkit accepts a parsed fontkit font (anything with a layout function) as a font source.
    doc.registerFont(FONT[face], f[face] as unknown as PDFKit.Mixins.PDFFontSource);
    doc.font(FONT[face]);
    opened[face] = (doc as unknown as { _font: EmbeddedFontInternals })._font;
    prepareEmbeddedFont(face, opened[face]);
  }
  return opened;
}

/** Composers over the parsed fonts (font units), for the widths charts measure. */
const unscaledComposers: Record<Face, RunComposer> = { regular: new RunComposer(), semibold: new RunComposer(), italic: new RunComposer() };
const unscaled: Partial<Record<Face, Shaper>> = {};

/** Width in points of `text` set in `face` at `size` (cached; numbers composed as in shapeRun). */
const widthCache = new Map<string, number>();
export function textWidth(text: string, size: number, face: Face = 'regular'): number {
  const key = `${face}\u0000${text}`;
  let w = widthCache.get(key);
  if (w === undefined) {
    const font = faces()[face];
    const shaper = (unscaled[face] ??= { layoutRun: (t: string) => font.layout(t) as unknown as ShapedRun });
    w = (unscaledComposers[face].compose(shaper, text) ?? font.layout(text)).advanceWidth / font.unitsPerEm;
    if (widthCache.size > MAX_CACHED_RUNS) widthCache.clear();
    widthCache.set(key, w);
  }
  return w * size;
}

/** The face to use for a font-weight / font-style pair from an SVG or a Vega text item. */
export function faceFor(weight: unknown, italic = false): Face {
  if (italic) return 'italic';
  const w = typeof weight === 'number' ? weight : String(weight ?? '');
  if (w === 'bold' || w === 'bolder' || (typeof w === 'number' && w >= 600) || Number(w) >= 600) return 'semibold';
  return 'regular';
}

