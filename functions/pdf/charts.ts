/**
 * Charts: Vega-Lite specs compiled to Vega once per thread, rendered headless to SVG (View.toSVG,
 * renderer 'none') and embedded in the PDF with svg-to-pdfkit (see layout.ts).
 *
 * Speed (the nightly run renders every school): each chart kind is compiled and parsed once; its
 * Views are kept in a small pool and re-run with new data (`view.data(name, rows)`), which is
 * several times faster than building a View per chart. Text is measured with the embedded font
 * (fontkit) rather than Vega's canvas-less estimate, so axis labels are laid out for the face the
 * PDF actually uses. Units are PDF points (the SVG is embedded with assumePt).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { CHART_FONT_FAMILY, faceFor, textWidth } from './fonts.ts';

// ---------------------------------------------------------------------------------------------
// Palette (colour-blind safe; direction is never shown by colour alone: position and labels too)
// ---------------------------------------------------------------------------------------------
export const COLOURS = {
  ink: '#1b1b1b',
  muted: '#505a5f',
  school: '#12436d',
  base: '#b7bec4',
  higher: '#2166ac',
  lower: '#b35806',
  neutral: '#505a5f',
  faint: '#a7b0b6',
  range: '#d6dbdf',
  accent: '#12436d',
} as const;

const AXIS_COLOUR = '#6f777b';

const CONFIG = {
  font: CHART_FONT_FAMILY,
  aria: false,
  background: null,
  padding: 2,
  view: { stroke: null },
  axis: {
    grid: false,
    labelFontSize: 9,
    titleFontSize: 9,
    titleFontWeight: 'normal',
    labelColor: COLOURS.ink,
    titleColor: COLOURS.muted,
    domainColor: AXIS_COLOUR,
    tickColor: AXIS_COLOUR,
    labelPadding: 3,
    titlePadding: 6,
  },
  legend: {
    labelFontSize: 9,
    titleFontSize: 9,
    titleFontWeight: 'normal',
    labelColor: COLOURS.ink,
    titleColor: COLOURS.muted,
    symbolSize: 60,
    labelLimit: 260,
  },
  text: { fontSize: 9, color: COLOURS.ink },
  concat: { spacing: 14 },
} as const;

// ---------------------------------------------------------------------------------------------
// Status categories shared by the specs and the renderers
// ---------------------------------------------------------------------------------------------
export const PROFILE_STATUS = {
  higher: 'Higher than base',
  lower: 'Lower than base',
  ns: 'No clear difference',
  unreliable: 'Small numbers',
} as const;

export const FA_STATUS = {
  under: 'Fewer clients than expected',
  over: 'More clients than expected',
  ns: 'No significant difference',
} as const;

export const FUNNEL_STATUS = {
  below998: 'Below the 99.8% limit',
  below95: 'Below the 95% limit',
  within: 'Within the limits',
  above: 'Above the 95% limit',
} as const;

/** Index axes are on a log scale so that half (50) and double (200) sit the same distance from 100. */
export const INDEX_DOMAIN: [number, number] = [25, 400];
export const INDEX_TICKS = [25, 50, 100, 200, 400];

/** Clamp an index to the drawn domain (the printed label keeps the real value). */
export function clampIndex(x: number): number {
  return Math.min(INDEX_DOMAIN[1], Math.max(INDEX_DOMAIN[0], x));
}

// ---------------------------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------------------------
const indexX = (title: string) => ({
  field: 'index',
  type: 'quantitative',
  scale: { type: 'log', domain: INDEX_DOMAIN, clamp: true, nice: false },
  axis: { values: INDEX_TICKS, title, format: 'd' },
});

