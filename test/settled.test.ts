/** bothSettled: side-by-side work settles before a failure is thrown, and two failures are both reported. */
import { describe, expect, it } from 'vitest';
import { bothSettled } from '../functions/commons/settled.ts';

const later = <T>(ms: number, f: () => T) => new Promise<T>((resolve, reject) => setTimeout(() => { try { resolve(f()); } catch (e) { reject(e); } }, ms));

describe('bothSettled', () => {
  it('gives both values', async () => {
    await expect(bothSettled(later(5, () => 1), Promise.resolve('b'))).resolves.toEqual([1, 'b']);
  });

  it('throws a single failure as it is, only once the other work has finished', async () => {
    const boom = new RangeError('profiles: no rows');
    let slowDone = false;
    const slow = later(30, () => (slowDone = true));
    const failed = Promise.reject(boom);
    await expect(bothSettled(failed, slow)).rejects.toBe(boom);
    expect(slowDone).toBe(true);
    await expect(bothSettled(Promise.resolve(1), Promise.reject(boom))).rejects.toBe(boom);
  });

  it('reports two failures together, each named, neither dropped', async () => {
    const a = new Error('engine refused the profile rows');
    const b = new Error('contacts table missing');
    const e = await bothSettled(later(10, () => { throw a; }), Promise.reject(b), ['profiles 2025-26', 'fair access 2025-26']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AggregateError);
    expect((e as AggregateError).errors).toEqual([a, b]);
    expect((e as Error).message).toBe('profiles 2025-26 failed: engine refused the profile rows; fair access 2025-26 failed too: contacts table missing');
  });

  it('names each failure by its first line, so a one-line report (the CLI prints one) still shows both', async () => {
    const a = new Error('Binder Error: column "urn" not found\nCandidate bindings: "s.urn"\n\nLINE 1: SELECT urn');
    const b = new Error('contacts table missing');
    const e = (await bothSettled(Promise.reject(a), Promise.reject(b), ['profiles', 'fair access']).catch((x: unknown) => x)) as AggregateError;
    expect(e.message).toBe('profiles failed: Binder Error: column "urn" not found; fair access failed too: contacts table missing');
    expect(e.message).not.toContain('\n');
    expect(e.errors).toEqual([a, b]);
  });
});
