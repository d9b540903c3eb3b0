import { describe, expect, it } from 'vitest';
import {
  baseAt,
  COARSE_BASE,
  compileLines,
  DEFAULT_RULE,
  exactRanges,
  extendShape,
  NOT_SHOWN,
  publishCounts,
  shownOf,
  UNDER_HIDDEN,
  pinnedCounts,
  publishTable,
  publishedRanges,
  showCount,
  shownRange,
  type CountTable,
  type Line,
} from '../../functions/domain/stats/disclosure.ts';
import { py, rng } from './python-oracle.ts';

describe('the rule for one count', () => {
  it('0 is 0, 1 to 4 are c, the rest rounded to the nearest 5 (halves up), never below 5', () => {
    const shown = Array.from({ length: 26 }, (_, x) => showCount(x));
    expect(shown).toEqual([0, 'c', 'c', 'c', 'c', 5, 5, 5, 10, 10, 10, 10, 10, 15, 15, 15, 15, 15, 20, 20, 20, 20, 20, 25, 25, 25]);
    expect(showCount(412)).toBe(410);
    expect(showCount(413)).toBe(415);
  });

  it('shownRange is exactly the set of counts each shown value stands for', () => {
    for (const rule of [DEFAULT_RULE, { threshold: 3, base: 5 }, { threshold: 10, base: 5 }, { threshold: 7, base: 5 }, { threshold: 5, base: 1 }]) {
      for (const base of [rule.base, COARSE_BASE]) {
        const pre = new Map<string, number[]>();
        for (let x = 0; x <= 400; x++) {
          const s = String(showCount(x, rule, base));
          pre.set(s, [...(pre.get(s) ?? []), x]);
        }
        for (const [s, xs] of pre) {
          if (xs.includes(400)) continue; // the last bucket is cut off by the loop
          const shown = s === 'c' ? 'c' : Number(s);
          expect(shownRange(shown, rule, base), `${JSON.stringify(rule)} base ${base} shown ${s}`).toEqual([xs[0], xs[xs.length - 1]]);
        }
      }
    }
    expect(shownRange('c', DEFAULT_RULE, 5, true)).toEqual([0, 4]);
  });

  it('rejects what is not a count or a rule', () => {
    expect(() => showCount(1.5)).toThrow(RangeError);
    expect(() => showCount(-1)).toThrow(RangeError);
    expect(() => publishTable({ counts: new Map(), lines: [] }, { threshold: 0, base: 5 })).toThrow(RangeError);
  });
});

/** A random tree of sum lines like a school's: a root split two ways, each part split further. */
function randomTree(r: () => number): CountTable {
  const counts = new Map<string, number>();
  const lines: Line[] = [];
  let id = 0;
  const grow = (key: string, n: number, depth: number) => {
    counts.set(key, n);
    if (depth === 0 || r() < 0.25) return;
    const k = 2 + Math.floor(r() * 4);
    const parts: string[] = [];
    let left = n;
    for (let i = 0; i < k; i++) {
      // Skewed splits, so small parts (1 to 4) and zeros are common.
      const v = i === k - 1 ? left : Math.min(left, Math.floor(left * r() * r()));
      left -= v;
      const child = `n${id++}`;
      parts.push(child);
      grow(child, v, depth - 1);
    }
    lines.push({ total: key, parts });
  };
  const root = Math.floor(3 + r() * 60);
  grow('root', root, 3);
  // A second split of the root (as pupils are split by FSM and by IMD decile too).
  const a = Math.floor(root * r());
  counts.set('a', a);
  counts.set('b', root - a);
  lines.push({ total: 'root', parts: ['a', 'b'] });
  return { counts, lines };
}

