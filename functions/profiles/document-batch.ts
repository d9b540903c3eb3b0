/**
 * Schools' documents made, serialised and written one batch at a time, with the values of their
 * head_profile rows: the same code in this thread and in a document thread (document-threads.ts).
 */
import type { ProfileDocument } from '../../schemas/profile-document.ts';
import type { Value } from '../lake/column-buffer.ts';
import type { MapGrid } from '../maps/grid.ts';
import { LEVEL_ORDER, type Dictionary } from './dictionary.ts';
import { schoolDocument, type DocumentContext, type PackedSchool } from './head-documents.ts';
import { segmentKey, shownView, type ShownView } from './shown-counts.ts';

/** Values per head_profile row that a document decides (the rest, urn, level, segment and its name, follow from the dictionary). */
export const HEAD_CELLS = 9;

/** The head_profile values of a document's segment rows, in its order (levels, then the dictionary's codes), appended to `out`. */
export function headCells(doc: ProfileDocument, shown: Pick<ShownView, 'base'>, out: Value[]): void {
  for (const level of LEVEL_ORDER) {
    for (const r of doc.segments[level]) {
      out.push(String(r.n), shown.base(segmentKey(level, r.code)), r.pct, r.basePct, r.index, r.ciLow, r.ciHigh, r.flag, r.reliable);
    }
  }
}

/** Each school's document built, serialised and handed to `write`; returns their head_profile values (headCells), school after school. */
export function documentBatch(ctx: DocumentContext, dict: Dictionary, grid: MapGrid | undefined, schools: readonly PackedSchool[], write: (i: number, body: string) => void): Value[] {
  const cells: Value[] = [];
  schools.forEach((p, i) => {
    const shown = shownView(p.shown, ctx.shownKeys, dict);
    const doc = schoolDocument(ctx, dict, grid, { school: p.school, shown, similar: p.similar });
    headCells(doc, shown, cells);
    write(i, JSON.stringify(doc));
  });
  return cells;
}
