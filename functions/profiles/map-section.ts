/**
 * The map section of a head's profile document, from the school's shown counts (shown-counts.ts):
 * rings and listed squares as shown, percentages from the shown counts, and a frame chosen from
 * the shown ring counts alone. The background (where anyone lives) is the grid's, from postcodes.
 */
import type { Cell, SchoolMap } from '../../schemas/profile-document.ts';
import { numeric } from '../domain/stats/disclosure.ts';
import type { MapGrid } from '../maps/grid.ts';
import { RING_COUNT, RING_EDGES_KM, ringLabel } from '../maps/school-map.ts';
import { cellKey, ringKey, smallAs, UNMAPPED, type ShownView } from './shown-counts.ts';
import type { RoundingRule } from '../domain/stats/disclosure.ts';

/** Share of the shown pupils (c counted as smallAs) the frame must hold, if any ring edge up to 20 km does. */
export const FRAME_SHARE = 0.9;

/** Half-width of the frame, metres: just beyond the smallest ring edge holding FRAME_SHARE of the shown pupils. */
export function frameHalfWidth(shownRings: readonly number[]): number {
  const total = shownRings.reduce((a, b) => a + b, 0);
  let inside = 0;
  for (let k = 0; k < RING_EDGES_KM.length; k++) {
    inside += shownRings[k]!;
    if (inside >= FRAME_SHARE * total) return RING_EDGES_KM[k]! * 1100;
  }
  return RING_EDGES_KM[RING_EDGES_KM.length - 1]! * 1100;
}

/** The smallest background square for a frame: 500 m up to a 3.5 km half-width, then 1, 2 and 4 km. */
function backgroundLevel(halfWidth: number): number {
  return halfWidth <= 3500 ? 0 : halfWidth <= 6000 ? 1 : halfWidth <= 12000 ? 2 : 3;
}

export function schoolMapSection(shown: ShownView, grid: MapGrid | undefined, rule: RoundingRule): SchoolMap | null {
  const map = shown.map;
  if (!map || !grid) return null;
  const matched = shown.shown('matched');
  // Fewer than the threshold matched: the rings are all c, there is nothing to draw.
  if (matched === 'c' || matched === 0) return null;
  const ringShown = Array.from({ length: RING_COUNT }, (_, k) => shown.shown(ringKey(k)));
  const asNumber = (s: Cell) => (s === 'c' ? smallAs(rule) : s);
  const halfWidth = frameHalfWidth(ringShown.map(asNumber));
  const pct = (s: Cell) => {
    const v = numeric(s);
    return v === null || matched === 0 ? null : Math.min(100, (100 * v) / matched);
  };
  const { x, y } = map.exact.centre;
  const round = (v: number) => Math.round(v);
  const cells: SchoolMap['cells'] = [];
  for (const c of map.exact.cells) {
    const key = cellKey(c.cell.key);
    if (map.listed.has(key)) cells.push({ x: c.cell.x, y: c.cell.y, size: c.cell.size, ring: c.ring, n: shown.shown(key) });
  }
  return {
    projection: grid.projection,
    centre: { x: round(x), y: round(y) },
    halfWidth,
    rings: ringShown.map((n, k) => ({ label: ringLabel(k), fromKm: k === 0 ? 0 : RING_EDGES_KM[k - 1]!, toKm: RING_EDGES_KM[k] ?? null, n, pct: pct(n) })),
    unmapped: { n: shown.shown(UNMAPPED), pct: pct(shown.shown(UNMAPPED)) },
    squaresListed: map.squares,
    cells,
    background: grid.backgroundWithin(x - halfWidth, y - halfWidth, x + halfWidth, y + halfWidth, backgroundLevel(halfWidth)),
  };
}
