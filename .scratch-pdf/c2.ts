import * as vega from 'vega';
import { compile } from 'vega-lite';
import PDFDocument from 'pdfkit';
// @ts-ignore
import SVGtoPDF from 'svg-to-pdfkit';
import * as fontkit from 'fontkit';
import { readFileSync, writeFileSync } from 'node:fs';
const reg = (fontkit as any).create(readFileSync('node_modules/source-sans/TTF/SourceSans3-Regular.ttf'));
const mode = process.argv[2] ?? '';
const spec: any = {
  width: 300, height: { step: 22 }, data: { name: 'table' },
  layer: [
    { mark: { type: 'rule', color: '#666' }, encoding: { x: { datum: 100 } } },
    { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { y: { field: 'name', type: 'nominal', sort: null, title: null }, x: { field: 'lo', type: 'quantitative', scale: { type: 'log', domain: [25, 400] }, title: 'Index (100 = same as LA)' }, x2: { field: 'hi' } } },
    { mark: { type: 'point', filled: true, size: 60 }, encoding: { y: { field: 'name', type: 'nominal', sort: null }, x: { field: 'idx', type: 'quantitative' }, color: { field: 'flag', type: 'nominal', legend: null } } },
    { mark: { type: 'text', align: 'left', dx: 6 }, encoding: { y: { field: 'name', type: 'nominal', sort: null }, x: { field: 'hi', type: 'quantitative' }, text: { field: 'label' } } },
  ],
  config: { font: 'Source Sans 3', aria: false, axis: { grid: false, tickCount: 5 }, view: { stroke: null } },
};
const runtime = vega.parse(compile(spec).spec);
const view = new vega.View(runtime, { renderer: 'none' });
const names = ['Rural residents','Cosmopolitans','Ethnicity central','Multicultural metropolitans','Urbanites','Suburbanites','Constrained city dwellers','Hard-pressed living'];
const mk = (i: number) => names.map((name, k) => { const idx = 40 + ((k * 37 + i) % 200); return { name, idx, lo: idx * 0.7, hi: idx * 1.4, flag: k % 3, label: String(idx) }; });
const shared = Object.create(null);
const strip = (s: string) => s.replace(/ (class|role|aria-[a-z]+|pointer-events)="[^"]*"/g, '');
let svg = '';
const N = 300;
let tV = 0, tP = 0, tE = 0, c0 = process.cpuUsage();
for (let i = 0; i < N + 50; i++) {
  if (i === 50) c0 = process.cpuUsage();
  let t = performance.now();
  view.data('table', mk(i)); await view.runAsync(); svg = await view.toSVG();
  if (mode.includes('strip')) svg = strip(svg);
  if (i >= 50) tV += performance.now() - t;
  const doc = new PDFDocument({ size: 'A4', font: null as any, compress: !mode.includes('nocomp') });
  doc.registerFont('SS', reg); doc.font('SS');
  if (mode.includes('cache')) (doc as any)._font.layoutCache = shared;
  const chunks: Buffer[] = []; doc.on('data', (c: Buffer) => chunks.push(c));
  t = performance.now();
  SVGtoPDF(doc, svg, 50, 50, { fontCallback: () => 'SS' });
  if (i >= 50) tP += performance.now() - t;
  t = performance.now();
  doc.end();
  if (i >= 50) tE += performance.now() - t;
}
const c = process.cpuUsage(c0);
console.log(mode, 'svg bytes', svg.length, 'vega ms', (tV / N).toFixed(2), 'svg2pdf ms', (tP / N).toFixed(2), 'end ms', (tE / N).toFixed(2), 'cpu/iter', ((c.user + c.system) / 1000 / N).toFixed(2));
