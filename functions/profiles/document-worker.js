// Worker-thread entry of the document threads (document-threads.ts). A worker thread has no
// TypeScript loader unless one is registered in it (the parent may be a bundled CLI, vitest or
// tsx), so register tsx's loader here, then load the TypeScript module.
// Plain JavaScript on purpose: this file must be importable before any loader is registered.
import { register } from 'tsx/esm/api';

register();
await import('./document-thread.ts');
