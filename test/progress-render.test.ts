/** The CLI's progress lines: throttled per stage outside a terminal, rewritten in place on one. */
import { describe, expect, it } from 'vitest';
import { progressRenderer } from '../functions/cli/render.ts';

function sink(tty: boolean) {
  const out: string[] = [];
  let t = 0;
  const stream = { write: (s: string) => (out.push(s), true), isTTY: tty } as unknown as NodeJS.WritableStream;
  const render = progressRenderer(stream, { tty, now: () => t });
  return { out, render, advance: (ms: number) => (t += ms) };
}

describe('progressRenderer', () => {
  it('writes at most one line per stage per 10 s when not a terminal', () => {
    const { out, render, advance } = sink(false);
    for (let i = 0; i < 600; i++) {
      render({ stage: 'pdf', item: 'profiles', done: i + 1, total: 600, unit: 'rows' });
      advance(50); // 600 PDFs in 30 s
    }
    render({ stage: 'publish', item: 'a' });
    render({ stage: 'publish', item: 'b' });
    render({ stage: 'done', message: 'peak RSS 1 MiB' });
    const pdfLines = out.filter((l) => / pdf /.test(l));
    expect(pdfLines.length).toBe(3); // t = 0, 10 s, 20 s
    expect(out.filter((l) => /publish/.test(l)).length).toBe(1);
    expect(out.at(-1)).toMatch(/done\s+ peak RSS/);
    expect(out.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });

  it('rewrites one line in place on a terminal', () => {
    const { out, render } = sink(true);
    render({ stage: 'ingest', item: 'x', done: 1, total: 2, unit: 'bytes' });
    expect(out[0].startsWith('\r\x1b[2K')).toBe(true);
    expect(out[0]).toMatch(/50%/);
  });
});
