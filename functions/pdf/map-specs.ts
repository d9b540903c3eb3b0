/**
 * Maps as Vega-Lite charts, drawn offline through the same stack as every other chart (charts.ts):
 * no tiles, no basemap service. Every position is worked out in TypeScript (maps.ts) as points on
 * the page, north up, one scale for x and y, so the specs use `scale: null` and stay the same for
 * every map; a map is squares (rect marks), circles (point marks sized in square points), a marker
 * and a scale bar.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_FONT_FAMILY } from './fonts.ts';

/** Drawn size of the school map and of the LA maps, points (the plot area; legends sit beside it). */
export const SCHOOL_MAP_SIZE = 330;
export const LA_MAP = { width: 515, height: 300 } as const;

/** Pupil count classes of a school map's squares, on the shown counts. */
export const CELL_CLASSES = ['1 to 4 (c)', '5', '10 to 15', '20 to 45', '50 to 95', '100 or more'] as const;
export const CELL_COLOURS = ['#d0e1f2', '#b3d3e8', '#8fc1de', '#5ba3d0', '#2b7bba', '#08519c'] as const;
export const BACKGROUND = '#e6e8ea';
const MUTED = '#505a5f';

const FONT = { font: CHART_FONT_FAMILY, aria: false, background: null, padding: 2, view: { stroke: null } } as const;

const px = (field: string) => ({ field, type: 'quantitative', scale: null, axis: null });

function frameLayer() {
  return { data: { name: 'frame' }, mark: { type: 'rect', fill: null, stroke: '#b1b4b6', strokeWidth: 0.6 }, encoding: { x: px('x'), x2: { field: 'x2' }, y: px('y'), y2: { field: 'y2' } } };
}

function backgroundLayer() {
  return { data: { name: 'bg' }, mark: { type: 'rect', color: BACKGROUND, clip: true }, encoding: { x: px('x'), x2: { field: 'x2' }, y: px('y'), y2: { field: 'y2' } } };
}

function scaleBarLayers() {
  return [
    { data: { name: 'scale' }, mark: { type: 'rule', color: '#1b1b1b', strokeWidth: 1.6 }, encoding: { x: px('x'), x2: { field: 'x2' }, y: px('y') } },
    { data: { name: 'scale' }, mark: { type: 'text', fontSize: 8, align: 'left', baseline: 'bottom', dy: -3, color: '#1b1b1b' }, encoding: { x: px('x'), y: px('y'), text: { field: 'label' } } },
  ];
}

/** A school's map: populated squares, the school's pupils per square by class, rings, the school. */
export function schoolMapSpec(): TopLevelSpec {
  return {
    config: { ...FONT, legend: { labelFontSize: 8.5, titleFontSize: 8.5, titleFontWeight: 'normal', titleColor: MUTED, labelColor: '#1b1b1b', symbolType: 'square', symbolSize: 90, symbolStrokeWidth: 0 } },
    width: SCHOOL_MAP_SIZE,
    height: SCHOOL_MAP_SIZE,
    layer: [
      backgroundLayer(),
      {
        data: { name: 'cells' },
        mark: { type: 'rect', clip: true, stroke: '#ffffff', strokeWidth: 0.3 },
        encoding: {
          x: px('x'),
          x2: { field: 'x2' },
          y: px('y'),
          y2: { field: 'y2' },
          color: { field: 'cls', type: 'ordinal', scale: { domain: [...CELL_CLASSES], range: [...CELL_COLOURS] }, legend: { title: 'Pupils per square', orient: 'right', offset: 8 } },
        },
      },
      {
        data: { name: 'rings' },
        mark: { type: 'point', shape: 'circle', filled: false, clip: true, stroke: MUTED, strokeWidth: 0.7, strokeDash: [3, 2], opacity: 1 },
        encoding: { x: px('x'), y: px('y'), size: { field: 'size', type: 'quantitative', scale: null } },
      },
      {
        data: { name: 'rings' },
        mark: { type: 'text', fontSize: 7.5, baseline: 'bottom', dy: -1, color: MUTED },
        transform: [{ filter: 'datum.labelY > 8' }],
        encoding: { x: px('x'), y: px('labelY'), text: { field: 'label' } },
      },
      {
        data: { name: 'school' },
        mark: { type: 'point', shape: 'diamond', filled: true, color: '#1b1b1b', stroke: '#ffffff', strokeWidth: 1, size: 110, opacity: 1 },
        encoding: { x: px('x'), y: px('y') },
      },
      {
        data: { name: 'school' },
        mark: { type: 'text', fontSize: 8.5, fontWeight: 'bold', align: 'left', dx: 7, baseline: 'middle', color: '#1b1b1b' },
        encoding: { x: px('x'), y: px('y'), text: { field: 'label' } },
      },
      ...scaleBarLayers(),
      frameLayer(),
    ],
  } as unknown as TopLevelSpec;
}

/**
 * An LA map of wards: the populated area, and a circle at each ward's centroid whose area is a
 * count (`size`, square points) and whose colour is a finding (`status`, one of `statuses`).
 */
export function wardMapSpec(statuses: readonly string[], colours: readonly string[], sizeTitle: string): () => TopLevelSpec {
  return () =>
    ({
      config: { ...FONT, legend: { labelFontSize: 8.5, titleFontSize: 8.5, titleFontWeight: 'normal', titleColor: MUTED, labelColor: '#1b1b1b', symbolType: 'circle', symbolSize: 70 } },
      width: LA_MAP.width,
      height: LA_MAP.height,
      layer: [
        backgroundLayer(),
        {
          data: { name: 'wards' },
          mark: { type: 'point', shape: 'circle', filled: true, opacity: 0.85, stroke: '#ffffff', strokeWidth: 0.6 },
          encoding: {
            x: px('x'),
            y: px('y'),
            size: { field: 'size', type: 'quantitative', scale: null },
            color: { field: 'status', type: 'nominal', scale: { domain: [...statuses], range: [...colours] }, legend: { title: null, orient: 'bottom', direction: 'horizontal', offset: 4 } },
            order: { field: 'order', type: 'quantitative' },
          },
        },
        {
          data: { name: 'labels' },
          mark: { type: 'text', fontSize: 7.5, align: 'left', dx: 5, baseline: 'middle', color: '#1b1b1b' },
          encoding: { x: px('x'), y: px('y'), text: { field: 'label' } },
        },
        {
          data: { name: 'key' },
          mark: { type: 'point', shape: 'circle', filled: false, stroke: MUTED, strokeWidth: 0.7, opacity: 1 },
          encoding: { x: px('x'), y: px('y'), size: { field: 'size', type: 'quantitative', scale: null } },
        },
        {
          data: { name: 'key' },
          mark: { type: 'text', fontSize: 7.5, align: 'left', dx: 2, baseline: 'middle', color: MUTED },
          encoding: { x: px('tx'), y: px('y'), text: { field: 'label' } },
        },
        { data: { values: [{ x: LA_MAP.width - 4, y: 10, label: sizeTitle }] }, mark: { type: 'text', fontSize: 7.5, align: 'right', color: MUTED }, encoding: { x: px('x'), y: px('y'), text: { field: 'label' } } },
        ...scaleBarLayers(),
        frameLayer(),
      ],
    }) as unknown as TopLevelSpec;
}
