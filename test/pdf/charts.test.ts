import SVGtoPDF from 'svg-to-pdfkit';
import { describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import * as vega from 'vega';
import { ADMISSION_STATUS, CATEGORY_DOMAINS, FA_STATUS, FUNNEL_STATUS, PROFILE_STATUS, chartSpec, renderChart, renderChartSvg, resetCharts, type ChartData, type ChartKind } from '../../functions/pdf/charts.ts';
import { FONT, faceFor } from '../../functions/pdf/fonts.ts';
import { Writer } from '../../functions/pdf/layout.ts';
import { PdfCanvasContext, parseCssFont } from '../../functions/pdf/pdf-canvas.ts';
import { pageImages, type GrayImage } from './poppler.ts';
import { CELL_CLASSES } from '../../functions/pdf/map-specs.ts';

const KINDS: ChartKind[] = ['profileSupergroups', 'imd', 'clusterRange', 'faIndex', 'funnel', 'trend', 'admissionsRates', 'schoolMap', 'faWardMap', 'firstPrefWardMap'];
const NAMES = ['Rural residents', 'Cosmopolitans', 'Ethnicity central', 'Multicultural metropolitans', 'Urbanites', 'Suburbanites'];

/** Data for every chart kind, shaped as the PDF templates shape it; exercises every mark the charts use. */
function dataFor(kind: ChartKind): ChartData {
  const statuses = Object.values(PROFILE_STATUS);
  switch (kind) {
    case 'profileSupergroups':
      return {
        comp: NAMES.flatMap((name, i) => [
          { name, order: i, series: 'Your school', seriesOrder: 0, pct: i === 2 ? null : 5 + i * 4, hidden: i === 2 },
          { name, order: i, series: 'all pupils in the LA', seriesOrder: 1, pct: 8 + i, hidden: false },
        ]),
        idx: NAMES.map((name, i) => ({
          name,
          order: i,
          hidden: i === 2,
          index: 40 + i * 35,
          lo: 30 + i * 30,
          hi: 60 + i * 40,
          status: statuses[i % statuses.length],
          label: i === 2 ? 'c' : String(40 + i * 35),
        })),
      };
    case 'imd':
      return {
        imd: Array.from({ length: 10 }, (_, k) => k + 1).flatMap((decile) => [
          { decile, decileLabel: decile === 1 ? '1 most deprived' : decile === 10 ? '10 least' : String(decile), series: 'Your school', seriesOrder: 0, pct: decile === 4 ? null : decile * 1.5, hidden: decile === 4 },
          { decile, decileLabel: decile === 1 ? '1 most deprived' : decile === 10 ? '10 least' : String(decile), series: 'Base', seriesOrder: 1, pct: 10, hidden: false },
        ]),
      };
    case 'clusterRange':
      return { cl: NAMES.map((name, i) => ({ name, order: i, min: 1 + i, median: 6 + i, max: 20 + i, school: i === 3 ? null : 7 + i, label: i === 3 ? 'c' : `${7 + i}%` })) };
    case 'faIndex':
      return {
        idx: NAMES.map((name, i) => ({ name, order: i, hidden: false, index: 50 + i * 25, lo: 40 + i * 20, hi: 65 + i * 30, status: Object.values(FA_STATUS)[i % 3], label: String(50 + i * 25) })),
      };
    case 'funnel': {
      const xs = [40, 90, 150, 260, 400, 650, 900];
      const lim = xs.flatMap((x) => {
        const sd = 100 / Math.sqrt(x / 20);
        return [
          { x, y: 100 - 1.96 * sd, key: 'l95', limit: '95% limits' },
          { x, y: 100 + 1.96 * sd, key: 'u95', limit: '95% limits' },
          { x, y: 100 - 3.5 * sd, key: 'ladj', limit: 'adjusted limits' },
          { x, y: 100 + 3.5 * sd, key: 'uadj', limit: 'adjusted limits' },
        ];
      });
      const pts = xs.map((x, i) => ({ x, y: 40 + i * 25, status: Object.values(FUNNEL_STATUS)[i % 3] }));
      return { lim, pts };
    }
    case 'trend':
      return { tr: NAMES.flatMap((name, i) => ['2022-23', '2023-24', '2024-25'].map((period, k) => ({ name, order: i, period, index: 50 + i * 20 + k * 5 }))) };
    case 'admissionsRates': {
      const rows = (base: number) => NAMES.map((name, i) => ({ name, order: i, rate: base + i * 2, lo: base + i * 2 - 4, hi: base + i * 2 + 3, la: base + 5, status: Object.values(ADMISSION_STATUS)[i % 3] }));
      return { first: rows(76), nearest: rows(40) };
    }
    case 'schoolMap':
      return {
        bg: Array.from({ length: 30 }, (_, i) => ({ x: (i % 6) * 50, x2: (i % 6) * 50 + 48, y: Math.floor(i / 6) * 50, y2: Math.floor(i / 6) * 50 + 48 })),
        cells: CELL_CLASSES.map((cls, i) => ({ x: 20 + i * 40, x2: 50 + i * 40, y: 100, y2: 130, cls })),
        rings: [60, 120].map((r) => ({ x: 160, y: 160, size: (2 * r) ** 2, labelY: 160 - r, label: `${r / 60} km` })),
        school: [{ x: 160, y: 160, label: 'School' }],
        scale: [{ x: 10, x2: 70, y: 320, label: '1 km' }],
        frame: [{ x: 0, x2: 330, y: 0, y2: 330 }],
      };
    case 'faWardMap':
    case 'firstPrefWardMap': {
      const statuses = kind === 'faWardMap' ? Object.values(FUNNEL_STATUS) : Object.values(ADMISSION_STATUS);
      return {
        bg: Array.from({ length: 40 }, (_, i) => ({ x: (i % 10) * 50, x2: (i % 10) * 50 + 48, y: Math.floor(i / 10) * 70, y2: Math.floor(i / 10) * 70 + 68 })),
        wards: Array.from({ length: 12 }, (_, i) => ({ x: 30 + i * 40, y: 60 + (i % 4) * 50, size: 40 + i * 30, status: statuses[i % 3], order: i })),
        labels: [{ x: 30, y: 60, label: 'Ward A' }],
        key: [20, 80].map((size, i) => ({ x: 440, tx: 452, y: 30 + i * 14, size, label: `${i + 1}0` })),
        scale: [{ x: 10, x2: 90, y: 290, label: '10 km' }],
        frame: [{ x: 0, x2: 515, y: 0, y2: 300 }],
      };
    }
  }
}

const meta = { title: 'chart', subject: 'chart', author: 'test', footer: 'test', date: new Date(Date.UTC(2025, 8, 1)) };
const AT = 30;
const DPI = 100;

/** One page with the chart drawn from Vega's scenegraph (what the PDFs do). */
async function drawnFromScene(kind: ChartKind): Promise<{ img: GrayImage; width: number; height: number }> {
  const chart = await renderChart(kind, dataFor(kind));
  const w = new Writer(meta);
  w.y = AT;
  w.figure(chart, 'chart', { x: AT });
  return { img: pageImages(await w.finish(), DPI)[0]!, width: chart.width, height: chart.height };
}

/** The same chart from Vega's own SVG renderer, drawn by svg-to-pdfkit: an independent route. */
async function drawnFromSvg(kind: ChartKind): Promise<{ img: GrayImage; width: number; height: number }> {
  const { svg, width, height } = await renderChartSvg(kind, dataFor(kind));
  const w = new Writer(meta);
  SVGtoPDF(w.doc, svg, AT, AT, {
    width,
    height,
    assumePt: true,
    fontCallback: (_family, bold, italic) => FONT[faceFor(bold ? 'bold' : 'normal', italic)],
    warningCallback: () => undefined,
  });
  return { img: pageImages(await w.finish(), DPI)[0]!, width, height };
}

/**
 * Pixels inside the chart box that differ by more than a quarter of the grey range from every pixel
 * within one pixel of the same place in the other image (so a glyph the rasteriser snaps one pixel
 * over does not count), and the inked pixels there.
 */
function compare(a: GrayImage, b: GrayImage, box: { width: number; height: number }): { differing: number; ink: number } {
  const s = DPI / 72;
  const near = (img: GrayImage, x: number, y: number, v: number) => {
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (Math.abs(img.pixels[(y + dy) * img.width + x + dx]! - v) <= 64) return true;
    return false;
  };
  let differing = 0;
  let ink = 0;
  for (let y = Math.floor(AT * s); y < Math.ceil((AT + box.height) * s); y++) {
    for (let x = Math.floor(AT * s); x < Math.ceil((AT + box.width) * s); x++) {
      const i = y * a.width + x;
      if (a.pixels[i]! < 200 || b.pixels[i]! < 200) ink++;
      if (!near(b, x, y, a.pixels[i]!) || !near(a, x, y, b.pixels[i]!)) differing++;
    }
  }
  return { differing, ink };
}

describe('charts', () => {
  it('every chart kind compiles without Vega-Lite warnings', () => {
    for (const k of KINDS) {
      const warnings: string[] = [];
      const logger = { level: () => logger, error: () => logger, warn: (...m: unknown[]) => (warnings.push(m.join(' ')), logger), info: () => logger, debug: () => logger };
      compile(chartSpec(k), { logger: logger as never });
      expect(warnings, k).toEqual([]);
    }
  });

  it.each(KINDS)('%s drawn from the scenegraph matches Vega’s own SVG of it', async (kind) => {
    const scene = await drawnFromScene(kind);
    const svg = await drawnFromSvg(kind);
    expect(scene.width).toBeCloseTo(svg.width, 6);
    expect(scene.height).toBeCloseTo(svg.height, 6);
    const { differing, ink } = compare(scene.img, svg.img, scene);
    expect(ink, 'the chart draws something').toBeGreaterThan(2000);
    // Anti-aliasing aside, the two routes draw the same picture.
    expect(differing / ink, `${differing} of ${ink} inked pixels differ`).toBeLessThan(0.002);
  });

  /** The spec with each given category domain replaced by Vega-Lite's sort of the data (what the charts used before). */
  function sortedByData(kind: ChartKind): object {
    const domains = CATEGORY_DOMAINS[kind]!;
    const used = new Set<string>();
    const walk = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(walk);
      if (!v || typeof v !== 'object') return v;
      const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) as Record<string, unknown>;
      const scale = o.scale as { domain?: { expr?: string } } | undefined;
      const name = scale?.domain?.expr;
      if (name && domains[name]) {
        used.add(name);
        const { domain: _, ...rest } = scale as Record<string, unknown>;
        o.scale = rest;
        o.sort = { field: domains[name].by, op: 'min' };
      }
      return o;
    };
    const { params: _, ...spec } = walk(chartSpec(kind)) as Record<string, unknown>;
    expect([...used].sort(), 'every category domain is read by some scale').toEqual(Object.keys(domains).sort());
    return spec;
  }

  const notClassified = (pct: number | null, note: string | null) => ({ name: 'No usable postcode', order: NAMES.length, series: 'Your school', seriesOrder: 0, pct, hidden: pct === null, notKnown: true, note, notePos: pct ?? 0 });
  const domainCases: [ChartKind, string, ChartData][] = [
    ...(['profileSupergroups', 'imd', 'clusterRange'] as const).flatMap((kind): [ChartKind, string, ChartData][] => [
      [kind, 'rows in order', dataFor(kind)],
      [kind, 'rows reversed', Object.fromEntries(Object.entries(dataFor(kind)).map(([k, rows]) => [k, [...rows].reverse()]))],
    ]),
    ['profileSupergroups', 'a drawn "not classified" row', { ...dataFor('profileSupergroups'), comp: [...dataFor('profileSupergroups').comp!, notClassified(4, '12 pupils')] }],
    ['profileSupergroups', 'an undrawn "not classified" row', { ...dataFor('profileSupergroups'), comp: [...dataFor('profileSupergroups').comp!, notClassified(null, null)] }],
    ['imd', 'the school series missing', { imd: dataFor('imd').imd!.filter((r) => (r as { seriesOrder: number }).seriesOrder === 1) }],
  ];

  it.each(domainCases)('%s (%s): category domains given to Vega draw what Vega’s sort of the data draws', async (kind, _, data) => {
    const given = await renderChartSvg(kind, data);
    const view = new vega.View(vega.parse(compile(sortedByData(kind) as never).spec), { renderer: 'none' });
    for (const [name, rows] of Object.entries(data)) view.data(name, rows as object[]);
    await view.runAsync();
    const sorted = await view.toSVG();
    view.finalize();
    expect(given.svg).toBe(sorted);
  });

  it.each(['schoolMap', 'faWardMap', 'firstPrefWardMap'] as const)('%s: squares made without Vega’s dataflow draw the same operators as Vega’s own items', async (kind) => {
    // The chart's content stream, drawn with its plain squares made in charts.ts (the default) or
    // with every row through Vega ({ direct: false }).
    const ops = async (data: ChartData, direct: boolean) => {
      const chart = await renderChart(kind, data, { direct });
      const ctx = new PdfCanvasContext(new Writer(meta).doc, new Writer(meta).text);
      const out: string[] = [];
      (ctx as unknown as { flush(): void }).flush = function (this: { out: string[] }) {
        out.push(...this.out);
        this.out = [];
      };
      chart.draw(ctx);
      ctx.flush();
      return out.join('\n');
    };
    const base = dataFor(kind);
    // Squares with x2 left of x and y2 above y (drawn the same, as Vega swaps them), and a second
    // map with other squares and classes straight after the first on the same pooled view.
    const flipped = { ...base, bg: base.bg!.map((r, i) => (i % 2 ? { ...r, x: (r as { x2: number }).x2, x2: (r as { x: number }).x } : r)) };
    const other: ChartData = {
      ...base,
      bg: base.bg!.slice(3).map((r) => ({ ...r, y2: (r as { y2: number }).y2 - 9 })),
      ...(base.cells ? { cells: [...base.cells].reverse().map((r, i) => ({ ...r, x: (r as { x: number }).x + i, cls: CELL_CLASSES[(i + 2) % CELL_CLASSES.length] })) } : {}),
    };
    for (const data of [base, flipped, other, base] as ChartData[]) {
      const direct = await ops(data, true);
      const viaVega = await ops(data, false);
      expect(direct.match(/ re\n/g)?.length ?? 0, 'the squares are drawn').toBeGreaterThanOrEqual(data.bg!.length + (data.cells?.length ?? 0));
      expect(direct).toBe(viaVega);
    }
    expect(await ops(other, true)).not.toBe(await ops(base, true));
  });

  it('a chart is drawn once; its pooled view then serves the next chart', async () => {
    const a = await renderChart('clusterRange', dataFor('clusterRange'));
    const w = new Writer(meta);
    w.figure(a, 'chart');
    expect(() => a.draw(new PdfCanvasContext(w.doc, w.text))).toThrow(/drawn twice/);
    const b = await renderChart('clusterRange', dataFor('clusterRange'));
    expect(b.width).toBe(a.width);
  });

  it.each(KINDS)('%s: a pooled view sizes the chart as a fresh one would, whatever it drew before', async (kind) => {
    // Longer labels and larger numbers than dataFor's: wider axes, legends and bars.
    const wider = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(wider) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wider(x)])) : typeof v === 'string' ? `${v} and a much longer label` : typeof v === 'number' ? v * 40 : v;
    const size = (c: { width: number; height: number; origin: readonly number[] }) => [c.width, c.height, ...c.origin];
    const draw = (c: Awaited<ReturnType<typeof renderChart>>) => new Writer(meta).figure(c, 'chart');
    resetCharts();
    const fresh = await renderChart(kind, dataFor(kind));
    const freshWide = await renderChart(kind, wider(dataFor(kind)) as ChartData);
    draw(fresh);
    draw(freshWide);
    // Both views are pooled now; each is reused for the other data.
    const again = await renderChart(kind, dataFor(kind));
    const againWide = await renderChart(kind, wider(dataFor(kind)) as ChartData);
    draw(again);
    draw(againWide);
    // The funnel plot's size is fixed by its spec; every other chart grows with its labels.
    if (kind !== 'funnel') expect(size(freshWide), 'the longer labels make a different chart').not.toEqual(size(fresh));
    expect(size(again)).toEqual(size(fresh));
    expect(size(againWide)).toEqual(size(freshWide));
  });
});

