/**
 * The AUNN model API for the rest of the app (ink readout, text reader, viewer server, CLI).
 *
 *   import { trainModel, loadModel } from './index.js';
 *   await trainModel({ corpusDir, modelDir, minutes: 3, onProgress });
 *   const model = await loadModel(modelDir);
 *   const { mean, argmax, entropy } = await model.predict(addresses, corpus.manifest);
 *   const layers = await model.samplePoints(layersRec, zyxPoints, 'trilinear', corpus.manifest);
 */
export {
  loadModel,
  AunnModel,
  type Region,
  type RegionPrediction,
  type PredictOptions,
  type BatchPrediction,
} from './model.js';
export { trainModel, type TrainOptions, type TrainResult, type TrainProgress } from './trainer.js';
export { modelConfig, DEFAULT_CONFIG, type ModelConfig, type EncodingKind, type ScheduleKind } from './config.js';
export { listVersions, latestVersion, versionPath, type CheckpointHeader } from './checkpoint.js';
export { isHeldOut } from './addressing.js';
export { initBackend, type BackendName } from './backend.js';
export { addressAt } from './addressing.js';
export { type UpdateRule, updateOnPairs, parsePairs } from './dynamic-eval.js';
export { type DeepPartial } from './config.js';
export { type CorpusLike, psnr } from './data.js';
export { heldOutPsnr, interpolationBaseline, makeSampleCorpus } from './evaluate.js';
export { finetuneModel } from './finetune.js';
export { regionShape } from './model.js';
export { predictUnseen, writePredictions } from './predict-corpus.js';
export { trainableRecords } from './trainer.js';
