/**
 * A document's segment rows are profileRow's results for the shown counts, also when they come
 * from the per-base memo (documents.ts): schools with the same shown (count, classified) in a
 * segment share a row,
 * and a base whose counts change is never answered from the old counts. Rows met again are the
 * same frozen objects (what keeps 1.7 million rows from being built at England scale).
 */
import { describe, expect, it } from 'vitest';
import { profileRow } from '../functions/domain/stats/index-measures.ts';
import { numeric, type Shown } from '../functions/domain/stats/disclosure.ts';
import { profileDocumentFor } from '../functions/profiles/documents.ts';
import { familySize, sum, type Counts } from '../functions/profiles/compare.ts';
import { LEVEL_ORDER, type Level } from '../functions/profiles/dictionary.ts';
import { segmentKey, type ShownView } from '../functions/profiles/shown-counts.ts';
import { OAC_DICTIONARY, rng } from './helpers/documents.ts';

const dict = OAC_DICTIONARY;

/** A school's shown view: classified n and a shown count per segment (everything else 0). */
function view(n: Shown, segments: Record<Level, Map<string, Shown>>): ShownView {
  const values = new Map<string, Shown>([['classified', n], ['pupils', n], ['matched', n]]);
  for (const level of LEVEL_ORDER) for (const [code, v] of segments[level]) values.set(segmentKey(level, code), v);
  const shown = (k: string): Shown => values.get(k) ?? 0;
  const segmentShown = (level: Level) => dict.codes[level].map((c) => shown(segmentKey(level, c)));
  return { shown, segmentShown, value: (k) => numeric(shown(k)), base: () => 5, pub: { coarsened: [], opened: [] }, map: null };
}

function documentOf(shown: ShownView, base: Record<Level, Counts>) {
  return profileDocumentFor({
    period: '2025-26',
    laName: 'Test LA',
    classification: { name: 'OAC', vintage: 'v', edition: 'oac11', imd: null },
    rule: { threshold: 5, base: 5 },
    school: { urn: '100001', name: 'A school', phase: 'Primary', cluster: null, lat: null, long: null },
    base: { kind: 'la', label: 'all pupils in Test LA' },
    shown,
    baseCounts: base,
    baseImd: new Array<number>(11).fill(0),
    similar: [],
    clusterSchools: 0,
    variation: [],
    dict,
  });
}

/** What each segment row must hold: profileRow of its shown count against the base, directly. */
function expectRows(doc: ReturnType<typeof documentOf>, n: Shown, segments: Record<Level, Map<string, Shown>>, base: Record<Level, Counts>): void {
  for (const level of LEVEL_ORDER) {
    const codes = dict.codes[level];
    const N = sum(base[level]);
    const m = familySize(base[level], codes);
    doc.segments[level].forEach((row, i) => {
      const code = codes[i]!;
      const v = segments[level].get(code) ?? 0;
      const B = base[level].get(code) ?? 0;
      expect([row.code, row.name, row.parent, row.description, row.n]).toEqual([code, dict.name(level, code), level === 'supergroup' ? null : dict.parent(level, code), level === 'subgroup' ? dict.description(code) : null, v]);
      expect(row.basePct).toBe(N > 0 ? (100 * B) / N : 0);
      if (n === 'c' || N === 0) {
        // No classified count to compare with, or nothing in the base: no figures.
        expect([row.pct, row.index, row.ciLow, row.ciHigh, row.flag, row.reliable]).toEqual([null, null, null, null, null, false]);
        return;
      }
      const r = profileRow({ O: v === 'c' ? 0 : Math.min(v, n), n, B, N, family: m });
      expect(row.reliable).toBe(r.reliable);
      if (v === 'c') {
        expect([row.pct, row.index, row.ciLow, row.ciHigh, row.flag]).toEqual([null, null, null, null, null]);
      } else {
        expect([row.pct, row.index, row.ciLow, row.ciHigh, row.flag]).toEqual([r.pct, r.index, r.ciLow, r.ciHigh, r.flag]);
      }
    });
  }
}

