/**
 * The school community profile PDF (A4, normally 4 or 5 pages with the map) for a head teacher, from one
 * ProfileDocument. Kent's lesson drives the content: tailored to the school (its own summary
 * sentences, its cluster, schools like it), plain words, and honest about what a postcode
 * classification cannot see.
 *
 * Disclosure control: every count printed comes from the document (rounded to 5, or "c") through
 * countText(), which also prints "c" for any small number that should not be there. Nothing is
 * recomputed; the "Reading this profile" box gives the rounding rule in one sentence.
 */
import type { ProfileDocument, SegmentRow } from '../../schemas/profile-document.ts';
import { PROFILE_STATUS, clampIndex, offScale, renderChart } from './charts.ts';
import { DASH, ciText, countText, fixed, indexText, isHiddenCount, listText, pctText, periodDate, plural, ratioWords, thousands } from './format.ts';
import { ACCENT, INK, MUTED, Writer, type FigureBox } from './layout.ts';
import { AFFLUENT_LOOKING, groupPortrait, oacNames, penPortrait, supergroupDigit, supergroupName } from './pen-portraits.ts';
import { RENDERER_VERSION } from './version.ts';
import type { MapPlacement } from './maps.ts';
import { writeSchoolMap } from './profile-map.ts';

export interface RenderedPdf {
  pdf: Uint8Array;
  pages: number;
  /** Chart positions (points from the top-left of the page), for tests and accessibility checks. */
  figures: FigureBox[];
  /** Where each map's plot is and the metres it shows (tests read the page image with it). */
  maps?: MapPlacement[];
}

const q = (s: string) => `\u2018${s}\u2019`; // ‘quoted’ names

/** Named destination of the "Reading this profile" box (linked from page 1). */
const READING_DEST = 'reading-this-profile';

/** A row is hidden when its count is "c" (or a small number that slipped through). */
function hidden(r: { n: SegmentRow['n'] }, threshold: number): boolean {
  return isHiddenCount(r.n, threshold);
}

function statusOf(r: SegmentRow, threshold: number): string | null {
  if (hidden(r, threshold) || r.index === null) return null;
  if (!r.reliable) return PROFILE_STATUS.unreliable;
  if (r.flag === 'over') return PROFILE_STATUS.higher;
  if (r.flag === 'under') return PROFILE_STATUS.lower;
  return PROFILE_STATUS.ns;
}

/** The table's reading of a row: status in words first, then how much more or less common. */
function noteOf(r: SegmentRow, threshold: number): string {
  if (hidden(r, threshold)) return `fewer than ${threshold} pupils`;
  if (r.index === null) return DASH;
  const how = r.index === 0 ? 'none of your pupils' : ratioWords(r.index);
  if (!r.reliable) return `small numbers: ${how}`;
  if (r.flag === 'over') return `higher: ${how}`;
  if (r.flag === 'under') return `lower: ${how}`;
  return `no clear difference (${how})`;
}

/** "about 3 times as common as among all pupils in …" / "much less common than among …". */
/** The base in a few words: "across the LA", "across your cluster". */
export function acrossBase(d: ProfileDocument): string {
  return d.base.kind === 'la' ? 'across the LA' : d.base.kind === 'cluster' ? 'across your cluster' : 'across schools of your phase';
}

export function comparedWords(index: number, base: string): string {
  if (index === 0) return `none of your classified pupils, though some ${base.replace(/^across/, 'are found across')}`;
  const w = ratioWords(index);
  return `${w} ${w.startsWith('much less') ? 'than' : 'as'} ${base}`;
}

const byCode = (a: { code: string }, b: { code: string }) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/**
 * A key-fact tile. A headline never shows a bare "c": a hidden count reads "under 5" and its label
 * says it is a number of pupils too small to show.
 */
function tile(value: number | null, hiddenCount: boolean, T: number, label: string, hiddenLabel: string, fmt: (x: number) => string): { value: string; label: string } {
  if (value !== null) return { value: fmt(value), label };
  if (hiddenCount) return { value: `under ${T}`, label: hiddenLabel };
  return { value: DASH, label };
}

/** "95%", "99.4%": the level of the intervals drawn at a level. */
const levelText = (level: number) => `${fixed(100 * level, level > 0.999 ? 2 : 1)}%`;

