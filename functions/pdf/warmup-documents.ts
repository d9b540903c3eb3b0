/**
 * Made-up school profile documents for warming up a render thread: same shape as the pipeline's
 * (OAC 2021 segments at three levels, IMD deciles, match status, similar schools, a cluster and a
 * map), with counts from a small seeded generator. Each is rendered and thrown away before the real
 * documents arrive (render-thread.ts), so V8 has compiled the renderer's hot code by then. Nothing
 * here is ever written anywhere; the numbers only need to take the renderer down its usual paths
 * (hidden counts, flags, unreliable rows, long names), not to be consistent statistics.
 */
import { OAC21_NAMES } from '../../schemas/oac21.ts';
import { seededRandom } from '../domain/seeded-random.ts';
import type { Cell, ProfileDocument, SchoolMap, SegmentRow } from '../../schemas/profile-document.ts';

/** The same seed gives the same document. */
const generator = seededRandom;

const THRESHOLD = 5;
const shown = (n: number): Cell => (n === 0 ? 0 : n < THRESHOLD ? 'c' : Math.max(THRESHOLD, Math.round(n / 5) * 5));
const pctOf = (n: Cell, total: number): number | null => (n === 'c' || total <= 0 ? null : (100 * n) / total);

const PLACES = ['Ashcombe', 'Birchgate', 'Claymarsh', 'Darnholt', 'Elmcliffe', 'Foxmere', 'Hartwell Green', 'Kestrel Heath', 'Netherby', 'Rookwell'];
const KINDS: Record<string, readonly string[]> = {
  primary: ['Primary School', 'Community Primary School', "St Thérèse's Catholic Primary School", 'C of E Primary Academy'],
  secondary: ['Academy', 'Grammar School', 'Community College'],
  special: ['Special School'],
};

/** Warm-up document `i` (0, 1, 2, ...): a different school, phase and map each time. */
export function warmupProfileDocument(i: number): ProfileDocument {
  const r = generator(0x5eed + i * 7919);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const phase = i % 7 === 3 ? 'secondary' : i % 11 === 5 ? 'special' : 'primary';
  const place = pick(PLACES);
  const name = `${place} ${pick(KINDS[phase]!)}`;
  const pupils = phase === 'secondary' ? 600 + Math.floor(r() * 1200) : phase === 'special' ? 40 + Math.floor(r() * 120) : 60 + Math.floor(r() * 500);

  // Pupils by subgroup: a lean towards two supergroups, many subgroups empty or small.
  const lean = [pick([...'12345678']), pick([...'12345678'])];
  const weights = OAC21_NAMES.map((s) => (r() < 0.35 ? 0 : r() * (lean.includes(s.code[0]!) ? 8 : 1)));
  const wsum = weights.reduce((a, b) => a + b, 0) || 1;
  const unclassified = Math.floor(pupils * 0.01 * r());
  const classified = pupils - unclassified;
  const sub = weights.map((w) => Math.floor((classified * w) / wsum));
  const baseShare = OAC21_NAMES.map(() => 0.2 + r());
  const baseSum = baseShare.reduce((a, b) => a + b, 0);
  const classifiedShown = shown(classified);
  const total = typeof classifiedShown === 'number' ? classifiedShown : 0;

  const level = (key: (code: string) => string, nameOf: (s: (typeof OAC21_NAMES)[number]) => string, parent: ((code: string) => string) | null, m: number): SegmentRow[] => {
    const rows = new Map<string, { name: string; n: number; base: number }>();
    OAC21_NAMES.forEach((s, k) => {
      const row = rows.get(key(s.code)) ?? { name: nameOf(s), n: 0, base: 0 };
      row.n += sub[k]!;
      row.base += (100 * baseShare[k]!) / baseSum;
      rows.set(key(s.code), row);
    });
    return [...rows].map(([code, row]) => {
      const n = shown(row.n);
      const pct = pctOf(n, total);
      const index = pct === null ? null : (100 * pct) / row.base;
      const half = typeof n === 'number' && n > 0 ? (2.5 + m / 40) / Math.sqrt(n) : 1.5;
      const ciLow = index === null ? null : index * Math.exp(-half);
      const ciHigh = index === null ? null : index * Math.exp(half);
      const flag = index === null ? null : ciLow! > 100 ? 'over' : ciHigh! < 100 ? 'under' : 'ns';
      const reliable = typeof n === 'number' && (row.base * total) / 100 >= 5 && total >= 30;
      return { code, name: row.name, description: null, parent: parent ? parent(code) : null, n, pct, basePct: row.base, index, ciLow, ciHigh, flag, reliable };
    });
  };

  const imdWeights = Array.from({ length: 10 }, (_, d) => Math.exp(-(((d - 9 * r()) / 3) ** 2)));
  const imdSum = imdWeights.reduce((a, b) => a + b, 0);
  const imd = imdWeights.map((w, d) => {
    const n = shown(Math.floor((pupils * w) / imdSum));
    return { decile: d + 1, n, pct: pctOf(n, pupils), basePct: 10 + (r() - 0.5) * 8 };
  });
  const matched = classified - Math.floor(classified * 0.02 * r());
  const fsm = shown(Math.floor(pupils * 0.4 * r()));
  const statuses = [
    ['exact', matched - 3],
    ['terminated', 3],
    ['sector', classified - matched],
    ['unmatched', Math.floor(unclassified / 2)],
    ['invalid', unclassified - Math.floor(unclassified / 2)],
  ] as const;

  return {
    period: '2025-26',
    laName: 'Warm-up County Council',
    school: { urn: String(900000 + i), name, phase, cluster: `${place} and District` },
    classification: { name: 'ONS Output Area Classification 2021', vintage: '2026-08', edition: 'oac21', imd: 'English Indices of Deprivation 2025' },
    base: { kind: 'la', label: 'all pupils in Warm-up County Council' },
    threshold: THRESHOLD,
    disclosure: {
      roundingBase: 5,
      coarseBase: 10,
      roundedCoarse: i % 3 === 0 ? ['classified'] : [],
      cIncludesZero: i % 4 === 1 ? ['group:1A'] : [],
      rule: 'To protect pupils\' privacy, numbers are rounded to the nearest 5 and numbers from 1 to 4 are shown as c (0 means none); percentages and indexes are worked out from the rounded numbers, so they may not add up exactly.',
    },
    intervals: { supergroup: 1 - 0.05 / 8, group: 1 - 0.05 / 21, subgroup: 1 - 0.05 / 52 },
    keyFacts: {
      pupils: shown(pupils),
      classified: classifiedShown,
      unclassified: shown(unclassified),
      matched: shown(matched),
      matchRatePct: pctOf(shown(matched), pupils),
      sectorImputedPct: classified - matched >= THRESHOLD ? (100 * (classified - matched)) / pupils : null,
      fsm,
      fsmPct: pctOf(fsm, pupils),
    },
    segments: {
      supergroup: level((c) => c[0]!, (s) => s.supergroup, null, 8),
      group: level((c) => c.slice(0, 2), (s) => s.group, (c) => c[0]!, 21),
      subgroup: level((c) => c, (s) => s.subgroup, (c) => c.slice(0, 2), 52),
    },
    imd,
    imdUnknown: { n: shown(Math.floor(pupils * 0.01)), pct: null, basePct: 0.9 },
    matchStatus: statuses.map(([status, n]) => ({ status, n: shown(Math.max(0, n)), pct: pctOf(shown(Math.max(0, n)), pupils) })),
    similarSchools: Array.from({ length: 5 }, (_, k) => ({
      urn: String(910000 + i * 10 + k),
      name: `${pick(PLACES)} ${pick(KINDS[phase]!)}`,
      similarity: 0.9 - k * 0.05 - r() * 0.04,
      distanceKm: k === 4 ? null : 0.5 + r() * 25,
    })),
    cluster: {
      name: `${place} and District`,
      schools: 12 + Math.floor(r() * 20),
      supergroups: '12345678'.split('').map((code) => {
        const min = r() * 10;
        return { code, name: OAC21_NAMES.find((s) => s.code[0] === code)!.supergroup, schoolPct: r() < 0.1 ? null : r() * 60, min, median: min + r() * 20, max: min + 20 + r() * 70 };
      }),
    },
    map: warmupMap(r, matched),
  };
}

