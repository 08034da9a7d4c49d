/**
 * Restoring lost letters with character LMs, as the restoration literature does it (Pythia 2019, Ithaca 2022).
 * Gaps are written the Leiden way: `[...]` (one dot per lost letter) or `[.5]`.
 *
 *   const gaps = parseGappedText('ΕΝΑΡΧΗΗΝΟ[...]ΟΣ');           // known letters + 3 unknown slots
 *   const top = restore({ forward, backward, experts: [{ scorer: words.windowScorer(), weight: 1 }] }, gaps);
 *   // [{ text: 'ΛΟΓ', letters, logProb, p }, ...] best first, p normalised over the returned candidates
 *
 * The wide search (default): a beam of 128 left to right with the forward model and one right to left with the
 * backward model (the same LM trained on reversed text); meet in the middle (the forward beam's first half joined
 * to the backward beam's second half, best pairs first); fillings proposed by experts (the word model's lexicon
 * words). Every candidate is then scored exactly over the whole window: forward log-probability of the gap and the
 * k right letters that still see it, the same with the backward model, plus each expert's weighted score (a
 * product of experts). Candidates come in order of probability (`pick` can put a lower-CER reading first).
 * `search: 'classic'` is the earlier search (beams of `beam`, forward rescored by the right context).
 *
 * The search's options were chosen on dev books (models built without them); `npm run bench -- --only lm` measures
 * the held-out books (Hebrews + catholic epistles). With a search this wide the remaining errors are the models',
 * not the search's: no probed gap's truth scored above the returned top-1.
 */
import { UserError } from '../core/errors.js';
import { ALPHABET_SIZE, distributions, logProbOf, type CharLM } from './char-lm.js';
import { GREEK_ALPHABET, normalizeGreek } from './greek-text.js';

/**
 * Default posterior temperature, chosen on the dev books (100 gaps, wide search + word model): mean -log p(truth)
 * 3.53 at 0.3 (3.58 at 0.2, 3.60 at 0.5, 3.79 at 1); at 0.3 the first candidate's mean p is 0.54 for a top-1
 * accuracy of 0.41 (0.2 matches it exactly: the probabilities lean a little confident).
 */
export const RESTORE_TEMPERATURE = 0.3;

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
    else if (/^[-–\s]*$/.test(inner))
      throw new UserError(`gap '${m[0]}' has no known length: write [...] (one dot per letter) or [.N]`);
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
  /** How many candidates come back (default 20). */
  beam?: number;
  /**
   * Width of the internal beams (forward and backward each; default 128). Wider than `beam`: a beam that sees one
   * side only loses the right answer before the other side can vote.
   */
  searchBeam?: number;
  /**
   * Meet in the middle: this many (forward half, backward half) pairs, ranked by the two halves' own scores, are
   * also scored exactly (default 256; 0 = off). Finds spans whose halves each fit their own side.
   */
  meetPairs?: number;
  /** true: same as pick 'mbr'. */
  mbr?: boolean;
  /**
   * Which reading comes first (the rest follow by score): 'max' (default) the best score, so candidates come in
   * order of probability; 'mbr' the candidate with the least expected edit distance to the others; 'letters' the
   * likeliest letter at each position under the candidates' posterior. The last two lower CER (dev books, 120 gaps,
   * temperature 0.5: 'letters' 58.1%, 'mbr' 59.7%, 'max' 59.8%) but can put first a blend of two words that is
   * no word at all (ΤΑΖΩΗΣΑΙ between ΤΗΡΙΑΣΑΙ and ΜΑΖΩΗΣΑΙ), so an editor sees the likeliest reading first.
   */
  pick?: 'mbr' | 'max' | 'letters';
  /**
   * Posterior over candidates = softmax(temperature · score) (default RESTORE_TEMPERATURE): below 1 because the
   * two letter models both score every letter and the word model scores them again.
   */
  temperature?: number;
  /** Right-context letters used to rescore in the classic search (default: the LM's context length). */
  rightLetters?: number;
  /** 'wide' (default): both-direction beams + meet in the middle + exact window scores; 'classic': the old search. */
  search?: 'wide' | 'classic';
  signal?: AbortSignal;
}

export interface RestoreCandidate {
  /** The letters filled into the gap(s), in order. */
  text: string;
  letters: Uint8Array;
  /** Natural-log score of the whole window with this filling (sum over the models). */
  logProb: number;
  /** Probability normalised over the returned candidates. */
  p: number;
}

