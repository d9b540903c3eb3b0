/**
 * The profile's map section, "Where your pupils live": the map (maps.ts) and, beside it, the
 * numbers it shows by distance from the school, all from the document's shown counts.
 */
import type { ProfileDocument } from '../../schemas/profile-document.ts';
import { countText, isHiddenCount, pctText } from './format.ts';
import { MUTED, type Writer } from './layout.ts';
import { schoolMapFigure, type MapPlacement } from './maps.ts';

/** Writes the section when the document has a map; returns where the map's plot is on its page. */
export async function writeSchoolMap(w: Writer, d: ProfileDocument): Promise<MapPlacement | null> {
  const m = d.map;
  if (!m) return null;
  const T = d.threshold;
  w.heading(2, 'Where your pupils live', 420);
  w.paragraph(
    `Each square is shaded by the number of your pupils whose home postcode lies in it: squares are 500 m across in towns and up to 8 km in the countryside, ` +
      `drawn from postcode positions alone. Grey shows where anyone lives. ` +
      (m.squaresListed
        ? `Squares in a distance band shown as c are left out, so that no hidden number can be worked out from the others.`
        : `For this school the squares could not be shown without giving a hidden number away, so the map shows the distance bands only.`),
    { size: 9, after: 4 },
  );
  const fig = await schoolMapFigure(m, d.school.name, T);
  const box = w.figure(fig.chart, fig.alt);
  w.space(4);
  w.table(
    [
      { header: 'Distance from the school', width: 180 },
      { header: 'Pupils', width: 60, align: 'right' },
      { header: '% of pupils placed by postcode', width: 150, align: 'right' },
    ],
    [
      ...m.rings.map((r) => [r.label, countText(r.n, T), pctText(r.pct, isHiddenCount(r.n, T))]),
      ['postcode with no map position', countText(m.unmapped.n, T), pctText(m.unmapped.pct, isHiddenCount(m.unmapped.n, T))],
    ],
    { x: w.left, size: 8, pad: 2.5, keepTogether: true },
  );
  w.paragraph(`Pupils rounded to the nearest ${d.disclosure.roundingBase}; c = fewer than ${T}. Distances are straight lines from the school to the centre of each square.`, {
    size: 8,
    color: MUTED,
    after: 4,
  });
  return { kind: fig.kind, page: box.page, x: box.x + fig.chart.origin[0], y: box.y + fig.chart.origin[1], width: fig.width, height: fig.height, scale: fig.scale, left: fig.left, top: fig.top };
}
