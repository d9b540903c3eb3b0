/**
 * Work side by side that can be stopped (sideBySide): when one side fails the other is stopped at
 * its next statement (its engine calls are made under a signal: abortable) instead of running to
 * its end, and the first failure is what is reported.
 */
import { pbkdf2 } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoppedError, sideBySide } from '../functions/commons/settled.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { abortable } from '../functions/ports/sql-engine.ts';
import { removeDir, tempDir } from './helpers/fixtures.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** Resolves once `signal` is aborted, with its reason. */
const whenAborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

// Hours of work on any machine: only an interrupt ends it within a test.
const ENDLESS = 'SELECT sum(hash(i)) AS s FROM range(1000000000000) t(i)';

describe('sideBySide', () => {
  it('gives both values when neither fails', async () => {
    await expect(sideBySide(['a', 'b'], async () => 1, async () => 'two')).resolves.toEqual([1, 'two']);
  });

  it("stops the other side when one fails, and reports the failure alone, not the other's stop", async () => {
    const boom = new Error('contacts table missing');
    let seen: unknown;
    const e = await sideBySide(
      ['profiles 2025-26', 'fair access 2025-26'],
      async (signal) => {
        seen = await whenAborted(signal); // as a stage's statement does: it ends with the reason
        throw seen;
      },
      async () => {
        throw boom;
      },
    ).catch((x: unknown) => x);
    expect(e).toBe(boom);
    expect(seen).toBeInstanceOf(StoppedError);
    expect((seen as StoppedError).message).toBe('stopped: fair access 2025-26 failed (contacts table missing)');
    expect((seen as StoppedError).cause).toBe(boom);
  });

  it('waits for the stopped side to end, and throws the failure even when that side finished anyway', async () => {
    const boom = new Error('engine refused the profile rows');
    let finished = false;
    const e = await sideBySide(
      ['profiles', 'fair access'],
      async () => {
        throw boom;
      },
      async (signal) => {
        await whenAborted(signal);
        await new Promise((r) => setTimeout(r, 20));
        finished = true; // a side past its last statement is not stopped
        return 'done';
      },
    ).catch((x: unknown) => x);
    expect(e).toBe(boom);
    expect(finished).toBe(true);
  });

  it('knows a stop however the stopped side wraps it (as a cause, or each half of its own work stopped)', async () => {
    const boom = new Error('contacts table missing');
    for (const wrap of [(r: unknown) => new Error('profiles: school rows', { cause: r }), (r: unknown) => new AggregateError([r, r], 'both halves stopped')]) {
      const e = await sideBySide(['profiles', 'fair access'], async (signal) => Promise.reject(wrap(await whenAborted(signal))), () => Promise.reject(boom)).catch((x: unknown) => x);
      expect(e).toBe(boom);
    }
    // One half stopped and the other failing on its own is a failure of its own.
    const own = new Error('disk full');
    const e = await sideBySide(['profiles', 'fair access'], async (signal) => Promise.reject(new AggregateError([await whenAborted(signal), own], 'x')), () => Promise.reject(boom)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AggregateError);
    expect((e as AggregateError).errors[1]).toBe(boom);
  });

  it('reports two failures of their own together', async () => {
    const a = new Error('engine refused the profile rows');
    const b = new Error('contacts table missing');
    const e = (await sideBySide(['profiles', 'fair access'], () => Promise.reject(a), () => Promise.reject(b)).catch((x: unknown) => x)) as AggregateError;
    expect(e).toBeInstanceOf(AggregateError);
    expect(e.errors).toEqual([a, b]);
    expect(e.message).toBe('profiles failed: engine refused the profile rows; fair access failed too: contacts table missing');
  });
});

describe('DuckDB statements under a signal', () => {
  it('are interrupted when it is aborted mid-statement, never started when it is aborted while they wait, and leave the engine usable', async () => {
    const lake = tempDir();
    dirs.push(lake);
    const engine = await DuckDbEngine.create({ lakeRoot: lake, threads: 1 });
    try {
      const first = new AbortController();
      const second = new AbortController();
      const endless = abortable(engine, first.signal).query(ENDLESS).catch((e: unknown) => e);
      // Queued behind it (the engine runs one statement at a time), under another signal.
      const queued = abortable(engine, second.signal).unload('SELECT 1 AS n', { prefix: 'stage/never', partitionedBy: [] }).catch((e: unknown) => e);
      const unsignalled = engine.query('SELECT 42 AS n');
      second.abort(new Error('second stopped'));
      await new Promise((r) => setTimeout(r, 200)); // the endless statement running, or about to be (an interrupt then is sent again until it takes)
      first.abort(new Error('first stopped'));
      expect(await endless).toBe(first.signal.reason);
      expect(await queued).toBe(second.signal.reason);
      expect(existsSync(join(lake, 'stage/never'))).toBe(false);
      // Another's statement is not interrupted with it, and later statements run.
      expect(Number((await unsignalled).getChild('n')!.get(0))).toBe(42);
      expect(Number((await engine.query('SELECT 7 AS n')).getChild('n')!.get(0))).toBe(7);
      // Aborted just after the statement is handed to DuckDB, before its thread has begun it (DuckDB
      // clears an interrupt as a statement begins): interrupted all the same.
      // The pool of threads DuckDB's calls run on is kept busy, so the statement waits there.
      for (let i = 0; i < 3; i++) {
        const busy = Array.from({ length: 8 }, () => promisify(pbkdf2)('x', 'y', 300_000, 32, 'sha256'));
        const soon = new AbortController();
        const handed = abortable(engine, soon.signal).query(ENDLESS).catch((e: unknown) => e);
        await new Promise((r) => setImmediate(r));
        soon.abort(new Error(`stopped ${i}`));
        expect(await handed).toBe(soon.signal.reason);
        await Promise.all(busy);
      }
      // A signal already aborted: nothing is started.
      await expect(abortable(engine, first.signal).query('SELECT 1')).rejects.toBe(first.signal.reason);
    } finally {
      await engine.close();
    }
  }, 60_000);
});
