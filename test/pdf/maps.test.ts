/**
 * Maps on the page: each school map has ink where its pupils live and none where the data has no
 * postcode. Documents are built by the pipeline's functions from simulated pupils (helpers/maps.ts:
 * strips 2 km wide with no postcode), rendered to PDF, rasterised with pdftoppm and read pixel by
 * pixel at the positions the document gives.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProfileDocument } from '../../schemas/profile-document.ts';
import { renderProfilePdf } from '../../functions/pdf/profile-pdf.ts';
import type { MapPlacement } from '../../functions/pdf/maps.ts';
import { FINE_CELL_M } from '../../schemas/sql/maps.ts';
import { makeFairAccessDocument, makeProfileDocuments } from '../helpers/documents.ts';
import { renderFairAccessPdf } from '../../functions/pdf/fair-access-pdf.ts';
import type { ReportMap } from '../../schemas/admissions-document.ts';
import { noPostcodeColumn } from '../helpers/maps.ts';

interface RgbImage {
  width: number;
  height: number;
  px: Uint8Array;
}

/** One page of a PDF as an RGB image (pdftoppm, binary PPM). */
function pageRgb(pdf: Uint8Array, page: number, dpi: number): RgbImage {
  const dir = mkdtempSync(join(tmpdir(), 'catchment-map-'));
  try {
    writeFileSync(join(dir, 'doc.pdf'), pdf);
    execFileSync('pdftoppm', ['-r', String(dpi), '-f', String(page + 1), '-l', String(page + 1), '-singlefile', join(dir, 'doc.pdf'), join(dir, 'page')]);
    const buf = new Uint8Array(readFileSync(join(dir, 'page.ppm')));
    const head = new TextDecoder().decode(buf.subarray(0, 40)).split(/\s+/);
    if (head[0] !== 'P6' || head[3] !== '255') throw new Error('not a binary 8-bit PPM');
    let pos = 0;
    for (let fields = 0; fields < 4; pos++) if (/\s/.test(String.fromCharCode(buf[pos]!)) && !/\s/.test(String.fromCharCode(buf[pos - 1]!))) fields++;
    return { width: Number(head[1]), height: Number(head[2]), px: buf.subarray(pos) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DPI = 100;

/** The colour at a point of the page (points from the top-left). */
function at(img: RgbImage, x: number, y: number): [number, number, number] {
  const i = (Math.round((y * DPI) / 72) * img.width + Math.round((x * DPI) / 72)) * 3;
  return [img.px[i]!, img.px[i + 1]!, img.px[i + 2]!];
}
const isWhite = ([r, g, b]: number[]) => r! > 245 && g! > 245 && b! > 245;
/** The map's squares are blues; the populated background is a neutral grey. */
const isBlue = ([r, , b]: number[]) => b! - r! >= 20;
const isGrey = (c: number[]) => !isWhite(c) && !isBlue(c) && Math.max(...c) - Math.min(...c) < 12;

/** Plot points near the marks drawn over the squares (rings, their labels, the school, the scale bar, the frame), which the checks leave out. */
function nearOverlay(d: ProfileDocument, p: MapPlacement, x: number, y: number): boolean {
  const m = d.map!;
  const cx = (m.centre.x - p.left) * p.scale;
  const cy = (p.top - m.centre.y) * p.scale;
  if (x < 4 || y < 4 || x > p.width - 4 || y > p.height - 4) return true;
  if (x < 140 && y > p.height - 30) return true;
  if (x > cx - 10 && x < cx + 55 && Math.abs(y - cy) < 10) return true;
  for (const r of m.rings) {
    if (r.toKm === null) continue;
    const radius = r.toKm * 1000 * p.scale;
    if (Math.abs(Math.hypot(x - cx, y - cy) - radius) < 3) return true;
    if (Math.abs(x - cx) < 24 && y > cy - radius - 13 && y < cy - radius + 3) return true;
  }
  return false;
}

describe('school maps on the page', () => {
  const docs = makeProfileDocuments(40, { seed: 7, maps: true, schoolsPerLa: 40 });

  it('every document with matched pupils has a map, its squares only where postcodes are and none in the strips without one', () => {
    const withMap = docs.filter((d) => d.map);
    expect(withMap.length).toBeGreaterThan(30);
    for (const d of withMap) {
      const m = d.map!;
      for (const c of m.cells) {
        expect(c.size).toBe(FINE_CELL_M); // town density: 500 m squares
        expect(noPostcodeColumn(Math.round(c.x / FINE_CELL_M))).toBe(false);
        expect(m.background.some(([x, y, s]) => c.x >= x && c.x < x + s && c.y >= y && c.y < y + s)).toBe(true);
      }
      for (const [x, , s] of m.background) {
        // A background square of the frame holds a postcode: not wholly inside a strip.
        const cols = Array.from({ length: s / FINE_CELL_M }, (_, i) => Math.round(x / FINE_CELL_M) + i);
        expect(cols.some((cx) => !noPostcodeColumn(cx))).toBe(true);
      }
    }
  });

  it('has ink on every shown square where pupils live and none where the data has no postcode (pdftoppm)', async () => {
    const picked = docs.filter((d) => d.map?.squaresListed && d.map.cells.length >= 8).slice(0, 3);
    expect(picked.length).toBe(3);
    for (const d of picked) {
      const out = await renderProfilePdf(d);
      const p = out.maps?.find((x) => x.kind === 'schoolMap');
      expect(p).toBeDefined();
      const img = pageRgb(out.pdf, p!.page, DPI);
      const m = d.map!;
      const plot = (mx: number, my: number) => [(mx - p!.left) * p!.scale, (p!.top - my) * p!.scale] as const;

      // Ink where pupils live: the centre of each square listed is blue.
      let inked = 0;
      for (const c of m.cells) {
        const [x, y] = plot(c.x + c.size / 2, c.y + c.size / 2);
        if (nearOverlay(d, p!, x, y)) continue;
        expect(isBlue(at(img, p!.x + x, p!.y + y)), `${d.school.urn}: square at ${c.x},${c.y} (${c.n})`).toBe(true);
        inked++;
      }
      expect(inked).toBeGreaterThanOrEqual(5);

      // None where no postcode is: points in no background square are white; in background but no square of pupils, grey.
      let blank = 0;
      let grey = 0;
      const inSquare = (mx: number, my: number, sq: readonly (readonly [number, number, number])[]) => sq.some(([x, y, s]) => mx >= x && mx < x + s && my >= y && my < y + s);
      const cells = m.cells.map((c) => [c.x, c.y, c.size] as const);
      for (let y = 2; y < p!.height; y += 5) {
        for (let x = 2; x < p!.width; x += 5) {
          if (nearOverlay(d, p!, x, y)) continue;
          const mx = p!.left + x / p!.scale;
          const my = p!.top - y / p!.scale;
          // Keep a point's distance from square edges (antialiasing).
          const edge = 1.5 / p!.scale;
          const all = [...m.background, ...cells];
          if (all.some(([sx, sy, s]) => Math.min(Math.abs(mx - sx), Math.abs(mx - sx - s), Math.abs(my - sy), Math.abs(my - sy - s)) < edge)) continue;
          const colour = at(img, p!.x + x, p!.y + y);
          if (!inSquare(mx, my, m.background)) {
            expect(isWhite(colour), `${d.school.urn}: ink at ${x},${y} where no postcode is (${colour})`).toBe(true);
            blank++;
          } else if (!inSquare(mx, my, cells)) {
            expect(isGrey(colour), `${d.school.urn}: ${x},${y} should be the grey of populated land (${colour})`).toBe(true);
            grey++;
          }
        }
      }
      expect(blank).toBeGreaterThan(20);
      expect(grey).toBeGreaterThan(20);
    }
  });
});

describe('the fair-access report’s ward map on the page', () => {
  it('has a circle of ink at every ward with families and no ink where no postcode is (pdftoppm)', async () => {
    const d = makeFairAccessDocument({ wards: 24 });
    // Populated land: 2 km squares over 40 x 24 km, but for a strip 4 km wide with no postcode; a ward centroid on a 6.5 x 6 km lattice off the strip.
    const background: [number, number, number][] = [];
    for (let x = 0; x < 40_000; x += 2000) for (let y = 0; y < 24_000; y += 2000) if (x < 16_000 || x >= 20_000) background.push([x, y, 2000]);
    const centres = d.wards.map((w, i) => ({ code: w.code, x: (i % 6) * 6500 + 1500, y: Math.floor(i / 6) * 6000 + 3000 }));
    const map: ReportMap = { projection: { lat0: 51.2, lon0: 0.7 }, extent: { x0: 0, y0: 0, x1: 40_000, y1: 24_000 }, background, wards: centres };
    const out = await renderFairAccessPdf({ ...d, map });
    const p = out.maps?.find((m) => m.kind === 'faWardMap');
    expect(p).toBeDefined();
    const img = pageRgb(out.pdf, p!.page, DPI);
    const plot = (mx: number, my: number) => [(mx - p!.left) * p!.scale, (p!.top - my) * p!.scale] as const;
    const max = Math.max(...d.wards.map((w) => w.baseN));
    const circles = d.wards.filter((w) => w.baseN > 0).map((w) => {
      const c = centres.find((x) => x.code === w.code)!;
      const [x, y] = plot(c.x, c.y);
      return { x, y, r: (26 * Math.sqrt(w.baseN / max)) / 2, labelled: w.flag === 'below' };
    });
    expect(circles.length).toBe(d.wards.length);
    // Ink where families live: the centre of every circle is neither white nor the land's grey.
    for (const c of circles) {
      const colour = at(img, p!.x + c.x, p!.y + c.y);
      expect(isWhite(colour) || isGrey(colour) && colour[0]! > 200, `circle at ${c.x},${c.y}: ${colour}`).toBe(false);
    }
    // No ink where no postcode is: the strip and the margins, away from circles, labels, key and scale bar.
    let blank = 0;
    for (let y = 4; y < p!.height - 4; y += 4) {
      for (let x = 4; x < p!.width - 4; x += 4) {
        const mx = p!.left + x / p!.scale;
        const my = p!.top - y / p!.scale;
        if (background.some(([bx, by, s]) => mx > bx - 400 && mx < bx + s + 400 && my > by - 400 && my < by + s + 400)) continue;
        if (circles.some((c) => Math.hypot(x - c.x, y - c.y) < c.r + 3 || (c.labelled && x > c.x && x < c.x + c.r + 90 && Math.abs(y - c.y) < 7))) continue;
        if ((x > p!.width - 130 && y < 90) || (x < 140 && y > p!.height - 30)) continue;
        expect(isWhite(at(img, p!.x + x, p!.y + y)), `ink at ${x},${y} where no postcode is`).toBe(true);
        blank++;
      }
    }
    expect(blank).toBeGreaterThan(100);
  });
});
