/** Academic-year helpers shared by the pipeline and the Lambda handlers (no stage imports here). */

/** Academic year (September to August) of a day since 1970-01-01, e.g. 2025-10-01 -> "2025-26". */
export function academicYear(epochDays: number): string {
  const d = new Date(epochDays * 86_400_000);
  const start = d.getUTCMonth() >= 8 ? d.getUTCFullYear() : d.getUTCFullYear() - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
}

/** The academic year (e.g. 2025-26) a date falls in; years start on 1 September. */
export const currentPeriod = (now = new Date()) => academicYear(Math.floor(now.getTime() / 86_400_000));

/** An academic year such as 2025-26 (the second part is the next year). */
export function isPeriod(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = /^(\d{4})-(\d{2})$/.exec(value);
  return !!m && (Number(m[1]) + 1) % 100 === Number(m[2]);
}
