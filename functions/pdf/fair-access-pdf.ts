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
import { DASH, ciText, countText, fixed, indexText, listText, pText, pctText, periodDate, plural, ratioWords, thousands } from './format.ts';
import { ACCENT, MUTED, Writer } from './layout.ts';
import { penPortrait } from './pen-portraits.ts';
import type { RenderedPdf } from './profile-pdf.ts';
import { RENDERER_VERSION } from './version.ts';
import { admissionsTestItems, writeAdmissionsSection, writeClientWardMap } from './admissions-pdf.ts';

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

/** Families not reached, in words: "about 12 more families than reached", "2 more reached than expected". */
export function shortfallWords(p: Place): string {
  const n = Math.round(p.expected - p.actual);
  if (n > 0) return `about ${plural(n, 'more family', 'more families')} than reached`;
  if (n < 0) return `${plural(-n, 'family', 'families')} more reached than expected`;
  return 'about as many reached as expected';
}

/** The shortfall's 95% interval in families, never below 0 ("0 to 6"). */
export function shortfallInterval(p: Place): string {
  const lo = Math.max(0, Math.round(p.shortfallLow));
  const hi = Math.max(0, Math.round(p.shortfallHigh));
  return `${thousands(lo)} to ${thousands(hi)}`;
}

/**
 * Places in the order they are listed: every place below its limit first, then every place above
 * it, then the rest by the evidence of a shortfall up to `top` rows in all.
 */
export function listedPlaces(places: Place[], top: number): Place[] {
  const flagged = [...places.filter((p) => p.flag === 'below'), ...places.filter((p) => p.flag === 'above')];
  const rest = places.filter((p) => p.flag === 'within');
  return [...flagged, ...rest.slice(0, Math.max(0, top - flagged.length))];
}

/** "W3", "S12": the number a flagged place carries in the to-do list, the tables and the funnel plots. */
function flaggedLabels(places: Place[], prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  // Below the limit first (the to-do list), then above, each in the document's order.
  for (const flag of ['below', 'above'] as const) for (const p of places) if (p.flag === flag) out.set(p.code, `${prefix}${++i}`);
  return out;
}

