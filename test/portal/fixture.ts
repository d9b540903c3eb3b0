/**
 * A small lake for the portal tests: four schools, two periods of profile PDFs (tiny but valid,
 * made with pdfkit's built-in Helvetica), the LA's fair-access report for the latest period, profile
 * documents beside the PDFs (as the pipeline writes them), the latest folder's render manifest, a
 * publication pointer naming the runs that published each folder, and school_context (names, phase,
 * cluster, pupils, classified).
 */
import PDFDocument from 'pdfkit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColumnBuffer } from '../../functions/lake/column-buffer.ts';
import { fromParquet, toParquet } from '../../functions/lake/parquet.ts';
import type { ObjectStore } from '../../functions/ports/object-store.ts';
import { LocalObjectStore } from '../../functions/ports/local-store.ts';

export const SCHOOLS = {
  A: { urn: '100001', name: 'Ashgrove Primary School' },
  B: { urn: '100002', name: 'Beechfield Academy' },
  C: { urn: '100003', name: 'Cedar Lane Infant School' },
  D: { urn: '100004', name: 'Dunmore Church of England Primary School' },
} as const;
export const LATEST = '2025-26';
export const EARLIER = '2024-25';
export const CLASSIFICATION = 'ONS Output Area Classification 2021';
/** When the run holding the latest documents was published (the pointer says so). */
export const PUBLISHED_AT = '2025-11-10T02:05:00.000Z';
const LATEST_RUN = '20251110T020000Z-aaaaaa';
const EARLIER_RUN = '20241112T020000Z-bbbbbb';

export function tinyPdf(title: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: title, CreationDate: new Date(Date.UTC(2025, 10, 1)) } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.font('Helvetica-Bold').fontSize(20).text(title);
    doc.font('Helvetica').fontSize(11).text('Test profile for the portal tests.');
    doc.end();
  });
}

export interface PortalFixture {
  dir: string;
  lake: LocalObjectStore;
  /** Bytes of each PDF written, by lake key. */
  pdfs: Map<string, Buffer>;
  cleanup(): void;
}

export async function makePortalLake(): Promise<PortalFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'catchment-portal-'));
  const lake = new LocalObjectStore(dir);
  const pdfs = new Map<string, Buffer>();
  const put = async (key: string, title: string) => {
    const bytes = await tinyPdf(title);
    pdfs.set(key, bytes);
    await lake.put(key, bytes);
  };
  for (const s of Object.values(SCHOOLS)) {
    for (const period of [LATEST, EARLIER]) {
      if (s === SCHOOLS.D && period === EARLIER) continue; // D opened in 2025
      await put(`published/profiles/${period}/${s.urn}.pdf`, `${s.name}, ${period}`);
      await lake.put(`published/profiles/${period}/${s.urn}.json`, JSON.stringify({ period, school: { urn: s.urn, name: s.name }, classification: { name: CLASSIFICATION } }));
    }
  }
  // The render stage's manifest (size and pages of each PDF) for the latest folder only, so both cases are covered.
  const documents = Object.fromEntries(
    Object.values(SCHOOLS).map((s) => [`${s.urn}.json`, { sha256: 'x', pdf: `${s.urn}.pdf`, bytes: pdfs.get(`published/profiles/${LATEST}/${s.urn}.pdf`)!.length, pages: 1 }]),
  );
  await lake.put(`published/profiles/${LATEST}/_render-manifest.json`, JSON.stringify({ renderer: 'test', period: LATEST, documents }));
  await lake.put(
    'published/_publication.json',
    JSON.stringify({
      version: 1,
      runId: LATEST_RUN,
      publishedAt: PUBLISHED_AT,
      items: { [`published/profiles/${LATEST}`]: LATEST_RUN, [`published/reports/${LATEST}`]: LATEST_RUN, [`published/profiles/${EARLIER}`]: EARLIER_RUN },
      previous: null,
      history: [EARLIER_RUN, LATEST_RUN],
    }),
  );
  await put(`published/reports/${LATEST}/fair-access.pdf`, `Fair access ${LATEST}`);
  await lake.put(`published/reports/${LATEST}/fair-access.json`, '{}');
  const buf = new ColumnBuffer([
    { name: 'urn', type: 'string', nullable: false, description: '' },
    { name: 'name', type: 'string', nullable: true, description: '' },
    { name: 'phase', type: 'string', nullable: true, description: '' },
    { name: 'cluster', type: 'string', nullable: true, description: '' },
    { name: 'pupils', type: 'int', nullable: true, description: '' },
    { name: 'classified', type: 'int', nullable: true, description: '' },
  ]);
  for (const s of Object.values(SCHOOLS)) buf.append([s.urn, s.name, s === SCHOOLS.B ? 'Secondary' : 'Primary', s === SCHOOLS.D ? null : 'North', 200, 190]);
  await lake.put(`published/school_context/period=${LATEST}/part-00000.parquet`, toParquet(buf.drain()));
  return { dir, lake, pdfs, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every row of a portal dataset (Hive partition value added as `period`), read back from Parquet. */
export async function readDataset(lake: ObjectStore, table: 'portal_audit' | 'portal_feedback'): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const o of await lake.list(`published/${table}/`)) {
    const period = /\/period=([^/]+)\//.exec(o.key)?.[1];
    const t = await fromParquet(await lake.get(o.key));
    for (const r of t.toArray()) rows.push({ ...(r.toJSON() as Record<string, unknown>), period });
  }
  return rows;
}

