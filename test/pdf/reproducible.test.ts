/**
 * Reproducible PDFs: the same document gives byte-identical PDF bytes whichever render thread draws
 * it and whatever that thread drew before (a fresh worker against one warmed up on other schools'
 * documents, whose charts had other axis ticks and labels), and in the calling thread; and the
 * bundled renderer the pool's workers load gives the same bytes as the TypeScript modules.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Piscina } from 'piscina';
import { makeFairAccessDocument, makeProfileDocuments } from '../helpers/documents.ts';
import { renderTask, type RenderResult, type RenderTask } from '../../functions/pdf/render-task.ts';
import { TSX_WORKER_ENTRY, renderWorkerEntry } from '../../functions/pdf/render-worker-entry.ts';

const pools: Piscina[] = [];
const pool = (filename = TSX_WORKER_ENTRY) => {
  const p = new Piscina({ filename, minThreads: 1, maxThreads: 1 });
  pools.push(p);
  return p;
};
afterAll(async () => Promise.all(pools.map((p) => p.destroy())));

const task = (kind: RenderTask['kind'], doc: unknown, key: string): RenderTask => ({ kind, key, json: new TextEncoder().encode(JSON.stringify(doc)) });

describe('PDF bytes do not depend on the render thread', () => {
  it('a fresh worker, a warmed-up worker and the calling thread give the same bytes', async () => {
    const docs = makeProfileDocuments(8, { seed: 11 });
    const target = task('profile', docs[7], 'target.json');
    const report = task('fair-access', makeFairAccessDocument({ seed: 5, schools: 9 }), 'fa.json');
    const fresh = pool();
    const freshPdf = (await fresh.run(target)) as RenderResult;
    const freshReport = (await fresh.run(report)) as RenderResult;
    const warm = pool();
    // Warm up on the other schools (other tick sets and labels), and another report, first.
    for (const d of docs.slice(0, 7)) await warm.run(task('profile', d, 'other.json'));
    await warm.run(task('fair-access', makeFairAccessDocument({ seed: 9, schools: 14 }), 'other-fa.json'));
    const warmPdf = (await warm.run(target)) as RenderResult;
    const warmReport = (await warm.run(report)) as RenderResult;
    expect(warmPdf.threadId).not.toBe(freshPdf.threadId);
    expect(Buffer.from(warmPdf.pdf).equals(Buffer.from(freshPdf.pdf)), 'profile PDF bytes differ between a fresh and a warmed-up worker').toBe(true);
    expect(Buffer.from(warmReport.pdf).equals(Buffer.from(freshReport.pdf)), 'report PDF bytes differ between a fresh and a warmed-up worker').toBe(true);
    const inline = await renderTask(target);
    expect(Buffer.from(inline.pdf).equals(Buffer.from(freshPdf.pdf))).toBe(true);
  }, 120_000);

  it('the bundled renderer the pool starts gives the same bytes as the TypeScript modules', async () => {
    const entry = await renderWorkerEntry();
    // The pool really uses the bundle (falling back to the tsx entry would only be slower to start).
    expect(entry).toMatch(/\/node_modules\/\.cache\/catchment\/render-task-[A-Z0-9]+\.mjs$/);
    const docs = makeProfileDocuments(3, { seed: 4 });
    const bundled = pool(entry);
    for (const [i, d] of docs.entries()) {
      const t = task('profile', d, `${i}.json`);
      const a = (await bundled.run(t)) as RenderResult;
      expect(Buffer.from(a.pdf).equals(Buffer.from((await renderTask(t)).pdf)), `profile ${i}`).toBe(true);
    }
    const report = task('fair-access', makeFairAccessDocument({ seed: 3, schools: 10 }), 'fa.json');
    const a = (await bundled.run(report)) as RenderResult;
    expect(Buffer.from(a.pdf).equals(Buffer.from((await renderTask(report)).pdf)), 'report').toBe(true);
  }, 120_000);
});
