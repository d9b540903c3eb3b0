import { describe, expect, it } from 'vitest';
import { suppress, suppress2D, type Published2D, type Table2D } from '../../functions/domain/stats/disclosure.ts';
import { py, python, rng } from './python-oracle.ts';

const cells = (...ns: number[]) => ns.map((n, i) => ({ key: `s${i}`, n }));
const displays1D = (ns: number[], opts = {}, total?: number) => suppress({ cells: cells(...ns), total }, opts).cells.map((c) => c.display);

describe('suppress (1-D)', () => {
  it('primary + secondary: one small cell forces the next smallest non-zero cell', () => {
    const out = suppress({ cells: cells(12, 3, 40, 0, 7) });
    expect(out.cells.map((c) => c.display)).toEqual(['12', 'c', '40', '0', 'c']);
    expect(out.cells.map((c) => c.reason)).toEqual([null, 'primary', null, null, 'secondary']);
    expect(out.total.display).toBe('62');
    expect(out.cells[1].value).toBeNull(); // no raw value leaks for hidden cells
    expect(out.cells[1].pct).toBeNull();
    expect(out.cells[1].pctDisplay).toBe('c');
    expect(out.cells[0].pct).toBeCloseTo((100 * 12) / 62, 12); // from unrounded figures
    expect(out.cells[0].pctDisplay).toBe('19.4');
    expect(out.cells[3].pctDisplay).toBe('0.0'); // zeros are shown
  });

  it('two hidden cells summing below the threshold get a third (1 + 1 would reveal both)', () => {
    expect(displays1D([1, 1, 50, 60])).toEqual(['c', 'c', 'c', '60']);
    // the plain "never exactly one" rule on request
    expect(displays1D([1, 1, 50, 60], { minSuppressedSum: 0 })).toEqual(['c', 'c', '50', '60']);
  });

  it('ties for the secondary cell resolve to the first position', () => {
    expect(displays1D([9, 2, 9, 30])).toEqual(['c', 'c', '9', '30']);
  });

  it('a total below the threshold hides everything, zeros included; a zero total hides nothing', () => {
    const small = suppress({ cells: cells(3, 0, 1) });
    expect(small.cells.map((c) => c.display)).toEqual(['c', 'c', 'c']);
    expect(small.total.display).toBe('c');
    const zero = suppress({ cells: cells(0, 0) });
    expect(zero.cells.map((c) => c.display)).toEqual(['0', '0']);
    expect(zero.cells.map((c) => c.pctDisplay)).toEqual(['z', 'z']);
  });

  it('hides the total when a small cell cannot be protected by another cell (total > sum)', () => {
    const out = suppress({ cells: cells(3, 0), total: 10 });
    expect(out.cells.map((c) => c.display)).toEqual(['c', '0']);
    expect(out.total.display).toBe('c');
    expect(out.cells[1].pctDisplay).toBe('c'); // a shown % of a hidden total would reveal it
  });

  it('threshold option and validation', () => {
    expect(displays1D([9, 12, 30], { threshold: 10 })).toEqual(['c', 'c', '30']);
    expect(() => suppress({ cells: cells(1.5, 3) })).toThrow(RangeError);
    expect(() => suppress({ cells: cells(5, 3), total: 7 })).toThrow(RangeError);
    expect(() => suppress({ cells: cells(5) }, { threshold: 0 })).toThrow(RangeError);
  });

  it('property: random rows never leave exactly one hidden cell, hidden sum ≥ threshold, shown counts ≥ threshold or 0', () => {
    const rand = rng(101);
    for (let trial = 0; trial < 2000; trial++) {
      const t = [3, 5, 10][trial % 3];
      const k = 1 + Math.floor(rand() * 15);
      const ns = Array.from({ length: k }, () => {
        const u = rand();
        return u < 0.3 ? 0 : u < 0.6 ? 1 + Math.floor(rand() * (t - 1)) : Math.floor(rand() * 80);
      });
      const out = suppress({ cells: cells(...ns) }, { threshold: t });
      const hidden = out.cells.filter((c) => c.suppressed);
      const ctx = `t=${t} ${JSON.stringify(ns)}`;
      for (const c of [...out.cells, out.total]) {
        if (!c.suppressed) {
          expect(c.value === 0 || (c.value as number) >= t, ctx).toBe(true);
          expect(c.display).toBe(String(c.value));
        } else {
          expect(c.display).toBe('c');
          expect(c.value).toBeNull();
        }
      }
      if (!out.total.suppressed) {
        expect(hidden.length === 1, ctx).toBe(false);
        const hiddenSum = ns.reduce((s, n, i) => s + (out.cells[i].suppressed ? n : 0), 0);
        if (hidden.length > 0) expect(hiddenSum, ctx).toBeGreaterThanOrEqual(t);
        // shown cells + total determine the hidden sum, never an individual hidden cell
      }
    }
  });
});

