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

  it('lists every ward and school below a limit, first, with the families not reached and the interval', async () => {
    // Flags spread down the ranking, beyond the first 20 rows (where the report used to stop).
    const many = makeFairAccessDocument({ wards: 41, schools: 80 });
    const flagged = { wards: [1, 5, 23, 36], schools: [0, 4, 19, 23, 31, 40, 55] };
    for (const which of ['wards', 'schools'] as const) {
      many[which].forEach((p, i) => (p.flag = flagged[which].includes(i) ? 'below' : p.flag === 'below' ? 'within' : p.flag));
      many[which][2]!.flag = 'above';
    }
    const t = pdfText((await renderFairAccessPdf(many)).pdf);
    const flat = t.replace(/\s+/g, ' ');
    for (const which of ['wards', 'schools'] as const) {
      const below = many[which].filter((p) => p.flag === 'below');
      expect(below.length).toBe(flagged[which].length);
      const prefix = which === 'wards' ? 'W' : 'S';
      for (const p of many[which].filter((x) => x.flag !== 'within')) {
        // In the table by name and code (a long name may wrap in its cell), and each place below
        // the limit in the to-do list too.
        expect(flat, p.code).toContain(p.name!);
        const hits = flat.split(`(${p.code})`).length - 1;
        expect(hits, p.code).toBeGreaterThanOrEqual(p.flag === 'below' ? 2 : 1);
      }
      below.forEach((p, i) => expect(flat).toContain(`${prefix}${i + 1} ${p.name} (${p.code}):`));
      // Below the limit first in the table: the first rows are the flagged places, in order.
      below.forEach((p, i) => {
        const row = t.split('\n').find((l) => l.trim().startsWith(`${prefix}${i + 1} `) && l.includes(p.name!.split(' ')[0]!) && l.includes('Below the limit'));
        expect(row, `${prefix}${i + 1} ${p.code}`).toBeDefined();
      });
      for (const p of below) {
        const short = Math.round(p.expected - p.actual);
        if (short > 0) expect(flat).toContain(`${p.code}): about ${short} more ${short === 1 ? 'family' : 'families'} than reached (`);
      }
    }
  });

  it('keeps the statistical tests in an appendix and plain words in the body', async () => {
    const body = text.slice(0, text.indexOf('Appendix A')).replace(/\s+/g, ' ');
    expect(text.indexOf('Appendix A')).toBeGreaterThan(0);
    for (const jargon of ['chi-square', 'Bonferroni', 'Clopper-Pearson', 'Adj. p', 'Holm', 'Byar', ' df']) expect(body, jargon).not.toContain(jargon);
    expect(body).toContain('The method in plain words');
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
