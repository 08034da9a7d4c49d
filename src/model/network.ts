/**
 * The AUNN network: input projection, depth-1 pre-norm residual blocks (RMSNorm → dense → ReLU, added back), a final
 * RMSNorm and a 256-way softmax head over the byte. Forward and backward are written out by hand with TensorFlow.js
 * ops and the fused kernels of fused-ops.ts (norms, cross-entropy, head, transposes: wasm SIMD / JS on the wasm
 * heap), and nothing is recorded on a tape. On wasm a transposed matMul is ~10x slower than a plain one, so every
 * gradient matMul gets an explicitly transposed operand; [yᵀ; 1]·dy gives a layer's weight and bias gradients at
 * once. Where the time goes (wasm, 2048 samples of the reference MLP): ~85% in the 19 matMuls (XNNPACK, ~24
 * GFLOP/s, plus ~3 ms per weight gradient to pack its [2048, 256] right operand), the rest in the fused kernels.
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
import {
  matMulPacked,
  predictHead,
  residualRmsNorm,
  rmsNormBackwardRelu,
  softmaxCrossEntropyBackward,
  transpose2d,
} from './fused-ops.js';

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

import { mulberry32 } from '../core/random.js';

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
  for (const e of layout.entries)
    if (e.group !== 'grid') t[e.name] = tf.tensor(params.subarray(e.offset, e.offset + e.size), e.shape, 'float32');
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

/*
 * RMSNorm has no gain (a per-feature gain is redundant with the next dense layer's rows): y = h * r with
 * r = rsqrt(mean(h²) + eps), [n, 1], kept for the backward pass (fused-ops.ts).
 */

/** relu(x·W + b) in one fused kernel. */
function denseRelu(x: tf.Tensor2D, W: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: W as tf.Tensor2D, bias: b, activation: 'relu' }) as tf.Tensor2D;
}

