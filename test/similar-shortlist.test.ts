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

function vectors(n: number, d: number, seed: number): number[][] {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
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
