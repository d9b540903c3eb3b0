/** The profile-table thread (profile-table-encoder.ts): placed profile rows in, their Parquet parts out. */
import { parentPort } from 'node:worker_threads';
import { profileTableParquet } from './profile-table-parquet.ts';
import type { ProfileTableJob } from './profile-table-encoder.ts';

parentPort!.on('message', (job: ProfileTableJob) => {
  try {
    const parts = profileTableParquet(job.placed, job.table);
    parentPort!.postMessage({ id: job.id, parts }, parts.map((p) => p.buffer as ArrayBuffer));
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: String((e as Error)?.stack ?? e) });
  }
});
// Loaded: the stage may hand over rows (before this, a thread that cannot load leaves the work to the stage's thread).
parentPort!.postMessage({ ready: true });