interface Hyp {
  /** Letter ids from the first unknown position on. */
  seq: number[];
  score: number;
}

/** Scores a whole filled window; higher is better (natural log). Extra experts (a word model) plug in here. */
export interface WindowScorer {
  readonly name: string;
  /** log-score of `full` (every position known) where letters first..last were restored. */
  score(full: Uint8Array, first: number, last: number): number;
  /** Optional candidate fillings of positions first..last (known letters inside included), added to the search pool. */
  propose?(text: GappedText): number[][];
}

/** A forward LM, optionally the same kind of model trained right-to-left, and optional extra window experts. */
export interface RestorationModels {
  forward: CharLM;
  backward?: CharLM;
  /** Extra experts added to the window score, each with a weight (e.g. a word model). */
  experts?: { scorer: WindowScorer; weight: number }[];
}

/** Memoised P(next | context) for one restoration: candidates share most of their contexts. */
export class DistributionCache {
  private readonly map = new Map<number, Float64Array>();
  constructor(readonly lm: CharLM) {}

  private key(ctx: ArrayLike<number>): number {
    let k = ctx.length;
    for (let i = 0; i < ctx.length; i++) k = k * 25 + ctx[i]! + 1;
    return k;
  }

  /** Makes sure every context is cached (one batched call for the missing ones). */
  ensure(contexts: ArrayLike<number>[]): void {
    const missing: ArrayLike<number>[] = [];
    const keys: number[] = [];
    const seen = new Set<number>();
    for (const c of contexts) {
      const k = this.key(c);
      if (!this.map.has(k) && !seen.has(k)) {
        seen.add(k);
        missing.push(c);
        keys.push(k);
      }
    }
    if (!missing.length) return;
    const d = distributions(this.lm, missing);
    keys.forEach((k, i) => this.map.set(k, d[i]!));
  }

  get(ctx: ArrayLike<number>): Float64Array {
    const k = this.key(ctx);
    let d = this.map.get(k);
    if (!d) {
      d = this.lm.distribution(ctx);
      this.map.set(k, d);
    }
    return d;
  }

  /** log P(ids[from..to) | what precedes each) under the LM, contexts cut to its length. */
  logProbRange(ids: Uint8Array, from: number, to: number): number {
    const k = this.lm.contextLength;
    let lp = 0;
    for (let i = from; i < to; i++) lp += Math.log(this.get(ids.subarray(Math.max(0, i - k), i))[ids[i]!]!);
    return lp;
  }
}

/**
 * Fills the unknown positions of `text` (at least one) and returns up to `beam` candidates, best first.
 * Accepts one LM or forward and backward LMs (and extra window experts); see the module comment.
 */
export function restore(
  models: CharLM | RestorationModels,
  text: GappedText,
  opts: RestoreOptions = {},
): RestoreCandidate[] {
  const m: RestorationModels = 'forward' in models ? models : { forward: models };
  if (text.indexOf(-1) < 0) throw new UserError('nothing to restore: the text has no gap ([...] or [.N])');
  if (opts.search === 'classic') return classicRestore(m, text, opts);
  return wideRestore(m, text, opts);
}

/** The earlier search: forward beam `beam` (+ backward beam), union scored by both models. Kept for comparison. */
function classicRestore(models: RestorationModels, text: GappedText, opts: RestoreOptions): RestoreCandidate[] {
  const { forward, backward } = models;
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
    const f = logProbOf(
      forward,
      full.subarray(Math.max(0, first - kf), first),
      full.subarray(first, Math.min(full.length, last + 1 + kf)),
    );
    const rev = full.slice().reverse();
    const rFirst = full.length - 1 - last;
    const rLast = full.length - 1 - first;
    const kb = backward.contextLength;
    const b = logProbOf(
      backward,
      rev.subarray(Math.max(0, rFirst - kb), rFirst),
      rev.subarray(rFirst, Math.min(rev.length, rLast + 1 + kb)),
    );
    return { letters, score: f + b };
  });
  scored.sort((a, b) => b.score - a.score);
  return toCandidates(scored.slice(0, opts.beam ?? 20), 1);
}

