/**
 * The ink readout network: a few 'same' convolutions over a band of normalised layers (channels = layers), ReLU and
 * dropout between them, one logit per pixel. Weights are plain Float32Arrays (JSON-serialisable, shareable across
 * scrolls); the forward pass is differentiable with respect to the weights *and* the input, so a gradient can flow
 * from ink back into whatever produced the layers (the AUNN's reconstruction, a language-model loss through the ink).
 *
 * On the wasm backend there is no Conv2DBackpropFilter kernel and a transposed matMul is ~10x slower than a plain one
 * (REFERENCE.md), and the npm tfjs-core registers no gradient functions under Node ESM, so training runs the convolutions
 * as im2col (in JS: tf.slice/concat/transpose are slow on wasm) + plain matMuls, backward pass written out; inference uses tf.conv2d
 * (same weights, same layout [k, k, cin, cout]).
 *
 *   const net = initNetwork({ inChannels: 17, kernels: [5, 5, 1], channels: [16, 16] }, seed);
 *   const { logits, cache } = forward(net.shape, weights, x, [B, H, W, C], { dropout: 0.2, rand });
 *   const { grads, dInput } = backward(net.shape, weights, cache, dLogits, true); cache.dispose();
 *   const logits2 = inferLogits(net, x);                                                     // conv2d path
 */
import * as tf from '@tensorflow/tfjs-core';
import { gaussian, mulberry32 } from '../core/random.js';

export interface NetworkShape {
  inChannels: number;
  /** Odd kernel size of every layer; the last layer maps to one logit. */
  kernels: number[];
  /** Output channels of every hidden layer (kernels.length - 1 of them). */
  channels: number[];
}

export interface NetworkParams {
  shape: NetworkShape;
  /** W{i}: [k*k*cin, cout] (= conv filter [k, k, cin, cout] flattened), b{i}: [cout]. */
  tensors: { name: string; dims: number[]; data: Float32Array; decay: boolean }[];
}

export function layerDims(shape: NetworkShape): { k: number; cin: number; cout: number }[] {
  const out: { k: number; cin: number; cout: number }[] = [];
  let cin = shape.inChannels;
  shape.kernels.forEach((k, i) => {
    if (k % 2 !== 1) throw new Error(`ink network: kernel sizes must be odd (got ${k})`);
    const cout = i < shape.kernels.length - 1 ? shape.channels[i]! : 1;
    out.push({ k, cin, cout });
    cin = cout;
  });
  if (shape.channels.length !== shape.kernels.length - 1)
    throw new Error(
      `ink network: ${shape.kernels.length} kernels need ${shape.kernels.length - 1} hidden channel counts`,
    );
  return out;
}

/** Pixels of context on each side that one output sees. */
export const receptiveRadius = (shape: NetworkShape): number => shape.kernels.reduce((r, k) => r + (k - 1) / 2, 0);

/** He-normal weights, zero biases; the last bias starts at the logit of `prior` (the ink rate). */
export function initNetwork(shape: NetworkShape, seed: number, prior = 0.1): NetworkParams {
  const rand = mulberry32(seed);
  const tensors: NetworkParams['tensors'] = [];
  const dims = layerDims(shape);
  dims.forEach(({ k, cin, cout }, i) => {
    const fanIn = k * k * cin;
    const std = i === dims.length - 1 ? 0.5 * Math.sqrt(1 / fanIn) : Math.sqrt(2 / fanIn);
    const w = new Float32Array(fanIn * cout);
    for (let j = 0; j < w.length; j++) w[j] = gaussian(rand) * std;
    const b = new Float32Array(cout);
    if (i === dims.length - 1) b.fill(Math.log(prior / (1 - prior)));
    tensors.push(
      { name: `W${i}`, dims: [fanIn, cout], data: w, decay: true },
      { name: `b${i}`, dims: [cout], data: b, decay: false },
    );
  });
  return { shape, tensors };
}