describe('segment rows through the memo', () => {
  const random = rng(20251130);
  const baseOf = (scale: number): Record<Level, Counts> => {
    const out = { supergroup: new Map(), group: new Map(), subgroup: new Map() } as Record<Level, Counts>;
    for (const level of LEVEL_ORDER) dict.codes[level].forEach((c, i) => out[level].set(c, i % 7 === 3 ? 0 : Math.round(scale * (1 + random() * 50))));
    return out;
  };
  const schoolOf = (n: number): Record<Level, Map<string, Shown>> => {
    const out = { supergroup: new Map(), group: new Map(), subgroup: new Map() } as Record<Level, Map<string, Shown>>;
    for (const level of LEVEL_ORDER) for (const c of dict.codes[level]) {
      const u = random();
      out[level].set(c, u < 0.3 ? 0 : u < 0.45 ? 'c' : Math.min(n, 5 * Math.round((u * n) / 25)));
    }
    return out;
  };

  it('gives every row profileRow’s own figures, for schools repeating the same (O, n) many times', () => {
    const base = baseOf(100);
    // 60 schools of four sizes: most rows of the later schools are repeats of earlier ones.
    for (let s = 0; s < 60; s++) {
      const n = [30, 55, 120, 400][s % 4]!;
      const segments = schoolOf(n);
      expectRows(documentOf(view(n, segments), base), n, segments, base);
    }
  });

  it('is never answered from a base’s old counts once they change', () => {
    const base = baseOf(100);
    const segments = schoolOf(120);
    const before = documentOf(view(120, segments), base);
    expectRows(before, 120, segments, base);
    // The same base object, every count changed: the rows follow the new counts.
    for (const level of LEVEL_ORDER) for (const [c, b] of base[level]) base[level].set(c, b * 3 + 1);
    const after = documentOf(view(120, segments), base);
    expectRows(after, 120, segments, base);
    expect(after.segments.subgroup.map((r) => r.ciHigh)).not.toEqual(before.segments.subgroup.map((r) => r.ciHigh));
  });

  it('keeps apart what a row shows: a count above classified, classified as c, an empty base', () => {
    const base = baseOf(100);
    // One segment shown as 50 in a school and as 45 in another, both of 45 classified: the same
    // figures once clamped, but rows that show different counts.
    const code = dict.codes.supergroup[0]!;
    const segments = schoolOf(45);
    const other = schoolOf(45);
    segments.supergroup.set(code, 50);
    other.supergroup.set(code, 45);
    const a = documentOf(view(45, segments), base);
    const b = documentOf(view(45, other), base);
    expectRows(a, 45, segments, base);
    expectRows(b, 45, other, base);
    expect([a.segments.supergroup[0]!.n, b.segments.supergroup[0]!.n]).toEqual([50, 45]);
    expect(a.segments.supergroup[0]!.pct).toBe(b.segments.supergroup[0]!.pct);
    // Classified shown as c, after documents with numbers: no row of theirs is reused.
    expectRows(documentOf(view('c', segments), base), 'c', segments, base);
    // A base with nothing at a level.
    const empty = baseOf(100);
    for (const c of dict.codes.group) empty.group.set(c, 0);
    expectRows(documentOf(view(45, segments), empty), 45, segments, empty);
  });

  it('hands a row met again to the next document as the same frozen object', () => {
    const base = baseOf(100);
    const segments = schoolOf(120);
    const a = documentOf(view(120, segments), base);
    const b = documentOf(view(120, segments), base);
    for (const level of LEVEL_ORDER) {
      a.segments[level].forEach((row, i) => {
        expect(b.segments[level][i]).toBe(row);
        expect(Object.isFrozen(row)).toBe(true);
      });
    }
    // A document's reader cannot change another's row through a shared one.
    expect(() => {
      (a.segments.supergroup[0] as { n: unknown }).n = 999;
    }).toThrow(TypeError);
  });
});
