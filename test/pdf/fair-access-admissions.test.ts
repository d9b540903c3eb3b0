/**
 * "Who gets their first choice" in the fair-access report: the section prints the document's
 * numbers, says the nearest-school finding and the contacted comparison in words, and its chart's
 * alt text states the finding. A round built by hand, so each sentence is known in advance.
 */
import { describe, expect, it } from 'vitest';
import type { AdmissionsRound, RateCell } from '../../schemas/admissions-document.ts';
import { fairAccessDocument } from '../../schemas/fair-access-document.ts';
import { renderFairAccessPdf } from '../../functions/pdf/fair-access-pdf.ts';
import { contactedFinding, nearestFinding } from '../../functions/pdf/admissions-pdf.ts';
import { makeFairAccessDocument } from '../helpers/documents.ts';
import { pdfText } from './poppler.ts';

const rate = (x: number, n: number, flag: RateCell['flag']): RateCell => ({ x, n, rate: x / n, ciLow: x / n - 0.03, ciHigh: x / n + 0.03, pAdjusted: flag === 'ns' ? 0.6 : 0.001, flag });
const rates = (first: [number, number, RateCell['flag']], nearest: [number, number, RateCell['flag']]) => ({
  first_preference: rate(...first),
  any_preference: rate(first[1] - 50, first[1], 'ns'),
  no_preference: rate(50, first[1], 'ns'),
  one_preference: rate(Math.round(first[1] / 3), first[1], 'ns'),
  nearest_first: rate(...nearest),
});
const seg = (code: string, name: string, n: number, first: [number, number, RateCell['flag']], nearest: [number, number, RateCell['flag']], km: [number, number]) => ({
  code,
  name,
  applications: n + 20,
  onTime: n,
  meanPreferences: 2.9,
  meanFirstKm: km[0],
  meanNearestKm: km[1],
  rates: rates(first, nearest),
});

const round: AdmissionsRound = {
  phase: 'secondary',
  entryYear: 2026,
  totals: { applications: 3060, onTime: 3000, late: 60, unclassified: 12 },
  la: { applications: 3060, onTime: 3000, meanPreferences: 2.9, meanFirstKm: 2.9, meanNearestKm: 1.9, rates: rates([2550, 3000, null], [1350, 3000, null]) },
  intervalLevel: 1 - 0.05 / 3,
  supergroups: [
    seg('1', 'Rural Residents', 1000, [900, 1000, 'higher'], [400, 1000, 'ns'], [4.2, 2.9]),
    seg('6', 'Suburbanites', 1000, [860, 1000, 'ns'], [420, 1000, 'ns'], [3.4, 2.3]),
    seg('8', 'Hard-Pressed Living', 1000, [732, 1000, 'lower'], [672, 1000, 'higher'], [2.4, 1.9]),
  ],
  groups: [],
  contacted: {
    supergroups: [{ code: '8', name: 'Hard-Pressed Living', contacted: { x: 74, n: 100 }, other: { x: 658, n: 900 }, pAdjusted: 0.9, flag: 'ns' }],
    within: { contacted: { x: 180, n: 220 }, other: { x: 2370, n: 2780 }, expected: 186.4, p: 0.42, flag: 'ns' },
    crude: { contacted: { x: 180, n: 220 }, other: { x: 2370, n: 2780 }, expected: 187.6, p: 0.4, flag: 'ns' },
  },
  trend: [],
  wards: [],
};

describe('who gets their first choice, in the fair-access report', () => {
  it('names the types offered their first preference less often, the nearest-school pattern and the contacted comparison, with the numbers', async () => {
    expect(nearestFinding(round)).toMatch(/Families in ‘Hard-Pressed Living’ \(67% named the nearest school first; 73% were offered their first preference\) named their nearest school first more often/);
    expect(nearestFinding(round)).toMatch(/2\.4 km against 1\.9 km to the nearest in ‘Hard-Pressed Living’/);
    expect(contactedFinding(round)).toMatch(/82% \(180 of 220\) of cases, other families in 85% \(2,370 of 2,780\)/);
    expect(contactedFinding(round)).toMatch(/there is no clear difference/);
    expect(contactedFinding({ ...round, contacted: null })).toMatch(/No application matched a family who contacted/);

    const d = fairAccessDocument.parse({ ...makeFairAccessDocument(), admissions: { classification: 'OAC 2021', rounds: [round] } });
    const out = await renderFairAccessPdf(d);
    const text = pdfText(out.pdf, false).replace(/\s+/g, ' ');
    expect(text).toContain('Who gets their first choice');
    expect(text).toContain('Secondary places for September 2026');
    // Plain words in the body, the tests in Appendix A (as for the rest of the report).
    const appendix = text.indexOf('Appendix A');
    expect(appendix).toBeGreaterThan(text.indexOf('Who gets their first choice'));
    for (const jargon of ['chi-square', 'Bonferroni', 'Clopper-Pearson', 'Clopper\u2013Pearson', 'Adj. p', 'Fisher', 'stratified test', ' df']) expect(text.slice(0, appendix), jargon).not.toContain(jargon);
    expect(text.slice(appendix)).toMatch(/First choice\. .*exact stratified test \(secondary 2026: 186\.4 expected, 180 offered, p 0\.42/);
    expect(text).toMatch(/First preference offered less often: ‘Hard-Pressed Living’ \(73%\), against 85% across the LA/);
    expect(text).toMatch(/Hard-Pressed Living 1,000 73\.2 70\.2 to 76\.2 67\.2 2\.4 \/ 1\.9 lower than the LA/);
    expect(text).toContain('Did families who contacted the service fare differently?');
    expect(text).toMatch(/Within types \(stratified\) 82% \(180\/220\) 85% \(2,370\/2,780\)/);
    const chart = out.figures.find((f) => f.alt.startsWith('Two dot charts'));
    expect(chart?.alt).toMatch(/‘Hard-Pressed Living’ is offered their first preference less often than the LA/);
    // Without admissions the section is not there.
    const without = pdfText((await renderFairAccessPdf(fairAccessDocument.parse(makeFairAccessDocument()))).pdf, false);
    expect(without).not.toContain('Who gets their first choice');
  });
});
