/**
 * S3ObjectStore: ObjectStore over an S3 bucket plus an optional key prefix.
 * Small bodies use PutObject; streams and bodies over 8 MiB use a multipart Upload (lib-storage).
 * replacePrefix copies then deletes, so during a publish a reader listing `to` may briefly see a
 * mix of old and new objects; consumers publish a manifest/marker last if they need atomicity.
 */
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { NotFoundError, joinKey, type ObjectInfo, type ObjectStore } from './object-store.ts';

export const MULTIPART_THRESHOLD = 8 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;
const DELETE_BATCH = 1000; // DeleteObjects hard limit
const COPY_CONCURRENCY = 16;

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket under which all store keys live (no leading/trailing '/'). */
  prefix?: string;
  client?: S3Client;
  /** ListObjectsV2 MaxKeys per page (default: S3's 1000). Small values are for tests. */
  listPageSize?: number;
  /** Multipart part size in bytes (default 8 MiB; S3 minimum 5 MiB). */
  partSize?: number;
  /** Objects per DeleteObjects request (default and maximum 1000). */
  deleteBatchSize?: number;
  /**
   * KMS key (ARN) to encrypt an object with, by store key; undefined keeps the bucket's default
   * encryption. Applied to every write: PutObject, multipart uploads and the copies of replacePrefix.
   */
  kmsKeyFor?: (key: string) => string | undefined;
}

function isAccessDenied(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'AccessDenied' || e?.Code === 'AccessDenied' || e?.$metadata?.httpStatusCode === 403;
}

function isNotFoundError(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  // A missing bucket is also a 404 but is a configuration error, not a missing object.
  if (e?.name === 'NoSuchBucket' || e?.Code === 'NoSuchBucket') return false;
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    e?.Code === 'NoSuchKey' ||
    e?.$metadata?.httpStatusCode === 404
  );
}

