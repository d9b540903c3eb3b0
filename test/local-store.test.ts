import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { NotFoundError } from '../functions/ports/object-store.ts';

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describe('LocalObjectStore', () => {
  let root: string;
  let store: LocalObjectStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'catchment-local-'));
    store = new LocalObjectStore(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips bytes, strings and streams, creating directories', async () => {
    await store.put('a/b/c.bin', new Uint8Array([1, 2, 3]));
    await store.put('a/text.txt', 'héllo');
    await store.put('s/stream.txt', Readable.from([Buffer.from('one,'), Buffer.from('two')]));
    expect([...(await store.get('a/b/c.bin'))]).toEqual([1, 2, 3]);
    expect(Buffer.from(await store.get('a/text.txt')).toString('utf8')).toBe('héllo');
    expect((await readAll(await store.getStream('s/stream.txt'))).toString()).toBe('one,two');
    expect(await store.exists('a/text.txt')).toBe(true);
    expect(await store.exists('a')).toBe(false); // directories are not objects
    expect(await store.exists('nope')).toBe(false);
    // overwrite
    await store.put('a/text.txt', 'second');
    expect(Buffer.from(await store.get('a/text.txt')).toString()).toBe('second');
    // no temp files left behind
    expect(await readdir(path.join(root, 'a'))).toEqual(['b', 'text.txt']);
  });

  it('uri() is the absolute path; keys are normalised', async () => {
    expect(store.uri('x/y.parquet')).toBe(path.join(root, 'x', 'y.parquet'));
    expect(store.uri('/x//y.parquet')).toBe(path.join(root, 'x', 'y.parquet'));
    expect(() => store.uri('../escape')).toThrow(/invalid key/);
  });

  it('throws NotFoundError for missing keys (get and getStream)', async () => {
    await expect(store.get('missing.txt')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.getStream('missing.txt')).rejects.toBeInstanceOf(NotFoundError);
    await store.put('dir/f', 'x');
    await expect(store.get('dir')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a failed stream write leaves no file and no temp file', async () => {
    const bad = new Readable({
      read() {
        this.destroy(new Error('boom'));
      },
    });
    await expect(store.put('f/bad.txt', bad)).rejects.toThrow('boom');
    expect(await store.exists('f/bad.txt')).toBe(false);
    expect(await readdir(path.join(root, 'f'))).toEqual([]);
  });

  it('lists recursively, sorted, relative keys with sizes; prefix is a directory not a string prefix', async () => {
    await store.put('p/z.txt', 'zz');
    await store.put('p/a/2.txt', '2');
    await store.put('p/a/1.txt', '1');
    await store.put('pq/other.txt', 'o');
    expect(await store.list('p')).toEqual([
      { key: 'p/a/1.txt', size: 1 },
      { key: 'p/a/2.txt', size: 1 },
      { key: 'p/z.txt', size: 2 },
    ]);
    expect((await store.list('')).map((o) => o.key)).toEqual(['p/a/1.txt', 'p/a/2.txt', 'p/z.txt', 'pq/other.txt']);
    expect(await store.list('p/z.txt')).toEqual([{ key: 'p/z.txt', size: 2 }]);
    expect(await store.list('nothing')).toEqual([]);
  });

  it('deletePrefix removes a tree or a single file', async () => {
    await store.put('d/a/1', '1');
    await store.put('d/b', '2');
    await store.put('keep', '3');
    await store.deletePrefix('d/b');
    expect((await store.list('')).map((o) => o.key)).toEqual(['d/a/1', 'keep']);
    await store.deletePrefix('d');
    expect((await store.list('')).map((o) => o.key)).toEqual(['keep']);
    await store.deletePrefix('does/not/exist');
  });

  it('replacePrefix swaps a staged tree into place with no stale keys and no trash left', async () => {
    await store.put('out/period=2023/part-0.parquet', 'old0');
    await store.put('out/period=2023/part-1.parquet', 'old1');
    await store.put('out/stale.txt', 'stale');
    await store.put('staging/run1/period=2023/part-0.parquet', 'new0');
    await store.put('staging/run1/period=2024/part-0.parquet', 'new2024');
    await store.replacePrefix('staging/run1', 'out');
    expect((await store.list('out')).map((o) => o.key)).toEqual([
      'out/period=2023/part-0.parquet',
      'out/period=2024/part-0.parquet',
    ]);
    expect(Buffer.from(await store.get('out/period=2023/part-0.parquet')).toString()).toBe('new0');
    expect(await store.list('staging/run1')).toEqual([]);
    expect((await readdir(root)).sort()).toEqual(['out', 'staging']);
  });

  it('replacePrefix creates the target when absent and works for single-file keys', async () => {
    await store.put('stage/x.json', '{"v":2}');
    await store.replacePrefix('stage/x.json', 'pub/deep/x.json');
    expect(Buffer.from(await store.get('pub/deep/x.json')).toString()).toBe('{"v":2}');
    await store.put('stage/x.json', '{"v":3}');
    await store.replacePrefix('stage/x.json', 'pub/deep/x.json');
    expect(Buffer.from(await store.get('pub/deep/x.json')).toString()).toBe('{"v":3}');
    expect(await readdir(path.join(root, 'pub', 'deep'))).toEqual(['x.json']);
    expect(await store.exists('stage/x.json')).toBe(false);
  });

  it('replacePrefix rejects a missing source (leaving the target) and overlapping prefixes', async () => {
    await store.put('t/a', 'a');
    await expect(store.replacePrefix('nope', 't')).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.exists('t/a')).toBe(true);
    await expect(store.replacePrefix('t', 't/sub')).rejects.toThrow(/overlap/);
  });
});
