/**
 * Page layout on pdfkit for the school profile and the fair-access report: an A4 writer that keeps
 * a cursor, breaks pages before blocks that would not fit, and tags everything it draws for
 * assistive technology (tagged PDF: Document > H1/H2/H3, P, Figure with alt text and bounding box,
 * Table > TR > TH/TD, L > LI; decoration and page furniture marked as artifacts).
 *
 * Output is deterministic: the creation date is fixed by the caller (from the data period, not
 * the clock) and the file ID is derived from the document's own metadata, so the same input gives
 * the same bytes.
 */
import type { Chart } from './charts.ts';
import { registerFonts, type Face } from './fonts.ts';
import { PdfCanvasContext } from './pdf-canvas.ts';
import { collected, createCollectedDocument } from './pdfkit-output.ts';
import { TextSetter, rgbOf } from './text-setter.ts';

export const PAGE = { width: 595.28, height: 841.89 } as const;
export const MARGIN = { top: 42, bottom: 54, left: 40, right: 40 } as const;

export const INK = '#1b1b1b';
export const MUTED = '#505a5f';
export const ACCENT = '#12436d';
export const RULE = '#b1b4b6';
export const PANEL = '#f3f2f1';
export const TILE = '#eaf0f6';

export interface DocMeta {
  title: string;
  subject: string;
  author: string;
  keywords?: string;
  /** Left-hand footer text on every page; `footerLead` (e.g. a long school name) goes first and is shortened to fit. */
  footer: string;
  footerLead?: string;
  /** Feeds the deterministic file identifier. */
  idSeed?: string;
  /**
   * The date written as the creation date. Fixed by the caller (from the data period) rather than
   * the clock, so that re-rendering the same document gives identical bytes.
   */
  date: Date;
}

export interface FigureBox {
  /** 0-based page index. */
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
  alt: string;
  /** The chart drawn there: its kind and the rows it was drawn from. */
  chart: { kind: string; data: Readonly<Record<string, readonly object[]>> };
}

export interface Column {
  header: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

export interface TextOptions {
  size?: number;
  face?: Face;
  color?: string;
  x?: number;
  width?: number;
  lineGap?: number;
  align?: 'left' | 'right' | 'center' | 'justify';
  /** Space after, in points. */
  after?: number;
  /** Structure type (default P). */
  tag?: string;
  /** Make the whole text a link to this named destination (see `destination`). */
  goTo?: string;
}

/** How a lead-in paragraph splits (see Writer.splitLead). */
interface LeadSplit {
  leadW: number;
  first: string;
  rest: string;
  more: boolean;
}

export interface TableOptions {
  size?: number;
  /** Vertical padding inside each row. */
  pad?: number;
  zebra?: boolean;
  /** Cells to print in the muted colour (e.g. suppressed or unreliable rows). */
  muted?: (row: number, col: number) => boolean;
  /** Cells to print in semibold. */
  strong?: (row: number, col: number) => boolean;
  x?: number;
  /** Move the whole table to the next page rather than split it (when it fits on one page). */
  keepTogether?: boolean;
}

export interface ListItem {
  text: string;
  /** Optional semibold lead-in printed before the text on the same line. */
  lead?: string;
}

type StructEl = PDFKit.PDFStructureElement;

const FOOTER_SIZE = 7.5;

/**
 * Wrapped lines and lead-in splits, per thread: pure functions of the text, face, size and width
 * (word widths from the embedded font), so any document may reuse another's. A block is wrapped to
 * measure it and again to draw it, and most of a profile's texts (the explanations, the method, the
 * pen portraits) recur in every school's document: on bench documents 89% of the texts a document
 * wraps were wrapped by an earlier one. Bounded: emptied when full.
 */
const MAX_REMEMBERED = 20_000;

/**
 * Values by their settings (a face or lead-in, a size, a width) and then by the text itself, in
 * nested maps. Looking a long text up by itself reuses the hash V8 keeps on the string (a block is
 * measured and then drawn with the same string); a key string joining settings and text was a new
 * string to build (numbers written out) and hash in full on every call.
 */
class TextCache<T> {
  private readonly bySettings = new Map<string, Map<number, Map<number, Map<string, T>>>>();
  private size = 0;
  get(name: string, size: number, width: number, text: string): T | undefined {
    return this.bySettings.get(name)?.get(size)?.get(width)?.get(text);
  }
  set(name: string, size: number, width: number, text: string, value: T): void {
    if (this.size >= MAX_REMEMBERED) {
      this.bySettings.clear();
      this.size = 0;
    }
    let bySize = this.bySettings.get(name);
    if (!bySize) this.bySettings.set(name, (bySize = new Map()));
    let byWidth = bySize.get(size);
    if (!byWidth) bySize.set(size, (byWidth = new Map()));
    let byText = byWidth.get(width);
    if (!byText) byWidth.set(width, (byText = new Map()));
    if (!byText.has(text)) this.size++;
    byText.set(text, value);
  }
}
const wrapped = new TextCache<string[]>();
const leadSplits = new TextCache<LeadSplit>();

/** The first line of a lead-in paragraph, with a trailing space when more text follows. */
const rest0 = (first: string, more: boolean) => (more ? `${first} ` : first);

export class Writer {
  readonly doc: PDFKit.PDFDocument;
  readonly root: StructEl;
  readonly figures: FigureBox[] = [];
  y: number = MARGIN.top;
  page = 0;
  private readonly ended: Promise<Uint8Array>;
  private readonly meta: DocMeta;
  /** Sets every line of text (see text-setter.ts). */
  readonly text: TextSetter;

