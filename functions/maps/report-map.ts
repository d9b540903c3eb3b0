/**
 * The geography of the fair-access report's maps: the LA's populated area (2 km squares holding a
 * postcode) as the background, and ward centroids where the symbols go. Public data only. Pure.
 */
import type { ReportMap } from '../../schemas/admissions-document.ts';
import { project } from '../../schemas/sql/maps.ts';
import type { MapGrid } from './grid.ts';

/** Background squares of the whole-LA map: 2 km (level 2), a few hundred marks for a county. */
export const REPORT_BACKGROUND_LEVEL = 2;

export function reportMapFor(grid: MapGrid, wards: readonly { ward: string; lat: number; long: number }[]): ReportMap | null {
  const extent = grid.extent();
  if (!extent) return null;
  const round = (v: number) => Math.round(v);
  return {
    projection: grid.projection,
    extent,
    background: grid.populated(REPORT_BACKGROUND_LEVEL).map((c) => [round(c.x), round(c.y), c.size] as [number, number, number]),
    wards: wards.map((w) => {
      const p = project(grid.projection, w.lat, w.long);
      return { code: w.ward, x: round(p.x), y: round(p.y) };
    }),
  };
}