/** School profile: composition (school % vs base %) beside the index with its 95% CI. */
function profileSupergroupSpec(): TopLevelSpec {
  const y = { field: 'name', type: 'nominal', sort: { field: 'order', op: 'min' } };
  return {
    config: CONFIG,
    hconcat: [
      {
        width: 150,
        height: { step: 18, for: 'position' },
        data: { name: 'comp' },
        layer: [
          {
            mark: { type: 'bar', height: { band: 0.9 } },
            encoding: {
              y: { ...y, title: null, axis: { labelLimit: 150, ticks: false, domain: false, labelPadding: 4 } },
              yOffset: { field: 'series', sort: { field: 'seriesOrder', op: 'min' } },
              x: { field: 'pct', type: 'quantitative', title: '% of pupils', axis: { tickCount: 4 } },
              color: {
                field: 'series',
                type: 'nominal',
                sort: { field: 'seriesOrder', op: 'min' },
                scale: { range: [COLOURS.school, COLOURS.base] },
                legend: { orient: 'top', title: null, direction: 'horizontal', offset: 4 },
              },
            },
          },
          {
            transform: [{ filter: 'datum.hidden' }],
            mark: { type: 'text', align: 'left', dx: 3, fontStyle: 'italic', color: COLOURS.muted },
            encoding: { y, yOffset: { field: 'series', sort: { field: 'seriesOrder', op: 'min' } }, x: { datum: 0 }, text: { value: 'c' } },
          },
        ],
      },
      {
        width: 190,
        height: { step: 18, for: 'position' },
        data: { name: 'idx' },
        layer: [
          { mark: { type: 'rule', color: AXIS_COLOUR, strokeDash: [3, 2] }, encoding: { x: { datum: 100 } } },
          {
            transform: [{ filter: '!datum.hidden' }],
            mark: { type: 'rule', strokeWidth: 1.6 },
            encoding: {
              y: { ...y, axis: null },
              x: { ...indexX(''), field: 'lo' },
              x2: { field: 'hi' },
              color: { field: 'status', type: 'nominal', scale: { domain: Object.values(PROFILE_STATUS), range: [COLOURS.higher, COLOURS.lower, COLOURS.neutral, COLOURS.faint] } },
            },
          },
          {
            transform: [{ filter: '!datum.hidden' }],
            mark: { type: 'point', filled: true, size: 46, opacity: 1 },
            encoding: {
              y: { ...y, axis: null },
              x: indexX('Index (100 = same share as the base)'),
              color: { field: 'status', type: 'nominal', legend: { orient: 'bottom', title: null, columns: 2, symbolType: 'circle', offset: 6 } },
              shape: { field: 'status', type: 'nominal', legend: null, scale: { domain: Object.values(PROFILE_STATUS), range: ['triangle-right', 'triangle-left', 'circle', 'circle'] } },
            },
          },
          {
            mark: { type: 'text', align: 'left', dx: 6, baseline: 'middle' },
            encoding: { y: { ...y, axis: null }, x: { value: 190 }, text: { field: 'label' } },
          },
        ],
        resolve: { scale: { x: 'shared' } },
      },
    ],
    resolve: { scale: { color: 'independent', y: 'independent' }, legend: { color: 'independent' } },
  } as unknown as TopLevelSpec;
}

