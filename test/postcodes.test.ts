import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toNormalised } from 'postcode';
import { describe, expect, it } from 'vitest';
import { normalisePostcode } from '../functions/domain/postcodes.ts';
import { rng } from './helpers/rng.ts';

const NSPL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/data/nspl');
const EXTRACTS = ['DT', 'SM', 'SR'].map((area) => resolve(NSPL_DIR, `NSPL_NOV_2021_UK_${area}.csv`));

/** What the postcode library alone makes of a raw value (the rule normalisePostcode promises). */
function reference(raw: string): string | null {
  const compact = raw.replace(/\s+/g, '');
  return compact.length >= 5 && compact.length <= 7 ? toNormalised(compact) : null;
}

describe('postcode normalisation', () => {
  it('agrees with the postcode library on real postcodes in every form they arrive in, and on junk', () => {
    // Every postcode (live and terminated) in the three real NSPL extracts.
    const real = EXTRACTS.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .slice(1)
        .filter((l) => l.includes(','))
        .map((l) => l.split(',')[2]!.replace(/"/g, '')),
    );
    expect(real.length).toBeGreaterThan(20_000);
    const r = rng(7);
    const junk = ['', ' ', 'N/A', 'SR1', 'SR1 1A', 'SR11 1AAA', '1SR 1AA', 'sr1 1aa', 'SR1 1aA', 'SR1\t1AA', 'ZZ99 9ZZ', 'SR1  1AA', ' SR1 1AA ', 'SR1-1AA'];
    const forms = (p: string) => [p, p.toLowerCase(), p.replace(' ', ''), ` ${p}  `, p.replace(' ', '  '), p.slice(0, -1) + String.fromCharCode(48 + Math.floor(r() * 10))];
    let checked = 0;
    for (const raw of [...real.flatMap(forms), ...junk]) {
      const got = normalisePostcode(raw);
      const want = reference(raw);
      expect(got?.postcode ?? null, JSON.stringify(raw)).toBe(want);
      if (want) expect(got!.sector).toBe(want.slice(0, -2));
      checked++;
    }
    expect(checked).toBeGreaterThan(120_000);
  });
});
