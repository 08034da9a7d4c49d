/**
 * Fused kernels of the AUNN's training step and prediction, each one pass over memory where TensorFlow.js runs
 * 3–9 separate ops: residual add + RMSNorm; RMSNorm backward + residual gradient + the ReLU below; softmax
 * cross-entropy backward (+ loss and squared error of the expected byte); the prediction head (expectation, argmax,
 * entropy); transposes (with a row of ones appended, so one matMul gives a layer's weight and bias gradients); and
 * that matMul itself (matMulPacked: a SIMD GEMM that skips XNNPACK's slow packing of a fresh right operand).
 *
 * Where they run (measured per [2048, 256] call on this machine, CPU time):
 *  - `wasm`: norms, transpose and weight-gradient matMul are wasm SIMD kernels (simd-kernels.ts) in the backend's
 *    own heap (forward 0.4 ms vs 1.5 for the tf ops, backward 0.55 vs 4, transpose 0.5 vs 2.2, weight gradient 11
 *    vs 13); cross-entropy and the head are JS loops over the heap (1.8 vs 15 ms, 3 vs 11 ms: they replace
 *    logSoftmax/exp/oneHot chains).
 *  - `cpu`: the JS kernels (cross-entropy, head, transpose) over the backend's arrays; the rest tf ops.
 *  - other backends (tfjs-node): the same maths composed from tf ops (`composite*`, also the tests' reference).
 * All are registered kernels, so they run inside tf.tidy like any op and nothing is copied.
 *
 *   const { h, y, r, yT } = residualRmsNorm(hPrev, a, true);   // h = hPrev + a; y = h·rsqrt(mean(h²)+eps); yT = [yᵀ; 1]
 *   const { dh, dpre } = rmsNormBackwardRelu(h, r, dy, dh0, aBelow); // dh0 + ∂y/∂h·dy; that where aBelow > 0
 *   const { dlg, stats } = softmaxCrossEntropyBackward(logits, labels, targets); // dlg = (p − t)/n; [Σ loss, Σ err²]
 *   const [mean, argmax, entropy] = predictHead(logits);
 */
import * as tf from '@tensorflow/tfjs-core';
import { simdKernelsFor, type SimdKernels } from './simd-kernels.js';

export const RMS_EPS = 1e-6;

type Info = tf.TensorInfo;
interface Memory {
  /** Float32 (or Int32 for int tensors) view of a tensor's backing store, valid until the next allocation. */
  view(t: Info): Float32Array | Int32Array;
  alloc(shape: number[], dtype?: 'float32' | 'int32'): Info;
}

/** Adapts a backend's storage to `Memory`; undefined where the backend keeps data elsewhere (tfjs-node, GPU). */
function memoryOf(backend: tf.KernelBackend): Memory | undefined {
  const b = backend as unknown as {
    typedArrayFromHeap?: (t: Info) => Float32Array | Int32Array;
    makeOutput?: (shape: number[], dtype: string) => Info;
    data?: { get(id: unknown): { values: Float32Array | Int32Array } };
    makeTensorInfo?: (shape: number[], dtype: string, values: Float32Array | Int32Array) => Info;
  };
  if (b.typedArrayFromHeap && b.makeOutput)
    return { view: (t) => b.typedArrayFromHeap!(t), alloc: (shape, dtype = 'float32') => b.makeOutput!(shape, dtype) };
  if (b.data && b.makeTensorInfo)
    return {
      view: (t) => b.data!.get(t.dataId).values,
      alloc: (shape, dtype = 'float32') => {
        const size = shape.reduce((x, y) => x * y, 1);
        return b.makeTensorInfo!(shape, dtype, dtype === 'int32' ? new Int32Array(size) : new Float32Array(size));
      },
    };
  return undefined;
}

const FUSED_BACKENDS = ['wasm', 'cpu'];
const registered = new Set<string>();

function register(
  kernelName: string,
  fn: (mem: Memory, inputs: Record<string, Info>, attrs: Record<string, unknown>) => Info[],
): void {
  for (const backendName of FUSED_BACKENDS) {
    if (registered.has(`${kernelName}/${backendName}`)) continue;
    registered.add(`${kernelName}/${backendName}`);
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) =>
        fn(
          memoryOf(backend as tf.KernelBackend)!,
          inputs as Record<string, Info>,
          (attrs ?? {}) as Record<string, unknown>,
        ),
    });
  }
}

/** Whether the active backend runs the JS kernels (else the tf-op composites). */
export function fusedKernelsActive(): boolean {
  return FUSED_BACKENDS.includes(tf.getBackend()) && memoryOf(tf.backend()) !== undefined;
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}) =>
  tf
    .engine()
    .runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as unknown as tf.Tensor[];

