// Worker-thread entry for the PDF render pool (piscina). Worker threads do not inherit a TypeScript
// loader when the parent was started by something other than tsx (vitest, a plain `node` binary),
// so register tsx's ESM loader in this thread first, then load the TypeScript task module.
// Plain JavaScript on purpose: this file must be importable before any loader is registered.
import { register } from 'tsx/esm/api';

register();
const { default: prepared } = await import('./render-thread.ts');

export default prepared;
