/**
 * The native engine (onnxruntime-node running the ONNX graphs of onnx-graph.ts) and the tfjs path (wasm) predict the
 * same numbers for the same trained model (every encoding, seen voxels, a record's padding and addresses past the
 * last record), and compute the same training gradients.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadModel } from '../../src/model/model.js';
import { initBackend } from '../../src/model/backend.js';
import { inputDim, modelConfig } from '../../src/model/config.js';
import { nativeGradients, preferredEngine } from '../../src/model/native-engine.js';
import { initParams, lossAndGrads, mulberry32, paramLayout } from '../../src/model/network.js';
import { trainModel } from '../../src/model/trainer.js';
import { scrollField, SyntheticCorpus } from './synthetic.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-native-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('native inference', () => {
  for (const kind of ['bits+grid', 'bits', 'bits+physical'] as const) {
    test(`onnxruntime and tfjs give the same prediction (${kind})`, async () => {
      const corpus = new SyntheticCorpus();
      const rec = corpus.add({
        name: 'a/scan',
        scroll: 'a',
        shape: [8, 32, 32],
        voxelSizeUm: [2, 2, 2],
        fill: scrollField({ seed: 3 }),
      });
      const modelDir = path.join(tmp, kind.replace(/\W/g, '-'));
      const config = {
        encoding: { kind },
        width: 48,
        depth: 3,
        train: { batchSize: 512, evalEverySeconds: 1e9, lr: 1e-2 },
      };
      await trainModel({ corpus, modelDir, steps: 30, threads: 1, config });
      const model = await loadModel(modelDir);
      const n = 20_000;
      // Seen voxels, the padding past the record's shape, and addresses past every record.
      const addresses = Float64Array.from({ length: n }, (_, i) =>
        i < n - 500 ? rec.base + ((i * 7919) % 2 ** (rec.bits[0] + rec.bits[1] + rec.bits[2])) : 2 ** 39 + i * 31,
      );
      const wasm = await model.predict(addresses, corpus.manifest, { engine: 'tfjs', threads: 1 });
      expect(model.engine).toBe('tfjs');
      const native = await model.predict(addresses, corpus.manifest, { engine: 'onnxruntime', threads: 2 });
      expect(model.engine).toBe('onnxruntime');
      let dMean = 0;
      let dEntropy = 0;
      let argmaxDiffer = 0;
      let spread = 0;
      for (let i = 0; i < n; i++) {
        dMean = Math.max(dMean, Math.abs(native.mean[i]! - wasm.mean[i]!));
        dEntropy = Math.max(dEntropy, Math.abs(native.entropy[i]! - wasm.entropy[i]!));
        if (native.argmax[i] !== wasm.argmax[i]) argmaxDiffer++;
        spread = Math.max(spread, Math.abs(wasm.mean[i]! - wasm.mean[0]!));
      }
      expect(spread, 'a model that predicts something').toBeGreaterThan(2);
      expect(dMean).toBeLessThan(0.01);
      expect(dEntropy).toBeLessThan(1e-3);
      // float32 sums in another order: a near tie between two bytes may flip, nothing more.
      expect(argmaxDiffer).toBeLessThanOrEqual(n * 1e-3);
      model.dispose();
    }, 120_000);
  }

  for (const labelSigma of [0, 1.5]) {
    test(`the training step's gradients match tfjs (label sigma ${labelSigma}, with the grid's input gradient)`, async () => {
      await initBackend();
      const cfg = modelConfig({ width: 64, depth: 4 });
      const layout = paramLayout(cfg);
      const params = initParams(layout, 7);
      const d = inputDim(cfg.encoding);
      const n = 512;
      const rnd = mulberry32(3);
      const x = Float32Array.from({ length: n * d }, () => rnd() * 2 - 1);
      const labels = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
      const ref = new Float32Array(layout.total);
      const refDx = new Float32Array(n * d);
      const want = lossAndGrads(cfg, layout, params, x, labels, n, ref, labelSigma, refDx);
      const native = (await nativeGradients(cfg, { labelSigma, inputGrad: true, threads: 1 }))!;
      expect(native, 'onnxruntime loads here').toBeDefined();
      const got = new Float32Array(layout.total);
      const dx = new Float32Array(n * d);
      const r = await native.run(params, x, labels, n, got, dx);
      await native.release();
      expect(r.loss).toBeCloseTo(want.loss, 4);
      expect(r.sse / want.sse).toBeCloseTo(1, 4);
      const rel = (a: Float32Array, b: Float32Array) => {
        let num = 0;
        let den = 0;
        for (let i = 0; i < a.length; i++) {
          num += (a[i]! - b[i]!) ** 2;
          den += b[i]! ** 2;
        }
        return Math.sqrt(num / den);
      };
      for (const e of layout.entries.filter((x) => x.group !== 'grid')) {
        const a = got.subarray(e.offset, e.offset + e.size);
        const b = ref.subarray(e.offset, e.offset + e.size);
        expect(rel(a, b), e.name).toBeLessThan(1e-3);
      }
      expect(rel(dx, refDx)).toBeLessThan(1e-3);
    });
  }

  test('AUNN_ENGINE chooses the engine; anything else is refused by name', () => {
    expect(preferredEngine(undefined)).toBe('onnxruntime');
    expect(preferredEngine('tfjs')).toBe('tfjs');
    expect(() => preferredEngine('cuda')).toThrow(/AUNN_ENGINE must be onnxruntime or tfjs, got 'cuda'/);
  });
});
