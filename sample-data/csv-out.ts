/** Buffered CSV file writer with stream backpressure (the England-scale files run to gigabytes). */
import { createWriteStream, type WriteStream } from 'node:fs';

const CHUNK = 1 << 20;

export class CsvOut {
  readonly path: string;
  private readonly stream: WriteStream;
  private buf = '';
  private error: Error | null = null;
  /** Data rows written (header excluded). */
  rows = 0;
  bytes = 0;

  constructor(path: string, header: string) {
    this.path = path;
    this.stream = createWriteStream(path, { highWaterMark: CHUNK });
    this.stream.on('error', (e) => {
      this.error = e;
    });
    this.buf = header + '\n';
  }

  /** Append one row (without newline). Returns true when the caller should `await flush()`. */
  row(line: string): boolean {
    this.buf += line + '\n';
    this.rows++;
    return this.buf.length >= CHUNK;
  }

  async flush(): Promise<void> {
    if (this.error) throw this.error;
    if (this.buf.length === 0) return;
    const chunk = this.buf;
    this.buf = '';
    this.bytes += chunk.length; // all output is ASCII
    if (!this.stream.write(chunk)) await this.drained();
    if (this.error) throw this.error;
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        this.stream.off('drain', onDrain);
        this.stream.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onError = (e: Error) => done(e);
      this.stream.on('drain', onDrain);
      this.stream.on('error', onError);
    });
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
    if (this.error) throw this.error;
  }
}

/** Quote a CSV field when it needs it. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
