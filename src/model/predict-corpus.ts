/**
 * Writes a model's predictions of a record (or a region of it, or a coarser level) into the corpus as two derived
 * arrays: 'value' (expected byte) and 'uncertainty' (softmax entropy scaled to 0..255). They are marked
 * predictions, never training data. Also predicts the addresses right after the last record (the seed's "first
 * unseen index").
 *
 *   const out = await writePredictions(corpus, model, corpus.record('s1/scanA'), { level: 1, onProgress });
 *   out.value.name; out.uncertainty.shape;
 */
import type { CorpusWriter } from '../corpus/index.js';
import type { Manifest, RecordMeta } from '../corpus/index.js';
import type { AunnModel, PredictOptions, Region } from './model.js';

export interface PredictionTarget {
  readonly manifest: Manifest;
  withWriter<T>(fn: (w: CorpusWriter) => Promise<T>): Promise<T>;
}

export interface WrittenPredictions {
  value: RecordMeta;
  uncertainty: RecordMeta;
  shape: [number, number, number];
  seconds: number;
  voxelsPerS: number;
}

export async function writePredictions(
  corpus: PredictionTarget,
  model: AunnModel,
  rec: RecordMeta,
  opts: { region?: Region; level?: number } & PredictOptions = {},
): Promise<WrittenPredictions> {
  const level = opts.level ?? 0;
  const t0 = performance.now();
  const p = await model.predictRegion(rec, opts.region, level, corpus.manifest, opts);
  const seconds = (performance.now() - t0) / 1000;
  const extra = {
    region: opts.region,
    level,
    model: model.label,
    modelVersion: model.version,
    uncertainty: 'entropy / ln 256 * 255',
  };
  const whole = !opts.region && level === 0;
  const tag = whole
    ? model.label
    : `${model.label} ${level ? `level ${level} ` : ''}${opts.region ? `z${opts.region.z.join(':')},y${opts.region.y.join(':')},x${opts.region.x.join(':')}` : ''}`.trim();
  const [value, uncertainty] = await corpus.withWriter(async (w) => [
    await w.writePrediction(rec, 'value', p.value, { shape: p.shape, model: tag, extra }),
    await w.writePrediction(rec, 'uncertainty', p.uncertainty, { shape: p.shape, model: tag, extra }),
  ]);
  return { value, uncertainty, shape: p.shape, seconds, voxelsPerS: p.value.length / Math.max(1e-9, seconds) };
}

/** Predictions for the `count` addresses from manifest.next on: no record holds them yet. */
export async function predictUnseen(model: AunnModel, manifest: Manifest, count: number, opts: PredictOptions = {}) {
  const addresses = Float64Array.from({ length: count }, (_, i) => manifest.next + i);
  return { addresses, ...(await model.predict(addresses, manifest, opts)) };
}
