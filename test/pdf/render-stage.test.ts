import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RENDER_MANIFEST, RenderPool, documentHash, renderPdfs, type RenderManifest } from '../../functions/pdf/render-stage.ts';
import { RENDERER_VERSION } from '../../functions/pdf/version.ts';
import { LocalObjectStore } from '../../functions/ports/local-store.ts';
import type { ProgressEvent } from '../../functions/commons/progress.ts';
import { makeFairAccessDocument, makeProfileDocuments } from '../helpers/documents.ts';
import { removeDir, tempDir } from '../helpers/fixtures.ts';
import { pdfInfo } from './poppler.ts';

const PERIOD = '2025-26';
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

async function lakeWithDocuments(n: number, root = ''): Promise<{ lake: LocalObjectStore; dir: string; urns: string[] }> {
  const dir = tempDir('catchment-pdf-stage-');
  dirs.push(dir);
  const lake = new LocalObjectStore(dir);
  const docs = makeProfileDocuments(n, { schoolsPerLa: n });
  for (const d of docs) await lake.put(`${root}published/profiles/${PERIOD}/${d.school.urn}.json`, JSON.stringify(d, null, 2));
  await lake.put(`${root}published/reports/${PERIOD}/fair-access.json`, JSON.stringify(makeFairAccessDocument({ schools: 12 }), null, 2));
  return { lake, dir, urns: docs.map((d) => d.school.urn) };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('renderPdfs', () => {
  it('renders every document in worker threads, then skips unchanged ones and re-renders only what changed', async () => {
    const { lake, urns } = await lakeWithDocuments(5);
    const events: ProgressEvent[] = [];
    const first = await renderPdfs({ lake, period: PERIOD, workers: 2, inlineBelow: 0, progress: (e) => events.push(e) });
    expect(first.rendered).toBe(6);
    expect(first.skipped).toBe(0);
    expect(first.threads).toBe(2);
    expect(first.files).toEqual([...urns.map((u) => `published/profiles/${PERIOD}/${u}.pdf`), `published/reports/${PERIOD}/fair-access.pdf`].sort());
    for (const f of first.files) expect(pdfInfo(await lake.get(f)).Tagged).toBe('yes');
    expect(events.at(-1)).toMatchObject({ stage: 'pdf', done: 6, total: 6 });

    const manifest = JSON.parse(text(await lake.get(`published/profiles/${PERIOD}/${RENDER_MANIFEST}`))) as RenderManifest;
    expect(manifest.renderer).toBe(RENDERER_VERSION);
    const json0 = await lake.get(`published/profiles/${PERIOD}/${urns[0]}.json`);
    expect(manifest.documents[`${urns[0]}.json`]).toMatchObject({ sha256: documentHash(json0), pdf: `${urns[0]}.pdf` });

    const pdfBefore = await lake.get(`published/profiles/${PERIOD}/${urns[1]}.pdf`);
    const second = await renderPdfs({ lake, period: PERIOD, workers: 2 });
    expect(second).toMatchObject({ rendered: 0, skipped: 6 });
    expect(second.files).toEqual(first.files);
    expect(Buffer.from(await lake.get(`published/profiles/${PERIOD}/${urns[1]}.pdf`)).equals(Buffer.from(pdfBefore))).toBe(true);

    // Change one school's document: only that one is rendered again.
    const key = `published/profiles/${PERIOD}/${urns[2]}.json`;
    const changed = JSON.parse(text(await lake.get(key)));
    changed.school.name = 'Renamed Primary School';
    await lake.put(key, JSON.stringify(changed, null, 2));
    const third = await renderPdfs({ lake, period: PERIOD, workers: 2 });
    expect(third).toMatchObject({ rendered: 1, skipped: 5, threads: 0 }); // one document: no pool
    expect(pdfInfo(await lake.get(`published/profiles/${PERIOD}/${urns[2]}.pdf`)).Title).toContain('Renamed Primary School');

    // A missing PDF is rendered again even though its document is unchanged.
    await lake.deletePrefix(`published/profiles/${PERIOD}/${urns[3]}.pdf`);
    const fourth = await renderPdfs({ lake, period: PERIOD, workers: 0 });
    expect(fourth).toMatchObject({ rendered: 1, skipped: 5, threads: 0 });

    // A school whose document is gone loses its PDF.
    await lake.deletePrefix(`published/profiles/${PERIOD}/${urns[4]}.json`);
    const fifth = await renderPdfs({ lake, period: PERIOD, workers: 0 });
    expect(fifth).toMatchObject({ rendered: 0, skipped: 5 });
    expect(await lake.exists(`published/profiles/${PERIOD}/${urns[4]}.pdf`)).toBe(false);
  });

  it('renders one folder at a time on a shared pool, which it leaves open, writing each folder\'s manifest', async () => {
    const { lake, urns } = await lakeWithDocuments(3);
    const pool = new RenderPool(1);
    pool.start();
    try {
      const events: ProgressEvent[] = [];
      const profiles = await renderPdfs({ lake, period: PERIOD, pool, folders: ['profiles'], progress: (e) => events.push(e) });
      expect(profiles).toMatchObject({ rendered: 3, skipped: 0, threads: 1 }); // three documents, yet the started pool renders them
      expect(profiles.files).toEqual(urns.map((u) => `published/profiles/${PERIOD}/${u}.pdf`).sort());
      expect(events.at(-1)).toMatchObject({ stage: 'pdf', item: `profiles ${PERIOD}`, done: 3, total: 3 });
      expect(await lake.exists(`published/reports/${PERIOD}/fair-access.pdf`)).toBe(false);
      expect(await lake.exists(`published/reports/${PERIOD}/${RENDER_MANIFEST}`)).toBe(false);
      expect(pool.started).toBe(true);

      const report = await renderPdfs({ lake, period: PERIOD, pool, folders: ['reports'] });
      expect(report).toMatchObject({ rendered: 1, skipped: 0, files: [`published/reports/${PERIOD}/fair-access.pdf`] });
      const again = await renderPdfs({ lake, period: PERIOD, pool });
      expect(again).toMatchObject({ rendered: 0, skipped: 4 });
    } finally {
      await pool.close();
    }
    expect(pool.started).toBe(false);
  });

  it('a thread goes on to its queued documents while the main thread is busy, one document at a time', async () => {
    const docs = makeProfileDocuments(4, { schoolsPerLa: 4 }).map((d) => new TextEncoder().encode(JSON.stringify(d)));
    const pool = new RenderPool(1);
    try {
      await pool.run({ kind: 'profile', key: 'warm-up', json: docs[0]! }); // the thread started
      const rendered = new Int32Array(new SharedArrayBuffer(4));
      const pending = docs.slice(1).map((json, i) => pool.run({ kind: 'profile', key: `doc-${i}`, json, rendered }));
      await new Promise((resolve) => setImmediate(resolve)); // the pool hands over what it will
      // Block this thread (as a long synchronous step of the analysis does) until the thread has
      // rendered all three, or 30 s. A thread handed one task at a time could only get the second
      // after this thread lets go, so it would stop at one.
      const deadline = Date.now() + 30_000;
      for (let seen = Atomics.load(rendered, 0); seen < 3 && Date.now() < deadline; seen = Atomics.load(rendered, 0)) Atomics.wait(rendered, 0, seen, deadline - Date.now());
      expect(Atomics.load(rendered, 0)).toBe(3);
      const results = await Promise.all(pending);
      // Never interleaved: each render starts after the one before it ended.
      for (let i = 1; i < results.length; i++) expect(results[i]!.endedAt - results[i]!.ms).toBeGreaterThanOrEqual(results[i - 1]!.endedAt);
    } finally {
      await pool.close();
    }
  });

  it('hands changed documents to the threads while it is still reading the others, reading each document once', async () => {
    const { dir, urns } = await lakeWithDocuments(4);
    // A store whose read of one document waits until the pool has been handed a document (or 60 s):
    // a stage that hashed every document before rendering any would hand over none before that read.
    const gated = `published/profiles/${PERIOD}/${urns[2]}.json`;
    let handedOver = 0;
    let handedBeforeGatedRead = -1;
    let firstHandedOver: () => void = () => undefined;
    const handed = new Promise<void>((resolve) => (firstHandedOver = resolve));
    const pool = new (class extends RenderPool {
      override run(...args: Parameters<RenderPool['run']>): ReturnType<RenderPool['run']> {
        handedOver++;
        firstHandedOver();
        return super.run(...args);
      }
    })(1);
    const reads = new Map<string, number>();
    const lake = new (class extends LocalObjectStore {
      override async get(key: string): Promise<Uint8Array> {
        reads.set(key, (reads.get(key) ?? 0) + 1);
        if (key === gated && handedBeforeGatedRead < 0) {
          await Promise.race([handed, new Promise((resolve) => setTimeout(resolve, 60_000))]);
          handedBeforeGatedRead = handedOver;
        }
        return super.get(key);
      }
    })(dir);
    try {
      const r = await renderPdfs({ lake, period: PERIOD, pool, inlineBelow: 0 });
      expect(r).toMatchObject({ rendered: 5, skipped: 0, threads: 1 });
    } finally {
      await pool.close();
    }
    expect(handedBeforeGatedRead).toBeGreaterThan(0);
    const docs = [...reads.keys()].filter((k) => k.endsWith('.json') && !k.includes('/_'));
    expect(docs).toHaveLength(5);
    for (const k of docs) expect(reads.get(k), k).toBe(1);
  }, 240_000);

  it('a new renderer version changes every hash', () => {
    const b = new TextEncoder().encode('{"a":1}');
    expect(documentHash(b)).not.toBe(documentHash(b, `${RENDERER_VERSION}+next`));
    expect(documentHash(b)).toBe(documentHash(new TextEncoder().encode('{"a":1}')));
  });

  it('renders a run\'s staged documents, copying unchanged PDFs from the published folder', async () => {
    const { lake, dir } = await lakeWithDocuments(3);
    await renderPdfs({ lake, period: PERIOD, workers: 0 });
    // The next run stages the same documents (one changed) under its staging root.
    const staging = 'staging/run-2';
    const docs = (await lake.list(`published/profiles/${PERIOD}/`)).filter((o) => o.key.endsWith('.json') && !o.key.includes('_'));
    for (const [i, o] of docs.entries()) {
      let body = text(await lake.get(o.key));
      if (i === 0) body = body.replace('"phase": "', '"phase": "All-through ');
      await lake.put(`${staging}/${o.key}`, body);
    }
    await lake.put(`${staging}/published/reports/${PERIOD}/fair-access.json`, await lake.get(`published/reports/${PERIOD}/fair-access.json`));
    const r = await renderPdfs({ lake, period: PERIOD, workers: 0, stagingRoot: staging });
    expect(r).toMatchObject({ rendered: 1, skipped: 3 });
    expect(r.files.every((f) => f.startsWith(`${staging}/published/`))).toBe(true);
    for (const f of r.files) expect(await lake.exists(f)).toBe(true);
    const m = JSON.parse(readFileSync(`${dir}/${staging}/published/profiles/${PERIOD}/${RENDER_MANIFEST}`, 'utf8')) as RenderManifest;
    expect(Object.keys(m.documents)).toHaveLength(3);
  });

  it('reports documents that break their contract and still renders the others', async () => {
    const { lake } = await lakeWithDocuments(2);
    await lake.put(`published/profiles/${PERIOD}/999999.json`, JSON.stringify({ period: PERIOD, school: { urn: '999999' } }));
    await expect(renderPdfs({ lake, period: PERIOD, workers: 0 })).rejects.toThrow(/1 of 4 PDFs failed.*999999\.json: does not match the profile document contract/);
    const m = JSON.parse(text(await lake.get(`published/profiles/${PERIOD}/${RENDER_MANIFEST}`))) as RenderManifest;
    expect(Object.keys(m.documents)).toHaveLength(2);
    expect(await lake.exists(`published/reports/${PERIOD}/fair-access.pdf`)).toBe(true);
  });
});
