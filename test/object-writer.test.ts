import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { objectWriter } from '../functions/ports/object-writer.ts';
import type { ObjectStore } from '../functions/ports/object-store.ts';

/** Every file under a directory (temp files included), relative path -> content. */
async function files(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = path.join(e.parentPath, e.name);
    out.set(path.relative(dir, abs), await readFile(abs, 'utf8'));
  }
  return out;
}

/** Objects of a run's documents: nested keys, directories not yet made, non-ASCII text, one large body. */
const objects = Array.from({ length: 300 }, (_, i) => ({
  key: `runs/r1/published/profiles/2025-26/${i % 3}/${100000 + i}.json`,
  body: JSON.stringify({ urn: String(100000 + i), name: `École ${i} – “quoted”`, rows: Array.from({ length: i === 7 ? 20000 : 5 }, (_, k) => k / 3) }, null, 2),
}));

async function writeAll(store: ObjectStore, opts: Parameters<typeof objectWriter>[1] = {}) {
  const w = objectWriter(store, opts);
  const threaded = w.threaded;
  for (const o of objects) await w.write(o.key, o.body);
  await w.flush();
  return threaded;
}

describe('objectWriter', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'catchment-writer-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a local directory through its thread exactly as put() writes it, leaving no temp file', async () => {
    const threaded = path.join(root, 'threaded');
    const here = path.join(root, 'here');
    expect(await writeAll(new LocalObjectStore(threaded))).toBe(true);
    expect(await writeAll(new LocalObjectStore(here), { thread: false })).toBe(false);
    const a = await files(threaded);
    expect(a.size).toBe(objects.length);
    expect(a).toEqual(await files(here));
    for (const o of objects) expect(a.get(o.key)).toBe(o.body);
  });

  it('replaces an existing object whole', async () => {
    const store = new LocalObjectStore(root);
    await store.put('a/b.json', 'old contents, longer than the new');
    const w = objectWriter(store);
    await w.write('a/b.json', 'new');
    await w.flush();
    expect(await files(root)).toEqual(new Map([['a/b.json', 'new']]));
  });

  it('reports a failed write from the thread (naming the key) and leaves no temp file', async () => {
    const store = new LocalObjectStore(root);
    await writeFile(path.join(root, 'blocked'), 'a file where a directory should be');
    const w = objectWriter(store);
    expect(w.threaded).toBe(true);
    await w.write('ok/1.json', '1');
    await w.write('blocked/2.json', '2');
    await expect(w.flush()).rejects.toThrow(/blocked\/2\.json/);
    expect([...(await files(root)).keys()].sort()).toEqual(['blocked', 'ok/1.json']);
  });

  it('reports a write that fails inside a batch of objects sent together, and writes the rest of the batch', async () => {
    const store = new LocalObjectStore(root);
    await writeFile(path.join(root, 'blocked'), 'a file where a directory should be');
    // 64 in flight: 16 objects a message; the failing one is the middle of the second.
    const w = objectWriter(store, { inFlight: 64 });
    expect(w.threaded).toBe(true);
    const keys = Array.from({ length: 40 }, (_, i) => (i === 24 ? 'blocked/24.json' : `ok/${i}.json`));
    for (const k of keys) await w.write(k, k);
    await expect(w.flush()).rejects.toThrow(/writing blocked\/24\.json/);
    const got = await files(root);
    expect([...got.keys()].sort()).toEqual(['blocked', ...keys.filter((k) => k.startsWith('ok/'))].sort());
    for (const k of keys) if (k.startsWith('ok/')) expect(got.get(k)).toBe(k);
  });

  it('rejects keys leaving the root before the thread sees them', async () => {
    const w = objectWriter(new LocalObjectStore(root));
    await expect(w.write('../escape.json', 'x')).rejects.toThrow(/invalid key/);
    await w.flush();
  });

  it('writes everything in this thread when the thread dies, including what it held', async () => {
    // A thread that takes the first messages (two objects each at 8 in flight) and ends without confirming any of them.
    const dying = `const { parentPort } = require('node:worker_threads'); let n = 0; parentPort.on('message', () => { if (++n === 3) process.exit(1); });`;
    const store = new LocalObjectStore(root);
    const w = objectWriter(store, { threadSource: dying, inFlight: 8 });
    for (const o of objects) await w.write(o.key, o.body);
    await w.flush();
    expect(w.threaded).toBe(false);
    const got = await files(root);
    expect(got.size).toBe(objects.length);
    for (const o of objects) expect(got.get(o.key)).toBe(o.body);
  });

  it('uses put() in this thread for a store that is not a local directory', async () => {
    const puts: string[] = [];
    const local = new LocalObjectStore(root);
    const s3like: ObjectStore = {
      uri: (k: string) => `s3://b/${k}`,
      put: async (k: string, b: string) => {
        puts.push(k);
        await local.put(k, b);
      },
    } as unknown as ObjectStore;
    const w = objectWriter(s3like);
    expect(w.threaded).toBe(false);
    for (const o of objects.slice(0, 10)) await w.write(o.key, o.body);
    await w.flush();
    expect(puts).toEqual(objects.slice(0, 10).map((o) => o.key));
  });
});
