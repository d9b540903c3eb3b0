import * as vega from 'vega';
import { compile } from 'vega-lite';
const spec: any = {
  width: 400, height: 200, data: { name: 'table' },
  mark: 'bar', encoding: { y: { field: 'name', type: 'nominal' }, x: { field: 'v', type: 'quantitative' } },
  config: { font: 'Source Sans 3' },
};
const vg = compile(spec).spec;
const runtime = vega.parse(vg);
const mk = (i: number) => Array.from({ length: 8 }, (_, k) => ({ name: 'Group ' + k, v: (k * 7 + i) % 30 }));
let t = performance.now();
for (let i = 0; i < 50; i++) {
  const view = new vega.View(runtime, { renderer: 'none' });
  view.data('table', mk(i));
  await view.toSVG();
  view.finalize();
}
console.log('new view per chart ms', (performance.now() - t) / 50);
const view = new vega.View(runtime, { renderer: 'none' });
t = performance.now();
let svg = '';
for (let i = 0; i < 200; i++) {
  view.data('table', mk(i));
  await view.runAsync();
  svg = await view.toSVG();
}
console.log('reused view ms', (performance.now() - t) / 200);
console.log(svg.slice(0, 600));
