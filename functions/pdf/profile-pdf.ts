/**
 * The school community profile PDF (A4, normally 3 pages) for a head teacher, from one
 * ProfileDocument. Kent's lesson drives the content: tailored to the school (its own summary
 * sentences, its cluster, schools like it), plain words, and honest about what a postcode
 * classification cannot see.
 *
 * Disclosure control: every count printed comes from the document (rounded to 5, or "c") through
 * countText(), which also prints "c" for any small number that should not be there. Nothing is
 * recomputed; the "Reading this profile" box gives the rounding rule in one sentence.
 */
import type { ProfileDocument, SegmentRow } from '../../schemas/profile-document.ts';
import { PROFILE_STATUS, clampIndex, renderChart } from './charts.ts';
import { DASH, SUPPRESSED, ciText, countText, fixed, indexText, isHiddenCount, listText, pctText, periodDate, plural, ratioWords, thousands } from './format.ts';
import { ACCENT, INK, MUTED, Writer, type FigureBox } from './layout.ts';
import { AFFLUENT_LOOKING, groupPortrait, oacNames, penPortrait, supergroupDigit, supergroupName } from './pen-portraits.ts';
import { RENDERER_VERSION } from './version.ts';

export interface RenderedPdf {
  pdf: Uint8Array;
  pages: number;
  /** Chart positions (points from the top-left of the page), for tests and accessibility checks. */
  figures: FigureBox[];
}

const q = (s: string) => `\u2018${s}\u2019`; // ‘quoted’ names

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

function noteOf(r: SegmentRow, threshold: number): string {
  if (hidden(r, threshold)) return 'fewer than ' + threshold;
  if (r.index === null) return DASH;
  if (!r.reliable) return 'small numbers';
  if (r.flag === 'over') return 'higher than base';
  if (r.flag === 'under') return 'lower than base';
  return 'no clear difference';
}

