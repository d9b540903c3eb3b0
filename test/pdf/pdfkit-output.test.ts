import PDFDocument from 'pdfkit';
import { describe, expect, it } from 'vitest';
import { collected, createCollectedDocument } from '../../functions/pdf/pdfkit-output.ts';
import { Writer } from '../../functions/pdf/layout.ts';

const options = (): PDFKit.PDFDocumentOptions => ({ size: 'A4', compress: true, info: { CreationDate: new Date(Date.UTC(2025, 8, 1)) } });

function draw(doc: PDFKit.PDFDocument): void {
  doc.save().rect(10, 10, 100, 50).fill('#12436d').restore();
  doc.addContent('0 0 m\n5 5 l\nS');
  doc.addPage();
  doc.moveTo(0, 0).lineTo(300, 300).stroke();
}

function streamed(): Promise<Uint8Array> {
  const doc = new PDFDocument(options());
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

  it('is what the page writer uses', async () => {
    const w = new Writer({ title: 't', subject: 's', author: 'a', footer: 'f', date: new Date(Date.UTC(2025, 8, 1)) });
    w.paragraph('Hello');
    const pdf = await w.finish();
    expect(Buffer.from(pdf.subarray(0, 8)).toString('latin1')).toBe('%PDF-1.7');
    expect(Buffer.from(pdf.subarray(-6)).toString('latin1')).toContain('%%EOF');
    expect(() => collected(new PDFDocument())).toThrow(/not a collected document/);
  });
});
