// The CLI as one JavaScript file: this project's TypeScript and its pure-JavaScript packages bundled
// by esbuild, cached under node_modules/.cache/catchment/ and built again whenever one of its input
// files changes (each input's size and modification time are kept beside it).
//
// Why: loading the CLI through tsx costs about 2.3 s of CPU on every run (two thousand modules, most
// of them small CommonJS files of the statistics packages, each resolved, read and compiled through
// tsx's loader thread); the bundle loads in about half that. Packages that read files beside
// themselves (pdfkit, fontkit, parquet-wasm's wasm), native ones (DuckDB) and those that start
// threads from their own files (piscina) stay imports that Node resolves from node_modules, which is
// why the bundle lives under node_modules. Every `import.meta.url` of a project module is replaced by
// that module's own URL, so paths found from it (fonts, the render worker's entry, the web portal,
// the code fingerprint's source walk) are those of the checkout, exactly as under tsx.
//
// Plain JavaScript on purpose: it runs before any TypeScript loader. bin/catchment.js falls back to
// tsx when this throws (no esbuild, node_modules not writable).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Packages left as imports (see above); esbuild and tsx are only ever loaded on demand. */
export const EXTERNAL = ['@duckdb/*', 'pdfkit', 'fontkit', 'parquet-wasm', 'piscina', 'esbuild', 'tsx', 'tsx/*'];

/** Bundled CommonJS packages may call require(); the bundle is an ES module, so it gets one. */
const BANNER = "import { createRequire as __catchmentRequire } from 'node:module'; const require = __catchmentRequire(import.meta.url);";

/** What the stamp's key covers besides the inputs: the build's settings, esbuild's and Node's versions. */
function settingsKey(entry, esbuildVersion) {
  return createHash('sha256').update(JSON.stringify({ entry, EXTERNAL, BANNER, esbuildVersion, node: process.versions.node, v: 3 })).digest('hex').slice(0, 16);
}

/** Whether every input recorded in the stamp still has the size and modification time it was built from. */
function fresh(stamp, dir) {
  if (!stamp || typeof stamp.bundle !== 'string' || !stamp.inputs || !existsSync(join(dir, stamp.bundle))) return false;
  for (const [file, [size, mtimeMs]] of Object.entries(stamp.inputs)) {
    let st;
    try {
      st = statSync(join(ROOT, file));
    } catch {
      return false;
    }
    if (st.size !== size || st.mtimeMs !== mtimeMs) return false;
  }
  return true;
}

/**
 * URL of the bundled `entry` (a path relative to the project root, e.g. functions/cli/main.ts),
 * built first if it is missing or any of its inputs changed.
 */
export async function cliBundle(entry = 'functions/cli/main.ts') {
  const nodeModules = join(ROOT, 'node_modules');
  const esbuildPackage = join(nodeModules, 'esbuild', 'package.json');
  const esbuildVersion = JSON.parse(readFileSync(esbuildPackage, 'utf8')).version;
  const dir = join(nodeModules, '.cache', 'catchment');
  const key = settingsKey(entry, esbuildVersion);
  const stampFile = join(dir, `cli-${key}.json`);
  let stamp = null;
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    stamp = null;
  }
  if (fresh(stamp, dir)) return pathToFileURL(join(dir, stamp.bundle)).href;

  const { build, transform } = await import('esbuild');
  const tsconfigRaw = readFileSync(join(ROOT, 'tsconfig.json'), 'utf8');
  const started = Date.now();
  const projectModule = new RegExp(`^${ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\\\/](functions|schemas|sample-data)[\\\\/].*\\.ts$`);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    external: EXTERNAL,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    banner: { js: BANNER },
    // Code only reached through a dynamic import (the renderer, for the few documents rendered in
    // this thread; its PDF threads load a bundle of their own) goes into chunks of its own, so a run
    // does not parse it, nor load pdfkit and fontkit, at start-up.
    splitting: true,
    outdir: dir,
    entryNames: 'cli-[hash]',
    chunkNames: 'cli-chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'module-url',
        setup(b) {
          b.onLoad({ filter: projectModule }, async (args) => {
            const source = await readFile(args.path, 'utf8');
            if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
            // esbuild's define replaces the expression only, never text inside a string (a module
            // may hold a banner of its own that mentions import.meta.url, as document-worker-entry.ts does).
            const { code } = await transform(source, { loader: 'ts', sourcefile: args.path, tsconfigRaw, define: { 'import.meta.url': JSON.stringify(pathToFileURL(args.path).href) } });
            return { contents: code, loader: 'js' };
          });
        },
      },
    ],
  });
  const inputs = {};
  let settled = true;
  for (const file of Object.keys(result.metafile.inputs).sort()) {
    const st = statSync(join(ROOT, file));
    inputs[file] = [st.size, st.mtimeMs];
    // Edited while esbuild read it (or within the clock's resolution): no stamp, so the next run builds again.
    if (st.mtimeMs >= started - 2000) settled = false;
  }
  // Every file is named by a hash of its contents (and those of the chunks it imports): one already
  // there is the same file. Chunks are written before the entry that imports them.
  const entryOut = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === entry)?.[0];
  if (!entryOut) throw new Error('esbuild wrote no entry file');
  const bundle = basename(entryOut);
  await mkdir(dir, { recursive: true });
  const tmp = `.${process.pid}.tmp`;
  const files = [...result.outputFiles].sort((a, b) => Number(basename(a.path) === bundle) - Number(basename(b.path) === bundle));
  for (const f of files) {
    const name = basename(f.path);
    if (existsSync(join(dir, name))) continue;
    await writeFile(join(dir, name + tmp), f.contents);
    await rename(join(dir, name + tmp), join(dir, name));
  }
  if (settled) {
    await writeFile(stampFile + tmp, JSON.stringify({ bundle, inputs }));
    await rename(stampFile + tmp, stampFile);
  }
  return pathToFileURL(join(dir, bundle)).href;
}

// `node bin/cli-bundle.js` builds the bundle if it is stale and exits: npm ci runs it (the prepare
// script), so a fresh checkout's first `npm start` finds it made. It never fails an install.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await cliBundle().catch(() => undefined);
}
