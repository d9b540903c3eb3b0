/**
 * The fair-access report PDF for the Choice Advisers service (one per LA and period): who uses the
 * service against the families it is for, which groups are under-represented, where they live and
 * which schools their children attend, how that is changing, and the method in plain words.
 *
 * Disclosure control: contact counts in wards and schools arrive as "c" when small; the renderer
 * also hides any other count below the threshold (segment clients, base pupils of a place) and
 * anything that would reveal it (percentage, index, expected count, gap).
 */
import type { FairAccessDocument, FairAccessRow } from '../../schemas/fair-access-document.ts';
import { FA_STATUS, FUNNEL_STATUS, clampIndex, renderChart } from './charts.ts';
import { DASH, SUPPRESSED, ciText, countText, fixed, indexText, isHiddenCount, listText, pText, pctText, periodDate, plural, thousands } from './format.ts';
import { ACCENT, MUTED, Writer } from './layout.ts';
import { penPortrait } from './pen-portraits.ts';
import type { RenderedPdf } from './profile-pdf.ts';
import { RENDERER_VERSION } from './version.ts';

type Place = FairAccessDocument['wards'][number];

const q = (s: string) => `\u2018${s}\u2019`;
const byCode = (a: { code: string }, b: { code: string }) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

function segHidden(r: FairAccessRow, T: number): boolean {
  return isHiddenCount(r.clients, T);
}

function faStatus(r: FairAccessRow): string {
  return r.flag === 'under' ? FA_STATUS.under : r.flag === 'over' ? FA_STATUS.over : FA_STATUS.ns;
}

/** Where a place sits against its funnel limits, without revealing a hidden count. */
function placeStatus(p: Place, T: number): string {
  if (isHiddenCount(p.baseN, T)) return 'Small base (c)';
  if (p.actual === 'c' || isHiddenCount(p.actual, T)) {
    // Known only to be below the threshold: say so only when that settles the comparison.
    if (T - 1 < p.lower998) return FUNNEL_STATUS.below998;
    if (T - 1 < p.lower95) return FUNNEL_STATUS.below95;
    return 'Hidden (c)';
  }
  const a = p.actual as number;
  if (a < p.lower998) return FUNNEL_STATUS.below998;
  if (a < p.lower95) return FUNNEL_STATUS.below95;
  if (a > p.upper95) return FUNNEL_STATUS.above;
  return FUNNEL_STATUS.within;
}

function placeRow(p: Place, rank: number, T: number, label: string): string[] {
  const smallBase = isHiddenCount(p.baseN, T);
  const actualHidden = p.actual === 'c' || isHiddenCount(p.actual, T);
  return [
    String(rank),
    label,
    countText(p.baseN, T),
    smallBase ? SUPPRESSED : fixed(p.expected, 1),
    countText(p.actual, T),
    smallBase || actualHidden || p.gap === null ? SUPPRESSED : fixed(p.gap, 1),
    placeStatus(p, T),
  ];
}