describe('suppress2D', () => {
  const table = (counts: number[][]): Table2D => ({
    rowKeys: counts.map((_, i) => `r${i}`),
    colKeys: counts[0].map((_, j) => `c${j}`),
    counts,
  });
  const grid = (out: Published2D) => [
    ...out.rows.map((r) => [...r.cells.map((c) => c.display), r.total.display]),
    [...out.colTotals.map((c) => c.display), out.grandTotal.display],
  ];

  it('hand example: one small cell completes a rectangle of hidden cells', () => {
    const out = suppress2D(table([[10, 2, 30], [20, 15, 8], [12, 9, 25]]));
    expect(grid(out)).toEqual([
      ['c', 'c', '30', '42'],
      ['20', '15', '8', '43'],
      ['c', 'c', '25', '46'],
      ['42', '26', '63', '131'],
    ]);
    expect(out.rows[0].cells[1].reason).toBe('primary');
    expect(out.rows[0].cells[0].reason).toBe('secondary');
    // Row percentages from unrounded counts; hidden cells carry no percentage.
    expect(out.rows[1].cells[0].pct).toBeCloseTo((100 * 20) / 43, 12);
    expect(out.rows[0].cells[2].pctDisplay).toBe('71.4');
    expect(out.rows[0].cells[0].pct).toBeNull();
    expect(out.colTotals[0].pct).toBeCloseTo((100 * 42) / 131, 12);
  });

  it('a small row total hides that row (zeros too) and another row total', () => {
    const out = suppress2D(table([[1, 0, 2], [20, 15, 8], [12, 9, 25]]));
    expect(out.rows[0].cells.map((c) => c.display)).toEqual(['c', 'c', 'c']);
    expect(out.rows[0].total.display).toBe('c');
    expect(out.rows[0].cells[1].reason).toBe('total');
    const hiddenRowTotals = out.rows.filter((r) => r.total.suppressed).length + (out.grandTotal.suppressed ? 1 : 0);
    expect(hiddenRowTotals).toBeGreaterThanOrEqual(2);
  });

  it('a grand total below the threshold hides everything', () => {
    const out = suppress2D(table([[1, 0], [2, 1]]));
    expect(grid(out).flat().every((d) => d === 'c')).toBe(true);
  });

  it('no small counts: nothing hidden; all-zero table: nothing hidden', () => {
    expect(grid(suppress2D(table([[10, 20], [30, 0]]))).flat()).not.toContain('c');
    expect(grid(suppress2D(table([[0, 0], [0, 0]]))).flat()).not.toContain('c');
  });

  it('is deterministic', () => {
    const t = table([[3, 7, 0, 12], [9, 1, 4, 30], [0, 22, 6, 2], [15, 5, 5, 5]]);
    expect(suppress2D(t)).toEqual(suppress2D(t));
  });
});

/** Random school × segment tables with many zeros and small counts, plus some tiny schools. */
function randomTables(seed: number, count: number): Array<{ counts: number[][]; threshold: number }> {
  const rand = rng(seed);
  return Array.from({ length: count }, (_, trial) => {
    const threshold = [5, 3, 10][trial % 3];
    const r = 1 + Math.floor(rand() * 8);
    const c = 1 + Math.floor(rand() * 9);
    const tiny = rand() < 0.3;
    const counts = Array.from({ length: r }, () => {
      const rowTiny = tiny && rand() < 0.3;
      return Array.from({ length: c }, () => {
        const u = rand();
        if (u < 0.3) return 0;
        if (rowTiny || u < 0.6) return 1 + Math.floor(rand() * (threshold - 1));
        return Math.floor(rand() * 60);
      });
    });
    return { counts, threshold };
  });
}

