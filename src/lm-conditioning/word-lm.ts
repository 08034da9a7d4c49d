/**
 * A word model of scriptio continua: a lexicon of the training text's words (SBLGNT keeps word boundaries before
 * normalisation) with word counts and, optionally, word-pair counts (an absolute-discounting bigram), and the probability of a run of letters summed over every way of cutting it
 * into words (dynamic programming, since the scroll has no spaces). Words it never saw get a small letter-by-letter
 * probability, so a rare word lowers a reading's score without ruling it out. The run may start inside a word and
 * end inside one: its first piece is scored as a word ending, its last as a word beginning.
 *
 *   const words = WordLM.build(trainingWords(await loadSblgnt()), { bigram: true });
 *   words.logProb('ΕΝΑΡΧΗΗΝΟΛΟΓΟΣ') > words.logProb('ΕΝΑΡΧΗΗΝΟΛΟΝΟΣ');   // true: ΛΟΓΟΣ is a word
 *   restore({ forward, backward, experts: [{ scorer: words.windowScorer(), weight: 0.5 }] }, gaps);
 *
 * Only the part of a restoration window near the gap is scored (`margin` letters each side): every candidate
 * shares the rest, so it would add the same amount to each.
 */
import { UserError } from '../core/errors.js';
import { ALPHABET_SIZE } from './char-lm.js';
import { GREEK_ALPHABET } from './greek-text.js';
import type { WindowScorer } from './restore.js';

export interface WordLMOptions {
  /** Share of the probability mass for words outside the lexicon (default 0.05). */
  unknownWeight?: number;
  /** Longest word considered (letters; default 24). */
  maxWordLength?: number;
  /**
   * Word pairs too (absolute-discounting bigram interpolated with the unigram; default false): the word before
   * changes the next word's probability, so NT formulae ('ΤΟΥΚΥΡΙΟΥ ΗΜΩΝ') weigh more.
   */
  bigram?: boolean;
}

/** Absolute discount of the word bigram. */
const BIGRAM_DISCOUNT = 0.75;

export class WordLM {
  /** log P(word) for lexicon words (unigram, relative frequency, times 1 - unknownWeight). */
  private readonly wordLog = new Map<string, number>();
  /** log Σ P(w) over lexicon words that end with the key (a word's tail, for the piece the window starts inside). */
  private readonly tailLog = new Map<string, number>();
  /** log Σ P(w) over lexicon words that begin with the key (the piece the window ends inside). */
  private readonly headLog = new Map<string, number>();
  /** log letter frequency, for words outside the lexicon. */
  private readonly letterLog = new Float64Array(ALPHABET_SIZE);
  private readonly logUnknown: number;
  private readonly logStop: number;
  /** Lexicon trie: child of node n by letter l at trieNext[n * 24 + l] (0 = none; node 0 is the root). */
  private readonly trieNext: Int32Array;
  /** log P(word) of the word ending at each trie node, -Infinity where none ends. */
  private readonly trieWordLog: Float64Array;
  private readonly logGo: number;
  readonly maxWordLength: number;
  /** Word-pair counts ('A B'), how often each word is followed by another, and by how many different ones. */
  private readonly pairCounts?: Map<string, number>;
  private readonly contextCounts?: Map<string, number>;
  private readonly contextTypes?: Map<string, number>;
  readonly lexiconSize: number;
  readonly tokens: number;