  constructor(meta: DocMeta) {
    this.meta = meta;
    const info: Record<string, unknown> = {
      Title: meta.title,
      Author: meta.author,
      Subject: meta.subject,
      Keywords: meta.keywords ?? '',
      Creator: 'catchment',
      Producer: 'catchment (pdfkit)',
      CreationDate: meta.date,
      IdSeed: meta.idSeed ?? meta.title,
    };
    this.doc = createCollectedDocument({
      size: 'A4',
      margins: { ...MARGIN },
      pdfVersion: '1.7',
      tagged: true,
      lang: 'en-GB',
      displayTitle: true,
      bufferPages: true,
      // No default font: pdfkit would otherwise load its built-in Helvetica AFM data.
      font: null as unknown as string,
      info: info as PDFKit.DocumentInfo,
    });
    const docInfo = this.doc.info as unknown as Record<string, unknown>;
    delete docInfo.IdSeed; // only feeds the file ID
    this.ended = new Promise((resolve, reject) => {
      this.doc.on('end', () => resolve(collected(this.doc)));
      this.doc.on('error', reject);
    });
    this.text = new TextSetter(this.doc, registerFonts(this.doc));
    this.root = this.doc.struct('Document');
    this.doc.addStructure(this.root);
  }

  get left(): number {
    return MARGIN.left;
  }
  get right(): number {
    return PAGE.width - MARGIN.right;
  }
  get width(): number {
    return this.right - this.left;
  }
  get bottom(): number {
    return PAGE.height - MARGIN.bottom;
  }
  get remaining(): number {
    return this.bottom - this.y;
  }

  newPage(): void {
    this.doc.addPage();
    this.page++;
    this.y = MARGIN.top;
  }

  /** A named destination at the cursor (the target of a `goTo` link). */
  destination(name: string): void {
    this.doc.addNamedDestination(name, 'XYZ', this.left, this.y, null);
  }

  /** Start a new page unless `h` points fit below the cursor. */
  ensure(h: number): void {
    if (this.y + h > this.bottom && this.y > MARGIN.top + 1) this.newPage();
  }

  space(h: number): void {
    this.y += h;
  }

  /** Draw decoration that assistive technology should skip. */
  artifact(draw: () => void, type: 'Layout' | 'Pagination' = 'Layout'): void {
    this.doc.markContent('Artifact', { type });
    draw();
    this.doc.endMarkedContent();
  }

  /** Add a structure element whose content is drawn by `draw`. */
  tagged(type: string, draw: () => void, parent: StructEl = this.parent, options: Record<string, unknown> = {}): StructEl {
    const el = this.doc.struct(type, options as PDFKit.Mixins.StructureElementOptions);
    parent.add(el);
    el.add(draw);
    el.end();
    return el;
  }

