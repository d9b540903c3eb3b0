import { describe, expect, it, vi } from 'vitest';

const meta = { title: 't', subject: 's', author: 'a', footer: 'f', date: new Date(Date.UTC(2025, 8, 1)) };
const TEXT =
  'Pupils are counted at the school they attend; each home postcode is given the type of its neighbourhood, and the school’s mix of types is set beside the local authority’s, with an index where 100 means the same share.';
const LEAD = 'How to read this:';

type Face = 'regular' | 'semibold' | 'italic';
const WRAPS: [Face, number, number][] = [
  ['regular', 9.5, 480],
  ['regular', 9.5, 150],
  ['regular', 14, 150],
  ['semibold', 9.5, 150],
  ['italic', 9.5, 150],
  ['italic', 9.5, 121],
];
const LEADS: [string, number, number][] = [
  [LEAD, 9.5, 300],
  [LEAD, 9.5, 140],
  [LEAD, 12, 140],
  ['Note:', 9.5, 140],
];

interface Remembering {
  wrap(text: string, width: number, face: Face, size: number): string[];
  splitLead(lead: string, text: string, size: number, width: number): unknown;
}

/** A Writer from freshly loaded modules (its thread-wide caches are empty), with its wrapping methods. */
async function freshWriter(): Promise<Remembering> {
  vi.resetModules();
  const { Writer } = await import('../../functions/pdf/layout.ts');
  return new Writer(meta) as unknown as Remembering;
}

describe('wrapped lines and lead-in splits remembered per thread', () => {
  it('are reused only for the same face, size, width and lead-in', async () => {
    // Each setting wrapped by a writer with nothing remembered...
    const alone: string[][] = [];
    for (const [face, size, width] of WRAPS) alone.push((await freshWriter()).wrap(TEXT, width, face, size));
    const aloneLeads: unknown[] = [];
    for (const [lead, size, width] of LEADS) aloneLeads.push((await freshWriter()).splitLead(lead, TEXT, size, width));
    // ...is what one writer gives wrapping them all in turn, twice (the second time from memory).
    const w = await freshWriter();
    for (let round = 0; round < 2; round++) {
      expect(WRAPS.map(([face, size, width]) => w.wrap(TEXT, width, face, size))).toEqual(alone);
      expect(LEADS.map(([lead, size, width]) => w.splitLead(lead, TEXT, size, width))).toEqual(aloneLeads);
    }
    // Every setting changes the result, so a lookup that ignored one would be caught.
    expect(new Set(alone.map((lines) => lines.join('\n'))).size).toBe(WRAPS.length);
    expect(new Set(aloneLeads.map((split) => JSON.stringify(split))).size).toBe(LEADS.length);
  });
});
