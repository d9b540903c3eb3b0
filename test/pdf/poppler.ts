/**
 * Reading PDFs back in tests with poppler-utils (pdftotext, pdfinfo, pdftoppm) and qpdf (.ci/run
 * installs both), and a tiny PGM reader for page images.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function withFile<T>(pdf: Uint8Array, fn: (file: string, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'catchment-pdf-'));
  try {
    const file = join(dir, 'doc.pdf');
    writeFileSync(file, pdf);
    return fn(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Text of the PDF; `layout` keeps table columns on their lines. Pages are separated by \f. */
export function pdfText(pdf: Uint8Array, layout = true): string {
  return withFile(pdf, (file) => execFileSync('pdftotext', [...(layout ? ['-layout'] : []), '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }));
}

/** `qpdf --check`: the file's structure, cross-reference table and every stream decode cleanly. */
export function qpdfCheck(pdf: Uint8Array): string {
  return withFile(pdf, (file) => execFileSync('qpdf', ['--check', file], { encoding: 'utf8' }));
}

export function pdfInfo(pdf: Uint8Array): Record<string, string> {
  const out = withFile(pdf, (file) => execFileSync('pdfinfo', [file], { encoding: 'utf8' }));
  const info: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) info[m[1]!.trim()] = m[2]!.trim();
  }
  return info;
}

export interface GrayImage {
  width: number;
  height: number;
  /** 8-bit grey levels, row-major. */
  pixels: Uint8Array;
}

/** Parse a binary PGM (P5, maxval 255), as written by `pdftoppm -gray`. */
export function parsePgm(buf: Uint8Array): GrayImage {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]!))) pos++;
      if (buf[pos] === 0x23) {
        while (pos < buf.length && buf[pos] !== 0x0a) pos++;
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]!))) pos++;
    return String.fromCharCode(...buf.subarray(start, pos));
  };
  if (token() !== 'P5') throw new Error('not a binary PGM');
  const width = Number(token());
  const height = Number(token());
  const max = Number(token());
  if (max !== 255) throw new Error(`unsupported PGM maxval ${max}`);
  pos++; // the single whitespace before the raster
  return { width, height, pixels: buf.subarray(pos, pos + width * height) };
}

/** Every page as a greyscale image at `dpi`. */
export function pageImages(pdf: Uint8Array, dpi = 50): GrayImage[] {
  return withFile(pdf, (file, dir) => {
    execFileSync('pdftoppm', ['-r', String(dpi), '-gray', file, join(dir, 'page')]);
    return readdirSync(dir)
      .filter((f) => f.startsWith('page') && f.endsWith('.pgm'))
      .sort()
      .map((f) => parsePgm(new Uint8Array(readFileSync(join(dir, f)))));
  });
}

/** Share of pixels darker than `threshold` in a rectangle given in PDF points from the top-left. */
export function inkShare(img: GrayImage, dpi: number, box?: { x: number; y: number; width: number; height: number }, threshold = 235): number {
  const s = dpi / 72;
  const x0 = box ? Math.max(0, Math.floor(box.x * s)) : 0;
  const y0 = box ? Math.max(0, Math.floor(box.y * s)) : 0;
  const x1 = box ? Math.min(img.width, Math.ceil((box.x + box.width) * s)) : img.width;
  const y1 = box ? Math.min(img.height, Math.ceil((box.y + box.height) * s)) : img.height;
  let ink = 0;
  let all = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      all++;
      if (img.pixels[y * img.width + x]! < threshold) ink++;
    }
  }
  return all ? ink / all : 0;
}

/** Lines of `pdftotext -layout` output that start with `label` (after indentation). */
export function linesStartingWith(text: string, label: string): string[] {
  return text.split('\n').filter((l) => l.trimStart().startsWith(label));
}

/** Whitespace-separated cells of a layout line after its label. */
export function cellsAfter(line: string, label: string): string[] {
  const i = line.indexOf(label);
  return line
    .slice(i + label.length)
    .trim()
    .split(/\s{2,}|\s(?=\S)/)
    .filter(Boolean);
}
