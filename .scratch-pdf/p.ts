import * as vega from 'vega';
import { compile } from 'vega-lite';
import PDFDocument from 'pdfkit';
// @ts-ignore
import SVGtoPDF from 'svg-to-pdfkit';
import * as fontkit from 'fontkit';
import { readFileSync, writeFileSync } from 'node:fs';
const reg = (fontkit as any).create(readFileSync('node_modules/source-sans/TTF/SourceSans3-Regular.ttf'));
const semi = (fontkit as any).create(readFileSync('node_modules/source-sans/TTF/SourceSans3-Semibold.ttf'));
const spec: any = {
  width: 400, height: 200, data: { name: 'table' },
  mark: 'bar', encoding: { y: { field: 'name', type: 'nominal' }, x: { field: 'v', type: 'quantitative' } },
  config: { font: 'Source Sans 3' },
};
const runtime = vega.parse(compile(spec).spec);
const view = new vega.View(runtime, { renderer: 'none' });
const mk = (i: number) => Array.from({ length: 8 }, (_, k) => ({ name: 'Group ' + k, v: (k * 7 + i) % 30 }));
async function svgFor(i: number) { view.data('table', mk(i)); await view.runAsync(); return view.toSVG(); }
async function one(i: number) {
  const doc = new PDFDocument({ size: 'A4', font: null as any, tagged: true, lang: 'en-GB', info: { Title: 'x', CreationDate: new Date(0) } as any });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((r) => doc.on('end', () => r(Buffer.concat(chunks))));
  doc.registerFont('SS', reg as any); doc.registerFont('SS-Bold', semi as any); doc.font('SS');
  let tS = 0, tP = 0;
  for (let p = 0; p < 2; p++) {
    if (p) doc.addPage();
    doc.font('SS-Bold').fontSize(18).text('Some school name primary ' + i, 50, 50);
    doc.font('SS').fontSize(10).text('Lorem ipsum dolor sit amet '.repeat(40), { width: 495 });
    for (let c = 0; c < 2; c++) {
      let t = performance.now();
      const svg = await svgFor(i + c);
      tS += performance.now() - t; t = performance.now();
      SVGtoPDF(doc, svg, 50, 300 + c * 250, { width: 489, height: 242, fontCallback: (f: string, b: boolean) => (b ? 'SS-Bold' : 'SS') });
      tP += performance.now() - t;
    }
  }
  let t = performance.now();
  doc.end();
  const buf = await done;
  return { buf, tS, tP, tEnd: performance.now() - t };
}
for (let i = 0; i < 20; i++) await one(i);
const N = 100; let agg = { tS: 0, tP: 0, tEnd: 0 }; let size = 0;
const t0 = performance.now();
for (let i = 0; i < N; i++) { const r = await one(i); agg.tS += r.tS; agg.tP += r.tP; agg.tEnd += r.tEnd; size = r.buf.length; if (i === 0) writeFileSync('.scratch-pdf/p.pdf', r.buf); }
console.log('per doc ms', (performance.now() - t0) / N, 'vega', agg.tS / N, 'svg2pdf', agg.tP / N, 'end', agg.tEnd / N, 'size', size);
