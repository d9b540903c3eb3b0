/**
 * The module a document thread loads (document-threads.ts): document-thread.ts and everything it
 * imports, packages included, compiled by esbuild into one JavaScript file, so the thread starts
 * with no TypeScript loader.
 *
 * Why: through tsx (document-worker.js) a thread registers tsx's loader in itself and loads some
 * hundreds of modules through it (most of them the statistics packages' small CommonJS files); at
 * England scale a thread so started held about 100 MiB more at the run's peak than one loading
 * this file. The file is written under node_modules/.cache/catchment/ (where the CLI's bundle
 * lives: packages left as imports resolve from there), named by the hash of its contents, so a
 * changed module is never served stale; esbuild takes a fraction of a second.
 *
 * Anything that stops the bundle (no esbuild, node_modules not writable) falls back to the tsx
 * entry, which makes the same bytes. Lambdas never start document threads (an S3 lake).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The TypeScript entry (registers tsx in the thread, then loads document-thread.ts). */
export const TSX_DOCUMENT_ENTRY = new URL('./document-worker.js', import.meta.url).href;

/** Packages that must stay imports (native, read files beside themselves, or start threads); none is in the thread's graph today. */
const EXTERNAL = ['@duckdb/*', 'parquet-wasm', 'pdfkit', 'fontkit', 'piscina', 'esbuild', 'tsx', 'tsx/*'];

/** Bundled CommonJS packages may call require(); the bundle is an ES module, so it gets one. */
const BANNER = "import { createRequire as __catchmentRequire } from 'node:module'; const require = __catchmentRequire(import.meta.url);";

let entry: Promise<string> | null = null;

/** URL of the module for document threads: the bundle, or the tsx entry if it cannot be built. */
export function documentWorkerEntry(): Promise<string> {
  entry ??= bundleDocumentThread().catch(() => TSX_DOCUMENT_ENTRY);
  return entry;
}

/** Bundle document-thread.ts and return the file's URL. */
export async function bundleDocumentThread(): Promise<string> {
  // Named through a variable so that bundlers (the Lambdas') leave esbuild out of their bundles.
  const esbuildPackage = 'esbuild';
  const { build } = (await import(esbuildPackage)) as typeof import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./document-thread.ts', import.meta.url))],
    bundle: true,
    external: EXTERNAL,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    banner: { js: BANNER },
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const dir = join(nodeModulesDir(), '.cache', 'catchment');
  const file = join(dir, `document-thread-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, code);
    await rename(tmp, file);
  }
  return pathToFileURL(file).href;
}

/** The node_modules folder the project's packages are installed in (esbuild's). */
function nodeModulesDir(): string {
  const esbuild = createRequire(import.meta.url).resolve('esbuild/package.json');
  const marker = `${sep}node_modules${sep}`;
  const i = esbuild.lastIndexOf(marker);
  if (i < 0) throw new Error(`esbuild is not under a node_modules folder (${dirname(esbuild)})`);
  return esbuild.slice(0, i + marker.length - 1);
}