/** [B, H, W, C] → [B*H*W, k*k*C] patches with zero padding ('same'), in conv filter order (dy, dx, c). */
export function im2col(x: Float32Array, b: number, h: number, w: number, c: number, k: number): Float32Array {
  if (k === 1) return x;
  const r = (k - 1) / 2;
  const K = k * k * c;
  const out = new Float32Array(b * h * w * K);
  for (let bi = 0; bi < b; bi++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        let dst = ((bi * h + y) * w + xx) * K;
        for (let dy = 0; dy < k; dy++) {
          const yy = y + dy - r;
          if (yy < 0 || yy >= h) {
            dst += k * c; // zeros already
            continue;
          }
          for (let dx = 0; dx < k; dx++, dst += c) {
            const x2 = xx + dx - r;
            if (x2 < 0 || x2 >= w) continue;
            const src = ((bi * h + yy) * w + x2) * c;
            for (let ci = 0; ci < c; ci++) out[dst + ci] = x[src + ci]!;
          }
        }
      }
  return out;
}

/** The adjoint of im2col: patch gradients [B*H*W, k*k*C] summed back onto the image [B, H, W, C]. */
export function col2im(cols: Float32Array, b: number, h: number, w: number, c: number, k: number): Float32Array {
  if (k === 1) return cols;
  const r = (k - 1) / 2;
  const K = k * k * c;
  const out = new Float32Array(b * h * w * c);
  for (let bi = 0; bi < b; bi++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        let src = ((bi * h + y) * w + xx) * K;
        for (let dy = 0; dy < k; dy++) {
          const yy = y + dy - r;
          if (yy < 0 || yy >= h) {
            src += k * c;
            continue;
          }
          for (let dx = 0; dx < k; dx++, src += c) {
            const x2 = xx + dx - r;
            if (x2 < 0 || x2 >= w) continue;
            const dst = ((bi * h + yy) * w + x2) * c;
            for (let ci = 0; ci < c; ci++) out[dst + ci]! += cols[src + ci]!;
          }
        }
      }
  return out;
}

/** What the backward pass needs from the forward pass; call `dispose()` when done. */
export interface ForwardCache {
  input: [number, number, number, number];
  /** Input of every layer, [B, H, W, cin] (JS copies, for the filter gradient's im2col). */
  inputs: Float32Array[];
  /** Per hidden layer: ReLU derivative x dropout mask / keep, [B, H, W, cout]. */
  gates: tf.Tensor4D[];
  dispose(): void;
}

const filterOf = (w: Float32Array, k: number, cin: number, cout: number) => tf.tensor4d(w, [k, k, cin, cout]);

/** The filter that maps output gradients back to input gradients: spatially flipped, in/out swapped. */
function flippedFilter(w: Float32Array, k: number, cin: number, cout: number): tf.Tensor4D {
  const out = new Float32Array(w.length);
  for (let dy = 0; dy < k; dy++)
    for (let dx = 0; dx < k; dx++)
      for (let ci = 0; ci < cin; ci++)
        for (let co = 0; co < cout; co++)
          out[(((k - 1 - dy) * k + (k - 1 - dx)) * cout + co) * cin + ci] = w[((dy * k + dx) * cin + ci) * cout + co]!;
  return tf.tensor4d(out, [k, k, cout, cin]);
}

/**
 * Inverted-dropout masks for one training step: per hidden layer [B, H, W, cout], each unit 1/keep with probability
 * keep = 1 - dropout, else 0 (drawn from `rand` whatever the activations, so the tfjs and native paths agree).
 */
export function dropoutMasks(
  shape: NetworkShape,
  dims4: [number, number, number, number],
  dropout: number,
  rand: () => number,
): Float32Array[] {
  const [b, h, w] = dims4;
  const keep = 1 - dropout;
  return layerDims(shape)
    .slice(0, -1)
    .map(({ cout }) => {
      // A plain loop, two units per draw (its 16-bit halves): the masks had taken a third of a training step.
      const m = new Float32Array(b * h * w * cout).fill(1);
      if (keep >= 1) return m;
      const cut = Math.round(keep * 65536);
      for (let i = 0; i < m.length; i += 2) {
        const r = rand() * 4294967296;
        m[i] = (r & 0xffff) < cut ? 1 / keep : 0;
        if (i + 1 < m.length) m[i + 1] = r >>> 16 < cut ? 1 / keep : 0;
      }
      return m;
    });
}

/**
 * Forward pass for training: logits [B*H*W] and the cache for `backward`. `weights` are the arrays of
 * `params.tensors` (W0, b0, W1, b1, ...); x is [B, H, W, C]; `masks` the dropout masks of dropoutMasks (none without).
 */
