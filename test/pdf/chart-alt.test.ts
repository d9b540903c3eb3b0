/**
 * Every chart's alt text says what the chart draws, no more and no less, and every pupil is in
 * some bar of each distribution chart ("not known" bars included). The checks read the rows each
 * chart was drawn from (FigureBox.chart) and the alt text written beside it, on profiles picked for
 * their awkward corners (hidden counts, pupils without a usable postcode or an IMD decile, the
 * smallest and largest schools) and on the fair-access report.
 */
import { describe, expect, it } from 'vitest';
import { renderFairAccessPdf } from '../../functions/pdf/fair-access-pdf.ts';
import { fixed, pctText } from '../../functions/pdf/format.ts';
import type { FigureBox } from '../../functions/pdf/layout.ts';
import { NOT_CLASSIFIED, renderProfilePdf, type CompRow, type IdxRow, type ImdRow } from '../../functions/pdf/profile-pdf.ts';
import type { Cell, ProfileDocument } from '../../schemas/profile-document.ts';
import { makeFairAccessDocument, makeProfileDocuments, makeSmallCountsFixture } from '../helpers/documents.ts';

const docs = makeProfileDocuments(24, { schoolsPerLa: 24 });
const bySize = [...docs].sort((a, b) => (Number(a.keyFacts.pupils) || 0) - (Number(b.keyFacts.pupils) || 0));

/** A document with pupils missing from both classifications (as in 171 of the sample's 580 schools). */
function withMissing(d: ProfileDocument): ProfileDocument {
  const m = structuredClone(d);
  m.keyFacts.unclassified = 15;
  m.keyFacts.pupils = (m.keyFacts.pupils as number) + 15;
  m.imdUnknown = { n: 20, pct: (100 * 20) / (m.keyFacts.pupils as number), basePct: 1.2 };
  return m;
}
const picks: ProfileDocument[] = [bySize[0]!, bySize[bySize.length - 1]!, withMissing(bySize[12]!), makeSmallCountsFixture().doc];

/** The alt text's entries, one per category drawn: the text after the first category name, split at "; ". */
function entries(alt: string, firstName: string): string[] {
  const at = alt.indexOf(`${firstName}: `);
  expect(at, `alt text names ${firstName}`).toBeGreaterThan(0);
  return alt.slice(at).replace(/\.$/, '').split('; ');
}

/** The range of exact counts a shown count stands for (docs/disclosure.md, generously: 1 to 4 may be 0 to 4; rounded to 10 is ±5). */
function range(c: Cell | string | null): [number, number] {
  if (c === null || c === undefined) return [0, 0];
  if (c === 'c') return [0, 4];
  const n = Number(String(c).replace(/,/g, ''));
  return n === 0 ? [0, 0] : n === 5 ? [5, 7] : [n - 5, n + 5];
}

/** Every pupil is in some bar: the bars' counts can add up to the school's pupils. */
function coversPupils(bars: { n: string | null }[], pupils: Cell): boolean {
  const lo = bars.reduce((s, b) => s + range(b.n)[0], 0);
  const hi = bars.reduce((s, b) => s + range(b.n)[1], 0);
  const [plo, phi] = range(pupils);
  return lo <= phi && hi >= plo;
}

function checkSupergroups(d: ProfileDocument, f: FigureBox): void {
  const comp = f.chart.data.comp as CompRow[];
  const idx = f.chart.data.idx as IdxRow[];
  const school = comp.filter((r) => r.seriesOrder === 0);
  // One alt entry per row drawn, in order, with the school's share, the base's and the index drawn.
  const parts = entries(f.alt, idx[0]!.fullName);
  expect(parts.map((p) => p.slice(0, p.indexOf(': ')))).toEqual(idx.map((r) => r.fullName));
  idx.forEach((r, i) => {
    const s = school.find((c) => c.fullName === r.fullName)!;
    const p = parts[i]!;
    expect(p).toContain(s.hidden ? `fewer than ${d.threshold} pupils` : `school ${pctText(s.pct)}%`);
    if (!s.notKnown) {
      const base = comp.find((c) => c.fullName === r.fullName && c.seriesOrder === 1)!;
      expect(p).toContain(`base ${pctText(base.pct)}%`);
      if (!r.hidden) expect(p).toContain(`index ${r.label.replace(/ [\u2190\u2192]$/, '')}`);
      else expect(p).not.toContain('index');
    }
  });
  // Every pupil is in some bar: each supergroup with pupils, and those with no usable postcode.
  for (const r of d.segments.supergroup) if (r.n !== 0) expect(school.map((c) => c.fullName), r.name).toContain(r.name);
  if (d.keyFacts.unclassified !== 0) expect(school.find((c) => c.notKnown)?.n).toBe(typeof d.keyFacts.unclassified === 'number' ? String(d.keyFacts.unclassified) : 'c');
  expect(coversPupils(school, d.keyFacts.pupils), d.school.name).toBe(true);
}

