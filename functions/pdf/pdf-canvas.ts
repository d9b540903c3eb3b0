/**
 * The slice of the HTML canvas 2D context that Vega's canvas renderer draws with, writing PDF
 * operators into a pdfkit page instead of pixels. Vega's own mark drawing code (vega-scenegraph's
 * Marks) walks the scenegraph and calls these methods, so the chart is drawn from the scenegraph
 * directly: no SVG string is written and parsed again (that round trip through svg-to-pdfkit was
 * the largest single cost of a profile PDF).
 *
 * Paths are collected as PDF path operators and emitted with their paint operator, since a canvas
 * path can be filled and then stroked while a PDF path is consumed by its first paint. As on a
 * canvas, a point is placed by the transform in force when it is added (Vega translates to an
 * item, builds its path, translates back, then fills), so the context keeps the transform itself
 * and writes points already transformed; save/restore still write q/Q for clips. Text goes
 * to the text setter with the face and size parsed from the CSS font string Vega sets. Anything a
 * chart here never uses (gradients, images, stroked text) throws rather than drawing wrongly.
 */
import { faceFor, type Face } from './fonts.ts';
import { num, rgbOf, type TextSetter } from './text-setter.ts';

interface PaintState {
  fill: string | null;
  stroke: string | null;
  fillAlpha: number;
  strokeAlpha: number;
  line: string | null;
}

/** Nothing written yet: the first paint writes its colour, alpha and line style. */
const UNKNOWN: PaintState = { fill: null, stroke: null, fillAlpha: Number.NaN, strokeAlpha: Number.NaN, line: null };

const KAPPA_ARC = 4 / 3; // cubic Bezier control length factor: k = 4/3 * tan(theta / 4)

const fontCache = new Map<string, { face: Face; size: number }>();

/** "italic bold 9px Source Sans 3" -> face and size (Vega writes style, variant, weight, size, family). */
export function parseCssFont(font: string): { face: Face; size: number } {
  let f = fontCache.get(font);
  if (!f) {
    const size = /([\d.]+)px/.exec(font);
    const italic = /\b(italic|oblique)\b/.test(font);
    const weight = /\b(bold(?:er)?|[1-9]00)\b/.exec(font)?.[1];
    f = { face: faceFor(weight ?? 'normal', italic), size: size ? Number(size[1]) : 10 };
    fontCache.set(font, f);
  }
  return f;
}

export class PdfCanvasContext {
  // Canvas state Vega sets before it paints.
  fillStyle: unknown = '#000000';
  strokeStyle: unknown = '#000000';
  globalAlpha = 1;
  lineWidth = 1;
  lineCap: CanvasLineCap = 'butt';
  lineJoin: CanvasLineJoin = 'miter';
  miterLimit = 10;
  lineDashOffset = 0;
  font = '10px sans-serif';
  textAlign: CanvasTextAlign = 'start';
  textBaseline: CanvasTextBaseline = 'alphabetic';
  globalCompositeOperation = 'source-over';
  /** Vega reads this when picking; 1 is right for vector output. */
  pixelRatio = 1;

  private dash: number[] = [];
  private lineKey: { width: number; cap: string; join: string; miter: number; offset: number; dash: number[]; text: string } | null = null;
  private path = '';
  private x0 = 0;
  private y0 = 0;
  private cx = 0;
  private cy = 0;
  private hasPoint = false;
  /** What has been written to the content stream, so unchanged state is not written again. */
  private state: PaintState = { ...UNKNOWN };
  private readonly stack: PaintState[] = [];
  private out: string[] = [];
  /** Current transform [a b c d e f]: x' = a x + c y + e, y' = b x + d y + f. */
  private m: number[] = [1, 0, 0, 1, 0, 0];
  private readonly mStack: number[][] = [];

  constructor(
    private readonly doc: PDFKit.PDFDocument,
    private readonly text: TextSetter,
  ) {}

  /** Write what has been collected to the page (call when the chart is drawn). */
  flush(): void {
    if (this.out.length) this.doc.addContent(this.out.join('\n'));
    this.out = [];
  }

