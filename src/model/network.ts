/**
 * The AUNN network: input projection, depth-1 pre-norm residual blocks (RMSNorm → dense → ReLU, added back), a final
 * RMSNorm and a 256-way softmax head over the byte. Forward and backward are written out by hand with TensorFlow.js
 * ops: on the wasm backend a transposed matMul is ~10x slower than a plain one, so every gradient matMul gets an
 * explicit transpose (REFERENCE.md), and nothing is recorded on a tape.
 *
 * Parameters live in one flat Float32Array (see `paramLayout`), which is what the optimizer, the worker threads'
 * shared memory and the checkpoints hold.
 *
 *   const layout = paramLayout(cfg);
 *   const params = initParams(layout, seed);
 *   const { loss, grads } = lossAndGrads(cfg, layout, params, x, labels, n);
 *   const out = predictBatch(cfg, layout, params, x, n); // { mean, argmax, entropy }
 */
import * as tf from '@tensorflow/tfjs-core';
import { gridParams, inputDim, type ModelConfig } from './config.js';

export type ParamGroup = 'input' | 'trunk' | 'output' | 'grid';
export interface ParamEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
  group: ParamGroup;
  /** Weight decay applies to matrices only (not biases or norm gains). */
  decay: boolean;
}
export interface ParamLayout {
  entries: ParamEntry[];
  total: number;
}

export const OUTPUTS = 256;
const EPS = 1e-6;

export function paramLayout(cfg: Pick<ModelConfig, 'encoding' | 'width' | 'depth'>): ParamLayout {
  const entries: ParamEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], group: ParamGroup, decay: boolean) => {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, shape, offset, size, group, decay });
    offset += size;
  };
  const d = inputDim(cfg.encoding);
  const w = cfg.width;
  add('in.W', [d, w], 'input', true);
  add('in.b', [w], 'input', false);
  for (let i = 1; i < cfg.depth; i++) {
    add(`block${i}.W`, [w, w], 'trunk', true);
    add(`block${i}.b`, [w], 'trunk', false);
  }
  add('out.W', [w, OUTPUTS], 'output', true);
  add('out.b', [OUTPUTS], 'output', false);
  // Last, so the dense parameters are one contiguous prefix (the tfjs part); the grid is updated from JS.
  const g = gridParams(cfg.encoding);
  if (g > 0) add('grid.table', [g], 'grid', false);
  return { entries, total: offset };
}

/** The hash-grid tables inside a flat parameter vector (undefined without a grid). */
export function gridView(layout: ParamLayout, params: Float32Array): Float32Array | undefined {
  const e = layout.entries.find((x) => x.group === 'grid');
  return e ? params.subarray(e.offset, e.offset + e.size) : undefined;
}

import { mulberry32 } from './random.js';

export { mulberry32 };

/** He-uniform matrices, zero biases, unit norm gains; residual blocks start small so the trunk starts near identity. */
export function initParams(layout: ParamLayout, seed: number, out?: Float32Array): Float32Array {
  const p = out ?? new Float32Array(layout.total);
  const rnd = mulberry32(seed);
  for (const e of layout.entries) {
    const v = p.subarray(e.offset, e.offset + e.size);
    if (e.name.endsWith('.b')) v.fill(0);
    else if (e.group === 'grid') for (let i = 0; i < v.length; i++) v[i] = (rnd() * 2 - 1) * 1e-4;
    else {
      const fanIn = e.shape[0];
      const scale = e.name.startsWith('block') ? 0.5 : 1;
      const lim = scale * Math.sqrt(6 / fanIn);
      for (let i = 0; i < v.length; i++) v[i] = (rnd() * 2 - 1) * lim;
    }
  }
  return p;
}

type Tensors = Record<string, tf.Tensor>;

function upload(layout: ParamLayout, params: Float32Array): Tensors {
  const t: Tensors = {};
  for (const e of layout.entries) if (e.group !== 'grid') t[e.name] = tf.tensor(params.subarray(e.offset, e.offset + e.size), e.shape, 'float32');
  return t;
}

/** Uploaded weights, reused across batches (inference) until disposed. */
export class UploadedParams {
  readonly t: Tensors;
  constructor(
    readonly layout: ParamLayout,
    params: Float32Array,
  ) {
    this.t = upload(layout, params);
  }
  dispose(): void {
    for (const v of Object.values(this.t)) v.dispose();
  }
}