describe('the audit: exact ranges on a tree of lines', () => {
  it('equal the bounds an integer-programming solver (scipy milp) finds, on random trees', () => {
    const rand = rng(2024);
    const cases = Array.from({ length: 120 }, () => {
      const t = randomTree(rand);
      const pub = publishTable(t, DEFAULT_RULE, { audit: false }); // unrepaired: more pins to find
      const ranges = publishedRanges(pub, DEFAULT_RULE);
      return { t, ranges, ours: exactRanges(ranges, t.lines) };
    });
    const input = cases.map(({ t, ranges }) => {
      const keys = [...t.counts.keys()];
      return { keys, ranges: keys.map((k) => ranges.get(k)!), lines: t.lines.map((l) => [keys.indexOf(l.total), l.parts.map((p) => keys.indexOf(p))]) };
    });
    // All cases in one block-diagonal problem per key position: each block's optimum is that
    // case's own bound, and one solve per position is far cheaper than one per case and key.
    const ref = py<number[][][]>(
      `
from scipy.optimize import milp, LinearConstraint, Bounds
from scipy.sparse import block_diag, csr_matrix
blocks, lo, hi, offs = [], [], [], []
off = 0
for c in inp:
    k = len(c['keys'])
    A = np.zeros((len(c['lines']), k))
    for r, (t, parts) in enumerate(c['lines']):
        A[r, t] = 1
        for p in parts: A[r, p] -= 1
    blocks.append(csr_matrix(A)); offs.append(off); off += k
    lo += [r[0] for r in c['ranges']]; hi += [r[1] for r in c['ranges']]
A = block_diag(blocks, format='csr'); lo = np.array(lo, float); hi = np.array(hi, float)
cons = [LinearConstraint(A, 0, 0)]
out = [[[None, None] for _ in c['keys']] for c in inp]
for j in range(max(len(c['keys']) for c in inp)):
    e = np.zeros(off)
    for ci, c in enumerate(inp):
        if j < len(c['keys']): e[offs[ci] + j] = 1
    for sign, slot in ((1, 0), (-1, 1)):
        r = milp(sign * e, constraints=cons, integrality=np.ones(off), bounds=Bounds(lo, hi))
        for ci, c in enumerate(inp):
            if j < len(c['keys']): out[ci][j][slot] = int(round(r.x[offs[ci] + j]))
`,
      input,
    );
    let narrowed = 0;
    cases.forEach(({ ours, ranges }, ci) => {
      input[ci]!.keys.forEach((k, i) => {
        expect(ours.get(k), `case ${ci} ${k}`).toEqual(ref[ci]![i]);
        const own = ranges.get(k)!;
        if (ref[ci]![i]![1] - ref[ci]![i]![0] < own[1] - own[0]) narrowed++;
      });
    });
    // The identities must actually narrow some ranges for the comparison to mean anything.
    expect(narrowed).toBeGreaterThan(100);
  });

  it('a group of 7 shown as 5, a subgroup of 5 shown as 5 and two of 1 shown as c: the two c are pinned', () => {
    const t: CountTable = {
      counts: new Map([['g', 7], ['a', 5], ['b', 1], ['c', 1]]),
      lines: [{ total: 'g', parts: ['a', 'b', 'c'] }],
    };
    const bare = publishTable(t, DEFAULT_RULE, { audit: false });
    expect([...bare.shown.values()]).toEqual([5, 5, 'c', 'c']);
    expect(pinnedCounts(t, bare, DEFAULT_RULE).sort()).toEqual(['b', 'c']);
    const repaired = publishTable(t);
    expect(repaired.coarsened).toEqual(['g']);
    expect(repaired.shown.get('g')).toBe(10);
    expect(pinnedCounts(t, repaired, DEFAULT_RULE)).toEqual([]);
    expect(exactRanges(publishedRanges(repaired, DEFAULT_RULE), t.lines).get('b')).toEqual([1, 4]);
  });

  it('the breakdown of a count shown as c is c, zeros included, so the parts cannot add up to it', () => {
    // A supergroup of 4 in groups 2, 1, 1, 0: with zeros shown, three c's (each ≥ 1) and a c
    // total (≤ 4) would pin the groups below.
    const t: CountTable = {
      counts: new Map([['all', 50], ['sg1', 4], ['sg2', 46], ['g1', 2], ['g2', 1], ['g3', 1], ['g4', 0], ['s1', 1], ['s2', 1], ['s3', 0]]),
      lines: [
        { total: 'all', parts: ['sg1', 'sg2'] },
        { total: 'sg1', parts: ['g1', 'g2', 'g3', 'g4'] },
        { total: 'g1', parts: ['s1', 's2', 's3'] },
      ],
    };
    const pub = publishTable(t);
    expect(pub.shown.get('g4')).toBe('c');
    expect(pub.shown.get('s3')).toBe('c');
    expect([...pub.underHidden].sort()).toEqual(['g1', 'g2', 'g3', 'g4', 's1', 's2', 's3']);
    expect(pinnedCounts(t, pub, DEFAULT_RULE)).toEqual([]);
    const off = publishTable(t, DEFAULT_RULE, { audit: false });
    expect(pinnedCounts(t, off, DEFAULT_RULE).length).toBeGreaterThan(0);
  });

  it('property: after publishTable no protected count is pinned, nothing of 5 or more is hidden, and shown values contain the truth', () => {
    const rand = rng(77);
    let repaired = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const t = randomTree(rand);
      const pub = publishTable(t);
      if (pub.coarsened.length) repaired++;
      expect(pinnedCounts(t, pub, DEFAULT_RULE)).toEqual([]);
      const ranges = publishedRanges(pub, DEFAULT_RULE);
      for (const [k, n] of t.counts) {
        const [lo, hi] = ranges.get(k)!;
        expect(n >= lo && n <= hi, `${k}=${n} in [${lo}, ${hi}]`).toBe(true);
        if (n >= DEFAULT_RULE.threshold && !pub.underHidden.has(k)) expect(pub.shown.get(k)).not.toBe('c');
      }
    }
    expect(repaired, 'the random trees must exercise the repair').toBeGreaterThan(20);
  });
});