const PHASES = ['Primary', 'Primary', 'Primary', 'Secondary', 'Special'];
const CLUSTERS = ['Ashford Vale', 'Brookmere', 'Canterwell', 'Dovebridge', 'Eastholme', 'Fernley', 'Greywater', 'Hallow Down'];
const WORDS = ['Oak', 'Willow', 'Meadow', 'Castle', 'River', 'Hill', 'Orchard', 'Chalk', 'Marsh', 'Beacon', 'Priory', 'Mill'];

/**
 * A county-sized lake for the analyst's list: `n` schools with one profile each (the same tiny PDF
 * bytes), school_context with phase, cluster, pupils and classified, and the latest folder's render
 * manifest. URNs 200000.. in order.
 */
export async function makeCountyLake(n: number): Promise<PortalFixture & { urns: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'catchment-county-'));
  const lake = new LocalObjectStore(dir);
  const pdf = await tinyPdf('County profile');
  const urns = Array.from({ length: n }, (_, i) => String(200000 + i));
  const buf = new ColumnBuffer([
    { name: 'urn', type: 'string', nullable: false, description: '' },
    { name: 'name', type: 'string', nullable: true, description: '' },
    { name: 'phase', type: 'string', nullable: true, description: '' },
    { name: 'cluster', type: 'string', nullable: true, description: '' },
    { name: 'pupils', type: 'int', nullable: true, description: '' },
    { name: 'classified', type: 'int', nullable: true, description: '' },
  ]);
  const documents: Record<string, unknown> = {};
  for (const [i, urn] of urns.entries()) {
    const phase = PHASES[i % PHASES.length]!;
    const name = `${WORDS[i % WORDS.length]} ${WORDS[Math.floor(i / WORDS.length) % WORDS.length]} ${phase === 'Primary' ? 'Primary School' : phase === 'Secondary' ? 'Academy' : 'School'}`;
    const pupils = phase === 'Secondary' ? 900 + (i % 400) : 120 + (i % 300);
    buf.append([urn, name, phase, CLUSTERS[i % CLUSTERS.length]!, pupils, pupils - (i % 7)]);
    await lake.put(`published/profiles/${LATEST}/${urn}.pdf`, pdf);
    await lake.put(`published/profiles/${LATEST}/${urn}.json`, JSON.stringify({ period: LATEST, school: { urn, name }, classification: { name: CLASSIFICATION } }));
    documents[`${urn}.json`] = { sha256: 'x', pdf: `${urn}.pdf`, bytes: pdf.length, pages: 1 };
  }
  await lake.put(`published/profiles/${LATEST}/_render-manifest.json`, JSON.stringify({ renderer: 'test', period: LATEST, documents }));
  await lake.put(`published/school_context/period=${LATEST}/part-00000.parquet`, toParquet(buf.drain()));
  return { dir, lake, pdfs: new Map([['county', pdf]]), urns, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
