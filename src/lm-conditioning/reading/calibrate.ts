/**
 * Calibrated reading: the cost of a letter and the temperature at which a read letter's glyph probability matches
 * how often such letters are right, measured on labelled lines the templates were not learned from. The labelled
 * lines are split in two folds; glyphs learned on one fold read the other with the glyph evidence alone at each
 * letter penalty of LETTER_PENALTIES (the one with the fewest edits is kept), every read letter is
 * marked right or wrong by aligning the reading to the known text (insertions are wrong), and the temperature
 * minimising the log loss of "right" against the letter's probability is kept. Glyphs learned on half the lines are
 * weaker than the full model's, so the fitted confidence errs on the side of doubt.
 *
 *   const cal = calibrateReading(ink, training, { pitch, alignOn: labels, align: 'rendered' });   // undefined: too few lines
 *   const model = { ...learned, confidenceAlpha: cal.confidenceAlpha, letterPenalty: cal.letterPenalty };
 */
import { ALPHABET_SIZE } from '../char-lm.js';
import { GREEK_ALPHABET } from '../greek-text.js';
import { alignText } from './align-text.js';
import { decodeLines, lineTables } from './decode.js';
import { learnGlyphs, type Band, type LabelledLine, type LearnOptions } from './glyphs.js';
import type { InkMap } from './ink-map.js';

interface Sample {
  llr: Float64Array;
  c: number;
  right: boolean;
}

/** Letter penalties tried (score units: the glyph log-likelihood ratio times the model's alpha). */
export const LETTER_PENALTIES = [0, 0.5, 1, 2, 3, 5, 8, 12];

export interface ReadingCalibration {
  /** Temperature of the letter confidence (GlyphModel.confidenceAlpha). */
  confidenceAlpha: number;
  /** Cost of a letter (GlyphModel.letterPenalty) and the held-out lines' errors and letters it read them with. */
  letterPenalty: number;
  errors: number;
  letters: number;
}

/**
 * The letter penalty that reads held-out labelled lines (glyph evidence alone) with the fewest edits, and the
 * confidence temperature fitted on that reading; undefined with fewer than two labelled lines or ten letters.
 */
export function calibrateReading(
  ink: InkMap,
  training: LabelledLine[],
  learn: LearnOptions,
  signal?: AbortSignal,
): ReadingCalibration | undefined {
  if (training.length < 2) return undefined;
  const folds = [0, 1]
    .map((fold) => ({
      teach: training.filter((_, i) => i % 2 !== fold),
      held: training.filter((_, i) => i % 2 === fold),
    }))
    .filter((f) => f.teach.length && f.held.length)
    .map((f) => {
      const model = { ...learnGlyphs(ink, f.teach, learn).model, pitch: learn.pitch };
      const bands = f.held.map((l) => l.band);
      // The glyph scores do not depend on the letter penalty: computed once, decoded at every penalty.
      return { ...f, model, bands, lines: lineTables(ink, bands, model) };
    });
  const readAt = (letterPenalty: number) => {
    const samples: Sample[] = [];
    let errors = 0;
    let letters = 0;
    for (const { held, model, bands, lines } of folds) {
      signal?.throwIfAborted();
      const llrs: Float64Array[][] = held.map(() => []);
      const read = decodeLines(
        ink,
        bands,
        { ...model, letterPenalty },
        { lines, onLetter: (line, k, llr) => (llrs[line]![k] = llr), signal },
      );
      read.forEach((got, li) => {
        const { right, edits } = alignText(
          got.map((l) => l.char),
          held[li]!.text,
        );
        errors += edits;
        letters += held[li]!.text.length;
        got.forEach((l, k) =>
          samples.push({ llr: llrs[li]![k]!, c: GREEK_ALPHABET.indexOf(l.char), right: right[k]! }),
        );
      });
    }
    return { samples, errors, letters, letterPenalty };
  };
  let best = readAt(LETTER_PENALTIES[0]!);
  for (const p of LETTER_PENALTIES.slice(1)) {
    const r = readAt(p);
    if (r.errors < best.errors) best = r;
  }
  if (best.samples.length < 10) return undefined;
  return {
    confidenceAlpha: fitTemperature(best.samples),
    letterPenalty: best.letterPenalty,
    errors: best.errors,
    letters: best.letters,
  };
}

/**
 * How clearly a line stands out of the map: the mean ink of its band's middle rows (within a quarter pitch of its
 * centre) minus the mean of the interlinear rows half a pitch above and below, over its inked extent, in units of
 * the spread of those interlinear rows. Fainter or noisier ink than the calibration lines' gives letters whose glyph
 * evidence overstates itself.
 */
export function lineContrast(ink: InkMap, band: Band, pitch: number): number {
  const { width: W, height: H } = ink;
  const core: number[] = [];
  const gap: number[] = [];
  const q = Math.max(1, Math.round(pitch / 4));
  const h = Math.round(pitch / 2);
  for (let x = Math.max(0, band.xs); x < Math.min(W, band.xe); x++) {
    for (let y = band.yc - q; y <= band.yc + q; y++) if (y >= 0 && y < H) core.push(ink.data[y * W + x]!);
    for (const y of [band.yc - h, band.yc + h]) if (y >= 0 && y < H) gap.push(ink.data[y * W + x]!);
  }
  if (!core.length || gap.length < 2) return 0;
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const g = mean(gap);
  const sd = Math.sqrt(gap.reduce((s, v) => s + (v - g) ** 2, 0) / (gap.length - 1));
  return (mean(core) - g) / Math.max(1e-6, sd);
}

/** The temperature minimising the log loss of "this letter is right" against its probability. */
function fitTemperature(samples: Sample[]): number {
  let best = { a: NaN, loss: Infinity };
  for (let e = -4; e <= 1.001; e += 0.05) {
    const a = 10 ** e;
    let loss = 0;
    for (const s of samples) {
      const p = Math.min(1 - 1e-6, Math.max(1e-6, probability(s.llr, s.c, a)));
      loss -= s.right ? Math.log(p) : Math.log(1 - p);
    }
    if (loss < best.loss) best = { a, loss };
  }
  return best.a;
}

/** softmax(a · llr)[c] */
function probability(llr: ArrayLike<number>, c: number, a: number): number {
  let m = -Infinity;
  for (let k = 0; k < ALPHABET_SIZE; k++) m = Math.max(m, a * llr[k]!);
  let z = 0;
  for (let k = 0; k < ALPHABET_SIZE; k++) z += Math.exp(a * llr[k]! - m);
  return Math.exp(a * llr[c]! - m) / z;
}
