/**
 * Reproducible PDFs: the same document gives byte-identical PDF bytes whichever render thread draws
 * it and whatever that thread drew before (a fresh worker against one warmed up on other schools'
 * documents, whose charts had other axis ticks and labels), and in the calling thread.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Piscina } from 'piscina';
import { makeFairAccessDocument, makeProfileDocuments } from '../helpers/documents.ts';
import { renderTask, type RenderResult, type RenderTask } from '../../functions/pdf/render-task.ts';

const pools: Piscina[] = [];
const pool = () => {
  const p = new Piscina({ filename: new URL('../../functions/pdf/render-worker.js', import.meta.url).href, minThreads: 1, maxThreads: 1 });
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
});
