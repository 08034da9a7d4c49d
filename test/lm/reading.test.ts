import { describe, expect, it } from 'vitest';
import { GREEK_ALPHABET } from '../../src/lm-conditioning/greek-text.js';
import { bitmapCapitals } from './bitmap-capitals.js';
import { KneserNeyLM } from '../../src/lm-conditioning/kneser-ney.js';
import { toLetterIds } from '../../src/lm-conditioning/char-lm.js';
import { loadSblgnt } from '../../src/lm-conditioning/greek-text.js';
import { lineText } from '../../src/lm-conditioning/reading/reading-file.js';
import { degradeInk, type InkMap } from '../../src/lm-conditioning/reading/ink-map.js';
import { estimatePitch, findColumns } from '../../src/lm-conditioning/reading/layout.js';
import { readingCer, readSegment } from '../../src/lm-conditioning/reading/reader.js';
import { decodeLine, decodeLines } from '../../src/lm-conditioning/reading/decode.js';
import { lineBand } from '../../src/lm-conditioning/reading/glyphs.js';

/**
 * A synthetic page: two columns of three lines, capitals 14 px high at book-hand proportions (the built-in bitmap
 * capitals stretched to each letter's width), 24 px line pitch, letters touching their neighbours' margins.
 */
const labelledText = ['ΑΒΓΔΕΖΗΘΙΚΛΜ', 'ΝΞΟΠΡΣΤΥΦΧΨΩ', 'ΕΝΑΡΧΗΗΝΟΛΟΓΟΣ'];
const unreadText = ['ΚΑΙΟΛΟΓΟΣΗΝ', 'ΠΡΟΣΤΟΝΘΕΟΝ', 'ΚΑΙΘΕΟΣΗΝΟ'];
const W = 460;
const H = 96;
const COL2_X = 250;

function renderPage(): InkMap {
  const r = 10;
  const glyphs = bitmapCapitals(14, 2, r, 0);
  const data = new Float32Array(W * H);
  const put = (lines: string[], x0: number) =>
    lines.forEach((t, li) => {
      let x = x0;
      const yc = 20 + li * 24;
      for (const ch of t) {
        const g = glyphs[GREEK_ALPHABET.indexOf(ch)]!;
        for (let i = 0; i < 2 * r + 1; i++)
          for (let j = 0; j < g.width; j++) if (g.t[i * g.width + j]! > 0.4) data[(yc - r + i) * W + x + j] = 1;
        x += g.width;
      }
    });
  put(labelledText, 10);
  put(unreadText, COL2_X);
  return { width: W, height: H, data };
}

const truthColumns = [
  { lines: labelledText, box: [10, 10, 230, 80] },
  { lines: unreadText, box: [COL2_X, 10, W, 80] },
];

describe('layout', () => {
  it('finds the line pitch, both columns and their three lines', () => {
    const page = renderPage();
    // True pitch 24 px; within 10% on the clean and on a noisy map (line centres are refined per line anyway).
    for (const m of [page, degradeInk(page, { seed: 2, noise: 0.15 })]) {
      expect(Math.abs(estimatePitch(m) - 24)).toBeLessThanOrEqual(3);
    }
    const cols = findColumns(degradeInk(page, { seed: 2, noise: 0.15 }));
    expect(cols).toHaveLength(2);
    expect(cols[1]!.x0).toBeGreaterThan(200);
    expect(cols.map((c) => c.lines.length)).toEqual([3, 3]);
  });
});

describe('reading a synthetic page', () => {
  it('reads the unlabelled column from glyphs learned on the labelled one, and the LM does not hurt', async () => {
    const labels = renderPage();
    const ink = degradeInk(labels, { seed: 3, noise: 0.15, contrast: 0.7, blur: 0.7 });
    const { train } = await loadSblgnt();
    const lm = KneserNeyLM.build(toLetterIds(train.slice(0, 200_000)), { order: 6 });
    const common = {
      segment: 'synthetic/seg',
      ink,
      labels,
      labelledRegion: [0, 0, 240, H] as [number, number, number, number],
      transcription: [labelledText],
    };
    const off = readSegment({ ...common, mode: 'off' });
    expect(off.trainingLines).toBe(3);
    expect(off.reading.columns).toHaveLength(2);
    const offCer = readingCer(off.reading, truthColumns, { minX: 240 });
    expect(offCer.letters).toBe(unreadText.join('').length);
    // The page's hand (bitmap capitals) is not the reader's prior (printed typefaces): 3 labelled lines teach it.
    expect(offCer.cer).toBeLessThan(0.2);
    const dec = readSegment({ ...common, mode: 'decode', lm });
    const decCer = readingCer(dec.reading, truthColumns, { minX: 240 });
    expect(decCer.cer).toBeLessThanOrEqual(offCer.cer + 0.05);
    // Letters carry boxes inside the page and probabilities.
    const l = dec.reading.columns[1]!.lines[0]!.letters[0]!;
    expect(l.bbox![0]).toBeGreaterThanOrEqual(COL2_X - 4);
    expect(l.confidence).toBeGreaterThan(0);
    expect(l.confidence).toBeLessThanOrEqual(1);
    expect(lineText(dec.reading.columns[1]!.lines[1]!)).toHaveLength(unreadText[1]!.length);
  });
});

