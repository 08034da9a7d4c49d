/**
 * Restoring lost letters with a character LM, as the restoration literature does it (Pythia 2019, Ithaca 2022):
 * a left-to-right beam search over the unknown letters, each finished candidate rescored by how well the text on
 * the right of the gap follows it. Gaps are written the Leiden way: `[...]` (one dot per lost letter) or `[.5]`.
 *
 *   const gaps = parseGappedText('ΕΝΑΡΧΗΗΝΟ[...]ΟΣ');           // known letters + 3 unknown slots
 *   const top = restore(lm, gaps, { beam: 20 });                 // [{ text: 'ΛΟΓ', letters, logProb, p }, ...]
 *
 * score(candidate) = log P(gap letters | left) + log P(first k right letters | left + gap), k = the LM's context
 * length (letters further right no longer see the gap). Probabilities are normalised over the final beam.
 *
 * With a backward model too (the same LM trained on reversed text), a second beam runs right-to-left; the union of
 * both beams is scored by the sum of both models' log-probabilities of the whole window (a product of experts).
 * Measured on SBLGNT held-out (300 gaps, beam 20): forward only CER 67%, both directions 61%.
 *
 *   const top = restore({ forward: lm, backward: lmReversed }, gaps);
 */
import { UserError } from '../cli/errors.js';
import { ALPHABET_SIZE, distributions, logProbOf, type CharLM } from './char-lm.js';
import { GREEK_ALPHABET, normalizeGreek } from './greek-text.js';

/** One position of a text with gaps: a known letter id, or -1 for a lost letter. */
export type GappedText = Int16Array;

/** Parses Greek text with Leiden gaps `[...]` / `[.N]` (and `[ΑΒ]` = letters the editor supplies, kept as known). */
export function parseGappedText(input: string): GappedText {
  const out: number[] = [];
  const re = /\[([^\]]*)\]/g;
  let last = 0;
  const pushKnown = (s: string) => {
    for (const ch of normalizeGreek(s)) out.push(GREEK_ALPHABET.indexOf(ch));
  };
  for (let m = re.exec(input); m; m = re.exec(input)) {
    pushKnown(input.slice(last, m.index));
    const inner = m[1]!.trim();
    let lost: number;
    if (/^\.\d+$/.test(inner)) lost = Number(inner.slice(1));
    else if (/^\.+$/.test(inner)) lost = inner.length;
    else if (/^[-–\s]*$/.test(inner)) throw new UserError(`gap '${m[0]}' has no known length: write [...] (one dot per letter) or [.N]`);
    else if (normalizeGreek(inner).length > 0 && !inner.includes('.')) {
      pushKnown(inner);
      lost = 0;
    } else throw new UserError(`cannot read gap '${m[0]}': write [...] (one dot per lost letter) or [.N]`);
    if (lost > 40) throw new UserError(`gap '${m[0]}' is too long (${lost} letters; at most 40)`);
    for (let i = 0; i < lost; i++) out.push(-1);
    last = m.index + m[0].length;
  }
  if (input.slice(last).includes('[')) throw new UserError(`unclosed '[' in '${input}'`);
  pushKnown(input.slice(last));
  return Int16Array.from(out);
}

export interface RestoreOptions {
  /** Beam width; also how many candidates come back (default 20). */
  beam?: number;
  /** Right-context letters used to rescore (default: the LM's context length). */
  rightLetters?: number;
  signal?: AbortSignal;
}

export interface RestoreCandidate {
  /** The letters filled into the gap(s), in order. */
  text: string;
  letters: Uint8Array;
  /** Natural-log score: log P(gap | left) + log P(right | left + gap). */
  logProb: number;
  /** Probability normalised over the returned candidates. */
  p: number;
}

interface Hyp {
  /** Letter ids from the first unknown position on. */
  seq: number[];
  score: number;
}

/** A forward LM, and optionally the same kind of model trained right-to-left. */
export interface RestorationModels {
  forward: CharLM;
  backward?: CharLM;
}

/**
 * Fills the unknown positions of `text` (at least one) and returns up to `beam` candidates, best first.
 * Accepts one LM (forward beam + right-context rescoring) or forward and backward LMs (see the module comment).
 */