  /**
   * Break text into lines that fit `width` in `face` at `size`: greedy, at spaces (and newlines),
   * splitting a word only when it is wider than the line. Word widths come from the text setter's
   * cache, so this is much cheaper than pdfkit's Unicode line breaker. Plain English text needs
   * nothing more.
   */
  private wrap(text: string, width: number, face: Face, size: number): string[] {
    const known = wrapped.get(face, size, width, text);
    if (known) return known;
    const ts = this.text;
    const lines: string[] = [];
    const space = ts.width(' ', face, size);
    for (const para of text.split('\n')) {
      let line = '';
      let lineW = 0;
      for (const word of para.split(' ')) {
        if (!word) continue;
        const w = ts.width(word, face, size);
        if (line && lineW + space + w <= width) {
          line += ` ${word}`;
          lineW += space + w;
          continue;
        }
        if (line) lines.push(line);
        if (w <= width) {
          line = word;
          lineW = w;
          continue;
        }
        // A word wider than the line: split it by characters.
        let part = '';
        for (const ch of word) {
          if (part && ts.width(part + ch, face, size) > width) {
            lines.push(part);
            part = '';
          }
          part += ch;
        }
        line = part;
        lineW = ts.width(part, face, size);
      }
      lines.push(line);
    }
    wrapped.set(face, size, width, text, lines);
    return lines;
  }

  /** Height of `text` wrapped to `width`. */
  measure(text: string, o: TextOptions = {}): number {
    const face = o.face ?? 'regular';
    const size = o.size ?? 9.5;
    const lines = this.wrap(text, o.width ?? this.width, face, size);
    return lines.length * (this.text.lineHeight(face, size) + (o.lineGap ?? 1.5));
  }

  /**
   * Draw text at an absolute position (no cursor change), wrapped to `width`; returns its height.
   * Each line is placed directly (aligned here), so pdfkit's line wrapper and its automatic page
   * breaks never run.
   */
  textAt(text: string, x: number, y: number, o: TextOptions = {}): number {
    const face = o.face ?? 'regular';
    const size = o.size ?? 9.5;
    const rgb = rgbOf(o.color ?? INK);
    const width = o.width ?? this.right - x;
    const lineH = this.text.lineHeight(face, size) + (o.lineGap ?? 1.5);
    const align = o.align ?? 'left';
    const lines = this.wrap(text, width, face, size);
    lines.forEach((line, i) => {
      if (!line) return;
      const tw = align === 'left' || align === 'justify' ? 0 : this.text.width(line, face, size);
      const ax = align === 'right' ? x + width - tw : align === 'center' ? x + (width - tw) / 2 : x;
      // A trailing space on wrapped lines keeps words apart when the text is extracted or read
      // aloud (each line is its own text run); it is invisible on the page.
      this.text.line(i < lines.length - 1 || text.endsWith(' ') ? `${line} ` : line, ax, y + i * lineH, face, size, rgb);
    });
    return lines.length * lineH;
  }

  /** A paragraph at the cursor (page break first if it would not fit). */
  paragraph(text: string, o: TextOptions = {}, parent: StructEl = this.parent): void {
    const x = o.x ?? this.left;
    const width = o.width ?? this.right - x;
    const h = this.measure(text, { ...o, width });
    this.ensure(h);
    const y = this.y;
    this.tagged(o.tag ?? 'P', () => this.textAt(text, x, y, { ...o, width }), parent);
    if (o.goTo) this.doc.goTo(x, y, width, h, o.goTo);
    this.y += h + (o.after ?? 5);
  }

  /** A row of key-fact tiles: a large value over a short label, each a tagged paragraph. */
  keyFacts(tiles: { value: string; label: string }[]): void {
    const gap = 6;
    const tw = (this.width - gap * (tiles.length - 1)) / tiles.length;
    const th = 42;
    this.ensure(th);
    const y = this.y;
    tiles.forEach((t, i) => {
      const x = this.left + i * (tw + gap);
      this.artifact(() => {
        this.doc.save().rect(x, y, tw, th).fill(TILE).restore();
      });
      this.tagged('P', () => {
        this.textAt(`${t.value} `, x + 8, y + 6, { size: 16, face: 'semibold', color: ACCENT, width: tw - 16, lineGap: 0 });
        this.textAt(t.label, x + 8, y + 24, { size: 7.5, width: tw - 16, lineGap: 0 });
      });
    });
    this.y += th + 4;
  }