  private constructor(words: string[], opts: WordLMOptions) {
    const unknown = opts.unknownWeight ?? 0.05;
    if (!(unknown > 0 && unknown < 1))
      throw new UserError(`word model: unknownWeight must be in (0, 1), got ${unknown}`);
    this.maxWordLength = opts.maxWordLength ?? 24;
    const counts = new Map<string, number>();
    const letterCounts = new Float64Array(ALPHABET_SIZE).fill(1);
    let letters = 0;
    for (const w of words) {
      if (!w.length) continue;
      counts.set(w, (counts.get(w) ?? 0) + 1);
      for (const ch of w) letterCounts[GREEK_ALPHABET.indexOf(ch)]!++;
      letters += w.length;
    }
    this.tokens = words.length;
    if (opts.bigram) {
      this.pairCounts = new Map();
      this.contextCounts = new Map();
      this.contextTypes = new Map();
      for (let i = 1; i < words.length; i++) {
        const key = words[i - 1] + ' ' + words[i];
        const c = this.pairCounts.get(key) ?? 0;
        this.pairCounts.set(key, c + 1);
        this.contextCounts.set(words[i - 1]!, (this.contextCounts.get(words[i - 1]!) ?? 0) + 1);
        if (c === 0) this.contextTypes.set(words[i - 1]!, (this.contextTypes.get(words[i - 1]!) ?? 0) + 1);
      }
    }
    this.lexiconSize = counts.size;
    if (this.tokens < 10) throw new UserError(`word model needs a training text of words, got ${this.tokens}`);
    const letterTotal = letterCounts.reduce((a, b) => a + b, 0);
    for (let i = 0; i < ALPHABET_SIZE; i++) this.letterLog[i] = Math.log(letterCounts[i]! / letterTotal);
    // Unknown words: letters by frequency, length geometric with the lexicon's mean word length.
    const meanLength = letters / this.tokens;
    this.logStop = Math.log(1 / meanLength);
    this.logGo = Math.log(1 - 1 / meanLength);
    this.logUnknown = Math.log(unknown);
    const tail = new Map<string, number>();
    const head = new Map<string, number>();
    for (const [w, c] of counts) {
      const p = ((1 - unknown) * c) / this.tokens;
      this.wordLog.set(w, Math.log(p));
      for (let i = 1; i <= w.length; i++) {
        const h = w.slice(0, i);
        head.set(h, (head.get(h) ?? 0) + p);
        const t = w.slice(w.length - i);
        tail.set(t, (tail.get(t) ?? 0) + p);
      }
    }
    for (const [k, v] of tail) this.tailLog.set(k, Math.log(v));
    for (const [k, v] of head) this.headLog.set(k, Math.log(v));
    // The trie has one node per distinct word beginning (+ the root).
    const nodes = head.size + 1;
    this.trieNext = new Int32Array(nodes * ALPHABET_SIZE);
    this.trieWordLog = new Float64Array(nodes).fill(-Infinity);
    let used = 1;
    for (const [w, lp] of this.wordLog) {
      let node = 0;
      for (const ch of w) {
        const l = GREEK_ALPHABET.indexOf(ch);
        let next = this.trieNext[node * ALPHABET_SIZE + l]!;
        if (!next) {
          next = used++;
          this.trieNext[node * ALPHABET_SIZE + l] = next;
        }
        node = next;
      }
      this.trieWordLog[node] = lp;
    }
  }