  // -------------------------------------------------------------------------------- transform
  save(): void {
    this.out.push('q');
    this.stack.push({ ...this.state });
    this.mStack.push([...this.m]);
  }
  restore(): void {
    this.out.push('Q');
    this.state = this.stack.pop() ?? { ...UNKNOWN };
    this.m = this.mStack.pop() ?? [1, 0, 0, 1, 0, 0];
  }
  translate(x: number, y: number): void {
    const m = this.m;
    m[4] += m[0]! * x + m[2]! * y;
    m[5] += m[1]! * x + m[3]! * y;
  }
  rotate(radians: number): void {
    if (!radians) return;
    const [a, b, c, d] = this.m as [number, number, number, number];
    const cos = Math.cos(radians);
    const sin = Math.sin(radians);
    this.m[0] = a * cos + c * sin;
    this.m[1] = b * cos + d * sin;
    this.m[2] = c * cos - a * sin;
    this.m[3] = d * cos - b * sin;
  }
  scale(): void {
    throw new Error('chart drawing: scale is not supported');
  }
  setTransform(): void {
    throw new Error('chart drawing: setTransform is not supported');
  }

  /** A point in the chart's base coordinates, written for the path. */
  private pt(x: number, y: number): string {
    const m = this.m;
    return `${num(m[0]! * x + m[2]! * y + m[4]!)} ${num(m[1]! * x + m[3]! * y + m[5]!)}`;
  }

  // ------------------------------------------------------------------------------------- path
  beginPath(): void {
    this.path = '';
    this.hasPoint = false;
  }
  moveTo(x: number, y: number): void {
    this.path += `${this.pt(x, y)} m\n`;
    this.x0 = this.cx = x;
    this.y0 = this.cy = y;
    this.hasPoint = true;
  }
  lineTo(x: number, y: number): void {
    if (!this.hasPoint) return this.moveTo(x, y);
    this.path += `${this.pt(x, y)} l\n`;
    this.cx = x;
    this.cy = y;
  }
  bezierCurveTo(c1x: number, c1y: number, c2x: number, c2y: number, x: number, y: number): void {
    if (!this.hasPoint) this.moveTo(c1x, c1y);
    this.path += `${this.pt(c1x, c1y)} ${this.pt(c2x, c2y)} ${this.pt(x, y)} c\n`;
    this.cx = x;
    this.cy = y;
  }
  quadraticCurveTo(qx: number, qy: number, x: number, y: number): void {
    if (!this.hasPoint) this.moveTo(qx, qy);
    // The cubic with the same curve: control points 2/3 of the way to the quadratic's.
    const c1x = this.cx + (2 / 3) * (qx - this.cx);
    const c1y = this.cy + (2 / 3) * (qy - this.cy);
    const c2x = x + (2 / 3) * (qx - x);
    const c2y = y + (2 / 3) * (qy - y);
    this.bezierCurveTo(c1x, c1y, c2x, c2y, x, y);
  }
  /** Canvas arc(): a line to its start, then cubic Beziers of at most a quarter turn each. */
  arc(x: number, y: number, r: number, a0: number, a1: number, ccw = false): void {
    const TAU = 2 * Math.PI;
    let sweep = a1 - a0;
    if (!ccw && sweep < 0) sweep = (sweep % TAU) + TAU;
    if (ccw && sweep > 0) sweep = (sweep % TAU) - TAU;
    if (Math.abs(a1 - a0) >= TAU) sweep = ccw ? -TAU : TAU;
    const sx = x + r * Math.cos(a0);
    const sy = y + r * Math.sin(a0);
    if (this.hasPoint) this.lineTo(sx, sy);
    else this.moveTo(sx, sy);
    if (r <= 0 || sweep === 0) return;
    const n = Math.ceil(Math.abs(sweep) / (Math.PI / 2) - 1e-9);
    const step = sweep / n;
    const k = KAPPA_ARC * Math.tan(step / 4);
    let a = a0;
    for (let i = 0; i < n; i++) {
      const b = a + step;
      const cosA = Math.cos(a);
      const sinA = Math.sin(a);
      const cosB = Math.cos(b);
      const sinB = Math.sin(b);
      this.bezierCurveTo(x + r * (cosA - k * sinA), y + r * (sinA + k * cosA), x + r * (cosB + k * sinB), y + r * (sinB - k * cosB), x + r * cosB, y + r * sinB);
      a = b;
    }
  }
  arcTo(): void {
    throw new Error('chart drawing: arcTo is not supported');
  }
  rect(x: number, y: number, w: number, h: number): void {
    const m = this.m;
    if (m[1] === 0 && m[2] === 0) {
      this.path += `${this.pt(x, y)} ${num(w * m[0]!)} ${num(h * m[3]!)} re\n`;
      this.x0 = this.cx = x;
      this.y0 = this.cy = y;
      this.hasPoint = true;
    } else {
      this.moveTo(x, y);
      this.lineTo(x + w, y);
      this.lineTo(x + w, y + h);
      this.lineTo(x, y + h);
      this.closePath();
    }
  }
  closePath(): void {
    if (!this.hasPoint) return;
    this.path += 'h\n';
    this.cx = this.x0;
    this.cy = this.y0;
  }

