/**
 * The fair-access report's admissions pages ("Who gets their first choice") and its maps: the
 * chart by neighbourhood type, the nearest-school finding in plain words, contacted against
 * not-contacted families within the same types, where first preferences are missed, and where the
 * under-represented families live against where the service's clients come from. Exact counts
 * (internal management information, like the rest of the report). Every map has alt text stating
 * its finding and a table of its numbers beside it.
 */
import type { AdmissionsRound, RateCell } from '../../schemas/admissions-document.ts';
import type { FairAccessDocument } from '../../schemas/fair-access-document.ts';
import { ADMISSION_STATUS, FUNNEL_STATUS, renderChart } from './charts.ts';
import { DASH, fixed, listText, pText, plural, thousands } from './format.ts';
import { MUTED, type Writer } from './layout.ts';
import { wardMapFigure, type MapFigure, type MapPlacement, type WardSymbol } from './maps.ts';

const q = (s: string) => `\u2018${s}\u2019`;
const pc = (r: number | null | undefined, dp = 1) => (r === null || r === undefined ? DASH : fixed(100 * r, dp));
const status = (f: RateCell['flag'] | null | undefined) => (f === 'lower' ? ADMISSION_STATUS.lower : f === 'higher' ? ADMISSION_STATUS.higher : ADMISSION_STATUS.ns);
const finding = (f: RateCell['flag'] | null | undefined) => (f === 'lower' ? 'lower than the LA' : f === 'higher' ? 'higher than the LA' : f === 'ns' ? 'no clear difference' : DASH);
const km = (v: number | null) => (v === null ? DASH : fixed(v, 1));
const PHASE_WORD: Record<AdmissionsRound['phase'], string> = { secondary: 'secondary', primary: 'primary (reception)', junior: 'junior' };

function place(w: Writer, fig: MapFigure): MapPlacement {
  const box = w.figure(fig.chart, fig.alt);
  return { kind: fig.kind, page: box.page, x: box.x + fig.chart.origin[0], y: box.y + fig.chart.origin[1], width: fig.width, height: fig.height, scale: fig.scale, left: fig.left, top: fig.top };
}

/** The nearest-school finding in words, from the types flagged on both measures. */
export function nearestFinding(r: AdmissionsRound): string {
  const la = r.la.rates;
  const missing = r.supergroups.filter((s) => s.rates.first_preference.flag === 'lower');
  const nearer = r.supergroups.filter((s) => s.rates.nearest_first.flag === 'higher');
  const both = missing.filter((s) => nearer.includes(s));
  const laText = `${pc(la.nearest_first.rate, 0)}% of families across the LA named their nearest ${r.phase} school first`;
  if (both.length) {
    const each = both.map((s) => `${q(s.name)} (${pc(s.rates.nearest_first.rate, 0)}% named the nearest school first; ${pc(s.rates.first_preference.rate, 0)}% were offered their first preference)`);
    const dist = both
      .filter((s) => s.meanFirstKm !== null && s.meanNearestKm !== null)
      .map((s) => `${km(s.meanFirstKm)} km against ${km(s.meanNearestKm)} km to the nearest in ${q(s.name)}`);
    return (
      `${laText}. Families in ${listText(each)} named their nearest school first more often and were offered their first preference less often than families across the LA. ` +
      (dist.length ? `Their first preference was on average ${listText(dist)}, against ${km(r.la.meanFirstKm)} km across the LA. ` : '') +
      `This is the pattern Kent found: families who may expect a preference further away to be refused name the nearest, most accessible school instead. The figures cannot say why.`
    );
  }
  if (nearer.length) return `${laText}; families in ${listText(nearer.map((s) => q(s.name)))} did so more often, but were not clearly less likely to be offered their first preference.`;
  return `${laText}; no neighbourhood type clearly differs from the LA in naming its nearest school first.`;
}

