import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { initBackend } from '../../src/model/backend.js';
import { modelConfig } from '../../src/model/config.js';
import {
  initParams,
  lossAndGrads,
  mulberry32,
  paramLayout,
  predictBatch,
  UploadedParams,
} from '../../src/model/network.js';

const cfg = modelConfig({ encoding: { kind: 'bits', addressBits: 8 }, width: 16, depth: 3 });
const layout = paramLayout(cfg);
const n = 32;
const rnd = mulberry32(7);
const x = Float32Array.from({ length: n * 8 }, () => (rnd() < 0.5 ? -1 : 1));
const labels = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
const params = initParams(layout, 3);
// Non-zero biases so every term of the gradient is exercised.
for (const e of layout.entries)
  if (e.name.endsWith('.b')) for (let i = 0; i < e.size; i++) params[e.offset + i] = (rnd() - 0.5) * 0.2;

/** Loss from a straightforward autodiff-able forward (tf.grads reference), independent of network.ts. */
function referenceLoss(ts: tf.Tensor[]): tf.Scalar {
  const byName = Object.fromEntries(layout.entries.map((e, i) => [e.name, ts[i]]));
  const rms = (h: tf.Tensor) => tf.div(h, tf.sqrt(tf.add(tf.mean(tf.square(h), -1, true), 1e-6)));
  let h = tf.relu(tf.add(tf.matMul(tf.tensor2d(x, [n, 8]), byName['in.W'] as tf.Tensor2D), byName['in.b']));
  for (let i = 1; i < cfg.depth; i++)
    h = tf.add(
      h,
      tf.relu(tf.add(tf.matMul(rms(h) as tf.Tensor2D, byName[`block${i}.W`] as tf.Tensor2D), byName[`block${i}.b`])),
    );
  const lg = tf.add(tf.matMul(rms(h) as tf.Tensor2D, byName['out.W'] as tf.Tensor2D), byName['out.b']);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 256), lg) as tf.Scalar;
}

describe('hand-written forward/backward', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  test('gradients equal tf.grads of an independent forward', () => {
    const grads = new Float32Array(layout.total);
    const { loss } = lossAndGrads(cfg, layout, params, x, labels, n, grads);
    const ts = layout.entries.map((e) => tf.tensor(params.subarray(e.offset, e.offset + e.size), e.shape));
    const ref = tf.grads((...a: tf.Tensor[]) => referenceLoss(a))(ts);
    expect(loss).toBeCloseTo(referenceLoss(ts).dataSync()[0], 4);
    layout.entries.forEach((e, i) => {
      const want = ref[i].dataSync();
      const got = grads.subarray(e.offset, e.offset + e.size);
      let maxAbs = 0;
      let maxErr = 0;
      for (let k = 0; k < want.length; k++) {
        maxAbs = Math.max(maxAbs, Math.abs(want[k]));
        maxErr = Math.max(maxErr, Math.abs(want[k] - got[k]));
      }
      expect(maxAbs, e.name).toBeGreaterThan(0);
      expect(maxErr / maxAbs, e.name).toBeLessThan(1e-3);
    });
  });

  test('gradients match central finite differences', () => {
    const grads = new Float32Array(layout.total);
    lossAndGrads(cfg, layout, params, x, labels, n, grads);
    const scratch = new Float32Array(layout.total);
    const lossAt = (p: Float32Array) => lossAndGrads(cfg, layout, p, x, labels, n, scratch).loss;
    const h = 1e-2;
    let checked = 0;
    for (const e of layout.entries) {
      // the largest-gradient coordinate of each parameter tensor
      let best = e.offset;
      for (let i = e.offset; i < e.offset + e.size; i++) if (Math.abs(grads[i]) > Math.abs(grads[best])) best = i;
      const p = params.slice();
      p[best] = params[best] + h;
      const up = lossAt(p);
      p[best] = params[best] - h;
      const down = lossAt(p);
      const fd = (up - down) / (2 * h);
      expect(Math.abs(fd - grads[best]), `${e.name}[${best - e.offset}] fd ${fd} analytic ${grads[best]}`).toBeLessThan(
        0.05 * Math.abs(grads[best]) + 2e-4,
      );
      checked++;
    }
    expect(checked).toBe(layout.entries.length);
  });

  test('prediction: mean is the softmax expectation, entropy within [0, ln 256]', () => {
    const w = new UploadedParams(layout, params);
    const out = predictBatch(cfg, w, x, n);
    w.dispose();
    expect(out.mean.length).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(out.mean[i]).toBeGreaterThanOrEqual(0);
      expect(out.mean[i]).toBeLessThanOrEqual(255);
      expect(out.entropy[i]).toBeGreaterThan(0);
      expect(out.entropy[i]).toBeLessThanOrEqual(Math.log(256) + 1e-4);
    }
  });
});
