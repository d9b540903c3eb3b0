import PDFDocument from 'pdfkit';
import { describe, expect, it } from 'vitest';
import { COMPOSABLE_CHARS, composedRun, faces, registerFonts, textWidth, type Face, type ShapedRun } from '../../functions/pdf/fonts.ts';

/** What the PDF is written from: glyph ids, positions and the advance of the run. */
const shape = (run: ShapedRun) => ({
  ids: run.glyphs.map((g) => g.id),
  positions: run.positions.map((p) => [p.xAdvance, p.yAdvance, p.xOffset, p.yOffset, p.advanceWidth]),
  advanceWidth: run.advanceWidth,
});

// A seeded generator, so a failure names a string that can be tried again.
function* randomStrings(seed: number, count: number): Generator<string> {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let n = 0; n < count; n++) {
    let t = '';
    const len = 1 + Math.floor(next() * 14);
    for (let i = 0; i < len; i++) t += COMPOSABLE_CHARS[Math.floor(next() * COMPOSABLE_CHARS.length)];
    yield t;
  }
}

describe('numbers composed from shaped characters', () => {
  const doc = new PDFDocument({ font: null as unknown as string });
  const fonts = registerFonts(doc);

  for (const face of ['regular', 'semibold', 'italic'] as Face[]) {
    it(`shape as fontkit shapes them (${face}): every string of up to three characters, and longer random ones`, () => {
      const font = fonts[face];
      const texts: string[] = [];
      for (const a of COMPOSABLE_CHARS) {
        texts.push(a);
        for (const b of COMPOSABLE_CHARS) {
          texts.push(a + b);
          for (const c of COMPOSABLE_CHARS) texts.push(a + b + c);
        }
      }
      texts.push(...randomStrings(face.length, 3000), '1,615', '26.4%', '(188\u2013268). ', '-0.5 ', '+12%');
      let composed = 0;
      for (const t of texts) {
        const mine = composedRun(face, font, t);
        if (!mine) continue;
        composed++;
        expect(shape(mine), JSON.stringify(t)).toEqual(shape(font.layoutRun(t)));
      }
      // Every one of them is composed with this font (none goes the slow way through fontkit).
      expect(composed).toBe(texts.length);
    });
  }

  it('give the chart labels the widths fontkit gives them', () => {
    for (const face of ['regular', 'semibold', 'italic'] as Face[]) {
      const font = faces()[face];
      for (const t of randomStrings(11 + face.length, 500)) {
        expect(textWidth(t, 9, face), JSON.stringify(t)).toBe((font.layout(t).advanceWidth / font.unitsPerEm) * 9);
      }
    }
  });

  it('leave words with other characters to fontkit', () => {
    expect(composedRun('regular', fonts.regular, '7C2')).toBeNull();
    expect(composedRun('regular', fonts.regular, 'fi1')).toBeNull();
    expect(composedRun('regular', fonts.regular, '')).toBeNull();
  });
});
