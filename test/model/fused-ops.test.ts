import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend.js';
import {
  compositePredictHead,
  compositeResidualRmsNorm,
  compositeRmsNormBackwardRelu,
  compositeSoftmaxCrossEntropyBackward,
  fusedKernelsActive,
  matMulPacked,
  predictHead,
  residualRmsNorm,
  rmsNormBackwardRelu,
  simdKernelsActive,
  softmaxCrossEntropyBackward,
  transpose2d,
} from '../../src/model/fused-ops.js';
import { mulberry32 } from '../../src/core/random.js';

const rnd = mulberry32(11);
const n = 37; // not a multiple of the kernels' 8-row tiles
const c = 256;
// Logits with a wide range (one row nearly one-hot) so the log-sum-exp path is exercised away from uniform.
const logitsData = Float32Array.from({ length: n * c }, (_, i) => (rnd() - 0.5) * (i < c ? 60 : 6));
const labelsData = Int32Array.from({ length: n }, () => Math.floor(rnd() * c));

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let maxAbs = 0;
  let maxErr = 0;
  for (let i = 0; i < want.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(want[i]));
    maxErr = Math.max(maxErr, Math.abs(want[i] - got[i]));
  }
  return maxErr / Math.max(maxAbs, 1e-30);
}

/** Gaussian targets as the network builds them: row v centred on byte v. */
function gaussianRows(sigma: number): tf.Tensor2D {
  const m = new Float32Array(c * c);
  for (let v = 0; v < c; v++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += m[v * c + k] = Math.exp(-0.5 * ((k - v) / sigma) ** 2);
    for (let k = 0; k < c; k++) m[v * c + k] /= s;
  }
  return tf.tensor2d(m, [c, c]);
}