const byCode = (a: { code: string }, b: { code: string }) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/** The match-rate tile: the rate worked out from the shown counts, "c" when they are hidden. */
function matchRateText(k: ProfileDocument['keyFacts'], hiddenCount: boolean): string {
  if (k.matchRatePct !== null) return `${fixed(k.matchRatePct, 1)}%`;
  return hiddenCount ? SUPPRESSED : DASH;
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
  const tiles: { value: string; label: string }[] = [
    { value: countText(k.pupils, T), label: 'pupils' },
    { value: matchRateText(k, isHiddenCount(k.matched, T)), label: 'matched to their postcode' },
    { value: k.fsmPct === null ? SUPPRESSED : `${fixed(k.fsmPct, 1)}%`, label: 'eligible for free school meals' },
    { value: k.sectorImputedPct === null ? (matchHidden('sector') ? SUPPRESSED : DASH) : `${fixed(k.sectorImputedPct, 1)}%`, label: "given their postcode sector's type" },
    { value: countText(k.unclassified, T), label: 'not classified (no usable postcode)' },
  ];
  w.keyFacts(tiles);

  // ------------------------------------------------------------------ in brief
  w.heading(2, 'In brief', 40);
  w.list(summaryBullets(d, supergroups), { size: 9 });

  // ------------------------------------------------------------------ supergroups
  w.heading(2, 'Neighbourhood types of your pupils (OAC supergroups)', 220);
  w.paragraph(
    `Each pupil's home postcode places them in one of eight neighbourhood types. Left: your pupils against ${baseLabel}. ` +
      `Right: the index, how much more or less common each type is among your pupils, with its confidence interval (${levelText(d.intervals.supergroup)}, allowing for the ${supergroups.filter((r) => r.basePct > 0).length} types compared).`,
    { size: 9, color: INK, after: 4 },
  );
  const comp: object[] = [];
  const idx: object[] = [];
  supergroups.forEach((r, i) => {
    const h = hidden(r, T);
    comp.push({ name: chartName(r.name), order: i, series: 'Your school', seriesOrder: 0, pct: h ? null : r.pct, hidden: h });
    comp.push({ name: chartName(r.name), order: i, series: baseLabel, seriesOrder: 1, pct: r.basePct, hidden: false });
    const st = statusOf(r, T);
    idx.push({
      name: chartName(r.name),
      order: i,
      hidden: st === null,
      index: r.index === null ? null : clampIndex(r.index),
      lo: r.ciLow === null ? null : clampIndex(r.ciLow),
      hi: r.ciHigh === null ? null : clampIndex(r.ciHigh),
      status: st ?? PROFILE_STATUS.ns,
      label: h ? 'c' : indexText(r.index),
    });
  });
  const sgChart = await renderChart('profileSupergroups', { comp, idx });
  w.figure(sgChart, supergroupAlt(d, supergroups));
  w.space(4);
  const classifiedNote = isHiddenCount(k.classified, T) ? 'the pupils' : `the ${countText(k.classified, T)} pupils`;
  w.paragraph(`Base: ${baseLabel}. School % is of ${classifiedNote} whose postcode could be classified; pupils without one are left out. Pupils rounded to the nearest ${d.disclosure.roundingBase}${coarseNote(d, 'supergroup')}; c = fewer than ${T}.`, {
    size: 8,
    color: MUTED,
    after: 4,
  });

  w.table(
    [
      { header: 'Neighbourhood type (supergroup)', width: 165 },
      { header: 'Pupils', width: 50, align: 'right' },
      { header: 'School %', width: 52, align: 'right' },
      { header: `Base %`, width: 50, align: 'right' },
      { header: 'Index', width: 44, align: 'right' },
      { header: 'Interval', width: 64, align: 'right' },
      { header: 'Reading', width: w.width - 425 },
    ],
    supergroups.map((r) => {
      const h = hidden(r, T);
      return [r.name, countText(r.n, T), pctText(r.pct, h), pctText(r.basePct), indexText(r.index, h), ciText(r.ciLow, r.ciHigh, h), noteOf(r, T)];
    }),
    { muted: (row) => hidden(supergroups[row]!, T) || !supergroups[row]!.reliable, keepTogether: true, size: 8, pad: 2.5 },
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
  );

  // ------------------------------------------------------------------ top subgroups with pen portraits
  w.heading(2, 'The neighbourhoods most of your pupils come from', 120);
  w.paragraph(
    'The most common detailed neighbourhood types (subgroups) among your pupils, grouped under the broad type they belong to. ' +
      'The descriptions summarise the typical neighbourhood of each type; they describe areas, not any individual child or family.',
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
    if (portrait) w.paragraph(portrait, { size: 8.5, color: INK, after: 3 });
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
  const imdRows: object[] = [];
  for (const r of [...d.imd].sort((a, b) => a.decile - b.decile)) {
    const h = isHiddenCount(r.n, T);
    const decileLabel = r.decile === 1 ? '1 most deprived' : r.decile === 10 ? '10 least' : String(r.decile);
    imdRows.push({ decile: r.decile, decileLabel, series: 'Your school', seriesOrder: 0, pct: h ? null : r.pct, hidden: h });
    imdRows.push({ decile: r.decile, decileLabel, series: baseLabel, seriesOrder: 1, pct: r.basePct, hidden: false });
  }
  const imdChart = await renderChart('imd', { imd: imdRows });
  w.figure(imdChart, imdAlt(d));
  w.space(4);

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
    return { pdf, pages: w.pageCount, figures: w.figures };
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
      return { name: chartName(r.name), order: i, min: r.min, median: r.median, max: r.max, school, label: school === null ? 'c' : `${fixed(school, 1)}%` };
    });
  const clChart = await renderChart('clusterRange', { cl: clRows });
  w.figure(clChart, clusterAlt(d));
  w.paragraph(
    `Grey bar: the range from the lowest to the highest share among the ${plural(cl.schools, 'school')} in the cluster; dark tick: the middle school (median); ` +
      `dark blue dot and figure: your school${clRows.some((r) => r.school === null) ? ' ("c" where your number is hidden)' : ''}.`,
    { size: 8, color: MUTED, after: 4 },
  );


  const pdf = await w.finish();
  return { pdf, pages: w.pageCount, figures: w.figures };
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
      text: `${q(topRow.name)}, ${fixed(topRow.pct!, 0)}% of your classified pupils, against ${fixed(topRow.basePct, 0)}% across ${base}.`,
    });
  }
  const sig = (flag: 'over' | 'under') =>
    visible
      .filter((r) => r.reliable && r.flag === flag && r.index !== null)
      .sort((a, b) => (flag === 'over' ? b.index! - a.index! : a.index! - b.index!))
      .slice(0, 3);
  const over = sig('over');
  const under = sig('under');
  if (over.length) {
    out.push({
      lead: 'More common than across the base:',
      text: `${listText(over.map((r) => `${q(r.name)} (index ${indexText(r.index)}, ${ratioWords(r.index!)})`))}.`,
    });
  }
  if (under.length) {
    out.push({
      lead: 'Less common:',
      text: `${listText(under.map((r) => `${q(r.name)} (index ${indexText(r.index)}, ${ratioWords(r.index!)})`))}.`,
    });
  }
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
      text: `The line through each index dot is the range the index could plausibly take given the number of pupils, made wide enough to allow for comparing every type at once (${levelText(d.intervals.supergroup)} for each of the eight types). If it crosses 100, the difference may be chance. Grey dots mark small numbers (fewer than 30 classified pupils or fewer than 5 expected): read those with caution.`,
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
      text: 'Pupils without a usable postcode are counted in the total but left out of the percentages and the index.',
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