// ---------------------------------------------------------------- transpose

registerSimd('AunnTranspose', (k, b, { x }, attrs) => {
  const [n, w] = x.shape;
  const ones = attrs.appendOnes === true;
  const out = b.makeOutput([ones ? w + 1 : w, n], 'float32');
  const at = (t: Info) => b.dataIdMap.get(t.dataId).memoryOffset;
  if (k && n % 4 === 0 && w % 4 === 0) k.transpose(at(x), at(out), n, w);
  else transposeInto(b.typedArrayFromHeap(x), n, w, b.typedArrayFromHeap(out));
  if (ones) b.typedArrayFromHeap(out).fill(1, w * n);
  return [out];
});

register('AunnTranspose', (mem, { x: xIn }, attrs) => {
  const [n, w] = xIn.shape;
  const ones = attrs.appendOnes === true;
  const outInfo = mem.alloc([ones ? w + 1 : w, n]);
  const out = mem.view(outInfo) as Float32Array;
  transposeInto(mem.view(xIn) as Float32Array, n, w, out);
  if (ones) out.fill(1, w * n);
  return [outInfo];
});

/** dst[k, i] = src[i, k] for src [n, w]: eight rows at a time, so every write run is 8 contiguous floats. */
function transposeInto(src: Float32Array, n: number, w: number, dst: Float32Array): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    for (let k = 0; k < w; k++) {
      const d = k * n + i;
      const s = i * w + k;
      dst[d] = src[s];
      dst[d + 1] = src[s + w];
      dst[d + 2] = src[s + 2 * w];
      dst[d + 3] = src[s + 3 * w];
      dst[d + 4] = src[s + 4 * w];
      dst[d + 5] = src[s + 5 * w];
      dst[d + 6] = src[s + 6 * w];
      dst[d + 7] = src[s + 7 * w];
    }
  }
  for (; i < n; i++) for (let k = 0; k < w; k++) dst[k * n + i] = src[i * w + k];
}

export interface RmsNormOut {
  /** The residual stream after the add (the input itself when nothing was added). */
  h: tf.Tensor2D;
  y: tf.Tensor2D;
  /** rsqrt(mean(h²) + eps), [n, 1]. */
  r: tf.Tensor2D;
  /** [yᵀ; 1] (yᵀ with a row of ones appended, see transpose2d), when asked for. */
  yT?: tf.Tensor2D;
}

/**
 * xᵀ of a 2-D float32 tensor (tf.transpose is ~3x slower on wasm), with a row of ones appended when `appendOnes`:
 * then [xᵀ; 1]·dy gives the weight gradient and, as its last row, the bias gradient in one matMul.
 */
export function transpose2d(x: tf.Tensor2D, appendOnes = false): tf.Tensor2D {
  if (!fusedKernelsActive() || x.dtype !== 'float32') {
    const t = tf.transpose(x) as tf.Tensor2D;
    return appendOnes ? tf.concat([t, tf.ones([1, x.shape[0]])], 0) : t;
  }
  return run('AunnTranspose', { x }, { appendOnes })[0] as tf.Tensor2D;
}

// ---------------------------------------------------------------- wasm SIMD kernels (simd-kernels.ts)

interface WasmBackendLike {
  wasm?: { asm?: { memory?: unknown } };
  dataIdMap: { get(id: unknown): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: string): Info;
  typedArrayFromHeap(t: Info): Float32Array;
  disposeData(dataId: unknown, force?: boolean): boolean;
}

let simdUnavailable = false;
function simdOf(backend: unknown): SimdKernels | undefined {
  const memory = (backend as WasmBackendLike | undefined)?.wasm?.asm?.memory;
  if (simdUnavailable || !(memory instanceof WebAssembly.Memory)) return undefined;
  try {
    return simdKernelsFor(memory);
  } catch {
    simdUnavailable = true; // an engine without wasm SIMD: the tf-op and JS paths
    return undefined;
  }
}

/** Whether the SIMD kernels run for rows of `width` floats on the active backend (else tf ops). */
export function simdKernelsActive(width: number): boolean {
  return tf.getBackend() === 'wasm' && width % 4 === 0 && simdOf(tf.backend()) !== undefined;
}

