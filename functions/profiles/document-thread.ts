/** A document thread (document-threads.ts): batches of schools in, their documents written, head_profile values out. */
import { parentPort, workerData } from 'node:worker_threads';
import { LocalObjectStore } from '../ports/local-store.ts';
import { MapGrid } from '../maps/grid.ts';
import { Dictionary } from './dictionary.ts';
import { documentBatch } from './document-batch.ts';
import type { DocumentThreadInit, DocumentJob } from './document-threads.ts';

const init = workerData as DocumentThreadInit;
const dict = new Dictionary(init.dict);
const grid = init.grid ? MapGrid.ofSpec(init.grid) : undefined;
const store = new LocalObjectStore(init.root);
parentPort!.on('message', (job: DocumentJob) => {
  try {
    const cells = documentBatch(init.context, dict, grid, job.schools, (i, body) => store.putSync(job.keys[i]!, body));
    parentPort!.postMessage({ id: job.id, cells });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: String((e as Error)?.stack ?? e) });
  }
});
