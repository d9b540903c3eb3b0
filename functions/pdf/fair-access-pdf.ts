/**
 * The fair-access report PDF for the Choice Advisers service (one per LA and period): who uses the
 * service against the families it is for, which groups are under-represented, where they live and
 * which schools their children attend, how that is changing, and the method in plain words.
 *
 * Handling: internal management information for the service, marked OFFICIAL-SENSITIVE on every
 * page; counts are exact (docs/disclosure.md: the service holds its own contact records, and the
 * report is not released to schools or published).
 *
 * Statistics follow the one policy (README, The statistics): flags, colours and words come from
 * the family-wise (Bonferroni) tests, and the intervals and limits drawn are the matching ones.
 */
import type { FairAccessDocument, FairAccessRow } from '../../schemas/fair-access-document.ts';
import { FA_STATUS, FUNNEL_STATUS, clampIndex, renderChart } from './charts.ts';
import { DASH, ciText, countText, fixed, indexText, listText, pText, pctText, periodDate, plural, thousands } from './format.ts';
import { ACCENT, MUTED, Writer } from './layout.ts';
import { penPortrait } from './pen-portraits.ts';
import type { RenderedPdf } from './profile-pdf.ts';
import { RENDERER_VERSION } from './version.ts';

type Place = FairAccessDocument['wards'][number];

const q = (s: string) => `\u2018${s}\u2019`;
const byCode = (a: { code: string }, b: { code: string }) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/** The report is not suppressed (internal): nothing is hidden. Kept as a function for the table code. */
function segHidden(_r: FairAccessRow, _T: number): boolean {
  return false;
}

const pct1 = (level: number) => `${fixed(100 * level, level > 0.999 ? 2 : 1)}%`;

function faStatus(r: FairAccessRow): string {
  return r.flag === 'under' ? FA_STATUS.under : r.flag === 'over' ? FA_STATUS.over : FA_STATUS.ns;
}

/** Where a place sits against its family-wise control limits (the flag). */
function placeStatus(p: Place, _T: number): string {
  return p.flag === 'below' ? FUNNEL_STATUS.below : p.flag === 'above' ? FUNNEL_STATUS.above : FUNNEL_STATUS.within;
}

function placeRow(p: Place, rank: number, T: number, label: string): string[] {
  return [String(rank), label, countText(p.baseN, T), fixed(p.expected, 1), countText(p.actual, T), fixed(p.gap, 1), placeStatus(p, T)];
}

