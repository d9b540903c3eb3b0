/**
 * ObjectStore port: the one place data is read from and written to.
 * Keys are '/'-separated paths relative to the store's root (a local directory or an S3 bucket
 * plus optional prefix). Implementations: LocalObjectStore (local-store.ts), S3ObjectStore (s3-store.ts).
 */
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  size: number;
}

export interface ObjectStore {
  /** Human-readable location of a key, e.g. `/abs/out/curated/x.parquet` or `s3://bucket/curated/x.parquet`. */
  uri(key: string): string;
  /** Whole object as bytes. Throws NotFoundError when absent. */
  get(key: string): Promise<Uint8Array>;
  /** Object as a byte stream (large CSV inputs). Throws NotFoundError when absent. */
  getStream(key: string): Promise<Readable>;
  /** Write an object (replaces). Large bodies/streams use multipart on S3. */
  put(key: string, body: Uint8Array | string | Readable): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * Write an object only if no object has the key (S3: If-None-Match: *; local: an exclusive
   * link). Returns false, writing nothing, when one exists. For locks and claims.
   */
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  /** Every object under a prefix (recursive), sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Delete every object under a prefix. */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * Make `to` hold exactly what `from` holds, then remove `from`. Used to publish staged output:
   * readers see the old or the new content, never a mix (local: directory rename; S3: copy then
   * delete old objects not overwritten).
   */
  replacePrefix(from: string, to: string): Promise<void>;
}

export class NotFoundError extends Error {
  constructor(public readonly key: string) {
    super(`not found: ${key}`);
    this.name = 'NotFoundError';
  }
}

/** Join key segments with '/', dropping empty parts and duplicate slashes. */
export function joinKey(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p.length > 0)
    .join('/');
}
