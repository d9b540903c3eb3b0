/**
 * head_profile filled column by column (head-profile-columns.ts) is the same Parquet, part for
 * part and byte for byte, as the same rows added one at a time (StagedTable.addValues).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Value } from '../functions/lake/column-buffer.ts';
import { StagedTable } from '../functions/lake/table-writer.ts';
import { stagedPartition } from '../functions/lake/tables.ts';
import { HEAD_CELLS } from '../functions/profiles/document-batch.ts';
import { Dictionary, LEVEL_ORDER } from '../functions/profiles/dictionary.ts';
import { HEAD_COLUMNS, HeadProfileColumns } from '../functions/profiles/head-profile-columns.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import * as T from '../schemas/published.ts';
import { OAC_DICTIONARY, rng } from './helpers/documents.ts';

// Names beyond ASCII, as a classification's own dictionary may have.
const dict = new Dictionary(OAC_DICTIONARY.entries.map((e, i) => ({ ...e, subgroupName: i % 3 ? e.subgroupName : `${e.subgroupName} – café` })));
const rows = LEVEL_ORDER.reduce((a, l) => a + dict.codes[l].length, 0);

/** A school's cells as headCells gives them: n shown, rounded to, five statistics (some NULL), flag, reliable. */
function cellsOf(random: () => number): Value[] {
  const out: Value[] = [];
  for (let r = 0; r < rows; r++) {
    const u = random();
    const shown = u < 0.2 ? 'c' : u < 0.4 ? '0' : String(5 * Math.floor(u * 60));
    const stat = () => (shown === 'c' ? null : random() * 200);
    out.push(shown, u > 0.9 ? 10 : 5, stat(), random() * 10, stat(), stat(), stat(), shown === 'c' ? null : (['over', 'under', 'ns'] as const)[Math.floor(random() * 3)]!, random() < 0.5);
  }
  return out;
}

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

async function partsOf(table: StagedTable): Promise<Buffer[]> {
  const root = mkdtempSync(join(tmpdir(), 'head-cols-'));
  roots.push(root);
  await table.stage(new LocalObjectStore(root), 'run-1', '2025-26');
  const dir = join(root, stagedPartition('run-1', T.headProfile, '2025-26'));
  return readdirSync(dir).sort().map((f) => readFileSync(join(dir, f)));
}

describe('head_profile column by column', () => {
  // Parts cut inside a school, exactly at a school's end, one school a part, smaller than a school, one row.
  it.each([
    ['3 schools and 17 rows', 3 * rows + 17],
    ['2 schools', 2 * rows],
    ['1 school', rows],
    ['1 school less a row', rows - 1],
    ['1 row', 1],
  ])('is the Parquet of the same rows added one at a time, part for part (parts of %s)', async (_, partRows) => {
    const random = rng(7);
    const schools = Array.from({ length: 23 }, (_, i) => ({ urn: String(100000 + i * 37), cells: cellsOf(random) }));
    // A school whose rows all fit the current part is copied a block at a time (addSchool): taken whenever a part holds a school.
    const whole = vi.spyOn(HeadProfileColumns.prototype as unknown as { addSchool: () => number }, 'addSchool');

    const byRow = new StagedTable(T.headProfile, partRows);
    expect(byRow.columnNames).toEqual([...HEAD_COLUMNS]);
    for (const s of schools) {
      let c = 0;
      for (const level of LEVEL_ORDER) {
        for (const code of dict.codes[level]) {
          byRow.addValues([s.urn, level, code, dict.name(level, code), ...s.cells.slice(c, c + HEAD_CELLS), 'oac21']);
          c += HEAD_CELLS;
        }
      }
    }

    const byColumn = new StagedTable(T.headProfile, partRows);
    const cols = new HeadProfileColumns(byColumn, dict, 'oac21');
    // Batches of several schools and of one, as the two paths of writeHeadOutputs give them.
    cols.add(schools.slice(0, 5).map((s) => s.urn), schools.slice(0, 5).flatMap((s) => s.cells));
    for (const s of schools.slice(5)) cols.add([s.urn], s.cells);
    cols.flush();

    const a = await partsOf(byRow);
    const b = await partsOf(byColumn);
    expect(a.length).toBe(Math.ceil((schools.length * rows) / partRows));
    expect(b.length).toBe(a.length);
    b.forEach((part, i) => expect(part.equals(a[i]!)).toBe(true));
    if (partRows >= rows) expect(whole).toHaveBeenCalled();
    else expect(whole).not.toHaveBeenCalled();
    whole.mockRestore();
  });

  it('refuses cells that do not fill whole rows, and a part given while single rows wait', () => {
    const random = rng(8);
    const cells = cellsOf(random);
    const cols = new HeadProfileColumns(new StagedTable(T.headProfile), dict, 'oac21');
    expect(() => cols.add(['100001'], cells.slice(0, -1))).toThrow(/values end before school 100001/);
    expect(() => cols.add(['100001'], [...cells, ...cells.slice(0, HEAD_CELLS)])).toThrow(/left over/);
    const bad = [...cells];
    bad[1] = null;
    expect(() => new HeadProfileColumns(new StagedTable(T.headProfile), dict, 'oac21').add(['100002'], bad)).toThrow(/rounded_to of school 100002/);
    const mixed = new StagedTable(T.headProfile);
    mixed.addValues(['100003', 'group', '1a', 'x', 'c', 5, null, 1, null, null, null, null, false, 'oac21']);
    const later = new HeadProfileColumns(mixed, dict, 'oac21');
    later.add(['100004'], cells);
    expect(() => later.flush()).toThrow(/rows added one at a time wait/);
  });
});
