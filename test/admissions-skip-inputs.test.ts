/**
 * The admissions stage on a night when the school register moved a school (its postcode): the
 * admissions are not re-ingested (the register's URNs, LAs and statuses are unchanged), yet every
 * application's nearest school and distances may change, so each period is matched again and the
 * tables are made anew: the same curated and published bytes as a run from nothing over the same
 * inputs, and not those of the night before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSample } from '../sample-data/generate.ts';
import type { Manifest } from '../functions/pipeline/manifest.ts';
import { ADMISSIONS_TABLES } from '../functions/admissions/admissions-stage.ts';
import { enrichedAdmissions } from '../schemas/curated.ts';
import { tablePrefix } from '../schemas/columns.ts';
import { warmNight, parquetFilesOf } from './helpers/admissions-nights.ts';
import { publicationOf, publishedPath, removeDir, tempDir } from './helpers/fixtures.ts';

let input: string;
let lake: string;
let fresh: string;

const curatedOf = (out: string, p: string) => parquetFilesOf(join(out, tablePrefix(enrichedAdmissions), `period=${p}`));

let second: Manifest;
const before: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  input = tempDir();
  lake = tempDir();
  fresh = tempDir();
  await generateSample({ out: input, scale: 'tiny' });
  const first = await warmNight(input, lake, 'night-1');
  for (const p of first.admissions!.periods) before[p] = curatedOf(lake, p);
  // The first school takes the second one's postcode (a move: the register's other fields stay).
  const dir = join(input, 'schools');
  const name = readdirSync(dir).find((n) => n.startsWith('edubase'))!;
  const [header, a, b, ...rest] = readFileSync(join(dir, name), 'utf8').trimEnd().split('\n') as [string, string, string, ...string[]];
  const fields = (line: string) => line.slice(1, -1).split('","');
  const col = fields(header).indexOf('Postcode');
  const moved = fields(a);
  moved[col] = fields(b)[col]!;
  writeFileSync(join(dir, name), `${[header, `"${moved.join('","')}"`, b, ...rest].join('\n')}\n`);
  second = await warmNight(input, lake, 'night-2');
  await warmNight(input, fresh, 'night-fresh');
}, 600_000);

afterAll(() => {
  for (const d of [input, lake, fresh]) removeDir(d);
});

describe('the admissions stage when a school moved', () => {
  it('matches every period again and makes the tables anew', () => {
    expect(second.admissions!.periods.length).toBeGreaterThan(0);
    for (const p of second.admissions!.periods) expect(second.admissions!.enriched![p], p).toBe('matched');
    expect(second.admissions!.skipped).toBeNull();
  });

  it('writes what a run from nothing writes, which differs from the night before', () => {
    let changed = 0;
    for (const p of second.admissions!.periods) {
      const now = curatedOf(lake, p);
      expect(now, p).toEqual(curatedOf(fresh, p));
      if (JSON.stringify(now) !== JSON.stringify(before[p])) changed++;
      for (const table of ADMISSIONS_TABLES) {
        const item = `${tablePrefix(table)}/period=${p}`;
        expect(publicationOf(lake)!.items[item], item).toBe('night-2');
        expect(parquetFilesOf(publishedPath(lake, item)), item).toEqual(parquetFilesOf(publishedPath(fresh, item)));
      }
    }
    expect(changed).toBeGreaterThan(0);
  });
});
