import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeKmsKeyFor } from '../functions/commons/data-classes.ts';
import { NotFoundError } from '../functions/ports/object-store.ts';
import { S3ObjectStore } from '../functions/ports/s3-store.ts';
import { awsTestConfig, startMoto, type MotoServer } from './helpers/moto.ts';

const BUCKET = 'catchment-test-lake';

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** Deterministic pseudo-random bytes, produced lazily in 1 MiB chunks. */
function* chunks(total: number, seed: number): Generator<Buffer> {
  let x = seed >>> 0;
  const CHUNK = 1024 * 1024;
  for (let off = 0; off < total; off += CHUNK) {
    const n = Math.min(CHUNK, total - off);
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      b.writeUInt32LE(x, i); // n is a multiple of 4
    }
    yield b;
  }
}

describe('S3ObjectStore (moto)', () => {
  let moto: MotoServer;
  let client: S3Client;
  let store: S3ObjectStore;
  let calls: string[];

  beforeAll(async () => {
    moto = await startMoto();
    client = new S3Client(awsTestConfig(moto.endpoint));
    calls = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    await client.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
    store = new S3ObjectStore({ bucket: BUCKET, prefix: 'lake/', client, listPageSize: 5, deleteBatchSize: 7 });
  });

  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('uri() includes bucket and prefix', () => {
    expect(store.uri('curated/x.parquet')).toBe(`s3://${BUCKET}/lake/curated/x.parquet`);
    expect(new S3ObjectStore({ bucket: 'b', client }).uri('/k//v')).toBe('s3://b/k/v');
  });

  it('round-trips bytes, strings and streams', async () => {
    await store.put('rt/bytes.bin', new Uint8Array([0, 1, 2, 255]));
    await store.put('rt/text.txt', 'héllo, wörld');
    await store.put('rt/small-stream.csv', Readable.from([Buffer.from('a,b\n'), Buffer.from('1,2\n')]));
    expect([...(await store.get('rt/bytes.bin'))]).toEqual([0, 1, 2, 255]);
    expect(Buffer.from(await store.get('rt/text.txt')).toString('utf8')).toBe('héllo, wörld');
    expect((await readAll(await store.getStream('rt/small-stream.csv'))).toString()).toBe('a,b\n1,2\n');
    expect(await store.exists('rt/text.txt')).toBe(true);
    expect(await store.exists('rt/missing')).toBe(false);
    // Store keys live under the prefix in the bucket.
    const raw = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'lake/rt/' }));
    expect(raw.Contents?.map((o) => o.Key).sort()).toEqual(['lake/rt/bytes.bin', 'lake/rt/small-stream.csv', 'lake/rt/text.txt']);
  });

  it('throws NotFoundError for missing keys', async () => {
    await expect(store.get('nope/missing.txt')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.getStream('nope/missing.txt')).rejects.toBeInstanceOf(NotFoundError);
    // A missing bucket is a configuration error, not a missing object.
    const noBucket = new S3ObjectStore({ bucket: 'no-such-bucket-here', client });
    const err = await noBucket.get('k').catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(NotFoundError);
    expect((err as Error).name).toBe('NoSuchBucket');
  });

  it('tells a missing key from a denied one where S3 answers 403 for both (no bucket-wide ListBucket)', async () => {
    // As S3 answers a role that may list only some prefixes: a HEAD or GET of a missing key is 403
    // AccessDenied, not 404; one key is denied outright although it exists.
    const strict = new S3Client(awsTestConfig(moto.endpoint));
    const denied = 'lake/strict/denied.txt';
    strict.middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: string }).Key;
        const asDenied = () => Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
        if (context.commandName === 'GetObjectCommand' && key === denied) throw asDenied();
        try {
          return await next(args);
        } catch (e) {
          const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if ((context.commandName === 'HeadObjectCommand' || context.commandName === 'GetObjectCommand') && status === 404) throw asDenied();
          throw e;
        }
      },
      { step: 'initialize', name: 'strictS3' },
    );
    const s = new S3ObjectStore({ bucket: BUCKET, prefix: 'lake/', client: strict });
    await s.put('strict/here.txt', 'here');
    await s.put('strict/denied.txt', 'secret');
    await s.put('strict/missing.txt.bak', 'a longer key beside the missing one');
    expect(await s.exists('strict/here.txt')).toBe(true);
    expect(await s.exists('strict/missing.txt')).toBe(false);
    expect(Buffer.from(await s.get('strict/here.txt')).toString()).toBe('here');
    await expect(s.get('strict/missing.txt')).rejects.toBeInstanceOf(NotFoundError);
    await expect(s.getStream('strict/missing.txt')).rejects.toBeInstanceOf(NotFoundError);
    const err = await s.get('strict/denied.txt').catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(NotFoundError);
    expect((err as Error).name).toBe('AccessDenied');
    strict.destroy();
  });

  it('lists with pagination, sorted, prefix stripped, directory semantics', async () => {
    const keys = Array.from({ length: 23 }, (_, i) => `pg/k${String(i).padStart(3, '0')}.txt`);
    await Promise.all(keys.map((k) => store.put(k, k)));
    await store.put('pgx/sibling.txt', 'not under pg/');
    const before = calls.filter((c) => c === 'ListObjectsV2Command').length;
    const listed = await store.list('pg');
    const pages = calls.filter((c) => c === 'ListObjectsV2Command').length - before;
    expect(listed.map((o) => o.key)).toEqual(keys);
    expect(listed[0]).toEqual({ key: 'pg/k000.txt', size: 'pg/k000.txt'.length });
    expect(pages).toBeGreaterThanOrEqual(5); // 24 matching objects at 5 per page
    expect(await store.list('pg/k007.txt')).toEqual([{ key: 'pg/k007.txt', size: 11 }]);
    expect(await store.list('absent')).toEqual([]);
  });

  it('uploads a ~17 MiB stream with multipart and reads back identical bytes', async () => {
    const size = 17 * 1024 * 1024 + 12;
    const expected = createHash('sha256');
    for (const c of chunks(size, 42)) expected.update(c);
    const before = calls.length;
    await store.put('big/blob.bin', Readable.from(chunks(size, 42)));
    const used = calls.slice(before);
    expect(used).toContain('CreateMultipartUploadCommand');
    expect(used.filter((c) => c === 'UploadPartCommand')).toHaveLength(3); // 8 + 8 + 1 MiB
    expect(used).toContain('CompleteMultipartUploadCommand');

    const got = createHash('sha256');
    let n = 0;
    for await (const c of await store.getStream('big/blob.bin')) {
      got.update(c as Buffer);
      n += (c as Buffer).length;
    }
    expect(n).toBe(size);
    expect(got.digest('hex')).toBe(expected.digest('hex'));
    expect((await store.list('big'))[0]).toEqual({ key: 'big/blob.bin', size });
  });

  it('uses multipart for a large Uint8Array body', async () => {
    const body = Buffer.concat([...chunks(9 * 1024 * 1024, 7)]);
    const before = calls.length;
    await store.put('big/buffer.bin', body);
    expect(calls.slice(before)).toContain('CreateMultipartUploadCommand');
    expect(Buffer.from(await store.get('big/buffer.bin')).equals(body)).toBe(true);
    await store.deletePrefix('big');
  });

  it('deletePrefix removes everything under the prefix in batches, and nothing else', async () => {
    const keys = Array.from({ length: 16 }, (_, i) => `del/${i % 3}/f${i}`);
    await Promise.all(keys.map((k) => store.put(k, 'x')));
    await store.put('delta/keep', 'k');
    const before = calls.filter((c) => c === 'DeleteObjectsCommand').length;
    await store.deletePrefix('del');
    expect(calls.filter((c) => c === 'DeleteObjectsCommand').length - before).toBe(3); // 16 in batches of 7
    expect(await store.list('del')).toEqual([]);
    expect(await store.exists('delta/keep')).toBe(true);
    await store.deletePrefix('del'); // idempotent on empty
  });

  it('replacePrefix copies, removes stale keys under `to`, and removes `from`', async () => {
    await store.put('pub/t/period=2023/part-0.parquet', 'old0');
    await store.put('pub/t/period=2023/part-1.parquet', 'old1');
    await store.put('pub/t/period=2022/part-0.parquet', 'old2022');
    await store.put('pub/t2/untouched', 'u');
    const staged = Array.from({ length: 12 }, (_, i) => `period=2023/part-${i} with space+plus.parquet`);
    await Promise.all(staged.map((k) => store.put(`stage/run/${k}`, `new:${k}`)));
    await store.replacePrefix('stage/run', 'pub/t');
    expect((await store.list('pub/t')).map((o) => o.key)).toEqual(staged.map((k) => `pub/t/${k}`).sort());
    expect(Buffer.from(await store.get(`pub/t/${staged[3]}`)).toString()).toBe(`new:${staged[3]}`);
    expect(await store.list('stage/run')).toEqual([]);
    expect(await store.exists('pub/t2/untouched')).toBe(true);
  });

  it('replacePrefix works for a single object key and rejects a missing source', async () => {
    await store.put('one/staged.json', '{"v":1}');
    await store.put('one/live.json', '{"v":0}');
    await store.replacePrefix('one/staged.json', 'one/live.json');
    expect(Buffer.from(await store.get('one/live.json')).toString()).toBe('{"v":1}');
    expect(await store.exists('one/staged.json')).toBe(false);
    await expect(store.replacePrefix('one/nothing', 'one/live.json')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.exists('one/live.json')).toBe(true);
  });
});

