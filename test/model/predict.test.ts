import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addressOf, Corpus } from '../../src/corpus/index.js';
import type { RecordMeta } from '../../src/corpus/types.js';
import { addressAt, RecordIndex } from '../../src/model/addressing.js';
import { loadModel } from '../../src/model/model.js';
import { predictUnseen, writePredictions } from '../../src/model/predict-corpus.js';
import { trainModel } from '../../src/model/trainer.js';
import { scrollField } from './synthetic.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-predict-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const corpusDir = path.join(tmp, 'corpus');
const modelDir = path.join(tmp, 'model');
let scan: RecordMeta;

beforeAll(async () => {
  const corpus = await Corpus.open(corpusDir, { create: true });
  const shape: [number, number, number] = [6, 20, 24]; // not powers of two: padding exists
  const field = scrollField({ turnUm: 64 });
  scan = await corpus.withWriter((w) =>
    w.appendRecord(
      {
        name: 't/scan',
        scroll: 't',
        modality: 'scan',
        shape,
        dtype: 'uint8',
        voxelSizeUm: [2, 2, 2],
        source: { path: '<test>', sha256: '', format: 'synthetic' },
        trainable: true,
      },
      async (writeSlab) => {
        const d = new Uint8Array(shape[0] * shape[1] * shape[2]);
        let i = 0;
        for (let z = 0; z < shape[0]; z++)
          for (let y = 0; y < shape[1]; y++)
            for (let x = 0; x < shape[2]; x++) d[i++] = field(z, y, x, { voxelSizeUm: [2, 2, 2] } as RecordMeta);
        await writeSlab(0, d);
      },
      { pyramid: true },
    ),
  );
  await trainModel({
    corpusDir,
    modelDir,
    steps: 20,
    threads: 1,
    config: { width: 32, depth: 2, train: { batchSize: 256, evalEverySeconds: 1e9 } },
  });
});

describe('predictions in the corpus', () => {
  test('the model addresses voxels exactly as the corpus does', () => {
    const index = new RecordIndex([scan]);
    const zyx = new Int32Array(3);
    for (const [z, y, x] of [
      [0, 0, 0],
      [5, 19, 23],
      [7, 31, 31],
      [3, 7, 11],
    ]) {
      const a = addressAt(scan, z, y, x);
      expect(a).toBe(addressOf(scan, z, y, x));
      expect(index.find(a)).toBe(0);
      index.coords(0, a, zyx, 0);
      expect([...zyx]).toEqual([z, y, x]);
    }
  });

  test('whole record, region (into the padding) and level 1 read back with the right shapes, never trainable', async () => {
    const corpus = await Corpus.open(corpusDir);
    const model = await loadModel(modelDir);
    const whole = await writePredictions(corpus, model, scan);
    const region = await writePredictions(corpus, model, scan, { region: { z: [4, 8], y: [0, 32], x: [20, 32] } });
    const coarse = await writePredictions(corpus, model, scan, { level: 1 });
    const reopened = await Corpus.open(corpusDir);
    for (const [out, shape] of [
      [whole, [6, 20, 24]],
      [region, [4, 32, 12]],
      [coarse, [3, 10, 12]],
    ] as const) {
      for (const rec of [out.value, out.uncertainty]) {
        const meta = reopened.record(rec.name);
        expect(meta.shape).toEqual(shape);
        expect(meta.modality).toBe('prediction');
        expect(meta.trainable).toBe(false);
        expect(meta.prediction?.of).toBe(scan.name);
        const bytes = await reopened.readRecord(meta);
        expect(bytes.length).toBe(shape[0] * shape[1] * shape[2]);
      }
    }
    expect(reopened.record(whole.value.name).prediction?.kind).toBe('value');
    expect(reopened.record(whole.uncertainty.name).prediction?.kind).toBe('uncertainty');
    // The written values are the model's predictions.
    const stored = await reopened.readRecord(reopened.record(whole.value.name));
    const direct = await model.predict(Float64Array.of(addressOf(scan, 2, 3, 4)), reopened.manifest);
    expect(stored[(2 * 20 + 3) * 24 + 4]).toBe(Math.round(direct.mean[0]));
    // Predictions are not picked up as training data by a later run.
    const more = await trainModel({ corpusDir, modelDir, steps: 2, threads: 1 });
    expect(more.header.trainedRecords.map((r) => r.name)).toEqual([scan.name]);
    const unseen = await predictUnseen(model, reopened.manifest, 4);
    expect(unseen.addresses[0]).toBe(reopened.manifest.next);
    expect(unseen.mean.length).toBe(4);
    model.dispose();
  });

  test('parallel inference (worker pool) gives the same predictions as the calling thread', async () => {
    const corpus = await Corpus.open(corpusDir);
    const model = await loadModel(modelDir);
    const n = 20000;
    const addresses = Float64Array.from({ length: n }, (_, i) => scan.base + (i % 4096));
    const one = await model.predict(addresses, corpus.manifest, { threads: 1, batchSize: 1024 });
    const done: number[] = [];
    const two = await model.predict(addresses, corpus.manifest, {
      threads: 2,
      batchSize: 1024,
      onProgress: (e) => done.push(e.done),
    });
    expect(done.at(-1)).toBe(n);
    for (let i = 0; i < n; i += 97) {
      expect(two.mean[i]).toBeCloseTo(one.mean[i], 3);
      expect(two.argmax[i]).toBe(one.argmax[i]);
    }
    model.dispose();
  });

  test('trilinear sampling interpolates between voxel predictions', async () => {
    const model = await loadModel(modelDir);
    const corners = await model.samplePoints(scan, Float32Array.of(1, 2, 3, 1, 2, 4), 'nearest');
    const mid = await model.samplePoints(scan, Float32Array.of(1, 2, 3.5), 'trilinear');
    expect(mid.value[0]).toBeCloseTo((corners.value[0] + corners.value[1]) / 2, 3);
    model.dispose();
  });
});
