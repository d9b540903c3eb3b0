/**
 * Map figures for the PDFs: a school's map of where its pupils live (profile), and the LA's ward
 * maps (fair-access report), each with its alt text stating the main finding in words. Positions
 * are projected metres (schemas/sql/maps.ts) turned into points here, north up, one scale for both
 * axes; the specs are in map-specs.ts. Counts are the documents' own (shown counts for heads).
 */
import type { Cell, SchoolMap } from '../../schemas/profile-document.ts';
import type { ReportMap } from '../../schemas/admissions-document.ts';
import { renderChart, type Chart, type ChartKind } from './charts.ts';
import { fixed, listText, thousands } from './format.ts';
import { CELL_CLASSES, LA_MAP, SCHOOL_MAP_SIZE } from './map-specs.ts';

/** Where a map's plot sits on its page and which metres it shows (tests read the page image with it). */
export interface MapPlacement {
  kind: ChartKind;
  page: number;
  /** Top-left of the plot area on the page, points, and its size. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Points per metre, and the metres at the plot's left and top edges. */
  scale: number;
  left: number;
  top: number;
}

/** A map chart ready to place, with the transform from metres to the chart's plot. */
export interface MapFigure {
  chart: Chart;
  kind: ChartKind;
  alt: string;
  scale: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Class of a shown count on a school map (CELL_CLASSES). */
export function cellClass(n: Cell): string {
  if (n === 'c') return CELL_CLASSES[0];
  if (n < 10) return CELL_CLASSES[1];
  if (n < 20) return CELL_CLASSES[2];
  if (n < 50) return CELL_CLASSES[3];
  if (n < 100) return CELL_CLASSES[4];
  return CELL_CLASSES[5];
}

const NICE_KM = [0.5, 1, 2, 5, 10, 20, 50];

/** A scale bar of a round number of km, about a quarter of the map's width. */
function scaleBar(widthM: number, scale: number, y: number) {
  const km = NICE_KM.reduce((best, k) => (Math.abs(k * 1000 - widthM / 4) < Math.abs(best * 1000 - widthM / 4) ? k : best));
  return [{ x: 10, x2: 10 + km * 1000 * scale, y, label: km < 1 ? `${km * 1000} m` : `${km} km` }];
}

const COMPASS = ['east', 'north-east', 'north', 'north-west', 'west', 'south-west', 'south', 'south-east'];
const direction = (dx: number, dy: number) => COMPASS[Math.round(((Math.atan2(dy, dx) + 2 * Math.PI) % (2 * Math.PI)) / (Math.PI / 4)) % 8]!;

/** The main finding of a school's map, from its shown counts. */
export function schoolMapFinding(m: SchoolMap, schoolName: string): string {
  const matched = m.rings.reduce((s, r) => s + (typeof r.n === 'number' ? r.n : 0), 0);
  const parts: string[] = [];
  let cum = 0;
  let half: number | null = null;
  for (const r of m.rings) {
    cum += r.pct ?? 0;
    if (half === null && r.toKm !== null && cum >= 50) half = r.toKm;
  }
  const near = m.rings.filter((r) => r.toKm !== null && r.toKm <= 3).reduce((s, r) => s + (r.pct ?? 0), 0);
  if (half !== null) parts.push(`Half or more of the pupils of ${schoolName} live within ${half} km of the school; ${fixed(near, 0)}% live within 3 km.`);
  else parts.push(`Most pupils of ${schoolName} live more than 20 km from the school.`);
  const top = [...m.cells].filter((c) => typeof c.n === 'number').sort((a, b) => (b.n as number) - (a.n as number) || a.y - b.y || a.x - b.x)[0];
  if (top) {
    const dx = top.x + top.size / 2 - m.centre.x;
    const dy = top.y + top.size / 2 - m.centre.y;
    const km = Math.hypot(dx, dy) / 1000;
    parts.push(
      km < 0.5
        ? `The square with the most pupils (about ${thousands(top.n as number)}) is the school's own.`
        : `The square with the most pupils (about ${thousands(top.n as number)}) is ${fixed(km, 1)} km to the ${direction(dx, dy)} of the school.`,
    );
  }
  if (matched === 0) parts.push('No square can be shown.');
  return parts.join(' ');
}

/** A school's map: where its pupils live, the school, distance rings and a scale bar. */
export async function schoolMapFigure(m: SchoolMap, schoolName: string, threshold: number): Promise<MapFigure> {
  const size = SCHOOL_MAP_SIZE;
  const left = m.centre.x - m.halfWidth;
  const top = m.centre.y + m.halfWidth;
  const scale = size / (2 * m.halfWidth);
  const px = (x: number) => (x - left) * scale;
  const py = (y: number) => (top - y) * scale;
  const rect = (x: number, y: number, s: number) => ({ x: px(x), x2: px(x + s), y: py(y + s), y2: py(y) });
  const edges = m.rings.map((r) => r.toKm).filter((k): k is number => k !== null && k * 1000 < m.halfWidth * 1.42);
  const chart = await renderChart('schoolMap', {
    bg: m.background.map(([x, y, s]) => rect(x, y, s)),
    // One literal per square: `{ ...rect(), cls }` took about 2 µs a square in V8, a literal a tenth of that.
    cells: m.cells.map((c) => {
      const r = rect(c.x, c.y, c.size);
      return { x: r.x, x2: r.x2, y: r.y, y2: r.y2, cls: cellClass(c.n) };
    }),
    rings: edges.map((km) => ({ x: px(m.centre.x), y: py(m.centre.y), size: (2 * km * 1000 * scale) ** 2, labelY: py(m.centre.y) - km * 1000 * scale, label: `${km} km` })),
    school: [{ x: px(m.centre.x), y: py(m.centre.y), label: 'School' }],
    scale: scaleBar(2 * m.halfWidth, scale, size - 10),
    frame: [{ x: 0, x2: size, y: 0, y2: size }],
  });
  const alt =
    `Map of where the school's pupils live, in squares of 500 m in towns and up to 8 km in the countryside, shaded by the number of pupils (rounded to 5; 1 to ${threshold - 1} shown as c), ` +
    `with the school marked, rings at ${listText(edges.map((k) => `${k} km`))} and grey where people live. ${schoolMapFinding(m, schoolName)} The numbers by distance are in the table beside the map.`;
  return { chart, kind: 'schoolMap', alt, scale, left, top, width: size, height: size };
}

export interface WardSymbol {
  code: string;
  name: string | null;
  /** What the circle's area shows. */
  value: number;
  status: string;
  /** Shown beside the circle (the strongest findings), or null. */
  label: string | null;
}

/** A nice round value near `v` for the size key. */
function roundish(v: number): number {
  if (v <= 0) return 0;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((k) => k * p).reduce((best, k) => (Math.abs(k - v) < Math.abs(best - v) ? k : best));
}

/** The largest circle's diameter, points. */
const MAX_DIAMETER = 26;

/** An LA map of wards: the populated area, a circle per ward (area = value, colour = status). */
export async function wardMapFigure(kind: 'faWardMap' | 'firstPrefWardMap', map: ReportMap, symbols: readonly WardSymbol[], alt: string): Promise<MapFigure> {
  const { width, height } = LA_MAP;
  const e = map.extent;
  const pad = 8;
  const scale = Math.min((width - 2 * pad) / (e.x1 - e.x0), (height - 2 * pad) / (e.y1 - e.y0));
  const left = e.x0 - (width / scale - (e.x1 - e.x0)) / 2;
  const top = e.y1 + (height / scale - (e.y1 - e.y0)) / 2;
  const px = (x: number) => (x - left) * scale;
  const py = (y: number) => (top - y) * scale;
  const where = new Map(map.wards.map((w) => [w.code, w]));
  const max = Math.max(1, ...symbols.map((s) => s.value));
  const sizeOf = (v: number) => (MAX_DIAMETER * Math.sqrt(v / max)) ** 2;
  const placed = symbols.filter((s) => where.has(s.code) && s.value > 0);
  const keys = [...new Set([roundish(max / 4), roundish(max)])].filter((v) => v > 0);
  const chart = await renderChart(kind, {
    bg: map.background.map(([x, y, s]) => ({ x: px(x), x2: px(x + s), y: py(y + s), y2: py(y) })),
    // Largest first, so small circles are drawn on top.
    wards: [...placed].sort((a, b) => b.value - a.value || (a.code < b.code ? -1 : 1)).map((s, i) => ({ x: px(where.get(s.code)!.x), y: py(where.get(s.code)!.y), size: sizeOf(s.value), status: s.status, order: i })),
    labels: placed.filter((s) => s.label).map((s) => ({ x: px(where.get(s.code)!.x) + Math.sqrt(sizeOf(s.value)) / 2, y: py(where.get(s.code)!.y), label: s.label })),
    key: keys.map((v, i) => ({ x: width - 70, tx: width - 70 + MAX_DIAMETER / 2 + 2, y: 28 + i * (MAX_DIAMETER + 4), size: sizeOf(v), label: thousands(v) })),
    scale: scaleBar(e.x1 - e.x0, scale, height - 10),
    frame: [{ x: 0, x2: width, y: 0, y2: height }],
  });
  return { chart, kind, alt, scale, left, top, width, height };
}