function supergroupAlt(d: ProfileDocument, rows: SegmentRow[]): string {
  const T = d.threshold;
  const parts = rows.map((r) =>
    hidden(r, T)
      ? `${r.name}: fewer than ${T} pupils, base ${fixed(r.basePct, 1)}%`
      : `${r.name}: school ${pctText(r.pct)}%, base ${fixed(r.basePct, 1)}%, index ${indexText(r.index)}${r.ciLow !== null ? ` (interval ${ciText(r.ciLow, r.ciHigh)})` : ''}${r.reliable ? '' : ', small numbers'}`,
  );
  return `Bar chart of the share of pupils in each of ${rows.length} neighbourhood types at the school and across ${d.base.label}, with a dot chart of the index and its confidence interval. ${parts.join('; ')}.`;
}

function imdAlt(d: ProfileDocument): string {
  const T = d.threshold;
  const parts = [...d.imd]
    .sort((a, b) => a.decile - b.decile)
    .map((r) => `decile ${r.decile}: school ${isHiddenCount(r.n, T) ? 'hidden' : `${pctText(r.pct)}%`}, base ${fixed(r.basePct, 1)}%`);
  return `Bar chart of pupils by deprivation decile of their home neighbourhood, school against ${d.base.label}. ${parts.join('; ')}.`;
}

function clusterAlt(d: ProfileDocument): string {
  const hiddenCodes = new Set(d.segments.supergroup.filter((r) => hidden(r, d.threshold)).map((r) => r.code));
  const parts = [...d.cluster!.supergroups]
    .sort(byCode)
    .map((r) => `${r.name}: school ${r.schoolPct === null || hiddenCodes.has(r.code) ? 'hidden' : `${fixed(r.schoolPct, 1)}%`}, cluster range ${fixed(r.min, 1)}% to ${fixed(r.max, 1)}%, median ${fixed(r.median, 1)}%`);
  return `Range chart of the share of pupils in each neighbourhood type across the ${thousands(d.cluster!.schools)} schools of the ${d.cluster!.name} cluster, with this school marked. ${parts.join('; ')}.`;
}
