/**
 * The analysts' profile tables are completed and encoded in a thread beside the stage's
 * (profile-table-encoder.ts) when it can load, else in the stage's own thread, with the same code:
 * the same Parquet bytes either way. The placed rows move to the thread (no copy of two million
 * rows); a thread that cannot load leaves the work to this thread, and a table the thread fails on
 * fails with the thread's reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ProfileTableEncoder } from '../functions/profiles/profile-table-encoder.ts';
import { INPUTS, type PlacedProfileRows } from '../functions/profiles/profile-rows.ts';
import type { ProfileTableName } from '../functions/profiles/profile-table-parquet.ts';
import { fromParquet } from '../functions/lake/parquet.ts';

/** Three schools by four segments, every value set the way the engine's rows would be (two exact rows, the rest score-test rows). */
function placed(): PlacedProfileRows {
  const segments = [
    { level: 'supergroup' as const, segment: '1', name: 'One' },
    { level: 'supergroup' as const, segment: '2', name: 'Two' },
    { level: 'group' as const, segment: '1a', name: 'One A' },
    { level: 'group' as const, segment: '2a', name: 'Two A' },
  ];
  const rows = 3 * segments.length;
  const cols = Object.fromEntries(INPUTS.map((c) => [c, { values: new Float64Array(rows), valid: new Uint8Array(rows).fill(1) }])) as PlacedProfileRows['cols'];
  for (let i = 0; i < rows; i++) {
    const O = 5 + 7 * i;
    const n = 200;
    const B = 4000 + 300 * (i % 4);
    const N = 20000;
    const expected = (n * B) / N;
    const exact = i % 5 === 0;
    const set = (c: keyof typeof cols, v: number) => (cols[c].values[i] = v);
    set('n', O);
    set('n_total', n);
    set('base_n', B);
    set('base_total', N);
    set('family', 2);
    set('pct', (100 * O) / n);
    set('base_pct', (100 * B) / N);
    set('penetration', (1000 * O) / B);
    set('index', (100 * O) / expected);
    set('expected', exact ? 8 : expected);
    set('ci_low', 80);
    set('ci_high', 120);
    set('ci_level', 0.975);
    set('z', (O - expected) / Math.sqrt(expected));
  }
  return { units: ['100001', '100002', '100003'], bases: ['LA', 'LA', 'LA'], segments, classification: 'oac21', rows, cols, reliable: new Uint8Array(rows).fill(1) };
}

const same = (a: Uint8Array[], b: Uint8Array[]) => a.length === b.length && a.every((x, i) => Buffer.from(x).equals(Buffer.from(b[i]!)));

let open: ProfileTableEncoder[] = [];
const start = async (opts: Parameters<typeof ProfileTableEncoder.start>[0]) => {
  const e = await ProfileTableEncoder.start(opts);
  open.push(e);
  return e;
};
afterEach(async () => {
  await Promise.all(open.map((e) => e.close()));
  open = [];
});

describe('profile-table encoder', () => {
  it('the thread makes the same Parquet parts as this thread, and the rows move to it', async () => {
    const here = await start({ thread: false });
    expect(here.threaded).toBe(false);
    const mine = placed();
    const want = await here.encode(mine, 'school_profile');
    expect(mine.cols.n.values.length).toBe(12); // encoded here: the rows stay
    const t = (await fromParquet(want[0]!)).getChild('urn')!;
    expect([...t].slice(0, 5)).toEqual(['100001', '100001', '100001', '100001', '100002']);

    const threaded = await start({ thread: true });
    expect(threaded.threaded).toBe(true);
    const moved = placed();
    const got = await threaded.encode(moved, 'school_profile');
    expect(same(got, want)).toBe(true);
    expect(moved.cols.n.values.length).toBe(0); // moved to the thread, not copied
    // Cluster rows go the same way, under their contract's column name.
    const cluster = await threaded.encode(placed(), 'cluster_profile');
    expect((await fromParquet(cluster[0]!)).schema.fields[0]!.name).toBe('cluster');
    expect(same(cluster, await here.encode(placed(), 'cluster_profile'))).toBe(true);
  });

  it('a thread that cannot load leaves the tables to this thread', async () => {
    const e = await start({ thread: true, entry: new URL('./no-such-thread-entry.mjs', import.meta.url).href });
    expect(e.threaded).toBe(false);
    const want = await (await start({ thread: false })).encode(placed(), 'school_profile');
    expect(same(await e.encode(placed(), 'school_profile'), want)).toBe(true);
  });

  it('a table the thread fails on fails with its reason, and the thread goes on', async () => {
    const e = await start({ thread: true });
    await expect(e.encode(placed(), 'no_such_table' as ProfileTableName)).rejects.toThrow(/profile tables: .*no profile table no_such_table/);
    expect((await e.encode(placed(), 'school_profile')).length).toBe(1);
  });
});