function checkImd(d: ProfileDocument, f: FigureBox): void {
  const rows = f.chart.data.imd as ImdRow[];
  const school = rows.filter((r) => r.seriesOrder === 0);
  const parts = entries(f.alt, 'decile 1');
  expect(parts).toHaveLength(school.length);
  school.forEach((r, i) => {
    const base = rows.find((b) => b.decile === r.decile && b.seriesOrder === 1)!;
    expect(parts[i]!.startsWith(r.decile <= 10 ? `decile ${r.decile}: ` : 'not known: ')).toBe(true);
    expect(parts[i]).toContain(r.hidden ? `fewer than ${d.threshold} pupils` : `school ${pctText(r.pct)}%`);
    expect(parts[i]).toContain(`base ${pctText(base.pct)}%`);
  });
  if (d.imdUnknown.n !== 0) expect(school.map((r) => r.decileLabel)).toContain('Not known');
  expect(coversPupils(school, d.keyFacts.pupils), d.school.name).toBe(true);
}

function checkCluster(f: FigureBox): void {
  const rows = f.chart.data.cl as { fullName: string; school: number | null; min: number; median: number; max: number }[];
  const parts = entries(f.alt, rows[0]!.fullName);
  expect(parts.map((p) => p.slice(0, p.indexOf(': ')))).toEqual(rows.map((r) => r.fullName));
  rows.forEach((r, i) => {
    expect(parts[i]).toContain(`cluster range ${fixed(r.min, 1)}% to ${fixed(r.max, 1)}%, median ${fixed(r.median, 1)}%`);
    expect(parts[i]).toContain(r.school === null ? 'school hidden' : `school ${fixed(r.school, 1)}%`);
  });
}

describe('chart alt text and the data drawn', () => {
  it('every profile chart: the alt text names exactly the rows drawn, with their values, and every pupil is in some bar', async () => {
    for (const d of picks) {
      const r = await renderProfilePdf(d);
      expect(r.figures.map((f) => f.chart.kind)).toEqual(['profileSupergroups', 'imd', 'clusterRange']);
      for (const f of r.figures) {
        if (f.chart.kind === 'profileSupergroups') checkSupergroups(d, f);
        else if (f.chart.kind === 'imd') checkImd(d, f);
        else checkCluster(f);
      }
    }
  });

  it('draws "not known" bars for pupils without a usable postcode or an IMD decile', async () => {
    const d = picks[2]!;
    const r = await renderProfilePdf(d);
    const comp = r.figures[0]!.chart.data.comp as CompRow[];
    expect(comp.filter((c) => c.notKnown).map((c) => [c.fullName, c.n])).toEqual([[NOT_CLASSIFIED, '15']]);
    const imd = r.figures[1]!.chart.data.imd as ImdRow[];
    expect(imd.filter((x) => x.decileLabel === 'Not known' && x.seriesOrder === 0).map((x) => x.n)).toEqual(['20']);
  });

  it('the pupils-in-some-bar check fails when a bar is left out', async () => {
    const d = picks[2]!;
    const r = await renderProfilePdf(d);
    const school = (r.figures[0]!.chart.data.comp as CompRow[]).filter((c) => c.seriesOrder === 0);
    expect(coversPupils(school, d.keyFacts.pupils)).toBe(true);
    const biggest = [...school].sort((a, b) => range(b.n)[0] - range(a.n)[0])[0]!;
    expect(coversPupils(school.filter((c) => c !== biggest), d.keyFacts.pupils)).toBe(false);
    const imd = (r.figures[1]!.chart.data.imd as ImdRow[]).filter((x) => x.seriesOrder === 0);
    const top = [...imd].sort((a, b) => range(b.n)[0] - range(a.n)[0])[0]!;
    expect(coversPupils(imd.filter((x) => x !== top), d.keyFacts.pupils)).toBe(false);
  });

  it('every fair-access chart: the alt text names the rows and the labelled places drawn', async () => {
    const d = makeFairAccessDocument();
    d.wards[3]!.flag = 'below';
    d.schools[5]!.flag = 'below';
    const r = await renderFairAccessPdf(d);
    expect(r.figures.map((f) => f.chart.kind)).toEqual(['faIndex', 'funnel', 'funnel', 'trend']);
    const idx = r.figures[0]!.chart.data.idx as { name: string; label: string; status: string; hidden: boolean }[];
    const parts = entries(r.figures[0]!.alt, idx[0]!.name);
    expect(parts.map((p) => p.slice(0, p.indexOf(': ')))).toEqual(idx.map((x) => x.name));
    idx.forEach((x, i) => expect(parts[i]).toContain(`${x.label} (`));
    for (const [i, places] of [[1, d.wards], [2, d.schools]] as const) {
      const f = r.figures[i]!;
      const pts = f.chart.data.pts as { status: string; label: string | null; code: string }[];
      const counts = new Map<string, number>();
      for (const p of pts) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
      for (const [status, n] of counts) expect(f.alt).toMatch(new RegExp(`${status}: ${n} (ward|school)s?`));
      const labelled = pts.filter((p) => p.label !== null);
      expect(labelled.length).toBeGreaterThan(0);
      for (const p of labelled) expect(f.alt).toContain(`${p.label} ${places.find((x) => x.code === p.code)!.name}:`);
      expect(pts.length).toBe(places.filter((p) => p.expected > 0).length);
    }
    const tr = r.figures[3]!.chart.data.tr as { name: string; period: string }[];
    for (const name of new Set(tr.map((t) => t.name))) expect(r.figures[3]!.alt).toContain(`${name}: `);
  });
});