/** Beam over positions first..last of `text`, left to right; snapshot[t] = the beam after t positions. */
function beamSnapshots(cache: DistributionCache, text: GappedText, width: number, signal?: AbortSignal): Hyp[][] {
  const first = text.indexOf(-1);
  const last = text.lastIndexOf(-1);
  const k = cache.lm.contextLength;
  const left = Array.from(text.subarray(Math.max(0, first - k), first));
  let beam: Hyp[] = [{ seq: [], score: 0 }];
  const snapshots: Hyp[][] = [beam];
  // Scores of every (hypothesis, letter) extension; only the kept ones become arrays.
  let scores = new Float64Array(0);
  for (let pos = first; pos <= last; pos++) {
    signal?.throwIfAborted();
    const known = text[pos]!;
    const ctxs = beam.map((h) => left.concat(h.seq).slice(-k));
    cache.ensure(ctxs);
    if (scores.length < beam.length * ALPHABET_SIZE) scores = new Float64Array(beam.length * ALPHABET_SIZE);
    const order: number[] = [];
    beam.forEach((h, b) => {
      const d = cache.get(ctxs[b]!);
      for (let w = 0; w < ALPHABET_SIZE; w++) {
        if (known >= 0 && w !== known) continue;
        scores[b * ALPHABET_SIZE + w] = h.score + Math.log(d[w]!);
        order.push(b * ALPHABET_SIZE + w);
      }
    });
    order.sort((a, c) => scores[c]! - scores[a]!);
    beam = order
      .slice(0, width)
      .map((i) => ({ seq: [...beam[(i / ALPHABET_SIZE) | 0]!.seq, i % ALPHABET_SIZE], score: scores[i]! }));
    snapshots.push(beam);
  }
  return snapshots;
}

/** Both-direction beams, meet in the middle, every candidate scored exactly over the whole window. */
function wideRestore(models: RestorationModels, text: GappedText, opts: RestoreOptions): RestoreCandidate[] {
  const width = opts.searchBeam ?? 128;
  const meetPairs = opts.meetPairs ?? 256;
  const first = text.indexOf(-1);
  const last = text.lastIndexOf(-1);
  const span = last - first + 1;
  const fCache = new DistributionCache(models.forward);
  const bCache = models.backward ? new DistributionCache(models.backward) : undefined;
  const reversed = text.slice().reverse();
  const fSnaps = beamSnapshots(fCache, text, width, opts.signal);
  const bSnaps = bCache ? beamSnapshots(bCache, reversed, width, opts.signal) : undefined;
  const pool = new Map<string, number[]>();
  const add = (seq: number[]) => pool.set(seq.join(','), seq);
  for (const h of fSnaps[span]!) add(h.seq);
  if (bSnaps) {
    for (const h of bSnaps[span]!) add(h.seq.slice().reverse());
    if (meetPairs > 0 && span >= 2) {
      // Pair the forward beam's first half with the backward beam's second half, best summed half-scores first.
      const mid = span >> 1;
      const heads = fSnaps[mid]!;
      const tails = bSnaps[span - mid]!;
      const perSide = Math.min(heads.length, tails.length, Math.ceil(Math.sqrt(meetPairs * 8)));
      const pairs: { h: number; t: number; s: number }[] = [];
      for (let i = 0; i < Math.min(perSide, heads.length); i++) {
        for (let j = 0; j < Math.min(perSide, tails.length); j++)
          pairs.push({ h: i, t: j, s: heads[i]!.score + tails[j]!.score });
      }
      pairs.sort((a, b) => b.s - a.s);
      for (const p of pairs.slice(0, meetPairs)) add(heads[p.h]!.seq.concat(tails[p.t]!.seq.slice().reverse()));
    }
  }
  for (const e of models.experts ?? []) for (const seq of e.scorer.propose?.(text) ?? []) add(seq);
  const full = Uint8Array.from(text, (v) => Math.max(v, 0));
  const rev = new Uint8Array(full.length);
  const kf = models.forward.contextLength;
  const kb = models.backward?.contextLength ?? 0;
  const scoreSeq = (seq: number[]): number => {
    full.set(seq, first);
    let score = fCache.logProbRange(full, first, Math.min(full.length, last + 1 + kf));
    if (bCache) {
      for (let i = 0; i < full.length; i++) rev[i] = full[full.length - 1 - i]!;
      const rFirst = full.length - 1 - last;
      score += bCache.logProbRange(rev, rFirst, Math.min(rev.length, rFirst + span + kb));
    }
    for (const e of models.experts ?? []) score += e.weight * e.scorer.score(full, first, last);
    return score;
  };
  const unknownOnly = (seq: number[]) => Uint8Array.from(seq.filter((_, i) => text[first + i] === -1));
  const scored: { letters: Uint8Array; score: number }[] = [];
  for (const seq of pool.values()) {
    opts.signal?.throwIfAborted();
    scored.push({ letters: unknownOnly(seq), score: scoreSeq(seq) });
  }
  const temperature = opts.temperature ?? RESTORE_TEMPERATURE;
  const pick = opts.pick ?? (opts.mbr === true ? 'mbr' : 'max');
  if (pick === 'letters') {
    // The likeliest letter at each position under the candidates' posterior: the fewest expected wrong letters.
    const max = Math.max(...scored.map((c) => c.score));
    const marg = new Float64Array(span * ALPHABET_SIZE);
    for (const c of scored) {
      const w = Math.exp(temperature * (c.score - max));
      let u = 0;
      for (let i = 0; i < span; i++)
        marg[i * ALPHABET_SIZE + (text[first + i]! >= 0 ? text[first + i]! : c.letters[u++]!)]! += w;
    }
    const seq: number[] = [];
    for (let i = 0; i < span; i++) {
      let best = 0;
      for (let l = 1; l < ALPHABET_SIZE; l++)
        if (marg[i * ALPHABET_SIZE + l]! > marg[i * ALPHABET_SIZE + best]!) best = l;
      seq.push(best);
    }
    const key = seq.join(',');
    if (!pool.has(key)) scored.push({ letters: unknownOnly(seq), score: scoreSeq(seq) });
    scored.sort((a, b) => b.score - a.score);
    const cands = toCandidates(scored, temperature);
    const at = cands.findIndex((c) => c.letters.join(',') === unknownOnly(seq).join(','));
    const [c] = cands.splice(at, 1);
    cands.unshift(c!);
    return normalised(cands.slice(0, opts.beam ?? 20));
  }
  scored.sort((a, b) => b.score - a.score);
  const cands = toCandidates(scored, temperature);
  const top = pick === 'max' ? cands : minimumBayesRisk(cands);
  return normalised(top.slice(0, opts.beam ?? 20));
}