export async function renderFairAccessPdf(d: FairAccessDocument): Promise<RenderedPdf> {
  const T = d.threshold;
  const w = new Writer({
    title: `Fair access report ${d.period}: Choice Advisers service, ${d.laName}`,
    subject: `Which families use the Choice Advisers service compared with ${d.base.label}, by neighbourhood type (${d.classification.name})`,
    author: d.laName,
    keywords: `fair access; Choice Advisers; ${d.classification.name}; ${d.period}`,
    footer: `Fair access report ${d.period} \u00b7 Choice Advisers service \u00b7 ${d.laName} \u00b7 counts below ${T} shown as c`,
    idSeed: `fair-access|${d.laName}|${d.period}|${RENDERER_VERSION}`,
    date: periodDate(d.period),
  });
  const sg = [...d.segments.supergroup].filter((r) => r.clients > 0 || r.base > 0).sort(byCode);
  const tot = d.totals;

  // ------------------------------------------------------------------ header
  w.paragraph(`FAIR ACCESS REPORT \u00b7 CHOICE ADVISERS SERVICE \u00b7 ${d.period}`, { size: 8.5, face: 'semibold', color: ACCENT, after: 2 });
  w.heading(1, 'Who uses the Choice Advisers service?', 80);
  w.paragraph(`${d.laName} \u00b7 clients compared with ${d.base.label}`, { size: 10, after: 1 });
  w.paragraph(`${d.classification.name}, ${d.classification.vintage} \u00b7 data for ${d.period}`, { size: 8.5, color: MUTED, after: 8 });

  const tiles = [
    { value: countText(tot.contacts, T), label: 'contacts with the service' },
    { value: countText(tot.clients, T), label: 'client families (after de-duplication)' },
    { value: countText(tot.classifiedClients, T), label: 'clients with a classified postcode' },
    { value: countText(tot.base, T), label: 'pupils in the base' },
    { value: tot.penetration === null ? DASH : fixed(tot.penetration, 1), label: 'clients per 1,000 base pupils' },
  ];
  w.keyFacts(tiles);

  // ------------------------------------------------------------------ in brief
  w.heading(2, 'In brief', 40);
  w.list(briefItems(d, sg), { size: 9 });

  // ------------------------------------------------------------------ index by segment
  w.heading(2, 'Clients against the base, by neighbourhood type', 220);
  w.paragraph(
    `The index compares each type's share of client families with its share of ${d.base.label}: 100 = in proportion, below 100 = fewer clients than expected. ` +
      'Lines are 95% confidence intervals; colour marks differences that remain significant after the Holm adjustment for testing many groups.',
    { size: 9, after: 4 },
  );
  const idxRows = sg.map((r, i) => {
    const h = segHidden(r, T);
    return {
      name: r.name,
      order: i,
      hidden: h || r.index === null,
      index: r.index === null ? null : clampIndex(r.index),
      lo: r.ciLow === null ? null : clampIndex(r.ciLow),
      hi: r.ciHigh === null ? null : clampIndex(r.ciHigh),
      status: faStatus(r),
      label: h ? 'c' : indexText(r.index),
    };
  });
  const idxChart = await renderChart('faIndex', { idx: idxRows });
  w.figure(idxChart, indexAlt(d, sg));
  w.space(6);
  segmentTable(w, sg, T, 'Neighbourhood type (supergroup)');

  // ------------------------------------------------------------------ under-represented
  const under = d.underRepresented;
  w.heading(2, 'Under-represented groups', 80);
  if (under.segments.length === 0) {
    w.paragraph(`No ${under.level} has significantly fewer client families than expected after the Holm adjustment.`, { size: 9.5 });
  } else {
    w.paragraph(
      `At ${under.level} level, ${plural(under.segments.length, 'neighbourhood type')} ${under.segments.length === 1 ? 'has' : 'have'} significantly fewer client families than their share of ${d.base.label} would suggest. ` +
        'The wards and schools below are ranked by how far contacts from families in these types fall short of what the service reaches elsewhere.',
      { size: 9, after: 4 },
    );
    w.list(
      under.segments.map((s) => {
        const row = d.segments[under.level as 'supergroup' | 'group' | 'subgroup']?.find((r) => r.code === s.code);
        const portrait = under.level === 'supergroup' ? penPortrait(s.code, s.name, null, d.classification.edition) : null;
        const fig = row && !segHidden(row, T) ? ` Index ${indexText(row.index)} (95% CI ${ciText(row.ciLow, row.ciHigh)}).` : '';
        return { lead: `${s.name} (${s.code}).`, text: `${fig}${portrait ? ` ${portrait}` : ''}` };
      }),
      { size: 8.5 },
    );
  }

  // ------------------------------------------------------------------ where: wards and schools
  placeSection(w, d, 'wards', T);
  placeSection(w, d, 'schools', T);

  // funnel plots side by side
  w.heading(2, 'Funnel plots: contacts against expectation', 320);
  w.paragraph(
    'Each dot is a ward (left) or school (right): contacts from families in the under-represented types as a percentage of the number expected at the service-wide rate, ' +
      'against the number of such pupils. Smaller places scatter more by chance, so the control limits (dashed 95%, solid 99.8%) widen to the left. ' +
      `Dots below the lower lines reach fewer families than chance explains. Places with fewer than ${T} contacts or base pupils are not plotted.`,
    { size: 9, after: 4 },
  );
  const wardsChart = await renderChart('funnel', funnelData(d.wards, T));
  const schoolsChart = await renderChart('funnel', funnelData(d.schools, T));
  w.ensure(Math.max(wardsChart.height, schoolsChart.height) + 14);
  const y0 = w.y;
  w.paragraph('Wards', { size: 9, face: 'semibold', after: 2 });
  w.figure(wardsChart, funnelAlt(d.wards, 'ward', T));
  const yAfter = w.y;
  w.y = y0;
  const x2 = w.left + w.width / 2 + 4;
  w.paragraph('Schools', { size: 9, face: 'semibold', x: x2, after: 2 });
  w.figure(schoolsChart, funnelAlt(d.schools, 'school', T), { x: x2 });
  w.y = Math.max(yAfter, w.y) + 4;

  // ------------------------------------------------------------------ trend
  w.heading(2, 'Trend across years', 230);
  const trend = trendRows(d);
  const years = [...new Set(trend.flatMap((t) => t.byYear.map((y) => y.period)))].sort();
  if (years.length < 2) {
    w.paragraph('Only one year of data is available, so there is no trend yet. The analysis is repeated each year so that changes in outreach can be seen.', { size: 9.5 });
  } else {
    w.paragraph(
      `The index for each neighbourhood type, ${years[0]} to ${years[years.length - 1]}. A rising line for an under-represented type means the service is reaching more of those families relative to the base.`,
      { size: 9, after: 4 },
    );
    const trRows = trend.flatMap((t, i) => t.byYear.filter((y) => y.index !== null).map((y) => ({ period: y.period, name: t.name, order: i, index: clampIndex(y.index!) })));
    const trChart = await renderChart('trend', { tr: trRows });
    w.figure(trChart, trendAlt(trend));
    w.space(6);
    w.table(
      [
        { header: 'Neighbourhood type', width: 175 },
        { header: `Index ${years[0]}`, width: 70, align: 'right' },
        { header: `Index ${years[years.length - 1]}`, width: 70, align: 'right' },
        { header: 'Change', width: 60, align: 'right' },
        { header: 'p (change)', width: 60, align: 'right' },
        { header: 'Reading', width: w.width - 435 },
      ],
      trend.map((t) => {
        const first = t.byYear.find((y) => y.period === years[0])?.index ?? null;
        const last = t.byYear.find((y) => y.period === years[years.length - 1])?.index ?? null;
        const sig = t.p !== null && t.p < 0.05;
        return [
          t.name,
          indexText(first),
          indexText(last),
          t.change === null ? DASH : `${t.change > 0 ? '+' : ''}${fixed(t.change, 0)}`,
          pText(t.p),
          t.change === null ? DASH : sig ? (t.change > 0 ? 'rising' : 'falling') : 'no clear change',
        ];
      }),
      { keepTogether: true },
    );
  }

  // ------------------------------------------------------------------ method
  const method = methodItems(d);
  w.panel(
    'The method in plain words',
    (width) => w.measureList(method, 8.5, width) + 3,
    (x, width) => w.list(method, { size: 8.5, x, width, after: 0 }),
  );

  // ------------------------------------------------------------------ appendix: groups
  const groups = [...d.segments.group].sort(byCode);
  if (groups.length) {
    w.heading(2, 'Appendix: all groups', 120);
    w.paragraph('The same comparison for the more detailed groups. Small groups have wide intervals; "c" marks fewer than ' + T + ' clients.', { size: 9, after: 4 });
    segmentTable(w, groups, T, 'Group');
  }

  const pdf = await w.finish();
  return { pdf, pages: w.pageCount, figures: w.figures };
}