/**
 * RMSNorm without a gain (a per-feature gain is redundant with the next dense layer's rows): y = h * r with
 * r = rsqrt(mean(h²) + eps), [n, 1], kept for the backward pass.
 */
function rmsNorm(h: tf.Tensor2D): { y: tf.Tensor2D; r: tf.Tensor2D } {
  const r = tf.rsqrt(tf.add(tf.mean(tf.square(h), -1, true), EPS)) as tf.Tensor2D;
  return { y: tf.mul(h, r) as tf.Tensor2D, r };
}

/** relu(x·W + b) in one fused kernel. */
function denseRelu(x: tf.Tensor2D, W: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: W as tf.Tensor2D, bias: b, activation: 'relu' }) as tf.Tensor2D;
}

/** The normalised last hidden layer: what the output head reads. */
function features(cfg: Pick<ModelConfig, 'depth'>, t: Tensors, x: tf.Tensor2D): tf.Tensor2D {
  let h = denseRelu(x, t['in.W'], t['in.b']);
  for (let i = 1; i < cfg.depth; i++) h = tf.add(h, denseRelu(rmsNorm(h).y, t[`block${i}.W`], t[`block${i}.b`])) as tf.Tensor2D;
  return rmsNorm(h).y;
}

function logits(cfg: Pick<ModelConfig, 'depth'>, t: Tensors, x: tf.Tensor2D): tf.Tensor2D {
  return tf.fused.matMul({ a: features(cfg, t, x), b: t['out.W'] as tf.Tensor2D, bias: t['out.b'] }) as tf.Tensor2D;
}

/**
 * The local delta rule on the output layer only (no backprop through the trunk): for inputs x with targets
 * `labels`, out.W -= lr · featuresᵀ(p − t)/n and out.b -= lr · mean(p − t), repeated `steps` times, in place on
 * `params`. Returns the mean cross-entropy before the first update.
 */
export function deltaRuleOutput(
  cfg: Pick<ModelConfig, 'encoding' | 'depth'>,
  layout: ParamLayout,
  params: Float32Array,
  x: Float32Array,
  labels: Uint8Array,
  n: number,
  lr: number,
  steps: number,
  labelSigma = 0,
): number {
  const d = inputDim(cfg.encoding);
  const eW = layout.entries.find((e) => e.name === 'out.W')!;
  const eb = layout.entries.find((e) => e.name === 'out.b')!;
  const t = upload(layout, params);
  let first = NaN;
  try {
    const feats = tf.tidy(() => features(cfg, t, tf.tensor2d(x.subarray(0, n * d), [n, d])));
    const featsT = tf.transpose(feats);
    const lab = tf.tensor1d(Int32Array.from(labels.subarray(0, n)), 'int32');
    const target = labelSigma > 0 ? tf.gather(gaussianTargets(labelSigma), lab) : tf.cast(tf.oneHot(lab, OUTPUTS), 'float32');
    let W = t['out.W'];
    let b = t['out.b'];
    for (let s = 0; s < steps; s++) {
      const [nW, nb, loss] = tf.tidy(() => {
        const lg = tf.add(tf.matMul(feats, W as tf.Tensor2D), b);
        const logp = tf.logSoftmax(lg);
        const err = tf.sub(tf.exp(logp), target);
        const loss = tf.div(tf.neg(tf.sum(tf.mul(target, logp))), n);
        return [tf.sub(W, tf.mul(tf.matMul(featsT as tf.Tensor2D, err), lr / n)), tf.sub(b, tf.mul(tf.mean(err, 0), lr)), loss];
      });
      if (s === 0) first = loss.dataSync()[0];
      loss.dispose();
      if (W !== t['out.W']) W.dispose();
      if (b !== t['out.b']) b.dispose();
      W = nW;
      b = nb;
    }
    params.set(W.dataSync() as Float32Array, eW.offset);
    params.set(b.dataSync() as Float32Array, eb.offset);
    for (const v of [feats, featsT, lab, target]) v.dispose();
    if (W !== t['out.W']) W.dispose();
    if (b !== t['out.b']) b.dispose();
  } finally {
    for (const v of Object.values(t)) v.dispose();
  }
  return first;
}