function normalised(out: RestoreCandidate[]): RestoreCandidate[] {
  const z = out.reduce((s, c) => s + c.p, 0);
  for (const c of out) c.p /= z;
  return out;
}

/**
 * Moves to the front the candidate with the least expected edit distance to the others (weighted by their
 * posterior): CER counts letters, and a guess that agrees with most of the probability mass loses fewer of them.
 */
export function minimumBayesRisk(cands: RestoreCandidate[], consider = 50): RestoreCandidate[] {
  const pool = cands.slice(0, consider);
  let best = 0;
  let bestRisk = Infinity;
  for (let j = 0; j < pool.length; j++) {
    let risk = 0;
    for (let i = 0; i < pool.length; i++) if (i !== j) risk += pool[i]!.p * editDistance(pool[j]!.text, pool[i]!.text);
    if (risk < bestRisk - 1e-12) {
      bestRisk = risk;
      best = j;
    }
  }
  if (best === 0) return cands;
  const out = cands.slice();
  const [c] = out.splice(best, 1);
  out.unshift(c!);
  return out;
}

function toCandidates(list: { letters: Uint8Array; score: number }[], temperature: number): RestoreCandidate[] {
  const max = list[0]!.score;
  const z = list.reduce((s, h) => s + Math.exp(temperature * (h.score - max)), 0);
  return list.map(({ letters, score }) => {
    let s = '';
    for (const l of letters) s += GREEK_ALPHABET[l];
    return { text: s, letters, logProb: score, p: Math.exp(temperature * (score - max)) / z };
  });
}

/** Left-to-right beam over the unknown letters, finished candidates rescored by the right context. */
function beamRestore(lm: CharLM, text: GappedText, opts: RestoreOptions): RestoreCandidate[] {
  const beamWidth = opts.beam ?? 20;
  const first = text.indexOf(-1);
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
  return toCandidates(
    beam.map((h) => ({ letters: Uint8Array.from(unknownOffsets.map((o) => h.seq[o]!)), score: h.score })),
    1,
  );
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
