/**
 * Postcodes as ingest normalises them (the pc_norm rule in functions/ingest/sql/rules.ts, run by
 * DuckDB) against what the `postcode` library makes of the same values, on every postcode of the
 * real NSPL extracts in six spellings and on junk.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rng } from './helpers/rng.ts';
import { referencePostcode } from './helpers/js-validators.ts';
import { applyRules } from './helpers/rules.ts';

const NSPL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../shared/data/nspl');
const EXTRACTS = ['DT', 'SM', 'SR'].map((area) => resolve(NSPL_DIR, `NSPL_NOV_2021_UK_${area}.csv`));

describe('postcode normalisation', () => {
  it('agrees with the postcode library on real postcodes in every form they arrive in, and on junk', async () => {
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
    const junk = ['', ' ', 'N/A', 'KT1', 'KT1 1A', 'KT11 1AAA', '1KT 1AA', 'kt1 1aa', 'KT1 1aA', 'KT1\t1AA', 'ZZ99 9ZZ', 'KT1  1AA', ' KT1 1AA ', 'KT1-1AA'];
    const forms = (p: string) => [p, p.toLowerCase(), p.replace(' ', ''), ` ${p}  `, p.replace(' ', '  '), p.slice(0, -1) + String.fromCharCode(48 + Math.floor(r() * 10))];
    const raws = [...real.flatMap(forms), ...junk];
    const got = await applyRules(raws, { postcode: 'pc_norm(v)', sector: 'pc_sector(pc_norm(v))' });
    let checked = 0;
    raws.forEach((raw, i) => {
      const want = referencePostcode(raw);
      expect(got[i]!.postcode ?? null, JSON.stringify(raw)).toBe(want);
      if (want) expect(got[i]!.sector).toBe(want.slice(0, -2));
      checked++;
    });
    expect(checked).toBeGreaterThan(120_000);
  });
});