  /** A heading; `keep` reserves room for what follows so a heading never ends a page. */
  heading(level: 1 | 2 | 3, text: string, keep = 60): void {
    const size = level === 1 ? 20 : level === 2 ? 13 : 10.5;
    const before = level === 1 ? 0 : level === 2 ? 10 : 6;
    const color = level === 3 ? INK : ACCENT;
    const h = this.measure(text, { size, face: 'semibold', lineGap: 0 });
    if (this.y > MARGIN.top + 1) this.y += before;
    this.ensure(h + keep);
    const y = this.y;
    this.tagged(`H${level}`, () => this.textAt(text, this.left, y, { size, face: 'semibold', color, lineGap: 0 }));
    if (level <= 2) this.doc.outline.addItem(text);
    this.y += h + (level === 1 ? 6 : level === 2 ? 5 : 3);
  }

  /** A chart as a tagged Figure with alt text; records its box for tests. */
  figure(chart: Chart, alt: string, o: { x?: number; parent?: StructEl } = {}): FigureBox {
    this.ensure(chart.height);
    const x = o.x ?? this.left;
    const y = this.y;
    const box: FigureBox = { page: this.page, x, y, width: chart.width, height: chart.height, alt, chart: { kind: chart.kind, data: chart.data } };
    this.tagged(
      'Figure',
      () => {
        const ctx = new PdfCanvasContext(this.doc, this.text);
        ctx.save();
        ctx.translate(x, y);
        chart.draw(ctx);
        ctx.restore();
      },
      o.parent ?? this.parent,
      { alt, bbox: [x, y, x + chart.width, y + chart.height], placement: 'Block' },
    );
    this.figures.push(box);
    this.y += chart.height;
    return box;
  }

  /** Height of a table drawn with `table` (header and rows), to keep what comes before it on its page. */
  measureTable(columns: readonly Column[], rows: readonly (readonly string[])[], o: TableOptions = {}): number {
    const size = o.size ?? 8.5;
    const pad = o.pad ?? 3;
    const cellPad = 4;
    const heightOf = (cells: readonly string[], face: Face) =>
      Math.max(...cells.map((t, i) => this.measure(t, { size, face, width: columns[i]!.width - 2 * cellPad, lineGap: 0.5 }))) + 2 * pad;
    return heightOf(columns.map((c) => c.header), 'semibold') + rows.reduce((h, r) => h + heightOf(r, 'regular'), 0);
  }

  /** A table with a header row (repeated after a page break). Cells are plain strings. */
  table(columns: readonly Column[], rows: readonly (readonly string[])[], o: TableOptions = {}): void {
    const size = o.size ?? 8.5;
    const pad = o.pad ?? 3;
    const x0 = o.x ?? this.left;
    const total = columns.reduce((s, c) => s + c.width, 0);
    const cellPad = 4;
    const heightOf = (cells: readonly string[], face: Face) =>
      Math.max(...cells.map((t, i) => this.measure(t, { size, face, width: columns[i]!.width - 2 * cellPad, lineGap: 0.5 }))) + 2 * pad;

    const table = this.doc.struct('Table');
    this.parent.add(table);
    const headerH = heightOf(
      columns.map((c) => c.header),
      'semibold',
    );
    const drawHeader = () => {
      const y = this.y;
      this.artifact(() => {
        this.doc.save().rect(x0, y, total, headerH).fill(TILE).restore();
      });
      const tr = this.doc.struct('TR');
      table.add(tr);
      let x = x0;
      columns.forEach((c) => {
        const cx = x;
        const th = this.doc.struct('TH', { scope: 'Column' } as PDFKit.Mixins.StructureElementOptions);
        tr.add(th);
        th.add(() => this.textAt(c.header, cx + cellPad, y + pad, { size, face: 'semibold', width: c.width - 2 * cellPad, align: c.align ?? 'left', lineGap: 0.5 }));
        th.end();
        x += c.width;
      });
      tr.end();
      this.y += headerH;
    };
    if (o.keepTogether) {
      const all = headerH + rows.reduce((s, row) => s + heightOf(row, 'regular'), 0);
      if (all <= this.bottom - MARGIN.top) this.ensure(all);
    }
    this.ensure(headerH + heightOf(rows[0] ?? [], 'regular'));
    drawHeader();
    rows.forEach((row, r) => {
      const h = heightOf(row, 'regular');
      if (this.y + h > this.bottom) {
        this.newPage();
        drawHeader();
      }
      const y = this.y;
      if (o.zebra !== false && r % 2 === 1) {
        this.artifact(() => {
          this.doc.save().rect(x0, y, total, h).fill('#f7f7f6').restore();
        });
      }
      const tr = this.doc.struct('TR');
      table.add(tr);
      let x = x0;
      row.forEach((cell, c) => {
        const col = columns[c]!;
        const cx = x;
        const td = this.doc.struct('TD');
        tr.add(td);
        const face: Face = o.strong?.(r, c) ? 'semibold' : 'regular';
        const color = o.muted?.(r, c) ? MUTED : INK;
        td.add(() => this.textAt(cell, cx + cellPad, y + pad, { size, face, color, width: col.width - 2 * cellPad, align: col.align ?? 'left', lineGap: 0.5 }));
        td.end();
        x += col.width;
      });
      tr.end();
      this.y += h;
    });
    const yEnd = this.y;
    this.artifact(() => {
      this.doc.save().moveTo(x0, yEnd).lineTo(x0 + total, yEnd).lineWidth(0.6).strokeColor(RULE).stroke().restore();
    });
    table.end();
    this.y += 6;
  }