export async function renderFairAccessPdf(d: FairAccessDocument): Promise<RenderedPdf> {
  const T = 0; // exact counts: the report is internal management information
  const w = new Writer({
    title: `Fair access report ${d.period}: Choice Advisers service, ${d.laName}`,
    subject: `Which families use the Choice Advisers service compared with ${d.base.label}, by neighbourhood type (${d.classification.name})`,
    author: d.laName,
    keywords: `fair access; Choice Advisers; ${d.classification.name}; ${d.period}`,
    footer: `${d.handling} \u00b7 Fair access report ${d.period} \u00b7 Choice Advisers service \u00b7 ${d.laName} \u00b7 internal: not for publication`,
    idSeed: `fair-access|${d.laName}|${d.period}|${RENDERER_VERSION}`,
    date: periodDate(d.period),
  });
  const sg = [...d.segments.supergroup].filter((r) => r.clients > 0 || r.base > 0).sort(byCode);
  const tot = d.totals;

  // ------------------------------------------------------------------ header
  w.paragraph(`${d.handling} \u00b7 FAIR ACCESS REPORT \u00b7 CHOICE ADVISERS SERVICE \u00b7 ${d.period}`, { size: 8.5, face: 'semibold', color: ACCENT, after: 2 });
  w.heading(1, 'Who uses the Choice Advisers service?', 80);
  w.paragraph(`${d.laName} \u00b7 clients compared with ${d.base.label}`, { size: 10, after: 1 });
  w.paragraph(`${d.classification.name}, ${d.classification.vintage} \u00b7 data for ${d.period}`, { size: 8.5, color: MUTED, after: 2 });
  w.paragraph(d.handlingNote, { size: 8.5, face: 'semibold', after: 8 });

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
      `Lines are ${pct1(d.intervals.supergroup)} intervals, wide enough to allow for comparing every type at once; a coloured type's interval does not reach 100.`,
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
    w.paragraph(`No ${under.level} has significantly fewer client families than expected, allowing for the number of types compared.`, { size: 9.5 });
  } else {
    w.paragraph(
      `At ${under.level} level, ${plural(under.segments.length, 'neighbourhood type')} ${under.segments.length === 1 ? 'has' : 'have'} significantly fewer client families than their share of ${d.base.label} would suggest. ` +
        'The wards and schools below are ranked by the strength of the evidence that contacts from families in these types fall short of what the service reaches among the same types elsewhere.',
      { size: 9, after: 4 },
    );
    w.list(
      under.segments.map((s) => {
        const row = d.segments[under.level as 'supergroup' | 'group' | 'subgroup']?.find((r) => r.code === s.code);
        const portrait = under.level === 'supergroup' ? penPortrait(s.code, s.name, null, d.classification.edition) : null;
        const fig = row && !segHidden(row, T) ? ` Index ${indexText(row.index)} (interval ${ciText(row.ciLow, row.ciHigh)}).` : '';
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
    "Each dot is a ward (left) or school (right): contacts from families in the under-represented types as a percentage of the number expected at each type's own rate across the LA, " +
      'against the number expected. Smaller places scatter more by chance, so the control limits widen to the left: dashed, 95% for one place on its own; ' +
      `solid, the limits allowing for every place being compared (${pct1(d.placeTables.wards.adjustedLevel)} for wards, ${pct1(d.placeTables.schools.adjustedLevel)} for schools). Dots below the solid line reach fewer families than chance explains.`,
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
        { header: 'Adjusted p', width: 60, align: 'right' },
        { header: 'Reading', width: w.width - 435 },
      ],
      trend.map((t) => {
        const first = t.byYear.find((y) => y.period === years[0])?.index ?? null;
        const last = t.byYear.find((y) => y.period === years[years.length - 1])?.index ?? null;
        return [
          t.name,
          indexText(first),
          indexText(last),
          t.change === null ? DASH : `${t.change > 0 ? '+' : ''}${fixed(t.change, 0)}`,
          pText(t.pAdjusted),
          t.flag === null ? DASH : t.flag === 'ns' ? 'no clear change' : t.flag,
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
    w.paragraph(`The same comparison for the more detailed groups (${pct1(d.intervals.group)} intervals). Small groups have wide intervals.`, { size: 9, after: 4 });
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
      { header: 'Interval', width: 50, align: 'right' },
      { header: 'Adj. p', width: 40, align: 'right' },
      { header: 'Finding', width: w.width - 432 },
    ],
    rows.map((r) => {
      const h = segHidden(r, T);
      return [
        r.name,
        countText(r.clients, T),
        pctText(r.clientPct, h),
        pctText(r.basePct),
        r.penetration === null ? DASH : fixed(r.penetration, 1),
        indexText(r.index, h),
        ciText(r.ciLow, r.ciHigh, h),
        pText(r.pAdjusted),
        r.flag === 'under' ? 'fewer than expected' : r.flag === 'over' ? 'more than expected' : 'no clear difference',
      ];
    }),
    { size: 8, pad: 2.5, keepTogether: true, strong: (row) => rows[row]!.flag === 'under' && !segHidden(rows[row]!, T), muted: (row) => segHidden(rows[row]!, T) },
  );
}

function placeSection(w: Writer, d: FairAccessDocument, which: 'wards' | 'schools', T: number): void {
  const places = d[which];
  const label = which === 'wards' ? 'Wards' : 'Schools';
  const TOP = 20;
  w.heading(2, `Where: ${which === 'wards' ? 'wards of residence' : 'schools attended'}, strongest shortfall first`, 120);
  if (places.length === 0) {
    w.paragraph(`No ${which} to show.`, { size: 9.5, color: MUTED });
    return;
  }
  const below = places.filter((p) => p.flag === 'below').length;
  const notKnown = d.placeTables[which].notKnown;
  w.paragraph(
    `Contacts from families in the under-represented types, against the number expected if the service reached them as it reaches the same types across the LA. ` +
      `A negative gap is a shortfall, in families. ${plural(below, which === 'wards' ? 'ward' : 'school')} ${below === 1 ? 'is' : 'are'} below the control limit. ` +
      (notKnown > 0 ? `${plural(notKnown, 'client family', 'client families')} in these types could not be placed (${which === 'wards' ? 'no ward' : 'school not recorded or not in the base'}) and ${notKnown === 1 ? 'is' : 'are'} counted as not known. ` : '') +
      (places.length > TOP ? `The ${TOP} strongest shortfalls of ${thousands(places.length)} are shown.` : ''),
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
    { size: 8, pad: 2.5, strong: (row) => places[row]!.flag === 'below' },
  );
}

/** Funnel points and limits against the clients expected (the precision of each place's count). */
function funnelData(places: Place[], T: number): { pts: object[]; lim: object[] } {
  const usable = places.filter((p) => p.expected > 0).sort((a, b) => a.expected - b.expected || (a.code < b.code ? -1 : 1));
  const pts = usable.map((p) => ({ x: p.expected, y: (100 * p.actual) / p.expected, status: placeStatus(p, T) }));
  const lim: object[] = [];
  for (const p of usable) {
    const r = (v: number) => (100 * v) / p.expected;
    lim.push({ x: p.expected, y: r(p.lower95), key: 'l95', limit: '95% limits' });
    lim.push({ x: p.expected, y: r(p.upper95), key: 'u95', limit: '95% limits' });
    lim.push({ x: p.expected, y: r(p.lowerAdjusted), key: 'ladj', limit: 'adjusted limits' });
    lim.push({ x: p.expected, y: r(p.upperAdjusted), key: 'uadj', limit: 'adjusted limits' });
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
  const T = 0;
  const out: { lead?: string; text: string }[] = [];
  const visible = sg.filter((r) => !segHidden(r, T) && r.index !== null);
  const under = visible.filter((r) => r.flag === 'under').sort((a, b) => a.index! - b.index!);
  const over = visible.filter((r) => r.flag === 'over').sort((a, b) => b.index! - a.index!);
  if (under.length) out.push({ lead: 'Fewer clients than expected:', text: `${listText(under.map((r) => `${q(r.name)} (index ${indexText(r.index)})`))}.` });
  if (over.length) out.push({ lead: 'More clients than expected:', text: `${listText(over.map((r) => `${q(r.name)} (index ${indexText(r.index)})`))}.` });
  if (!under.length && !over.length) out.push({ text: 'No neighbourhood type differs significantly from the base, allowing for the number of types compared.' });
  const chi = d.chiSquare.find((c) => c.level === 'supergroup') ?? d.chiSquare[0];
  if (chi) {
    out.push({
      lead: 'Overall:',
      text:
        chi.p === null
          ? 'the client mix could not be tested against the base (too few clients once small groups are merged).'
          : chi.p < 0.05
          ? `the mix of client families differs from the base by more than chance would explain (chi-square ${fixed(chi.statistic, 1)} on ${chi.df} degrees of freedom, p ${chi.p < 0.001 ? '< 0.001' : `= ${fixed(chi.p, 3)}`}).`
          : `the mix of client families is consistent with the base (chi-square ${fixed(chi.statistic, 1)} on ${chi.df} degrees of freedom, p = ${fixed(chi.p, 3)}).`,
    });
  }
  const count = (places: Place[]) => places.filter((p) => p.flag === 'below').length;
  if (d.underRepresented.segments.length) {
    out.push({
      lead: 'Where:',
      text:
        count(d.wards) + count(d.schools) === 0
          ? 'no ward or school falls below its control limit for contacts from the under-represented types once every place compared is allowed for; the tables below rank them by the strength of any shortfall.'
          : `${plural(count(d.wards), 'ward')} and ${plural(count(d.schools), 'school')} fall below the control limit for contacts from the under-represented types; they are listed below.`,
    });
  }
  return out;
}

function methodItems(d: FairAccessDocument): { lead: string; text: string }[] {
  const T = 0;
  const chi = d.chiSquare.map((c) =>
    c.p === null ? `${c.level}: not testable` : `${c.level}: ${fixed(c.statistic, 1)} on ${c.df} df, p ${c.p < 0.001 ? '< 0.001' : `= ${fixed(c.p, 3)}`}${c.mergedCells ? `, ${plural(c.mergedCells, 'small cell')} merged` : ''}`,
  );
  return [
    { lead: 'Clients.', text: d.clientRule },
    {
      lead: 'Base.',
      text: `Clients are compared with ${d.base.label}${d.base.ncyears ? ` (national curriculum years ${listText(d.base.ncyears)})` : ''}, each placed in a neighbourhood type by home postcode (${d.classification.name}, ${d.classification.vintage}).`,
    },
    { lead: 'Index.', text: "A type's share of client families divided by its share of the base, times 100. 100 means the service reaches that type in proportion." },
    {
      lead: 'Confidence interval.',
      text: 'The range the index could plausibly take: the exact (Clopper-Pearson) interval for the share of client families when fewer than 10 are expected, the Wilson interval otherwise, divided by the base share.',
    },
    {
      lead: 'Significance.',
      text: 'Each type is tested against its base share (exactly when fewer than 10 clients are expected). Because many types are tested at once, each test and interval is made stricter by the number of types compared (Bonferroni), so that across the whole chart there is at most a 5% chance of calling any difference that is only chance; only differences that pass are called under- or over-represented, and their intervals do not reach 100. Wards, schools and the trend follow the same rule.',
    },
    { lead: 'Whole profile.', text: `A chi-square goodness-of-fit test asks whether the client mix differs from the base overall, merging cells expected to have fewer than 5 clients (${chi.join('; ')}).` },
    {
      lead: 'Where.',
      text: "Expected contacts in a ward or school are its base pupils in each under-represented type times that type's own rate of contact across the LA, so a place is compared with how the service reaches the same families elsewhere; exact Poisson funnel-plot limits show which shortfalls are larger than chance. Families whose ward or child's school is not known are counted as such, not dropped.",
    },
    { lead: 'Handling.', text: `${d.handling}. ${d.handlingNote}` },
    {
      lead: 'Limits.',
      text: 'A neighbourhood type describes the typical household of an area, not a family; mixed areas and new housing developments are averaged. Read these findings alongside what advisers know locally.',
    },
  ];
}

function indexAlt(d: FairAccessDocument, rows: FairAccessRow[]): string {
  const T = 0;
  return (
    `Dot chart of the client index with ${pct1(d.intervals.supergroup)} intervals for ${rows.length} neighbourhood types, 100 = in proportion to ${d.base.label}. ` +
    rows.map((r) => (segHidden(r, T) ? `${r.name}: hidden` : `${r.name}: ${indexText(r.index)} (${ciText(r.ciLow, r.ciHigh)}), ${faStatus(r).toLowerCase()}`)).join('; ') +
    '.'
  );
}

function funnelAlt(places: Place[], what: string, T: number): string {
  const counts = new Map<string, number>();
  for (const p of places) counts.set(placeStatus(p, T), (counts.get(placeStatus(p, T)) ?? 0) + 1);
  const parts = [...counts].map(([k, n]) => `${k}: ${thousands(n)}`);
  return `Funnel plot of contacts as a percentage of expected for each ${what}, against the number expected, with 95% and family-wise control limits. ${parts.join('; ')}.`;
}

function trendAlt(trend: FairAccessDocument['trend']): string {
  return (
    'Line chart of the client index by academic year for each neighbourhood type. ' +
    trend.map((t) => `${t.name}: ${t.byYear.map((y) => `${y.period} ${indexText(y.index)}`).join(', ')}`).join('; ') +
    '.'
  );
}

