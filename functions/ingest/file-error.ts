/** A file-level input error: the whole file is refused, with one line naming file, line and reason. */
export class CsvFileError extends Error {
  constructor(
    public readonly file: string,
    public readonly line: number | null,
    public readonly reason: string,
    detail: string,
  ) {
    super(`${file}${line ? ` line ${line}` : ''}: ${detail}`);
    this.name = 'CsvFileError';
  }
}