function segmentTable(w: Writer, rows: FairAccessRow[], T: number, first: string): void {
  w.table(
    [
      { header: first, width: 140 },
      { header: 'Clients', width: 40, align: 'right' },
      { header: 'Client %', width: 44, align: 'right' },
      { header: 'Base %', width: 40, align: 'right' },
      { header: 'Per 1,000', width: 44, align: 'right' },
      { header: 'Index', width: 34, align: 'right' },
      { header: '95% CI', width: 50, align: 'right' },
      { header: 'Holm p', width: 40, align: 'right' },
      { header: 'Finding', width: w.width - 432 },
    ],
    rows.map((r) => {
      const h = segHidden(r, T);
      return [
        r.name,
        countText(r.clients, T),
        pctText(r.clientPct, h),
        pctText(r.basePct),
        h ? SUPPRESSED : r.penetration === null ? DASH : fixed(r.penetration, 1),
        indexText(r.index, h),
        ciText(r.ciLow, r.ciHigh, h),
        h ? SUPPRESSED : pText(r.pHolm),
        h ? 'hidden (c)' : r.flag === 'under' ? 'fewer than expected' : r.flag === 'over' ? 'more than expected' : 'no clear difference',
      ];
    }),
    { size: 8, pad: 2.5, keepTogether: true, strong: (row) => rows[row]!.flag === 'under' && !segHidden(rows[row]!, T), muted: (row) => segHidden(rows[row]!, T) },
  );
}

