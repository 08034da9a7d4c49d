// The layout where the ink map is poor beside a column: clutter in an intercolumnium (the readout's response to
// fibres). findColumns keeps the stretch that holds lines, or, knowing the page's column width (the labelled
// columns), sets runs that are off it back to it; the line pitch is found on pages of three and four lines.
import { describe, expect, it } from 'vitest';
import { GREEK_ALPHABET } from '../../src/lm-conditioning/greek-text.js';
import { seededRandom } from '../../src/lm-conditioning/restore-eval.js';
import { degradeInk, type InkMap } from '../../src/lm-conditioning/reading/ink-map.js';
import { estimatePitch, findColumns } from '../../src/lm-conditioning/reading/layout.js';
import { normalizeInk } from '../../src/lm-conditioning/reading/normalize.js';
import { bitmapCapitals } from './bitmap-capitals.js';

const TEXT = ['ΕΝΑΡΧΗΗΝΟΛΟΓΟΣ', 'ΚΑΙΟΛΟΓΟΣΗΝΠΡ', 'ΟΣΤΟΝΘΕΟΝΚΑΙΘ', 'ΕΟΣΗΝΟΛΟΓΟΣΟΥ'];

/** Columns of TEXT at x0s; returns the map and each column's [x0, x1). */
function page(o: { x0s: number[]; pitch: number; letterHeight: number; width: number; lines?: number }) {
  const r = Math.round(0.45 * o.pitch);
  const glyphs = bitmapCapitals(o.letterHeight, Math.max(2, Math.round(o.letterHeight / 7)), r, 0);
  const lines = TEXT.slice(0, o.lines ?? TEXT.length);
  const height = Math.round(o.pitch * (lines.length + 1));
  const data = new Float32Array(o.width * height);
  const boxes = o.x0s.map((x0) => {
    let x1 = x0;
    lines.forEach((t, li) => {
      let x = x0;
      const yc = Math.round(o.pitch * (li + 1));
      for (const ch of t) {
        const g = glyphs[GREEK_ALPHABET.indexOf(ch)]!;
        for (let i = 0; i < 2 * r + 1; i++)
          for (let j = 0; j < g.width; j++) if (g.t[i * g.width + j]! > 0.4) data[(yc - r + i) * o.width + x + j] = 1;
        x += g.width;
      }
      x1 = Math.max(x1, x);
    });
    return [x0, x1] as [number, number];
  });
  return { map: { width: o.width, height, data } as InkMap, boxes };
}

function iou(a: [number, number], b: [number, number]): number {
  const i = Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
  return i / (Math.max(a[1], b[1]) - Math.min(a[0], b[0]));
}

describe('column widths from the labelled columns', () => {
  const { map, boxes } = page({ x0s: [10, 300], pitch: 22, letterHeight: 13, width: 520 });
  const width = boxes[0]![1] - boxes[0]![0];

  it('finds a column where clutter beside it reads as ink, with and without the page width', () => {
    // Blobs of ink-like response over 50 px of the gap left of the second column, brighter than the writing.
    const rand = seededRandom(5);
    const cluttered = { ...map, data: map.data.slice() };
    for (let k = 0; k < 70; k++) {
      const cx = Math.round(boxes[1]![0] - 52 + rand() * 48);
      const cy = Math.round(4 + rand() * (map.height - 8));
      for (let dy = -2; dy <= 2; dy++)
        for (let dx = -2; dx <= 2; dx++) cluttered.data[(cy + dy) * map.width + cx + dx] = 0.7;
    }
    const ink = normalizeInk(degradeInk(cluttered, { seed: 1, noise: 0.1, contrast: 0.6, blur: 0.8 }));
    const pitch = estimatePitch(ink);
    const bare = findColumns(ink, pitch);
    const fitted = findColumns(ink, pitch, { columnWidth: width });
    expect(bare).toHaveLength(2);
    expect(fitted).toHaveLength(2);
    // Summed ink puts the clutter in the second column (a run of about 1.25 widths); its line structure (without
    // the page's width) and the width (with it) put the column back where the lines are.
    for (const cols of [bare, fitted])
      cols.forEach((c, i) => expect(iou([c.x0, c.x1], boxes[i]!), `column ${i}`).toBeGreaterThan(0.85));
  });
});

describe('line pitch of short pages', () => {
  it.each([
    [10, 6, 4],
    [16, 9, 4],
    [22, 13, 3],
    [30, 16, 3],
  ])('pitch %i px (letters %i px, %i lines) on a noisy map', (pitch, letterHeight, lines) => {
    const { map } = page({ x0s: [8, 240], pitch, letterHeight, width: 480, lines });
    for (const seed of [1, 2, 3]) {
      const ink = normalizeInk(degradeInk(map, { seed, noise: 0.25, contrast: 0.5, blur: 1 }));
      expect(Math.abs(estimatePitch(ink) / pitch - 1), `seed ${seed}`).toBeLessThan(0.08);
    }
  });
});
