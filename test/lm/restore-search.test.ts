import { beforeAll, describe, expect, it } from 'vitest';
import { fromLetterIds, toLetterIds } from '../../src/lm-conditioning/char-lm.js';
import { DEV_BOOKS, devSplit, loadSblgnt, trainingWords } from '../../src/lm-conditioning/greek-text.js';
import { KneserNeyLM } from '../../src/lm-conditioning/kneser-ney.js';
import {
  minimumBayesRisk,
  parseGappedText,
  restore,
  type RestoreCandidate,
} from '../../src/lm-conditioning/restore.js';
import { restorationSamples } from '../../src/lm-conditioning/restore-eval.js';
import { WordLM } from '../../src/lm-conditioning/word-lm.js';
import { DEFAULT_WORD_OPTIONS } from '../../src/lm-conditioning/models.js';

let forward: KneserNeyLM;
let backward: KneserNeyLM;
let heldOut: Uint8Array;
let words: WordLM;

beforeAll(async () => {
  const corpus = await loadSblgnt();
  forward = KneserNeyLM.build(toLetterIds(corpus.train), { order: 10 });
  backward = forward.reversed();
  heldOut = toLetterIds(corpus.heldOut);
  words = WordLM.build(trainingWords(corpus), DEFAULT_WORD_OPTIONS);
});

describe('dev split', () => {
  it('sets the dev books apart from the training books, words and letters agreeing', async () => {
    const corpus = await loadSblgnt();
    const d = devSplit(corpus);
    expect(d.dev.length).toBeGreaterThan(30_000);
    expect(d.train.length + d.dev.length).toBe(corpus.train.length);
    expect(d.trainWords.join('')).toBe(d.train);
    for (const b of corpus.books) expect(b.words.join('')).toBe(b.letters);
    expect(corpus.books.filter((b) => DEV_BOOKS.includes(b.book)).every((b) => b.part === 'train')).toBe(true);
  });
});

describe('wide restoration search', () => {
  it('finds a window score at least as good as the old search on every held-out gap, and the truth in the top 20 more often', () => {
    const samples = restorationSamples(heldOut, 40, { seed: 5 });
    let oldTop20 = 0;
    let newTop20 = 0;
    for (const s of samples) {
      const old = restore({ forward, backward }, s.text, { search: 'classic', beam: 20 });
      const wide = restore({ forward, backward }, s.text, { beam: 20 });
      // Same window score (forward + backward log-probability): the wider search never settles for a worse reading.
      expect(wide[0]!.logProb).toBeGreaterThanOrEqual(old[0]!.logProb - 1e-9);
      if (old.some((c) => c.text === s.truth)) oldTop20++;
      if (wide.some((c) => c.text === s.truth)) newTop20++;
    }
    expect(newTop20).toBeGreaterThanOrEqual(oldTop20 + 3);
  });

  it('keeps the letters an editor supplies inside a gap', () => {
    const top = restore({ forward, backward }, parseGappedText('ΕΝΑΡΧΗΗΝ[.1]Λ[..]ΟΣΚΑΙΟΛΟΓΟΣΗΝΠΡΟΣΤΟΝΘΕΟΝ'), {
      beam: 5,
    });
    expect(top[0]!.text).toBe('ΟΟΓ');
    for (const c of top) expect(c.letters).toHaveLength(3);
  });

  it('puts first the candidate with the least expected edit distance', () => {
    const mk = (text: string, p: number): RestoreCandidate => ({
      text,
      letters: toLetterIds(text),
      logProb: Math.log(p),
      p,
    });
    const out = minimumBayesRisk([mk('ΧΥΖ', 0.4), mk('ΑΒΓ', 0.3), mk('ΑΒΔ', 0.3)]);
    expect(out.map((c) => c.text)).toEqual(['ΑΒΓ', 'ΧΥΖ', 'ΑΒΔ']);
    const kept = minimumBayesRisk([mk('ΑΒΓ', 0.6), mk('ΧΥΖ', 0.4)]);
    expect(kept[0]!.text).toBe('ΑΒΓ');
  });
});

