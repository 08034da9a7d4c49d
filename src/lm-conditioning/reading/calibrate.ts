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
import { learnGlyphs, type LabelledLine, type LearnOptions } from './glyphs.js';
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
