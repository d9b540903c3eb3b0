/**
 * docs/security.md names, for each threat, the test that covers it. This keeps the references true:
 * every `file › test` exists, and every threat row names at least one test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const doc = readFileSync(resolve(ROOT, 'docs/security.md'), 'utf8');

it('every test docs/security.md cites exists, and every threat row cites one', () => {
  let cited = 0;
  const rows = doc.split('\n').filter((l) => l.startsWith('| ') && !/^\|\s*(Threat|Id|Actor)\s*\|/.test(l) && !/^\|[-| ]+\|$/.test(l));
  for (const row of rows.filter((r) => r.split('|').length === 5 && doc.indexOf(r) > doc.indexOf('## Threats'))) {
    const refs = [...row.matchAll(/`([^`]*(?:test\/[^`]+|› [^`]+))`/g)].map((m) => m[1]!);
    expect(refs.length, `no test cited for: ${row.slice(0, 80)}`).toBeGreaterThan(0);
    let file = '';
    for (const ref of refs) {
      const m = /^(test\/\S+\.test\.ts)?\s*(?:› (.+))?$/.exec(ref.trim());
      expect(m, ref).not.toBeNull();
      if (m![1]) file = m![1];
      expect(file, `${ref}: which file?`).not.toBe('');
      expect(existsSync(resolve(ROOT, file)), file).toBe(true);
      const source = readFileSync(resolve(ROOT, file), 'utf8');
      for (const part of (m![2] ?? '').split('…').map((p) => p.trim()).filter(Boolean)) {
        expect(source.includes(part), `${file} has no test "${part}"`).toBe(true);
        cited++;
      }
    }
  }
  expect(cited).toBeGreaterThan(30);
});
