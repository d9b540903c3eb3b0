/** The England-scale shortlist: the same m per school as scoring every pair with the plain loop. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bhattacharyyaShortlist, splitRows } from '../functions/profiles/similar-shortlist.ts';

/** The plain all-pairs loop: every coefficient, best first, ties to the lower index. */
function bruteForce(vectors: number[][], m: number): number[][] {
  const roots = vectors.map((v) => {
    const total = v.reduce((a, b) => a + b, 0) || 1;
    return v.map((x) => Math.sqrt(x / total));
  });
  return roots.map((a, i) =>
    roots
      .map((b, j) => {
        let bc = 0;
        for (let t = 0; t < a.length; t++) bc += a[t]! * b[t]!;
        return { j, bc };
      })
      .filter((x) => x.j !== i)
      .sort((x, y) => y.bc - x.bc || x.j - y.j)
      .slice(0, m)
      .map((x) => x.j),
  );
}

/** The loop the module replaced: every pair's dense sum of d terms, offered to both rows (row i then row j, j ascending). */
function plainLoop(vectors: number[][], m: number): number[][] {
  const roots = vectors.map((v) => {
    const total = v.reduce((a, b) => a + b, 0) || 1;
    return v.map((x) => Math.sqrt(x / total));
  });
  const lists = roots.map(() => [] as { j: number; bc: number }[]);
  const offer = (list: { j: number; bc: number }[], j: number, bc: number) => {
    if (list.length === m && !(bc > list[m - 1]!.bc)) return;
    let p = list.length === m ? m - 1 : list.length;
    while (p > 0 && list[p - 1]!.bc < bc) p--;
    list.splice(p, 0, { j, bc });
    list.length = Math.min(list.length, m);
  };
  for (let i = 0; i < roots.length; i++) {
    for (let j = i + 1; j < roots.length; j++) {
      let bc = 0;
      for (let t = 0; t < roots[i]!.length; t++) bc += roots[i]![t]! * roots[j]![t]!;
      offer(lists[i]!, j, bc);
      offer(lists[j]!, i, bc);
    }
  }
  return lists.map((l) => l.map((x) => x.j));
}

function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** Counts as a school's pupils fall into groups: a few groups each, in multiples of 5 (as published). */
function sparseCounts(n: number, d: number, seed: number): number[][] {
  const rand = lcg(seed);
  return Array.from({ length: n }, () => {
    const v = new Array<number>(d).fill(0);
    const groups = 1 + Math.floor(rand() * 7);
    for (let g = 0; g < groups; g++) v[Math.floor(rand() * d)] += 5 * (1 + Math.floor(rand() ** 3 * 40));
    return v;
  });
}

function vectors(n: number, d: number, seed: number): number[][] {
  const rand = lcg(seed);
  // Few distinct shapes and small counts, so many coefficients tie exactly; some rows all zero.
  const shapes = Array.from({ length: 7 }, () => Array.from({ length: d }, () => Math.floor(rand() * 4)));
  return Array.from({ length: n }, (_, i) => (i % 97 === 5 ? new Array<number>(d).fill(0) : rand() < 0.4 ? [...shapes[i % 7]!] : Array.from({ length: d }, () => Math.floor(rand() * 6))));
}

