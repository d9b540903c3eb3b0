import { describe, expect, it } from 'vitest';
import { ColumnBuffer } from '../functions/lake/column-buffer.ts';
import type { ColumnDef } from '../schemas/columns.ts';

describe('column buffer', () => {
  it('packs ASCII and non-ASCII strings, nulls and numbers into Arrow columns unchanged', () => {
    const cols = [
      { name: 's', type: 'string' },
      { name: 'n', type: 'int' },
      { name: 'b', type: 'boolean' },
    ] as unknown as ColumnDef[];
    const buf = new ColumnBuffer(cols);
    const strings = ['KT1 1AA', '', 'St Thérèse’s', 'ab\u{1F600}cd', null, 'x'.repeat(5000), 'Ärger', 'plain ascii again'];
    strings.forEach((s, i) => buf.append([s, i, i % 2 === 0]));
    const t = buf.drain();
    expect(t.numRows).toBe(strings.length);
    expect(t.getChild('s')!.toArray()).toEqual(strings);
    expect([...t.getChild('n')!.toArray()]).toEqual(strings.map((_, i) => i));
    expect(t.getChild('b')!.get(2)).toBe(true);
    expect(buf.rows).toBe(0);
  });
});