function registerSimd(
  kernelName: string,
  fn: (
    k: SimdKernels | undefined,
    b: WasmBackendLike,
    inputs: Record<string, Info>,
    attrs: Record<string, unknown>,
  ) => Info[],
): void {
  if (registered.has(`${kernelName}/wasm`)) return;
  registered.add(`${kernelName}/wasm`);
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) =>
      fn(
        simdOf(backend),
        backend as unknown as WasmBackendLike,
        inputs as Record<string, Info>,
        (attrs ?? {}) as Record<string, unknown>,
      ),
  });
}

registerSimd('AunnResidualRmsNorm', (k, b, { h, a }) => {
  const [n, w] = h.shape;
  const hOut = b.makeOutput([n, w], 'float32');
  const y = b.makeOutput([n, w], 'float32');
  const r = b.makeOutput([n, 1], 'float32');
  const at = (t: Info) => b.dataIdMap.get(t.dataId).memoryOffset;
  k!.residualRmsNorm(at(h), at(a), at(hOut), at(y), at(r), n, w);
  return [hOut, y, r];
});

registerSimd('AunnRmsNormBackwardRelu', (k, b, { h, r, dy, dh, aBelow }) => {
  const [n, w] = h.shape;
  const dhOut = b.makeOutput([n, w], 'float32');
  const dpre = b.makeOutput([n, w], 'float32');
  const at = (t: Info) => b.dataIdMap.get(t.dataId).memoryOffset;
  k!.rmsNormBackwardRelu(at(h), at(r), at(dy), at(dh), at(aBelow), at(dhOut), at(dpre), n, w);
  return [dhOut, dpre];
});

registerSimd('AunnMatMulPacked', (k, b, { a, b: bIn }) => {
  const [rows, n] = a.shape;
  const m = bIn.shape[1];
  const out = b.makeOutput([rows, m], 'float32');
  const packed = b.makeOutput([n * m], 'float32');
  const rem = rows % 4;
  const tail = rem ? b.makeOutput([4, n], 'float32') : undefined;
  const tailOut = rem ? b.makeOutput([4, m], 'float32') : undefined;
  const at = (t: Info) => b.dataIdMap.get(t.dataId).memoryOffset;
  k!.packB(at(bIn), at(packed), n, m);
  if (rows - rem > 0) k!.gemm(at(a), at(packed), at(out), rows - rem, n, m, 32, n * 32);
  if (tail && tailOut) {
    // The last rows % 4 rows (e.g. the ones row of [xᵀ; 1]) as one more 4-row tile, zero-padded.
    const tv = b.typedArrayFromHeap(tail);
    tv.set(b.typedArrayFromHeap(a).subarray((rows - rem) * n));
    tv.fill(0, rem * n);
    k!.gemm(at(tail), at(packed), at(tailOut), 4, n, m, 32, n * 32);
    b.typedArrayFromHeap(out).set(b.typedArrayFromHeap(tailOut).subarray(0, rem * m), (rows - rem) * m);
    b.disposeData(tail.dataId, true);
    b.disposeData(tailOut.dataId, true);
  }
  b.disposeData(packed.dataId, true);
  return [out];
});

/**
 * a·b for a [rows, n] and b [n, m] with n ≫ m, e.g. a layer's weight (and bias) gradient [xᵀ; 1]·dy. On wasm a SIMD
 * GEMM (4×8 tiles) after a SIMD repack of b: 0.35 + 10.7 ms for [256, 2048]·[2048, 256], where tf.matMul spends
 * ~13 ms (XNNPACK's own packing of a fresh b takes ~2.8 ms). Same sums in the same order: equal results.
 */
export function matMulPacked(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (simdKernelsActive(4) && b.shape[1] % 8 === 0 && a.dtype === 'float32' && b.dtype === 'float32')
    return run('AunnMatMulPacked', { a, b })[0] as tf.Tensor2D;
  return tf.matMul(a, b);
}

/** h = hPrev + a (a optional), y = h · rsqrt(mean(h²) + eps) over the last axis, and [yᵀ; 1] when `transposed`. */
export function residualRmsNorm(hPrev: tf.Tensor2D, a: tf.Tensor2D | undefined, transposed = false): RmsNormOut {
  if (simdKernelsActive(hPrev.shape[1])) {
    // Without a residual, add zeros: a memset and a copy cost less than the five tf ops.
    const [h, y, r] = run('AunnResidualRmsNorm', { h: hPrev, a: a ?? tf.zerosLike(hPrev) }) as tf.Tensor2D[];
    return { h: a ? h : hPrev, y, r, yT: transposed ? transpose2d(y, true) : undefined };
  }
  return compositeResidualRmsNorm(hPrev, a, transposed);
}

