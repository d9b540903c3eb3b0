/**
 * Two pieces of work run side by side (a period's profiles and its fair access; a run's profile
 * PDFs and its report): both settle before anything is thrown, so nothing of either is left running
 * when the caller moves on or cleans up, and no failure is lost.
 */

/** A failure's first line (an engine's message can run over several; the whole errors stay in `errors`). */
const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/**
 * Both values once both are fulfilled. One failure is thrown as it is; two are thrown together as an
 * AggregateError whose one-line message names each (`names` say which is which, each failure's
 * first line), with both whole in `errors`.
 */
export async function bothSettled<A, B>(a: Promise<A>, b: Promise<B>, names: readonly [string, string] = ['first', 'second']): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected' && y.status === 'rejected') {
    throw new AggregateError([x.reason, y.reason], `${names[0]} failed: ${firstLine(x.reason)}; ${names[1]} failed too: ${firstLine(y.reason)}`);
  }
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/** Why work was stopped: the other side's failure (its `cause`). */
export class StoppedError extends Error {
  constructor(other: string, failure: unknown) {
    super(`stopped: ${other} failed (${firstLine(failure)})`, { cause: failure });
    this.name = 'StoppedError';
  }
}

/** Whether `e` is, or was caused by, the stop `reason` (work may wrap what it throws, or throw each half's together). */
function stoppedBy(e: unknown, reason: unknown, depth = 0): boolean {
  if (e === reason) return true;
  if (depth >= 8 || e === null || typeof e !== 'object') return false;
  if (e instanceof AggregateError && e.errors.length > 0 && e.errors.every((x) => stoppedBy(x, reason, depth + 1))) return true;
  return stoppedBy((e as { cause?: unknown }).cause, reason, depth + 1);
}

/**
 * `bothSettled` for work that can be stopped: each side is given a signal, aborted (with a
 * StoppedError naming the failure) as soon as the other side fails, so it stops at its next
 * statement instead of running to its end. A side that ends because it was stopped is not a
 * second failure: the first is thrown alone. Two failures of their own are thrown together.
 */
export async function sideBySide<A, B>(names: readonly [string, string], a: (signal: AbortSignal) => Promise<A>, b: (signal: AbortSignal) => Promise<B>): Promise<[A, B]> {
  const stopA = new AbortController();
  const stopB = new AbortController();
  const onFailure = (name: string, other: AbortController) => (e: unknown): never => {
    if (!stopA.signal.aborted && !stopB.signal.aborted) other.abort(new StoppedError(name, e));
    throw e;
  };
  const pa = Promise.resolve().then(() => a(stopA.signal)).catch(onFailure(names[0], stopB));
  const pb = Promise.resolve().then(() => b(stopB.signal)).catch(onFailure(names[1], stopA));
  const [x, y] = await Promise.allSettled([pa, pb]);
  if (x.status === 'rejected' && stopA.signal.aborted && stoppedBy(x.reason, stopA.signal.reason)) throw (y as PromiseRejectedResult).reason;
  if (y.status === 'rejected' && stopB.signal.aborted && stoppedBy(y.reason, stopB.signal.reason)) throw (x as PromiseRejectedResult).reason;
  return bothSettled(pa, pb, names);
}
