/**
 * SHA-256 of the input files, for the warm run's "inputs byte-identical: skipped" check. Every byte
 * is hashed: no size-and-date shortcut (a file rewritten in place can keep both). What makes it
 * quick is doing it in parallel: the files of a local directory are hashed in worker threads, as
 * many at once as there are cores, 1 MiB reads into one buffer; so the England NSPL and census
 * extract (1.8 GB) take about the time of the larger alone. Hashing starts for every dataset when
 * ingest starts (`start`), and each dataset waits only for its own files. Other stores (S3) stream
 * through this thread, also started together.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ObjectStore } from '../ports/object-store.ts';
import { LocalObjectStore } from '../ports/local-store.ts';

export interface FileHash {
  sha256: string;
  bytes: number;
}

/** The worker: plain CommonJS on Node's own modules, so it needs no TypeScript loader. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const hash = createHash('sha256');
const buf = Buffer.allocUnsafe(1 << 20);
const fd = openSync(workerData, 'r');
let bytes = 0;
try {
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
    hash.update(buf.subarray(0, n));
    bytes += n;
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage({ sha256: hash.digest('hex'), bytes });
`;

/** SHA-256 of a local file, in a worker thread. */
export function hashLocalFile(path: string): Promise<FileHash> {
  return new Promise((resolve, reject) => {
    let result: FileHash | null = null;
    const w = new Worker(WORKER, { eval: true, workerData: path, execArgv: [] });
    w.once('message', (m: FileHash) => (result = m));
    w.once('error', reject);
    w.once('exit', (code) => (result ? resolve(result) : reject(new Error(`hashing ${path}: worker exited with code ${code}`))));
  });
}

/** SHA-256 of an object, streamed through this thread. */
export async function hashStream(store: ObjectStore, key: string): Promise<FileHash> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await store.getStream(key)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** The hashes of a store's objects, computed at most `lanes` at a time, each once. */
export class InputHashes {
  private readonly hashes = new Map<string, Promise<FileHash>>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly lanes = Math.max(1, availableParallelism()),
  ) {}

  /** Start hashing these objects (in this order, as lanes free up). */
  start(keys: readonly string[]): void {
    for (const k of keys) void this.of(k).catch(() => undefined);
  }

  /** The hash of an object (started now unless already started). */
  of(key: string): Promise<FileHash> {
    let p = this.hashes.get(key);
    if (!p) {
      p = this.lane(() => (this.store instanceof LocalObjectStore ? hashLocalFile(this.store.uri(key)) : hashStream(this.store, key)));
      this.hashes.set(key, p);
    }
    return p;
  }

  private async lane<T>(f: () => Promise<T>): Promise<T> {
    if (this.running >= this.lanes) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await f();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
