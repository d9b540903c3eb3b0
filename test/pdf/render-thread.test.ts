import { afterAll, describe, expect, it, vi } from 'vitest';
import { prepareCharts } from '../../functions/pdf/charts.ts';
import { prepareFonts } from '../../functions/pdf/fonts.ts';
import { RenderPool, WARM_UP_DOCUMENTS } from '../../functions/pdf/render-stage.ts';
import { renderTask, type RenderTask } from '../../functions/pdf/render-task.ts';
import { renderDocument, warmUp } from '../../functions/pdf/render-thread.ts';
import { warmupProfileDocument } from '../../functions/pdf/warmup-documents.ts';
import { profileDocument } from '../../schemas/profile-document.ts';
import { makeProfileDocuments } from '../helpers/documents.ts';

const task = (doc: unknown, key: string): RenderTask => ({ kind: 'profile', key, json: new TextEncoder().encode(JSON.stringify(doc)) });
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('render thread module', () => {
  it('hands the pool its task only once the fonts are parsed and every chart spec compiled', async () => {
    // This file's module graph is its own (vitest isolates files): nothing here has rendered yet.
    const { default: prepared } = await import('../../functions/pdf/render-thread.ts');
    expect(prepared).toBeInstanceOf(Promise);
    const handler = await prepared;
    expect(handler).toBe(renderDocument);
    // Nothing left to do: the thread's first document starts with both ready.
    expect(prepareFonts()).toBe(0);
    expect(prepareCharts()).toBe(0);
  });

  it('warm-up documents match the profile contract and take the renderer down its usual paths', async () => {
    const docs = Array.from({ length: 24 }, (_, i) => profileDocument.parse(warmupProfileDocument(i)));
    expect(new Set(docs.map((d) => d.school.phase))).toEqual(new Set(['primary', 'secondary', 'special']));
    for (const d of docs) {
      expect(d.segments.subgroup.length).toBe(52);
      expect(d.map?.cells.length).toBeGreaterThan(0);
      expect(d.cluster?.supergroups.length).toBe(8);
    }
    // Hidden counts, unreliable rows and both directions of flag all occur.
    const rows = docs.flatMap((d) => [...d.segments.supergroup, ...d.segments.group, ...d.segments.subgroup]);
    expect(rows.some((r) => r.n === 'c')).toBe(true);
    expect(rows.some((r) => !r.reliable && r.n !== 'c')).toBe(true);
    expect(new Set(rows.map((r) => r.flag))).toEqual(new Set([null, 'over', 'under', 'ns']));
    // Same index, same document.
    expect(JSON.stringify(warmupProfileDocument(5))).toBe(JSON.stringify(warmupProfileDocument(5)));
    const r = await renderTask(task(warmupProfileDocument(3), 'warm-up-3.json'));
    expect(r.pages).toBeGreaterThanOrEqual(4);
  });

  it('a warmed-up thread renders the same bytes, and a real document ends the warm-up', async () => {
    const [target] = makeProfileDocuments(1, { seed: 21, maps: true });
    const cold = await renderTask(task(target, 'target.json'));
    const count = new Int32Array(new SharedArrayBuffer(4));
    expect(await warmUp(2, undefined, count)).toBe(2);
    expect(Atomics.load(count, 0)).toBe(2);
    const warm = await renderDocument(task(target, 'target.json'));
    expect(same(warm.pdf, cold.pdf), 'PDF bytes differ after the warm-up').toBe(true);

    // A real document arriving while a warm-up render is in hand waits for that one only.
    const warming = warmUp(50);
    await new Promise((resolve) => setImmediate(resolve)); // the first warm-up render has started
    const real = await renderDocument(task(target, 'target.json'));
    expect(await warming).toBe(1);
    expect(same(real.pdf, cold.pdf)).toBe(true);
  }, 120_000);

  it('threads take turns: no warm-up while another thread holds the lock, and none once a real document came', async () => {
    const lock = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(lock, 0, 1); // another thread is warming up
    const waiting = warmUp(3, lock);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const [target] = makeProfileDocuments(1, { seed: 22 });
    await renderDocument(task(target, 'target.json'));
    expect(await waiting).toBe(0);
    expect(Atomics.load(lock, 0)).toBe(1); // still the other thread's

    // Free: taken, used and let go.
    Atomics.store(lock, 0, 0);
    expect(await warmUp(1, lock)).toBe(1);
    expect(Atomics.load(lock, 0)).toBe(0);
  }, 120_000);
});

describe('a pool started with warm-up', () => {
  const pool = new RenderPool(2);
  afterAll(() => pool.close());

  it('its threads render made-up documents before the first real one, then the same bytes as the calling thread, during and after the warm-up', async () => {
    pool.start({ warmUp: true });
    // The threads' shared count: nothing has been sent to the pool yet, so only a warm-up renders.
    await vi.waitFor(() => expect(pool.warmUpRenders).toBeGreaterThan(0), { timeout: 120_000, interval: 50 });
    const docs = makeProfileDocuments(4, { seed: 23, maps: true });
    const early = await pool.run(task(docs[0], 'a.json'));
    expect(same(early.pdf, (await renderTask(task(docs[0], 'a.json'))).pdf)).toBe(true);
    // The other thread may still be warming up (or waiting its turn): its tasks are served all the same.
    const rest = await Promise.all(docs.slice(1).map((d, i) => pool.run(task(d, `${i}.json`))));
    for (const [i, r] of rest.entries()) expect(same(r.pdf, (await renderTask(task(docs[i + 1], `${i}.json`))).pdf), `document ${i + 1}`).toBe(true);
    expect(pool.warmUpRenders).toBeLessThanOrEqual(pool.threads * WARM_UP_DOCUMENTS);
  }, 180_000);
});