/** IMD decile mix: school vs base, grouped bars. */
function imdSpec(): TopLevelSpec {
  return {
    config: CONFIG,
    width: 480,
    height: 110,
    data: { name: 'imd' },
    layer: [
      {
        mark: { type: 'bar', width: { band: 0.9 } },
        encoding: {
          x: {
            field: 'decileLabel',
            type: 'ordinal',
            sort: { field: 'decile', op: 'min' },
            title: 'IMD decile of home neighbourhood (1 = most deprived 10% of neighbourhoods in England, 10 = least deprived)',
            axis: { labelAngle: 0 },
          },
          xOffset: { field: 'series', sort: { field: 'seriesOrder', op: 'min' } },
          y: { field: 'pct', type: 'quantitative', title: '% of pupils', axis: { tickCount: 4 } },
          color: {
            field: 'series',
            type: 'nominal',
            sort: { field: 'seriesOrder', op: 'min' },
            scale: { range: [COLOURS.school, COLOURS.base] },
            legend: { orient: 'top', title: null, direction: 'horizontal', offset: 4 },
          },
        },
      },
      {
        transform: [{ filter: 'datum.hidden' }],
        mark: { type: 'text', baseline: 'bottom', dy: -2, fontStyle: 'italic', color: COLOURS.muted },
        encoding: {
          x: { field: 'decileLabel', type: 'ordinal', sort: { field: 'decile', op: 'min' } },
          xOffset: { field: 'series', sort: { field: 'seriesOrder', op: 'min' } },
          y: { datum: 0 },
          text: { value: 'c' },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

/** Where the school sits in its cluster: min-max range, median tick, the school's share as a dot. */
function clusterRangeSpec(): TopLevelSpec {
  const y = { field: 'name', type: 'nominal', sort: { field: 'order', op: 'min' }, title: null, axis: { labelLimit: 150, ticks: false, domain: false, labelPadding: 4 } };
  const x = { type: 'quantitative', title: '% of pupils at each school in the cluster', scale: { domainMin: 0, nice: true }, axis: { tickCount: 5 } };
  return {
    config: CONFIG,
    width: 300,
    height: { step: 19 },
    data: { name: 'cl' },
    layer: [
      { mark: { type: 'bar', height: 7, color: COLOURS.range, cornerRadius: 3 }, encoding: { y, x: { ...x, field: 'min' }, x2: { field: 'max' } } },
      { mark: { type: 'tick', thickness: 2, size: 13, color: COLOURS.muted }, encoding: { y, x: { ...x, field: 'median' } } },
      {
        transform: [{ filter: 'datum.school != null' }],
        mark: { type: 'point', filled: true, size: 46, color: COLOURS.school, opacity: 1 },
        encoding: { y, x: { ...x, field: 'school' } },
      },
      { mark: { type: 'text', align: 'left', dx: 6 }, encoding: { y, x: { value: 300 }, text: { field: 'label' } } },
    ],
  } as unknown as TopLevelSpec;
}

/** Fair access: index with 95% CI per segment. */
function faIndexSpec(): TopLevelSpec {
  const y = { field: 'name', type: 'nominal', sort: { field: 'order', op: 'min' }, title: null, axis: { labelLimit: 170, ticks: false, domain: false, labelPadding: 4 } };
  return {
    config: CONFIG,
    width: 260,
    height: { step: 17 },
    data: { name: 'idx' },
    layer: [
      { mark: { type: 'rule', color: AXIS_COLOUR, strokeDash: [3, 2] }, encoding: { x: { datum: 100 } } },
      {
        transform: [{ filter: '!datum.hidden' }],
        mark: { type: 'rule', strokeWidth: 1.6 },
        encoding: {
          y,
          x: { ...indexX(''), field: 'lo' },
          x2: { field: 'hi' },
          color: { field: 'status', type: 'nominal', scale: { domain: Object.values(FA_STATUS), range: [COLOURS.lower, COLOURS.higher, COLOURS.neutral] } },
        },
      },
      {
        transform: [{ filter: '!datum.hidden' }],
        mark: { type: 'point', filled: true, size: 40, opacity: 1 },
        encoding: {
          y,
          x: indexX('Index (log scale): 100 = clients in the same proportion as the base'),
          color: { field: 'status', type: 'nominal', legend: { orient: 'bottom', title: null, direction: 'horizontal', symbolType: 'circle', offset: 6 } },
        },
      },
      { mark: { type: 'text', align: 'left', dx: 6, baseline: 'middle' }, encoding: { y, x: { value: 260 }, text: { field: 'label' } } },
    ],
  } as unknown as TopLevelSpec;
}

/** Funnel plot: contacts as % of expected against base size, with 95% and 99.8% control limits. */
function funnelSpec(): TopLevelSpec {
  const x = { field: 'x', type: 'quantitative', title: 'Pupils in the under-represented segments (base)', scale: { zero: true, nice: true }, axis: { tickCount: 5 } };
  const y = { field: 'y', type: 'quantitative', title: 'Contacts as % of expected', scale: { domain: [0, 300], clamp: true }, axis: { values: [0, 50, 100, 150, 200, 250, 300] } };
  return {
    config: CONFIG,
    width: 215,
    height: 170,
    layer: [
      { data: { values: [{}] }, mark: { type: 'rule', color: AXIS_COLOUR, strokeDash: [3, 2] }, encoding: { y: { datum: 100 } } },
      // Control limits: 95% dashed, 99.8% solid (explained in the text beside the chart).
      {
        data: { name: 'lim' },
        transform: [{ filter: "datum.limit === '95% limits'" }],
        mark: { type: 'line', clip: true, strokeWidth: 1, strokeDash: [4, 2], color: COLOURS.muted, interpolate: 'monotone' },
        encoding: { x, y, detail: { field: 'key' } },
      },
      {
        data: { name: 'lim' },
        transform: [{ filter: "datum.limit === '99.8% limits'" }],
        mark: { type: 'line', clip: true, strokeWidth: 1, color: COLOURS.muted, interpolate: 'monotone' },
        encoding: { x, y, detail: { field: 'key' } },
      },
      {
        data: { name: 'pts' },
        mark: { type: 'point', filled: true, size: 28, opacity: 0.9, clip: true },
        encoding: {
          x,
          y,
          color: {
            field: 'status',
            type: 'nominal',
            scale: { domain: Object.values(FUNNEL_STATUS), range: [COLOURS.lower, '#e08214', COLOURS.neutral, COLOURS.higher] },
            legend: { orient: 'bottom', title: null, columns: 2, symbolType: 'circle' },
          },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

/** Trend: index by year for each segment. */
function trendSpec(): TopLevelSpec {
  const x = { field: 'period', type: 'ordinal', title: 'Academic year', axis: { labelAngle: 0 } };
  const y = { field: 'index', type: 'quantitative', scale: { type: 'log', domain: INDEX_DOMAIN, clamp: true, nice: false }, axis: { values: INDEX_TICKS, title: 'Index (log scale)', format: 'd' } };
  const colour = {
    field: 'name',
    type: 'nominal',
    sort: { field: 'order', op: 'min' },
    scale: { range: ['#12436d', '#28a197', '#801650', '#f46a25', '#3d3d3d', '#a285d1', '#2073bc', '#b35806', '#6bace6', '#8d6e63'] },
    legend: { orient: 'right', title: null, labelLimit: 190 },
  };
  return {
    config: CONFIG,
    width: 260,
    height: 170,
    data: { name: 'tr' },
    layer: [
      { mark: { type: 'rule', color: AXIS_COLOUR, strokeDash: [3, 2] }, encoding: { y: { datum: 100 } } },
      { mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x, y, color: colour } },
      { mark: { type: 'point', filled: true, size: 22, opacity: 1 }, encoding: { x, y, color: colour, shape: { field: 'name', type: 'nominal', sort: { field: 'order', op: 'min' }, legend: { orient: 'right', title: null, labelLimit: 190 } } } },
    ],
  } as unknown as TopLevelSpec;
}

const SPECS = {
  profileSupergroups: profileSupergroupSpec,
  imd: imdSpec,
  clusterRange: clusterRangeSpec,
  faIndex: faIndexSpec,
  funnel: funnelSpec,
  trend: trendSpec,
} as const;

export type ChartKind = keyof typeof SPECS;

/** Vega-Lite spec of a chart kind (for tests and for inspecting the charts in the Vega editor). */
export function chartSpec(kind: ChartKind): TopLevelSpec {
  return SPECS[kind]();
}

// ---------------------------------------------------------------------------------------------
// Runtime: compile once, pool Views, measure text with the embedded font
// ---------------------------------------------------------------------------------------------
interface TextItem {
  text?: unknown;
  fontSize?: number;
  fontWeight?: unknown;
  fontStyle?: unknown;
}

let metricsInstalled = false;
function installTextMetrics(): void {
  if (metricsInstalled) return;
  metricsInstalled = true;
  const tm = (vega as unknown as { textMetrics: { width: (item: TextItem, text?: unknown) => number } }).textMetrics;
  tm.width = (item: TextItem, text?: unknown) => {
    const t = text == null ? item.text : text;
    const s = t == null ? '' : String(t).trim();
    const size = item.fontSize != null ? +item.fontSize || 0 : 11;
    if (!s || size <= 0) return 0;
    return textWidth(s, size, faceFor(item.fontWeight, item.fontStyle === 'italic'));
  };
}

const runtimes = new Map<ChartKind, vega.Runtime>();
const idleViews = new Map<ChartKind, vega.View[]>();
const MAX_IDLE_VIEWS = 4;

function runtime(kind: ChartKind): vega.Runtime {
  let rt = runtimes.get(kind);
  if (!rt) {
    rt = vega.parse(compile(SPECS[kind]()).spec);
    runtimes.set(kind, rt);
  }
  return rt;
}

export type ChartData = Record<string, readonly object[]>;

/** Render a chart kind with the given named datasets to an SVG string (units: points). */
export interface ChartSvg {
  /** The chart without its text, for svg-to-pdfkit. */
  svg: string;
  /** The chart's text, set as text runs by the PDF writer. */
  texts: ChartText[];
  width: number;
  height: number;
}

export async function renderChartSvg(kind: ChartKind, data: ChartData): Promise<ChartSvg> {
  installTextMetrics();
  const pool = idleViews.get(kind) ?? [];
  idleViews.set(kind, pool);
  const view = pool.pop() ?? new vega.View(runtime(kind), { renderer: 'none', logLevel: vega.Error });
  try {
    for (const [name, rows] of Object.entries(data)) view.data(name, rows as object[]);
    await view.runAsync();
    const svg = await view.toSVG();
    const m = /<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svg);
    if (pool.length < MAX_IDLE_VIEWS) pool.push(view);
    else view.finalize();
    const lifted = liftSvgText(slimSvg(svg));
    return { svg: lifted.svg, texts: lifted.texts, width: m ? Number(m[1]) : view.width(), height: m ? Number(m[2]) : view.height() };
  } catch (err) {
    view.finalize();
    throw err;
  }
}

/**
 * Shrink Vega's SVG before svg-to-pdfkit parses it (its cost is per element and per attribute):
 * drop attributes it would ignore or that restate defaults (class, role, aria-*, pointer-events,
 * opacity="1"), hidden and empty paths, and unwrap attribute-less <g> wrappers, which group
 * nothing that changes the drawing. The output draws the same picture.
 */
export function slimSvg(svg: string): string {
  const s = svg
    .replace(/ (?:class|role|aria-[a-z]+|pointer-events)="[^"]*"/g, '')
    .replace(/ opacity="1"/g, '')
    .replace(/<path d="M0,0h0v0h0Z"\/>|<path d="" display="none"\/>/g, '');
  // Unwrap <g> without attributes: remove the tag and its matching </g>.
  let out = '';
  const stack: boolean[] = []; // per open <g>: was it dropped?
  const re = /<g>|<g\s[^>]*>|<\/g>/g;
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    out += s.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === '</g>') {
      if (!stack.pop()) out += m[0];
    } else if (m[0] === '<g>') {
      stack.push(true);
    } else if (m[0].endsWith('/>')) {
      out += m[0]; // self-closing group: no </g> to match
    } else {
      stack.push(false);
      out += m[0];
    }
  }
  return out + s.slice(last);
}

/** A text item lifted out of a chart's SVG, with its position resolved to the chart's origin. */
export interface ChartText {
  text: string;
  /** Baseline origin after the enclosing group translations. */
  x: number;
  y: number;
  /** Rotation (degrees, SVG/pdfkit convention) and the offset applied after it. */
  rotate: number;
  dx: number;
  dy: number;
  anchor: 'start' | 'middle' | 'end';
  size: number;
  weight: string;
  italic: boolean;
  fill: string;
  fillOpacity: number;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function xmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (XML_ENTITIES[e] ?? m),
  );
}
const attr = (tag: string, name: string): string | null => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? m[1]! : null;
};

/**
 * Lift the <text> elements out of a (slimmed) Vega SVG so the PDF can set them as ordinary text
 * runs: svg-to-pdfkit positions every glyph separately, which is slow, bloats the PDF and makes the
 * text harder to extract. Everything else stays in the SVG for svg-to-pdfkit. Vega positions text
 * with translate() on enclosing groups and on the text itself (plus rotate() for vertical titles),
 * which is all this resolves; anything else is left in the SVG untouched.
 */
export function liftSvgText(svg: string): { svg: string; texts: ChartText[] } {
  const texts: ChartText[] = [];
  const stack: [number, number][] = [];
  let tx = 0;
  let ty = 0;
  let out = '';
  let last = 0;
  const re = /<g\b[^>]*?\/>|<g\b[^>]*>|<\/g>|<text\b[^>]*>([^<]*)<\/text>|<text\b[^>]*\/>/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const tag = m[0];
    if (tag.startsWith('<text')) {
      const open = /^<text\b[^>]*>/.exec(tag)![0];
      const tf = attr(open, 'transform') ?? '';
      const tm = /^translate\(([-\d.e]+),([-\d.e]+)\)(?:\s*rotate\(([-\d.e]+)\)(?:\s*translate\(([-\d.e]+),([-\d.e]+)\))?)?$/.exec(tf.trim());
      const simple = tf === '' || tm;
      const unsupported = /\s(?:dx|dy|x|y|clip-path|mask|font-variant|letter-spacing|textLength)=/.test(open);
      if (!simple || unsupported) continue; // leave it in the SVG for svg-to-pdfkit
      out += svg.slice(last, m.index);
      last = m.index + tag.length;
      const content = tag.endsWith('/>') ? '' : xmlText(m[1] ?? '');
      if (!content.trim()) continue;
      const anchor = attr(open, 'text-anchor');
      texts.push({
        text: content,
        x: tx + (tm ? Number(tm[1]) : 0),
        y: ty + (tm ? Number(tm[2]) : 0),
        rotate: tm?.[3] ? Number(tm[3]) : 0,
        dx: tm?.[4] ? Number(tm[4]) : 0,
        dy: tm?.[5] ? Number(tm[5]) : 0,
        anchor: anchor === 'middle' || anchor === 'end' ? anchor : 'start',
        size: parseFloat(attr(open, 'font-size') ?? '11') || 11,
        weight: attr(open, 'font-weight') ?? 'normal',
        italic: attr(open, 'font-style') === 'italic',
        fill: attr(open, 'fill') ?? '#000',
        fillOpacity: Number(attr(open, 'fill-opacity') ?? attr(open, 'opacity') ?? '1'),
      });
      continue;
    }
    if (tag === '</g>') {
      [tx, ty] = stack.pop() ?? [0, 0];
      continue;
    }
    if (tag.endsWith('/>')) continue;
    stack.push([tx, ty]);
    const tf = attr(tag, 'transform');
    if (tf) {
      const t = /^translate\(([-\d.e]+),([-\d.e]+)\)$/.exec(tf.trim());
      if (t) {
        tx += Number(t[1]);
        ty += Number(t[2]);
      } else {
        // A transform we do not resolve: lifting text inside it would misplace it. Give up on the
        // whole chart and let svg-to-pdfkit draw all of its text.
        return { svg, texts: [] };
      }
    }
  }
  return { svg: out + svg.slice(last), texts };
}

/** Release pooled Views (tests; a worker keeps them for its lifetime). */
export function resetCharts(): void {
  for (const views of idleViews.values()) for (const v of views) v.finalize();
  idleViews.clear();
}
