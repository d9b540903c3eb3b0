import { inflateSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import { describe, expect, it } from 'vitest';
import { collected, createCollectedDocument } from '../../functions/pdf/pdfkit-output.ts';
import { Writer } from '../../functions/pdf/layout.ts';

const options = (compress = false): PDFKit.PDFDocumentOptions => ({
  size: 'A4',
  compress,
  tagged: true,
  lang: 'en-GB',
  displayTitle: true,
  pdfVersion: '1.7',
  // Strings that are escaped or written as UTF-16 (the objects are written by our own serialiser).
  info: { CreationDate: new Date(Date.UTC(2025, 8, 1)), Title: 'Caf\u00e9 profile (draft) \u2013 25 \u2264 x', Subject: 'back\\slash (and) tab\t' },
});

/** Every stream of a PDF, inflated when it is compressed. */
function streams(pdf: Uint8Array): string[] {
  const text = Buffer.from(pdf).toString('latin1');
  const out: string[] = [];
  for (const m of text.matchAll(/<<([^]*?)>>\nstream\n/g)) {
    const start = m.index + m[0].length;
    const length = Number(/\/Length (\d+)/.exec(m[1]!)![1]);
    const raw = Buffer.from(text.slice(start, start + length), 'latin1');
    out.push((/\/Filter \/FlateDecode/.test(m[1]!) ? inflateSync(raw) : raw).toString('latin1'));
  }
  return out;
}

function draw(doc: PDFKit.PDFDocument): void {
  // Structure elements, an outline, a named destination and a link: dictionaries, arrays, strings,
  // references and a name tree in the document's objects.
  const figure = doc.struct('Figure', { alt: 'Index (log scale): 25 \u2264 x \\ 400' }, () => {
    doc.save().rect(10, 10, 100, 50).fill('#12436d').restore();
  });
  doc.addStructure(figure);
  doc.outline.addItem('Section \u2013 one (1)');
  doc.addNamedDestination('here');
  doc.link(10, 10, 50, 20, 'https://example.org/a(b)');
  doc.addContent('0 0 m\n5 5 l\nS');
  doc.addPage();
  doc.moveTo(0, 0).lineTo(300, 300).stroke();
  // Enough content to outgrow the collected text's buffer many times, a piece longer than its
  // first size, pieces built by concatenation, and a character beyond latin1 (its low byte is written).
  for (let i = 0; i < 3000; i++) doc.addContent(`${i} ${i / 7} m\n${i + 1} ${i * 3} l\nS`);
  doc.addContent(`% ${'x'.repeat(5000)} \u0101 \u00e9`);
  doc.rect(5, 5, 10, 10).fill('#b35806');
}

function streamed(compress = false): Promise<Uint8Array> {
  const doc = new PDFDocument(options(compress));
  const chunks: Uint8Array[] = [];
  doc.on('data', (c: Uint8Array) => chunks.push(c));
  const done = new Promise<Uint8Array>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  draw(doc);
  doc.end();
  return done;
}

describe('pdfkit output collected in memory', () => {
  it('gives the same bytes as pdfkit streaming the document', async () => {
    const reference = await streamed();
    const doc = createCollectedDocument(options());
    const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
    draw(doc);
    doc.end();
    await done;
    const bytes = collected(doc);
    expect(bytes.length).toBeGreaterThan(500);
    expect(Buffer.from(bytes).equals(Buffer.from(reference))).toBe(true);
    // A document made the usual way afterwards still streams.
    expect(Buffer.from(await streamed()).equals(Buffer.from(reference))).toBe(true);
  });

  it('compresses its streams (at its own level) to the same content as pdfkit streaming the document', async () => {
    const reference = await streamed(true);
    const doc = createCollectedDocument(options(true));
    const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
    draw(doc);
    doc.end();
    await done;
    const bytes = collected(doc);
    const ours = streams(bytes);
    expect(ours.length).toBeGreaterThanOrEqual(2);
    expect(Buffer.from(bytes).toString('latin1')).toMatch(/\/Filter \/FlateDecode/);
    expect(ours).toEqual(streams(reference));
    // A document made the usual way afterwards still compresses as pdfkit does.
    expect(Buffer.from(await streamed(true)).equals(Buffer.from(reference))).toBe(true);
  });

  it('is what the page writer uses', async () => {
    const w = new Writer({ title: 't', subject: 's', author: 'a', footer: 'f', date: new Date(Date.UTC(2025, 8, 1)) });
    w.paragraph('Hello');
    const pdf = await w.finish();
    expect(Buffer.from(pdf.subarray(0, 8)).toString('latin1')).toBe('%PDF-1.7');
    expect(Buffer.from(pdf.subarray(-6)).toString('latin1')).toContain('%%EOF');
    expect(() => collected(new PDFDocument())).toThrow(/not a collected document/);
  });
});