/** The contacted against not-contacted comparison in words. */
export function contactedFinding(r: AdmissionsRound): string {
  const c = r.contacted;
  if (!c) return 'No application matched a family who contacted the Choice Advisers service in this cycle, so the two cannot be compared.';
  const rate = (x: { x: number; n: number }) => (x.n > 0 ? `${pc(x.x / x.n, 0)}% (${thousands(x.x)} of ${thousands(x.n)})` : DASH);
  const w = c.within;
  const verdict =
    w.flag === 'higher'
      ? 'more of the contacted families were offered their first preference than families of the same neighbourhood types who did not contact the service'
      : w.flag === 'lower'
        ? 'fewer of the contacted families were offered their first preference than families of the same neighbourhood types who did not contact the service'
        : 'there is no clear difference between contacted families and families of the same neighbourhood types who did not contact the service';
  return (
    `Families who contacted the service were offered their first preference in ${rate(w.contacted)} of cases, other families in ${rate(w.other)}. ` +
    `Comparing each contacted family with families of its own neighbourhood type (${w.expected === null ? 'expected not defined' : `${thousands(Math.round(w.expected))} first preferences expected, ${thousands(w.contacted.x)} offered`}), ` +
    `${verdict}. Families choose whether to contact the service, so this is a comparison, not a measure of what advice changes.`
  );
}

function roundTitle(r: AdmissionsRound): string {
  return `${PHASE_WORD[r.phase][0]!.toUpperCase()}${PHASE_WORD[r.phase].slice(1)} places for September ${r.entryYear}`;
}