export interface BatchPrediction {
  /** Expected byte value under the softmax. */
  mean: Float32Array;
  argmax: Uint8Array;
  /** Entropy of the softmax in nats (0 … ln 256). */
  entropy: Float32Array;
}

let valuesCache: tf.Tensor2D | undefined;
function byteValues(): tf.Tensor2D {
  if (!valuesCache || valuesCache.isDisposed) valuesCache = tf.keep(tf.reshape(tf.range(0, OUTPUTS, 1, 'float32'), [OUTPUTS, 1]) as tf.Tensor2D);
  return valuesCache;
}

/** Forward pass over n encoded inputs (row-major [n, inputDim]). */
export function predictBatch(cfg: Pick<ModelConfig, 'encoding' | 'depth'>, weights: UploadedParams, x: Float32Array, n: number): BatchPrediction {
  const d = inputDim(cfg.encoding);
  const [mean, argmax, entropy] = tf.tidy(() => {
    const xt = tf.tensor2d(x.subarray(0, n * d), [n, d]);
    const lg = logits(cfg, weights.t, xt);
    const logp = tf.logSoftmax(lg);
    const p = tf.exp(logp);
    return [tf.matMul(p, byteValues()), tf.argMax(lg, -1), tf.neg(tf.sum(tf.mul(p, logp), -1))];
  });
  const out = {
    mean: mean.dataSync() as Float32Array,
    argmax: Uint8Array.from(argmax.dataSync() as Int32Array),
    entropy: entropy.dataSync() as Float32Array,
  };
  mean.dispose();
  argmax.dispose();
  entropy.dispose();
  return out;
}

const targetCache = new Map<number, tf.Tensor2D>();
/** Row v: a Gaussian of width sigma (bytes) centred on v, normalised over the 256 bytes. */
function gaussianTargets(sigma: number): tf.Tensor2D {
  let t = targetCache.get(sigma);
  if (!t || t.isDisposed) {
    const m = new Float32Array(OUTPUTS * OUTPUTS);
    for (let v = 0; v < OUTPUTS; v++) {
      let s = 0;
      for (let k = 0; k < OUTPUTS; k++) s += m[v * OUTPUTS + k] = Math.exp(-0.5 * ((k - v) / sigma) ** 2);
      for (let k = 0; k < OUTPUTS; k++) m[v * OUTPUTS + k] /= s;
    }
    t = tf.keep(tf.tensor2d(m, [OUTPUTS, OUTPUTS]));
    targetCache.set(sigma, t);
  }
  return t;
}

/**
 * Dense backward without transposed matMuls: dW = xᵀ·dy, db = 1ᵀ·dy, dx = dy·Wᵀ (explicit transposes, plain
 * matMuls; the column sum as a matMul is ~10x faster than tf.sum over axis 0 on wasm).
 */
function denseBackward(x: tf.Tensor2D, W: tf.Tensor2D, dy: tf.Tensor2D, needDx: boolean, ones: tf.Tensor2D) {
  const dW = tf.matMul(tf.transpose(x), dy);
  const db = tf.reshape(tf.matMul(ones, dy), [dy.shape[1]]);
  const dx = needDx ? (tf.matMul(dy, tf.transpose(W)) as tf.Tensor2D) : undefined;
  return { dW, db, dx };
}

