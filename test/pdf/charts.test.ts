import { describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import { chartSpec, liftSvgText, renderChartSvg, slimSvg, type ChartKind } from '../../functions/pdf/charts.ts';

describe('charts', () => {
  it('every chart kind compiles without Vega-Lite warnings', () => {
    const kinds: ChartKind[] = ['profileSupergroups', 'imd', 'clusterRange', 'faIndex', 'funnel', 'trend'];
    for (const k of kinds) {
      const warnings: string[] = [];
      const logger = { level: () => logger, error: () => logger, warn: (...m: unknown[]) => (warnings.push(m.join(' ')), logger), info: () => logger, debug: () => logger };
      compile(chartSpec(k), { logger: logger as never });
      expect(warnings, k).toEqual([]);
    }
  });

  it('slims Vega SVG without changing what is drawn', () => {
    const svg = '<svg width="10" height="10"><g><g class="mark-group role-axis" transform="translate(2,3)"><g><path class="background" aria-hidden="true" d="M0,0h0v0h0Z"/><line x2="5" opacity="1"/></g></g></g></svg>';
    expect(slimSvg(svg)).toBe('<svg width="10" height="10"><g transform="translate(2,3)"><line x2="5"/></g></svg>');
  });

  it('lifts text out of the SVG with group translations resolved', () => {
    const svg =
      '<svg><g transform="translate(10,20)"><g transform="translate(1,2)"><text text-anchor="end" transform="translate(-8,13)" font-size="9px" fill="#111">A &amp; B</text></g>' +
      '<text transform="translate(-30,55) rotate(-90) translate(0,-2)" font-size="9px" font-weight="bold" fill="#222">% of pupils</text></g><path d="M0,0"/></svg>';
    const { svg: rest, texts } = liftSvgText(svg);
    expect(rest).toBe('<svg><g transform="translate(10,20)"><g transform="translate(1,2)"></g></g><path d="M0,0"/></svg>');
    expect(texts).toEqual([
      expect.objectContaining({ text: 'A & B', x: 3, y: 35, anchor: 'end', size: 9, rotate: 0 }),
      expect.objectContaining({ text: '% of pupils', x: -20, y: 75, rotate: -90, dx: 0, dy: -2, weight: 'bold' }),
    ]);
  });

  it('renders a chart to SVG with its text lifted, reusing pooled views', async () => {
    const rows = (k: number) => ({
      cl: ['A', 'B', 'C'].map((name, i) => ({ name, order: i, min: 1 + k, median: 5, max: 20, school: 7 + i, label: `${7 + i}%` })),
    });
    const a = await renderChartSvg('clusterRange', rows(0));
    const b = await renderChartSvg('clusterRange', rows(1));
    expect(a.width).toBeGreaterThan(300);
    expect(a.svg).not.toContain('<text');
    expect(a.texts.map((t) => t.text)).toEqual(expect.arrayContaining(['A', 'B', 'C', '8%']));
    expect(a.svg).not.toBe(b.svg);
  });
});