  /**
   * Fillings of the unknown positions of `text` made of lexicon words: every way to cover the gap with whole words
   * that agree with the known letters around it, best first by their words' probabilities (a beam of `width` per
   * word boundary). Each filling lists the letters of positions first..last (the known ones inside included).
   * This proposes whole-word readings that a character model's beam may never reach.
   */
  proposeFillings(text: ArrayLike<number>, opts: { width?: number; limit?: number; margin?: number } = {}): number[][] {
    const width = opts.width ?? 64;
    const limit = opts.limit ?? 256;
    const margin = opts.margin ?? 12;
    const n = text.length;
    let first = -1;
    let last = -1;
    for (let i = 0; i < n; i++) if (text[i]! < 0) (first < 0 ? (first = i) : 0, (last = i));
    if (first < 0) return [];
    const maxLen = this.maxWordLength;
    // Words that can start at p: [end, letters (filled), log P]; the same for every path reaching p.
    const wordsFrom = (p: number): { end: number; letters: number[]; lp: number }[] => {
      const out: { end: number; letters: number[]; lp: number }[] = [];
      const letters: number[] = [];
      const walk = (node: number, pos: number): void => {
        if (node !== 0 && this.trieWordLog[node]! > -Infinity && pos > first)
          out.push({ end: pos, letters: letters.slice(), lp: this.trieWordLog[node]! });
        if (pos >= n || pos - p >= maxLen) return;
        const known = text[pos]!;
        if (known >= 0) {
          const next = this.trieNext[node * ALPHABET_SIZE + known]!;
          if (next) {
            letters.push(known);
            walk(next, pos + 1);
            letters.pop();
          }
          return;
        }
        for (let l = 0; l < ALPHABET_SIZE; l++) {
          const next = this.trieNext[node * ALPHABET_SIZE + l]!;
          if (!next) continue;
          letters.push(l);
          walk(next, pos + 1);
          letters.pop();
        }
      };
      walk(0, p);
      // Keep the likeliest few per end position: the beam keeps no more than `width` anyway.
      out.sort((a, b) => b.lp - a.lp);
      const perEnd = new Map<number, number>();
      return out.filter((w) => {
        const c = perEnd.get(w.end) ?? 0;
        perEnd.set(w.end, c + 1);
        return c < width;
      });
    };
    interface State {
      fill: number[];
      lp: number;
    }
    const beams = new Map<number, State[]>();
    const push = (p: number, s: State) => {
      const b = beams.get(p);
      if (b) b.push(s);
      else beams.set(p, [s]);
    };
    const str = (from: number, to: number) => {
      let s = '';
      for (let i = from; i < to; i++) s += GREEK_ALPHABET[text[i]!];
      return s;
    };
    // A word covering the gap's first letter starts up to maxLen - 1 letters before it, where the known letters
    // before it can end a word (weighted by how well they cut into words); likewise after the last word.
    const leftFrom = Math.max(0, first - margin);
    for (let s = Math.max(0, first - maxLen + 1); s <= first; s++) {
      push(s, { fill: [], lp: s <= leftFrom ? 0 : this.segmentsLog(str(leftFrom, s), true, false) });
    }
    const rightTo = Math.min(n, last + 1 + margin);
    const rightLog = new Map<number, number>();
    const after = (e: number): number => {
      if (e >= rightTo) return 0;
      let v = rightLog.get(e);
      if (v === undefined) rightLog.set(e, (v = this.segmentsLog(str(e, rightTo), false, true)));
      return v;
    };
    const done: State[] = [];
    for (let p = Math.max(0, first - maxLen + 1); p <= last; p++) {
      const beam = beams.get(p);
      if (!beam) continue;
      beam.sort((a, b) => b.lp - a.lp);
      const kept = beam.slice(0, width);
      for (const w of wordsFrom(p)) {
        // Letters this word puts on positions first..last.
        const from = Math.max(p, first);
        const to = Math.min(w.end, last + 1);
        const part = w.letters.slice(from - p, to - p);
        for (const st of kept) {
          const next = { fill: st.fill.concat(part), lp: st.lp + w.lp };
          if (w.end > last) done.push({ fill: next.fill, lp: next.lp + after(w.end) });
          else push(w.end, next);
        }
      }
    }
    done.sort((a, b) => b.lp - a.lp);
    const seen = new Set<string>();
    const out: number[][] = [];
    for (const d of done) {
      const key = d.fill.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(d.fill);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Builds the model from normalised words (e.g. `trainingWords(corpus)`). */
  static build(words: string[], opts: WordLMOptions = {}): WordLM {
    return new WordLM(words, opts);
  }

  /** log P of a lexicon word, or undefined when the word is not in the lexicon. */
  wordLogProb(word: string): number | undefined {
    return this.wordLog.get(word);
  }

  /**
   * log P(letters) summed over all cuttings into words. With `openEnds` (default) the first piece may be the end of
   * a word and the last the beginning of one, as in a window cut out of running text.
   */
  logProb(letters: string, openEnds = true): number {
    return this.segmentsLog(letters, openEnds, openEnds);
  }

  /** log P(word | previous word) for a lexicon word (unigram when there is no bigram or no known previous word). */
  private pairLog(prev: string | null, word: string, unigramLog: number): number {
    if (prev === null || !this.pairCounts) return unigramLog;
    const cv = this.contextCounts!.get(prev);
    if (!cv) return unigramLog;
    const c = this.pairCounts.get(prev + ' ' + word) ?? 0;
    // unigramLog already carries the (1 - unknownWeight) factor: mix in probability space.
    const uni = Math.exp(unigramLog);
    return Math.log(
      (Math.max(c - BIGRAM_DISCOUNT, 0) / cv) * (1 - Math.exp(this.logUnknown)) +
        ((BIGRAM_DISCOUNT * this.contextTypes!.get(prev)!) / cv) * uni,
    );
  }

  /** log P(letters) over all cuttings; `openStart`: the first piece may be a word's end; `openEnd`: the last a beginning. */
  segmentsLog(letters: string, openStart: boolean, openEnd: boolean): number {
    const n = letters.length;
    if (n === 0) return 0;
    const ids = new Int8Array(n);
    // cum[i] = Σ log letter frequency of letters[0..i), for words outside the lexicon in O(1).
    const cum = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) {
      ids[i] = GREEK_ALPHABET.indexOf(letters[i]!);
      cum[i + 1] = cum[i]! + this.letterLog[ids[i]!]!;
    }
    // states[i]: log-probability of the cuttings of letters[0..i), by the lexicon word that ends at i ('' = none
    // known: the start, a word outside the lexicon, a word's end at the start).
    const states: Map<string, number>[] = Array.from({ length: n + 1 }, () => new Map());
    states[0]!.set('', 0);
    const addTo = (j: number, key: string, lp: number) => {
      const m = states[j]!;
      m.set(key, logAdd(m.get(key) ?? -Infinity, lp));
    };
    const maxLen = this.maxWordLength;
    for (let i = 0; i < n; i++) {
      if (!states[i]!.size) continue;
      const atStart = i === 0 && openStart;
      let node = 0; // trie walk along letters[i..j): lexicon words without building strings
      for (let j = i + 1; j <= Math.min(n, i + maxLen); j++) {
        if (node >= 0) node = this.trieNext[node * ALPHABET_SIZE + ids[j - 1]!]! || -1;
        const atEnd = j === n && openEnd;
        const unknown = this.logUnknown + cum[j]! - cum[i]! + (j - i - 1) * this.logGo + (atEnd ? 0 : this.logStop);
        if (atStart || atEnd) {
          const piece = letters.slice(i, j);
          let lp: number;
          if (atStart && atEnd) lp = logAdd(this.tailLog.get(piece) ?? -Infinity, this.headLog.get(piece) ?? -Infinity);
          else if (atStart) lp = this.tailLog.get(piece) ?? -Infinity;
          else lp = this.headLog.get(piece) ?? -Infinity;
          for (const a of states[i]!.values()) addTo(j, '', a + logAdd(lp, unknown));
          continue;
        }
        const wordLp = node > 0 ? this.trieWordLog[node]! : -Infinity;
        const word = wordLp > -Infinity ? letters.slice(i, j) : '';
        for (const [prev, a] of states[i]!) {
          addTo(j, '', a + unknown);
          if (word) addTo(j, this.pairCounts ? word : '', a + this.pairLog(prev || null, word, wordLp));
        }
      }
    }
    let total = -Infinity;
    for (const v of states[n]!.values()) total = logAdd(total, v);
    return total;
  }

  /**
   * Bits per letter of running text (cut into pieces of `chunk` letters, each scored with open ends, so slightly
   * optimistic at the cuts): comparable with a character model's bits/char.
   */
  bitsPerChar(letters: string, chunk = 400): number {
    let nats = 0;
    for (let i = 0; i < letters.length; i += chunk) nats -= this.segmentsLog(letters.slice(i, i + chunk), true, true);
    return nats / Math.LN2 / letters.length;
  }

  /** A restoration expert: log P of the letters from `margin` before the gap to `margin` after it. */
  windowScorer(margin = 12, proposals: { width?: number; limit?: number } | false = {}): WindowScorer {
    return {
      name: 'words',
      propose: proposals === false ? undefined : (text) => this.proposeFillings(text, proposals),
      score: (full: Uint8Array, first: number, last: number): number => {
        let s = '';
        for (let i = Math.max(0, first - margin); i < Math.min(full.length, last + 1 + margin); i++)
          s += GREEK_ALPHABET[full[i]!];
        return this.logProb(s);
      },
    };
  }
}

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}