  /**
   * How a lead-in paragraph splits: the words that fit on the first line after the semibold
   * `lead`, and the rest (wrapped as an ordinary paragraph below it).
   */
  private splitLead(lead: string, text: string, size: number, width: number): LeadSplit {
    let split = leadSplits.get(lead, size, width, text);
    if (!split) {
      split = this.splitLeadOnce(lead, text, size, width);
      leadSplits.set(lead, size, width, text, split);
    }
    return split;
  }

  private splitLeadOnce(lead: string, text: string, size: number, width: number): LeadSplit {
    const ts = this.text;
    const leadW = ts.width(`${lead} `, 'semibold', size);
    const words = text.trimStart().split(' ');
    // Measured as set: each word shaped with its trailing space (kerning against the space counts).
    let i = 0;
    let before = 0;
    for (; i < words.length; i++) {
      if (before + ts.width(words[i]!, 'regular', size) > width - leadW) break;
      before += ts.width(`${words[i]} `, 'regular', size);
    }
    return { leadW, first: words.slice(0, i).join(' '), rest: words.slice(i).join(' '), more: i < words.length };
  }

  /**
   * A paragraph whose first words (`lead`) are semibold, wrapped as one text: the lead is set on
   * the first line and the rest flows after it.
   */
  private leadText(lead: string | undefined, text: string, x: number, y: number, size: number, width: number): number {
    if (!lead) return this.textAt(text, x, y, { size, width });
    const { leadW, first, rest, more } = this.splitLead(lead, text, size, width);
    const lineH = this.text.lineHeight('semibold', size) + 1.5;
    const ink = rgbOf(INK);
    this.text.line(`${lead} `, x, y, 'semibold', size, ink);
    if (first) this.text.line(rest0(first, more), x + leadW, y, 'regular', size, ink);
    const h = rest ? this.textAt(rest, x, y + lineH, { size, width }) : 0;
    return lineH + h;
  }

  /** Height of a lead-in paragraph (see leadText). */
  private measureLead(lead: string | undefined, text: string, size: number, width: number): number {
    if (!lead) return this.measure(text, { size, width });
    const { rest } = this.splitLead(lead, text, size, width);
    const lineH = this.text.lineHeight('semibold', size) + 1.5;
    return lineH + (rest ? this.measure(rest, { size, width }) : 0);
  }

  /** Height a list() of these items will take. */
  measureList(items: readonly ListItem[], size: number, width: number): number {
    return items.reduce((h, it) => h + this.measureLead(it.lead, it.text, size, width - 10) + 3, 0);
  }

  /** A bulleted list (L > LI > Lbl + LBody). */
  list(items: readonly ListItem[], o: { size?: number; x?: number; width?: number; parent?: StructEl; after?: number } = {}): void {
    const size = o.size ?? 9.5;
    const x = o.x ?? this.left;
    const width = o.width ?? this.right - x;
    const indent = 10;
    const list = this.doc.struct('L');
    (o.parent ?? this.parent).add(list);
    for (const it of items) {
      const h = this.measureLead(it.lead, it.text, size, width - indent);
      this.ensure(h);
      const y = this.y;
      const li = this.doc.struct('LI');
      list.add(li);
      li.add(this.doc.struct('Lbl', {}, () => this.textAt('\u2022', x, y, { size, color: ACCENT, width: indent })));
      li.add(
        this.doc.struct('LBody', {}, () => this.leadText(it.lead, it.text, x + indent, y, size, width - indent)),
      );
      li.end();
      this.y += h + 3;
    }
    list.end();
    this.y += o.after ?? 3;
  }