describe('word model', () => {
  it('gives real held-out words more probability than the same words with one letter changed', async () => {
    const corpus = await loadSblgnt();
    const heldOutWords = corpus.books
      .filter((b) => b.part === 'heldOut')
      .flatMap((b) => b.words)
      .filter((w) => w.length >= 5);
    let better = 0;
    const n = 300;
    for (let i = 0; i < n; i++) {
      const w = heldOutWords[(i * 97) % heldOutWords.length]!;
      const at = (i * 7) % w.length;
      const other = w[at] === 'Ω' ? 'Ο' : 'Ω';
      const bad = w.slice(0, at) + other + w.slice(at + 1);
      if (words.segmentsLog(w, false, false) > words.segmentsLog(bad, false, false)) better++;
    }
    expect(better / n).toBeGreaterThan(0.9);
  });

  it('with word pairs predicts held-out text better than with words alone', async () => {
    const corpus = await loadSblgnt();
    const unigram = WordLM.build(trainingWords(corpus), { ...DEFAULT_WORD_OPTIONS, bigram: false });
    const text = corpus.heldOut.slice(0, 6000);
    const withPairs = words.bitsPerChar(text);
    const alone = unigram.bitsPerChar(text);
    expect(withPairs).toBeLessThan(alone - 0.08);
    expect(alone).toBeLessThan(3.2);
    // A formula of the NT: 'our Lord' is likelier as a pair than as two independent words.
    expect(words.segmentsLog('ΤΟΥΚΥΡΙΟΥΗΜΩΝ', false, false)).toBeGreaterThan(
      unigram.segmentsLog('ΤΟΥΚΥΡΙΟΥΗΜΩΝ', false, false) + 1,
    );
  });

  it('sums over the ways to cut scriptio continua into words', () => {
    const lp = words.logProb('ΕΝΑΡΧΗΗΝΟΛΟΓΟΣ');
    expect(lp).toBeGreaterThan(words.logProb('ΕΝΑΡΧΗΗΝΟΛΟΝΟΣ') + 2);
    // Words alone: the sum over cuttings is at least the one cutting into lexicon words.
    const unigram = WordLM.build(['ΕΝ', 'ΑΡΧΗ', 'ΗΝ', 'Ο', 'ΛΟΓΟΣ', 'ΚΑΙ', 'ΛΟΓΟΣ', 'ΗΝ', 'ΕΝ', 'ΑΡΧΗ', 'ΛΟΓΟ']);
    const oneCut = ['ΕΝ', 'ΑΡΧΗ', 'ΗΝ', 'Ο', 'ΛΟΓΟΣ'].reduce((s, w) => s + unigram.wordLogProb(w)!, 0);
    const all = unigram.segmentsLog('ΕΝΑΡΧΗΗΝΟΛΟΓΟΣ', false, false);
    expect(all).toBeGreaterThan(oneCut); // ΛΟΓΟ + Σ (an unknown one-letter word) is another cutting
    expect(all).toBeLessThan(oneCut + 1);
    expect(words.wordLogProb('ΛΟΓΟΣ')).toBeGreaterThan(words.wordLogProb('ΑΡΧΗ')! - 3);
    expect(words.wordLogProb('ΧΖΧΖ')).toBeUndefined();
  });

  it('proposes whole-word fillings that agree with the letters around the gap', () => {
    // Held-out passages (Heb 5:9, Heb 13:21): the truth is among the word model's proposals.
    for (const [gapped, truth] of [
      ['ΚΟΥΟΥΣΙΝΑΥΤΩΑΙΤΙΟΣΣΩ[........]ΩΝΙΟΥΠΡΟΣΑΓΟΡΕΥΘΕΙΣΥ', 'ΤΗΡΙΑΣΑΙ'],
      ['ΜΑΑΥΤΟΥΠΟΙΩΝΕΝΗΜΙΝΤΟ[....]ΕΣΤΟΝΕΝΩΠΙΟΝΑΥΤΟΥΔΙΑ', 'ΕΥΑΡ'],
    ] as const) {
      const fills = words.proposeFillings(parseGappedText(gapped)).map(fromLetterIds);
      expect(fills.length).toBeGreaterThan(20);
      for (const f of fills) expect(f).toHaveLength(truth.length);
      expect(fills.slice(0, 50)).toContain(truth);
    }
    // Letters known inside the gap are kept in every proposal.
    for (const f of words.proposeFillings(parseGappedText('ΚΑΙΕΙΠΕΝΑΥΤΩΟΚ[..]Ι[..]ΣΙΗΣΟΥΣ')).map(fromLetterIds))
      expect(f[2]).toBe('Ι');
  });

  it('moves a held-out restoration to the right word where the letters alone miss it', () => {
    // Heb 5:9 and Heb 13:21: the character models rank the truth below the top; with the word model it comes first.
    for (const [gapped, truth] of [
      ['ΚΟΥΟΥΣΙΝΑΥΤΩΑΙΤΙΟΣΣΩ[........]ΩΝΙΟΥΠΡΟΣΑΓΟΡΕΥΘΕΙΣΥ', 'ΤΗΡΙΑΣΑΙ'],
      ['ΜΑΑΥΤΟΥΠΟΙΩΝΕΝΗΜΙΝΤΟ[....]ΕΣΤΟΝΕΝΩΠΙΟΝΑΥΤΟΥΔΙΑ', 'ΕΥΑΡ'],
    ] as const) {
      const text = parseGappedText(gapped);
      const lettersOnly = restore({ forward, backward }, text, { beam: 20 });
      const withWords = restore({ forward, backward, experts: [{ scorer: words.windowScorer(), weight: 1 }] }, text, {
        beam: 20,
      });
      expect(lettersOnly[0]!.text).not.toBe(truth);
      expect(withWords[0]!.text).toBe(truth);
    }
  });
});
