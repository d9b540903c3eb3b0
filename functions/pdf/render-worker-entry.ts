/**
 * The module the render pool's worker threads load: the renderer compiled by esbuild into one
 * JavaScript file, so a worker starts with plain `import`s.
 *
 * Why: a worker thread that loads the TypeScript renderer through tsx (render-worker.js) registers
 * tsx's loader in that thread, which starts a loader thread of its own and sends every module of
 * the renderer and its packages through it; on the Kent-scale sample that cost each worker more CPU
 * than rendering the first thirty schools. The bundle holds this project's modules only; packages
 * (vega, pdfkit, fontkit, zod) stay imports that Node resolves from node_modules, which is why the
 * file is written under node_modules/.cache/catchment/ (found by resolving pdfkit from here). It is
 * built whenever a pool starts (esbuild takes about a tenth of a second), named by the hash of its
 * contents, so a changed renderer is never served stale.
 *
 * Anything that stops the bundle (no esbuild, node_modules not writable) falls back to the tsx
 * entry, which renders the same bytes, only slower to start. Lambdas render in their own thread
 * (`workers: 0`) and never get here.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The TypeScript entry (registers tsx in the worker, then loads render-thread.ts). */
export const TSX_WORKER_ENTRY = new URL('./render-worker.js', import.meta.url).href;

let entry: Promise<string> | null = null;

/** URL of the module for the pool's workers: the bundled renderer, or the tsx entry if it cannot be built. */
export function renderWorkerEntry(): Promise<string> {
  entry ??= bundleRenderer().catch(() => TSX_WORKER_ENTRY);
  return entry;
}

/** Bundle render-thread.ts (the task module and its preparation) (this project's modules; packages stay imports) and return the file's URL. */
export async function bundleRenderer(): Promise<string> {
  // Named through a variable so that bundlers (the Lambdas') leave esbuild out of their bundles.
  const esbuildPackage = 'esbuild';
  const { build } = (await import(esbuildPackage)) as typeof import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./render-thread.ts', import.meta.url))],
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const dir = join(nodeModulesDir(), '.cache', 'catchment');
  const file = join(dir, `render-task-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, code);
    await rename(tmp, file);
  }
  return pathToFileURL(file).href;
}

/** The node_modules folder the renderer's packages are installed in. */
function nodeModulesDir(): string {
  const pdfkit = createRequire(import.meta.url).resolve('pdfkit');
  const marker = `${sep}node_modules${sep}`;
  const i = pdfkit.lastIndexOf(marker);
  if (i < 0) throw new Error(`pdfkit is not under a node_modules folder (${pdfkit})`);
  return pdfkit.slice(0, i + marker.length - 1);
}