export function forward(
  shape: NetworkShape,
  weights: Float32Array[],
  x: Float32Array,
  dims4: [number, number, number, number],
  opts: { masks?: Float32Array[] } = {},
): { logits: Float32Array; cache: ForwardCache } {
  const [b, h, w] = dims4;
  const dims = layerDims(shape);
  const inputs: Float32Array[] = [];
  const gates: tf.Tensor4D[] = [];
  let act = x;
  dims.forEach(({ k, cin, cout }, i) => {
    inputs.push(act);
    const z = tf.tidy(() =>
      tf.add(
        tf.conv2d(tf.tensor4d(act, [b, h, w, cin]), filterOf(weights[2 * i]!, k, cin, cout), 1, 'same'),
        tf.tensor1d(weights[2 * i + 1]!),
      ),
    ) as tf.Tensor4D;
    if (i < dims.length - 1) {
      const zs = z.dataSync() as Float32Array;
      const gate = new Float32Array(zs.length);
      const out = new Float32Array(zs.length);
      const mask = opts.masks?.[i];
      for (let j = 0; j < zs.length; j++) {
        const g = zs[j]! > 0 ? (mask ? mask[j]! : 1) : 0;
        gate[j] = g;
        out[j] = zs[j]! * g;
      }
      gates.push(tf.tensor4d(gate, [b, h, w, cout]));
      act = out;
    } else act = z.dataSync() as Float32Array;
    z.dispose();
  });
  return { logits: act, cache: { input: dims4, inputs, gates, dispose: () => gates.forEach((t) => t.dispose()) } };
}

/**
 * Backward pass: from dLoss/dLogits [B*H*W] to the weight gradients (same order as the weights) and, when asked,
 * dLoss/dInput [B, H, W, C] (what lets ink gradients flow into whatever produced the layers). The filter gradient is
 * (dzᵀ · im2col(input))ᵀ, a plain matMul; the input gradient is a conv2d with the flipped filter.
 */
export function backward(
  shape: NetworkShape,
  weights: Float32Array[],
  cache: ForwardCache,
  dLogits: Float32Array,
  wantInput = false,
): { grads: Float32Array[]; dInput?: Float32Array } {
  const dims = layerDims(shape);
  const [b, h, w] = cache.input;
  const n = b * h * w;
  const grads: Float32Array[] = new Array(weights.length);
  let dz = tf.tensor4d(dLogits, [b, h, w, 1]);
  let dInput: Float32Array | undefined;
  try {
    for (let i = dims.length - 1; i >= 0; i--) {
      const { k, cin, cout } = dims[i]!;
      const K = k * k * cin;
      const dzNow = dz;
      const [dW, db] = tf.tidy(() => {
        const cols = tf.tensor2d(im2col(cache.inputs[i]!, b, h, w, cin, k), [n, K]);
        const dz2 = tf.reshape(dzNow, [n, cout]);
        return [tf.transpose(tf.matMul(tf.transpose(dz2), cols)), tf.sum(dz2, 0)];
      });
      grads[2 * i] = dW.dataSync() as Float32Array;
      grads[2 * i + 1] = db.dataSync() as Float32Array;
      dW.dispose();
      db.dispose();
      if (i === 0 && !wantInput) break;
      const dAct = tf.tidy(() => tf.conv2d(dzNow, flippedFilter(weights[2 * i]!, k, cin, cout), 1, 'same'));
      if (i === 0) {
        dInput = dAct.dataSync() as Float32Array;
        dAct.dispose();
        break;
      }
      dz = tf.tidy(() => tf.mul(dAct, cache.gates[i - 1]!)) as tf.Tensor4D;
      dAct.dispose();
      dzNow.dispose();
    }
  } finally {
    dz.dispose();
  }
  return { grads, dInput };
}

/** Inference logits [B, H, W, 1] with tf.conv2d (no dropout). */
export function inferLogits(params: NetworkParams, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const dims = layerDims(params.shape);
    let act: tf.Tensor4D = x;
    dims.forEach(({ k, cin, cout }, i) => {
      const wt = params.tensors[2 * i]!;
      const bt = params.tensors[2 * i + 1]!;
      const filter = tf.tensor4d(wt.data, [k, k, cin, cout]);
      let a = tf.add(tf.conv2d(act, filter, 1, 'same'), tf.tensor1d(bt.data)) as tf.Tensor4D;
      if (i < dims.length - 1) a = tf.relu(a);
      act = a;
    });
    return act;
  });
}
