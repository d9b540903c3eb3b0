/**
 * The warm run's input hashes (functions/ingest/input-hashes.ts): every byte hashed, in worker
 * threads for a local directory and streamed for other stores, each object once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputHashes } from '../functions/ingest/input-hashes.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import type { ObjectStore } from '../functions/ports/object-store.ts';
import { removeDir, tempDir } from './helpers/fixtures.ts';

let root: string;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
// Larger than one 1 MiB read, and not a multiple of it.
const big = Buffer.from(Array.from({ length: 3_000_001 }, (_, i) => (i * 7919) % 251));

beforeAll(() => {
  root = tempDir();
  writeFileSync(join(root, 'a.csv'), big);
  writeFileSync(join(root, 'b.csv'), 'urn,name\n1,x\n');
  writeFileSync(join(root, 'empty.csv'), '');
});
afterAll(() => removeDir(root));

describe('input hashes', () => {
  it('are the SHA-256 of every byte, in worker threads for a local directory', async () => {
    const h = new InputHashes(new LocalObjectStore(root), 2);
    h.start(['a.csv', 'b.csv', 'empty.csv']);
    expect(await h.of('a.csv')).toEqual({ sha256: sha(big), bytes: big.length });
    expect(await h.of('b.csv')).toEqual({ sha256: sha('urn,name\n1,x\n'), bytes: 13 });
    expect(await h.of('empty.csv')).toEqual({ sha256: sha(''), bytes: 0 });
  });

  it('see a file rewritten in place with the same size and modification time', async () => {
    const file = join(root, 'b.csv');
    const before = statSync(file);
    const first = await new InputHashes(new LocalObjectStore(root)).of('b.csv');
    writeFileSync(file, 'urn,name\n2,x\n');
    utimesSync(file, before.atime, before.mtime);
    expect(statSync(file).size).toBe(before.size);
    const second = await new InputHashes(new LocalObjectStore(root)).of('b.csv');
    expect(second.sha256).not.toBe(first.sha256);
    expect(second.sha256).toBe(sha('urn,name\n2,x\n'));
  });

  it('stream other stores through this thread, each object once, at most `lanes` at a time', async () => {
    const local = new LocalObjectStore(root);
    let open = 0;
    let most = 0;
    const streams: string[] = [];
    const remote = {
      getStream: async (key: string) => {
        streams.push(key);
        most = Math.max(most, ++open);
        const s = await local.getStream(key);
        s.on('end', () => open--);
        return s;
      },
    } as unknown as ObjectStore;
    const h = new InputHashes(remote, 1);
    h.start(['a.csv', 'b.csv']);
    const [a, again] = await Promise.all([h.of('a.csv'), h.of('a.csv'), h.of('b.csv')]);
    expect(a).toEqual({ sha256: sha(big), bytes: big.length });
    expect(again).toBe(a);
    expect(streams).toEqual(['a.csv', 'b.csv']);
    expect(most).toBe(1);
  });
});
