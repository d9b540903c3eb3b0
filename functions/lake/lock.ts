/**
 * The lake lock: one object, `locks/lake.json`, created only if absent (ObjectStore.putIfAbsent).
 * Ingest and the nightly run take it, so an upload cannot change curated/ under a run (the run would
 * join a half-replaced classification or read pupils of two uploads), and two runs cannot
 * interleave. It names its holder and an expiry: a holder killed without releasing it (a SIGKILL, a
 * Step Functions timeout) blocks others only until then, or locally until its process is gone.
 */
import { hostname } from 'node:os';
import { NotFoundError, type ObjectStore } from '../ports/object-store.ts';

export const LOCK_KEY = 'locks/lake.json';

export interface LakeLock {
  owner: string;
  kind: 'run' | 'ingest';
  acquiredAt: string;
  expiresAt: string;
  host: string;
  pid: number;
}

export class LakeBusyError extends Error {
  constructor(
    message: string,
    readonly holder: LakeLock,
  ) {
    super(message);
    this.name = 'LakeBusyError';
  }
}

export interface AcquireOptions {
  /** How long the lock holds without being released. */
  ttlMs: number;
  /** Wait up to this long for another holder to release it (default 0: fail at once). */
  waitMs?: number;
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

async function read(lake: ObjectStore): Promise<LakeLock | null> {
  try {
    return JSON.parse(Buffer.from(await lake.get(LOCK_KEY)).toString('utf8')) as LakeLock;
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    if (e instanceof SyntaxError) return { owner: '?', kind: 'run', acquiredAt: '', expiresAt: '1970-01-01T00:00:00.000Z', host: '', pid: 0 };
    throw e;
  }
}

/** Whether a holder can no longer be holding it: expired, or a process of this host that is gone. */
function stale(l: LakeLock, now: number): boolean {
  if (Date.parse(l.expiresAt) < now) return true;
  if (l.host === hostname() && l.pid > 0) {
    try {
      process.kill(l.pid, 0);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  return false;
}

/** Take the lock for `owner` (taking it again as the same owner is fine: a retried task). */
export async function acquireLakeLock(lake: ObjectStore, owner: string, kind: LakeLock['kind'], opts: AcquireOptions): Promise<LakeLock> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (opts.waitMs ?? 0);
  for (;;) {
    const t = now();
    const mine: LakeLock = { owner, kind, acquiredAt: new Date(t).toISOString(), expiresAt: new Date(t + opts.ttlMs).toISOString(), host: hostname(), pid: process.pid };
    if (await lake.putIfAbsent(LOCK_KEY, JSON.stringify(mine, null, 1))) return mine;
    const held = await read(lake);
    if (!held) continue; // released in between
    if (held.owner === owner) return held;
    if (stale(held, t)) {
      await lake.deletePrefix(LOCK_KEY);
      continue;
    }
    if (now() >= deadline) {
      throw new LakeBusyError(`the lake is in use by ${held.kind} ${held.owner} (since ${held.acquiredAt}, until ${held.expiresAt} at the latest); try again when it has finished`, held);
    }
    await sleep(Math.min(opts.pollMs ?? 5000, Math.max(1, deadline - now())));
  }
}

/** Release the lock if `owner` holds it (a no-op otherwise: never release someone else's). */
export async function releaseLakeLock(lake: ObjectStore, owner: string): Promise<void> {
  const held = await read(lake);
  if (held?.owner === owner) await lake.deletePrefix(LOCK_KEY);
}