/** Run `fn` over `items` with at most `limit` in flight; rejects on the first failure. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** CopySource is `bucket/key` with the key URL-encoded per segment. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  private readonly listPageSize: number | undefined;
  private readonly partSize: number;
  private readonly deleteBatchSize: number;
  private readonly kmsKeyFor: ((key: string) => string | undefined) | undefined;

  constructor(opts: S3ObjectStoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = joinKey(opts.prefix ?? '');
    this.client = opts.client ?? new S3Client({});
    this.listPageSize = opts.listPageSize;
    this.partSize = opts.partSize ?? PART_SIZE;
    this.deleteBatchSize = Math.min(opts.deleteBatchSize ?? DELETE_BATCH, DELETE_BATCH);
    this.kmsKeyFor = opts.kmsKeyFor;
  }

  /** SSE-KMS parameters of a write to a store key (none: the bucket's default encryption). */
  private encryption(key: string): { ServerSideEncryption?: 'aws:kms'; SSEKMSKeyId?: string; BucketKeyEnabled?: boolean } {
    const kmsKey = this.kmsKeyFor?.(key);
    return kmsKey ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKey, BucketKeyEnabled: true } : {};
  }

  /** Full S3 key (bucket-relative) of a store key. */
  private full(key: string): string {
    return joinKey(this.prefix, key);
  }

  /** Store key of a full S3 key. */
  private strip(fullKey: string): string {
    return this.prefix ? fullKey.slice(this.prefix.length + 1) : fullKey;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.full(key)}`;
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      if (!res.Body) return new Uint8Array(0);
      return await res.Body.transformToByteArray();
    } catch (err) {
      throw await this.missingOr(key, err);
    }
  }

  /**
   * The error to throw for a failed read: NotFoundError when the key is missing. S3 answers a read
   * of a missing key with 403, not 404, unless the caller may list the whole bucket, and the
   * functions' roles may list only their own prefixes; so a 403 is followed by a listing of the key
   * (allowed under those prefixes) to tell "missing" from "denied".
   */
  private async missingOr(key: string, err: unknown): Promise<unknown> {
    if (isNotFoundError(err)) return new NotFoundError(key);
    if (isAccessDenied(err) && !(await this.exists(key))) return new NotFoundError(key);
    return err;
  }

  async getStream(key: string): Promise<Readable> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      // In Node the SDK's Body is an http.IncomingMessage (a Readable) with SDK mixins.
      if (!res.Body) return Readable.from([]);
      return res.Body as unknown as Readable;
    } catch (err) {
      throw await this.missingOr(key, err);
    }
  }

  async put(key: string, body: Uint8Array | string | Readable): Promise<void> {
    const Key = this.full(key);
    if (!Key) throw new Error('put: empty key');
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (!(bytes instanceof Readable) && bytes.byteLength <= MULTIPART_THRESHOLD) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: bytes, ...this.encryption(key) }));
      return;
    }
    // Streams (unknown length) and large buffers: multipart. Upload buffers at most
    // queueSize * partSize bytes; a body smaller than one part is sent as a single PutObject.
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: bytes, ...this.encryption(key) },
      partSize: this.partSize,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false, // abort the multipart upload on failure
    });
    await upload.done();
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.full(key), Body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body, IfNoneMatch: '*', ...this.encryption(key) }),
      );
      return true;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      // 412: an object exists; 409: a concurrent conditional write of the same key is in progress.
      if (e.$metadata?.httpStatusCode === 412 || e.$metadata?.httpStatusCode === 409 || e.name === 'PreconditionFailed') return false;
      throw err;
    }
  }

  /**
   * Whether the key exists, by listing it rather than HeadObject: a HEAD of a missing key answers 403
   * without bucket-wide s3:ListBucket, which the functions' roles do not have (they may list their
   * own prefixes). Keys come back in order, so the key itself is the first one listed if it exists.
   */
  async exists(key: string): Promise<boolean> {
    const full = this.full(key);
    const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, MaxKeys: 1 }));
    return res.Contents?.[0]?.Key === full;
  }

  /** Full S3 keys (with sizes) under a store prefix: the prefix as a "directory" or as an exact key. */
  private async listFull(prefix: string): Promise<{ key: string; size: number }[]> {
    const base = this.full(prefix);
    const out: { key: string; size: number }[] = [];
    const pages = paginateListObjectsV2(
      { client: this.client, ...(this.listPageSize ? { pageSize: this.listPageSize } : {}) },
      { Bucket: this.bucket, ...(base ? { Prefix: base } : {}) },
    );
    for await (const page of pages) {
      for (const obj of page.Contents ?? []) {
        const k = obj.Key;
        if (k === undefined) continue;
        // Prefix 'a/b' must not match sibling 'a/bc/...': keep the exact key or keys below 'a/b/'.
        if (base && k !== base && !k.startsWith(base + '/')) continue;
        out.push({ key: k, size: obj.Size ?? 0 });
      }
    }
    // ListObjectsV2 returns UTF-8 binary order; sort with the same comparison as LocalObjectStore.
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    return (await this.listFull(prefix)).map((o) => ({ key: this.strip(o.key), size: o.size }));
  }

  private async deleteFullKeys(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += this.deleteBatchSize) {
      const batch = keys.slice(i, i + this.deleteBatchSize);
      const res = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (res.Errors && res.Errors.length > 0) {
        const first = res.Errors[0]!;
        throw new Error(
          `DeleteObjects failed for ${res.Errors.length} object(s) in s3://${this.bucket}; first: ${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim(),
        );
      }
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    const keys = (await this.listFull(prefix)).map((o) => o.key);
    await this.deleteFullKeys(keys);
  }

  async replacePrefix(from: string, to: string): Promise<void> {
    const src = this.full(from);
    const dst = this.full(to);
    if (!joinKey(from) || !joinKey(to)) throw new Error('replacePrefix: empty prefix');
    if (src === dst) return;
    if (dst.startsWith(src + '/') || src.startsWith(dst + '/')) {
      throw new Error(`replacePrefix: prefixes overlap (${from} -> ${to})`);
    }
    const sources = await this.listFull(from);
    if (sources.length === 0) throw new NotFoundError(from);
    const existing = await this.listFull(to);

    const mapping = sources.map(({ key }) => {
      const rel = key === src ? '' : key.slice(src.length + 1);
      return { from: key, to: joinKey(dst, rel) };
    });
    // CopyObject handles objects up to 5 GB; larger ones would need UploadPartCopy (multipart copy).
    // Lake outputs are far smaller, so that path is not implemented.
    await forEachLimit(mapping, COPY_CONCURRENCY, async (m) => {
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: m.to, CopySource: copySource(this.bucket, m.from), ...this.encryption(this.strip(m.to)) }),
      );
    });
    const written = new Set(mapping.map((m) => m.to));
    const stale = existing.map((o) => o.key).filter((k) => !written.has(k));
    await this.deleteFullKeys(stale);
    await this.deleteFullKeys(sources.map((o) => o.key));
  }
}