describe('publishing over a shared shape (publishCounts)', () => {
  it('a table whose lines extend shared lines (a school with a map) is published exactly as publishTable publishes all its lines', () => {
    const rand = rng(91);
    let repaired = 0;
    for (let trial = 0; trial < 1500; trial++) {
      const t = randomTree(rand);
      // Shared lines first (compiled once and kept, as every school's table lines), the table's own after.
      const cut = Math.floor(rand() * t.lines.length);
      const shared = t.lines.slice(0, cut);
      const shape = extendShape(compileLines(shared), t.lines.slice(cut));
      const counts = Float64Array.from(shape.keys, (k) => t.counts.get(k) ?? NaN);
      const arrays = publishCounts(shape, counts, null, DEFAULT_RULE);
      const want = publishTable(t);
      if (want.coarsened.length || want.opened.length) repaired++;
      const got = { shown: new Map(), base: new Map(), underHidden: new Set() };
      shape.keys.forEach((k, i) => {
        if (arrays.shown[i] === NOT_SHOWN) return;
        got.shown.set(k, shownOf(arrays.shown[i]!));
        got.base.set(k, baseAt(arrays, i));
        if (arrays.flags[i]! & UNDER_HIDDEN) got.underHidden.add(k);
      });
      expect(new Map([...got.shown].sort())).toEqual(new Map([...want.shown].sort()));
      expect(new Map([...got.base].sort())).toEqual(new Map([...want.base].sort()));
      expect([...got.underHidden].sort()).toEqual([...want.underHidden].sort());
      expect(arrays.coarsened).toEqual(want.coarsened);
      expect(arrays.opened).toEqual(want.opened);
    }
    expect(repaired, 'the random trees must exercise the repair').toBeGreaterThan(20);
  });
});