function placeRow(p: Place, mark: string, T: number, label: string): string[] {
  const short = Math.round(p.expected - p.actual);
  return [mark, label, countText(p.baseN, T), fixed(p.expected, 1), countText(p.actual, T), short > 0 ? `about ${thousands(short)}` : short < 0 ? `none (${thousands(-short)} over)` : 'none', shortfallInterval(p), placeStatus(p, T)];
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
  const wardLabels = flaggedLabels(d.wards, 'W');
  const schoolLabels = flaggedLabels(d.schools, 'S');

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

  // ------------------------------------------------------------------ the to-do list
  todoSection(w, d, wardLabels, schoolLabels);

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
  segmentTable(w, sg, T, 'Neighbourhood type (supergroup)', false);

  // ------------------------------------------------------------------ under-represented
  const under = d.underRepresented;
  w.heading(2, 'Under-represented groups', 80);
  if (under.segments.length === 0) {
    w.paragraph(`No ${under.level} has significantly fewer client families than expected, allowing for the number of types compared.`, { size: 9.5 });
  } else {
    w.paragraph(
      `At ${under.level} level, ${plural(under.segments.length, 'neighbourhood type')} ${under.segments.length === 1 ? 'has' : 'have'} clearly fewer client families than their share of ${d.base.label} would suggest. ` +
        'The wards and schools below list first every place that reaches fewer of these families than chance explains, then the others by the strength of the evidence of a shortfall.',
      { size: 9, after: 4 },
    );
    w.list(
      under.segments.map((s) => {
        const row = d.segments[under.level as 'supergroup' | 'group' | 'subgroup']?.find((r) => r.code === s.code);
        const portrait = under.level === 'supergroup' ? penPortrait(s.code, s.name, null, d.classification.edition) : null;
        const fig = row && !segHidden(row, T) ? ` Index ${indexText(row.index)} (interval ${ciText(row.ciLow, row.ciHigh)}).` : '';
        return { lead: `${s.name} (${s.code}).`, text: `${fig}${portrait ? ` Across the UK (ONS national description): ${portrait}` : ''}` };
      }),
      { size: 8.5 },
    );
  }

  // ------------------------------------------------------------------ where: wards and schools
  placeSection(w, d, 'wards', T, wardLabels);
  const clientMap = await writeClientWardMap(w, d);
  placeSection(w, d, 'schools', T, schoolLabels);

  // funnel plots side by side
  w.heading(2, 'Funnel plots: contacts against expectation', 320);
  w.paragraph(
    "Each dot is a ward (left) or school (right): contacts from families in the under-represented types as a percentage of the number expected at each type's own rate across the LA, " +
      'against the number expected. Smaller places scatter more by chance, so the control limits widen to the left: dashed, 95% for one place on its own; ' +
      `solid, the limits allowing for every place being compared (${pct1(d.placeTables.wards.adjustedLevel)} for wards, ${pct1(d.placeTables.schools.adjustedLevel)} for schools). A place below the solid lower line (a downward triangle, numbered as in the lists) reaches fewer families than chance explains; ` +
      'where that line sits at 0, as it does for small places, even no contacts at all is within chance. Values above 300% are drawn at the top.',
    { size: 9, after: 4 },
  );
  const wardsChart = await renderChart('funnel', funnelData(d.wards, T, wardLabels));
  const schoolsChart = await renderChart('funnel', funnelData(d.schools, T, schoolLabels));
  w.ensure(Math.max(wardsChart.height, schoolsChart.height) + 14);
  const y0 = w.y;
  w.paragraph('Wards', { size: 9, face: 'semibold', after: 2 });
  w.figure(wardsChart, funnelAlt(wardsChart.data.pts as FunnelPoint[], 'ward', d.wards));
  const yAfter = w.y;
  w.y = y0;
  const x2 = w.left + w.width / 2 + 4;
  w.paragraph('Schools', { size: 9, face: 'semibold', x: x2, after: 2 });
  w.figure(schoolsChart, funnelAlt(schoolsChart.data.pts as FunnelPoint[], 'school', d.schools), { x: x2 });
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
        { header: 'Reading', width: w.width - 375 },
      ],
      trend.map((t) => {
        const first = t.byYear.find((y) => y.period === years[0])?.index ?? null;
        const last = t.byYear.find((y) => y.period === years[years.length - 1])?.index ?? null;
        return [
          t.name,
          indexText(first),
          indexText(last),
          t.change === null ? DASH : `${t.change > 0 ? '+' : ''}${fixed(t.change, 0)}`,
          t.flag === null ? DASH : t.flag === 'ns' ? 'no clear change' : t.flag,
        ];
      }),
      { keepTogether: true },
    );
  }

  // ------------------------------------------------------------------ admissions: who gets their first choice
  const maps = [...(clientMap ? [clientMap] : []), ...(await writeAdmissionsSection(w, d))];

  // ------------------------------------------------------------------ method
  const method = methodItems(d);
  w.panel(
    'The method in plain words',
    (width) => w.measureList(method, 8.5, width) + 3,
    (x, width) => w.list(method, { size: 8.5, x, width, after: 0 }),
  );

  // ------------------------------------------------------------------ appendix: the statistical tests
  const tests = testItems(d);
  w.heading(2, 'Appendix A: the statistical tests', 160);
  w.paragraph('For analysts and anyone checking the findings above: the tests behind every "fewer than expected", "below the limit" and trend in this report.', { size: 9, after: 4 });
  w.list(tests, { size: 8.5 });
  const sgTableH = segmentTable(null, sg, T, 'Neighbourhood type (supergroup)', true, w);
  if (sgTableH + 40 < w.bottom - 60) w.ensure(sgTableH + 40);
  w.heading(3, 'Neighbourhood types, with the adjusted p-value of each test', 100);
  segmentTable(w, sg, T, 'Neighbourhood type (supergroup)', true);
  if (years.length >= 2) {
    w.heading(3, 'Trend tests', 80);
    w.table(
      [
        { header: 'Neighbourhood type', width: 200 },
        { header: 'Change in index', width: 80, align: 'right' },
        { header: 'p', width: 60, align: 'right' },
        { header: 'Adjusted p', width: 70, align: 'right' },
        { header: 'Finding', width: w.width - 410 },
      ],
      trend.map((t) => [t.name, t.change === null ? DASH : `${t.change > 0 ? '+' : ''}${fixed(t.change, 0)}`, pText(t.p), pText(t.pAdjusted), t.flag === null ? DASH : t.flag === 'ns' ? 'no clear change' : t.flag]),
      { size: 8, pad: 2.5, keepTogether: true },
    );
  }

  // ------------------------------------------------------------------ appendix: groups
  const groups = [...d.segments.group].sort(byCode);
  if (groups.length) {
    // The heading stays with its table (kept together on one page): no heading stranded at a page foot.
    w.space(10);
    const tableH = segmentTable(null, groups, T, 'Group', true, w);
    if (tableH + 70 < w.bottom - 60) w.ensure(tableH + 70);
    w.heading(2, 'Appendix B: all groups', 120);
    w.paragraph(`The same comparison for the more detailed groups (${pct1(d.intervals.group)} intervals). Small groups have wide intervals.`, { size: 9, after: 4 });
    segmentTable(w, groups, T, 'Group', true);
  }

  const pdf = await w.finish();
  return { pdf, pages: w.pageCount, figures: w.figures, maps };
}