function placeSection(w: Writer, d: FairAccessDocument, which: 'wards' | 'schools', T: number): void {
  const places = d[which];
  const label = which === 'wards' ? 'Wards' : 'Schools';
  const TOP = 20;
  w.heading(2, `Where: ${which === 'wards' ? 'wards of residence' : 'schools attended'}, ranked by gap`, 120);
  if (places.length === 0) {
    w.paragraph(`No ${which} to show.`, { size: 9.5, color: MUTED });
    return;
  }
  const below = places.filter((p) => placeStatus(p, T) === FUNNEL_STATUS.below998 || placeStatus(p, T) === FUNNEL_STATUS.below95).length;
  w.paragraph(
    `Contacts from families in the under-represented types, against the number expected if the service reached them at its overall rate. ` +
      `A negative gap is a shortfall. ${plural(below, which === 'wards' ? 'ward' : 'school')} ${below === 1 ? 'is' : 'are'} below a funnel-plot control limit. ` +
      (places.length > TOP ? `The ${TOP} largest shortfalls of ${thousands(places.length)} are shown.` : ''),
    { size: 9, after: 4 },
  );
  w.table(
    [
      { header: '#', width: 22, align: 'right' },
      { header: which === 'wards' ? 'Ward (GSS code)' : 'School (URN)', width: 175 },
      { header: 'Base pupils', width: 52, align: 'right' },
      { header: 'Expected', width: 50, align: 'right' },
      { header: 'Actual', width: 44, align: 'right' },
      { header: 'Gap', width: 44, align: 'right' },
      { header: 'Against the limits', width: w.width - 387 },
    ],
    places.slice(0, TOP).map((p, i) => placeRow(p, i + 1, T, `${p.name ?? label.slice(0, -1)} (${p.code})`)),
    { size: 8, pad: 2.5, strong: (row) => placeStatus(places[row]!, T) === FUNNEL_STATUS.below998 },
  );
}

function funnelData(places: Place[], T: number): { pts: object[]; lim: object[] } {
  const usable = places.filter((p) => !isHiddenCount(p.baseN, T) && p.baseN > 0 && p.expected > 0).sort((a, b) => a.baseN - b.baseN || (a.code < b.code ? -1 : 1));
  const pts = usable
    .filter((p) => typeof p.actual === 'number' && !isHiddenCount(p.actual, T))
    .map((p) => ({ x: p.baseN, y: (100 * (p.actual as number)) / p.expected, status: placeStatus(p, T) }));
  const lim: object[] = [];
  for (const p of usable) {
    const r = (v: number) => (100 * v) / p.expected;
    lim.push({ x: p.baseN, y: r(p.lower95), key: 'l95', limit: '95% limits' });
    lim.push({ x: p.baseN, y: r(p.upper95), key: 'u95', limit: '95% limits' });
    lim.push({ x: p.baseN, y: r(p.lower998), key: 'l998', limit: '99.8% limits' });
    lim.push({ x: p.baseN, y: r(p.upper998), key: 'u998', limit: '99.8% limits' });
  }
  return { pts, lim };
}