/** The normalised last hidden layer: what the output head reads. */
function features(cfg: Pick<ModelConfig, 'depth'>, t: Tensors, x: tf.Tensor2D): tf.Tensor2D {
  let h = denseRelu(x, t['in.W'], t['in.b']);
  let pending: tf.Tensor2D | undefined;
  for (let i = 1; i < cfg.depth; i++) {
    const nrm = residualRmsNorm(h, pending);
    h = nrm.h;
    pending = denseRelu(nrm.y, t[`block${i}.W`], t[`block${i}.b`]);
  }
  return residualRmsNorm(h, pending).y;
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
    const target =
      labelSigma > 0 ? tf.gather(gaussianTargets(labelSigma), lab) : tf.cast(tf.oneHot(lab, OUTPUTS), 'float32');
    let W = t['out.W'];
    let b = t['out.b'];
    for (let s = 0; s < steps; s++) {
      const [nW, nb, loss] = tf.tidy(() => {
        const lg = tf.add(tf.matMul(feats, W as tf.Tensor2D), b);
        const logp = tf.logSoftmax(lg);
        const err = tf.sub(tf.exp(logp), target);
        const loss = tf.div(tf.neg(tf.sum(tf.mul(target, logp))), n);
        return [
          tf.sub(W, tf.mul(tf.matMul(featsT as tf.Tensor2D, err), lr / n)),
          tf.sub(b, tf.mul(tf.mean(err, 0), lr)),
          loss,
        ];
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

/** Forward pass over n encoded inputs (row-major [n, inputDim]). */
export function predictBatch(
  cfg: Pick<ModelConfig, 'encoding' | 'depth'>,
  weights: UploadedParams,
  x: Float32Array,
  n: number,
): BatchPrediction {
  const d = inputDim(cfg.encoding);
  const [mean, argmax, entropy] = tf.tidy(() => {
    const xt = tf.tensor2d(x.subarray(0, n * d), [n, d]);
    return predictHead(logits(cfg, weights.t, xt));
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

/** [256, 256], row v: a Gaussian of width sigma (bytes) centred on v, normalised over the 256 bytes. */
export function gaussianTargetRows(sigma: number): Float32Array {
  const m = new Float32Array(OUTPUTS * OUTPUTS);
  for (let v = 0; v < OUTPUTS; v++) {
    let s = 0;
    for (let k = 0; k < OUTPUTS; k++) s += m[v * OUTPUTS + k] = Math.exp(-0.5 * ((k - v) / sigma) ** 2);
    for (let k = 0; k < OUTPUTS; k++) m[v * OUTPUTS + k] /= s;
  }
  return m;
}

const targetCache = new Map<number, tf.Tensor2D>();
/** gaussianTargetRows as a kept tensor, one per sigma. */
function gaussianTargets(sigma: number): tf.Tensor2D {
  let t = targetCache.get(sigma);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.tensor2d(gaussianTargetRows(sigma), [OUTPUTS, OUTPUTS]));
    targetCache.set(sigma, t);
  }
  return t;
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
  // [x, 1] for the input layer's weight and bias gradient.
  const xOnes = new Float32Array(n * (d + 1));
  for (let i = 0; i < n; i++) {
    xOnes.set(x.subarray(i * d, (i + 1) * d), i * (d + 1));
    xOnes[i * (d + 1) + d] = 1;
  }
  const result = tf.tidy(() => {
    const t = upload(layout, params);
    const xt = tf.tensor2d(x.subarray(0, n * d), [n, d]);
    const lab = tf.tensor1d(
      labels instanceof Int32Array ? labels.subarray(0, n) : Int32Array.from(labels.subarray(0, n)),
      'int32',
    );
    // Forward, keeping what the backward pass needs: per block its input stream h, the norm's r, its output a and
    // [yᵀ; 1] (its normalised input, transposed here once: a transposed matMul is ~10x slower on wasm).
    const a0 = denseRelu(xt, t['in.W'], t['in.b']);
    let h = a0;
    let pending: tf.Tensor2D | undefined; // the last block's output, added into the stream by the next norm
    const saved: { h: tf.Tensor2D; r: tf.Tensor2D; yT: tf.Tensor2D; a: tf.Tensor2D }[] = [];
    for (let i = 1; i < cfg.depth; i++) {
      const nrm = residualRmsNorm(h, pending, true);
      h = nrm.h;
      const a = denseRelu(nrm.y, t[`block${i}.W`], t[`block${i}.b`]);
      saved.push({ h, r: nrm.r, yT: nrm.yT!, a });
      pending = a;
    }
    const out = residualRmsNorm(h, pending, true);
    h = out.h;
    const lg = tf.fused.matMul({ a: out.y, b: t['out.W'] as tf.Tensor2D, bias: t['out.b'] }) as tf.Tensor2D;
    // Target: one-hot, or a Gaussian over neighbouring bytes (HL-Gauss: the classes learn their order together).
    const xent = softmaxCrossEntropyBackward(lg, lab, labelSigma > 0 ? gaussianTargets(labelSigma) : undefined);
    // Backward. [yᵀ; 1]·dy = [dW; db]: W and then b, as the layout stores them. dx = dy·Wᵀ (explicit transpose,
    // plain matMul).
    const g: tf.Tensor[] = [];
    g.push(matMulPacked(out.yT!, xent.dlg));
    // Through the final norm into the stream (dh), and the ReLU of the last layer (dpre: the gradient at the
    // pre-activation of the layer below the current stream position).
    const dyOut = tf.matMul(xent.dlg, transpose2d(t['out.W'] as tf.Tensor2D)) as tf.Tensor2D;
    let { dh, dpre } = rmsNormBackwardRelu(h, out.r, dyOut, undefined, cfg.depth > 1 ? saved[cfg.depth - 2].a : a0);
    for (let i = cfg.depth - 1; i >= 1; i--) {
      const s = saved[i - 1];
      g.push(matMulPacked(s.yT, dpre));
      const dy = tf.matMul(dpre, transpose2d(t[`block${i}.W`] as tf.Tensor2D)) as tf.Tensor2D;
      // Through block i's norm into the stream, then the ReLU of the layer below (block i−1, or the input layer).
      ({ dh, dpre } = rmsNormBackwardRelu(s.h, s.r, dy, dh, i > 1 ? saved[i - 2].a : a0));
    }
    const dpre0 = dpre;
    // ([x, 1]ᵀ·dpre)ᵀ = dpreᵀ·[x, 1]: the matMul packs its right operand, and [x, 1] (d + 1 wide) packs faster.
    g.push(transpose2d(tf.matMul(transpose2d(dpre0), tf.tensor2d(xOnes, [n, d + 1]))));
    // g holds [out, block depth-1 … block 1, in]: the layout is the reverse.
    const flat = tf.concat(g.reverse().map((v) => tf.reshape(v, [v.size])));
    // The input gradient, for the learned grid features (the encoder scatters it into the tables).
    const dx = inputGrad ? tf.matMul(dpre0, transpose2d(t['in.W'] as tf.Tensor2D)) : undefined;
    return { flat, stats: xent.stats, dx };
  });
  const flatData = result.flat.dataSync() as Float32Array;
  grads.set(flatData);
  if (result.dx) {
    inputGrad!.set(result.dx.dataSync() as Float32Array);
    result.dx.dispose();
  }
  const [lossSum, sse] = result.stats.dataSync() as Float32Array;
  result.flat.dispose();
  result.stats.dispose();
  return { loss: lossSum / n, sse };
}