/** The segment table; the adjusted p-value only in the appendix (`tests`), plain words in the body. */
function segmentTable(into: Writer | null, rows: FairAccessRow[], T: number, first: string, tests: boolean, measureWith?: Writer): number {
  const w = (into ?? measureWith)!;
  const finding = (r: FairAccessRow) =>
    r.flag === 'under' ? 'fewer than expected' : r.flag === 'over' ? 'more than expected' : r.index === 0 && !tests ? 'none reached; not clearly fewer' : 'no clear difference';
  const args = [
    [
      { header: first, width: tests ? 140 : 150 },
      { header: 'Clients', width: 40, align: 'right' },
      { header: 'Client %', width: 44, align: 'right' },
      { header: 'Base %', width: 40, align: 'right' },
      { header: 'Per 1,000', width: 44, align: 'right' },
      { header: 'Index', width: 34, align: 'right' },
      { header: 'Interval', width: 50, align: 'right' },
      ...(tests ? [{ header: 'Adj. p', width: 40, align: 'right' as const }] : []),
      { header: 'Finding', width: w.width - (tests ? 432 : 402) },
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
        ...(tests ? [pText(r.pAdjusted)] : []),
        finding(r),
      ];
    }),
    { size: 8, pad: 2.5, keepTogether: true, strong: (row: number) => rows[row]!.flag === 'under' && !segHidden(rows[row]!, T), muted: (row: number) => segHidden(rows[row]!, T) },
  ] as const;
  if (!into) return w.measureTable(args[0], args[1], args[2]);
  w.table(...args);
  return 0;
}

function placeSection(w: Writer, d: FairAccessDocument, which: 'wards' | 'schools', T: number, labels: Map<string, string>): void {
  const places = d[which];
  const one = which === 'wards' ? 'ward' : 'school';
  const TOP = 20;
  w.heading(2, `Where: ${which === 'wards' ? 'wards of residence' : 'schools attended'}, places below the limit first`, 120);
  if (places.length === 0) {
    w.paragraph(`No ${which} to show.`, { size: 9.5, color: MUTED });
    return;
  }
  const below = places.filter((p) => p.flag === 'below').length;
  const notKnown = d.placeTables[which].notKnown;
  const listed = listedPlaces(places, TOP);
  w.paragraph(
    `Families reached in the under-represented types, against the number expected if the service reached them as it reaches the same types across the LA. ` +
      `"Not reached" is expected minus reached, in families, with its 95% interval. ${plural(below, one)} ${below === 1 ? 'is' : 'are'} below the control limit${below ? ` and listed first (${one === 'ward' ? 'W' : 'S'}1, ${one === 'ward' ? 'W' : 'S'}2, … as on the funnel plot)` : ''}. ` +
      (notKnown > 0 ? `${plural(notKnown, 'client family', 'client families')} in these types could not be placed (${which === 'wards' ? 'no ward' : 'school not recorded or not in the base'}) and ${notKnown === 1 ? 'is' : 'are'} counted as not known. ` : '') +
      (places.length > listed.length ? `Then the strongest other shortfalls: ${thousands(listed.length)} of ${thousands(places.length)} ${which} are shown.` : ''),
    { size: 9, after: 4 },
  );
  w.table(
    [
      { header: '#', width: 24, align: 'right' },
      { header: which === 'wards' ? 'Ward (GSS code)' : 'School (URN)', width: 165 },
      { header: 'Base pupils', width: 46, align: 'right' },
      { header: 'Expected', width: 44, align: 'right' },
      { header: 'Reached', width: 42, align: 'right' },
      { header: 'Not reached', width: 62, align: 'right' },
      { header: '95% interval', width: 56, align: 'right' },
      { header: 'Against the limits', width: w.width - 439 },
    ],
    listed.map((p, i) => placeRow(p, labels.get(p.code) ?? String(i + 1), T, `${p.name ?? one} (${p.code})`)),
    { size: 8, pad: 2.5, strong: (row) => listed[row]!.flag === 'below' },
  );
}

/**
 * The to-do list: every ward and school below its control limit, wards first, each with the
 * families not reached in plain words and the interval. Its limit status is always stated: the
 * report is internal and no count in it is protected (docs/disclosure.md).
 */
