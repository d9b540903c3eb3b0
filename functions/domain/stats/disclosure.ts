/**
 * Small-number suppression (statistical disclosure control) for tables shown to heads of
 * school or published: counts of pupils by segment are hidden when small enough to risk
 * identifying individuals, plus enough other cells that the hidden ones cannot be
 * recovered by subtraction from published totals.
 *
 * Symbols follow the GSS / DfE convention: 'c' = confidential (suppressed),
 * 'z' = not applicable (a percentage of a zero total).
 *
 * Decisions:
 *  - Primary suppression: counts with 0 < n < threshold (default 5, so 1–4 are hidden).
 *  - Zeros are shown. A true zero discloses nothing about any individual, and hiding zeros would
 *    mark every sparse row 'c' for no protection. Consequently zeros are never chosen as secondary
 *    suppressions either: a hidden cell that is known to be ≥ 0 paired with a hidden zero gives
 *    the first an exact upper bound (its own value). The one exception is a total below the
 *    threshold: then the whole line is hidden, zeros included, since "c, 0, 0, 0" would reveal
 *    that every member of a small group is in one category.
 *  - Secondary suppression, per line with a published total:
 *      (a) never exactly one hidden cell (else total − shown cells recovers it), and
 *      (b) the hidden cells must sum to at least `minSuppressedSum` (default = threshold).
 *    (b) goes beyond the usual rule because a reader knows a hidden cell is ≥ 1 (zeros are shown):
 *    two hidden cells summing to 2 must both be 1. Set minSuppressedSum = 0 for the plain rule (a).
 *    Secondary cells are chosen smallest non-zero first (least information lost), ties by position.
 *  - Output objects carry no raw value for a suppressed cell (value: null), so they can be
 *    serialised straight into a report without leaking.
 *  - Percentages are computed from the unrounded counts, and shown as 'c' when either the cell
 *    or its denominator is suppressed (a shown count with a shown percentage would reveal the
 *    hidden total).
 */

export type SuppressionReason = 'primary' | 'secondary' | 'total';

export interface SuppressOptions {
  /** Counts 0 < n < threshold are suppressed. Default 5. */
  threshold?: number;
  /** Hidden cells in a line with a published total must sum to at least this. Default = threshold. */
  minSuppressedSum?: number;
  /** Decimal places for pctDisplay. Default 1. */
  decimals?: number;
}

export interface PublishedCell {
  key: string;
  /** The count, or null when suppressed. */
  value: number | null;
  /** 'c' when suppressed, else the count. */
  display: string;
  /** Percentage of the relevant total (unrounded), or null when suppressed / not applicable. */
  pct: number | null;
  /** 'c' when the cell or its denominator is suppressed, 'z' when the denominator is 0, else pct to `decimals`. */
  pctDisplay: string;
  suppressed: boolean;
  reason: SuppressionReason | null;
}

export interface CountCell {
  key: string;
  n: number;
}

export interface Table1D {
  cells: readonly CountCell[];
  /** Published total. Defaults to the sum of the cells; may exceed it (e.g. unclassified pupils). */
  total?: number;
}

export interface Published1D {
  cells: PublishedCell[];
  total: PublishedCell;
}

export const SUPPRESSED = 'c';
export const NOT_APPLICABLE = 'z';

interface ResolvedOptions {
  threshold: number;
  minSuppressedSum: number;
  decimals: number;
}

function resolveOptions(opts: SuppressOptions): ResolvedOptions {
  const threshold = opts.threshold ?? 5;
  if (!(Number.isInteger(threshold) && threshold >= 1)) throw new RangeError(`threshold must be an integer ≥ 1, got ${threshold}`);
  const minSuppressedSum = opts.minSuppressedSum ?? threshold;
  if (!(Number.isFinite(minSuppressedSum) && minSuppressedSum >= 0)) throw new RangeError(`minSuppressedSum must be ≥ 0, got ${minSuppressedSum}`);
  const decimals = opts.decimals ?? 1;
  if (!(Number.isInteger(decimals) && decimals >= 0 && decimals <= 20)) throw new RangeError(`decimals must be an integer in 0..20, got ${decimals}`);
  return { threshold, minSuppressedSum, decimals };
}

