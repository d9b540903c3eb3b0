/**
 * Work directories on the machine's own disk, one per user, never shared: an ingest's (the sources
 * it downloads or re-encodes, a copy of the census extract at England scale, most of a gigabyte,
 * and the spill of its DuckDB) and an engine's (DuckDB's spill: two DuckDB instances spilling to one
 * directory overwrite each other's files, duckdb/duckdb#15173). Each is removed when its user ends;
 * a process killed mid-run (out of memory, a Lambda timed out: its /tmp stays with the next
 * invocation) cannot remove it, so each new one first removes those of processes that are gone.
 * A directory is named for the process and thread that made it; a thread knows the ones it made,
 * so one left by an earlier process with the same id (a restarted Lambda runtime) is removed too,
 * and one of another thread of this process is left to it.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** What a work directory is for: part of its name. */
export type WorkDirKind = 'ingest' | 'duckdb';
const NAME = /^catchment-(?:ingest|duckdb)-(\d+)-t(\d+)-[A-Za-z0-9]+$/;

/** The work directories this thread has made (and not yet removed). */
const mine = new Set<string>();

/** Whether process `pid` is running (a process of another user counts as running). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The work directories under `parent` left by processes that are gone; returns how many were removed. */
export async function removeStaleWorkDirs(parent: string): Promise<number> {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const dir = join(parent, name);
    const pid = Number(m[1]);
    const ours = pid === process.pid;
    if (mine.has(dir) || (ours && Number(m[2]) !== threadId) || (!ours && running(pid))) continue;
    // Best effort, and only this user's: another user's (a shared /tmp) is theirs to remove.
    try {
      if (lstatSync(dir).uid !== process.getuid?.()) continue;
      await rm(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // gone meanwhile, or not ours to remove: left
    }
  }
  return removed;
}

/** A new work directory under `parent`, after removing those killed processes left there. */
export async function makeWorkDir(parent: string, kind: WorkDirKind = 'ingest'): Promise<string> {
  await removeStaleWorkDirs(parent);
  // Known as this thread's before it exists, so a sweep of this thread never takes it for stale.
  const dir = join(parent, `catchment-${kind}-${process.pid}-t${threadId}-${randomBytes(6).toString('hex')}`);
  mine.add(dir);
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (e) {
    mine.delete(dir);
    throw e;
  }
  return dir;
}

/** Remove a work directory this process made. */
export async function removeWorkDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  mine.delete(dir);
}
