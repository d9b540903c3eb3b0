/**
 * renderPdfs in batches (`only`), as the AWS fan-out runs it: each batch renders its schools (or the
 * report) into the run's staging copy and writes a manifest part; mergeRenderManifests combines the
 * parts into the folder's manifest, which the next run's unchanged-document check reads.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RENDER_MANIFEST, mergeRenderManifests, renderPdfs, type RenderManifest } from '../../functions/pdf/render-stage.ts';
import { LocalObjectStore } from '../../functions/ports/local-store.ts';
import { makeFairAccessDocument, makeProfileDocuments } from '../helpers/documents.ts';
import { removeDir, tempDir } from '../helpers/fixtures.ts';

const PERIOD = '2025-26';
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function stagedRun(runId: string, lake: LocalObjectStore, docs: ReturnType<typeof makeProfileDocuments>) {
  for (const d of docs) await lake.put(`staging/${runId}/published/profiles/${PERIOD}/${d.school.urn}.json`, JSON.stringify(d));
  await lake.put(`staging/${runId}/published/reports/${PERIOD}/fair-access.json`, JSON.stringify(makeFairAccessDocument({ period: PERIOD, schools: 6 })));
}

describe('renderPdfs in batches', () => {
  it('renders only the batch, writes manifest parts, and the merged manifest lets the next run skip unchanged schools', async () => {
    const dir = tempDir('catchment-pdf-batches-');
    dirs.push(dir);
    const lake = new LocalObjectStore(dir);
    const docs = makeProfileDocuments(3, { period: PERIOD, schoolsPerLa: 3 });
    const urns = docs.map((d) => d.school.urn);
    await stagedRun('r1', lake, docs);
    const root = 'staging/r1';
    const folder = `${root}/published/profiles/${PERIOD}`;

    const a = await renderPdfs({ lake, period: PERIOD, stagingRoot: root, workers: 0, only: { urns: urns.slice(0, 2) } });
    expect(a).toMatchObject({ rendered: 2, skipped: 0 });
    expect(a.files).toEqual(urns.slice(0, 2).map((u) => `${folder}/${u}.pdf`).sort());
    const b = await renderPdfs({ lake, period: PERIOD, stagingRoot: root, workers: 0, only: { urns: urns.slice(2) } });
    expect(b).toMatchObject({ rendered: 1, skipped: 0 });
    const r = await renderPdfs({ lake, period: PERIOD, stagingRoot: root, workers: 0, only: { report: true } });
    expect(r.files).toEqual([`${root}/published/reports/${PERIOD}/fair-access.pdf`]);
    // A retried batch replaces its own part rather than adding one.
    await renderPdfs({ lake, period: PERIOD, stagingRoot: root, workers: 0, only: { urns: urns.slice(2) } });

    const names = (await lake.list(`${folder}/`)).map((o) => o.key.slice(folder.length + 1));
    expect(names.filter((n) => n.startsWith('_render-manifest.part-'))).toHaveLength(2);
    expect(names).not.toContain(RENDER_MANIFEST);

    expect(await mergeRenderManifests({ lake, period: PERIOD, stagingRoot: root })).toBe(4);
    const after = (await lake.list(`${folder}/`)).map((o) => o.key.slice(folder.length + 1)).sort();
    expect(after).toEqual([...urns.flatMap((u) => [`${u}.json`, `${u}.pdf`]), RENDER_MANIFEST].sort());
    const manifest = JSON.parse(text(await lake.get(`${folder}/${RENDER_MANIFEST}`))) as RenderManifest;
    expect(Object.keys(manifest.documents)).toEqual(urns.map((u) => `${u}.json`).sort());
    expect(await mergeRenderManifests({ lake, period: PERIOD, stagingRoot: root })).toBe(0); // nothing left to merge

    // Publish (what the publish step does), then the next night's batch skips the unchanged schools.
    await lake.replacePrefix(folder, `published/profiles/${PERIOD}`);
    await stagedRun('r2', lake, docs);
    const next = await renderPdfs({ lake, period: PERIOD, stagingRoot: 'staging/r2', workers: 0, only: { urns } });
    expect(next).toMatchObject({ rendered: 0, skipped: 3 });
  });
});