function todoSection(w: Writer, d: FairAccessDocument, wardLabels: Map<string, string>, schoolLabels: Map<string, string>): void {
  const wards = d.wards.filter((p) => p.flag === 'below');
  const schools = d.schools.filter((p) => p.flag === 'below');
  w.heading(2, 'What needs attention', 60);
  if (!d.underRepresented.segments.length) {
    w.paragraph('No neighbourhood type is under-represented among client families, so no ward or school is checked for a shortfall this year.', { size: 9.5 });
    return;
  }
  if (!wards.length && !schools.length) {
    w.paragraph(
      'No ward or school falls below its control limit: every shortfall in contacts from the under-represented types is within what chance explains once every place compared is allowed for. ' +
        'The tables below still rank places by the strength of any shortfall, for advisers to check against what they know.',
      { size: 9.5 },
    );
    return;
  }
  w.paragraph(
    `${plural(wards.length, 'ward')} and ${plural(schools.length, 'school')} reach fewer families in the under-represented types than chance explains. Each is a place to plan outreach; the number in brackets after each is its 95% interval.`,
    { size: 9, after: 4 },
  );
  const item = (p: Place, mark: string, what: string) => ({
    lead: `${mark}  ${p.name ?? what} (${p.code}):`,
    text: `${shortfallWords(p)} (${shortfallInterval(p)}); ${thousands(p.actual)} reached of ${fixed(p.expected, 1)} expected. Below the limit.`,
  });
  if (wards.length) {
    w.heading(3, 'Wards below the limit', 40);
    w.list(wards.map((p) => item(p, wardLabels.get(p.code)!, 'ward')), { size: 8.5 });
  }
  if (schools.length) {
    w.heading(3, 'Schools below the limit', 40);
    w.list(schools.map((p) => item(p, schoolLabels.get(p.code)!, 'school')), { size: 8.5 });
  }
}

/** Funnel points and limits against the clients expected (the precision of each place's count). */
function funnelData(places: Place[], T: number, labels: Map<string, string>): { pts: object[]; lim: object[] } {
  const usable = places.filter((p) => p.expected > 0).sort((a, b) => a.expected - b.expected || (a.code < b.code ? -1 : 1));
  const pts = usable.map((p) => ({ x: p.expected, y: (100 * p.actual) / p.expected, status: placeStatus(p, T), label: labels.get(p.code) ?? null, code: p.code }));
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
  // Plain words first ("about half as common among clients"), the index after for those who want it.
  const howMany = (index: number) => ratioWords(index).replace(/^much less common$/, 'far fewer than expected').replace(/as common$/, 'as many as expected');
  const said = (r: FairAccessRow) => `${q(r.name)} (${howMany(r.index!)}; index ${indexText(r.index)})`;
  if (under.length) out.push({ lead: 'Fewer clients than expected:', text: `${listText(under.map(said))}.` });
  if (over.length) out.push({ lead: 'More clients than expected:', text: `${listText(over.map(said))}.` });
  if (!under.length && !over.length) out.push({ text: 'No neighbourhood type differs significantly from the base, allowing for the number of types compared.' });
  const chi = d.chiSquare.find((c) => c.level === 'supergroup') ?? d.chiSquare[0];
  if (chi) {
    out.push({
      lead: 'Overall:',
      text:
        chi.p === null
          ? 'the client mix could not be tested against the base (too few clients once small groups are merged).'
          : chi.p < 0.05
          ? 'the mix of client families differs from the mix of families the service is for by more than chance would explain (the test is in the appendix).'
          : 'the mix of client families is in line with the mix of families the service is for, as far as chance can tell (the test is in the appendix).',
    });
  }
  const count = (places: Place[]) => places.filter((p) => p.flag === 'below').length;
  if (d.underRepresented.segments.length) {
    out.push({
      lead: 'Where:',
      text:
        count(d.wards) + count(d.schools) === 0
          ? 'no ward or school falls below its control limit for contacts from the under-represented types once every place compared is allowed for; the tables below rank them by the strength of any shortfall.'
          : `${plural(count(d.wards), 'ward')} and ${plural(count(d.schools), 'school')} fall below the control limit for contacts from the under-represented types; every one is listed under ${q('What needs attention')}.`,
    });
  }
  return out;
}

