/**
 * An ingest killed mid-run cannot remove its work directory (downloaded and re-encoded sources,
 * DuckDB's spill: gigabytes at England scale, and a timed-out Lambda's /tmp stays for the next
 * invocation). The next ingest removes those of processes that are gone, and one left by an earlier
 * process with this process's id, and leaves those of live processes and of this process's other
 * threads alone (functions/ports/work-dir.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../functions/ingest/ingest-stage.ts';
import { makeWorkDir, removeStaleWorkDirs, removeWorkDir } from '../functions/ports/work-dir.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { GENERIC_CLASSIFICATION, SCHOOLS, removeDir, tempDir, upn, writeFiles } from './helpers/fixtures.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** The id of a process that has ended. */
function goneProcess(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** A work directory as thread `tid` of process `pid` leaves it when killed: a source copy and a spill. */
function leftBy(parent: string, pid: number, tag: string, tid = 0): string {
  const dir = join(parent, `catchment-ingest-${pid}-t${tid}-${tag}`);
  mkdirSync(join(dir, 'duckdb', 'spill'), { recursive: true });
  writeFileSync(join(dir, 'pupils.utf8.csv'), 'upn,urn\n');
  writeFileSync(join(dir, 'duckdb', 'spill', 'duckdb_temp_block-1.block'), Buffer.alloc(1024));
  return dir;
}

describe("an ingest's work directory", () => {
  it('is removed by the next ingest when its process was killed, and only then', async () => {
    const parent = tempDir();
    const input = tempDir();
    const out = tempDir();
    dirs.push(parent, input, out);
    const gone = leftBy(parent, goneProcess(), 'AbC123');
    const reused = leftBy(parent, process.pid, 'ZyX987'); // a restarted runtime with the same process id
    const live = leftBy(parent, process.ppid, 'Live01');
    const sibling = leftBy(parent, process.pid, 'Sib001', threadId + 1); // another thread of this process
    const unrelated = join(parent, 'catchment-ingest-notes');
    mkdirSync(unrelated);
    writeFiles(input, {
      ...GENERIC_CLASSIFICATION,
      'schools/schools.csv': SCHOOLS,
      'pupils/pupils_2025-26.csv': `upn,urn,postcode,ncyear,fsm\n${upn(21)},100001,KT1 1AA,5,N\n`,
    });
    const reports = await ingest({ raw: new LocalObjectStore(input), lake: new LocalObjectStore(out), runId: 'work-dir-test', period: '2025-26', pseudonymKey: Buffer.alloc(32, 7), workDir: parent });
    expect(reports.pupils!.accepted).toBe(1);
    expect(existsSync(gone)).toBe(false);
    expect(existsSync(reused)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(sibling)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
    // Its own is gone when it ends.
    expect(readdirSync(parent).sort()).toEqual(['catchment-ingest-notes', `catchment-ingest-${process.ppid}-t0-Live01`, `catchment-ingest-${process.pid}-t${threadId + 1}-Sib001`].sort());
  });

  it('is never removed from under the process that made it', async () => {
    const parent = tempDir();
    dirs.push(parent);
    const a = await makeWorkDir(parent);
    const b = await makeWorkDir(parent);
    expect(await removeStaleWorkDirs(parent)).toBe(0);
    expect([existsSync(a), existsSync(b)]).toEqual([true, true]);
    await removeWorkDir(a);
    await removeWorkDir(b);
    expect(readdirSync(parent)).toEqual([]);
  });
});
