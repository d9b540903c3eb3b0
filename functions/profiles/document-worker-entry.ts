/**
 * The module a document thread loads (document-threads.ts): document-thread.ts and everything it
 * imports, packages included, compiled by esbuild into one JavaScript file
 * (commons/module-bundle.js), so the thread starts with no TypeScript loader.
 *
 * Why: through tsx (document-worker.js) a thread registers tsx's loader in itself and loads some
 * hundreds of modules through it (most of them the statistics packages' small CommonJS files); at
 * England scale a thread so started held about 100 MiB more at the run's peak than one loading
 * this file. esbuild takes a fraction of a second.
 *
 * Anything that stops the bundle (no esbuild, node_modules not writable) is said in one line on
 * stderr, and the threads load the tsx entry, which makes the same bytes. Lambdas never start
 * document threads (an S3 lake).
 */
import { fileURLToPath } from 'node:url';
import { bundledOrTsx, bundleModule, EXTERNAL, REQUIRE_BANNER } from '../commons/module-bundle.js';

/** The TypeScript entry (registers tsx in the thread, then loads document-thread.ts). */
export const TSX_DOCUMENT_ENTRY = new URL('./document-worker.js', import.meta.url).href;

/** Bundle document-thread.ts and return the file's URL. */
export async function bundleDocumentThread(): Promise<string> {
  const entry = fileURLToPath(new URL('./document-thread.ts', import.meta.url));
  return (await bundleModule({ entry, name: 'document-thread', external: EXTERNAL, banner: { js: REQUIRE_BANNER } })).url;
}

/** URL of the module for document threads: the bundle, or the tsx entry if it cannot be built. */
export const documentWorkerEntry = bundledOrTsx('the profile document threads', bundleDocumentThread, TSX_DOCUMENT_ENTRY);
