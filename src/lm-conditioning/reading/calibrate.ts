/**
 * Calibrated letter confidence: the temperature at which a read letter's glyph probability matches how often such
 * letters are right, measured on labelled lines the templates were not learned from. The labelled lines are split
 * in two folds; glyphs learned on one fold read the other with the glyph evidence alone, every read letter is
 * marked right or wrong by aligning the reading to the known text (insertions are wrong), and the temperature
 * minimising the log loss of "right" against the letter's probability is kept. Glyphs learned on half the lines are
 * weaker than the full model's, so the fitted confidence errs on the side of doubt.
 *
 *   const t = fitConfidenceAlpha(ink, training, { pitch, alignOn: labels, align: 'rendered' });   // undefined: too few lines
 *   const model = { ...learned, confidenceAlpha: t };
 */
import { ALPHABET_SIZE } from '../char-lm.js';
import { GREEK_ALPHABET } from '../greek-text.js';
import { rightLetters } from './align-text.js';
import { decodeLines } from './decode.js';
import { learnGlyphs, type LabelledLine, type LearnOptions } from './glyphs.js';
import type { InkMap } from './ink-map.js';

interface Sample {
  llr: Float64Array;
  c: number;
  right: boolean;
}

export function fitConfidenceAlpha(
  ink: InkMap,
  training: LabelledLine[],
  learn: LearnOptions,
  signal?: AbortSignal,
): number | undefined {
  if (training.length < 2) return undefined;
  const samples: Sample[] = [];
  for (const fold of [0, 1]) {
    signal?.throwIfAborted();
    const teach = training.filter((_, i) => i % 2 !== fold);
    const held = training.filter((_, i) => i % 2 === fold);
    if (!teach.length || !held.length) continue;
    const model = { ...learnGlyphs(ink, teach, learn).model, pitch: learn.pitch };
    const llrs: Float64Array[][] = held.map(() => []);
    const read = decodeLines(
      ink,
      held.map((l) => l.band),
      model,
      { onLetter: (line, k, llr) => (llrs[line]![k] = llr), signal },
    );
    read.forEach((letters, li) => {
      const right = rightLetters(
        letters.map((l) => l.char),
        held[li]!.text,
      );
      letters.forEach((l, k) => samples.push({ llr: llrs[li]![k]!, c: GREEK_ALPHABET.indexOf(l.char), right: right[k]! }));
    });
  }
  if (samples.length < 10) return undefined;
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
export function probability(llr: ArrayLike<number>, c: number, a: number): number {
  let m = -Infinity;
  for (let k = 0; k < ALPHABET_SIZE; k++) m = Math.max(m, a * llr[k]!);
  let z = 0;
  for (let k = 0; k < ALPHABET_SIZE; k++) z += Math.exp(a * llr[k]! - m);
  return Math.exp(a * llr[c]! - m) / z;
}