/** One admissions round: summary, chart by type, table, nearest-school finding, contacted vs not, trend. */
async function writeRound(w: Writer, r: AdmissionsRound): Promise<void> {
  const la = r.la.rates;
  w.heading(3, roundTitle(r), 260);
  w.paragraph(
    `${thousands(r.totals.onTime)} on-time applications (${thousands(r.totals.late)} late ones are left out, as in the DfE's offers statistics). ` +
      `${pc(la.first_preference.rate)}% were offered their first preference, ${pc(la.any_preference.rate)}% one of their preferences and ${pc(la.no_preference.rate)}% none of them (a place was allocated). ` +
      `Families named ${r.la.meanPreferences === null ? DASH : fixed(r.la.meanPreferences, 1)} preferences on average.` +
      (r.totals.unclassified > 0 ? ` ${plural(r.totals.unclassified, 'application')} with no classified postcode ${r.totals.unclassified === 1 ? 'is' : 'are'} in the LA figures but in no type.` : ''),
    { size: 9, after: 4 },
  );
  const lower = r.supergroups.filter((s) => s.rates.first_preference.flag === 'lower');
  const higher = r.supergroups.filter((s) => s.rates.first_preference.flag === 'higher');
  const items = [
    {
      lead: 'First preference offered less often:',
      text: lower.length ? `${listText(lower.map((s) => `${q(s.name)} (${pc(s.rates.first_preference.rate, 0)}%)`))}, against ${pc(la.first_preference.rate, 0)}% across the LA.` : 'no neighbourhood type clearly.',
    },
    { lead: 'More often:', text: higher.length ? `${listText(higher.map((s) => `${q(s.name)} (${pc(s.rates.first_preference.rate, 0)}%)`))}.` : 'no neighbourhood type clearly.' },
    { lead: 'The nearest school:', text: nearestFinding(r) },
  ];
  w.list(items, { size: 9 });

  const rows = (m: 'first_preference' | 'nearest_first') =>
    r.supergroups
      .filter((s) => s.rates[m].rate !== null)
      .map((s, i) => ({ name: s.name.length > 28 ? `${s.name.slice(0, 27)}\u2026` : s.name, order: i + 1, rate: 100 * s.rates[m].rate!, lo: 100 * (s.rates[m].ciLow ?? s.rates[m].rate!), hi: 100 * (s.rates[m].ciHigh ?? s.rates[m].rate!), la: 100 * (la[m].rate ?? 0), status: status(s.rates[m].flag) }));
  const first = rows('first_preference');
  const nearest = rows('nearest_first');
  if (first.length) {
    // The LA line is drawn from the row of order 0: one extra row at the LA's rate.
    const laRow = (m: 'first_preference' | 'nearest_first') => ({ name: 'All families (LA)', order: 0, rate: 100 * (la[m].rate ?? 0), lo: 100 * (la[m].ciLow ?? la[m].rate ?? 0), hi: 100 * (la[m].ciHigh ?? la[m].rate ?? 0), la: 100 * (la[m].rate ?? 0), status: ADMISSION_STATUS.ns });
    const chart = await renderChart('admissionsRates', { first: [laRow('first_preference'), ...first], nearest: [laRow('nearest_first'), ...nearest] });
    const alt =
      `Two dot charts by neighbourhood type: the share offered their first preference and the share naming their nearest school first, with ${fixed(100 * r.intervalLevel, 1)}% intervals and the LA's rate as a dashed line. ` +
      (lower.length ? `${listText(lower.map((s) => q(s.name)))} ${lower.length === 1 ? 'is' : 'are'} offered their first preference less often than the LA. ` : 'No type is clearly below the LA. ') +
      nearestFinding(r) +
      ' The numbers are in the table below the chart.';
    w.figure(chart, alt);
    w.space(4);
  }
  w.table(
    [
      { header: 'Neighbourhood type', width: 130 },
      { header: 'On time', width: 42, align: 'right' },
      { header: '1st pref. %', width: 48, align: 'right' },
      { header: 'Interval', width: 60, align: 'right' },
      { header: 'Nearest 1st %', width: 58, align: 'right' },
      { header: 'Km to 1st / nearest', width: 70, align: 'right' },
      { header: 'Finding (1st pref.)', width: w.width - 408 },
    ],
    [
      ...r.supergroups.map((s) => [
        s.name,
        thousands(s.onTime),
        pc(s.rates.first_preference.rate),
        s.rates.first_preference.ciLow === null ? DASH : `${pc(s.rates.first_preference.ciLow)} to ${pc(s.rates.first_preference.ciHigh)}`,
        pc(s.rates.nearest_first.rate),
        `${km(s.meanFirstKm)} / ${km(s.meanNearestKm)}`,
        finding(s.rates.first_preference.flag),
      ]),
      ['All families (LA)', thousands(r.la.onTime), pc(la.first_preference.rate), DASH, pc(la.nearest_first.rate), `${km(r.la.meanFirstKm)} / ${km(r.la.meanNearestKm)}`, ''],
    ],
    { size: 8, pad: 2.5, keepTogether: true, strong: (row) => r.supergroups[row]?.rates.first_preference.flag === 'lower' },
  );
  w.paragraph(`Each interval is the range the type's true share is likely to lie in, made wide enough to allow for the ${r.supergroups.length} types compared; a type is called lower or higher only when its interval leaves out the LA's rate (the tests are in Appendix A).`, {
    size: 8,
    color: MUTED,
    after: 6,
  });

  // ------------------------------------------------------------------ contacted vs not
  w.heading(3, `Did families who contacted the service fare differently? (${r.phase}, ${r.entryYear})`, 120);
  w.paragraph(contactedFinding(r), { size: 9, after: 4 });
  if (r.contacted) {
    const ratio = (x: { x: number; n: number }) => (x.n > 0 ? `${pc(x.x / x.n, 0)}% (${thousands(x.x)}/${thousands(x.n)})` : DASH);
    w.table(
      [
        { header: 'Neighbourhood type', width: 150 },
        { header: 'Contacted: 1st pref. offered', width: 110, align: 'right' },
        { header: 'Not contacted', width: 100, align: 'right' },
        { header: 'Finding', width: w.width - 360 },
      ],
      [
        ...r.contacted.supergroups.filter((s) => s.contacted.n > 0).map((s) => [s.name, ratio(s.contacted), ratio(s.other), s.flag === 'higher' ? 'contacted higher' : s.flag === 'lower' ? 'contacted lower' : s.flag === 'ns' ? 'no clear difference' : DASH]),
        ['Within types (stratified)', ratio(r.contacted.within.contacted), ratio(r.contacted.within.other), r.contacted.within.flag === 'higher' ? 'contacted higher' : r.contacted.within.flag === 'lower' ? 'contacted lower' : 'no clear difference'],
      ],
      { size: 8, pad: 2.5, keepTogether: true },
    );
  }

  // ------------------------------------------------------------------ trend
  const moving = r.trend.filter((t) => t.byYear.length > 1);
  if (moving.length) {
    const years = [...new Set(moving.flatMap((t) => t.byYear.map((y) => y.entryYear)))].sort();
    w.heading(3, `First preferences offered over the years (${r.phase})`, 100);
    w.table(
      [
        { header: 'Neighbourhood type', width: 170 },
        ...years.map((y) => ({ header: `${y} %`, width: 55, align: 'right' as const })),
        { header: 'Change (points)', width: 70, align: 'right' },
        { header: 'Finding', width: w.width - 240 - 55 * years.length },
      ],
      moving.map((t) => [
        t.name,
        ...years.map((y) => pc(t.byYear.find((b) => b.entryYear === y)?.rate ?? null)),
        t.change === null ? DASH : `${t.change > 0 ? '+' : ''}${fixed(100 * t.change, 1)}`,
        t.flag === null ? DASH : t.flag === 'ns' ? 'no clear change' : t.flag,
      ]),
      { size: 8, pad: 2.5, keepTogether: true },
    );
  }
}

