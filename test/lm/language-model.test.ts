import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALPHABET_SIZE, bitsPerChar, fromLetterIds, toLetterIds } from '../../src/lm-conditioning/char-lm.js';
import { GREEK_ALPHABET, loadSblgnt, normalizeGreek } from '../../src/lm-conditioning/greek-text.js';
import { KneserNeyLM } from '../../src/lm-conditioning/kneser-ney.js';
import { editDistance, parseGappedText, restore } from '../../src/lm-conditioning/restore.js';
import { evalRestoration, seededRandom } from '../../src/lm-conditioning/restore-eval.js';
import { readTrainingFolder, teiText } from '../../src/lm-conditioning/training-text.js';

let train: Uint8Array;
let heldOut: Uint8Array;
let lm: KneserNeyLM;
let tmp: string;

beforeAll(async () => {
  const corpus = await loadSblgnt();
  train = toLetterIds(corpus.train);
  heldOut = toLetterIds(corpus.heldOut);
  lm = KneserNeyLM.build(train, { order: 10 });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-lm-test-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('normalisation', () => {
  it('folds accents, breathings, case, final sigma and drops punctuation', () => {
    expect(normalizeGreek('Ἐν ἀρχῇ ἦν ὁ λόγος, καὶ ὁ λόγος ἦν πρὸς τὸν θεόν.')).toBe(
      'ΕΝΑΡΧΗΗΝΟΛΟΓΟΣΚΑΙΟΛΟΓΟΣΗΝΠΡΟΣΤΟΝΘΕΟΝ',
    );
    expect(fromLetterIds(toLetterIds('ϲοφία'))).toBe('ΣΟΦΙΑ');
  });
});

describe('Kneser–Ney character model', () => {
  it('gives a proper distribution over the 24 letters for random contexts', () => {
    const rand = seededRandom(3);
    for (let t = 0; t < 200; t++) {
      const len = Math.floor(rand() * 14);
      // Half the contexts are real text (deep n-gram paths), half random letters (backing off).
      const start = Math.floor(rand() * (heldOut.length - 20));
      const ctx =
        t % 2
          ? heldOut.subarray(start, start + len)
          : Uint8Array.from({ length: len }, () => Math.floor(rand() * ALPHABET_SIZE));
      const p = lm.distribution(ctx);
      const sum = p.reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 9);
      for (const v of p) expect(v).toBeGreaterThan(0);
    }
  });

  it('beats a unigram model on held-out text by more than a bit per character', () => {
    const counts = new Float64Array(ALPHABET_SIZE).fill(1);
    for (const id of train) counts[id]!++;
    const total = counts.reduce((a, b) => a + b, 0);
    const n = 5000;
    let unigramBits = 0;
    for (let i = 0; i < n; i++) unigramBits -= Math.log2(counts[heldOut[i]!]! / total);
    unigramBits /= n;
    const knBits = bitsPerChar(lm, heldOut, n);
    expect(unigramBits).toBeGreaterThan(3.8);
    expect(knBits).toBeLessThan(2.7);
    expect(unigramBits - knBits).toBeGreaterThan(1.2);
  });

  it('saves and loads to the same probabilities', async () => {
    const file = path.join(tmp, 'kn.lm');
    await lm.save(file);
    const again = await KneserNeyLM.load(file);
    const ctx = heldOut.subarray(100, 109);
    expect(Array.from(again.distribution(ctx))).toEqual(Array.from(lm.distribution(ctx)));
  });

  it('rejects a file that is not a model, naming it', async () => {
    const file = path.join(tmp, 'bogus.lm');
    await writeFile(file, 'hello\nworld');
    await expect(KneserNeyLM.load(file)).rejects.toThrow(/bogus\.lm.*not a Kneser/);
  });
});

describe('restoration', () => {
  it('parses Leiden gaps', () => {
    const g = parseGappedText('ἐν ἀρχῇ [...] ὁ [.2]ος');
    expect(Array.from(g).filter((v) => v === -1)).toHaveLength(5);
    expect(g.length).toBe('ΕΝΑΡΧΗ'.length + 3 + 1 + 2 + 2);
    expect(() => parseGappedText('ΑΒ[- - -]ΓΔ')).toThrow(/no known length/);
  });

  it('finds a common word from context on both sides', () => {
    const top = restore(
      { forward: lm, backward: lm.reversed() },
      parseGappedText('ΕΝΑΡΧΗΗΝΟ[...]ΟΣΚΑΙΟΛΟΓΟΣΗΝΠΡΟΣΤΟΝΘΕΟΝ'),
    );
    expect(top[0]!.text).toBe('ΛΟΓ');
    expect(top[0]!.p).toBeGreaterThan(0.5);
    const sum = top.reduce((s, c) => s + c.p, 0);
    expect(sum).toBeCloseTo(1, 6);
    const kyrios = restore(lm, parseGappedText('ΚΑΙΕΙΠΕΝΑΥΤΩΟΚ[.4]ΣΙΗΣΟΥΣ'));
    expect(kyrios.slice(0, 5).map((c) => c.text)).toContain('ΥΡΙΟ');
  });

  it('scores a fixed set of held-out gaps (CER, top-1, top-20)', () => {
    const r = evalRestoration({ forward: lm, backward: lm.reversed() }, heldOut, { samples: 40 });
    expect(r.samples).toBe(40);
    expect(r.cer).toBeGreaterThan(0);
    expect(r.cer).toBeLessThan(0.85);
    expect(r.top20).toBeGreaterThanOrEqual(r.top1);
    expect(r.top1).toBeGreaterThan(0.1);
  });

  it('edit distance', () => {
    expect(editDistance('ΛΟΓΟΣ', 'ΛΟΓΟΣ')).toBe(0);
    expect(editDistance('ΛΟΓΟΣ', 'ΛΑΓΟΝ')).toBe(2);
    expect(editDistance('', 'ΑΒΓ')).toBe(3);
  });
});

describe('training text from a folder', () => {
  it('reads plain text and the <body> of TEI XML, skipping notes', async () => {
    const dir = path.join(tmp, 'corpus');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'a.txt'), 'Ἐν ἀρχῇ ἦν ὁ λόγος.\n'.repeat(80));
    const tei = `<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>Τίτλος</title></titleStmt></fileDesc></teiHeader>
<text><body><div type="edition"><p>μῆνιν ἄειδε θεὰ <note>σχόλιον</note>Πηληϊάδεω Ἀχιλῆος</p></div></body></text></TEI>`;
    await writeFile(path.join(dir, 'sub', 'b.xml'), tei);
    expect(teiText(tei)).toBe('ΜΗΝΙΝΑΕΙΔΕΘΕΑΠΗΛΗΙΑΔΕΩΑΧΙΛΗΟΣ');
    const t = await readTrainingFolder(dir);
    expect(t.files.map((f) => path.basename(f.path))).toEqual(['a.txt', 'b.xml']);
    expect(t.letters.endsWith('ΜΗΝΙΝΑΕΙΔΕΘΕΑΠΗΛΗΙΑΔΕΩΑΧΙΛΗΟΣ')).toBe(true);
    await writeFile(path.join(dir, 'broken.xml'), '<TEI><body>');
    await expect(readTrainingFolder(dir)).rejects.toThrow(/broken\.xml/);
  });

  it('alphabet order is the letter id order', () => {
    expect(toLetterIds(GREEK_ALPHABET)).toEqual(Uint8Array.from({ length: 24 }, (_, i) => i));
  });
});
