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
// tsx when this throws (no esbuild, node_modules not writable), and says so in one line.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleCacheDir, bundleFailure, bundleModule, EXTERNAL, nodeModulesDir, REQUIRE_BANNER } from '../functions/commons/module-bundle.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What the stamp's key covers besides the inputs: the build's settings, esbuild's and Node's versions. */
function settingsKey(entry, esbuildVersion) {
  return createHash('sha256').update(JSON.stringify({ entry, EXTERNAL, BANNER: REQUIRE_BANNER, esbuildVersion, node: process.versions.node, v: 4 })).digest('hex').slice(0, 16);
}

/**
 * Whether every file of the bundle (the entry and its chunks) is there and every input recorded in
 * the stamp still has the size and modification time it was built from.
 */
function fresh(stamp, dir) {
  if (!stamp || typeof stamp.bundle !== 'string' || !Array.isArray(stamp.files) || !stamp.inputs) return false;
  if (![stamp.bundle, ...stamp.files].every((f) => typeof f === 'string' && existsSync(join(dir, f)))) return false;
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
  const esbuildVersion = JSON.parse(readFileSync(join(nodeModulesDir(), 'esbuild', 'package.json'), 'utf8')).version;
  const dir = bundleCacheDir();
  const stampFile = join(dir, `cli-${settingsKey(entry, esbuildVersion)}.json`);
  let stamp = null;
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    stamp = null;
  }
  if (fresh(stamp, dir)) return pathToFileURL(join(dir, stamp.bundle)).href;

  const { transform } = await import('esbuild');
  const tsconfigRaw = readFileSync(join(ROOT, 'tsconfig.json'), 'utf8');
  const started = Date.now();
  const projectModule = new RegExp(`^${ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\\\/](functions|schemas|sample-data)[\\\\/].*\\.[jt]s$`);
  const built = await bundleModule({
    entry,
    name: 'cli',
    absWorkingDir: ROOT,
    external: EXTERNAL,
    banner: { js: REQUIRE_BANNER },
    // Code only reached through a dynamic import (the renderer, for the few documents rendered in
    // this thread; its PDF threads load a bundle of their own) goes into chunks of its own, so a run
    // does not parse it, nor load pdfkit and fontkit, at start-up.
    splitting: true,
    plugins: [
      {
        name: 'module-url',
        setup(b) {
          b.onLoad({ filter: projectModule }, async (args) => {
            const source = await readFile(args.path, 'utf8');
            const loader = args.path.endsWith('.ts') ? 'ts' : 'js';
            if (!source.includes('import.meta.url')) return { contents: source, loader };
            // esbuild's define replaces the expression only, never text inside a string (a module
            // may hold a banner of its own that mentions import.meta.url, as commons/module-bundle.js does).
            const { code } = await transform(source, { loader, sourcefile: args.path, tsconfigRaw, define: { 'import.meta.url': JSON.stringify(pathToFileURL(args.path).href) } });
            return { contents: code, loader: 'js' };
          });
        },
      },
    ],
  });
  const inputs = {};
  let settled = true;
  for (const file of [...built.inputs].sort()) {
    const st = statSync(join(ROOT, file));
    inputs[file] = [st.size, st.mtimeMs];
    // Edited while esbuild read it (or within the clock's resolution): no stamp, so the next run builds again.
    if (st.mtimeMs >= started - 2000) settled = false;
  }
  if (settled) {
    const tmp = `${stampFile}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ bundle: basename(fileURLToPath(built.url)), files: built.files, inputs }));
    await rename(tmp, stampFile);
  }
  return built.url;
}

// `node bin/cli-bundle.js` builds the bundle if it is stale and exits: npm ci runs it (the prepare
// script), so a fresh checkout's first `npm start` finds it made. It never fails an install (a
// bundle that cannot be made is said in one line).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await cliBundle().catch((e) => process.stderr.write(`${bundleFailure('the CLI', e)}\n`));
}