function assertCount(what: string, n: number): void {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

const isSmall = (n: number, threshold: number) => n > 0 && n < threshold;

/** Shapes one published cell; the percentage is hidden when its numerator or denominator is. */
function publish(
  key: string,
  n: number,
  reason: SuppressionReason | null,
  denominator: number,
  denominatorSuppressed: boolean,
  decimals: number,
): PublishedCell {
  const suppressed = reason !== null;
  let pct: number | null = null;
  let pctDisplay: string;
  if (suppressed || denominatorSuppressed) pctDisplay = SUPPRESSED;
  else if (denominator === 0) pctDisplay = NOT_APPLICABLE;
  else {
    pct = (100 * n) / denominator;
    pctDisplay = pct.toFixed(decimals);
  }
  return { key, value: suppressed ? null : n, display: suppressed ? SUPPRESSED : String(n), pct, pctDisplay, suppressed, reason };
}

/**
 * Secondary suppression within one line (values + which are hidden) whose total is published.
 * Applies rules (a) and (b) from the module comment; returns the indices newly hidden, or null
 * when the line cannot be protected without hiding its total (no non-zero cell left to hide).
 */
function protectLine(values: readonly number[], hidden: readonly boolean[], minSuppressedSum: number): number[] | null {
  const added: number[] = [];
  let count = 0;
  let sum = 0;
  values.forEach((v, i) => {
    if (hidden[i]) { count++; sum += v; }
  });
  const isHidden = (i: number) => hidden[i] || added.includes(i);
  while (count === 1 || (count > 0 && sum < minSuppressedSum)) {
    let best = -1;
    for (let i = 0; i < values.length; i++) {
      if (isHidden(i) || values[i] === 0) continue;
      if (best < 0 || values[i] < values[best]) best = i;
    }
    if (best < 0) return null;
    added.push(best);
    count++;
    sum += values[best];
  }
  return added;
}

/**
 * Suppress a 1-D table of counts with a published total (e.g. one school's pupils by segment).
 * Percentages are of the total. See the module comment for the rules.
 */
export function suppress(table: Table1D, opts: SuppressOptions = {}): Published1D {
  const { threshold, minSuppressedSum, decimals } = resolveOptions(opts);
  table.cells.forEach((c, i) => assertCount(`cells[${i}].n (${c.key})`, c.n));
  const sum = table.cells.reduce((s, c) => s + c.n, 0);
  const total = table.total ?? sum;
  assertCount('total', total);
  if (total < sum) throw new RangeError(`total (${total}) is less than the sum of the cells (${sum})`);

  const reasons: (SuppressionReason | null)[] = table.cells.map(() => null);
  let totalReason: SuppressionReason | null = null;

  if (isSmall(total, threshold)) {
    // Small group: hide everything, zeros included (see module comment).
    reasons.fill('total');
    totalReason = 'primary';
  } else {
    table.cells.forEach((c, i) => {
      if (isSmall(c.n, threshold)) reasons[i] = 'primary';
    });
    const added = protectLine(
      table.cells.map((c) => c.n),
      reasons.map((r) => r !== null),
      minSuppressedSum,
    );
    if (added === null) totalReason = 'secondary'; // only reachable when total > sum of cells
    else for (const i of added) reasons[i] = 'secondary';
  }

  const totalHidden = totalReason !== null;
  return {
    cells: table.cells.map((c, i) => publish(c.key, c.n, reasons[i], total, totalHidden, decimals)),
    total: publish('total', total, totalReason, total, totalHidden, decimals),
  };
}

// ---------------------------------------------------------------------------
// Two-way tables with row, column and grand totals
// ---------------------------------------------------------------------------

export interface Table2D {
  rowKeys: readonly string[];
  colKeys: readonly string[];
  /** counts[i][j]: row i (e.g. school), column j (e.g. segment). Totals are derived from these. */
  counts: readonly (readonly number[])[];
}

export interface Published2DRow {
  key: string;
  /** pct = share of the row total. */
  cells: PublishedCell[];
  /** pct = share of the grand total. */
  total: PublishedCell;
}

export interface Published2D {
  rows: Published2DRow[];
  /** pct = share of the grand total. */
  colTotals: PublishedCell[];
  grandTotal: PublishedCell;
}

/**
 * Suppress a two-way table published with row totals, column totals and a grand total.
 *
 * Work on the augmented (r+1) × (c+1) grid: interior cells, row totals in column c, column totals
 * in row r, grand total at (r, c). Every augmented row and column is one published linear relation
 * (cells sum to their total). Model it as a bipartite graph with a node per augmented row and per
 * augmented column and an edge per hidden cell. The hidden values can be shifted without changing
 * any published figure exactly along cycles of that graph, so a hidden cell is recoverable by
 * linear algebra iff its edge is a *bridge* (lies on no cycle). "No row or column with exactly one
 * hidden cell" is the special case of a degree-1 node; it is not enough on its own (two blocks of
 * hidden cells joined by a single hidden cell satisfy it, yet that cell is recoverable).
 *
 * Algorithm (deterministic; all ties broken by row then column index):
 *  1. Primary: a total 0 < T < threshold hides its whole line, zeros included (reason 'total'; the
 *     total itself 'primary'); a grand total below threshold hides everything. Then every interior
 *     cell 0 < n < threshold (reason 'primary').
 *  2. Repeat until nothing changes:
 *     a. For each augmented line whose total is shown (rows top to bottom, then columns left to
 *        right): rules (a) and (b) of the module comment, adding the smallest non-zero shown cell.
 *     b. If any hidden cell is a bridge, take the first in row-major order and hide the cheapest
 *        path of shown cells that closes a cycle through it: Dijkstra between its row and column
 *        nodes, hidden cells free, cost compared lexicographically as (zeros used, totals used,
 *        sum of counts), so zeros and totals are hidden only when there is no other way.
 *  Each step hides at least one more cell, so this terminates. On exit no hidden cell is a bridge
 *  (hence no augmented line has exactly one hidden cell) and rule (b) holds in every line with a
 *  shown total.
 *
 * Not covered (as with all heuristic cell suppression): bounds an attacker can derive from
 * non-negativity are not audited beyond rule (b). A small row (e.g. a school below the threshold)
 * forces another row total to be hidden, since the grand total would otherwise give it away;
 * callers who prefer can drop such rows before tabulating.
 */
export function suppress2D(table: Table2D, opts: SuppressOptions = {}): Published2D {
  const { threshold, minSuppressedSum, decimals } = resolveOptions(opts);
  const r = table.rowKeys.length;
  const c = table.colKeys.length;
  if (table.counts.length !== r) throw new RangeError(`counts has ${table.counts.length} rows, expected ${r}`);
  table.counts.forEach((row, i) => {
    if (row.length !== c) throw new RangeError(`counts[${i}] has ${row.length} columns, expected ${c}`);
    row.forEach((v, j) => assertCount(`counts[${i}][${j}]`, v));
  });

  // Augmented grid of values.
  const A: number[][] = Array.from({ length: r + 1 }, () => new Array<number>(c + 1).fill(0));
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const v = table.counts[i][j];
      A[i][j] = v;
      A[i][c] += v;
      A[r][j] += v;
      A[r][c] += v;
    }
  }
  const reason: (SuppressionReason | null)[][] = A.map((row) => row.map(() => null));
  const hide = (i: number, j: number, why: SuppressionReason) => {
    if (reason[i][j] === null) reason[i][j] = why;
  };

  // 1. Primary suppression.
  if (isSmall(A[r][c], threshold)) {
    for (let i = 0; i <= r; i++) for (let j = 0; j <= c; j++) hide(i, j, i === r && j === c ? 'primary' : 'total');
  } else {
    for (let i = 0; i < r; i++) {
      if (!isSmall(A[i][c], threshold)) continue;
      hide(i, c, 'primary');
      for (let j = 0; j < c; j++) hide(i, j, 'total');
    }
    for (let j = 0; j < c; j++) {
      if (!isSmall(A[r][j], threshold)) continue;
      hide(r, j, 'primary');
      for (let i = 0; i < r; i++) hide(i, j, 'total');
    }
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) if (isSmall(A[i][j], threshold)) hide(i, j, 'primary');
  }

  // 2. Secondary suppression.
  for (;;) {
    if (applyLineRules(A, reason, minSuppressedSum)) continue;
    const bridge = firstBridge(reason);
    if (bridge === null) break;
    for (const [i, j] of cheapestCycleCompletion(A, reason, bridge)) hide(i, j, 'secondary');
  }

  const shown = (i: number, j: number) => reason[i][j] === null;
  const G = A[r][c];
  return {
    rows: table.rowKeys.map((key, i) => ({
      key,
      cells: table.colKeys.map((ck, j) => publish(ck, A[i][j], reason[i][j], A[i][c], !shown(i, c), decimals)),
      total: publish(key, A[i][c], reason[i][c], G, !shown(r, c), decimals),
    })),
    colTotals: table.colKeys.map((ck, j) => publish(ck, A[r][j], reason[r][j], G, !shown(r, c), decimals)),
    grandTotal: publish('total', G, reason[r][c], G, !shown(r, c), decimals),
  };
}

