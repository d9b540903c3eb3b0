/**
 * Profile documents made in worker threads (functions/profiles/document-threads.ts) are the
 * documents made in this thread, byte for byte, with the same head_profile values; a thread that
 * cannot start leaves its batches to this thread; and the profiles stage writes the same run with
 * threads as without.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateSample } from '../sample-data/generate.ts';
import { removeDir, runLocal, tempDir } from './helpers/fixtures.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { profileInputs, profilesStage, schoolInputs } from '../functions/profiles/analysis-stage.ts';
import { headDocuments } from '../functions/profiles/head-documents.ts';
import { DocumentThreads } from '../functions/profiles/document-threads.ts';
import { headCells } from '../functions/profiles/document-batch.ts';
import { bundleDocumentThread } from '../functions/profiles/document-worker-entry.ts';
import { runRoot } from '../functions/lake/publication.ts';
import type { Value } from '../functions/lake/column-buffer.ts';

const PERIOD = '2025-26';
let input: string;
let out: string;

beforeAll(async () => {
  input = tempDir();
  out = tempDir();
  await generateSample({ out: input, scale: 'tiny' });
  const m = await runLocal(input, out, { period: PERIOD });
  expect(m.status).toBe('succeeded');
}, 240_000);
afterAll(() => [input, out].forEach(removeDir));

/** Every file under a directory, relative path -> bytes. */
function filesUnder(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const abs = join(dir, f);
    if (statSync(abs).isFile()) m.set(f, readFileSync(abs));
  }
  return m;
}

describe('document threads', () => {
  it('make the documents and head_profile values this thread makes, in threads (tsx entry or bundle), sharing with this thread, and in this thread when no thread can start', async () => {
    const sql = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
    try {
      const { dict, classification } = await profileInputs(sql);
      const { counts, schools, facts } = await schoolInputs(sql, PERIOD);
      const heads = headDocuments({ period: PERIOD, laName: 'Test LA', classification, rule: { threshold: 5, base: 5 }, mode: 'on', baseKind: 'la', counts, facts, schools, dict });
      const urns = [...counts.keys()].sort();
      expect(urns.length).toBeGreaterThan(10);
      const expected = new Map<string, string>();
      const expectedCells: Value[] = [];
      for (const urn of urns) {
        const doc = heads.document(urn);
        expected.set(`docs/${urn}.json`, JSON.stringify(doc));
        headCells(doc, heads.shown.get(urn)!, expectedCells);
      }
      const batches = [urns.slice(0, 5), urns.slice(5, 9), urns.slice(9)];
      const ways = [
        // Every batch to the threads.
        { threads: 2, queue: 2, here: 0 },
        // The same from the bundled module the stage gives its threads (no TypeScript loader in them).
        { threads: 2, queue: 2, here: 0, entry: new URL(await bundleDocumentThread()) },
        // One thread with one batch waiting: the others are made here meanwhile.
        { threads: 1, queue: 1, here: 2 },
        // No thread starts: all here.
        { threads: 2, queue: 2, here: 3, entry: new URL('./no-such-worker.js', import.meta.url) },
      ];
      for (const way of ways) {
        const root = tempDir();
        try {
          const init = { context: heads.context, dict: dict.entries, grid: null, root };
          const pool = new DocumentThreads(init, way.threads, { queue: way.queue, entry: way.entry });
          const cells = (await Promise.all(batches.map((b) => pool.run(b.map((u) => `docs/${u}.json`), b.map((u) => heads.packed(u)))))).flat();
          await pool.close();
          expect(pool.madeHere).toBe(way.here);
          expect(cells).toEqual(expectedCells);
          const written = filesUnder(root);
          expect([...written.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [k, body] of expected) expect(written.get(k)!.toString('utf8')).toBe(body);
        } finally {
          removeDir(root);
        }
      }
    } finally {
      await sql.close();
    }
  }, 120_000);

  it('the profiles stage writes the same documents and tables with threads as without', async () => {
    const sql = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
    const lake = new LocalObjectStore(out);
    const runs = { threads: 'documents-threaded', here: 'documents-here' };
    try {
      for (const [how, runId] of Object.entries(runs)) {
        await profilesStage({ lake, sql, runId, period: PERIOD, periods: [PERIOD], documents: true, incremental: false, documentThreads: how === 'threads' ? 2 : 0 });
      }
      const published = (runId: string) => filesUnder(join(out, runRoot(runId), 'published'));
      const a = published(runs.threads);
      const b = published(runs.here);
      expect([...a.keys()].filter((k) => k.startsWith('profiles/')).length).toBeGreaterThan(10);
      expect([...a.keys()].some((k) => k.startsWith('head_profile/'))).toBe(true);
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      for (const [k, bytes] of a) expect(bytes.equals(b.get(k)!), k).toBe(true);
    } finally {
      await sql.close();
      for (const runId of Object.values(runs)) {
        await lake.deletePrefix(`${runRoot(runId)}/`);
        await lake.deletePrefix(`staging/${runId}/`);
      }
    }
  }, 120_000);
});
