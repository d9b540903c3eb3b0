/** A staged table is written in parts of a bounded size, and reads back as every row in order. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StagedTable, stageArrow } from '../functions/lake/table-writer.ts';
import { encodingThread, toParquet, toParquetAsync } from '../functions/lake/parquet.ts';
import { ColumnBuffer } from '../functions/lake/column-buffer.ts';
import { dataColumnsOf } from '../schemas/columns.ts';
import { stagedPartition } from '../functions/lake/tables.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { readParquetObjects } from '../functions/ports/parquet-objects.ts';
import * as T from '../schemas/published.ts';

const row = (i: number) => ({ cluster: `C${String(i).padStart(3, '0')}`, segment: String(i % 7), segment_name: `Segment ${i % 7}`, schools: i, min_pct: i / 3, median_pct: i / 2, max_pct: i, classification: 'oac21' });

describe('StagedTable', () => {
  it('writes parts of at most partRows rows, over what an earlier attempt left, and every row comes back in order', async () => {
    const root = mkdtempSync(join(tmpdir(), 'staged-'));
    const lake = new LocalObjectStore(root);
    const dir = stagedPartition('run-1', T.clusterVariation, '2025-26');
    await lake.put(`${dir}/part-00009.parquet`, new Uint8Array([1, 2, 3])); // a crashed attempt's leftover
    const t = new StagedTable(T.clusterVariation, 4);
    for (let i = 0; i < 10; i++) t.add(row(i));
    expect(await t.stage(lake, 'run-1', '2025-26')).toBe(`${dir}/part-00000.parquet`);
    expect(readdirSync(join(root, dir)).sort()).toEqual(['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet']);
    const back = await readParquetObjects(lake, dir);
    expect(back.numRows).toBe(10);
    expect(back.getChild('cluster')!.toArray()).toEqual(Array.from({ length: 10 }, (_, i) => row(i).cluster));
    expect([...back.getChild('schools')!.toArray()].map(Number)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    rmSync(root, { recursive: true, force: true });
  });

  it('encodes in the encoding thread to the same bytes as in this thread, parts in order', async () => {
    const columns = dataColumnsOf(T.headProfile);
    const part = (from: number, to: number) => {
      const buf = new ColumnBuffer(columns);
      for (let i = from; i < to; i++) {
        buf.append([`10${i % 997}`, 'group', `${i % 21}`, `Segment é ${i % 21}`, i % 3 ? String(5 * (i % 40)) : 'c', i % 11 ? 5 : 10, i % 3 ? i / 7 : null, i / 9, i % 5 ? 100 + (i % 50) : null, i % 5 ? 80 : null, i % 5 ? 120.5 : null, i % 4 ? 'ns' : null, i % 2 === 0, 'oac21']);
      }
      return buf.drain();
    };
    const tables = [part(0, 5000), part(5000, 12000), part(12000, 12001)];
    const inThread = tables.map((t) => toParquet(t));
    const threaded = await Promise.all(tables.map(toParquetAsync));
    expect(encodingThread()).toBe(true);
    threaded.forEach((b, i) => expect(Buffer.from(b).equals(Buffer.from(inThread[i]!))).toBe(true));
    // stageArrow writes each part's bytes under its own key, in order.
    const root = mkdtempSync(join(tmpdir(), 'staged-'));
    const lake = new LocalObjectStore(root);
    const keys = await stageArrow(lake, 'run-1', T.headProfile, '2025-26', tables);
    expect(keys.length).toBe(3);
    for (let i = 0; i < 3; i++) expect(Buffer.from(await lake.get(keys[i]!)).equals(Buffer.from(inThread[i]!))).toBe(true);
    rmSync(root, { recursive: true, force: true });
  });

  it('takes a row as values in column order (addValues) to the same Parquet as by name, and refuses a short row or a missing value', async () => {
    const byName = new StagedTable(T.clusterVariation);
    const byValues = new StagedTable(T.clusterVariation);
    const names = byValues.columnNames;
    expect([...names].sort()).toEqual(Object.keys(row(0)).sort());
    for (let i = 0; i < 10; i++) {
      byName.add(row(i));
      const r = row(i) as Record<string, string | number>;
      byValues.addValues(names.map((n) => r[n]!));
    }
    const root = mkdtempSync(join(tmpdir(), 'staged-'));
    const a = new LocalObjectStore(join(root, 'a'));
    const b = new LocalObjectStore(join(root, 'b'));
    const ka = await byName.stage(a, 'run-1', '2025-26');
    const kb = await byValues.stage(b, 'run-1', '2025-26');
    expect(kb).toBe(ka);
    expect(Buffer.from(await b.get(kb!)).equals(Buffer.from(await a.get(ka!)))).toBe(true);
    expect(() => byValues.addValues(names.slice(1))).toThrow(/values for/);
    expect(() => byValues.addValues(names.map((n, i) => (i === 2 ? (undefined as unknown as string) : n)))).toThrow(new RegExp(`no value for column ${names[2]}`));
    rmSync(root, { recursive: true, force: true });
  });
});