describe('PDF canvas context', () => {
  const content = (draw: (ctx: PdfCanvasContext) => void): string => {
    const w = new Writer(meta);
    const ctx = new PdfCanvasContext(w.doc, w.text);
    draw(ctx);
    ctx.flush();
    // The page's content so far: bytes, then the text converted since (pdfkit-output.ts's TextBytes).
    const page = (w.doc as unknown as { page: { content: { buffer: Uint8Array[]; __text?: { bytes(): Uint8Array | null } } } }).page;
    return Buffer.concat([...page.content.buffer, page.content.__text?.bytes() ?? new Uint8Array()]).toString('latin1');
  };

  it('places path points by the transform in force when they are added, as a canvas does', () => {
    const ops = content((ctx) => {
      ctx.translate(10, 20);
      ctx.beginPath();
      ctx.rect(0, 0, 5, 6);
      ctx.translate(-10, -20); // Vega translates back before it fills
      ctx.fillStyle = '#ff0000';
      ctx.fill();
    });
    expect(ops).toContain('1 0 0 rg');
    expect(ops).toContain('10 20 5 6 re\nf');
  });

  it('fills and then strokes the same path, with dash and line width', () => {
    const ops = content((ctx) => {
      ctx.beginPath();
      ctx.moveTo(0, 0);
      ctx.lineTo(4, 0);
      ctx.fillStyle = '#000';
      ctx.fill();
      ctx.strokeStyle = 'rgb(0, 0, 255)';
      ctx.lineWidth = 1.5;
      ctx.setLineDash([3, 2]);
      ctx.stroke();
    });
    expect(ops).toMatch(/0 0 m\n4 0 l\nf[\s\S]*0 0 1 RG[\s\S]*1\.5 w 0 J 0 j 10 M \[3 2\] 0 d\n0 0 m\n4 0 l\nS/);
  });

  it('turns rotation into rotated path points', () => {
    const ops = content((ctx) => {
      ctx.rotate(Math.PI / 2);
      ctx.beginPath();
      ctx.moveTo(10, 0);
      ctx.fillStyle = '#000';
      ctx.fill();
    });
    expect(ops).toContain('0 10 m');
  });

  it('draws a full arc as four Bezier quarters that stay on the circle', () => {
    const ops = content((ctx) => {
      ctx.beginPath();
      ctx.arc(0, 0, 10, 0, 2 * Math.PI);
      ctx.closePath();
      ctx.fillStyle = '#000';
      ctx.fill();
    });
    const curves = ops.split('\n').filter((l) => l.endsWith(' c'));
    expect(curves).toHaveLength(4);
    for (const c of curves) {
      const [, , , , x, y] = c.split(' ').map(Number);
      expect(Math.hypot(x!, y!)).toBeCloseTo(10, 2);
    }
    expect(ops).toMatch(/^[\s\S]*10 0 m/);
  });

  it('refuses what the charts never use rather than drawing it wrongly', () => {
    content((ctx) => {
      expect(() => ctx.createLinearGradient()).toThrow(/gradients/);
      expect(() => ctx.strokeText()).toThrow(/stroked text/);
      ctx.fillStyle = { gradient: true };
      ctx.beginPath();
      ctx.rect(0, 0, 1, 1);
      expect(() => ctx.fill()).toThrow(/plain colours/);
    });
  });

  it('reads face and size from the CSS font Vega sets', () => {
    expect(parseCssFont('9px "Source Sans 3"')).toEqual({ face: 'regular', size: 9 });
    expect(parseCssFont('bold 11px "Source Sans 3"')).toEqual({ face: 'semibold', size: 11 });
    expect(parseCssFont('italic normal 8.5px "Source Sans 3"')).toEqual({ face: 'italic', size: 8.5 });
  });
});
