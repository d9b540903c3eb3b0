/**
 * The lake lock (functions/lake/lock.ts) on both stores: one holder at a time, the same owner may
 * take it again (a retried task), a holder gone (expired, or a dead process of this host) is taken
 * over, only the holder releases it; and the ingest handler refuses to change curated/ under a run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { hostname } from 'node:os';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { S3ObjectStore } from '../functions/ports/s3-store.ts';
import type { ObjectStore } from '../functions/ports/object-store.ts';
import { acquireLakeLock, LakeBusyError, LOCK_KEY, releaseLakeLock } from '../functions/lake/lock.ts';
import { awsTestConfig, startMoto, type MotoServer } from './helpers/moto.ts';
import { removeDir, tempDir } from './helpers/fixtures.ts';

let moto: MotoServer;
const dir = tempDir();
const stores: [string, () => ObjectStore][] = [
  ['local directory', () => new LocalObjectStore(dir)],
  ['S3 (moto)', () => new S3ObjectStore({ bucket: 'lock-lake', client: new S3Client(awsTestConfig(moto.endpoint)) })],
];

beforeAll(async () => {
  moto = await startMoto();
  await new S3Client(awsTestConfig(moto.endpoint)).send(new CreateBucketCommand({ Bucket: 'lock-lake', CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
}, 60_000);
afterAll(async () => {
  await moto?.stop();
  removeDir(dir);
});

describe.each(stores)('the lake lock on a %s', (_name, store) => {
  it('has one holder; the same owner takes it again; others are refused with the holder named; only the holder releases it', async () => {
    const lake = store();
    expect(await lake.putIfAbsent('claims/x.json', '1')).toBe(true);
    expect(await lake.putIfAbsent('claims/x.json', '2')).toBe(false);
    expect(Buffer.from(await lake.get('claims/x.json')).toString()).toBe('1');

    await acquireLakeLock(lake, 'nightly-1', 'run', { ttlMs: 60_000 });
    await acquireLakeLock(lake, 'nightly-1', 'run', { ttlMs: 60_000 });
    const e = await acquireLakeLock(lake, 'ingest-a', 'ingest', { ttlMs: 60_000 }).catch((x) => x);
    expect(e).toBeInstanceOf(LakeBusyError);
    expect((e as Error).message).toMatch(/in use by run nightly-1/);
    await releaseLakeLock(lake, 'ingest-a'); // not the holder: nothing happens
    expect(await lake.exists(LOCK_KEY)).toBe(true);
    await releaseLakeLock(lake, 'nightly-1');
    expect(await lake.exists(LOCK_KEY)).toBe(false);
    await acquireLakeLock(lake, 'ingest-a', 'ingest', { ttlMs: 60_000 });
    await releaseLakeLock(lake, 'ingest-a');
  });

  it('waits for the holder to release it, up to waitMs', async () => {
    const lake = store();
    await acquireLakeLock(lake, 'nightly-2', 'run', { ttlMs: 60_000 });
    let polls = 0;
    const got = acquireLakeLock(lake, 'ingest-b', 'ingest', {
      ttlMs: 60_000,
      waitMs: 60_000,
      pollMs: 1,
      sleep: async () => {
        if (++polls === 3) await releaseLakeLock(lake, 'nightly-2');
      },
    });
    expect((await got).owner).toBe('ingest-b');
    expect(polls).toBe(3);
    await releaseLakeLock(lake, 'ingest-b');
  });

  it('takes over from a holder that expired or whose process is gone', async () => {
    const lake = store();
    const t = Date.now();
    await lake.put(LOCK_KEY, JSON.stringify({ owner: 'old', kind: 'run', acquiredAt: new Date(t - 7200_000).toISOString(), expiresAt: new Date(t - 1000).toISOString(), host: 'elsewhere', pid: 1 }));
    expect((await acquireLakeLock(lake, 'new', 'run', { ttlMs: 60_000 })).owner).toBe('new');
    await releaseLakeLock(lake, 'new');
    // A process of this host that no longer exists (SIGKILLed), lock not yet expired.
    await lake.put(LOCK_KEY, JSON.stringify({ owner: 'killed', kind: 'run', acquiredAt: new Date(t).toISOString(), expiresAt: new Date(t + 3600_000).toISOString(), host: hostname(), pid: 2 ** 22 + 12345 }));
    expect((await acquireLakeLock(lake, 'after-crash', 'run', { ttlMs: 60_000 })).owner).toBe('after-crash');
    // A live holder elsewhere is not taken over.
    await lake.put(LOCK_KEY, JSON.stringify({ owner: 'alive', kind: 'ingest', acquiredAt: new Date(t).toISOString(), expiresAt: new Date(t + 3600_000).toISOString(), host: 'elsewhere', pid: 1 }));
    await expect(acquireLakeLock(lake, 'x', 'run', { ttlMs: 60_000 })).rejects.toThrow(/in use by ingest alive/);
    await lake.deletePrefix(LOCK_KEY);
  });
});
