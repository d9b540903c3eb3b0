/**
 * Charts: Vega-Lite specs compiled to Vega once per thread, laid out headless (renderer 'none')
 * and drawn into the PDF from Vega's scenegraph by Vega's own canvas mark code over a canvas-like
 * context that writes PDF operators (pdf-canvas.ts).
 *
 * Speed (the nightly run renders every school): each chart kind is compiled and parsed once; its
 * Views are kept in a small pool and re-run with new data (`view.data(name, rows)`), which is
 * several times faster than building a View per chart. Text is measured with the embedded font
 * (fontkit) rather than Vega's canvas-less estimate, so axis labels are laid out for the face the
 * PDF actually uses. Units are PDF points.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { CHART_FONT_FAMILY, faceFor, textWidth } from './fonts.ts';
import type { PdfCanvasContext } from './pdf-canvas.ts';
import { schoolMapSpec, wardMapSpec } from './map-specs.ts';

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
  below: 'Below the limit',
  within: 'Within the limits',
  above: 'Above the limit',
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
/**
 * The ends of the index scale say that values beyond them are drawn there ("≤25", "≥400"): an
 * index of 0 or 1,140 sits at an end, with its real value printed beside the chart.
 */
export const INDEX_AXIS_LABEL = `datum.value <= ${INDEX_DOMAIN[0]} ? '\u2264${INDEX_DOMAIN[0]}' : datum.value >= ${INDEX_DOMAIN[1]} ? '\u2265${INDEX_DOMAIN[1]}' : datum.label`;

const indexX = (title: string) => ({
  field: 'index',
  type: 'quantitative',
  scale: { type: 'log', domain: INDEX_DOMAIN, clamp: true, nice: false },
  axis: { values: INDEX_TICKS, title, format: 'd', labelExpr: INDEX_AXIS_LABEL },
});

/** True when an index lies beyond the drawn scale (drawn at its end). */
export function offScale(x: number | null): boolean {
  return x !== null && (x < INDEX_DOMAIN[0] || x > INDEX_DOMAIN[1]);
}

/**
 * Marks by status: shape, fill and outline all follow the status, in one legend, so the legend
 * shows exactly the marks drawn and status never rests on colour alone (triangles point the way
 * of the difference; small numbers are hollow).
 */
const PROFILE_MARKS = {
  domain: Object.values(PROFILE_STATUS),
  shape: ['triangle-right', 'triangle-left', 'circle', 'circle'],
  stroke: [COLOURS.higher, COLOURS.lower, COLOURS.neutral, COLOURS.neutral],
  fill: [COLOURS.higher, COLOURS.lower, COLOURS.neutral, '#ffffff'],
};
const FA_MARKS = {
  domain: Object.values(FA_STATUS),
  shape: ['triangle-left', 'triangle-right', 'circle'],
  colour: [COLOURS.lower, COLOURS.higher, COLOURS.neutral],
};
const FUNNEL_MARKS = {
  domain: Object.values(FUNNEL_STATUS),
  shape: ['triangle-down', 'circle', 'triangle-up'],
  colour: [COLOURS.lower, COLOURS.faint, COLOURS.higher],
};

const PROFILE_LEGEND = { orient: 'bottom', title: null, columns: 2, offset: 6 };
const FA_LEGEND = { orient: 'bottom', title: null, columns: 2, offset: 6 };

function statusEncoding(marks: { domain: string[]; shape: string[]; stroke?: string[]; fill?: string[]; colour?: string[] }, legend: object | null) {
  const enc = (range: string[]) => ({ field: 'status', type: 'nominal', scale: { domain: marks.domain, range }, legend });
  return {
    shape: enc(marks.shape),
    fill: enc(marks.fill ?? marks.colour!),
    stroke: enc(marks.stroke ?? marks.colour!),
  };
}

// ---------------------------------------------------------------------------------------------
// Category domains given to Vega rather than found by it
// ---------------------------------------------------------------------------------------------
type Row = Record<string, unknown>;

/**
 * The distinct values of `field` over `rows`, ordered by the smallest `by` each has: the domain
 * Vega-Lite's `sort: { field: by, op: 'min' }` makes, without the aggregate operators (one per
 * layer's dataset, then a merge) Vega builds to find it on every run (a large share of a profile's
 * chart layout time). Values with the same smallest `by` keep their first-seen order.
 */
