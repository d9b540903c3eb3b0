/**
 * The module a render pool's worker thread loads (bundled by render-worker-entry.ts, or through
 * tsx by render-worker.js): the queued render task, handed over once the thread has parsed its
 * fonts and compiled its chart specs. Piscina awaits a default export that is a promise when the
 * thread starts, before its first task; the pipeline starts the pool while its first stages run
 * (a core is often idle then), so this work is done early instead of inside the first document.
 * Inline renders (tests, Lambda) import render-task.ts and prepare lazily, as before.
 */
import { prepareCharts } from './charts.ts';
import { prepareFonts } from './fonts.ts';
import queuedRenderTask from './render-task.ts';

export default Promise.resolve().then(() => {
  prepareFonts();
  prepareCharts();
  return queuedRenderTask;
});