export function restore(models: CharLM | RestorationModels, text: GappedText, opts: RestoreOptions = {}): RestoreCandidate[] {
  const { forward, backward } = 'forward' in models ? models : { forward: models, backward: undefined };
  const fwd = beamRestore(forward, text, opts);
  if (!backward) return fwd;
  const reversed = text.slice().reverse();
  const bwd = beamRestore(backward, reversed, opts).map((c) => c.letters.slice().reverse());
  const first = text.indexOf(-1);
  const last = text.lastIndexOf(-1);
  const unknown: number[] = [];
  for (let pos = first; pos <= last; pos++) if (text[pos] === -1) unknown.push(pos);
  const pool = new Map<string, Uint8Array>();
  for (const letters of [...fwd.map((c) => c.letters), ...bwd]) pool.set(letters.join(','), letters);
  const scored = [...pool.values()].map((letters) => {
    const full = Uint8Array.from(text, (v) => Math.max(v, 0));
    unknown.forEach((pos, i) => (full[pos] = letters[i]!));
    const kf = forward.contextLength;
    const f = logProbOf(forward, full.subarray(Math.max(0, first - kf), first), full.subarray(first, Math.min(full.length, last + 1 + kf)));
    const rev = full.slice().reverse();
    const rFirst = full.length - 1 - last;
    const rLast = full.length - 1 - first;
    const kb = backward.contextLength;
    const b = logProbOf(backward, rev.subarray(Math.max(0, rFirst - kb), rFirst), rev.subarray(rFirst, Math.min(rev.length, rLast + 1 + kb)));
    return { letters, score: f + b };
  });
  scored.sort((a, b) => b.score - a.score);
  return toCandidates(scored.slice(0, opts.beam ?? 20));
}

function toCandidates(list: { letters: Uint8Array; score: number }[]): RestoreCandidate[] {
  const max = list[0]!.score;
  const z = list.reduce((s, h) => s + Math.exp(h.score - max), 0);
  return list.map(({ letters, score }) => {
    let s = '';
    for (const l of letters) s += GREEK_ALPHABET[l];
    return { text: s, letters, logProb: score, p: Math.exp(score - max) / z };
  });
}

/** Left-to-right beam over the unknown letters, finished candidates rescored by the right context. */
function beamRestore(lm: CharLM, text: GappedText, opts: RestoreOptions): RestoreCandidate[] {
  const beamWidth = opts.beam ?? 20;
  const first = text.indexOf(-1);
  if (first < 0) throw new UserError('nothing to restore: the text has no gap ([...] or [.N])');
  const lastGap = text.lastIndexOf(-1);
  const left = Array.from(text.subarray(Math.max(0, first - lm.contextLength), first));
  let beam: Hyp[] = [{ seq: [], score: 0 }];
  for (let pos = first; pos <= lastGap; pos++) {
    opts.signal?.throwIfAborted();
    const known = text[pos]!;
    const ctxs = beam.map((h) => left.concat(h.seq).slice(-lm.contextLength));
    const dists = distributions(lm, ctxs);
    const next: Hyp[] = [];
    beam.forEach((h, b) => {
      const d = dists[b]!;
      if (known >= 0) next.push({ seq: [...h.seq, known], score: h.score + Math.log(d[known]!) });
      else for (let w = 0; w < ALPHABET_SIZE; w++) next.push({ seq: [...h.seq, w], score: h.score + Math.log(d[w]!) });
    });
    next.sort((a, b) => b.score - a.score);
    beam = next.slice(0, beamWidth);
  }
  // Rescore with the right context: each right letter's probability given everything before it.
  const k = Math.min(opts.rightLetters ?? lm.contextLength, text.length - lastGap - 1);
  const right = Array.from(text.subarray(lastGap + 1, lastGap + 1 + k));
  if (right.some((v) => v < 0)) throw new UserError('internal: unknown letter in the right context');
  for (let j = 0; j < right.length; j++) {
    const ctxs = beam.map((h) => left.concat(h.seq, right.slice(0, j)).slice(-lm.contextLength));
    const dists = distributions(lm, ctxs);
    beam.forEach((h, b) => {
      h.score += Math.log(dists[b]![right[j]!]!);
    });
  }
  beam.sort((a, b) => b.score - a.score);
  const unknownOffsets: number[] = [];
  for (let pos = first; pos <= lastGap; pos++) if (text[pos] === -1) unknownOffsets.push(pos - first);
  return toCandidates(beam.map((h) => ({ letters: Uint8Array.from(unknownOffsets.map((o) => h.seq[o]!)), score: h.score })));
}

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
