import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/model/backend.js';
import { backward, forward, inferLogits, initNetwork, type NetworkShape } from '../../src/ink/network.js';
import * as tf from '@tensorflow/tfjs-core';

const shape: NetworkShape = { inChannels: 3, kernels: [3, 3, 1], channels: [4, 4] };
const dims: [number, number, number, number] = [2, 5, 6, 3];

function loss(weights: Float32Array[], x: Float32Array, target: Float32Array): number {
  const { logits, cache } = forward(shape, weights, x, dims);
  cache.dispose();
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += 0.5 * (logits[i]! - target[i]!) ** 2;
  return s;
}

describe('ink network', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('backward matches finite differences for weights and input', () => {
    const net = initNetwork(shape, 3);
    const weights = net.tensors.map((t) => Float32Array.from(t.data));
    // hidden biases: most units active, the rest clearly off (no ReLU at its kink), so differences are smooth
    weights[1]!.set([2, 2, -2, 2]);
    weights[3]!.set([2, -2, 2, 2]);
    const n = dims[0] * dims[1] * dims[2];
    const x = Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i * 1.7));
    const target = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    const { logits, cache } = forward(shape, weights, x, dims);
    const dLogits = Float32Array.from(logits, (z, i) => z - target[i]!);
    const { grads, dInput } = backward(shape, weights, cache, dLogits, true);
    cache.dispose();
    const eps = 1e-2;
    const check = (analytic: number, plus: () => number, minus: () => number) => {
      const numeric = (plus() - minus()) / (2 * eps);
      expect(Math.abs(analytic - numeric)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
    };
    for (const [ti, j] of [
      [0, 5],
      [0, 40],
      [1, 2],
      [2, 17],
      [3, 1],
      [4, 3],
      [5, 0],
    ] as const) {
      const w = weights[ti]!;
      const old = w[j]!;
      check(
        grads[ti]![j]!,
        () => ((w[j] = old + eps), loss(weights, x, target)),
        () => ((w[j] = old - eps), loss(weights, x, target)),
      );
      w[j] = old;
    }
    for (const j of [0, 7, 31, 77]) {
      const old = x[j]!;
      check(
        dInput![j]!,
        () => ((x[j] = old + eps), loss(weights, x, target)),
        () => ((x[j] = old - eps), loss(weights, x, target)),
      );
      x[j] = old;
    }
  });

  it('training forward without dropout equals the conv2d inference path', async () => {
    const net = initNetwork(shape, 5);
    const n = dims[0] * dims[1] * dims[2];
    const x = Float32Array.from({ length: n * 3 }, (_, i) => Math.cos(i * 0.37));
    const { logits, cache } = forward(
      shape,
      net.tensors.map((t) => t.data),
      x,
      dims,
    );
    cache.dispose();
    const inferred = inferLogits(net, tf.tensor4d(x, dims));
    const values = await inferred.data();
    inferred.dispose();
    for (let i = 0; i < n; i++) expect(values[i]).toBeCloseTo(logits[i]!, 4);
  });
});
