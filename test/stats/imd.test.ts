import { describe, expect, it } from 'vitest';
import { IMD_2019_LSOA_COUNT, imdDecile } from '../../functions/domain/stats/imd.ts';
import { py, python } from './python-oracle.ts';

describe('imdDecile', () => {
  it('matches the published IMD 2019 decile boundaries', () => {
    expect(IMD_2019_LSOA_COUNT).toBe(32844);
    expect(imdDecile(1)).toBe(1); // most deprived LSOA
    expect(imdDecile(3284)).toBe(1);
    expect(imdDecile(3285)).toBe(2);
    expect(imdDecile(6568)).toBe(2);
    expect(imdDecile(6569)).toBe(3);
    expect(imdDecile(16422)).toBe(5); // 16422·10/32844 = 5 exactly
    expect(imdDecile(16423)).toBe(6);
    expect(imdDecile(32844)).toBe(10); // least deprived
  });

  it('custom totals and validation', () => {
    expect(imdDecile(1, 10)).toBe(1);
    expect(imdDecile(10, 10)).toBe(10);
    expect(imdDecile(1, 3)).toBe(4); // ceil(10/3)
    expect(() => imdDecile(0)).toThrow(RangeError);
    expect(() => imdDecile(32845)).toThrow(RangeError);
    expect(() => imdDecile(12.5)).toThrow(RangeError);
    expect(() => imdDecile(5, 0)).toThrow(RangeError);
  });

  it('equals numpy ceil(rank*10/total) for every rank, with equal-sized deciles', () => {
    const ref = py<number[]>('r = np.arange(1, 32845); out = np.clip(np.ceil(r * 10 / 32844), 1, 10).astype(int).tolist()');
    const got = Array.from({ length: IMD_2019_LSOA_COUNT }, (_, i) => imdDecile(i + 1));
    expect(got).toEqual(ref);
    const sizes = new Array(10).fill(0);
    for (const d of got) sizes[d - 1]++;
    for (const s of sizes) expect([3284, 3285]).toContain(s);
  });
});
