/**
 * The native engine (onnxruntime-node running the ONNX graph of onnx-graph.ts) and the tfjs path (wasm) predict the
 * same numbers for the same trained model: every encoding, seen voxels, a record's padding and addresses past the
 * last record.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadModel } from '../../src/model/model.js';
import { preferredEngine } from '../../src/model/native-engine.js';
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

  test('AUNN_ENGINE chooses the engine; anything else is refused by name', () => {
    expect(preferredEngine(undefined)).toBe('onnxruntime');
    expect(preferredEngine('tfjs')).toBe('tfjs');
    expect(() => preferredEngine('cuda')).toThrow(/AUNN_ENGINE must be onnxruntime or tfjs, got 'cuda'/);
  });
});
