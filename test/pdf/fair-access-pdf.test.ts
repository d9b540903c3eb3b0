import { beforeAll, describe, expect, it } from 'vitest';
import { renderFairAccessPdf } from '../../functions/pdf/fair-access-pdf.ts';
import type { RenderedPdf } from '../../functions/pdf/profile-pdf.ts';
import { makeFairAccessDocument } from '../helpers/documents.ts';
import { cellsAfter, inkShare, linesStartingWith, pageImages, pdfInfo, pdfText, qpdfCheck } from './poppler.ts';

const DPI = 50;
const doc = makeFairAccessDocument();

describe('fair-access report PDF', () => {
  let r: RenderedPdf;
  let text: string;
  beforeAll(async () => {
    r = await renderFairAccessPdf(doc);
    text = pdfText(r.pdf);
  });

  it('names the LA, the under-represented segments, the method and the key totals', () => {
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Who uses the Choice Advisers service?');
    expect(flat).toContain(doc.laName);
    expect(doc.underRepresented.segments.length).toBeGreaterThan(0);
    for (const s of doc.underRepresented.segments) expect(flat).toContain(s.name);
    for (const phrase of ['Bonferroni', 'Clopper-Pearson', 'chi-square', 'funnel', 'The method in plain words', 'Trend across years']) expect(flat).toContain(phrase);
    expect(flat).toContain(doc.clientRule.slice(0, 50));
    expect(flat).toContain(doc.totals.clients.toLocaleString('en-GB'));
  });

  it('is marked OFFICIAL-SENSITIVE on every page and prints exact counts (internal management information, no cosmetic suppression)', () => {
    const pages = text.split('\f').filter((p) => p.trim());
    expect(pages.length).toBe(r.pages);
    for (const p of pages) expect(p).toContain('OFFICIAL-SENSITIVE');
    expect(text.replace(/\s+/g, ' ')).toContain('do not publish or pass this report on');
    // Places ranked by the evidence of a shortfall, with their exact counts.
    const ward = doc.wards[0]!;
    const rows = linesStartingWith(text, '1 ').filter((l) => l.includes(`(${ward.code})`));
    expect(rows).toHaveLength(1);
    const cells = cellsAfter(rows[0]!, `(${ward.code})`);
    expect(cells.slice(0, 3)).toEqual([String(ward.baseN), ward.expected.toFixed(1), String(ward.actual)]);
    for (const p of doc.wards.slice(0, 20)) {
      const line = text.split('\n').find((l) => l.includes(`(${p.code})`) && /\d+\.\d/.test(l));
      if (line) expect(cellsAfter(line, `(${p.code})`)[2], p.code).toBe(String(p.actual));
    }
  });

  it('is tagged with a title, and every chart has ink and alt text', () => {
    expect(qpdfCheck(r.pdf)).toMatch(/No syntax or stream encoding errors found/);
    const info = pdfInfo(r.pdf);
    expect(info.Tagged).toBe('yes');
    expect(info.Title).toBe(`Fair access report ${doc.period}: Choice Advisers service, ${doc.laName}`);
    expect(r.figures).toHaveLength(4); // index, two funnel plots, trend
    const raw = Buffer.from(r.pdf).toString('latin1');
    expect(raw.match(/\/S \/Figure/g)?.length).toBe(4);
    const pages = pageImages(r.pdf, DPI);
    expect(pages.length).toBe(r.pages);
    for (const p of pages) expect(inkShare(p, DPI)).toBeGreaterThan(0.004);
    for (const f of r.figures) expect(inkShare(pages[f.page]!, DPI, f), f.alt.slice(0, 50)).toBeGreaterThan(0.02);
  });

  it('says so when there is only one year for the trend', async () => {
    const one = structuredClone(doc);
    for (const t of one.trend) t.byYear = t.byYear.slice(-1);
    const flat = pdfText((await renderFairAccessPdf(one)).pdf, false).replace(/\s+/g, ' ');
    expect(flat).toContain('Only one year of data is available');
  });

  it('prints small segment client counts as they are (the report is internal)', async () => {
    const small = structuredClone(doc);
    const row = small.segments.supergroup[1]!;
    row.clients = 3;
    const t = pdfText((await renderFairAccessPdf(small)).pdf);
    const line = linesStartingWith(t, row.name).find((l) => /\d+\.\d/.test(l))!;
    expect(line).toBeDefined();
    expect(cellsAfter(line, row.name)[0]).toBe('3');
  });
});
