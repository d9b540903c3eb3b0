/** What an input file's name says: the academic year of a census or GIAS extract, the release of an NSPL. */

/**
 * A period found in a file name: an academic year (pupils_2025-26.csv), or the date of a GIAS
 * extract (edubasealldata20260115.csv: the academic year that date falls in). Null otherwise.
 */
export function periodFromName(key: string): string | null {
  const name = key.split('/').pop() ?? '';
  const m = /(\d{4})[-_](\d{2})(?!\d)/.exec(name);
  if (m && (Number(m[1]) + 1) % 100 === Number(m[2])) return `${m[1]}-${m[2]}`;
  const d = /(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)/.exec(name);
  if (d && Number(d[2]) >= 1 && Number(d[2]) <= 12 && Number(d[3]) >= 1 && Number(d[3]) <= 31) {
    const start = Number(d[2]) >= 9 ? Number(d[1]) : Number(d[1]) - 1;
    return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
  }
  return null;
}

/** Vintage (release) from an NSPL-style file name (NSPL_MAY_2024_UK, NSPL21_AUG_2024_UK -> 2024-05/08) or a yyyy-mm in the name. */
export function vintageFromName(key: string): string | null {
  const name = key.split('/').pop() ?? '';
  const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  const m = /(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[_-]?(\d{4})/i.exec(name);
  if (m) return `${m[2]}-${String(months.indexOf(m[1]!.toUpperCase()) + 1).padStart(2, '0')}`;
  const d = /(\d{4})-(\d{2})(?!\d)/.exec(name);
  return d && Number(d[2]) >= 1 && Number(d[2]) <= 12 ? `${d[1]}-${d[2]}` : null;
}