/**
 * Rules (a) and (b) on every augmented line with a shown total. Returns true if anything was hidden.
 * If a line cannot be protected with non-zero cells, its total is hidden instead (the bridge step
 * then protects that total in its own lines).
 */
function applyLineRules(A: number[][], reason: (SuppressionReason | null)[][], minSuppressedSum: number): boolean {
  const r = A.length - 1;
  const c = A[0].length - 1;
  let changed = false;
  const lines: Array<Array<[number, number]>> = [];
  for (let i = 0; i <= r; i++) lines.push(Array.from({ length: c + 1 }, (_, j) => [i, j] as [number, number]));
  for (let j = 0; j <= c; j++) lines.push(Array.from({ length: r + 1 }, (_, i) => [i, j] as [number, number]));
  for (const line of lines) {
    const [ti, tj] = line[line.length - 1]; // the line's total
    if (reason[ti][tj] !== null) continue;
    const members = line.slice(0, -1);
    const added = protectLine(
      members.map(([i, j]) => A[i][j]),
      members.map(([i, j]) => reason[i][j] !== null),
      minSuppressedSum,
    );
    if (added === null) {
      reason[ti][tj] = 'secondary';
      changed = true;
    } else if (added.length > 0) {
      for (const k of added) reason[members[k][0]][members[k][1]] = 'secondary';
      changed = true;
    }
  }
  return changed;
}