describe('S3ObjectStore: per-prefix KMS keys (moto)', () => {
  const PUBLISHED_KEY = 'arn:aws:kms:eu-west-2:123456789012:key/11111111-2222-3333-4444-555555555555';
  let moto: MotoServer;
  let client: S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    client = new S3Client(awsTestConfig(moto.endpoint));
    await client.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
  });
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  const keyOf = async (key: string) => (await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).SSEKMSKeyId;

  it('writes published-class objects with the published key (put, multipart, copy) and leaves pupil-level ones to the bucket default', async () => {
    const store = new S3ObjectStore({ bucket: BUCKET, client, partSize: 5 * 1024 * 1024, kmsKeyFor: lakeKmsKeyFor(PUBLISHED_KEY) });
    await store.put('published/school_profile/period=2025-26/part-0.parquet', 'small');
    await store.put('portal/revoked/sess-1', '');
    await store.put('published/profiles/2025-26/100001.pdf', Readable.from(chunks(6 * 1024 * 1024, 7)));
    await store.put('curated/pupils/period=2025-26/part-0.parquet', 'pupil rows');
    await store.put('runs/nightly-1/published/profiles/2025-26/100001.json', '{}');
    await store.put('runs/nightly-1/claim.json', '{}');
    expect(await store.putIfAbsent('published/_publication.json', '{}')).toBe(true);
    await store.put('staging/run-1/published/school_profile/period=2025-26/part-0.parquet', 'staged');
    await store.replacePrefix('staging/run-1/published/school_profile/period=2025-26', 'published/school_profile/period=2025-26');
    expect(await keyOf('published/school_profile/period=2025-26/part-0.parquet')).toBe(PUBLISHED_KEY);
    expect(await keyOf('portal/revoked/sess-1')).toBe(PUBLISHED_KEY);
    expect(await keyOf('published/profiles/2025-26/100001.pdf')).toBe(PUBLISHED_KEY);
    expect(await keyOf('curated/pupils/period=2025-26/part-0.parquet')).toBeUndefined();
    expect(await keyOf('runs/nightly-1/published/profiles/2025-26/100001.json')).toBe(PUBLISHED_KEY);
    expect(await keyOf('runs/nightly-1/claim.json')).toBeUndefined();
    expect(await keyOf('published/_publication.json')).toBe(PUBLISHED_KEY);
    expect(lakeKmsKeyFor(undefined)).toBeUndefined();
  });
});
