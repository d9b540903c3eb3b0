/**
 * labelVector (lake/arrow-columns.ts) builds a text column from codes into a small list of labels.
 * Given a period, it copies the first period's bytes instead of writing each label, after checking
 * the codes do repeat with it: the same column either way, and the plain way whenever they do not.
 */
import { describe, expect, it } from 'vitest';
import { labelVector } from '../functions/lake/arrow-columns.ts';

const labels = ['Ethnically diverse professionals', 'x', '', 'Suburban semi-detached families with children'];
const values = (v: ReturnType<typeof labelVector>) => [...v].map(String);

describe('labelVector with a period', () => {
  it('gives the same column as label by label, from any starting row and any length', () => {
    for (const start of [0, 1, 3]) {
      for (const len of [1, 4, 5, 11, 64, 257]) {
        const codes = Int32Array.from({ length: len }, (_, i) => (start + i) % 4);
        const want = values(labelVector(codes, labels));
        expect(values(labelVector(codes, labels, 4))).toEqual(want);
        expect(want[0]).toBe(labels[start % 4]);
        // A constant column is periodic with period 1.
        const one = new Int32Array(len);
        expect(values(labelVector(one, labels, 1))).toEqual(Array(len).fill(labels[0]));
      }
    }
  });

  it('falls back to label by label when the codes do not repeat, or hold NULLs', () => {
    const codes = Int32Array.from([0, 1, 2, 3, 0, 1, 3, 3]);
    expect(values(labelVector(codes, labels, 4))).toEqual([...codes].map((c) => labels[c]!));
    const nulls = Int32Array.from([0, -1, 0, -1, 0, -1]);
    const v = labelVector(nulls, labels, 2);
    expect([...v]).toEqual([labels[0], null, labels[0], null, labels[0], null]);
  });
});
