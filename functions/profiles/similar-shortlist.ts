/**
 * The shortlist behind similar schools at England scale: for each school, the m others whose
 * group shares have the largest Bhattacharyya coefficient BC(a, b) = Σ √a_t · √b_t (ties: the
 * lower index). Every pair is scored once (a dot product of 21 square roots for OAC) and offered
 * to both schools' lists; the loop is written over flat typed arrays with the admission test
 * inline, because at 16,750 primary schools it runs 140 million times.
 */

const BLOCK = 1024;

/** For each vector (non-negative weights), the indices of the m others with the largest Bhattacharyya coefficient of their shares. */
export function bhattacharyyaShortlist(vectors: readonly (readonly number[])[], m: number): number[][] {
  const n = vectors.length;
  const d = vectors[0]?.length ?? 0;
  const roots = new Float64Array(n * d);
  vectors.forEach((v, i) => {
    const total = v.reduce((a, b) => a + b, 0) || 1;
    for (let j = 0; j < d; j++) roots[i * d + j] = Math.sqrt(v[j]! / total);
  });
  // Each row's m best, best first, in flat arrays; `last` is each row's m-th best score (-1 while not full).
  const score = new Float64Array(n * m).fill(-1);
  const index = new Int32Array(n * m).fill(-1);
  const last = new Float64Array(n).fill(-1);
  // Insert j into row i's list behind any equal score (so the lower index, offered first, stays ahead).
  const insert = (i: number, j: number, bc: number) => {
    const o = i * m;
    let p = m - 1;
    while (p > 0 && score[o + p - 1]! < bc) {
      score[o + p] = score[o + p - 1]!;
      index[o + p] = index[o + p - 1]!;
      p--;
    }
    score[o + p] = bc;
    index[o + p] = j;
    last[i] = score[o + m - 1]!;
  };
  // Square roots by dimension (rootsT[t·n + j]), so row i's dot products with every later row are
  // accumulated one dimension at a time over contiguous memory, in the same order of terms.
  const rootsT = new Float64Array(n * d);
  for (let j = 0; j < n; j++) for (let t = 0; t < d; t++) rootsT[t * n + j] = roots[j * d + t]!;
  const dots = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    dots.fill(0, i + 1);
    // In blocks that stay in the processor's fastest cache.
    for (let j0 = i + 1; j0 < n; j0 += BLOCK) {
      const j1 = Math.min(n, j0 + BLOCK);
      for (let t = 0; t < d; t++) {
        const a = roots[i * d + t]!;
        const o = t * n;
        for (let j = j0; j < j1; j++) dots[j] = dots[j]! + a * rootsT[o + j]!;
      }
    }
    // Offers in the order of the plain loop (row i then row j, j ascending), so ties resolve alike.
    for (let j = i + 1; j < n; j++) {
      const bc = dots[j]!;
      if (bc > last[i]!) insert(i, j, bc);
      if (bc > last[j]!) insert(j, i, bc);
    }
  }
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let p = 0; p < m; p++) if (index[i * m + p]! >= 0) row.push(index[i * m + p]!);
    out.push(row);
  }
  return out;
}
