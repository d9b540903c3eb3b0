import { beforeAll, describe, expect, it } from 'vitest';
import { renderProfilePdf, type RenderedPdf } from '../../functions/pdf/profile-pdf.ts';
import { countText, fixed } from '../../functions/pdf/format.ts';
import { allPortraits } from '../../functions/pdf/pen-portraits.ts';
import type { ProfileDocument } from '../../schemas/profile-document.ts';
import { makeProfileDocuments, makeSmallCountsFixture } from '../helpers/documents.ts';
import { cellsAfter, inkShare, linesStartingWith, pageImages, pdfInfo, pdfText, qpdfCheck } from './poppler.ts';

const DPI = 50;
const docs = makeProfileDocuments(24, { schoolsPerLa: 24 });
// A large school, the smallest school, and one with a long name.
const bySize = [...docs].sort((a, b) => (Number(a.keyFacts.pupils) || 0) - (Number(b.keyFacts.pupils) || 0));
const picks: ProfileDocument[] = [bySize[bySize.length - 1]!, bySize[0]!, [...docs].sort((a, b) => b.school.name.length - a.school.name.length)[0]!];

describe('school profile PDF', () => {
  const out = new Map<string, RenderedPdf>();
  beforeAll(async () => {
    for (const d of picks) out.set(d.school.urn, await renderProfilePdf(d));
  });

  it('prints the school, its URN and its key figures', () => {
    for (const d of picks) {
      const text = pdfText(out.get(d.school.urn)!.pdf, false).replace(/\s+/g, ' ');
      expect(text).toContain(d.school.name);
      expect(text).toContain(`URN ${d.school.urn}`);
      expect(text).toContain(d.school.cluster);
      expect(text).toContain(d.laName);
      expect(text.split(' ')).toContain(countText(d.keyFacts.pupils, d.threshold));
      if (d.keyFacts.fsmPct !== null) expect(text).toContain(`${fixed(d.keyFacts.fsmPct, 1)}%`);
      if (d.keyFacts.matchRatePct !== null) expect(text).toContain(`${fixed(d.keyFacts.matchRatePct, 1)}%`);
      expect(text).toContain('Reading this profile');
      expect(text).toMatch(/housing-association homes can look affluent/);
      for (const s of d.similarSchools) expect(text).toContain(s.urn);
    }
  });

  it('has 2 to 4 A4 pages, is tagged, titled and in British English', () => {
    for (const d of picks) {
      const r = out.get(d.school.urn)!;
      const info = pdfInfo(r.pdf);
      expect(Number(info.Pages)).toBeGreaterThanOrEqual(2);
      expect(Number(info.Pages)).toBeLessThanOrEqual(4);
      expect(Number(info.Pages)).toBe(r.pages);
      expect(info['Page size']).toMatch(/^595\.\d+ x 841\.\d+ pts \(A4\)/);
      expect(info.Tagged).toBe('yes');
      expect(info.Title).toBe(`${d.school.name}: school community profile ${d.period}`);
      expect(info.Author).toBe(d.laName);
      const raw = Buffer.from(r.pdf).toString('latin1');
      expect(raw).toContain('/Lang (en-GB)');
      expect(raw).toContain('/DisplayDocTitle true');
      for (const s of ['/S /Document', '/S /H1', '/S /H2', '/S /P', '/S /Table', '/S /TH', '/S /TD', '/S /L', '/S /LI']) expect(raw).toContain(s);
      // One Figure with alt text per chart.
      expect(raw.match(/\/S \/Figure/g)?.length).toBe(r.figures.length);
      expect(raw.match(/\/Alt [(<]/g)?.length ?? 0).toBeGreaterThanOrEqual(r.figures.length);
      expect(r.figures.length).toBe(3);
      for (const f of r.figures) expect(f.alt.length).toBeGreaterThan(60);
      // Fonts: only the embedded Source Sans 3 subsets, never the built-in AFM fonts.
      expect(raw).not.toMatch(/\/BaseFont \/(Helvetica|Times|Courier)/);
      expect(raw).toMatch(/\/FontName \/[A-Z]{6}\+SourceSans3-Regular/);
    }
  });

  it('is a well-formed PDF: structure, cross-references and every stream check out with qpdf', () => {
    for (const d of picks) expect(qpdfCheck(out.get(d.school.urn)!.pdf)).toMatch(/No syntax or stream encoding errors found/);
  });

  it('every page has ink and every chart area is drawn', () => {
    for (const d of picks) {
      const r = out.get(d.school.urn)!;
      const pages = pageImages(r.pdf, DPI);
      expect(pages.length).toBe(r.pages);
      for (const p of pages) expect(inkShare(p, DPI)).toBeGreaterThan(0.004);
      for (const f of r.figures) {
        const share = inkShare(pages[f.page]!, DPI, f);
        expect(share, `chart "${f.alt.slice(0, 40)}" on page ${f.page + 1}`).toBeGreaterThan(0.03);
      }
    }
  });

  it('explains the rounding in one sentence in "Reading this profile", and prints the counts the document shows', () => {
    for (const d of picks) {
      const flat = pdfText(out.get(d.school.urn)!.pdf, false).replace(/\s+/g, ' ');
      expect(flat).toContain(`Rounded numbers. ${d.disclosure.rule}`);
      expect(d.disclosure.rule.split(/(?<=[.;]) /).filter((x) => x.endsWith('.')).length).toBe(1);
      expect(flat).toContain('numbers rounded to 5, 1 to 4 shown as c');
    }
    // The supergroup table's Pupils column is the document's shown counts.
    const d = picks[0]!;
    const text = pdfText(out.get(d.school.urn)!.pdf);
    for (const r of d.segments.supergroup.filter((x) => typeof x.n === 'number' && x.n > 0)) {
      const line = linesStartingWith(text, r.name).find((l) => /\d+\.\d/.test(l));
      if (!line) continue;
      expect(cellsAfter(line, r.name)[0], r.name).toBe(countText(r.n, d.threshold));
      expect(Number((r.n as number) % 5)).toBe(0);
    }
  });

  it('sets names with letters outside the preloaded glyphs (encoded per document) so they read back', async () => {
    const d = structuredClone(picks[1]!);
    d.school.name = 'Ysgol Gymraeg Pont-y-Pŵl: St Thérèse & Łukasz Ōtake';
    const text = pdfText((await renderProfilePdf(d)).pdf, false).replace(/\s+/g, ' ');
    expect(text).toContain(d.school.name);
  });

  it('renders the same bytes for the same document', async () => {
    const d = picks[0]!;
    const again = await renderProfilePdf(structuredClone(d));
    expect(Buffer.from(again.pdf).equals(Buffer.from(out.get(d.school.urn)!.pdf))).toBe(true);
  });

  it('uses the built-in pen portraits for the supergroups', () => {
    const d = picks[0]!;
    const text = pdfText(out.get(d.school.urn)!.pdf, false).replace(/\s+/g, ' ');
    const portraits = allPortraits();
    expect(portraits).toHaveLength(8);
    expect(portraits.some((p) => text.includes(p.text.slice(0, 60)))).toBe(true);
    for (const p of portraits) expect(p.text).not.toMatch(/\b(poor|deprived people|problem|rough|sink|chav|immigrants?)\b/i);
  });
});

describe('disclosure control in the profile PDF', () => {
  it('prints c, never the small count, for suppressed supergroups', async () => {
    const { doc, rawCounts } = makeSmallCountsFixture();
    const hidden = doc.segments.supergroup.filter((r) => r.n === 'c');
    expect(hidden.map((r) => r.code).sort()).toEqual(['2', '3']);
    const r = await renderProfilePdf(doc);
    const text = pdfText(r.pdf);
    for (const row of hidden) {
      const tableRows = linesStartingWith(text, row.name).filter((l) => l.includes('fewer than'));
      expect(tableRows, row.name).toHaveLength(1);
      const cells = cellsAfter(tableRows[0]!, row.name);
      // Pupils, School %, Base % (shown), the reading in words, Index, interval.
      expect(cells[0]).toBe('c');
      expect(cells[1]).toBe('c');
      expect(cells[2]).toBe(row.basePct.toFixed(1));
      expect(cells.slice(3, -2).join(' ')).toBe(`fewer than ${doc.threshold} pupils`);
      expect(cells.slice(-2)).toEqual(['c', 'c']);
      for (const line of linesStartingWith(text, row.name)) {
        expect(line.trim().split(/\s+/), line).not.toContain(String(rawCounts[row.code]));
      }
    }
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).not.toMatch(/\b[1-4] pupils\b/);
    // Shown counts are printed as they are.
    const shown = doc.segments.supergroup.find((x) => x.code === '6')!;
    expect(cellsAfter(linesStartingWith(text, shown.name).find((l) => /\d+\.\d/.test(l))!, shown.name)[0]).toBe(String(shown.n));
  });

  it('hides a small count even when a document wrongly carries it', async () => {
    const { doc } = makeSmallCountsFixture();
    const bad = structuredClone(doc);
    const row = bad.segments.supergroup.find((r) => r.code === '2')!;
    row.n = 2; // contract breach: should have been "c"
    row.pct = 0.5;
    row.index = 60;
    row.ciLow = 10;
    row.ciHigh = 200;
    const text = pdfText((await renderProfilePdf(bad)).pdf);
    const line = linesStartingWith(text, row.name).find((l) => l.includes('fewer than'))!;
    expect(cellsAfter(line, row.name).slice(0, 2)).toEqual(['c', 'c']);
    expect(text).not.toContain('0.5');
  });
});
