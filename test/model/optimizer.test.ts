import { describe, expect, test } from 'vitest';
import { modelConfig } from '../../src/model/config.js';
import { paramLayout, initParams } from '../../src/model/network.js';
import { AdamW, averageGradients, clipGradients, clipScale } from '../../src/model/optimizer.js';
import { mulberry32 } from '../../src/core/random.js';

const cfg = modelConfig({ encoding: { kind: 'bits', addressBits: 8 }, width: 16, depth: 3 });
const layout = paramLayout(cfg);
const P = layout.total;
const rnd = mulberry32(5);
const randomGrads = () => Float32Array.from({ length: P }, () => (rnd() - 0.5) * 4);

describe('data-parallel gradient averaging and the folded clip', () => {
  for (const T of [1, 2, 3]) {
    test(`average of ${T} workers' gradients and its squared norm in one pass`, () => {
      const parts = Array.from({ length: T }, randomGrads);
      const weights = parts.map((_, k) => (k + 1) / ((T * (T + 1)) / 2)); // unequal shares
      const out = new Float32Array(P);
      const sumSq = averageGradients(parts, weights, out);
      let want = 0;
      for (let i = 0; i < P; i++) {
        let x = 0;
        for (let k = 0; k < T; k++) x += weights[k] * parts[k][i];
        expect(out[i]).toBeCloseTo(x, 5);
        want += out[i] * out[i];
      }
      expect(sumSq / want).toBeCloseTo(1, 6);
    });
  }

  test('AdamW with the clip factor folded in equals AdamW on clipped gradients', () => {
    const grads = randomGrads();
    const maxNorm = 1;
    const mk = () => ({ params: initParams(layout, 3), m: new Float32Array(P), v: new Float32Array(P) });
    const folded = mk();
    const clipped = mk();
    const a = new AdamW(layout, cfg.train, folded);
    const b = new AdamW(layout, cfg.train, clipped);
    let norm = 0;
    for (const g of grads) norm += g * g;
    norm = Math.sqrt(norm);
    const k = clipScale(norm, maxNorm);
    expect(k).toBeLessThan(1);
    const pre = grads.slice();
    expect(clipGradients(pre, maxNorm)).toBeCloseTo(norm, 3);
    for (let t = 1; t <= 3; t++) {
      a.step(grads, 1e-2, t, cfg.train.groupLr, k);
      b.step(pre, 1e-2, t);
    }
    let moved = 0;
    const start = initParams(layout, 3);
    for (let i = 0; i < P; i++) {
      expect(Math.abs(folded.params[i] - clipped.params[i])).toBeLessThan(1e-6);
      moved = Math.max(moved, Math.abs(folded.params[i] - start[i]));
    }
    expect(moved).toBeGreaterThan(1e-3);
    expect(clipScale(0.5, 1)).toBe(1);
    expect(clipScale(5, 0)).toBe(1);
  });
});
