import { describe, expect, it } from 'vitest';
import { num } from '../../functions/pdf/text-setter.ts';

describe('num (PDF operands in hundredths of a point)', () => {
  it('writes what String(round(n * 100) / 100) writes', () => {
    const values = [0, -0, 0.005, -0.005, 0.004, -0.004, 0.015, 1.005, -1.005, 0.1, 0.29, -0.07, 12.5, -12.5, 100, -100, 595.28, 841.89, 1e7 + 0.01, -1e7 - 0.01, 1e9, 2e9, -3e12, 1e21, NaN, Infinity, -Infinity];
    // A seeded spread of magnitudes and signs.
    let s = 7;
    const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 100_000; i++) values.push((next() - 0.5) * 10 ** Math.floor(next() * 9));
    for (const v of values) expect(num(v), String(v)).toBe(String(Math.round(v * 100) / 100));
  });
});
