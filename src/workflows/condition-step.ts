/**
 * The language-conditioned AUNN on the labelled sample scroll (`aunn read --lm condition`, src/lm-conditioning/
 * condition/): the AUNN's own rendering of the segment's layers is read out and read (decode with the LM), one round
 * of conditioning trains the AUNN toward that reading, and the text is read again. Both readings are scored against
 * the truth like the decode of the observed ink. It runs on a copy of the scroll-1 model (version 1 and the ink
 * readout) in its own folder, so the demo's models stay as they were; the text records it appends to the corpus are
 * those of the conditioning itself.
 *
 *   const c = await conditionSample(corpus, { group, segment, truthDir, labelledXMax: 208, lm, beam: 20,
 *                                            fromModelDir: 'work/model', modelDir: 'work/model-conditioned' });
 *   c.before.cer, c.after.cer, c.psnrBefore, c.psnrAfter
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Corpus } from '../corpus/index.js';
import type { InkSegment } from '../ink/index.js';
import type { CharLM } from '../lm-conditioning/char-lm.js';
import type { CerScore } from './read-step.js';
import { labelledKnowledge, readTruthText } from './read-step.js';
import { NotAvailable } from './steps.js';

export interface ConditionSampleOptions {
  group: string;
  /** The segment (its labels give the labelled region's known ink). */
  segment: InkSegment;
  truthDir: string;
  labelledXMax: number;
  lm: CharLM;
  beam: number;
  /** The demo's model folder: version 1 (trained on this scroll) and ink-readout.json are copied from it. */
  fromModelDir: string;
  /** A fresh folder for the conditioned copy (emptied first). */
  modelDir: string;
  pixelSizeUm?: number;
  signal?: AbortSignal;
  onStage?: (stage: string) => void;
}

export interface ConditionedSample {
  /** Decode on the AUNN's rendering before conditioning, and after one round. */
  before: CerScore;
  after: CerScore;
  fromVersion: number;
  toVersion: number;
  /** Rendered band against the observed layers (dB), before and after. */
  psnrBefore: number;
  psnrAfter: number;
  /** Rendering loss before and after (same target). */
  loss: number;
  lossAfter: number;
  /** Letters confident enough to shape the rendering loss, and the layer pseudo-targets they gave (absent in a
   * demo-output/ written before they were recorded). */
  letters?: number;
  layerPairs?: number;
  textLetters?: number;
  seconds: number;
}

/** As `aunn read --lm condition`: only letters read at least this confidently shape the rendering loss. */
export const CONDITION_MIN_CONFIDENCE = 0.8;

export async function conditionSample(corpus: Corpus, o: ConditionSampleOptions): Promise<ConditionedSample> {
  const t0 = performance.now();
  const { conditionSegment } = await import('../lm-conditioning/condition/index.js');
  const { readingCer } = await import('../lm-conditioning/reading/reader.js');
  const truth = await readTruthText(o.truthDir);
  const known = labelledKnowledge(o.segment, truth, o.labelledXMax);
  if (!known) throw new NotAvailable(`${o.group} has no ink labels to learn glyphs from`);
  await rm(o.modelDir, { recursive: true, force: true });
  await mkdir(o.modelDir, { recursive: true });
  for (const f of ['v0001.ckpt', 'ink-readout.json'])
    await copyFile(path.join(o.fromModelDir, f), path.join(o.modelDir, f));
  const r = await conditionSegment({
    corpus,
    modelDir: o.modelDir,
    segment: o.group,
    read: {
      labels: known.labels,
      labelledRegion: known.region,
      transcription: known.transcription,
      lm: o.lm,
      beam: o.beam,
      pixelSizeUm: o.pixelSizeUm,
    },
    minConfidence: CONDITION_MIN_CONFIDENCE,
    signal: o.signal,
    onStage: o.onStage,
  });
  const score = (reading: Parameters<typeof readingCer>[0]) =>
    readingCer(reading, truth.columns, { minX: o.labelledXMax });
  const round = r.log[0]!;
  return {
    before: score(r.before),
    after: score(r.reading),
    fromVersion: r.previousVersion,
    toVersion: r.modelVersion,
    psnrBefore: round.psnrBefore,
    psnrAfter: round.psnrAfter,
    loss: round.loss,
    lossAfter: round.lossAfter,
    letters: round.letters,
    layerPairs: round.layerPairs,
    textLetters: round.textLetters,
    seconds: (performance.now() - t0) / 1000,
  };
}
