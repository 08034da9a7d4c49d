/**
 * Predicted ink: a readout of the field's intensities (never the address) around the papyrus surface, trained on the
 * labelled regions and shared across scrolls, plus the field's way of scoring it. What the text reader, the app, the
 * demo and `aunn ink` call.
 *
 *   import { Corpus } from '../corpus/index.js';
 *   import { ensureReadout, predictInk, evaluateInk, loadCorpusSegment } from './index.js';
 *   const corpus = await Corpus.open('corpus');
 *   const { readout } = await ensureReadout(corpus, { maxSeconds: 90 });          // load or train (labelled segments)
 *   const { prob, loaded } = await predictInk(corpus, 'scroll2/seg', readout);     // Float32Array [H*W], also in corpus
 *   const score = evaluateInk(prob, truth, loaded.segment.labelledMask!, { threshold: readout.threshold });
 *
 * Differentiable use (gradients from ink into whatever produced the layers, e.g. the AUNN or an LM loss):
 *   const { logits, cache } = forward(readout.net.shape, weights, x, [B, H, W, C]);
 *   const { dInput } = backward(readout.net.shape, weights, cache, dLogits, true); cache.dispose();
 */
export {
  chooseThreshold,
  confusionAt,
  evaluateInk,
  fBeta,
  rocAuc,
  scoreInk,
  type EvaluateOptions,
  type InkScore,
} from './metrics.js';
export { chooseBand, layerCorrelation, type BandChoice } from './band.js';
export { bandSize, boxSmooth, layerBand, type LayerBand } from './features.js';
export { predictLogistic, trainLogistic, type LogisticModel } from './logistic.js';
export {
  backward,
  forward,
  inferLogits,
  initNetwork,
  receptiveRadius,
  type ForwardCache,
  type NetworkParams,
  type NetworkShape,
} from './network.js';
export {
  bandFor,
  predictReadout,
  readoutFromJson,
  readoutToJson,
  splitLabelled,
  trainReadout,
  type InkReadout,
  type ReadoutOptions,
  type TrainLog,
} from './readout.js';
export { findLayersRecord, loadCorpusSegment, readGrayImage, type LoadedSegment } from './load.js';
export { otsuThreshold, photoAgreement, type PhotoAgreement } from './photo-evidence.js';
export {
  ensureReadout,
  exportInkImages,
  labelledGroups,
  layersPsnr,
  loadReadout,
  modelLayers,
  predictInk,
  readoutPath,
  saveReadout,
  type LayerSource,
  type PredictInkOptions,
  type PredictInkResult,
} from './pipeline.js';
export { labelledPixels, unlabelledPixels, withoutMissingData, InkInputError, type InkSegment } from './segment.js';
export { rowPrior, syntheticSegment } from './synthetic.js';
export { localNormalise } from './features.js';
