/**
 * Quarantine file: one CSV row per rejected input row, naming file, line, column, value and reason.
 * Values arrive masked from the checks (sql/rules.ts: a UPN as asterisks of its length, long
 * values cut at 60 characters): identifiers never leave ingest in clear.
 */
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

export class QuarantineLog {
  rows: QuarantineRow[] = [];
  byReason: Record<string, number> = {};
  add(row: QuarantineRow): void {
    this.rows.push(row);
    this.byReason[row.reason] = (this.byReason[row.reason] ?? 0) + 1;
  }
  get count(): number {
    return this.rows.length;
  }
  toCsv(): string {
    return stringify(this.rows, { header: true, columns: [...QUARANTINE_COLUMNS] });
  }
}