export function domainByMin(rows: readonly object[], field: string, by: string): unknown[] {
  const min = new Map<unknown, number>();
  for (const row of rows as readonly Row[]) {
    const v = row[field];
    const k = row[by] as number;
    const m = min.get(v);
    if (m === undefined || k < m) min.set(v, k);
  }
  return [...min.keys()].sort((a, b) => min.get(a)! - min.get(b)!);
}

const rowsOf = (data: ChartData, name: string): readonly Row[] => (data[name] ?? []) as readonly Row[];

/** A category domain: the distinct `field` of the rows some layer draws, ordered by their smallest `by`. */
export interface CategoryDomain {
  field: string;
  by: string;
  rows: (data: ChartData) => readonly object[];
}

/**
 * Each chart kind's category domains, by the name of the Vega-Lite param its scales read
 * (`scale: { domain: { expr: name } }`), computed from the chart's rows before Vega runs. Each is
 * the union over the layers drawing that scale, so `rows` mirrors their filters (the composition's
 * "not classified" row is in its domain only when some layer draws it). A test draws every chart
 * both ways: with these domains, and with Vega-Lite's `sort: { field: by, op: 'min' }` instead.
 */
export const CATEGORY_DOMAINS: Partial<Record<ChartKind, Record<string, CategoryDomain>>> = {
  profileSupergroups: {
    compNames: { field: 'name', by: 'order', rows: (d) => compDrawn(d) },
    compSeries: { field: 'series', by: 'seriesOrder', rows: (d) => compDrawn(d) },
    compColour: { field: 'series', by: 'seriesOrder', rows: (d) => rowsOf(d, 'comp').filter((r) => !r.notKnown) },
    idxNames: { field: 'name', by: 'order', rows: (d) => rowsOf(d, 'idx') },
  },
  imd: {
    imdDeciles: { field: 'decileLabel', by: 'decile', rows: (d) => rowsOf(d, 'imd') },
    imdSeries: { field: 'series', by: 'seriesOrder', rows: (d) => rowsOf(d, 'imd') },
  },
  clusterRange: {
    clusterNames: { field: 'name', by: 'order', rows: (d) => rowsOf(d, 'cl') },
  },
};

/** Composition rows some layer draws (the union of the three layers' filters). */
const compDrawn = (d: ChartData) => rowsOf(d, 'comp').filter((r) => !r.notKnown || r.pct != null || r.note != null);

const domainParams = (kind: ChartKind) => Object.keys(CATEGORY_DOMAINS[kind] ?? {}).map((name) => ({ name, value: [] }));

