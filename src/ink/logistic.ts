/**
 * The baseline ink classifier: per-pixel logistic regression on a band of layers (default 28–36, the issue's
 * baseline), each as the raw normalised value and a 5x5 box mean, trained on the labelled pixels with full-batch
 * Adam and a little L2. No spatial context beyond the box mean, no address.
 *
 *   const model = trainLogistic([seg]);            // seg with labels + labelledMask
 *   const prob = predictLogistic(model, otherSeg); // Float32Array [H*W], probability of ink
 */
import { boxSmooth, bandSize, layerBand, type LayerBand } from './features.js';
import { labelledPixels, type InkSegment } from './segment.js';

export interface LogisticModel {
  kind: 'logistic';
  band: LayerBand;
  smoothRadius: number;
  /** Feature standardisation (mean, std) then weights; last weight is the bias. */
  mean: number[];
  std: number[];
  weights: number[];
}

export interface LogisticOptions {
  band?: LayerBand;
  smoothRadius?: number;
  iterations?: number;
  l2?: number;
}

/** Features [H*W, 2*C]: raw band, then its box mean. */
function pixelFeatures(seg: InkSegment, band: LayerBand, radius: number): { x: Float32Array; dim: number } {
  const c = bandSize(band);
  const raw = layerBand(seg, band);
  const smooth = boxSmooth(raw, seg.height, seg.width, c, radius);
  const plane = seg.height * seg.width;
  const dim = 2 * c;
  const x = new Float32Array(plane * dim);
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < c; k++) {
      x[i * dim + k] = raw[i * c + k]!;
      x[i * dim + c + k] = smooth[i * c + k]!;
    }
  }
  return { x, dim };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function trainLogistic(segments: InkSegment[], opts: LogisticOptions = {}): LogisticModel {
  const band = opts.band ?? { from: 28, to: 36 };
  const radius = opts.smoothRadius ?? 2;
  const iterations = opts.iterations ?? 300;
  const l2 = opts.l2 ?? 1e-3;
  // gather labelled pixels of every segment
  const rows: Float32Array[] = [];
  const ys: number[] = [];
  let dim = 0;
  for (const seg of segments) {
    if (!seg.labels) continue;
    const f = pixelFeatures(seg, band, radius);
    dim = f.dim;
    const lab = labelledPixels(seg);
    for (let i = 0; i < lab.length; i++) {
      if (!lab[i]) continue;
      rows.push(f.x.subarray(i * dim, (i + 1) * dim));
      ys.push(seg.labels[i]! > 127 ? 1 : 0);
    }
  }
  if (rows.length === 0) throw new Error('trainLogistic: no labelled pixels in the given segments');
  const n = rows.length;
  const mean = new Array<number>(dim).fill(0);
  const std = new Array<number>(dim).fill(0);
  for (const r of rows) for (let k = 0; k < dim; k++) mean[k]! += r[k]! / n;
  for (const r of rows) for (let k = 0; k < dim; k++) std[k]! += (r[k]! - mean[k]!) ** 2 / n;
  for (let k = 0; k < dim; k++) std[k] = Math.sqrt(std[k]!) || 1;
  const xs = new Float64Array(n * dim);
  rows.forEach((r, i) => {
    for (let k = 0; k < dim; k++) xs[i * dim + k] = (r[k]! - mean[k]!) / std[k]!;
  });
  // full-batch Adam on the mean log loss + l2
  const w = new Float64Array(dim + 1);
  const m = new Float64Array(dim + 1);
  const v = new Float64Array(dim + 1);
  const g = new Float64Array(dim + 1);
  const lr = 0.05;
  for (let it = 1; it <= iterations; it++) {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      let z = w[dim]!;
      for (let k = 0; k < dim; k++) z += w[k]! * xs[i * dim + k]!;
      const e = sigmoid(z) - ys[i]!;
      for (let k = 0; k < dim; k++) g[k]! += (e * xs[i * dim + k]!) / n;
      g[dim]! += e / n;
    }
    for (let k = 0; k < dim; k++) g[k]! += l2 * w[k]!;
    for (let k = 0; k <= dim; k++) {
      m[k] = 0.9 * m[k]! + 0.1 * g[k]!;
      v[k] = 0.999 * v[k]! + 0.001 * g[k]! ** 2;
      const mh = m[k]! / (1 - 0.9 ** it);
      const vh = v[k]! / (1 - 0.999 ** it);
      w[k]! -= (lr * mh) / (Math.sqrt(vh) + 1e-8);
    }
  }
  return { kind: 'logistic', band, smoothRadius: radius, mean, std, weights: Array.from(w) };
}

export function predictLogistic(model: LogisticModel, seg: InkSegment): Float32Array {
  const { x, dim } = pixelFeatures(seg, model.band, model.smoothRadius);
  const plane = seg.height * seg.width;
  const out = new Float32Array(plane);
  const w = model.weights;
  for (let i = 0; i < plane; i++) {
    let z = w[dim]!;
    for (let k = 0; k < dim; k++) z += (w[k]! * (x[i * dim + k]! - model.mean[k]!)) / model.std[k]!;
    out[i] = sigmoid(z);
  }
  if (seg.sheetMask) for (let i = 0; i < plane; i++) if (!seg.sheetMask[i]) out[i] = 0;
  return out;
}
