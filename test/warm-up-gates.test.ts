/**
 * When the PDF render threads start early and warm up: a cold run sizes its pupils files
 * (functions/pipeline/run.ts: EARLY_POOL_PUPIL_BYTES, WARM_UP_PUPIL_BYTES), the CLI goes by the
 * sample's name (it starts its pool before the sample's files exist).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { EARLY_POOL_PUPIL_BYTES, RunError, runPipeline, sampleWarmsUp, WARM_UP_PUPIL_BYTES } from '../functions/pipeline/run.ts';
import { RenderPool } from '../functions/pdf/render-stage.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { NotFoundError, type ObjectInfo } from '../functions/ports/object-store.ts';
import type { SqlEngine } from '../functions/ports/sql-engine.ts';
import { SCALES } from '../sample-data/generate.ts';
import { removeDir, tempDir, TEST_KEY } from './helpers/fixtures.ts';

/** A pool that records how it was started and starts nothing. */
class StartSpy extends RenderPool {
  readonly starts: { warmUp?: boolean }[] = [];
  constructor() {
    super(0);
  }
  override start(opts: { warmUp?: boolean } = {}): void {
    this.starts.push(opts);
  }
}

/** Raw inputs that list pupils files of the given sizes and hold nothing: the run fails at its first read, after the pool's start. */
class SizedInputs extends LocalObjectStore {
  constructor(
    root: string,
    private readonly sizes: number[],
  ) {
    super(root);
  }
  override async list(prefix: string): Promise<ObjectInfo[]> {
    return prefix === 'pupils/' ? this.sizes.map((size, i) => ({ key: `pupils/pupils_2025-26_part${i}.csv`, size })) : [];
  }
  override async get(key: string): Promise<Uint8Array> {
    throw new NotFoundError(key);
  }
  override async getStream(key: string): Promise<never> {
    throw new NotFoundError(key);
  }
}

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** How a cold run over pupils files of these sizes starts its pool. */
async function poolStarts(sizes: number[], opts: { skipPdfs?: boolean; skipUnchanged?: boolean } = {}) {
  const raw = tempDir();
  const lake = tempDir();
  dirs.push(raw, lake);
  const pool = new StartSpy();
  // The run never gets as far as a query.
  const sql = { name: 'duckdb' } as SqlEngine;
  await expect(runPipeline({ raw: new SizedInputs(raw, sizes), lake: new LocalObjectStore(lake), sql, pseudonymKey: TEST_KEY, period: '2025-26', pool, ...opts })).rejects.toBeInstanceOf(RunError);
  return pool.starts;
}

describe('the render pool a run starts early', () => {
  it('warms up for pupils files up to 256 MiB in all, and starts without a warm-up above', async () => {
    expect(WARM_UP_PUPIL_BYTES).toBe(256 * 1024 * 1024);
    expect(await poolStarts([40 << 20])).toEqual([{ warmUp: true }]); // a county (Kent's sample)
    expect(await poolStarts([WARM_UP_PUPIL_BYTES])).toEqual([{ warmUp: true }]);
    expect(await poolStarts([WARM_UP_PUPIL_BYTES + 1])).toEqual([{ warmUp: false }]);
    // The files of every period count together.
    expect(await poolStarts([200 << 20, 200 << 20])).toEqual([{ warmUp: false }]);
  });

  it('is not started early below 1 MiB of pupils, nor for a run without PDFs or an incremental one', async () => {
    expect(await poolStarts([EARLY_POOL_PUPIL_BYTES - 1])).toEqual([]);
    expect(await poolStarts([EARLY_POOL_PUPIL_BYTES])).toEqual([{ warmUp: true }]);
    expect(await poolStarts([40 << 20], { skipPdfs: true })).toEqual([]);
    expect(await poolStarts([40 << 20], { skipUnchanged: true })).toEqual([]);
  });
});

describe("the CLI's pool for a sample county", () => {
  it('warms up for every sample but England', () => {
    expect(SCALES.filter(sampleWarmsUp)).toEqual(['tiny', 'small', 'kent']);
    expect(sampleWarmsUp('england')).toBe(false);
  });
});