function methodItems(d: FairAccessDocument): { lead: string; text: string }[] {
  return [
    { lead: 'Clients.', text: d.clientRule },
    {
      lead: 'Who the service is for.',
      text: `Clients are compared with ${d.base.label}${d.base.ncyears ? ` (national curriculum years ${listText(d.base.ncyears)})` : ''}, each placed in a neighbourhood type by home postcode (${d.classification.name}, ${d.classification.vintage}).`,
    },
    { lead: 'Index.', text: "A type's share of client families divided by its share of those families, times 100. 100 means the service reaches that type in proportion; 50, half as often." },
    {
      lead: 'Interval.',
      text: 'The range the index could plausibly take given the numbers. Because eight types (and many wards and schools) are compared at once, every interval and limit is made wider, so that the report as a whole calls a difference only when chance is very unlikely to explain it.',
    },
    {
      lead: 'Where.',
      text: "A ward or school is expected to reach its families in each under-represented type at that type's own rate across the LA. A place below its control limit reaches fewer families than chance explains; \"not reached\" is the number expected minus the number reached. Families whose ward or child's school is not known are counted as such, not dropped.",
    },
    { lead: 'Handling.', text: `${d.handling}. ${d.handlingNote} No count in it is hidden, so every place's position against its limits is stated.` },
    {
      lead: 'Limits.',
      text: 'A neighbourhood type describes the typical household of an area, not a family; mixed areas and new housing developments are averaged. Read these findings alongside what advisers know locally.',
    },
  ];
}

/** The statistics in full, for the appendix. */
function testItems(d: FairAccessDocument): { lead: string; text: string }[] {
  const chi = d.chiSquare.map((c) =>
    c.p === null ? `${c.level}: not testable` : `${c.level}: chi-square ${fixed(c.statistic, 1)} on ${c.df} df, p ${c.p < 0.001 ? '< 0.001' : `= ${fixed(c.p, 3)}`}${c.mergedCells ? `, ${plural(c.mergedCells, 'small cell')} merged` : ''}`,
  );
  return [
    {
      lead: 'Intervals.',
      text: `The exact (Clopper-Pearson) interval for the share of client families when fewer than 10 are expected, the Wilson interval otherwise, divided by the base share; ${pct1(d.intervals.supergroup)} for supergroups, ${pct1(d.intervals.group)} for groups.`,
    },
    {
      lead: 'Tests by type.',
      text: 'Each type is tested against its base share: an exact binomial test when fewer than 10 clients are expected, the score test otherwise. The p-values are adjusted for the number of types compared (Bonferroni), so that across a chart there is at most a 5% chance of calling any difference that is only chance; flags, intervals and words all follow the adjusted test.',
    },
    { lead: 'Whole profile.', text: `A chi-square goodness-of-fit test of the client mix against the base, merging cells expected to have fewer than 5 clients (${chi.join('; ')}).` },
    {
      lead: 'Wards and schools.',
      text: `Exact Poisson tests and funnel-plot control limits of the count reached against the count expected: 95% for one place alone, and ${pct1(d.placeTables.wards.adjustedLevel)} for wards and ${pct1(d.placeTables.schools.adjustedLevel)} for schools allowing for every place compared (Bonferroni). The interval of "not reached" is the expected count minus the exact (Garwood) 95% interval of the count reached.`,
    },
    { lead: 'Trend.', text: 'An exact conditional test that the index is unchanged between the first and last year, adjusted for the number of types compared.' },
    ...admissionsTestItems(d),
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

interface FunnelPoint {
  x: number;
  y: number;
  status: string;
  label: string | null;
  code: string;
}

/** Written from the points drawn: how many in each status, and each labelled place with its position. */
function funnelAlt(pts: FunnelPoint[], what: string, places: Place[]): string {
  const counts = new Map<string, number>();
  for (const p of pts) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  const parts = [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, n]) => `${k}: ${thousands(n)} ${n === 1 ? what : `${what}s`}`);
  const named = pts
    .filter((p) => p.label !== null)
    .sort((a, b) => Number(a.label!.slice(1)) - Number(b.label!.slice(1)))
    .map((p) => `${p.label} ${places.find((x) => x.code === p.code)?.name ?? p.code}: ${fixed(p.y, 0)}% of ${fixed(p.x, 1)} expected, ${p.status.toLowerCase()}`);
  const unplotted = places.length - pts.length;
  return (
    `Funnel plot of contacts as a percentage of expected for each ${what} with any families expected, against the number expected, with 95% and family-wise control limits. ${parts.join('; ')}` +
    `${named.length ? `; ${named.join('; ')}` : ''}${unplotted > 0 ? `; ${thousands(unplotted)} with none expected not plotted` : ''}.`
  );
}

function trendAlt(trend: FairAccessDocument['trend']): string {
  return (
    'Line chart of the client index by academic year for each neighbourhood type. ' +
    trend.map((t) => `${t.name}: ${t.byYear.map((y) => `${y.period} ${indexText(y.index)}`).join(', ')}`).join('; ') +
    '.'
  );
}

