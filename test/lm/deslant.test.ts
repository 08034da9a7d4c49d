import { describe, expect, it } from 'vitest';
import { GREEK_ALPHABET } from '../../src/lm-conditioning/greek-text.js';
import { bitmapCapitals } from './bitmap-capitals.js';
import { deslant, estimateSlant } from '../../src/lm-conditioning/reading/deslant.js';
import { findColumns } from '../../src/lm-conditioning/reading/layout.js';
import type { InkMap } from '../../src/lm-conditioning/reading/ink-map.js';

/** Lines of the built-in capitals, each letter sheared by `slant` about its line's centre row (top to the right). */
function page(slant: number): { map: InkMap; pitch: number } {
  const pitch = 24;
  const r = Math.round(0.45 * pitch);
  const glyphs = bitmapCapitals(14, 2, r, 0);
  const width = 420;
  const lines = ['ΕΝΑΡΧΗΗΝΟΛΟΓΟΣΚΑΙ', 'ΟΛΟΓΟΣΗΝΠΡΟΣΤΟΝΘΕ', 'ΟΝΚΑΙΘΕΟΣΗΝΟΛΟΓΟΣ', 'ΟΥΤΟΣΗΝΕΝΑΡΧΗΠΡΟΣ'];
  const height = pitch * (lines.length + 1);
  const data = new Float32Array(width * height);
  lines.forEach((text, li) => {
    const yc = pitch * (li + 1);
    let x = 20;
    for (const ch of text) {
      const g = glyphs[GREEK_ALPHABET.indexOf(ch)]!;
      for (let i = 0; i < 2 * r + 1; i++)
        for (let j = 0; j < g.width; j++) {
          if (g.t[i * g.width + j]! <= 0.4) continue;
          const y = yc - r + i;
          const xx = Math.round(x + j + slant * (yc - y));
          if (xx >= 0 && xx < width) data[y * width + xx] = 1;
        }
      x += g.width;
    }
  });
  return { map: { width, height, data }, pitch };
}

function agreement(a: InkMap, b: InkMap): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.data.length; i++) {
    const p = a.data[i]! > 0.5;
    const q = b.data[i]! > 0.5;
    if (p && q) both++;
    if (p || q) either++;
  }
  return both / either;
}

describe('slant correction', () => {
  it('finds the shear of a slanted hand and none on an upright one', () => {
    // Tolerance: a letter 14 px high shears by whole pixels, so nearby slants tie.
    for (const slant of [0, 0.12, 0.26]) {
      const { map, pitch } = page(slant);
      const lines = findColumns(map, pitch).flatMap((c) => c.lines);
      expect(lines.length).toBe(4);
      expect(Math.abs(estimateSlant(map, lines, pitch) - slant)).toBeLessThanOrEqual(0.05);
    }
  });

  it('shears each line upright about its centre row, so the page matches the upright one', () => {
    const upright = page(0).map;
    const { map, pitch } = page(0.26);
    const lines = findColumns(map, pitch).flatMap((c) => c.lines);
    const fixed = deslant(map, lines, pitch, estimateSlant(map, lines, pitch));
    const before = agreement(map, upright);
    const after = agreement(fixed, upright);
    expect(after).toBeGreaterThan(0.75);
    expect(after).toBeGreaterThan(before + 0.2);
    // rows between the line bands are kept as they were
    expect(deslant(map, lines, pitch, 0)).toBe(map);
  });
});
