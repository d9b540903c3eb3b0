/**
 * The built-in 2021 Output Area Classification: schemas/oac21.ts is generated from the ONS/GeoDS
 * names (../shared/data/oac21_names.csv) by scripts/generate-oac21.ts and must stay equal to it;
 * every supergroup and group has a pen portrait in plain, non-judgemental words.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderOac21Module } from '../scripts/generate-oac21.ts';
import { OAC21_NAMES } from '../schemas/oac21.ts';
import { allGroupPortraits, allPortraits, groupPortrait, penPortrait, supergroupName } from '../functions/pdf/pen-portraits.ts';
import { SHARED } from './helpers/real-inputs.ts';

describe('OAC 2021 names', () => {
  it('the committed module is what the generator makes from the published names', () => {
    const generated = renderOac21Module(readFileSync(join(SHARED, 'oac21_names.csv')));
    expect(readFileSync(resolve(import.meta.dirname, '../schemas/oac21.ts'), 'utf8')).toBe(generated);
  });

  it('has 8 supergroups, 21 groups and 52 subgroups with codes of the form 4B2', () => {
    expect(OAC21_NAMES).toHaveLength(52);
    expect(new Set(OAC21_NAMES.map((o) => o.code[0])).size).toBe(8);
    expect(new Set(OAC21_NAMES.map((o) => o.code.slice(0, 2))).size).toBe(21);
    expect(OAC21_NAMES.every((o) => /^[1-8][A-D][1-4]$/.test(o.code))).toBe(true);
    // every group and supergroup name is one per code
    for (const [len, key] of [[1, 'supergroup'], [2, 'group']] as const) {
      const names = new Map<string, Set<string>>();
      for (const o of OAC21_NAMES) names.set(o.code.slice(0, len), (names.get(o.code.slice(0, len)) ?? new Set()).add(o[key]));
      expect([...names.values()].every((s) => s.size === 1), key).toBe(true);
    }
    expect(OAC21_NAMES.find((o) => o.code === '2A1')!.supergroup).toBe('Suburbanites and Peri-Urbanites');
  });
});

describe('pen portraits', () => {
  const judgemental = /\b(poor|deprived people|problem|rough|sink|chav|immigrants?|scroungers?|underclass)\b/i;

  it('cover every 2021 supergroup and group, and every 2011 supergroup', () => {
    expect(allPortraits('oac21').map((p) => p.name)).toEqual([...new Set(OAC21_NAMES.map((o) => o.supergroup))]);
    expect(allGroupPortraits('oac21').map((p) => p.code)).toEqual([...new Set(OAC21_NAMES.map((o) => o.code.slice(0, 2)))]);
    expect(allPortraits('oac11')).toHaveLength(8);
    for (const p of [...allPortraits('oac21'), ...allGroupPortraits('oac21'), ...allPortraits('oac11')]) {
      expect(p.text.length, p.code).toBeGreaterThan(60);
      expect(p.text, p.code).not.toMatch(judgemental);
    }
  });

  it('follow the edition: the same code is a different neighbourhood in 2011 and 2021', () => {
    expect(supergroupName('2B1', 'oac11')).toBe('Cosmopolitans');
    expect(supergroupName('2B1', 'oac21')).toBe('Suburbanites and Peri-Urbanites');
    expect(penPortrait('2', 'x', null, 'oac11')).not.toBe(penPortrait('2', 'x', null, 'oac21'));
    expect(penPortrait('2', 'x', 'own words', 'oac21')).toBe('own words');
    expect(groupPortrait('4B2', 'oac21')).toMatch(/Long-established inner-city communities/);
    expect(groupPortrait('4B2', 'oac11')).toBeNull();
    expect(penPortrait('2', 'x', null, 'custom')).toBeNull();
  });
});
