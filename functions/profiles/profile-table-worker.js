// Worker-thread entry of the profile-table thread (profile-table-encoder.ts) when its bundle cannot
// be built: registers tsx's loader in the thread, then loads the TypeScript module. Plain JavaScript
// on purpose: this file must be importable before any loader is registered.
import { register } from 'tsx/esm/api';

register();
await import('./profile-table-thread.ts');