export async function renderProfilePdf(d: ProfileDocument): Promise<RenderedPdf> {
  const T = d.threshold;
  const s = d.school;
  const baseLabel = d.base.label;
  const w = new Writer({
    title: `${s.name}: school community profile ${d.period}`,
    subject: `Community profile of ${s.name} (URN ${s.urn}) from pupils' home postcodes, ${d.classification.name}, compared with ${baseLabel}`,
    author: d.laName,
    keywords: `school profile; URN ${s.urn}; ${d.classification.name}; ${d.period}`,
    footerLead: s.name,
    footer: ` (URN ${s.urn}) \u00b7 community profile ${d.period} \u00b7 ${d.laName} \u00b7 numbers rounded to ${d.disclosure.roundingBase}, 1 to ${T - 1} shown as c`,
    idSeed: `${s.urn}|${d.period}|${RENDERER_VERSION}`,
    date: periodDate(d.period),
  });

  // Segments absent from both the school and the base (e.g. OAC's pseudo code for the Channel
  // Islands and Isle of Man) carry no information: leave them out.
  const present = (r: { n: SegmentRow['n']; basePct: number }) => r.n !== 0 || r.basePct > 0;
  const supergroups = [...d.segments.supergroup].filter(present).sort(byCode);
  const shown = supergroups.filter((r) => !hidden(r, T) && r.pct !== null);

  // ------------------------------------------------------------------ header
  w.paragraph(`SCHOOL COMMUNITY PROFILE \u00b7 ${d.period}`, { size: 8.5, face: 'semibold', color: ACCENT, after: 2 });
  w.heading(1, s.name, 80);
  w.paragraph(`URN ${s.urn} \u00b7 ${s.phase} \u00b7 ${s.cluster ? `${s.cluster} cluster \u00b7 ` : ''}${d.laName}`, { size: 10, color: INK, after: 1 });
  w.paragraph(`${d.classification.name}, postcodes ${d.classification.vintage} \u00b7 compared with ${baseLabel} \u00b7 pupil data ${d.period}`, {
    size: 8.5,
    color: MUTED,
    after: 8,
  });

  // ------------------------------------------------------------------ key facts
  const k = d.keyFacts;
  const matchHidden = (status: string) => d.matchStatus.some((m) => m.status === status && isHiddenCount(m.n, T));
  const pctOf = (x: number) => `${fixed(x, 1)}%`;
  const countOf = (x: number) => countText(x, T);
  const num = (c: typeof k.pupils) => (typeof c === 'number' ? c : null);
  const tiles: { value: string; label: string }[] = [
    tile(num(k.pupils), isHiddenCount(k.pupils, T), T, 'pupils', 'pupils (too few to show the number)', countOf),
    tile(k.matchRatePct, isHiddenCount(k.matched, T), T, 'matched to their postcode', 'pupils matched to their postcode', pctOf),
    tile(k.fsmPct, isHiddenCount(k.fsm, T), T, 'eligible for free school meals', 'pupils eligible for free school meals', pctOf),
    tile(k.sectorImputedPct, matchHidden('sector'), T, "given their postcode sector's type", "pupils given their postcode sector's type", pctOf),
    tile(num(k.unclassified), isHiddenCount(k.unclassified, T), T, 'not classified (no usable postcode)', 'pupils not classified (no usable postcode)', countOf),
  ];
  w.keyFacts(tiles);

  // ------------------------------------------------------------------ in brief
  w.heading(2, 'In brief', 40);
  w.list(summaryBullets(d, supergroups), { size: 9 });
  w.paragraph(
    `New to these profiles? ${q('Reading this profile')}, just after the table of neighbourhood types below, explains the index, the intervals, the rounding and what a postcode classification cannot see.`,
    { size: 8.5, color: ACCENT, after: 2, goTo: READING_DEST },
  );

  // ------------------------------------------------------------------ supergroups
  w.heading(2, 'Neighbourhood types of your pupils (OAC supergroups)', 220);
  w.paragraph(
    `Each pupil's home postcode places them in one of eight neighbourhood types. Left: your pupils against ${baseLabel}. ` +
      `Right: how much more or less common each type is among your pupils (the index, 100 = the same share), with its confidence interval (${levelText(d.intervals.supergroup)}, allowing for the ${supergroups.filter((r) => r.basePct > 0).length} types compared).`,
    { size: 9, color: INK, after: 4 },
  );
  const { comp, idx } = supergroupChartRows(d, supergroups);
  const sgChart = await renderChart('profileSupergroups', { comp, idx });
  w.figure(sgChart, supergroupAlt(d, comp, idx));
  w.space(4);
  const classifiedNote = isHiddenCount(k.classified, T) ? 'the pupils' : `the ${countText(k.classified, T)} pupils`;
  w.paragraph(`Base: ${baseLabel}. School % is of ${classifiedNote} whose postcode could be classified; pupils without one are left out. Pupils rounded to the nearest ${d.disclosure.roundingBase}${coarseNote(d, 'supergroup')}; c = fewer than ${T}.`, {
    size: 8,
    color: MUTED,
    after: 4,
  });

  w.table(
    [
      { header: 'Neighbourhood type (supergroup)', width: 150 },
      { header: 'Pupils', width: 38, align: 'right' },
      { header: 'School %', width: 44, align: 'right' },
      { header: `Base %`, width: 40, align: 'right' },
      { header: 'Among your pupils', width: w.width - 370 },
      { header: 'Index', width: 40, align: 'right' },
      { header: 'Interval', width: 58, align: 'right' },
    ],
    [
      ...supergroups.map((r) => {
        const h = hidden(r, T);
        return [r.name, countText(r.n, T), pctText(r.pct, h), pctText(r.basePct), noteOf(r, T), indexText(r.index, h), ciText(r.ciLow, r.ciHigh, h)];
      }),
      ...(k.unclassified !== 0 ? [[`${NOT_CLASSIFIED} (not classified)`, countText(k.unclassified, T), DASH, DASH, 'not in the shares or the index', DASH, DASH]] : []),
    ],
    { muted: (row) => row >= supergroups.length || hidden(supergroups[row]!, T) || !supergroups[row]!.reliable, keepTogether: true, size: 8, pad: 2.5 },
  );

  // ------------------------------------------------------------------ match status
  if (d.matchStatus.length) {
    w.heading(3, 'How pupils were matched to a neighbourhood', 80);
    w.table(
      [
        { header: 'Postcode match', width: 300 },
        { header: 'Pupils', width: 70, align: 'right' },
        { header: '% of pupils', width: 70, align: 'right' },
      ],
      d.matchStatus.map((m) => [matchLabel(m.status), countText(m.n, T), pctText(m.pct, isHiddenCount(m.n, T))]),
      { x: w.left },
    );
  }

  // ------------------------------------------------------------------ reading this profile
  const reading = readingItems(d);
  w.panel(
    'Reading this profile',
    (width) => w.measureList(reading, 8.5, width) + 3,
    (x, width) => w.list(reading, { size: 8.5, x, width, after: 0 }),
    { destination: READING_DEST },
  );

  // ------------------------------------------------------------------ top subgroups with pen portraits
  w.heading(2, 'The neighbourhoods most of your pupils come from', 120);
  w.paragraph(
    'The most common detailed neighbourhood types (subgroups) among your pupils, grouped under the broad type they belong to. ' +
      "The descriptions are the ONS's national pen portraits, written for the whole of the UK: they describe the typical neighbourhood of each type anywhere in the country, not the neighbourhoods of " +
      `${d.laName}, and not any child or family.`,
    { size: 9, after: 6 },
  );
  const top = topSubgroups(d, 5);
  if (top.length === 0) {
    w.paragraph(`No subgroup has ${T} or more pupils, so none can be shown.`, { size: 9.5, color: MUTED });
  }
  const bySg = new Map<string, SegmentRow[]>();
  for (const r of top) {
    const key = supergroupDigit(r.code) ?? r.code;
    if (!bySg.has(key)) bySg.set(key, []);
    bySg.get(key)!.push(r);
  }
  for (const [digit, rows] of bySg) {
    const sgRow = supergroups.find((x) => supergroupDigit(x.code) === digit);
    const edition = d.classification.edition;
    const sgName = sgRow?.name ?? supergroupName(rows[0]!.code, edition) ?? rows[0]!.name;
    const portrait = penPortrait(sgRow?.code ?? digit, sgName, sgRow?.description ?? null, edition);
    const described = new Set<string>();
    w.heading(3, sgName, 60);
    if (portrait) w.paragraph(`Across the UK (ONS national description): ${portrait}`, { size: 8.5, color: INK, after: 3 });
    w.list(
      rows.map((r) => {
        const names = oacNames(r.code, edition);
        const h = hidden(r, T);
        // A group's portrait (OAC 2021 has them) once, with its first subgroup shown.
        const gp = described.has(r.code.slice(0, 2)) ? null : groupPortrait(r.code, edition);
        described.add(r.code.slice(0, 2));
        const facts = [`${countText(r.n, T)} pupils`, `${pctText(r.pct, h)}% of your classified pupils`, `${pctText(r.basePct)}% across the base`];
        if (r.index !== null && !h) facts.push(`index ${indexText(r.index)}${r.reliable ? '' : ' (small numbers)'}`);
        const desc = r.description && r.description.trim() ? ` ${r.description.trim()}` : '';
        return {
          lead: `${r.name} (${r.code})`,
          text: `${names ? `in the group ${q(names.group)}${gp ? ` (${gp.replace(/\.$/, '')})` : ''}: ` : ''}${facts.join(', ')}.${desc}`,
        };
      }),
      { size: 8.5 },
    );
  }

  // ------------------------------------------------------------------ IMD
  w.heading(2, 'Deprivation: where your pupils live on the Index of Multiple Deprivation', 200);
  w.paragraph(imdSentence(d), { size: 9, after: 4 });
  const imdRows = imdChartRows(d);
  const imdChart = await renderChart('imd', { imd: imdRows });
  w.figure(imdChart, imdAlt(d, imdRows));
  w.space(4);

  // ------------------------------------------------------------------ where pupils live
  const mapPlaced = await writeSchoolMap(w, d);
  const maps = mapPlaced ? [mapPlaced] : [];

  // ------------------------------------------------------------------ similar schools
  w.heading(2, 'Schools with a similar mix of neighbourhoods', 90);
  if (d.similarSchools.length === 0) {
    w.paragraph('No similar schools were found for this profile.', { size: 9.5, color: MUTED });
  } else {
    w.paragraph(
      `These ${s.phase.toLowerCase()} schools have the pupil neighbourhood mix most like yours. They are matched on the mix of neighbourhood types only, ` +
        `not on location, so they need not be your neighbours: the distance shows how far away each one is. Similarity runs from 0 (nothing in common) to 1 (the same mix).`,
      { size: 9, after: 4 },
    );
    w.table(
      [
        { header: 'School', width: 275 },
        { header: 'URN', width: 70 },
        { header: 'Similarity', width: 80, align: 'right' },
        { header: 'Distance', width: w.width - 425, align: 'right' },
      ],
      d.similarSchools.map((x) => [x.name, x.urn, fixed(x.similarity, 2), x.distanceKm === null ? DASH : `${fixed(x.distanceKm, 1)} km`]),
    );
  }

  // ------------------------------------------------------------------ cluster
  const cl = d.cluster;
  if (!cl) {
    w.heading(2, 'Cluster', 40);
    w.paragraph('No cluster is recorded for this school in the local authority’s data, so this profile has no cluster comparison.', { size: 9.5, color: MUTED });
    const pdf = await w.finish();
    return { pdf, pages: w.pageCount, figures: w.figures, maps };
  }
  w.heading(2, `How ${s.name} compares within the ${cl.name} cluster`, 210);
  w.paragraph(clusterSentence(d), { size: 9, after: 4 });
  const shownCodes = new Set(supergroups.map((r) => r.code));
  // The school's own share is hidden wherever its supergroup count is (even if the document slipped).
  const hiddenCodes = new Set(d.segments.supergroup.filter((r) => hidden(r, T)).map((r) => r.code));
  const clRows = [...cl.supergroups]
    .filter((r) => shownCodes.has(r.code) || r.max > 0)
    .sort(byCode)
    .map((r, i) => {
      const school = hiddenCodes.has(r.code) ? null : r.schoolPct;
      return { name: chartName(r.name), fullName: r.name, order: i, min: r.min, median: r.median, max: r.max, school, label: school === null ? 'c' : `${fixed(school, 1)}%` };
    });
  const clChart = await renderChart('clusterRange', { cl: clRows });
  w.figure(clChart, clusterAlt(d, clRows));
  w.paragraph(
    `Grey bar: the range from the lowest to the highest share among the ${plural(cl.schools, 'school')} in the cluster; dark tick: the middle school (median); ` +
      `dark blue dot and figure: your school${clRows.some((r) => r.school === null) ? ' ("c" where your number is hidden)' : ''}.`,
    { size: 8, color: MUTED, after: 4 },
  );


  const pdf = await w.finish();
  return { pdf, pages: w.pageCount, figures: w.figures, maps };
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/**
 * A segment name short enough for a chart's axis (OAC 2021 names run to 43 characters, which would
 * push the charts off the page); the tables beside the charts and the alt text carry them whole.
 */
function chartName(name: string, max = 27): string {
  return name.length <= max ? name : `${name.slice(0, max - 1).trimEnd()}\u2026`;
}

function summaryBullets(d: ProfileDocument, supergroups: SegmentRow[]): { lead?: string; text: string }[] {
  const T = d.threshold;
  const base = d.base.label;
  const out: { lead?: string; text: string }[] = [];
  const visible = supergroups.filter((r) => !hidden(r, T) && r.pct !== null);
  const topRow = [...visible].filter((r) => typeof r.n === 'number' && r.n > 0).sort((a, b) => (b.pct ?? 0) - (a.pct ?? 0))[0];
  if (topRow) {
    out.push({
      lead: 'Most common type:',
      text: `${q(topRow.name)}, ${fixed(topRow.pct!, 0)}% of your classified pupils, against ${fixed(topRow.basePct, 0)}% among ${base}.`,
    });
  }
  const sig = (flag: 'over' | 'under') =>
    visible
      .filter((r) => r.reliable && r.flag === flag && r.index !== null)
      .sort((a, b) => (flag === 'over' ? b.index! - a.index! : a.index! - b.index!))
      .slice(0, 3);
  const over = sig('over');
  const under = sig('under');
  // Plain words first; the index and its interval in brackets for those who want them.
  const said = (r: SegmentRow) => `${q(r.name)}: ${comparedWords(r.index!, acrossBase(d))} (index ${indexText(r.index)}, interval ${ciText(r.ciLow, r.ciHigh)})`;
  for (const r of over) out.push({ lead: 'More common:', text: `${said(r)}.` });
  for (const r of under) out.push({ lead: 'Less common:', text: `${said(r)}.` });
  if (!over.length && !under.length) {
    out.push({ text: `No neighbourhood type is clearly more or less common among your pupils than across ${base}: every confidence interval includes 100.` });
  }
  const k = d.keyFacts;
  if (typeof k.classified === 'number' && k.classified < 30) {
    out.push({ lead: 'Small numbers:', text: 'fewer than 30 pupils could be classified, so read every difference with great caution.' });
  }
  if (k.sectorImputedPct !== null && k.sectorImputedPct >= 2) {
    out.push({
      lead: 'New homes?',
      text:
        `${fixed(k.sectorImputedPct, 1)}% of pupils have postcodes too new for the classification (often new housing) and were given the most common type of their postcode sector. ` +
        'New developments that mix private and housing-association homes can look more affluent here than they are.',
    });
  } else if (topRow && (d.classification.edition === 'oac21' ? AFFLUENT_LOOKING.oac21 : d.classification.edition === 'oac11' ? AFFLUENT_LOOKING.oac11 : new Set<string>()).has(supergroupDigit(topRow.code) ?? '')) {
    out.push({
      lead: 'Check against what you know:',
      text: 'a new development with housing-association homes among private ones can look more affluent in this profile than its families are.',
    });
  }
  return out;
}

function topSubgroups(d: ProfileDocument, n: number): SegmentRow[] {
  const T = d.threshold;
  return d.segments.subgroup
    .filter((r) => !hidden(r, T) && typeof r.n === 'number' && r.n > 0)
    .sort((a, b) => (b.n as number) - (a.n as number) || byCode(a, b))
    .slice(0, n);
}

function imdSentence(d: ProfileDocument): string {
  const T = d.threshold;
  const lowest = d.imd.filter((r) => r.decile <= 2);
  const base = d.base.label;
  const intro =
    'The Index of Multiple Deprivation ranks every small neighbourhood (LSOA) in England; decile 1 is the most deprived tenth, decile 10 the least. ' +
    'It describes the neighbourhood, not the family.';
  if (lowest.length === 2 && lowest.every((r) => !isHiddenCount(r.n, T) && r.pct !== null)) {
    const school = lowest.reduce((s, r) => s + (r.pct ?? 0), 0);
    const b = lowest.reduce((s, r) => s + r.basePct, 0);
    return `${intro} ${fixed(school, 0)}% of your pupils live in the most deprived fifth of neighbourhoods in England (deciles 1 and 2), against ${fixed(b, 0)}% across ${base}.`;
  }
  return `${intro} Some deciles have fewer than ${T} of your pupils and are shown as c.`;
}

function clusterSentence(d: ProfileDocument): string {
  const cl = d.cluster!;
  const base = `Your school is one of ${plural(cl.schools, 'school')} in the ${cl.name} cluster.`;
  if (cl.schools < 2) return base;
  const highest = cl.supergroups.filter((r) => r.schoolPct !== null && r.max > r.min && r.schoolPct >= r.max);
  const lowest = cl.supergroups.filter((r) => r.schoolPct !== null && r.max > r.min && r.schoolPct <= r.min);
  const parts: string[] = [];
  if (highest.length) parts.push(`the highest share of pupils from ${listText(highest.map((r) => q(r.name)))} neighbourhoods`);
  if (lowest.length) parts.push(`the lowest share from ${listText(lowest.map((r) => q(r.name)))}`);
  if (!parts.length) return `${base} For every neighbourhood type your share lies within the range of the other schools.`;
  return `${base} Within it, yours has ${parts.join(', and ')}.`;
}

/** " (nearest 10 for …)" when the disclosure audit rounded some of a level's counts, or the total, to 10. */
function coarseNote(d: ProfileDocument, level: 'supergroup'): string {
  const names = d.disclosure.roundedCoarse
    .map((k) => (k === 'classified' ? 'the total' : k.startsWith(`${level}:`) ? d.segments[level].find((r) => `${level}:${r.code}` === k)?.name : undefined))
    .filter((x): x is string => !!x);
  return names.length ? ` (nearest ${d.disclosure.coarseBase} for ${listText(names.map((x) => (x === 'the total' ? x : q(x))))})` : '';
}

function matchLabel(status: string): string {
  const m: Record<string, string> = {
    exact: 'Exact postcode',
    terminated: 'Postcode no longer in use (last known location)',
    sector: 'New postcode: given the most common type of its sector',
    unmatched: 'Postcode not found',
    invalid: 'Missing or invalid postcode',
  };
  return m[status] ?? status;
}

function readingItems(d: ProfileDocument): { lead: string; text: string }[] {
  const T = d.threshold;
  const base = d.base.label;
  return [
    {
      lead: 'Index.',
      text: `100 means a neighbourhood type is as common among your pupils as across ${base}; 200 means twice as common, 50 half as common.`,
    },
    {
      lead: 'Confidence interval.',
      text: `The line through each index dot is the range the index could plausibly take given the number of pupils, made wide enough to allow for comparing every type at once (${levelText(d.intervals.supergroup)} for each of the eight types). If it crosses 100, the difference may be chance. Triangles point the way of a clear difference; hollow circles mark small numbers (fewer than 30 classified pupils or fewer than 5 expected): read those with caution. The scale runs from 25 to 400; an index beyond it is drawn at the end, with an arrow beside its value.`,
    },
    {
      lead: 'Rounded numbers.',
      text: d.disclosure.rule,
    },
    {
      lead: 'What the classification cannot see.',
      text:
        'It describes the typical household of a small area from the Census, not your families. Mixed or changing areas are averaged: a new housing development ' +
        'that includes housing-association homes can look affluent. Use this profile alongside what you know of your families and other data, such as free school meals.',
    },
    {
      lead: 'Who is counted.',
      text: 'Pupils without a usable postcode are counted in the total and shown as their own outlined bar, as a share of all pupils, but left out of the other percentages and the index. The deprivation chart shows pupils with no English deprivation decile as not known.',
    },
    {
      lead: 'Data.',
      text: `${d.classification.name} (postcode lookup ${d.classification.vintage}); pupil data for ${d.period}; deprivation deciles from the ${d.classification.imd ?? 'English Indices of Deprivation'} (English postcodes only). Compared with ${base}. Produced by ${d.laName}.`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Alt text: what the chart shows, in words, for screen-reader users
// ---------------------------------------------------------------------------------------------

export interface CompRow {
  name: string;
  fullName: string;
  order: number;
  series: string;
  seriesOrder: number;
  pct: number | null;
  hidden: boolean;
  /** The pupils with no usable postcode: their share of all pupils. */
  notKnown: boolean;
  /** The count shown (as printed), for the alt text and the pupils-in-some-bar test. */
  n: string | null;
  note: string | null;
  notePos: number;
}
export interface IdxRow {
  name: string;
  fullName: string;
  order: number;
  hidden: boolean;
  index: number | null;
  lo: number | null;
  hi: number | null;
  status: string;
  label: string;
}

export const NOT_CLASSIFIED = 'No usable postcode';

/**
 * The rows of the supergroup chart: each type's share of the classified pupils, school and base,
 * then the pupils with no usable postcode as a share of all pupils (an outlined bar), so that every
 * pupil is in some bar. The alt text is written from these same rows.
 */
export function supergroupChartRows(d: ProfileDocument, supergroups: SegmentRow[]): { comp: CompRow[]; idx: IdxRow[] } {
  const T = d.threshold;
  const baseLabel = d.base.label;
  const comp: CompRow[] = [];
  const idx: IdxRow[] = [];
  supergroups.forEach((r, i) => {
    const h = hidden(r, T);
    const name = chartName(r.name);
    const shared = { name, fullName: r.name, order: i, hidden: h, notKnown: false, notePos: 0 };
    comp.push({ ...shared, series: 'Your school', seriesOrder: 0, pct: h ? null : r.pct, n: countText(r.n, T), note: h ? 'c' : null });
    comp.push({ ...shared, hidden: false, series: baseLabel, seriesOrder: 1, pct: r.basePct, n: null, note: null });
    const st = statusOf(r, T);
    idx.push({
      name,
      fullName: r.name,
      order: i,
      hidden: st === null,
      index: r.index === null ? null : clampIndex(r.index),
      lo: r.ciLow === null ? null : clampIndex(r.ciLow),
      hi: r.ciHigh === null ? null : clampIndex(r.ciHigh),
      status: st ?? PROFILE_STATUS.ns,
      label: h ? 'c' : r.index === null ? DASH : `${indexText(r.index)}${offScale(r.index) ? (r.index < 100 ? ' \u2190' : ' \u2192') : ''}`,
    });
  });
  const k = d.keyFacts;
  if (k.unclassified !== 0) {
    const pupils = typeof k.pupils === 'number' ? k.pupils : null;
    const h = isHiddenCount(k.unclassified, T);
    const pct = !h && pupils && typeof k.unclassified === 'number' ? Math.min(100, (100 * k.unclassified) / pupils) : null;
    const order = supergroups.length;
    const n = countText(k.unclassified, T);
    const note = h ? `c: fewer than ${T} pupils` : `${n} pupils, ${pctText(pct)}% of all pupils`;
    comp.push({ name: NOT_CLASSIFIED, fullName: NOT_CLASSIFIED, order, series: 'Your school', seriesOrder: 0, pct, hidden: h, notKnown: true, n, note, notePos: pct ?? 0 });
    idx.push({ name: NOT_CLASSIFIED, fullName: NOT_CLASSIFIED, order, hidden: true, index: null, lo: null, hi: null, status: PROFILE_STATUS.ns, label: DASH });
  }
  return { comp, idx };
}

export interface ImdRow {
  decile: number;
  decileLabel: string;
  series: string;
  seriesOrder: number;
  pct: number | null;
  hidden: boolean;
  n: string | null;
}

/** The deprivation chart's rows: deciles 1 to 10, then "not known" (no English IMD decile) when any pupil has none. */
export function imdChartRows(d: ProfileDocument): ImdRow[] {
  const T = d.threshold;
  const rows: ImdRow[] = [];
  const all = [...d.imd].sort((a, b) => a.decile - b.decile).map((r) => ({ ...r, label: r.decile === 1 ? '1 most deprived' : r.decile === 10 ? '10 least' : String(r.decile) }));
  const u = d.imdUnknown;
  if (u.n !== 0 || u.basePct > 0) all.push({ ...u, decile: 11, label: 'Not known' });
  for (const r of all) {
    const h = isHiddenCount(r.n, T);
    rows.push({ decile: r.decile, decileLabel: r.label, series: 'Your school', seriesOrder: 0, pct: h ? null : r.pct, hidden: h, n: countText(r.n, T) });
    rows.push({ decile: r.decile, decileLabel: r.label, series: d.base.label, seriesOrder: 1, pct: r.basePct, hidden: false, n: null });
  }
  return rows;
}

/** "Name: school 12.3% (25 pupils)" / "Name: school fewer than 5 pupils". */
function schoolShare(r: { pct: number | null; hidden: boolean; n: string | null }, T: number, of = ''): string {
  if (r.hidden) return `school fewer than ${T} pupils`;
  return `school ${pctText(r.pct)}%${of}${r.n !== null ? ` (${r.n} pupils)` : ''}`;
}

function supergroupAlt(d: ProfileDocument, comp: CompRow[], idx: IdxRow[]): string {
  const T = d.threshold;
  const parts = idx.map((ir) => {
    const school = comp.find((c) => c.fullName === ir.fullName && c.seriesOrder === 0)!;
    if (school.notKnown) return `${ir.fullName}: ${schoolShare(school, T, ' of all pupils')}, not in the shares or the index`;
    const base = comp.find((c) => c.fullName === ir.fullName && c.seriesOrder === 1)!;
    const row = d.segments.supergroup.find((r) => r.name === ir.fullName);
    const index = ir.hidden
      ? ''
      : `, index ${ir.label.replace(/ [\u2190\u2192]$/, '')}${offScale(row?.index ?? null) ? ' (beyond the scale, drawn at its end)' : ''}${row && row.ciLow !== null ? `, interval ${ciText(row.ciLow, row.ciHigh)}` : ''}, ${ir.status.toLowerCase()}`;
    return `${ir.fullName}: ${schoolShare(school, T)}, base ${pctText(base.pct)}%${index}`;
  });
  return `Bar chart of the share of classified pupils in each of ${idx.filter((r) => r.fullName !== NOT_CLASSIFIED).length} neighbourhood types at the school and across ${d.base.label}, with a dot chart of the index and its interval. ${parts.join('; ')}.`;
}

function imdAlt(d: ProfileDocument, rows: ImdRow[]): string {
  const T = d.threshold;
  const parts = rows
    .filter((r) => r.seriesOrder === 0)
    .map((r) => {
      const base = rows.find((b) => b.decile === r.decile && b.seriesOrder === 1)!;
      return `${r.decile <= 10 ? `decile ${r.decile}` : 'not known'}: ${schoolShare(r, T)}, base ${pctText(base.pct)}%`;
    });
  return `Bar chart of pupils by deprivation decile of their home neighbourhood, as a share of all pupils, school against ${d.base.label}. ${parts.join('; ')}.`;
}

function clusterAlt(d: ProfileDocument, rows: { fullName: string; school: number | null; min: number; median: number; max: number }[]): string {
  const parts = rows.map((r) => `${r.fullName}: school ${r.school === null ? 'hidden' : `${fixed(r.school, 1)}%`}, cluster range ${fixed(r.min, 1)}% to ${fixed(r.max, 1)}%, median ${fixed(r.median, 1)}%`);
  return `Range chart of the share of pupils in each neighbourhood type across the ${thousands(d.cluster!.schools)} schools of the ${d.cluster!.name} cluster, with this school marked. ${parts.join('; ')}.`;
}
