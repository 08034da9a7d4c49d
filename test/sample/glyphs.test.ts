// The stroke alphabet: every Greek letter drawn, distinct from every other, inside its box, with a scribe's jitter.
import { describe, expect, it } from 'vitest';
import { glyphBox, jitterGlyph, labelGlyph, LETTERFORMS, stampGlyph } from '../../sample-data/glyphs.js';
import { Rng } from '../../sample-data/rng.js';
import { GREEK_ALPHABET } from '../../src/lm-conditioning/greek-text.js';

const W = 24;
const H = 24;
function bitmap(ch: string, rng: Rng): Uint8Array {
  const labels = new Uint8Array(W * H);
  labelGlyph(jitterGlyph(ch, { x: 6, y: 6, height: 12, strokeWidth: 1.8 }, rng), labels, W, H);
  return labels;
}

describe('stroke alphabet', () => {
  it('has exactly the 24 letters of GREEK_ALPHABET', () => {
    expect(Object.keys(LETTERFORMS).sort()).toEqual([...GREEK_ALPHABET].sort());
  });

  it('draws every pair of letters differently (more than 12 pixels apart at 12 px height)', () => {
    const maps = [...GREEK_ALPHABET].map((ch) => bitmap(ch, new Rng(7)));
    for (let a = 0; a < maps.length; a++)
      for (let b = a + 1; b < maps.length; b++) {
        let diff = 0;
        for (let i = 0; i < W * H; i++) if (maps[a]![i] !== maps[b]![i]) diff++;
        if (diff <= 12) throw new Error(`${GREEK_ALPHABET[a]} and ${GREEK_ALPHABET[b]} differ in only ${diff} pixels`);
      }
  });

  it('keeps all coverage inside the glyph box, and the scribe never writes a letter twice the same', () => {
    const rng = new Rng(3);
    for (const ch of GREEK_ALPHABET) {
      const g1 = jitterGlyph(ch, { x: 5, y: 5, height: 10, strokeWidth: 1.6 }, rng);
      const g2 = jitterGlyph(ch, { x: 5, y: 5, height: 10, strokeWidth: 1.6 }, rng);
      const cov = new Float32Array(W * H * 4);
      stampGlyph(g1, cov, 2 * W, 2 * H, 2);
      const [x0, y0, x1, y1] = glyphBox(g1);
      let inked = 0;
      for (let j = 0; j < 2 * H; j++)
        for (let i = 0; i < 2 * W; i++)
          if (cov[j * 2 * W + i]! > 0) {
            inked++;
            const x = (i + 0.5) / 2;
            const y = (j + 0.5) / 2;
            expect(x >= x0 && x <= x1 + 1 && y >= y0 && y <= y1 + 1).toBe(true);
          }
      expect(inked).toBeGreaterThan(10);
      expect(g2.strokes[0]![0]).not.toEqual(g1.strokes[0]![0]);
    }
  });
});