/** Where first preferences are missed: a circle per ward (area = missed first preferences, colour = the ward's finding). */
async function writeMissedMap(w: Writer, d: FairAccessDocument, r: AdmissionsRound): Promise<MapPlacement | null> {
  if (!d.map || r.wards.length === 0) return null;
  const lower = r.wards.filter((x) => x.flag === 'lower');
  const most = [...r.wards].sort((a, b) => b.missed - a.missed || (a.code < b.code ? -1 : 1))[0]!;
  const wardName = (x: { code: string; name: string | null }) => x.name ?? x.code;
  const symbols: WardSymbol[] = r.wards.map((x) => ({ code: x.code, name: x.name, value: x.missed, status: status(x.flag), label: x.flag === 'lower' ? wardName(x) : null }));
  const missedTotal = r.wards.reduce((s, x) => s + x.missed, 0);
  const alt =
    `Map of the LA's wards, each a circle whose area is the number of on-time ${r.phase} applications for ${r.entryYear} not offered their first preference (${thousands(missedTotal)} in all), coloured by whether the ward's rate is lower than the LA's. ` +
    (lower.length ? `${plural(lower.length, 'ward')} ${lower.length === 1 ? 'is' : 'are'} clearly lower: ${listText(lower.slice(0, 5).map(wardName))}${lower.length > 5 ? ' and others' : ''}. ` : 'No ward is clearly lower than the LA. ') +
    `Most first preferences were missed in ${wardName(most)} (${thousands(most.missed)}). The numbers are in the table below the map.`;
  w.heading(3, `Where first preferences are missed (${r.phase}, ${r.entryYear})`, 420);
  const fig = await wardMapFigure('firstPrefWardMap', d.map, symbols, alt);
  const placed = place(w, fig);
  w.space(4);
  const TOP = 12;
  w.table(
    [
      { header: 'Ward (GSS code)', width: 190 },
      { header: 'On time', width: 50, align: 'right' },
      { header: '1st pref. %', width: 55, align: 'right' },
      { header: 'Missed', width: 50, align: 'right' },
      { header: 'Finding', width: w.width - 345 },
    ],
    r.wards.slice(0, TOP).map((x) => [`${wardName(x)} (${x.code})`, thousands(x.onTime), pc(x.rate), thousands(x.missed), finding(x.flag)]),
    { size: 8, pad: 2.5, strong: (row) => r.wards[row]?.flag === 'lower' },
  );
  if (r.wards.length > TOP) w.paragraph(`The ${TOP} wards with the strongest evidence of a lower rate are shown, of ${thousands(r.wards.length)}; all are in the published table admissions_by_ward.`, { size: 8, color: MUTED, after: 4 });
  return placed;
}

/**
 * Appendix A's item for "Who gets their first choice": the tests behind its words, which the body
 * gives in plain words only (every adjusted p-value is in the analysts' admissions tables).
 */
