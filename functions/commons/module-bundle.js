// A TypeScript entry and the modules it imports, compiled by esbuild into JavaScript files under
// node_modules/.cache/catchment/: the CLI (bin/cli-bundle.js), the render pool's threads
// (pdf/render-worker-entry.ts) and the document threads (profiles/document-worker-entry.ts) load
// such bundles, so they start without a TypeScript loader. The files live under node_modules because
// packages left as imports resolve from there. Each file is named by esbuild from a hash of its
// contents (and of the chunks it imports), so one already there is the same file and a changed
// module is never served stale.
//
// Plain JavaScript on purpose: bin/cli-bundle.js runs before any TypeScript loader exists. Types
// for the TypeScript modules are in module-bundle.d.ts.
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Packages left as imports: native ones (DuckDB), those that read files beside themselves (pdfkit,
 * fontkit, parquet-wasm's wasm) or start threads from their own files (piscina); esbuild and tsx
 * are only ever loaded on demand.
 */
export const EXTERNAL = ['@duckdb/*', 'pdfkit', 'fontkit', 'parquet-wasm', 'piscina', 'esbuild', 'tsx', 'tsx/*'];

/** Bundled CommonJS packages may call require(); the bundle is an ES module, so it gets one. */
export const REQUIRE_BANNER = "import { createRequire as __catchmentRequire } from 'node:module'; const require = __catchmentRequire(import.meta.url);";

/** The node_modules folder esbuild (and with it every package) is installed in. */
export function nodeModulesDir() {
  const esbuild = createRequire(import.meta.url).resolve('esbuild/package.json');
  const marker = `${sep}node_modules${sep}`;
  const i = esbuild.lastIndexOf(marker);
  if (i < 0) throw new Error(`esbuild is not under a node_modules folder (${dirname(esbuild)})`);
  return esbuild.slice(0, i + marker.length - 1);
}

/** Where bundles are written. */
export function bundleCacheDir() {
  return join(nodeModulesDir(), '.cache', 'catchment');
}

/**
 * Bundle `entry` into the cache folder as `<name>-<hash>.mjs` (with code splitting, chunks
 * `<name>-chunk-<hash>.mjs`); `options` are esbuild's, added to or overriding these. Returns the
 * entry file's URL, every file of the bundle (names in the cache folder) and esbuild's inputs
 * (paths relative to `absWorkingDir`).
 */
export async function bundleModule({ entry, name, ...options }) {
  // Named through a variable so that bundlers (the Lambdas') leave esbuild out of their bundles.
  const esbuildPackage = 'esbuild';
  const { build } = await import(esbuildPackage);
  const dir = bundleCacheDir();
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    outdir: dir,
    entryNames: `${name}-[hash]`,
    chunkNames: `${name}-chunk-[hash]`,
    outExtension: { '.js': '.mjs' },
    write: false,
    metafile: true,
    logLevel: 'silent',
    ...options,
  });
  // The metafile names inputs relative to the working folder, with forward slashes; match the
  // entry itself, not the first output that has an entry point (code splitting may make more).
  const cwd = options.absWorkingDir ?? process.cwd();
  const entryIn = relative(cwd, resolve(cwd, entry)).split(sep).join('/');
  const entryOut = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === entryIn)?.[0];
  if (!entryOut) throw new Error('esbuild wrote no entry file');
  const bundle = basename(entryOut);
  await mkdir(dir, { recursive: true });
  // Chunks are written before the entry that imports them.
  const tmp = `.${process.pid}.tmp`;
  const files = [...result.outputFiles].sort((a, b) => Number(basename(a.path) === bundle) - Number(basename(b.path) === bundle));
  for (const f of files) {
    const file = join(dir, basename(f.path));
    if (existsSync(file)) continue;
    await writeFile(file + tmp, f.contents);
    await rename(file + tmp, file);
  }
  return { url: pathToFileURL(join(dir, bundle)).href, files: files.map((f) => basename(f.path)), inputs: Object.keys(result.metafile.inputs) };
}

/** One line saying why `what`'s bundle could not be built (esbuild's first error, or the error's first line). */
export function bundleFailure(what, error) {
  const first = error?.errors?.[0];
  const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
  const why = first ? `${where}${first.text}` : String(error instanceof Error ? error.message : error).split('\n')[0];
  return `catchment: ${what} could not be bundled (${why.slice(0, 300)}); loading its TypeScript through tsx instead, slower to start`;
}

/**
 * A thread's module, built once per process: `bundle()`'s URL, or `fallback` (the tsx entry, which
 * does the same work, only slower to start) after one line on stderr saying why.
 */
export function bundledOrTsx(what, bundle, fallback) {
  let entry = null;
  return () => {
    entry ??= bundle().catch((e) => {
      process.stderr.write(`${bundleFailure(what, e)}\n`);
      return fallback;
    });
    return entry;
  };
}