/** Augmented grid of hidden flags (interior, row totals, column totals, grand total). */
function hiddenGrid(out: Published2D): boolean[][] {
  return [
    ...out.rows.map((r) => [...r.cells.map((c) => c.suppressed), r.total.suppressed]),
    [...out.colTotals.map((c) => c.suppressed), out.grandTotal.suppressed],
  ];
}

describe('suppress2D properties', () => {
  const cases = randomTables(2024, 400);

  it('no augmented row or column has exactly one hidden cell; shown counts are ≥ threshold or 0', () => {
    let withSuppression = 0;
    for (const { counts, threshold } of cases) {
      const out = suppress2D({ rowKeys: counts.map((_, i) => `r${i}`), colKeys: counts[0].map((_, j) => `c${j}`), counts }, { threshold });
      const ctx = `t=${threshold} ${JSON.stringify(counts)}`;
      const H = hiddenGrid(out);
      const shown = [
        ...out.rows.flatMap((r) => [...r.cells, r.total]),
        ...out.colTotals,
        out.grandTotal,
      ];
      for (const c of shown) {
        if (c.suppressed) expect(c.display, ctx).toBe('c');
        else expect(c.value === 0 || (c.value as number) >= threshold, `${ctx}: shown ${c.value}`).toBe(true);
      }
      for (const row of H) expect(row.filter(Boolean).length === 1, `row ${ctx}`).toBe(false);
      for (let j = 0; j < H[0].length; j++) expect(H.filter((row) => row[j]).length === 1, `col ${j} ${ctx}`).toBe(false);
      if (H.flat().some(Boolean)) withSuppression++;
    }
    expect(withSuppression).toBeGreaterThan(200); // the property must actually be exercised
  });

  it('no hidden cell can be recovered by linear algebra from the published figures (numpy null space)', () => {
    const payload = cases.map(({ counts, threshold }) => {
      const out = suppress2D({ rowKeys: counts.map((_, i) => `r${i}`), colKeys: counts[0].map((_, j) => `c${j}`), counts }, { threshold });
      return { r: counts.length, c: counts[0].length, hidden: hiddenGrid(out) };
    });
    // A deliberately bad pattern satisfying "no line with exactly one hidden cell": two hidden 2×2
    // blocks joined by one hidden cell (0,2). That cell is recoverable, so the oracle must flag it.
    const bad = Array.from({ length: 5 }, () => new Array<boolean>(5).fill(false));
    for (const [i, j] of [[0, 0], [0, 1], [1, 0], [1, 1], [2, 2], [2, 3], [3, 2], [3, 3], [0, 2]]) bad[i][j] = true;
    payload.push({ r: 4, c: 4, hidden: bad });

    const recoverable = py<number[][][]>(
      `
from scipy.linalg import null_space
out = []
for case in inp:
    r, c, H = case['r'], case['c'], np.asarray(case['hidden'], bool)
    cells = [(i, j) for i in range(r + 1) for j in range(c + 1) if H[i, j]]
    if not cells: out.append([]); continue
    col = {cell: k for k, cell in enumerate(cells)}
    rows = []
    # augmented row i: sum_j x[i,j] - x[i,c] = known; augmented column j: sum_i x[i,j] - x[r,j] = known
    for i in range(r + 1):
        v = np.zeros(len(cells))
        for j in range(c + 1):
            if (i, j) in col: v[col[(i, j)]] = -1.0 if j == c else 1.0
        rows.append(v)
    for j in range(c + 1):
        v = np.zeros(len(cells))
        for i in range(r + 1):
            if (i, j) in col: v[col[(i, j)]] = -1.0 if i == r else 1.0
        rows.append(v)
    N = null_space(np.vstack(rows))
    det = [list(cells[k]) for k in range(len(cells)) if N.shape[1] == 0 or np.linalg.norm(N[k]) < 1e-9]
    out.append(det)
`,
      payload,
    );
    const badResult = recoverable.pop();
    expect(badResult).toContainEqual([0, 2]); // the oracle can detect a recoverable cell
    recoverable.forEach((det, k) => {
      expect(det, `case ${k}: t=${cases[k].threshold} ${JSON.stringify(cases[k].counts)}`).toEqual([]);
    });
  });
});
