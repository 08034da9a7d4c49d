import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isHeldOut } from '../../src/model/addressing.js';
import { loadModel } from '../../src/model/model.js';
import { trainModel } from '../../src/model/trainer.js';
import { scrollField, SyntheticCorpus } from './synthetic.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-train-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const small = { width: 64, depth: 3, train: { batchSize: 512, warmupSteps: 10, evalEverySeconds: 1e9, lr: 1e-2 } };

describe('training', () => {
  test('memorises a small record to high PSNR', async () => {
    const c = new SyntheticCorpus();
    const rec = c.add({
      name: 'toy/img',
      scroll: 'toy',
      shape: [1, 16, 16],
      fill: (_z, y, x) => (x * 16 + y * 7) % 256,
    });
    const r = await trainModel({
      corpus: c,
      modelDir: path.join(tmp, 'memorise'),
      steps: 400,
      threads: 1,
      config: { ...small, encoding: { kind: 'bits' }, train: { ...small.train, heldOutFraction: 0 } },
    });
    expect(r.step).toBe(400);
    // Read the whole record back from the model and compare with the data.
    const model = await loadModel(path.join(tmp, 'memorise'));
    const p = await model.predictRegion(rec, undefined, 0, c.manifest);
    const truth = await c.readRecord(rec);
    let sse = 0;
    for (let i = 0; i < truth.length; i++) sse += (p.value[i] - truth[i]) ** 2;
    const psnr = 10 * Math.log10((255 * 255) / Math.max(1e-9, sse / truth.length));
    expect(psnr).toBeGreaterThan(30);
  });

  test('serial and anneal schedules walk a window along the index and record their position', async () => {
    const c = new SyntheticCorpus();
    c.add({ name: 'toy/a', scroll: 'toy', shape: [1, 32, 32], fill: (_z, y, x) => x * 8 });
    c.add({ name: 'toy/b', scroll: 'toy', shape: [1, 16, 32], fill: (_z, y) => y * 16 });
    const train = { batchSize: 64, evalEverySeconds: 1e9, serialWindow: 128, serialStepsPerWindow: 2 };
    const serial = await trainModel({
      corpus: c,
      modelDir: path.join(tmp, 'serial'),
      steps: 12,
      threads: 1,
      schedule: 'serial',
      config: { width: 16, depth: 2, train },
    });
    // 12 steps, a new window every 2 steps: 6 windows of 128 over 1024 + 512 voxels.
    expect(serial.header.schedule.serialPos).toBe(6 * 128);
    expect(serial.header.run.schedule).toBe('serial');
    const anneal = await trainModel({
      corpus: c,
      modelDir: path.join(tmp, 'anneal'),
      steps: 30,
      threads: 1,
      schedule: 'anneal',
      config: { width: 16, depth: 2, train },
    });
    expect(anneal.header.schedule.serialPos).toBe((15 * 128) % 1536);
    expect(Number.isFinite(anneal.heldOutPsnr)).toBe(true);
  });

  test('held-out voxels of a scroll-like record beat a constant-mean predictor', async () => {
    const c = new SyntheticCorpus();
    const rec = c.add({
      name: 's1/scan',
      scroll: 's1',
      shape: [4, 32, 32],
      voxelSizeUm: [2, 2, 2],
      fill: scrollField({ turnUm: 96 }),
    });
    const dir = path.join(tmp, 'heldout');
    const r = await trainModel({
      corpus: c,
      modelDir: dir,
      steps: 150,
      threads: 2,
      config: { ...small, train: { ...small.train, heldOutFraction: 0.1 } },
    });
    const truth = await c.readRecord(rec);
    // The constant predictor: the mean of the training voxels, scored on the held-out ones.
    let sum = 0;
    let n = 0;
    const held: number[] = [];
    for (let i = 0; i < truth.length; i++) {
      const a = rec.base + i; // shape is a power of two on every axis: raster index = address offset
      if (isHeldOut(a, 0.1)) held.push(i);
      else {
        sum += truth[i];
        n++;
      }
    }
    const mean = sum / n;
    const model = await loadModel(dir);
    const p = await model.predict(
      Float64Array.from(held, (i) => rec.base + i),
      c.manifest,
    );
    let sseModel = 0;
    let sseMean = 0;
    held.forEach((i, k) => {
      sseModel += (p.mean[k] - truth[i]) ** 2;
      sseMean += (mean - truth[i]) ** 2;
    });
    const psnrModel = 10 * Math.log10((255 * 255 * held.length) / sseModel);
    const psnrMean = 10 * Math.log10((255 * 255 * held.length) / sseMean);
    expect(held.length).toBeGreaterThan(200);
    expect(r.threads).toBe(2);
    expect(psnrModel).toBeGreaterThan(psnrMean + 3);
    // The trainer's own held-out estimate agrees with this independent one.
    expect(Math.abs(r.heldOutPsnr - psnrModel)).toBeLessThan(1.5);
  });
});
