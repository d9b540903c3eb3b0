/**
 * The module the render pool's worker threads load: the renderer compiled by esbuild into one
 * JavaScript file (commons/module-bundle.js), so a worker starts with plain `import`s.
 *
 * Why: a worker thread that loads the TypeScript renderer through tsx (render-worker.js) registers
 * tsx's loader in that thread, which starts a loader thread of its own and sends every module of
 * the renderer and its packages through it; on the Kent-scale sample that cost each worker more CPU
 * than rendering the first thirty schools. The bundle holds this project's modules only; packages
 * (vega, pdfkit, fontkit, zod) stay imports that Node resolves from node_modules. It is built
 * whenever a pool starts (esbuild takes about a tenth of a second).
 *
 * Anything that stops the bundle (no esbuild, node_modules not writable) is said in one line on
 * stderr, and the workers load the tsx entry, which renders the same bytes, only slower to start.
 * Lambdas render in their own thread (`workers: 0`) and never get here.
 */
import { fileURLToPath } from 'node:url';
import { bundledOrTsx, bundleModule } from '../commons/module-bundle.js';

/** The TypeScript entry (registers tsx in the worker, then loads render-thread.ts). */
export const TSX_WORKER_ENTRY = new URL('./render-worker.js', import.meta.url).href;

/** Bundle render-thread.ts (the task module and its preparation) (this project's modules; packages stay imports) and return the file's URL. */
export async function bundleRenderer(): Promise<string> {
  const entry = fileURLToPath(new URL('./render-thread.ts', import.meta.url));
  return (await bundleModule({ entry, name: 'render-task', packages: 'external' })).url;
}

/** URL of the module for the pool's workers: the bundled renderer, or the tsx entry if it cannot be built. */
export const renderWorkerEntry = bundledOrTsx('the PDF render threads', bundleRenderer, TSX_WORKER_ENTRY);