describe('fused kernels equal their tf-op composites', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  test('the wasm backend runs the JS kernels', () => {
    expect(fusedKernelsActive()).toBe(true);
  });

  for (const sigma of [0, 2]) {
    test(`softmax cross-entropy backward (${sigma ? `Gaussian targets σ=${sigma}` : 'one-hot'})`, () => {
      const lg = tf.tensor2d(logitsData, [n, c]);
      const lab = tf.tensor1d(labelsData, 'int32');
      const targets = sigma ? gaussianRows(sigma) : undefined;
      const fused = softmaxCrossEntropyBackward(lg, lab, targets);
      const ref = compositeSoftmaxCrossEntropyBackward(lg, lab, targets);
      expect(maxRelErr(fused.dlg.dataSync(), ref.dlg.dataSync())).toBeLessThan(1e-5);
      const [loss, sse] = fused.stats.dataSync();
      const [refLoss, refSse] = ref.stats.dataSync();
      expect(loss).toBeGreaterThan(0);
      expect(Math.abs(loss - refLoss) / refLoss).toBeLessThan(1e-5);
      expect(Math.abs(sse - refSse) / refSse).toBeLessThan(1e-5);
      tf.dispose([lg, lab, targets, fused.dlg, fused.stats, ref.dlg, ref.stats]);
    });
  }

  test('prediction head: expectation, argmax, entropy', () => {
    const lg = tf.tensor2d(logitsData, [n, c]);
    const got = predictHead(lg).map((t) => t.dataSync());
    const want = compositePredictHead(lg).map((t) => t.dataSync());
    expect(maxRelErr(got[0], want[0])).toBeLessThan(1e-5);
    expect(Array.from(got[1])).toEqual(Array.from(want[1]));
    // Entropy: absolute tolerance (the near-one-hot row has entropy close to 0).
    for (let i = 0; i < n; i++) expect(Math.abs(got[2][i] - want[2][i])).toBeLessThan(1e-4);
    expect(got[2][0]).toBeLessThan(got[2][1]);
  });

  test('wasm SIMD kernels: residual add + RMSNorm, and RMSNorm backward + ReLU below', () => {
    const w = 20; // a multiple of 4 (the SIMD width) that is not a multiple of 8
    expect(simdKernelsActive(w)).toBe(true);
    expect(simdKernelsActive(18)).toBe(false); // rows of 18 floats fall back to tf ops
    const t = (scale: number, relu = false) => {
      const v = tf.tensor2d(
        Float32Array.from({ length: n * w }, () => (rnd() - 0.5) * scale),
        [n, w],
      );
      return relu ? tf.relu(v) : v;
    };
    const hPrev = t(4);
    const a = t(2, true);
    const fused = residualRmsNorm(hPrev, a, true);
    const ref = compositeResidualRmsNorm(hPrev, a, true);
    expect(maxRelErr(fused.h.dataSync(), ref.h.dataSync())).toBeLessThan(1e-6);
    expect(maxRelErr(fused.y.dataSync(), ref.y.dataSync())).toBeLessThan(1e-5);
    expect(maxRelErr(fused.r.dataSync(), ref.r.dataSync())).toBeLessThan(1e-5);
    expect(maxRelErr(fused.yT!.dataSync(), ref.yT!.dataSync())).toBeLessThan(1e-5);
    const dy = t(1);
    const dh = t(1);
    const aBelow = t(2, true);
    const bwd = rmsNormBackwardRelu(fused.h, fused.r, dy, dh, aBelow);
    const bwdRef = compositeRmsNormBackwardRelu(ref.h, ref.r, dy, dh, aBelow);
    expect(maxRelErr(bwd.dh.dataSync(), bwdRef.dh.dataSync())).toBeLessThan(1e-5);
    const dpre = bwd.dpre.dataSync();
    expect(maxRelErr(dpre, bwdRef.dpre.dataSync())).toBeLessThan(1e-5);
    // The ReLU mask: zero exactly where the layer below was inactive, the stream gradient elsewhere.
    const below = aBelow.dataSync();
    const dhOut = bwd.dh.dataSync();
    for (let i = 0; i < below.length; i++) expect(dpre[i] === (below[i] > 0 ? dhOut[i] : 0), `element ${i}`).toBe(true); // −0 == 0, as tf.mul(dh, tf.step(a)) gives
  });

  // 41 rows = 10 tiles of 4 and a zero-padded tail tile (the ones row of [xᵀ; 1]); 8 rows: no tail.
  for (const rows of [41, 8]) {
    test(`SIMD matMul of [${rows}, 37]·[37, 24] equals tf.matMul`, () => {
      const a = tf.tensor2d(logitsData.subarray(0, rows * 37), [rows, 37]);
      const b = tf.tensor2d(logitsData.subarray(5000, 5000 + 37 * 24), [37, 24]);
      const got = matMulPacked(a, b);
      expect(got.shape).toEqual([rows, 24]);
      expect(maxRelErr(got.dataSync(), tf.matMul(a, b).dataSync())).toBeLessThan(1e-6);
      // Widths not a multiple of 8 go through tf.matMul.
      const b20 = tf.tensor2d(logitsData.subarray(0, 37 * 20), [37, 20]);
      expect(maxRelErr(matMulPacked(a, b20).dataSync(), tf.matMul(a, b20).dataSync())).toBeLessThan(1e-6);
    });
  }

  // 36 rows: the SIMD kernel (4×4 blocks); 37: the JS loop.
  for (const rows of [36, 37]) {
    test(`transpose of ${rows} rows, with and without the appended row of ones`, () => {
      const x = tf.tensor2d(logitsData.subarray(0, rows * 40), [rows, 40]);
      expect(Array.from(transpose2d(x).dataSync())).toEqual(Array.from(tf.transpose(x).dataSync()));
      const aug = transpose2d(x, true);
      expect(aug.shape).toEqual([41, rows]);
      expect(Array.from(aug.dataSync())).toEqual(
        Array.from(tf.concat([tf.transpose(x), tf.ones([1, rows])], 0).dataSync()),
      );
    });
  }
});