  // ------------------------------------------------------------------------------------ paint
  private colour(style: unknown): string {
    if (typeof style !== 'string') throw new Error('chart drawing: only plain colours are supported (no gradients or patterns)');
    return rgbOf(style);
  }

  private alpha(kind: 'fill' | 'stroke'): void {
    const a = Math.max(0, Math.min(1, this.globalAlpha));
    const key = kind === 'fill' ? 'fillAlpha' : 'strokeAlpha';
    if (this.state[key] === a) return;
    this.flush();
    if (kind === 'fill') this.doc.fillOpacity(a);
    else this.doc.strokeOpacity(a);
    this.state[key] = a;
  }

  fill(): void {
    if (!this.path || this.fillStyle === 'transparent') return;
    this.alpha('fill');
    const c = this.colour(this.fillStyle);
    if (this.state.fill !== c) {
      this.out.push(`${c} rg`);
      this.state.fill = c;
    }
    this.out.push(`${this.path}f`);
  }

  stroke(): void {
    if (!this.path || this.strokeStyle === 'transparent' || this.lineWidth <= 0) return;
    this.alpha('stroke');
    const c = this.colour(this.strokeStyle);
    if (this.state.stroke !== c) {
      this.out.push(`${c} RG`);
      this.state.stroke = c;
    }
    const line = this.lineStyle();
    if (this.state.line !== line) {
      this.out.push(line);
      this.state.line = line;
    }
    this.out.push(`${this.path}S`);
  }

  /** The line style operators for the current state; the last one is kept, as a map strokes hundreds of squares alike. */
  private lineStyle(): string {
    const k = this.lineKey;
    const dash = this.dash;
    if (
      k &&
      k.width === this.lineWidth &&
      k.cap === this.lineCap &&
      k.join === this.lineJoin &&
      k.miter === this.miterLimit &&
      k.offset === this.lineDashOffset &&
      k.dash.length === dash.length &&
      k.dash.every((d, i) => d === dash[i])
    )
      return k.text;
    const cap = this.lineCap === 'round' ? 1 : this.lineCap === 'square' ? 2 : 0;
    const join = this.lineJoin === 'round' ? 1 : this.lineJoin === 'bevel' ? 2 : 0;
    const text = `${num(this.lineWidth)} w ${cap} J ${join} j ${num(this.miterLimit)} M [${dash.map(num).join(' ')}] ${num(this.lineDashOffset)} d`;
    this.lineKey = { width: this.lineWidth, cap: this.lineCap, join: this.lineJoin, miter: this.miterLimit, offset: this.lineDashOffset, dash: [...dash], text };
    return text;
  }

  clip(): void {
    this.out.push(`${this.path}W n`);
  }

  setLineDash(segments: number[]): void {
    this.dash = segments.length % 2 ? [...segments, ...segments] : [...segments];
  }
  getLineDash(): number[] {
    return [...this.dash];
  }

  // ------------------------------------------------------------------------------------- text
  /** Text at the alphabetic baseline, aligned by textAlign, in the current fill colour and alpha. */
  fillText(str: string, x: number, y: number): void {
    if (this.textBaseline !== 'alphabetic') throw new Error(`chart drawing: text baseline "${this.textBaseline}" is not supported`);
    const { face, size } = parseCssFont(this.font);
    const w = this.textAlign === 'left' || this.textAlign === 'start' ? 0 : this.text.width(str, face, size);
    const dx = this.textAlign === 'center' ? -w / 2 : w ? -w : 0;
    this.flush();
    this.text.line(str, x + dx, y, face, size, this.colour(this.fillStyle), { baseline: 'alphabetic', opacity: this.globalAlpha, matrix: this.m });
  }
  strokeText(): void {
    throw new Error('chart drawing: stroked text is not supported');
  }
  measureText(str: string): { width: number } {
    const { face, size } = parseCssFont(this.font);
    return { width: this.text.width(str, face, size) };
  }

  // -------------------------------------------------------------------------- not supported
  createLinearGradient(): never {
    throw new Error('chart drawing: gradients are not supported');
  }
  createRadialGradient(): never {
    throw new Error('chart drawing: gradients are not supported');
  }
  createPattern(): never {
    throw new Error('chart drawing: patterns are not supported');
  }
  drawImage(): never {
    throw new Error('chart drawing: images are not supported');
  }
}
