/**
 * The admissions stage's curated partition after a night that died while replacing it: a night
 * whose contacts changed is killed just after a period's enriched_admissions was replaced, before
 * its marker was written. The publication stays as the last good night left it, and the next night
 * must not take the replaced partition for the one the old marker named (the contacts are back as
 * they were, so that marker's fingerprint would match): it matches that period again, and the
 * curated bytes are those of a run from nothing over the same inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSample } from '../sample-data/generate.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import type { Manifest } from '../functions/pipeline/manifest.ts';
import { markerKey } from '../functions/lake/stage-records.ts';
import { ADMISSIONS_TABLES } from '../functions/admissions/admissions-stage.ts';
import { enrichedAdmissions } from '../schemas/curated.ts';
import { tablePrefix } from '../schemas/columns.ts';
import { warmNight, parquetFilesOf } from './helpers/admissions-nights.ts';
import { publicationOf, removeDir, tempDir } from './helpers/fixtures.ts';

/** A lake whose put of one key fails: the process killed at that point. */
class DyingStore extends LocalObjectStore {
  constructor(
    root: string,
    private readonly at: string,
  ) {
    super(root);
  }
  override async put(key: string, body: Parameters<LocalObjectStore['put']>[1]): Promise<void> {
    if (key === this.at) throw new Error(`killed before writing ${key}`);
    return super.put(key, body);
  }
}

let input: string;
let lake: string;
let fresh: string;

let first: Manifest;
let third: Manifest;
let killed: unknown;
let afterKill: Record<string, string | undefined>;
let period: string;

beforeAll(async () => {
  input = tempDir();
  lake = tempDir();
  fresh = tempDir();
  await generateSample({ out: input, scale: 'tiny' });
  first = await warmNight(input, lake, 'night-1');
  await warmNight(input, fresh, 'night-fresh');
  period = first.admissions!.periods.at(-1)!;
  // Half of the contact log goes: the night replaces every period's partition, and dies before the last one's marker.
  const file = join(input, 'contacts/contacts.csv');
  const original = readFileSync(file, 'utf8');
  const lines = original.trimEnd().split('\n');
  writeFileSync(file, `${lines.filter((_, i) => i === 0 || i % 2 === 0).join('\n')}\n`);
  killed = await warmNight(input, lake, 'night-2', new DyingStore(lake, markerKey(tablePrefix(enrichedAdmissions), period))).then(
    () => null,
    (e: unknown) => e,
  );
  afterKill = { ...publicationOf(lake)!.items };
  // The contacts are back as night-1 read them.
  writeFileSync(file, original);
  third = await warmNight(input, lake, 'night-3');
}, 600_000);

afterAll(() => {
  for (const d of [input, lake, fresh]) removeDir(d);
});

describe('the admissions stage after a night killed while replacing a partition', () => {
  it('the killed night published nothing', () => {
    expect(killed).toBeTruthy();
    for (const table of ADMISSIONS_TABLES) expect(afterKill[`${tablePrefix(table)}/period=${period}`]).toBe('night-1');
  });

  it('the next night matches the replaced period again instead of keeping it', () => {
    expect(third.admissions!.enriched![period]).toBe('matched');
  });

  it('and its curated partitions are those of a run from nothing over the same inputs', () => {
    for (const p of third.admissions!.periods) {
      const part = join(tablePrefix(enrichedAdmissions), `period=${p}`);
      expect(parquetFilesOf(join(lake, part)), p).toEqual(parquetFilesOf(join(fresh, part)));
    }
  });
});
