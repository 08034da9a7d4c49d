import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/model/backend.js';
import { backward, dropoutMasks, forward, inferLogits, initNetwork, type NetworkShape } from '../../src/ink/network.js';
import { readoutInferenceEngine, readoutStepEngine } from '../../src/ink/native-network.js';
import { mulberry32 } from '../../src/core/random.js';

// the native (onnxruntime) graphs must give the tfjs path's numbers: same logits, same gradients for the same masks
const shape: NetworkShape = { inChannels: 5, kernels: [5, 3, 1], channels: [6, 4] };
const dims4: [number, number, number, number] = [3, 9, 11, 5];

function maxRelErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let scale = 0,
    err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  return err / Math.max(scale, 1e-6);
}

describe('ink readout on onnxruntime', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('a training step gives the logits and weight gradients of forward/backward with the same dropout masks', async () => {
    const step = await readoutStepEngine(shape, 1);
    expect(step, 'onnxruntime-node is a dependency and must load here').toBeDefined();
    const net = initNetwork(shape, 11);
    const weights = net.tensors.map((t) => Float32Array.from(t.data));
    // shift hidden biases so most units are active and the gradients are not mostly zero
    weights[1]!.fill(0.3);
    weights[3]!.fill(0.2);
    const rand = mulberry32(4);
    const [B, H, W, C] = dims4;
    const n = B * H * W;
    const xs = Float32Array.from({ length: n * C }, () => rand() * 2 - 1);
    const ys = Float32Array.from({ length: n }, () => (rand() < 0.3 ? 1 : 0));
    const ws = Float32Array.from({ length: n }, () => (rand() < 0.8 ? 1 : 0));
    let total = 0;
    for (const v of ws) total += v;
    const wn = Float32Array.from(ws, (v) => v / total);
    const masks = dropoutMasks(shape, dims4, 0.25, rand);
    expect(masks.some((m) => m.includes(0))).toBe(true);

    const native = await step!.run(weights, xs, ys, wn, masks, dims4);
    const pass = forward(shape, weights, xs, dims4, { masks });
    const dz = Float32Array.from(pass.logits, (z, j) => (1 / (1 + Math.exp(-z)) - ys[j]!) * wn[j]!);
    const reference = backward(shape, weights, pass.cache, dz).grads;
    pass.cache.dispose();

    expect(maxRelErr(native.logits, pass.logits)).toBeLessThan(1e-4);
    expect(native.grads.length).toBe(reference.length);
    native.grads.forEach((g, i) => {
      expect(g.length).toBe(reference[i]!.length);
      expect(maxRelErr(g, reference[i]!), `gradient ${i}`).toBeLessThan(1e-3);
    });
    // and the masks matter: without them the logits differ
    const plain = forward(shape, weights, xs, dims4);
    plain.cache.dispose();
    expect(maxRelErr(plain.logits, pass.logits)).toBeGreaterThan(1e-2);
  });

  it('inference gives the sigmoid of the tfjs conv2d logits on a whole image', async () => {
    const infer = await readoutInferenceEngine(shape, 1);
    expect(infer).toBeDefined();
    const net = initNetwork(shape, 2);
    const [h, w, c] = [17, 23, shape.inChannels];
    const rand = mulberry32(9);
    const x = Float32Array.from({ length: h * w * c }, () => rand() * 2 - 1);
    const prob = await infer!.run(
      net.tensors.map((t) => t.data),
      x,
      h,
      w,
    );
    const ref = tf.tidy(() => tf.sigmoid(inferLogits(net, tf.tensor4d(x, [1, h, w, c]))).dataSync() as Float32Array);
    expect(maxRelErr(prob, ref)).toBeLessThan(1e-5);
  });
});
