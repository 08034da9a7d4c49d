/**
 * What every Greek character language model offers the rest of the project: the probability of each of the
 * 24 letters after a context of letter ids (0..23, GREEK_ALPHABET order), and helpers to turn text into ids.
 *
 *   const ids = toLetterIds('ΕΝΑΡΧΗ');
 *   const p = lm.distribution(ids);           // Float64Array(24), sums to 1
 *   const bits = bitsPerChar(lm, toLetterIds(heldOut));
 */
import { GREEK_ALPHABET, normalizeGreek } from './greek-text.js';

export const ALPHABET_SIZE = GREEK_ALPHABET.length; // 24

export interface CharLM {
  /** Short human name, e.g. 'kn-10' or 'neural-mlp'. */
  readonly name: string;
  /** How many preceding letters the model looks at (longer contexts are cut to this). */
  readonly contextLength: number;
  /** P(next letter | context) over the 24 letters; `context` is letter ids, oldest first. Writes into `out` if given. */
  distribution(context: ArrayLike<number>, out?: Float64Array): Float64Array;
  /** The same for many contexts at once (one batched call for a neural model); optional. */
  distributionBatch?(contexts: ArrayLike<number>[]): Float64Array[];
}

/** P(next | context) for each context, batched when the model can. */
export function distributions(lm: CharLM, contexts: ArrayLike<number>[]): Float64Array[] {
  if (lm.distributionBatch) return lm.distributionBatch(contexts);
  return contexts.map((c) => lm.distribution(c));
}

/** Letter ids of normalised Greek text (the text is normalised first, so any Greek string is accepted). */
export function toLetterIds(text: string): Uint8Array {
  const norm = normalizeGreek(text);
  const ids = new Uint8Array(norm.length);
  for (let i = 0; i < norm.length; i++) ids[i] = GREEK_ALPHABET.indexOf(norm[i]!);
  return ids;
}

export function fromLetterIds(ids: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) s += GREEK_ALPHABET[ids[i]!];
  return s;
}

/**
 * Average bits per character of `ids` under the model (each letter predicted from the letters before it, up to
 * contextLength). `limit` caps how many letters are scored (spread evenly is not needed: a prefix is fine).
 */
export function bitsPerChar(lm: CharLM, ids: Uint8Array, limit = ids.length): number {
  const n = Math.min(limit, ids.length);
  const p = new Float64Array(ALPHABET_SIZE);
  let bits = 0;
  for (let i = 0; i < n; i++) {
    const ctx = ids.subarray(Math.max(0, i - lm.contextLength), i);
    lm.distribution(ctx, p);
    bits -= Math.log2(p[ids[i]!]!);
  }
  return bits / n;
}

/** log P(ids | context) in nats, letter by letter. */
export function logProbOf(lm: CharLM, context: Uint8Array, ids: ArrayLike<number>): number {
  const buf = new Uint8Array(context.length + ids.length);
  buf.set(context, 0);
  for (let i = 0; i < ids.length; i++) buf[context.length + i] = ids[i]!;
  const p = new Float64Array(ALPHABET_SIZE);
  let lp = 0;
  for (let i = 0; i < ids.length; i++) {
    const end = context.length + i;
    lm.distribution(buf.subarray(Math.max(0, end - lm.contextLength), end), p);
    lp += Math.log(p[ids[i]!]!);
  }
  return lp;
}
