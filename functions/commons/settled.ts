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
