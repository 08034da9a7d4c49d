/**
 * The language-conditioned AUNN on a tiny real corpus: a rendered Greek page as a 5-layer segment with ink labels on
 * its left column, a small AUNN trained on it, an ink readout trained on the AUNN's rendering; then one round of
 * conditionSegment.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Corpus } from '../../src/corpus/index.js';
import { versionPath } from '../../src/model/checkpoint.js';
import { trainModel } from '../../src/model/trainer.js';
import { loadCorpusSegment } from '../../src/ink/load.js';
import { modelLayers } from '../../src/ink/pipeline.js';
import { trainReadout, type InkReadout } from '../../src/ink/readout.js';
import { GREEK_ALPHABET, loadSblgnt } from '../../src/lm-conditioning/greek-text.js';
import { toLetterIds } from '../../src/lm-conditioning/char-lm.js';
import { KneserNeyLM } from '../../src/lm-conditioning/kneser-ney.js';
import { bitmapCapitals } from './bitmap-capitals.js';
import { inkMapFromBytes } from '../../src/lm-conditioning/reading/ink-map.js';
import {
  columnTextLines,
  conditionSegment,
  greekToIso88597,
  inkLossGradient,
  iso88597ToGreek,
  pseudoTargets,
  renderExpectedInk,
  textPairs,
} from '../../src/lm-conditioning/condition/index.js';
import { initNetwork } from '../../src/ink/network.js';
import { coordsOf } from '../../src/corpus/address.js';
import type { RecordMeta } from '../../src/corpus/types.js';
import { lineText } from '../../src/lm-conditioning/reading/reading-file.js';

const labelledText = ['ΕΝΑΡΧΗΗΝ', 'ΟΛΟΓΟΣΚΑΙ', 'ΟΛΟΓΟΣΗΝ'];
const unreadText = ['ΚΑΙΘΕΟΣΗΝ', 'ΟΛΟΓΟΣ', 'ΠΡΟΣΤΟΝ'];
const W = 270;
const H = 84;
const COL2_X = 160;
const DEPTH = 5;

function renderPage(): Float32Array {
  const r = 10;
  const glyphs = bitmapCapitals(14, 2, r, 0);
  const ink = new Float32Array(W * H);
  const put = (lines: string[], x0: number) =>
    lines.forEach((t, li) => {
      let x = x0;
      const yc = 18 + li * 24;
      for (const ch of t) {
        const g = glyphs[GREEK_ALPHABET.indexOf(ch)]!;
        for (let i = 0; i < 2 * r + 1; i++)
          for (let j = 0; j < g.width; j++) if (g.t[i * g.width + j]! > 0.4) ink[(yc - r + i) * W + x + j] = 1;
        x += g.width;
      }
    });
  put(labelledText, 6);
  put(unreadText, COL2_X);
  return ink;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-lmcond-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const corpusDir = path.join(tmp, 'corpus');
const modelDir = path.join(tmp, 'model');
let corpus: Corpus;
let readout: InkReadout;
let lm: KneserNeyLM;
const ink = renderPage();

beforeAll(async () => {
  corpus = await Corpus.open(corpusDir, { create: true });
  const layers = new Uint8Array(DEPTH * H * W);
  for (let z = 0; z < DEPTH; z++)
    for (let i = 0; i < H * W; i++)
      layers[z * H * W + i] =
        90 + 20 * z + (z >= 2 && z <= 3 ? Math.round(90 * ink[i]!) : 0) + ((i * 7919 + z * 31) % 9);
  const labels = Uint8Array.from(ink, (v) => (v > 0.5 ? 255 : 0));
  const src = (p: string) => ({ path: p, sha256: '', format: 'synthetic' });
  await corpus.withWriter(async (w) => {
    await w.appendRecord(
      {
        name: 'syn/seg/layers',
        scroll: 'syn',
        modality: 'segment-layers',
        shape: [DEPTH, H, W],
        dtype: 'uint8',
        source: src('layers'),
        group: 'syn/seg',
        trainable: true,
        extra: { surfaceLayer: 2, segmentMeta: { labelledXMax: 135 } },
      },
      (put) => put(0, layers),
    );
    await w.appendRecord(
      {
        name: 'syn/seg/inklabels',
        scroll: 'syn',
        modality: 'ink-labels',
        shape: [1, H, W],
        dtype: 'uint8',
        source: src('labels'),
        group: 'syn/seg',
        trainable: true,
        extra: { labelledRegion: [0, 0, 135, H] },
      },
      (put) => put(0, labels),
    );
  });
  await trainModel({
    corpusDir,
    modelDir,
    steps: 160,
    threads: 1,
    config: { width: 32, depth: 2, train: { batchSize: 1024, lr: 1e-2, evalEverySeconds: 1e9 } },
  });
  const loaded = await loadCorpusSegment(corpus, 'syn/seg');
  const band = { from: 1, to: 3 };
  const rendered = await modelLayers(loaded, corpus, modelDir, band);
  readout = (await trainReadout([rendered.segment], { band, maxSteps: 60, evalEvery: 30, crop: 32, seed: 2 })).readout;
  const { train } = await loadSblgnt();
  lm = KneserNeyLM.build(toLetterIds(train.slice(0, 100_000)), { order: 5 });
}, 150_000);

describe('text records', () => {
  it('maps uppercase Greek to ISO-8859-7 bytes and back, and refuses anything else', () => {
    expect(Array.from(greekToIso88597('ΑΡΣΩ'))).toEqual([0xc1, 0xd1, 0xd3, 0xd9]);
    expect(iso88597ToGreek(greekToIso88597('ΕΝΑΡΧΗ'))).toBe('ΕΝΑΡΧΗ');
    expect(() => greekToIso88597('Αa')).toThrow(/not an uppercase Greek letter/);
  });
});

describe('conditionSegment', () => {
  it('adds the text records, writes a new model version, keeps the previous one and reads again', async () => {
    const v1 = readFileSync(versionPath(modelDir, 1));
    const labels = inkMapFromBytes(
      Uint8Array.from(ink, (v) => (v > 0.5 ? 255 : 0)),
      H,
      W,
    );
    const r = await conditionSegment({
      corpus,
      modelDir,
      segment: 'syn/seg',
      readout,
      read: { labels, labelledRegion: [0, 0, 135, H], transcription: [labelledText], lm, beam: 8 },
      steps: 4,
    });
    expect(r.previousVersion).toBe(1);
    expect(r.modelVersion).toBe(2);
    expect(readFileSync(versionPath(modelDir, 1)).equals(v1)).toBe(true);
    expect(readFileSync(versionPath(modelDir, 2)).equals(v1)).toBe(false);
    // One text record per read column, holding that column's read letters line by line (row = line).
    expect(r.textRecords.length).toBe(r.before.columns.filter((c) => c.lines.some((l) => l.letters.length)).length);
    const again = await Corpus.open(corpusDir);
    for (const rec of r.textRecords) {
      const stored = again.record(rec.name);
      expect(stored.modality).toBe('text');
      expect(stored.group).toBe('syn/seg');
      expect(stored.trainable).toBe(true);
      const col = r.before.columns.find((c) => c.n === stored.extra!.column)!;
      expect(stored.shape[1]).toBe(col.lines.length);
      expect(await columnTextLines(again, stored)).toEqual(col.lines.map(lineText));
    }
    // The training pairs are the letters only (no padding), addressed by line and letter.
    const pairs = await textPairs(again, r.textRecords);
    const letters = r.textRecords.reduce(
      (s, rec) =>
        s +
        r.before.columns
          .find((c) => c.n === again.record(rec.name).extra!.column)!
          .lines.reduce((a, l) => a + l.letters.length, 0),
      0,
    );
    expect(pairs.bytes.length).toBe(letters);
    expect(Array.from(pairs.bytes).every((b) => b !== 0x20)).toBe(true);
    expect(r.reading.source?.lm).toBe('condition');
    expect(r.reading.columns.length).toBeGreaterThan(0);
    const log = r.log[0]!;
    expect(log.layerPairs).toBeGreaterThan(0);
    expect(log.letters).toBeGreaterThan(0);
    expect(Number.isFinite(log.loss) && Number.isFinite(log.lossAfter)).toBe(true);

    // No letter confident enough to give the layers a target: the round leaves the AUNN as it was (no version 3).
    const skipped = await conditionSegment({
      corpus: again,
      modelDir,
      segment: 'syn/seg',
      readout,
      read: { labels, labelledRegion: [0, 0, 135, H], transcription: [labelledText], lm, beam: 8 },
      steps: 4,
      minConfidence: 1.01,
    });
    expect([skipped.previousVersion, skipped.modelVersion]).toEqual([2, 2]);
    expect(skipped.log[0]).toMatchObject({ skipped: true, layerPairs: 0, fromVersion: 2, modelVersion: 2 });
    expect(skipped.log[0]!.textLetters).toBeGreaterThan(0);
    expect(existsSync(versionPath(modelDir, 3))).toBe(false);
    expect(skipped.reading.columns.map((c) => c.lines.map(lineText))).toEqual(
      skipped.before.columns.map((c) => c.lines.map(lineText)),
    );
  }, 120_000);

  it('renders soft letters as glyph templates weighted by their probabilities', () => {
    const glyphs = {
      r: 2,
      background: 0.1,
      templates: GREEK_ALPHABET.split('').map((_, c) => ({
        width: 3,
        t: new Float32Array(15).fill(c === 0 ? 1 : 0),
        count: 1,
      })),
      alpha: 1,
      maxShift: 0,
    };
    const reading = {
      format: 'scroll-aunn-reading' as const,
      version: 1 as const,
      segment: 's',
      columns: [
        {
          n: 1,
          lines: [
            {
              n: 1,
              letters: [
                {
                  char: 'Α',
                  confidence: 0.75,
                  source: 'ink' as const,
                  bbox: [2, 2, 4, 6] as [number, number, number, number],
                  alternatives: [{ char: 'Β', p: 0.25 }],
                },
              ],
            },
          ],
        },
      ],
    };
    const e = renderExpectedInk(reading, glyphs, 8, 8);
    // Α's template is all ink, Β's none: expected ink = 0.75 inside the letter box (rows 1..5, columns 1..3).
    expect(e.target[3 * 8 + 2]).toBeCloseTo(0.75, 5);
    expect(e.weight[3 * 8 + 2]).toBeCloseTo(0.75, 5);
    expect(e.weight[7 * 8 + 2]).toBe(0);
    expect(e.letters).toBe(1);
  });
});

describe('rendering loss gradient', () => {
  it('a pseudo-target step on the layer bytes lowers the loss through the readout (with and without local normalisation, one network or an ensemble)', () => {
    const [d, h, w] = [5, 24, 32];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const layers = Uint8Array.from({ length: d * h * w }, () => 60 + Math.floor(rand() * 120));
    const seg = { name: 'g/seg', depth: d, height: h, width: w, surface: 2, layers };
    const target = Float32Array.from({ length: h * w }, (_, i) => ((i % w) >> 2) % 2);
    const weight = new Float32Array(h * w).fill(1);
    const rec = { name: 'g/seg/layers', base: 0, bits: [3, 5, 5] } as unknown as RecordMeta;
    const shape = { inChannels: 3, kernels: [3, 1], channels: [6] };
    for (const [localRadius, members] of [
      [0, undefined],
      [6, undefined],
      [6, [initNetwork(shape, 4, 0.5), initNetwork(shape, 5, 0.5)]],
    ] as const) {
      const ro = {
        kind: 'cnn' as const,
        band: { from: 1, to: 3 },
        surface: 2,
        net: initNetwork(shape, 3, 0.5),
        threshold: 0.5,
        trainedOn: [],
        localRadius,
        members: members ? [...members] : undefined,
      };
      const box: [number, number, number, number] = [0, 0, w, h];
      const g = inkLossGradient(ro, seg, target, weight, [box]);
      expect(g.pixels).toBe(h * w);
      const t = pseudoTargets(rec, seg, g, { stepBytes: 6 });
      expect(t.bytes.length).toBeGreaterThan(100);
      const zyx = coordsOf(rec, t.addresses);
      const moved = Uint8Array.from(layers);
      for (let k = 0; k < t.bytes.length; k++)
        moved[(zyx[3 * k]! * h + zyx[3 * k + 1]!) * w + zyx[3 * k + 2]!] = t.bytes[k]!;
      const after = inkLossGradient(ro, { ...seg, layers: moved }, target, weight, [box]);
      expect(after.loss).toBeLessThan(g.loss);
    }
  });
});