/** Composite of residualRmsNorm in tf ops (the reference, and the path on other backends). */
export function compositeResidualRmsNorm(
  hPrev: tf.Tensor2D,
  a: tf.Tensor2D | undefined,
  transposed = false,
): RmsNormOut {
  const h = a ? (tf.add(hPrev, a) as tf.Tensor2D) : hPrev;
  const r = tf.rsqrt(tf.add(tf.mean(tf.square(h), -1, true), RMS_EPS)) as tf.Tensor2D;
  const y = tf.mul(h, r) as tf.Tensor2D;
  return { h, y, r, yT: transposed ? transpose2d(y, true) : undefined };
}

// ---------------------------------------------------------------- RMSNorm backward

/** Backward of y = h·r (r = rsqrt(mean(h²)+eps)) given dy: r·dy − h·r³·mean(dy·h), plus `dh` (the residual path) when given. */
export function compositeRmsNormBackward(
  h: tf.Tensor2D,
  r: tf.Tensor2D,
  dy: tf.Tensor2D,
  dh?: tf.Tensor2D,
): tf.Tensor2D {
  const width = h.shape[1];
  const dot = tf.sum(tf.mul(dy, h), -1, true);
  const coef = tf.mul(tf.mul(tf.square(r), r), tf.div(dot, width));
  const g = tf.sub(tf.mul(dy, r), tf.mul(h, coef)) as tf.Tensor2D;
  return dh ? (tf.add(dh, g) as tf.Tensor2D) : g;
}

// ---------------------------------------------------------------- ReLU backward

/** Gradient through a = relu(pre) given the output `a`: dy where a > 0, else 0 (two SIMD ops on wasm). */
export function reluBackward(dy: tf.Tensor2D, a: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(dy, tf.step(a)) as tf.Tensor2D;
}

/**
 * One block's backward through its norm, plus the ReLU of the layer below: dh' = dh + ∂y/∂h·dy (y = rmsNorm(h)) and
 * dpre = dh' where aBelow > 0 (the gradient at the pre-activation of the layer whose output aBelow is).
 */
export function rmsNormBackwardRelu(
  h: tf.Tensor2D,
  r: tf.Tensor2D,
  dy: tf.Tensor2D,
  dh: tf.Tensor2D | undefined,
  aBelow: tf.Tensor2D,
): { dh: tf.Tensor2D; dpre: tf.Tensor2D } {
  if (simdKernelsActive(h.shape[1])) {
    const [dhOut, dpre] = run('AunnRmsNormBackwardRelu', {
      h,
      r,
      dy,
      dh: dh ?? tf.zerosLike(h),
      aBelow,
    }) as tf.Tensor2D[];
    return { dh: dhOut, dpre };
  }
  return compositeRmsNormBackwardRelu(h, r, dy, dh, aBelow);
}

export function compositeRmsNormBackwardRelu(
  h: tf.Tensor2D,
  r: tf.Tensor2D,
  dy: tf.Tensor2D,
  dh: tf.Tensor2D | undefined,
  aBelow: tf.Tensor2D,
): { dh: tf.Tensor2D; dpre: tf.Tensor2D } {
  const dhOut = compositeRmsNormBackward(h, r, dy, dh);
  return { dh: dhOut, dpre: reluBackward(dhOut, aBelow) };
}

// ---------------------------------------------------------------- softmax cross-entropy backward

/**
 * From logits and p = softmax(logits): dlg = (p − t)/n and [Σ loss, Σ (E[byte] − label)²] where t is one-hot at the
 * label or row `label` of `targets` ([256, 256]). Per row, lse = lg_j − log p_j at the argmax j (no exp needed).
 */
register('AunnSoftmaxXentBackward', (mem, { logits: lgIn, p: pIn, labels: labIn, targets: tIn }) => {
  const [n, c] = lgIn.shape;
  const dlgInfo = mem.alloc([n, c]);
  const statsInfo = mem.alloc([2]);
  const lg = mem.view(lgIn) as Float32Array;
  const p = mem.view(pIn) as Float32Array;
  const lab = mem.view(labIn) as Int32Array;
  const targets = tIn ? (mem.view(tIn) as Float32Array) : undefined;
  const dlg = mem.view(dlgInfo) as Float32Array;
  const stats = mem.view(statsInfo) as Float32Array;
  const inv = 1 / n;
  let loss = 0;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const o = i * c;
    const label = lab[i];
    let j = o;
    let mean = 0;
    for (let k = 0; k < c; k++) {
      const pk = p[o + k];
      if (pk > p[j]) j = o + k;
      mean += pk * k;
      dlg[o + k] = pk * inv;
    }
    const lse = lg[j] - Math.log(p[j]);
    const e = mean - label;
    sse += e * e;
    if (targets) {
      const t = label * c;
      let dot = 0;
      for (let k = 0; k < c; k++) {
        dot += targets[t + k] * lg[o + k];
        dlg[o + k] -= targets[t + k] * inv;
      }
      loss += lse - dot;
    } else {
      loss += lse - lg[o + label];
      dlg[o + label] -= inv;
    }
  }
  stats[0] = loss;
  stats[1] = sse;
  return [dlgInfo, statsInfo];
});