function trendRows(d: FairAccessDocument): FairAccessDocument['trend'] {
  const levels = [...new Set(d.trend.map((t) => t.level))];
  const level = levels.includes('supergroup') ? 'supergroup' : (levels[0] ?? 'supergroup');
  return d.trend.filter((t) => t.level === level).sort(byCode);
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

function briefItems(d: FairAccessDocument, sg: FairAccessRow[]): { lead?: string; text: string }[] {
  const T = d.threshold;
  const out: { lead?: string; text: string }[] = [];
  const visible = sg.filter((r) => !segHidden(r, T) && r.index !== null);
  const under = visible.filter((r) => r.flag === 'under').sort((a, b) => a.index! - b.index!);
  const over = visible.filter((r) => r.flag === 'over').sort((a, b) => b.index! - a.index!);
  if (under.length) out.push({ lead: 'Fewer clients than expected:', text: `${listText(under.map((r) => `${q(r.name)} (index ${indexText(r.index)})`))}.` });
  if (over.length) out.push({ lead: 'More clients than expected:', text: `${listText(over.map((r) => `${q(r.name)} (index ${indexText(r.index)})`))}.` });
  if (!under.length && !over.length) out.push({ text: 'No neighbourhood type differs significantly from the base after the Holm adjustment.' });
  const chi = d.chiSquare.find((c) => c.level === 'supergroup') ?? d.chiSquare[0];
  if (chi) {
    out.push({
      lead: 'Overall:',
      text:
        chi.p < 0.05
          ? `the mix of client families differs from the base by more than chance would explain (chi-square ${fixed(chi.statistic, 1)} on ${chi.df} degrees of freedom, p ${chi.p < 0.001 ? '< 0.001' : `= ${fixed(chi.p, 3)}`}).`
          : `the mix of client families is consistent with the base (chi-square ${fixed(chi.statistic, 1)} on ${chi.df} degrees of freedom, p = ${fixed(chi.p, 3)}).`,
    });
  }
  const count = (places: Place[]) => places.filter((p) => placeStatus(p, T) === FUNNEL_STATUS.below998 || placeStatus(p, T) === FUNNEL_STATUS.below95).length;
  if (d.underRepresented.segments.length) {
    out.push({
      lead: 'Where:',
      text: `${plural(count(d.wards), 'ward')} and ${plural(count(d.schools), 'school')} fall below a control limit for contacts from the under-represented types; they are listed below.`,
    });
  }
  return out;
}

function methodItems(d: FairAccessDocument): { lead: string; text: string }[] {
  const T = d.threshold;
  const chi = d.chiSquare.map((c) => `${c.level}: ${fixed(c.statistic, 1)} on ${c.df} df, p ${c.p < 0.001 ? '< 0.001' : `= ${fixed(c.p, 3)}`}${c.mergedCells ? `, ${plural(c.mergedCells, 'small cell')} merged` : ''}`);
  return [
    { lead: 'Clients.', text: d.clientRule },
    {
      lead: 'Base.',
      text: `Clients are compared with ${d.base.label}${d.base.ncyears ? ` (national curriculum years ${listText(d.base.ncyears)})` : ''}, each placed in a neighbourhood type by home postcode (${d.classification.name}, ${d.classification.vintage}).`,
    },
    { lead: 'Index.', text: "A type's share of client families divided by its share of the base, times 100. 100 means the service reaches that type in proportion." },
    {
      lead: 'Confidence interval.',
      text: "Byar's approximation to the exact Poisson interval for the number of client families, divided by the number expected: the range the index could plausibly take.",
    },
    {
      lead: 'Significance.',
      text: 'Each type is tested against its base share (a z test), and the p-values are adjusted with the Holm method because many types are tested at once; only differences that survive the adjustment are called under- or over-represented.',
    },
    { lead: 'Whole profile.', text: `A chi-square goodness-of-fit test asks whether the client mix differs from the base overall, merging cells expected to have fewer than 5 clients (${chi.join('; ')}).` },
    {
      lead: 'Where.',
      text: 'Expected contacts in a ward or school are its base pupils in the under-represented types times the service-wide rate; funnel-plot limits at 95% and 99.8% show which shortfalls are larger than chance.',
    },
    { lead: '"c".', text: `Fewer than ${T}, hidden to protect privacy, with anything that would reveal it. 0 means none.` },
    {
      lead: 'Limits.',
      text: 'A neighbourhood type describes the typical household of an area, not a family; mixed areas and new housing developments are averaged. Read these findings alongside what advisers know locally.',
    },
  ];
}

function indexAlt(d: FairAccessDocument, rows: FairAccessRow[]): string {
  const T = d.threshold;
  return (
    `Dot chart of the client index with 95% confidence intervals for ${rows.length} neighbourhood types, 100 = in proportion to ${d.base.label}. ` +
    rows.map((r) => (segHidden(r, T) ? `${r.name}: hidden` : `${r.name}: ${indexText(r.index)} (${ciText(r.ciLow, r.ciHigh)}), ${faStatus(r).toLowerCase()}`)).join('; ') +
    '.'
  );
}

function funnelAlt(places: Place[], what: string, T: number): string {
  const counts = new Map<string, number>();
  for (const p of places) counts.set(placeStatus(p, T), (counts.get(placeStatus(p, T)) ?? 0) + 1);
  const parts = [...counts].map(([k, n]) => `${k}: ${thousands(n)}`);
  return `Funnel plot of contacts as a percentage of expected for each ${what}, against base pupils, with 95% and 99.8% control limits. ${parts.join('; ')}.`;
}

function trendAlt(trend: FairAccessDocument['trend']): string {
  return (
    'Line chart of the client index by academic year for each neighbourhood type. ' +
    trend.map((t) => `${t.name}: ${t.byYear.map((y) => `${y.period} ${indexText(y.index)}`).join(', ')}`).join('; ') +
    '.'
  );
}