  /**
   * A shaded panel with a heading and content. `content` draws at the cursor inside the panel
   * (using a narrower width); the panel is sized by measuring first (`measureContent`).
   */
  panel(title: string, measureContent: (width: number) => number, content: (x: number, width: number) => void, o: { fill?: string; keepTogether?: boolean; destination?: string } = {}): void {
    const padX = 12;
    const padY = 10;
    const innerW = this.width - 2 * padX;
    const titleH = this.measure(title, { size: 11, face: 'semibold', width: innerW, lineGap: 0 });
    const h = padY + titleH + 5 + measureContent(innerW) + padY;
    if (o.keepTogether !== false) this.ensure(h);
    const y0 = this.y;
    if (o.destination) this.destination(o.destination);
    this.artifact(() => {
      this.doc.save().rect(this.left, y0, this.width, h).fill(o.fill ?? PANEL).restore();
      this.doc.save().rect(this.left, y0, 3, h).fill(ACCENT).restore();
    });
    const sect = this.doc.struct('Sect');
    this.root.add(sect);
    const ty = y0 + padY;
    sect.add(this.doc.struct('H2', {}, () => this.textAt(title, this.left + padX, ty, { size: 11, face: 'semibold', color: ACCENT, width: innerW, lineGap: 0 })));
    this.doc.outline.addItem(title);
    this.y = ty + titleH + 5;
    this.currentParent = sect;
    try {
      content(this.left + padX, innerW);
    } finally {
      this.currentParent = null;
    }
    sect.end();
    this.y = y0 + h + 8;
  }

  /** Structure parent for content drawn inside a panel. */
  currentParent: StructEl | null = null;
  get parent(): StructEl {
    return this.currentParent ?? this.root;
  }

  /** `text` shortened with an ellipsis to fit `width` in `face` at `size`. */
  fit(text: string, width: number, face: Face = 'regular', size: number = FOOTER_SIZE): string {
    const w = (t: string) => this.text.width(t, face, size);
    if (w(text) <= width) return text;
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (w(`${text.slice(0, mid).trimEnd()}\u2026`) <= width) lo = mid;
      else hi = mid - 1;
    }
    return `${text.slice(0, lo).trimEnd()}\u2026`;
  }

  /** Footers on every page, then the finished PDF bytes. */
  async finish(): Promise<Uint8Array> {
    const range = this.doc.bufferedPageRange();
    const total = range.count;
    this.finalPages = total;
    for (let i = range.start; i < range.start + total; i++) {
      this.doc.switchToPage(i);
      const saved = this.doc.page.margins.bottom;
      this.doc.page.margins.bottom = 0; // footer sits in the margin: stop pdfkit adding a page
      const y = PAGE.height - MARGIN.bottom + 18;
      this.artifact(() => {
        this.doc.save().moveTo(this.left, y - 5).lineTo(this.right, y - 5).lineWidth(0.5).strokeColor(RULE).stroke().restore();
        const muted = rgbOf(MUTED);
        const tail = this.meta.footer;
        const lead = this.meta.footerLead ? this.fit(this.meta.footerLead, Math.max(60, this.width - 90 - this.text.width(tail, 'regular', FOOTER_SIZE))) : '';
        this.text.line(this.fit(lead + tail, this.width - 90), this.left, y, 'regular', FOOTER_SIZE, muted);
        const pageNo = `Page ${i - range.start + 1} of ${total}`;
        this.text.line(pageNo, this.right - this.text.width(pageNo, 'regular', FOOTER_SIZE), y, 'regular', FOOTER_SIZE, muted);
      }, 'Pagination');
      this.doc.page.margins.bottom = saved;
    }
    this.root.end();
    this.doc.end();
    return this.ended;
  }

  private finalPages = 0;
  /** Number of pages (after finish()). */
  get pageCount(): number {
    return this.finalPages || this.doc.bufferedPageRange().count;
  }
}