export function admissionsTestItems(d: FairAccessDocument): { lead: string; text: string }[] {
  const rounds = d.admissions?.rounds ?? [];
  if (rounds.length === 0) return [];
  const r0 = rounds[0]!;
  const within = rounds
    .filter((r) => r.contacted)
    .map((r) => `${r.phase} ${r.entryYear}: ${r.contacted!.within.expected === null ? 'expected not defined' : `${fixed(r.contacted!.within.expected, 1)} expected`}, ${thousands(r.contacted!.within.contacted.x)} offered, p ${pText(r.contacted!.within.p)}`);
  return [
    {
      lead: 'First choice.',
      text:
        `Each type's share offered its first preference (and naming its nearest school first) has an exact (Clopper-Pearson) interval at ${fixed(100 * r0.intervalLevel, 2)}% and an exact binomial test against the LA's rate, Bonferroni-adjusted for the ${r0.supergroups.length} types compared. ` +
        `Contacted against not contacted: within each type by Fisher's exact test, Bonferroni-adjusted, and across types by an exact stratified test${within.length ? ` (${within.join('; ')})` : ''}. ` +
        'Changes across entry years by Fisher\'s exact test, wards by an exact binomial test against the LA rate, both adjusted for the number compared. Every adjusted p-value is in the tables admissions_contacted, admissions_trend and admissions_by_ward.',
    },
  ];
}

/** "Who gets their first choice": every round of the cycle, then where first preferences are missed. */
export async function writeAdmissionsSection(w: Writer, d: FairAccessDocument): Promise<MapPlacement[]> {
  const a = d.admissions;
  if (!a || a.rounds.length === 0) return [];
  w.newPage();
  w.heading(2, 'Who gets their first choice', 120);
  w.paragraph(
    `Kent's earlier analysis of school preferences found that families from some neighbourhood types were offered their first choice of school more often than others, ` +
      `and that others seemed to accept the nearest, most accessible school. These pages repeat it each year from the coordinated admissions round, by the home postcode's type (${a.classification}). ` +
      `The nearest school is the nearest open school of the phase in a straight line from the home postcode.`,
    { size: 9, after: 6 },
  );
  const maps: MapPlacement[] = [];
  for (const r of a.rounds) await writeRound(w, r);
  for (const r of a.rounds) {
    const m = await writeMissedMap(w, d, r);
    if (m) maps.push(m);
  }
  return maps;
}

/**
 * Where the under-represented families live against where the service's clients come from: a
 * circle per ward (area = base pupils in the under-represented types, colour = clients against the
 * control limits), with the wards' table already in the report (placeSection).
 */
export async function writeClientWardMap(w: Writer, d: FairAccessDocument): Promise<MapPlacement | null> {
  if (!d.map || d.wards.length === 0) return null;
  const st = (f: string | null) => (f === 'below' ? FUNNEL_STATUS.below : f === 'above' ? FUNNEL_STATUS.above : FUNNEL_STATUS.within);
  const below = d.wards.filter((p) => p.flag === 'below');
  const name = (p: { code: string; name?: string | null }) => p.name ?? p.code;
  const symbols: WardSymbol[] = d.wards.map((p) => ({ code: p.code, name: p.name ?? null, value: p.baseN, status: st(p.flag), label: p.flag === 'below' ? name(p) : null }));
  const biggest = [...d.wards].sort((a, b) => b.baseN - a.baseN || (a.code < b.code ? -1 : 1))[0]!;
  const alt =
    `Map of the LA's wards, each a circle whose area is the number of pupils living there in the under-represented neighbourhood types, coloured by whether the ward's clients of those types are below, within or above the control limits of the number expected. ` +
    (below.length ? `${plural(below.length, 'ward')} ${below.length === 1 ? 'is' : 'are'} below the limits: ${listText(below.slice(0, 5).map(name))}${below.length > 5 ? ' and others' : ''}. ` : 'No ward is below the limits. ') +
    `Most of these families live in ${name(biggest)} (${thousands(biggest.baseN)} pupils; ${thousands(biggest.actual)} client families against ${fixed(biggest.expected, 1)} expected). The numbers are in the wards table.`;
  w.heading(3, 'Where the under-represented families live, and where clients come from', 420);
  const placed = place(w, await wardMapFigure('faWardMap', d.map, symbols, alt));
  w.paragraph('Circle area: pupils in the under-represented types living in the ward. Colour: the ward\u2019s client families in those types against the control limits (the wards table above).', {
    size: 8,
    color: MUTED,
    after: 6,
  });
  return placed;
}