/** Where the made-up pupils live: squares about the school in rings, over a background of homes. */
function warmupMap(r: () => number, matched: number): SchoolMap {
  const halfWidth = 1100 + Math.floor(r() * 6) * 1000;
  const centre = { x: Math.round((r() - 0.5) * 40000), y: Math.round((r() - 0.5) * 40000) };
  const bounds = [0, 1, 2, 3, 5, 10, 20];
  const inRing = bounds.map(() => 0);
  const cells: SchoolMap['cells'] = [];
  const size = halfWidth > 3000 ? 500 : 200;
  const count = 3 + Math.floor(r() * 80);
  for (let k = 0; k < count; k++) {
    const x = centre.x + Math.round(((r() - 0.5) * 2 * halfWidth) / size) * size;
    const y = centre.y + Math.round(((r() - 0.5) * 2 * halfWidth) / size) * size;
    const km = Math.hypot(x - centre.x, y - centre.y) / 1000;
    let ring = bounds.length - 1;
    while (ring > 0 && km < bounds[ring]!) ring--;
    const n = 1 + Math.floor(r() * Math.max(1, matched / count) * 2);
    inRing[ring]! += n;
    cells.push({ x, y, size, ring, n: shown(n) });
  }
  const background: SchoolMap['background'] = [];
  const squares = 20 + Math.floor(r() * 150);
  for (let k = 0; k < squares; k++) background.push([centre.x + Math.round((r() - 0.5) * 2 * halfWidth), centre.y + Math.round((r() - 0.5) * 2 * halfWidth), size]);
  const mapped = inRing.reduce((a, b) => a + b, 0);
  return {
    projection: { lat0: 51.2, lon0: 0.7 },
    centre,
    halfWidth,
    rings: bounds.map((from, k) => {
      const n = shown(inRing[k]!);
      const to = bounds[k + 1] ?? null;
      return { label: to === null ? `${from} km or more` : from === 0 ? `under ${to} km` : `${from} to ${to} km`, fromKm: from, toKm: to, n, pct: pctOf(n, mapped) };
    }),
    unmapped: { n: 'c', pct: null },
    squaresListed: r() > 0.1,
    cells,
    background,
  };
}
