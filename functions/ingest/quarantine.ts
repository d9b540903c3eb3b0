/** Quarantine file: one CSV row per rejected input row, naming file, line, column, value and reason. */
import { stringify } from 'csv-stringify/sync';

export interface QuarantineRow {
  file: string;
  line: number;
  column: string;
  value: string;
  reason: string;
  message: string;
}

export const QUARANTINE_COLUMNS = ['file', 'line', 'column', 'value', 'reason', 'message'] as const;

/** Identifiers never leave ingest in clear: a UPN is masked to its length. */
export function maskValue(column: string, value: string): string {
  if (column === 'upn') return '*'.repeat(Math.min(value.length, 13));
  return value.length > 60 ? `${value.slice(0, 60)}…` : value;
}

export class QuarantineLog {
  rows: QuarantineRow[] = [];
  byReason: Record<string, number> = {};
  add(row: QuarantineRow): void {
    this.rows.push({ ...row, value: maskValue(row.column, row.value) });
    this.byReason[row.reason] = (this.byReason[row.reason] ?? 0) + 1;
  }
  get count(): number {
    return this.rows.length;
  }
  toCsv(): string {
    return stringify(this.rows, { header: true, columns: [...QUARANTINE_COLUMNS] });
  }
}