export interface XentBackward {
  dlg: tf.Tensor2D;
  /** [sum of the cross-entropies (nats), sum of squared errors of the expected byte] over the rows. */
  stats: tf.Tensor1D;
}

export function compositeSoftmaxCrossEntropyBackward(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  targets?: tf.Tensor2D,
): XentBackward {
  const n = logits.shape[0];
  const c = logits.shape[1];
  const logp = tf.logSoftmax(logits);
  const p = tf.exp(logp);
  const t = targets ? tf.gather(targets, labels) : tf.cast(tf.oneHot(labels, c), 'float32');
  const loss = tf.neg(tf.sum(tf.mul(t, logp)));
  const err = tf.sub(
    tf.squeeze(tf.matMul(p, tf.reshape(tf.range(0, c, 1, 'float32'), [c, 1])), [1]),
    tf.cast(labels, 'float32'),
  );
  return {
    dlg: tf.div(tf.sub(p, t), n) as tf.Tensor2D,
    stats: tf.stack([loss, tf.sum(tf.square(err))]) as tf.Tensor1D,
  };
}

/** Softmax cross-entropy of logits against bytes (one-hot, or rows of `targets`): its gradient wrt the logits (of the mean over rows) and the sums of loss and squared error. */
export function softmaxCrossEntropyBackward(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  targets?: tf.Tensor2D,
): XentBackward {
  if (!fusedKernelsActive()) return compositeSoftmaxCrossEntropyBackward(logits, labels, targets);
  const p = tf.softmax(logits);
  const [dlg, stats] = run('AunnSoftmaxXentBackward', targets ? { logits, p, labels, targets } : { logits, p, labels });
  p.dispose();
  return { dlg: dlg as tf.Tensor2D, stats: stats as tf.Tensor1D };
}

// ---------------------------------------------------------------- prediction head

register('AunnPredictHead', (mem, { logits: lgIn, p: pIn }) => {
  const [n, c] = lgIn.shape;
  const meanInfo = mem.alloc([n]);
  const argInfo = mem.alloc([n], 'int32');
  const entInfo = mem.alloc([n]);
  const lg = mem.view(lgIn) as Float32Array;
  const p = mem.view(pIn) as Float32Array;
  const mean = mem.view(meanInfo) as Float32Array;
  const arg = mem.view(argInfo) as Int32Array;
  const ent = mem.view(entInfo) as Float32Array;
  for (let i = 0; i < n; i++) {
    const o = i * c;
    let j = 0;
    let m = 0;
    let plg = 0;
    for (let k = 0; k < c; k++) {
      const pk = p[o + k];
      if (lg[o + k] > lg[o + j]) j = k;
      m += pk * k;
      plg += pk * lg[o + k];
    }
    mean[i] = m;
    arg[i] = j;
    // H = −Σ p log p = lse − Σ p·lg, lse = lg_j − log p_j at the argmax.
    ent[i] = Math.max(0, lg[o + j] - Math.log(p[o + j]) - plg);
  }
  return [meanInfo, argInfo, entInfo];
});

export function compositePredictHead(logits: tf.Tensor2D): [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] {
  const c = logits.shape[1];
  const logp = tf.logSoftmax(logits);
  const p = tf.exp(logp);
  return [
    tf.squeeze(tf.matMul(p, tf.reshape(tf.range(0, c, 1, 'float32'), [c, 1])), [1]) as tf.Tensor1D,
    tf.argMax(logits, -1) as tf.Tensor1D,
    tf.neg(tf.sum(tf.mul(p, logp), -1)) as tf.Tensor1D,
  ];
}

/** Expected byte, argmax and entropy (nats) of softmax(logits), per row. */
export function predictHead(logits: tf.Tensor2D): [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D] {
  if (!fusedKernelsActive()) return compositePredictHead(logits);
  const p = tf.softmax(logits);
  const outs = run('AunnPredictHead', { logits, p }) as tf.Tensor1D[];
  p.dispose();
  return [outs[0], outs[1], outs[2]];
}