/**
 * First hidden cell (row-major) whose edge is a bridge in the bipartite graph of hidden cells:
 * nodes 0..r are augmented rows, r+1..r+1+c augmented columns. Tarjan's low-link bridge search.
 */
function firstBridge(reason: (SuppressionReason | null)[][]): [number, number] | null {
  const R = reason.length;
  const C = reason[0].length;
  const V = R + C;
  const adj: Array<Array<{ to: number; cell: number }>> = Array.from({ length: V }, () => []);
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < C; j++) {
      if (reason[i][j] === null) continue;
      const cell = i * C + j;
      adj[i].push({ to: R + j, cell });
      adj[R + j].push({ to: i, cell });
    }
  }
  const disc = new Array<number>(V).fill(-1);
  const low = new Array<number>(V).fill(0);
  const bridges: number[] = [];
  let time = 0;
  // Iterative DFS so large tables cannot overflow the call stack.
  for (let s = 0; s < V; s++) {
    if (disc[s] >= 0) continue;
    const stack: Array<{ v: number; parentCell: number; k: number }> = [{ v: s, parentCell: -1, k: 0 }];
    disc[s] = low[s] = time++;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.k < adj[top.v].length) {
        const { to, cell } = adj[top.v][top.k++];
        if (cell === top.parentCell) continue;
        if (disc[to] < 0) {
          disc[to] = low[to] = time++;
          stack.push({ v: to, parentCell: cell, k: 0 });
        } else {
          low[top.v] = Math.min(low[top.v], disc[to]);
        }
      } else {
        stack.pop();
        if (stack.length > 0) {
          const parent = stack[stack.length - 1].v;
          low[parent] = Math.min(low[parent], low[top.v]);
          if (low[top.v] > disc[parent]) bridges.push(top.parentCell);
        }
      }
    }
  }
  if (bridges.length === 0) return null;
  const first = Math.min(...bridges);
  return [Math.floor(first / C), first % C];
}

