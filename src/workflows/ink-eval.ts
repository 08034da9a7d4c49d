/**
 * Ink of one sample segment, predicted and scored like the field (F0.5 with the threshold chosen where labels are
 * known, precision, recall, AUC): the conv readout on the observed layers (written into the corpus as the segment's
 * ink record, which the reader and the exports use), the same readout on the AUNN's reconstruction of the layers,
 * the per-pixel logistic baseline (layers 28–36), and on the labelled scroll the per-row positional guess.
 * The labelled scroll is scored on its unlabelled two thirds; a scroll without labels (cross-scroll) on its whole
 * sheet, with thresholds chosen on the labelled scroll.
 *
 *   const s1 = await inkForSegment(corpus, { group, truthPng, readout, logistic, modelDir, scroll: 'scroll 1' });
 *   s1.rows;  // [{ method, layers, evaluated, score: { f05, precision, recall, auc, threshold } }, …]
 *   const s2 = await inkForSegment(corpus, { …, thresholds: s1.thresholds });   // cross-scroll
 */
import { readGrayImage } from '../ink/index.js';
import { predictLogistic, type LogisticModel } from '../ink/index.js';
import { evaluateInk, type InkScore } from '../ink/index.js';
import { predictInk } from '../ink/index.js';
import type { InkReadout } from '../ink/index.js';
import type { InkSegment } from '../ink/index.js';
import { rowPrior } from '../ink/index.js';
import type { ProgressListener } from '../core/task.js';

export interface InkRow {
  method: string;
  layers: 'observed' | 'AUNN reconstruction';
  scroll: string;
  evaluated: string;
  score: InkScore;
}

export interface InkThresholds {
  readout: number;
  logistic: number;
}

export interface SegmentInk {
  rows: InkRow[];
  segment: InkSegment;
  truth: Uint8Array;
  /** The readout's probability on the observed layers (the one written into the corpus). */
  prob: Float32Array;
  /** Threshold of the picture (the observed readout's). */
  threshold: number;
  inkRecord?: string;
  /** PSNR of the AUNN's reconstruction of the readout's layers against the observed ones. */
  reconstructionPsnr?: number;
  /** Thresholds chosen on this segment's labelled region (to carry to an unlabelled scroll). */
  thresholds?: InkThresholds;
}

export interface SegmentInkOptions {
  group: string;
  scroll: string;
  truthPng: string;
  readout: InkReadout;
  logistic: LogisticModel;
  /** The AUNN whose reconstruction the readout also reads (its latest version). */
  modelDir?: string;
  /** Given: score the whole sheet with these thresholds (a scroll without labels of its own). */
  thresholds?: InkThresholds;
  signal?: AbortSignal;
  /** Voxels of the layers rendered from the model, as ProgressEvents. */
  onModelProgress?: ProgressListener;
}

export async function inkForSegment(
  corpus: Parameters<typeof predictInk>[0],
  o: SegmentInkOptions,
): Promise<SegmentInk> {
  const observed = await predictInk(corpus, o.group, o.readout, { source: 'observed', signal: o.signal });
  const seg = observed.loaded.segment;
  const truth = await readGrayImage(o.truthPng, seg);
  const cross = o.thresholds !== undefined;
  const none = new Uint8Array(truth.length);
  const evaluated = cross ? 'whole sheet (no labels of its own)' : 'unlabelled two thirds';
  const score = (prob: Float32Array, crossThreshold: number | undefined) =>
    cross
      ? evaluateInk(prob, truth, none, { sheetMask: seg.sheetMask, threshold: crossThreshold })
      : evaluateInk(prob, truth, seg.labelledMask ?? none, { sheetMask: seg.sheetMask, labels: seg.labels });
  const rows: InkRow[] = [];
  const row = (method: string, layers: InkRow['layers'], s: InkScore) =>
    rows.push({ method, layers, scroll: o.scroll, evaluated, score: s });

  const readoutScore = score(observed.prob, o.thresholds?.readout ?? o.readout.threshold);
  row('conv readout', 'observed', readoutScore);
  let reconstructionPsnr: number | undefined;
  if (o.modelDir) {
    const fromModel = await predictInk(corpus, o.group, o.readout, {
      source: 'model',
      modelDir: o.modelDir,
      write: false,
      signal: o.signal,
      onProgress: o.onModelProgress,
    });
    reconstructionPsnr = fromModel.psnr;
    row('conv readout', 'AUNN reconstruction', score(fromModel.prob, o.thresholds?.readout ?? o.readout.threshold));
  }
  const logisticScore = score(predictLogistic(o.logistic, seg), o.thresholds?.logistic);
  row('logistic baseline (layers 28-36)', 'observed', logisticScore);
  if (!cross && seg.labels) row('row prior (positional guess)', 'observed', score(rowPrior(seg), undefined));
  return {
    rows,
    segment: seg,
    truth,
    prob: observed.prob,
    threshold: readoutScore.threshold,
    inkRecord: observed.record?.name,
    reconstructionPsnr,
    thresholds: cross ? undefined : { readout: o.readout.threshold, logistic: logisticScore.threshold },
  };
}

/** The surface layer of a segment as a [H*W] plane. */
export function surfacePlane(seg: InkSegment): Uint8Array {
  const plane = seg.height * seg.width;
  return seg.layers.subarray(seg.surface * plane, (seg.surface + 1) * plane);
}