/** Backward of y = h * r (r = rsqrt(mean(h²)+eps)) given dy: dh = r·dy − h·r³·mean(dy·h). */
function rmsNormBackward(h: tf.Tensor2D, r: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D {
  const width = h.shape[1];
  const dot = tf.sum(tf.mul(dy, h), -1, true);
  const coef = tf.mul(tf.mul(tf.square(r), r), tf.div(dot, width));
  return tf.sub(tf.mul(dy, r), tf.mul(h, coef)) as tf.Tensor2D;
}

export interface LossAndGrads {
  /** Mean cross-entropy (nats) over the batch. */
  loss: number;
  /** Sum of squared errors of the expectation against the labels (for a running PSNR). */
  sse: number;
}

/**
 * Mean softmax cross-entropy of n samples (against one-hot targets, or Gaussian-smoothed ones when labelSigma > 0) and its gradient with respect to every parameter, written into `grads`
 * (same layout as params). x is row-major [n, inputDim], labels the bytes.
 */
export function lossAndGrads(
  cfg: Pick<ModelConfig, 'encoding' | 'depth'>,
  layout: ParamLayout,
  params: Float32Array,
  x: Float32Array,
  labels: Uint8Array | Int32Array,
  n: number,
  grads: Float32Array,
  labelSigma = 0,
  inputGrad?: Float32Array,
): LossAndGrads {
  const d = inputDim(cfg.encoding);
  const result = tf.tidy(() => {
    const t = upload(layout, params);
    const xt = tf.tensor2d(x.subarray(0, n * d), [n, d]);
    const lab = tf.tensor1d(Int32Array.from(labels.subarray(0, n)), 'int32');
    // Forward, keeping what the backward pass needs.
    const ones = tf.ones([1, n]) as tf.Tensor2D;
    const a0 = denseRelu(xt, t['in.W'], t['in.b']);
    let h = a0;
    const saved: { h: tf.Tensor2D; r: tf.Tensor2D; y: tf.Tensor2D; a: tf.Tensor2D }[] = [];
    for (let i = 1; i < cfg.depth; i++) {
      const { y, r } = rmsNorm(h);
      const a = denseRelu(y, t[`block${i}.W`], t[`block${i}.b`]);
      saved.push({ h, r, y, a });
      h = tf.add(h, a) as tf.Tensor2D;
    }
    const { y: yOut, r: rOut } = rmsNorm(h);
    const lg = tf.fused.matMul({ a: yOut, b: t['out.W'] as tf.Tensor2D, bias: t['out.b'] }) as tf.Tensor2D;
    const logp = tf.logSoftmax(lg);
    const p = tf.exp(logp);
    // Target: one-hot, or a Gaussian over neighbouring bytes (HL-Gauss: the classes learn their order together).
    const onehot = labelSigma > 0 ? tf.gather(gaussianTargets(labelSigma), lab) : tf.cast(tf.oneHot(lab, OUTPUTS), 'float32');
    const loss = tf.div(tf.neg(tf.sum(tf.mul(onehot, logp))), n);
    const err = tf.sub(tf.squeeze(tf.matMul(p, byteValues()), [1]), tf.cast(lab, 'float32'));
    const sse = tf.sum(tf.square(err));
    // Backward.
    const g: Record<string, tf.Tensor> = {};
    const dlg = tf.div(tf.sub(p, onehot), n) as tf.Tensor2D;
    const o = denseBackward(yOut, t['out.W'] as tf.Tensor2D, dlg, true, ones);
    g['out.W'] = o.dW;
    g['out.b'] = o.db;
    let dh = rmsNormBackward(h, rOut, o.dx!);
    for (let i = cfg.depth - 1; i >= 1; i--) {
      const s = saved[i - 1];
      const dpre = tf.mul(dh, tf.step(s.a)) as tf.Tensor2D;
      const b = denseBackward(s.y, t[`block${i}.W`] as tf.Tensor2D, dpre, true, ones);
      g[`block${i}.W`] = b.dW;
      g[`block${i}.b`] = b.db;
      dh = tf.add(dh, rmsNormBackward(s.h, s.r, b.dx!)) as tf.Tensor2D;
    }
    const dpre0 = tf.mul(dh, tf.step(a0)) as tf.Tensor2D;
    const i0 = denseBackward(xt, t['in.W'] as tf.Tensor2D, dpre0, false, ones);
    g['in.W'] = i0.dW;
    g['in.b'] = i0.db;
    const flat = tf.concat(layout.entries.filter((e) => e.group !== 'grid').map((e) => tf.reshape(g[e.name], [e.size])));
    // The input gradient, for the learned grid features (the encoder scatters it into the tables).
    const dx = inputGrad ? tf.matMul(dpre0, tf.transpose(t['in.W'])) : undefined;
    return { flat, loss, sse, dx };
  });
  const flatData = result.flat.dataSync() as Float32Array;
  grads.set(flatData);
  if (result.dx) {
    inputGrad!.set(result.dx.dataSync() as Float32Array);
    result.dx.dispose();
  }
  const loss = (result.loss.dataSync() as Float32Array)[0];
  const sse = (result.sse.dataSync() as Float32Array)[0];
  result.flat.dispose();
  result.loss.dispose();
  result.sse.dispose();
  return { loss, sse };
}