type Cost = [zeros: number, totals: number, sum: number];
const lessCost = (a: Cost, b: Cost) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * Shown cells to hide so that the hidden cell `bridge` lies on a cycle: the cheapest path between
 * its row node and column node not using the bridge itself (dense Dijkstra; the graph is complete
 * bipartite, every cell an edge). Hidden cells cost nothing; a shown cell costs (isZero, isTotal, value).
 * Node ties resolve to the lowest index, so the result is deterministic.
 */
function cheapestCycleCompletion(A: number[][], reason: (SuppressionReason | null)[][], bridge: [number, number]): Array<[number, number]> {
  const R = A.length;
  const C = A[0].length;
  const V = R + C;
  const cellOf = (u: number, v: number): [number, number] => (u < R ? [u, v - R] : [v, u - R]);
  const edgeCost = (i: number, j: number): Cost => {
    if (reason[i][j] !== null) return [0, 0, 0];
    return [A[i][j] === 0 ? 1 : 0, i === R - 1 || j === C - 1 ? 1 : 0, A[i][j]];
  };
  const src = bridge[0];
  const dst = R + bridge[1];
  const dist: (Cost | null)[] = new Array(V).fill(null);
  const prev = new Array<number>(V).fill(-1);
  const done = new Array<boolean>(V).fill(false);
  dist[src] = [0, 0, 0];
  for (;;) {
    let u = -1;
    for (let v = 0; v < V; v++) {
      if (done[v] || dist[v] === null) continue;
      if (u < 0 || lessCost(dist[v] as Cost, dist[u] as Cost) < 0) u = v;
    }
    if (u < 0 || u === dst) break;
    done[u] = true;
    // Neighbours of a row node are all column nodes and vice versa.
    const [from, to] = u < R ? [R, V] : [0, R];
    for (let v = from; v < to; v++) {
      if (done[v]) continue;
      const [i, j] = cellOf(u, v);
      if (i === bridge[0] && j === bridge[1]) continue;
      const w = edgeCost(i, j);
      const du = dist[u] as Cost;
      const cand: Cost = [du[0] + w[0], du[1] + w[1], du[2] + w[2]];
      if (dist[v] === null || lessCost(cand, dist[v] as Cost) < 0) {
        dist[v] = cand;
        prev[v] = u;
      }
    }
  }
  if (dist[dst] === null) throw new Error('internal: no cycle completion found'); // impossible: r, c ≥ 1
  const path: Array<[number, number]> = [];
  for (let v = dst; v !== src; v = prev[v]) {
    const [i, j] = cellOf(prev[v], v);
    if (reason[i][j] === null) path.push([i, j]);
  }
  return path;
}
