/**
 * The restoration benchmark of Pythia/Ithaca on held-out text: hide one contiguous span of 1–10 letters with
 * context on both sides, restore it with a beam of 20, and report character error rate (edit distance of the top-1
 * guess / span length, summed over samples), top-1 and top-20 exact-span accuracy. The samples are a fixed,
 * seeded draw, so two models (or two runs) are scored on the same gaps.
 *
 *   const r = evalRestoration(lm, toLetterIds(heldOut), { samples: 500 });   // { cer, top1, top20, ... }
 */
import type { CharLM } from './char-lm.js';
import type { RestorationModels, RestoreOptions } from './restore.js';
import { fromLetterIds } from './char-lm.js';
import { editDistance, restore } from './restore.js';
import { mulberry32 } from '../core/random.js';

export interface RestorationSample {
  /** Letter ids: left context, the hidden span as -1, right context. */
  text: Int16Array;
  truth: string;
}

export interface RestorationResult {
  samples: number;
  /** Summed edit distance of the top-1 guesses / summed span length. */
  cer: number;
  top1: number;
  top20: number;
  seconds: number;
}

/** Small seeded PRNG, so sample sets are reproducible. */
export const seededRandom = mulberry32;

/** A fixed set of gaps: span length uniform in [minSpan, maxSpan], `context` letters on each side. */
export function restorationSamples(
  ids: Uint8Array,
  count: number,
  opts: { seed?: number; context?: number; minSpan?: number; maxSpan?: number } = {},
): RestorationSample[] {
  const rand = seededRandom(opts.seed ?? 7);
  const context = opts.context ?? 20;
  const minSpan = opts.minSpan ?? 1;
  const maxSpan = opts.maxSpan ?? 10;
  const out: RestorationSample[] = [];
  for (let i = 0; i < count; i++) {
    const span = minSpan + Math.floor(rand() * (maxSpan - minSpan + 1));
    const start = context + Math.floor(rand() * (ids.length - span - 2 * context));
    const text = Int16Array.from(ids.subarray(start - context, start + span + context));
    text.fill(-1, context, context + span);
    out.push({ text, truth: fromLetterIds(ids.subarray(start, start + span)) });
  }
  return out;
}

export function evalRestoration(
  lm: CharLM | RestorationModels,
  ids: Uint8Array,
  opts: {
    samples?: number;
    beam?: number;
    seed?: number;
    /** Search settings passed to restore() (beam and signal are set from the options above). */
    restore?: RestoreOptions;
    signal?: AbortSignal;
    onSample?: (done: number, total: number) => void;
  } = {},
): RestorationResult {
  const t0 = performance.now();
  const samples = restorationSamples(ids, opts.samples ?? 500, { seed: opts.seed });
  const beam = opts.beam ?? 20;
  let errors = 0;
  let letters = 0;
  let top1 = 0;
  let top20 = 0;
  samples.forEach((s, i) => {
    const cands = restore(lm, s.text, { ...opts.restore, beam, signal: opts.signal });
    errors += editDistance(cands[0]!.text, s.truth);
    letters += s.truth.length;
    if (cands[0]!.text === s.truth) top1++;
    if (cands.slice(0, 20).some((c) => c.text === s.truth)) top20++;
    opts.onSample?.(i + 1, samples.length);
  });
  return {
    samples: samples.length,
    cer: errors / letters,
    top1: top1 / samples.length,
    top20: top20 / samples.length,
    seconds: (performance.now() - t0) / 1000,
  };
}
