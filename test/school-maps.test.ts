/**
 * The school maps when the engine finds no located exact or terminated pupil: Athena's UNLOAD of an
 * empty result writes no file, so queryLarge gives a table with no columns at all (DuckDB's COPY
 * writes an empty file that keeps them). Every located school still gets its map, all unplaced.
 */
import { Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { MapGrid } from '../functions/maps/grid.ts';
import { schoolMaps } from '../functions/maps/school-map.ts';
import type { SqlEngine } from '../functions/ports/sql-engine.ts';

describe('school maps from an empty result', () => {
  it('gives each located school a map with no squares and its matched pupils unplaced, from a result with no columns', async () => {
    const grid = new MapGrid({ lat0: 51.3, lon0: 0.5 }, [{ cx: 0, cy: 0, n: 4 }]);
    const engine = { queryLarge: async () => new Table() } as unknown as SqlEngine;
    const schools = new Map([
      ['100001', { lat: 51.3, long: 0.5 }],
      ['100002', { lat: null, long: null }],
    ]);
    const maps = await schoolMaps(engine, '2025-26', grid, schools, new Map([['100001', 3], ['100002', 2]]), 'scratch/map-squares');
    expect([...maps.keys()]).toEqual(['100001']);
    const m = maps.get('100001')!;
    expect(m.cells).toEqual([]);
    expect(m.rings.every((n) => n === 0)).toBe(true);
    expect(m.unmapped).toBe(3);
  });
});
