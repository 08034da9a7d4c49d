// The reader does not fabricate: letter confidence is calibrated on held-out labelled lines (and cooled on lines
// fainter than those), a noise-only stretch comes out uncertain or lost (never as confident letters), and the LM may
// only choose letters the ink allows.
import { describe, expect, it } from 'vitest';
import { GREEK_ALPHABET, loadSblgnt } from '../../src/lm-conditioning/greek-text.js';
import { bitmapCapitals } from './bitmap-capitals.js';
import { KneserNeyLM } from '../../src/lm-conditioning/kneser-ney.js';
import { toLetterIds } from '../../src/lm-conditioning/char-lm.js';
import { UNDERDOT_THRESHOLD } from '../../src/lm-conditioning/reading/reading-file.js';
import { degradeInk, type InkMap } from '../../src/lm-conditioning/reading/ink-map.js';
import { readSegment } from '../../src/lm-conditioning/reading/reader.js';
import { rightLetters } from '../../src/lm-conditioning/reading/align-text.js';

const labelled = ['ΕΝΑΡΧΗΗΝΟΛΟΓ', 'ΟΣΚΑΙΟΛΟΓΟΣ', 'ΗΝΠΡΟΣΤΟΝΘΕ', 'ΟΝΚΑΙΘΕΟΣΗΝ'];
const unread = ['ΟΛΟΓΟΣΟΥΤΟΣΗ', 'ΝΕΝΑΡΧΗΠΡΟΣ', 'ΤΟΝΘΕΟΝΠΑΝΤ', 'ΑΔΙΑΥΤΟΥΕΓΕ'];

function page(noise?: { line: number; x0: number; x1: number }, faintLine?: number) {
  const pitch = 24;
  const r = Math.round(0.45 * pitch);
  const glyphs = bitmapCapitals(14, 2, r, 0);
  const width = 640;
  const height = pitch * 5;
  const data = new Float32Array(width * height);
  [
    { x: 10, lines: labelled },
    { x: 330, lines: unread },
  ].forEach((col) =>
    col.lines.forEach((t, li) => {
      let x = col.x;
      const yc = pitch * (li + 1);
      for (const ch of t) {
        const g = glyphs[GREEK_ALPHABET.indexOf(ch)]!;
        for (let i = 0; i < 2 * r + 1; i++)
          for (let j = 0; j < g.width; j++) if (g.t[i * g.width + j]! > 0.4) data[(yc - r + i) * width + x + j] = 1;
        x += g.width;
      }
    }),
  );
  const map: InkMap = { width, height, data };
  const ink = degradeInk(map, { seed: 7, noise: 0.12, contrast: 0.7, blur: 0.7 });
  if (faintLine !== undefined) {
    // One line of the unread column at 60 % of the contrast (ink that faded, or a readout that sees it poorly).
    const yc = pitch * (faintLine + 1);
    for (let y = yc - r; y <= yc + r; y++)
      for (let x = 330; x < width; x++) ink.data[y * width + x] = 0.15 + (ink.data[y * width + x]! - 0.15) / 1.6;
  }
  if (noise) {
    // Replace a stretch of one line by ink-like noise: blobs as bright as letters, no letter shapes.
    const yc = pitch * (noise.line + 1);
    let s = 12345;
    const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    for (let y = yc - r; y <= yc + r; y++)
      for (let x = noise.x0; x < noise.x1; x++) ink.data[y * width + x] = 0.15 + 0.7 * (rand() < 0.3 ? 1 : 0) * rand();
  }
  return { map, ink };
}

/** Glyphs learned on the clean page's labelled column (its left one), with their calibration. */
function learnOnCleanPage() {
  const clean = page();
  return readSegment({
    segment: 'a/seg',
    ink: clean.ink,
    labels: clean.map,
    labelledRegion: [0, 0, 320, clean.map.height],
    transcription: [labelled],
    mode: 'off',
  });
}

describe('honest reading', () => {
  it('calibrates letter confidence on held-out labelled lines: confident letters are right', () => {
    const r = learnOnCleanPage();
    expect(r.glyphs.confidenceAlpha).toBeGreaterThan(0);
    const letters = r.reading.columns[1]!.lines.flatMap((l) => l.letters);
    const right = rightLetters(
      letters.map((l) => l.char),
      unread.join(''),
    );
    const plain = letters.filter((l) => l.source === 'ink' && l.confidence >= UNDERDOT_THRESHOLD);
    expect(plain.length).toBeGreaterThan(letters.length / 2);
    const plainRight = letters.filter((l, i) => right[i] && l.source === 'ink' && l.confidence >= UNDERDOT_THRESHOLD);
    expect(plainRight.length / plain.length).toBeGreaterThanOrEqual(0.9);
  });

  it('a line fainter than the calibration lines is read with less confidence; the others about as before', () => {
    const learned = learnOnCleanPage();
    expect(learned.glyphs.confidenceContrast).toBeGreaterThan(0);
    const { ink } = page(undefined, 1);
    const read = (glyphs: typeof learned.glyphs) =>
      readSegment({ segment: 'b/seg', ink, glyphs, mode: 'off', scale: 1 }).reading.columns.find(
        (c) => c.bbox && c.bbox[0] > 300,
      )!.lines;
    const scaled = read(learned.glyphs);
    const unscaled = read({ ...learned.glyphs, confidenceContrast: undefined });
    const mean = (ls: { confidence: number }[]) => ls.reduce((s, l) => s + l.confidence, 0) / ls.length;
    expect(mean(scaled[1]!.letters)).toBeLessThan(mean(unscaled[1]!.letters) - 0.05);
    // Lines as clear as the labelled ones (half of them a little below their median) keep about their confidence.
    for (const li of [0, 2, 3]) expect(mean(scaled[li]!.letters)).toBeCloseTo(mean(unscaled[li]!.letters), 1);
  });

  it('a noise-only stretch is read as uncertain or lost, with and without the LM, never as confident letters', async () => {
    const first = learnOnCleanPage();
    const stretch = { line: 2, x0: 400, x1: 470 };
    const { ink } = page(stretch);
    const { train } = await loadSblgnt();
    const lm = KneserNeyLM.build(toLetterIds(train.slice(0, 200_000)), { order: 6 });
    for (const mode of ['off', 'decode'] as const) {
      const r = readSegment({ segment: 'b/seg', ink, glyphs: first.glyphs, mode, lm, scale: 1, beam: 200 });
      const line = r.reading.columns.find((c) => c.bbox && c.bbox[0] > 300)!.lines[stretch.line]!;
      const inside = line.letters.filter((l) => {
        if (!l.bbox) return false;
        const cx = (l.bbox[0] + l.bbox[2]) / 2;
        return cx > stretch.x0 + 4 && cx < stretch.x1 - 4;
      });
      const confident = inside.filter((l) => l.source === 'ink' && l.confidence >= UNDERDOT_THRESHOLD);
      expect(confident.length, `${mode}: ${inside.map((l) => `${l.char}${l.confidence.toFixed(2)}`).join(' ')}`).toBe(
        0,
      );
    }
  }, 60_000);
});