describe('bhattacharyyaShortlist', () => {
  it('keeps the same schools, in the same order, as scoring every pair (ties to the lower index)', () => {
    for (const [n, d, m, seed] of [
      [300, 21, 25, 1],
      [1500, 21, 25, 2],
      [40, 9, 5, 3],
      [26, 4, 25, 4],
    ] as const) {
      const v = vectors(n, d, seed);
      expect(bhattacharyyaShortlist(v, m)).toEqual(bruteForce(v, m));
    }
  });

  it('gives the same lists when the rows are split between worker threads (ties across the parts)', () => {
    for (const [n, d, m, seed, threads] of [
      [1500, 21, 25, 5, 2],
      [700, 21, 25, 6, 3],
      [60, 4, 25, 7, 4],
    ] as const) {
      const v = vectors(n, d, seed);
      const serial = bhattacharyyaShortlist(v, m, 1);
      expect(serial).toEqual(bruteForce(v, m));
      expect(bhattacharyyaShortlist(v, m, threads)).toEqual(serial);
    }
  });

  it('the worker threads run the same code when the module is loaded through tsx (its keepNames must not reach the worker source)', () => {
    const script = [
      `import { bhattacharyyaShortlist } from ${JSON.stringify(resolve(import.meta.dirname, '../functions/profiles/similar-shortlist.ts'))};`,
      'const v = Array.from({ length: 400 }, (_, i) => Array.from({ length: 21 }, (_, t) => ((i * 7 + t * 13) % 11) + 1));',
      'process.stdout.write(String(JSON.stringify(bhattacharyyaShortlist(v, 25, 2)) === JSON.stringify(bhattacharyyaShortlist(v, 25, 1))));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: resolve(import.meta.dirname, '..') });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true');
  });

  /** The module, the plain loop and sorting every coefficient all give the same lists, on one thread and on several. */
  const agrees = (v: number[][], m: number, threads: number[] = [1, 2]) => {
    const want = bruteForce(v, m);
    expect(plainLoop(v, m)).toEqual(want);
    for (const k of threads) expect(bhattacharyyaShortlist(v, m, k)).toEqual(want);
  };

  it('scores sparse shares from postings exactly as the dense sum: random counts, dense and sparse, several m', () => {
    const rand = lcg(11);
    const dense = Array.from({ length: 400 }, () => Array.from({ length: 21 }, () => rand() * 100));
    for (const m of [1, 3, 25, 60]) agrees(dense, m);
    for (const [n, d, seed] of [
      [900, 21, 12],
      [500, 9, 13],
      [300, 60, 14],
    ] as const) {
      for (const m of [1, 7, 25]) agrees(sparseCounts(n, d, seed), m, [1, 3]);
    }
  });

  it('resolves ties by the lower index: duplicated vectors, the same shares at other sizes, many identical small schools', () => {
    const base = sparseCounts(120, 21, 21);
    const rand = lcg(22);
    // Each base vector again at random places, some scaled (5/15 and 10/30 give the same share float).
    const duplicated = Array.from({ length: 600 }, (_, i) => (i < 120 ? base[i]! : base[Math.floor(rand() * 120)]!.map((x) => x * (1 + Math.floor(rand() * 3)))));
    // Many small schools with pupils in one group or the same two groups: coefficients of exactly 1, 1/√2 and 0.
    const small = Array.from({ length: 500 }, (_, i) => {
      const v = new Array<number>(21).fill(0);
      if (i % 3 === 0) v[i % 4] = 5;
      else if (i % 3 === 1) (v[2] = 5), (v[3] = 5);
      else v[(i * 7) % 21] = 10;
      return v;
    });
    for (const m of [1, 5, 25, 40]) {
      agrees(duplicated, m, [1, 2, 3]);
      agrees(small, m, [1, 2, 3]);
    }
  });

  it('handles degenerate data: all rows identical, a zero-variance dimension, all-zero rows, -0 weights, n <= m, no rows', () => {
    const same = Array.from({ length: 80 }, () => [5, 0, 10, 0, 5]);
    const constantDim = sparseCounts(300, 21, 31).map((v) => {
      const total = v.reduce((a, b) => a + b, 0);
      return [...v.slice(0, 4), total, ...v.slice(4)]; // dimension 4 always half the weight
    });
    const zeroRows = sparseCounts(200, 21, 32).map((v, i) => (i % 9 === 0 ? v.map(() => 0) : v));
    const negativeZero = sparseCounts(150, 6, 33).map((v) => v.map((x) => (x === 0 ? -0 : x)));
    const oneDim = Array.from({ length: 50 }, (_, i) => [i % 3]);
    for (const m of [1, 25]) {
      agrees(same, m, [1, 2]);
      agrees(constantDim, m, [1, 2]);
      agrees(zeroRows, m, [1, 2]);
      agrees(negativeZero, m, [1, 2]);
      agrees(oneDim, m, [1, 2]);
    }
    for (const n of [0, 1, 2, 25, 26]) agrees(sparseCounts(n, 21, 34 + n), 25, [1, 2]);
    expect(bhattacharyyaShortlist([], 25)).toEqual([]);
    expect(bhattacharyyaShortlist([[0, 0, 0]], 25)).toEqual([[]]);
  });

  it('rejects weights that are not finite and non-negative (a term left out must be exactly zero)', () => {
    for (const bad of [-1, Number.NaN, Infinity]) {
      expect(() => bhattacharyyaShortlist([[1, 2], [3, bad], [1, 1]], 2)).toThrow(/row 1 dimension 1 is .*not a finite non-negative weight/);
    }
  });

  it('fails, never waits for ever, when a worker thread ends without reporting (terminated, out of memory)', () => {
    const v = sparseCounts(8000, 21, 77);
    // Ended before it starts: it never says it started.
    const early = { startMs: 3000, stallMs: 1500, onWorker: (w: { terminate(): unknown }) => void w.terminate() };
    expect(() => bhattacharyyaShortlist(v, 25, 2, early)).toThrow(/worker thread 0 (did not start within 3 s|finished no row for 1.5 s)/);
    // Ended after it has started and before it can finish: held once started, ended there.
    const hold = new Int32Array(new SharedArrayBuffer(8));
    const midway = {
      startMs: 3000,
      stallMs: 1500,
      hold,
      onWorker: (w: { terminate(): unknown }) => {
        expect(Atomics.wait(hold, 1, 0, 60_000)).not.toBe('timed-out');
        void w.terminate();
      },
    };
    expect(() => bhattacharyyaShortlist(v, 25, 2, midway)).toThrow(/worker thread 0 finished no row for 1.5 s/);
    // Held for good (stuck): taken for dead after stallMs, and ended.
    expect(() => bhattacharyyaShortlist(v, 25, 2, { startMs: 3000, stallMs: 1500, hold: new Int32Array(new SharedArrayBuffer(8)) })).toThrow(/worker thread 0 finished no row for 1.5 s/);
    // The same data with live threads still gives the single loop's lists.
    expect(bhattacharyyaShortlist(v, 25, 2)).toEqual(bhattacharyyaShortlist(v, 25, 1));
  }, 120_000);

  it('splits the pairs into nearly equal parts', () => {
    const pairs = (n: number, a: number, b: number) => Array.from({ length: b - a }, (_, k) => n - 1 - (a + k)).reduce((x, y) => x + y, 0);
    const b = splitRows(16750, 2);
    expect(b[0]).toBe(0);
    expect(b.at(-1)).toBe(16750);
    expect(Math.abs(pairs(16750, b[0]!, b[1]!) - pairs(16750, b[1]!, b[2]!))).toBeLessThan(16750);
    expect(splitRows(3, 4)).toEqual([0, 1, 2, 3, 3]);
  });

  it('has fewer than m when there are fewer others', () => {
    expect(bhattacharyyaShortlist([[1, 0], [0, 1], [1, 1]], 5)).toEqual([[2, 1], [2, 0], [0, 1]]);
  });
});
