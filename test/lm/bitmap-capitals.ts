// The hand the reading tests write their synthetic pages in: the 5x7 bitmap capitals of the export's font, stretched
// to book-hand widths and blurred a little, so the pages do not share the reader's own prior (printed typefaces).
import { glyphBitmap, GLYPH_H, GLYPH_W } from '../../src/lm-conditioning/export/bitmap-font.js';
import { GREEK_ALPHABET } from '../../src/lm-conditioning/greek-text.js';
import { blurTemplate, RELATIVE_WIDTH } from '../../src/lm-conditioning/reading/glyphs.js';

/** Per letter of GREEK_ALPHABET: its width and its (2r+1) x width values (about 0.8 on the strokes, b elsewhere). */
export function bitmapCapitals(
  letterHeight: number,
  strokeWidth: number,
  r: number,
  b: number,
): { width: number; t: Float32Array }[] {
  const h = 2 * r + 1;
  return [...GREEK_ALPHABET].map((ch) => {
    const w = Math.max(3, Math.round(RELATIVE_WIDTH[ch]! * letterHeight + strokeWidth)) + 2;
    const bits = glyphBitmap(ch);
    const t = new Float32Array(h * w);
    const top = r - letterHeight / 2;
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        const fy = Math.floor(((i + 0.5 - top) / letterHeight) * GLYPH_H);
        const fx = Math.floor(((j - 0.5) / Math.max(1, w - 2)) * GLYPH_W);
        t[i * w + j] = fy >= 0 && fy < GLYPH_H && fx >= 0 && fx < GLYPH_W && bits[fy]![fx] ? 0.8 : b;
      }
    const out = blurTemplate(t, h, w).map((v) => Math.min(0.9, Math.max(Math.max(0.02, b), v)));
    return { width: w, t: out };
  });
}
