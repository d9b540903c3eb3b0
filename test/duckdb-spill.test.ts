/**
 * Each DuckDB engine spills to a directory of its own, removed when it closes. Two DuckDB instances
 * spilling to one directory write the same file names and read each other's blocks
 * (duckdb/duckdb#15173: "Could not read enough bytes from file .../duckdb_temp_storage_...").
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { removeDir, tempDir } from './helpers/fixtures.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

// A grouping far larger than 64 MB: it spills.
const N = 20_000_000;
const SPILLS = `SELECT count(*) AS groups, sum(c) AS n, sum(k % 997) AS s FROM (SELECT hash(i) % ${N} AS k, count(*) AS c FROM range(${N}) t(i) GROUP BY 1)`;

describe('DuckDB engines side by side', () => {
  it('spill to directories of their own, each removed when its engine closes', async () => {
    const lake = tempDir();
    dirs.push(lake);
    const engines = await Promise.all([0, 1].map(() => DuckDbEngine.create({ lakeRoot: lake, threads: 1, memoryLimit: '64MB' })));
    // Both spill at once, and both get the right answer (sharing a directory, one fails reading its spill).
    const results = await Promise.all(engines.map((e) => e.query(SPILLS)));
    const rows = results.map((t) => JSON.stringify(t.toArray()[0], (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    expect(rows[0]).toBe(rows[1]);
    expect(Number(JSON.parse(rows[0]!).n)).toBe(N);
    const spills = await Promise.all(engines.map(async (e) => String((await e.query(`SELECT current_setting('temp_directory') AS d`)).getChild('d')!.get(0))));
    expect(spills[0]).not.toBe(spills[1]);
    for (const d of spills) expect(existsSync(d)).toBe(true);
    await Promise.all(engines.map((e) => e.close()));
    for (const d of spills) expect(existsSync(d)).toBe(false);
  }, 120_000);

  it('removes a spill directory a killed process left, on the next engine made', async () => {
    const lake = tempDir();
    dirs.push(lake);
    const gone = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const left = join(tmpdir(), `catchment-duckdb-${gone}-t0-Killed1`);
    mkdirSync(left, { recursive: true });
    dirs.push(left);
    const engine = await DuckDbEngine.create({ lakeRoot: lake });
    try {
      expect(existsSync(left)).toBe(false);
    } finally {
      await engine.close();
    }
  });
});