describe('lines corrected by an editor', () => {
  it('teach the glyphs on a segment without labels: found again by their box, lines with lost letters left out', () => {
    const labels = renderPage();
    const ink = degradeInk(labels, { seed: 3, noise: 0.15, contrast: 0.7, blur: 0.7 });
    const first = readSegment({
      segment: 'synthetic/seg',
      ink,
      labels,
      labelledRegion: [0, 0, 240, H],
      transcription: [labelledText],
      mode: 'off',
    });
    // The editor corrected the first column line by line (the app keeps each line's text and box).
    const col1 = first.reading.columns[0]!;
    const corrected = col1.lines.map((l, i) => ({ text: labelledText[i]!, bbox: l.bbox }));
    const again = readSegment({ segment: 'synthetic/seg', ink, mode: 'off', correctedLines: corrected });
    expect(again.trainingLines).toBe(3);
    const cer = readingCer(again.reading, truthColumns, { minX: 240 });
    expect(cer.cer).toBeLessThan(0.15);
    // A line still holding an unknown letter, and a box where the layout finds no line, teach nothing.
    const partial = readSegment({
      segment: 'synthetic/seg',
      ink,
      mode: 'off',
      correctedLines: [
        ...corrected.slice(0, 2),
        { text: 'ΕΝΑΡ?ΗΗΝΟΛΟΓΟΣ', bbox: corrected[2]!.bbox },
        { text: 'ΑΒΓ', bbox: [0, 0, 5, 5] },
      ],
    });
    expect(partial.trainingLines).toBe(2);
    expect(() =>
      readSegment({
        segment: 'synthetic/seg',
        ink,
        mode: 'off',
        correctedLines: [{ text: 'ΑΒΓ', bbox: [0, 0, 5, 5] }],
      }),
    ).toThrow(/no corrected line is found on the map again/);
  });
});

describe('the line decoder', () => {
  it('never prunes the best path: without an LM (one state per x) a beam of 1 reads a noisy map as a beam of 1000 does', () => {
    const labels = renderPage();
    const ink = degradeInk(labels, { seed: 5, noise: 0.3, contrast: 0.5, blur: 1 });
    const r = readSegment({
      segment: 'synthetic/seg',
      ink,
      labels,
      labelledRegion: [0, 0, 240, H],
      transcription: [labelledText],
      mode: 'off',
    });
    // Lines and glyphs from the readable map, decoded on a much worse one, where greedy choices go wrong.
    const hard = degradeInk(labels, { seed: 6, noise: 0.6, contrast: 0.35, blur: 1.2 });
    const col = r.columns[1]!;
    for (const line of col.lines) {
      const band = { ...lineBand(line, r.pitch), r: r.glyphs.r };
      const narrow = decodeLine(hard, band, r.glyphs, { beam: 1 });
      const wide = decodeLine(hard, band, r.glyphs, { beam: 1000 });
      expect(narrow.length).toBeGreaterThan(5);
      expect(narrow.map((l) => [l.char, l.bbox])).toEqual(wide.map((l) => [l.char, l.bbox]));
    }
    // Read as one text, the column's lines keep their own letters: without an LM the best path through the column is
    // each line's best path.
    const bands = col.lines.map((line) => ({ ...lineBand(line, r.pitch), r: r.glyphs.r }));
    const together = decodeLines(hard, bands, r.glyphs);
    expect(together).toHaveLength(bands.length);
    together.forEach((letters, i) =>
      expect(letters.map((l) => [l.char, l.bbox])).toEqual(
        decodeLine(hard, bands[i]!, r.glyphs).map((l) => [l.char, l.bbox]),
      ),
    );
  });
});