/** School profile: composition (school % vs base %) beside the index with its 95% CI. */
function profileSupergroupSpec(): TopLevelSpec {
  const y = { field: 'name', type: 'nominal', scale: { domain: { expr: 'compNames' } } };
  const yOffset = { field: 'series', scale: { domain: { expr: 'compSeries' } } };
  const idxY = { ...y, scale: { domain: { expr: 'idxNames' } } };
  return {
    config: CONFIG,
    params: domainParams('profileSupergroups'),
    hconcat: [
      {
        width: 130,
        height: { step: 18, for: 'position' },
        data: { name: 'comp' },
        layer: [
          {
            transform: [{ filter: '!datum.notKnown' }],
            mark: { type: 'bar', height: { band: 0.9 } },
            encoding: {
              y: { ...y, title: null, axis: { labelLimit: 140, ticks: false, domain: false, labelPadding: 4 } },
              yOffset,
              x: { field: 'pct', type: 'quantitative', title: '% of pupils', axis: { tickCount: 4 }, stack: null },
              color: {
                field: 'series',
                type: 'nominal',
                scale: { domain: { expr: 'compColour' }, range: [COLOURS.school, COLOURS.base] },
                legend: { orient: 'top', title: null, direction: 'vertical', offset: 4 },
              },
            },
          },
          // Pupils with no usable postcode: an outlined bar (a share of all pupils, not of the
          // classified ones the other bars divide), so that every pupil is in some bar.
          {
            transform: [{ filter: 'datum.notKnown && datum.pct != null' }],
            mark: { type: 'bar', height: { band: 0.9 }, fill: '#ffffff', stroke: COLOURS.school, strokeWidth: 0.8 },
            encoding: { y, yOffset, x: { field: 'pct', type: 'quantitative', stack: null } },
          },
          {
            transform: [{ filter: 'datum.note != null' }],
            mark: { type: 'text', align: 'left', dx: 3, fontStyle: 'italic', color: COLOURS.muted, fontSize: 8 },
            encoding: { y, yOffset, x: { field: 'notePos', type: 'quantitative' }, text: { field: 'note' } },
          },
        ],
      },
      {
        width: 160,
        height: { step: 18, for: 'position' },
        data: { name: 'idx' },
        layer: [
          { mark: { type: 'rule', color: AXIS_COLOUR, strokeDash: [3, 2] }, encoding: { x: { datum: 100 } } },
          {
            transform: [{ filter: '!datum.hidden' }],
            mark: { type: 'rule', strokeWidth: 1.6 },
            encoding: {
              y: { ...idxY, axis: null },
              x: { ...indexX(''), field: 'lo' },
              x2: { field: 'hi' },
              stroke: statusEncoding(PROFILE_MARKS, PROFILE_LEGEND).stroke,
            },
          },
          {
            transform: [{ filter: '!datum.hidden' }],
            mark: { type: 'point', size: 52, opacity: 1, strokeWidth: 1.2 },
            encoding: {
              y: { ...idxY, axis: null },
              x: indexX('Index (100 = same share as the base)'),
              ...statusEncoding(PROFILE_MARKS, PROFILE_LEGEND),
            },
          },
          {
            mark: { type: 'text', align: 'left', dx: 6, baseline: 'middle' },
            encoding: { y: { ...idxY, axis: null }, x: { value: 160 }, text: { field: 'label' } },
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
    params: domainParams('imd'),
    data: { name: 'imd' },
    layer: [
      {
        mark: { type: 'bar', width: { band: 0.9 } },
        encoding: {
          x: {
            field: 'decileLabel',
            type: 'ordinal',
            scale: { domain: { expr: 'imdDeciles' } },
            title: 'IMD decile of home neighbourhood (1 = most deprived 10% of neighbourhoods in England, 10 = least deprived)',
            axis: { labelAngle: 0 },
          },
          xOffset: { field: 'series', scale: { domain: { expr: 'imdSeries' } } },
          y: { field: 'pct', type: 'quantitative', title: '% of pupils', axis: { tickCount: 4 }, stack: null },
          color: {
            field: 'series',
            type: 'nominal',
            scale: { domain: { expr: 'imdSeries' }, range: [COLOURS.school, COLOURS.base] },
            legend: { orient: 'top', title: null, direction: 'horizontal', offset: 4 },
          },
        },
      },
      {
        transform: [{ filter: 'datum.hidden' }],
        mark: { type: 'text', baseline: 'bottom', dy: -2, fontStyle: 'italic', color: COLOURS.muted },
        encoding: {
          x: { field: 'decileLabel', type: 'ordinal', scale: { domain: { expr: 'imdDeciles' } } },
          xOffset: { field: 'series', scale: { domain: { expr: 'imdSeries' } } },
          y: { datum: 0 },
          text: { value: 'c' },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

/** Where the school sits in its cluster: min-max range, median tick, the school's share as a dot. */
function clusterRangeSpec(): TopLevelSpec {
  // Labels clear of a school's dot sitting at 0 (the dot's radius is about 4 points).
  const y = { field: 'name', type: 'nominal', scale: { domain: { expr: 'clusterNames' } }, title: null, axis: { labelLimit: 150, ticks: false, domain: false, labelPadding: 9 } };
  const x = { type: 'quantitative', title: '% of pupils at each school in the cluster', scale: { domainMin: 0, nice: true }, axis: { tickCount: 5 } };
  return {
    config: CONFIG,
    params: domainParams('clusterRange'),
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
  const y = { field: 'name', type: 'nominal', sort: { field: 'order', op: 'min' }, title: null, axis: { labelLimit: 170, ticks: false, domain: false, labelPadding: 9 } };
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
          stroke: statusEncoding(FA_MARKS, FA_LEGEND).stroke,
        },
      },
      {
        transform: [{ filter: '!datum.hidden' }],
        mark: { type: 'point', size: 46, opacity: 1, strokeWidth: 1 },
        encoding: {
          y,
          x: indexX('Index (log scale): 100 = clients in the same proportion as the base'),
          ...statusEncoding(FA_MARKS, FA_LEGEND),
        },
      },
      { mark: { type: 'text', align: 'left', dx: 6, baseline: 'middle' }, encoding: { y, x: { value: 260 }, text: { field: 'label' } } },
    ],
  } as unknown as TopLevelSpec;
}

/** Funnel plot: contacts as % of expected against base size, with 95% and family-wise control limits. */
function funnelSpec(): TopLevelSpec {
  const x = { field: 'x', type: 'quantitative', title: 'Client families expected', scale: { zero: true, nice: true }, axis: { tickCount: 5 } };
  const y = { field: 'y', type: 'quantitative', title: 'Contacts as % of expected', scale: { domain: [0, 300], clamp: true }, axis: { values: [0, 50, 100, 150, 200, 250, 300], labelExpr: "datum.value >= 300 ? '\u2265300' : datum.label" } };
  return {
    config: CONFIG,
    width: 205,
    height: 170,
    layer: [
      { data: { values: [{}] }, mark: { type: 'rule', color: AXIS_COLOUR, strokeDash: [3, 2] }, encoding: { y: { datum: 100 } } },
      // Control limits: 95% for one place alone dashed, family-wise solid (explained beside the chart).
      {
        data: { name: 'lim' },
        transform: [{ filter: "datum.limit === '95% limits'" }],
        mark: { type: 'line', clip: true, strokeWidth: 1, strokeDash: [4, 2], color: COLOURS.muted, interpolate: 'monotone' },
        encoding: { x, y, detail: { field: 'key' } },
      },
      {
        data: { name: 'lim' },
        transform: [{ filter: "datum.limit !== '95% limits'" }],
        mark: { type: 'line', clip: true, strokeWidth: 1, color: COLOURS.muted, interpolate: 'monotone' },
        encoding: { x, y, detail: { field: 'key' } },
      },
      {
        data: { name: 'pts' },
        mark: { type: 'point', size: 30, opacity: 0.9, strokeWidth: 1, clip: true },
        encoding: { x, y, ...statusEncoding(FUNNEL_MARKS, { orient: 'bottom', title: null, columns: 2 }) },
      },
      // Places outside the limits carry their number in the list beside the chart.
      {
        data: { name: 'pts' },
        transform: [{ filter: 'datum.label != null' }],
        mark: { type: 'text', align: 'left', dx: 5, dy: -4, fontSize: 7.5, color: COLOURS.ink, clip: true },
        encoding: { x, y, text: { field: 'label' } },
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

export const ADMISSION_STATUS = {
  lower: 'Lower than the LA',
  ns: 'No clear difference',
  higher: 'Higher than the LA',
} as const;

/**
 * Who gets their first choice: each neighbourhood type's share offered its first preference (left)
 * and naming its nearest school first (right), with exact intervals at the family-wise level and
 * the LA's rate as a dashed line.
 */
function admissionsRatesSpec(): TopLevelSpec {
  const y = { field: 'name', type: 'nominal', sort: { field: 'order', op: 'min' } };
  const panel = (name: string, title: string, withAxis: boolean) => {
    // Both layers carry the same y axis: a layer's `axis: null` wins the merge and drops the labels.
    const yAxis = withAxis ? { labelLimit: 150, ticks: false, domain: false, labelPadding: 9 } : null;
    return {
    width: 165,
    height: { step: 18 },
    data: { name },
    layer: [
      { transform: [{ filter: 'datum.order == 0' }], mark: { type: 'rule', color: AXIS_COLOUR, strokeDash: [3, 2] }, encoding: { x: { field: 'la', type: 'quantitative' } } },
      {
        mark: { type: 'rule', strokeWidth: 1.6 },
        encoding: {
          y: { ...y, title: null, axis: yAxis },
          x: { field: 'lo', type: 'quantitative', scale: { zero: false, nice: true }, title },
          x2: { field: 'hi' },
          color: { field: 'status', type: 'nominal', scale: { domain: Object.values(ADMISSION_STATUS), range: [COLOURS.lower, COLOURS.neutral, COLOURS.higher] } },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 40, opacity: 1 },
        encoding: {
          y: { ...y, title: null, axis: yAxis },
          x: { field: 'rate', type: 'quantitative', axis: { tickCount: 4, title } },
          color: { field: 'status', type: 'nominal', legend: { orient: 'bottom', title: null, direction: 'horizontal', symbolType: 'circle', offset: 6 } },
        },
      },
    ],
    resolve: { scale: { x: 'shared' } },
    };
  };
  return {
    config: CONFIG,
    hconcat: [panel('first', '% offered their first preference', true), panel('nearest', '% naming their nearest school first', false)],
    resolve: { scale: { x: 'independent', y: 'shared', color: 'shared' }, legend: { color: 'shared' } },
  } as unknown as TopLevelSpec;
}

const SPECS = {
  profileSupergroups: profileSupergroupSpec,
  imd: imdSpec,
  clusterRange: clusterRangeSpec,
  faIndex: faIndexSpec,
  funnel: funnelSpec,
  trend: trendSpec,
  admissionsRates: admissionsRatesSpec,
  schoolMap: schoolMapSpec,
  faWardMap: wardMapSpec([FUNNEL_STATUS.below, FUNNEL_STATUS.within, FUNNEL_STATUS.above], [COLOURS.lower, COLOURS.neutral, COLOURS.higher], 'circle area: pupils in the under-represented types'),
  firstPrefWardMap: wardMapSpec([ADMISSION_STATUS.lower, ADMISSION_STATUS.ns, ADMISSION_STATUS.higher], [COLOURS.lower, COLOURS.neutral, COLOURS.higher], 'circle area: first preferences not offered'),
} as const;

export type ChartKind = keyof typeof SPECS;

/**
 * Datasets drawn as plain rectangles whose items are made here from the rows rather than by Vega's
 * dataflow (directRects below): a map's few hundred squares were most of its layout time, and
 * their items are nothing but the rows' positions and a colour.
 */
const DIRECT_RECTS: Partial<Record<ChartKind, readonly string[]>> = {
  schoolMap: ['bg', 'cells'],
  faWardMap: ['bg'],
  firstPrefWardMap: ['bg'],
};

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
const directMarks = new Map<ChartKind, readonly DirectRectMark[]>();
const idleViews = new Map<ChartKind, vega.View[]>();
const MAX_IDLE_VIEWS = 4;

function runtime(kind: ChartKind): vega.Runtime {
  let rt = runtimes.get(kind);
  if (!rt) {
    const spec = compile(SPECS[kind]()).spec;
    directMarks.set(kind, (DIRECT_RECTS[kind] ?? []).map((dataset) => directRectMark(spec, dataset)));
    rt = vega.parse(spec);
    runtimes.set(kind, rt);
  }
  return rt;
}

// ---------------------------------------------------------------------------------------------
// Direct rectangles: a rect mark's items made from its rows as Vega's encoders make them
// ---------------------------------------------------------------------------------------------
type Encoding = { value?: unknown; field?: unknown; scale?: unknown };

interface DirectRectMark {
  dataset: string;
  /** The Vega mark drawn from the dataset (its node in the scenegraph gets the items). */
  name: string;
  /** Constant properties (fill, stroke, strokeWidth, ...), and the ones read from a row's field through a scale. */
  values: Partial<Record<StyleChannel, unknown>>;
  scaled: { channel: StyleChannel; scale: string; field: string }[];
}

/** What a direct rectangle may set besides its position (read by Vega's rect drawing code). */
const STYLE_CHANNELS = ['fill', 'stroke', 'strokeWidth', 'opacity', 'fillOpacity', 'strokeOpacity'] as const;
type StyleChannel = (typeof STYLE_CHANNELS)[number];
const isStyleChannel = (c: string): c is StyleChannel => (STYLE_CHANNELS as readonly string[]).includes(c);

/**
 * Reads the compiled Vega mark drawn from `dataset` and keeps what its update encoder sets: x, x2,
 * y, y2 from fields of the same names, other channels from constants or a named scale of a field.
 * Anything else (another position channel, an expression, a signal, a nested mark) is refused, so
 * a spec change the direct route cannot follow fails loudly rather than drawing something else.
 */
function directRectMark(spec: vega.Spec, dataset: string): DirectRectMark {
  const marks = (spec.marks ?? []).filter((m) => (m.from as { data?: string } | undefined)?.data === dataset);
  const mark = marks[0];
  if (marks.length !== 1 || !mark || mark.type !== 'rect' || !mark.name) throw new Error(`direct rectangles: dataset "${dataset}" must feed exactly one top-level rect mark`);
  const encode = (mark.encode ?? {}) as Record<string, Record<string, Encoding> | undefined>;
  if (Object.keys(encode).some((k) => k !== 'update')) throw new Error(`direct rectangles: mark ${mark.name} has encode sets other than update`);
  const values: DirectRectMark['values'] = {};
  const scaled: DirectRectMark['scaled'] = [];
  for (const [channel, e] of Object.entries(encode.update ?? {})) {
    const keys = Object.keys(e).sort().join(',');
    if (['x', 'x2', 'y', 'y2'].includes(channel)) {
      if (keys !== 'field' || e.field !== channel) throw new Error(`direct rectangles: ${mark.name}.${channel} must be the field "${channel}"`);
    } else if (!isStyleChannel(channel)) throw new Error(`direct rectangles: ${mark.name} sets ${channel}, which they do not draw`);
    else if (keys === 'value') values[channel] = e.value;
    else if (keys === 'field,scale' && typeof e.field === 'string' && typeof e.scale === 'string') scaled.push({ channel, scale: e.scale, field: e.field });
    else throw new Error(`direct rectangles: ${mark.name}.${channel} is neither a constant nor a scaled field`);
  }
  return { dataset, name: mark.name, values, scaled };
}

/**
 * The scenegraph items Vega would make for the rows (vega-runtime's adjustSpatial for x2 and y2).
 * Each item is one object literal of the same shape: copying the constants in with a spread and
 * adding the rest cost about 10 µs an item (V8 leaves such objects slow), a literal 0.2 µs.
 */
function directRectItems(view: vega.View, m: DirectRectMark, rows: readonly object[]): object[] {
  const style = { ...m.values };
  const scales = m.scaled.map((s) => ({ channel: s.channel, field: s.field, fn: view.scale(s.scale) as (v: unknown) => unknown }));
  return rows.map((row) => {
    const r = row as Record<string, unknown>;
    for (const s of scales) style[s.channel] = s.fn(r[s.field]);
    const x = r.x as number;
    const x2 = r.x2 as number;
    const y = r.y as number;
    const y2 = r.y2 as number;
    return {
      fill: style.fill,
      stroke: style.stroke,
      strokeWidth: style.strokeWidth,
      opacity: style.opacity,
      fillOpacity: style.fillOpacity,
      strokeOpacity: style.strokeOpacity,
      x: x > x2 ? x2 : x,
      x2: x > x2 ? x : x2,
      y: y > y2 ? y2 : y,
      y2: y > y2 ? y : y2,
      width: Math.abs(x2 - x),
      height: Math.abs(y2 - y),
    };
  });
}

/** The scenegraph with each direct mark given its items (copies of the nodes it changes). */
function withDirectRects(root: SceneNode, items: ReadonlyMap<string, object[]>): SceneNode {
  if (!items.size || !root || !Array.isArray(root.items)) return root;
  let found = 0;
  const visit = (node: SceneNode): SceneNode => {
    if (!Array.isArray(node.items)) return node;
    const own = node.marktype && node.name !== undefined ? items.get(node.name) : undefined;
    if (own) {
      found++;
      return Object.assign(Object.create(Object.getPrototypeOf(node) as object) as SceneNode, node, { items: own });
    }
    const children = node.items.map(visit);
    if (children.every((x, i) => x === node.items![i])) return node;
    return Object.assign(Object.create(Object.getPrototypeOf(node) as object) as SceneNode, node, { items: children });
  };
  const out = visit(root);
  if (found !== items.size) throw new Error(`direct rectangles: ${items.size - found} mark(s) not found in the scenegraph`);
  return out;
}

/**
 * Compile every chart kind's spec now (Vega-Lite to Vega, then parsed): a render thread does this
 * when it starts, so its first document does not. Returns how many kinds were not compiled yet.
 */
export function prepareCharts(): number {
  let done = 0;
  for (const kind of Object.keys(SPECS) as ChartKind[]) {
    if (runtimes.has(kind)) continue;
    runtime(kind);
    done++;
  }
  return done;
}

export type ChartData = Record<string, readonly object[]>;

/**
 * A chart laid out by Vega, ready to draw. Its View comes from a small pool and goes back to it
 * once the chart is drawn, so draw it once, soon (the next chart of the same kind may reuse it).
 */
export interface Chart {
  kind: ChartKind;
  /** The datasets the chart was drawn from (alt text is written from the same rows; tests compare them). */
  data: ChartData;
  /** Size in points, padding included (what Vega's own renderers would make). */
  width: number;
  height: number;
  /** Where the plot area's top-left corner is, from the chart's top-left (padding, axes and legends before it). */
  origin: readonly [number, number];
  /** Draw with the top-left corner at the context's origin. */
  draw(ctx: PdfCanvasContext): void;
}

/** Vega's canvas drawing code, pointed at our context (CanvasRenderer.draw dispatches by mark type). */
const drawer = { draw: (vega as unknown as { CanvasRenderer: { prototype: { draw: (ctx: unknown, scene: unknown, bounds: null) => void } } }).CanvasRenderer.prototype.draw };

interface ViewInternals {
  _viewWidth: number;
  _viewHeight: number;
  _origin: [number, number];
}

/** A View's width and height signals as built (before any layout grew them), and the text of its first legends. */
const initialSize = new WeakMap<vega.View, { size: readonly [number, number]; legends: string }>();

function newView(kind: ChartKind): vega.View {
  const view = new vega.View(runtime(kind), { renderer: 'none', logLevel: vega.Error });
  initialSize.set(view, { size: [view.width(), view.height()], legends: '' });
  return view;
}

/** The text of every legend in a scenegraph (titles and labels), in scenegraph order. */
function legendText(node: SceneNode, inLegend = false): string {
  if (!node || !Array.isArray(node.items)) return '';
  const legend = inLegend || node.role === 'legend';
  // Items of a mark other than a group hold nothing further down: only a legend's text is read.
  if (node.marktype && node.marktype !== 'group' && !(legend && node.marktype === 'text')) return '';
  let out = '';
  for (const item of node.items) {
    if (legend && node.marktype === 'text') out += `${String((item as { text?: unknown }).text)}\u0000`;
    out += legendText(item, legend);
  }
  return out;
}

async function runView(kind: ChartKind, data: ChartData, fresh = false): Promise<vega.View> {
  installTextMetrics();
  // Views are pooled per kind: building one from the parsed runtime costs several ms, and a profile
  // PDF has half a dozen charts. A reused View keeps the guide items (axis ticks, labels, legend
  // entries) its earlier charts share with this one, so drawing goes through canonicalScene.
  const pool = idleViews.get(kind) ?? [];
  idleViews.set(kind, pool);
  const reused = fresh ? undefined : pool.pop();
  const view = reused ?? newView(kind);
  try {
    // Vega sizes a View (autosize "pad") on its first run only, and grows it from the size it has:
    // a reused View is given back the size it started with and asked to lay out again, or the
    // chart's box would depend on the charts the thread drew before (longer axis labels).
    if (reused) {
      const [w, h] = initialSize.get(view)!.size;
      view.width(w).height(h).resize();
    }
    for (const [name, rows] of Object.entries(data)) view.data(name, rows as object[]);
    for (const [name, c] of Object.entries(CATEGORY_DOMAINS[kind] ?? {})) view.signal(name, domainByMin(c.rows(data), c.field, c.by));
    await view.runAsync();
    const legends = legendText((view.scenegraph() as unknown as { root: SceneNode }).root);
    if (!reused) initialSize.get(view)!.legends = legends;
    else if (legends !== initialSize.get(view)!.legends) {
      // Vega does not re-measure a legend's entries when they change on a reused View (it keeps
      // the bounds they had), so a chart whose legends say something else is laid out afresh.
      view.finalize();
      return runView(kind, data, true);
    }
    return view;
  } catch (err) {
    view.finalize();
    throw err;
  }
}

function release(kind: ChartKind, view: vega.View): void {
  const pool = idleViews.get(kind)!;
  if (pool.length < MAX_IDLE_VIEWS) pool.push(view);
  else view.finalize();
}

interface SceneNode {
  marktype?: string;
  name?: string;
  role?: string;
  items?: SceneNode[];
  datum?: { value?: unknown; label?: unknown };
  x?: number;
  y?: number;
}

const GUIDE_ROLE = /^(axis|legend)-/;
const guideKey = (n: SceneNode): unknown => n.datum?.value ?? n.datum?.label ?? null;

function compareGuideItems(a: SceneNode, b: SceneNode): number {
  const ka = guideKey(a);
  const kb = guideKey(b);
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) return ka - kb;
  const sa = String(ka);
  const sb = String(kb);
  if (sa !== sb) return sa < sb ? -1 : 1;
  return (a.x ?? 0) - (b.x ?? 0) || (a.y ?? 0) - (b.y ?? 0);
}

/**
 * The scenegraph to draw, with the items of every guide mark (axis ticks, labels, grid lines,
 * legend entries) in one canonical order. A pooled View adds and removes guide items as the data
 * changes, so their array order depends on what the View drew before; the picture does not, but
 * the PDF's bytes would, and identical input must give identical bytes whatever the thread drew
 * earlier (test/pdf/reproducible.test.ts). Copies the nodes it reorders; the View's own
 * scenegraph is left untouched.
 */
function canonicalScene(node: SceneNode): SceneNode {
  if (!node || !Array.isArray(node.items)) return node;
  const guide = node.marktype !== undefined && GUIDE_ROLE.test(node.role ?? '');
  // A mark other than a group holds leaf items: nothing below them to reorder.
  if (node.marktype && node.marktype !== 'group' && !guide) return node;
  let items = node.items.map(canonicalScene);
  if (guide) items = [...items].sort(compareGuideItems);
  if (items.every((x, i) => x === node.items![i])) return node;
  return Object.assign(Object.create(Object.getPrototypeOf(node) as object) as SceneNode, node, { items });
}

/**
 * Lay out a chart kind with the given named datasets. The datasets of its direct rectangles
 * (DIRECT_RECTS) go to Vega empty and their items are made here; `{ direct: false }` sends every
 * row through Vega (tests compare the two).
 */
export async function renderChart(kind: ChartKind, data: ChartData, opts: { direct?: boolean } = {}): Promise<Chart> {
  runtime(kind);
  const direct = opts.direct === false ? [] : directMarks.get(kind)!.filter((m) => m.dataset in data);
  const vegaData = direct.length ? { ...data, ...Object.fromEntries(direct.map((m) => [m.dataset, []])) } : data;
  const view = await runView(kind, vegaData);
  // The size and origin Vega's renderers use (vega-view render-size.js): view size plus padding.
  const v = view as unknown as ViewInternals;
  const pad = view.padding() as { left: number; right: number; top: number; bottom: number };
  const width = Math.max(0, v._viewWidth + pad.left + pad.right);
  const height = Math.max(0, v._viewHeight + pad.top + pad.bottom);
  const origin = [pad.left + v._origin[0], pad.top + v._origin[1]] as const;
  let drawn = false;
  return {
    kind,
    data,
    width,
    height,
    origin,
    draw(ctx: PdfCanvasContext): void {
      if (drawn) throw new Error(`chart ${kind} drawn twice`);
      drawn = true;
      try {
        ctx.save();
        ctx.translate(origin[0], origin[1]);
        let scene = canonicalScene((view.scenegraph() as unknown as { root: SceneNode }).root);
        if (direct.length) scene = withDirectRects(scene, new Map(direct.map((m) => [m.name, directRectItems(view, m, data[m.dataset]!)])));
        drawer.draw(ctx, scene, null);
        ctx.restore();
      } finally {
        release(kind, view);
      }
    },
  };
}

/** Vega's own SVG of a chart (for tests, which compare the PDF drawing against it, and for looking at). */
export async function renderChartSvg(kind: ChartKind, data: ChartData): Promise<{ svg: string; width: number; height: number }> {
  const view = await runView(kind, data);
  try {
    const svg = await view.toSVG();
    const m = /<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svg);
    return { svg, width: Number(m?.[1]), height: Number(m?.[2]) };
  } finally {
    release(kind, view);
  }
}

/** Release pooled Views (tests; a worker keeps them for its lifetime). */
export function resetCharts(): void {
  for (const views of idleViews.values()) for (const v of views) v.finalize();
  idleViews.clear();
}
