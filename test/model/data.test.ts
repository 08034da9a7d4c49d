import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Corpus } from '../../src/corpus/index.js';
import type { RecordMeta } from '../../src/corpus/types.js';
import { addressAt, isHeldOut, RecordIndex } from '../../src/model/addressing.js';
import { loadTrainSet, residentBudget, residentBytes, Sampler } from '../../src/model/data.js';
import { mulberry32 } from '../../src/core/random.js';
import { trainModel } from '../../src/model/trainer.js';
import { scrollField, SyntheticCorpus } from './synthetic.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-data-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const corpusDir = path.join(tmp, 'corpus');
let corpus: Corpus;
let big: RecordMeta;
let small: RecordMeta;
const truth = new Map<number, Uint8Array>();

async function add(name: string, shape: [number, number, number], turnUm: number): Promise<RecordMeta> {
  const field = scrollField({ turnUm });
  const d = new Uint8Array(shape[0] * shape[1] * shape[2]);
  let i = 0;
  for (let z = 0; z < shape[0]; z++)
    for (let y = 0; y < shape[1]; y++)
      for (let x = 0; x < shape[2]; x++) d[i++] = field(z, y, x, { voxelSizeUm: [1, 1, 1] } as RecordMeta);
  const rec = await corpus.withWriter((w) =>
    w.appendRecord(
      {
        name,
        scroll: 'd',
        modality: 'scan',
        shape,
        dtype: 'uint8',
        voxelSizeUm: [1, 1, 1],
        source: { path: '<test>', sha256: '', format: 'synthetic' },
        trainable: true,
      },
      async (writeSlab) => writeSlab(0, d),
    ),
  );
  truth.set(rec.id, d);
  return rec;
}

beforeAll(async () => {
  corpus = await Corpus.open(corpusDir, { create: true });
  big = await add('d/big', [40, 48, 40], 24); // 76,800 voxels
  small = await add('d/small', [1, 24, 30], 16); // 720 voxels
});

/** The true byte at an address (from the data written). */
function valueAt(index: RecordIndex, a: number): number {
  const r = index.find(a);
  const rec = index.records[r];
  const zyx = new Float64Array(3);
  index.coords(r, a, zyx, 0);
  return truth.get(rec.id)![(zyx[0] * rec.shape[1] + zyx[1]) * rec.shape[2] + zyx[2]];
}

describe('training data', () => {
  test('a memory cap keeps small records whole and a bounded random subset of rows of large ones; every sample is a real voxel', async () => {
    const capMB = 0.02; // 20,971 bytes: the big record (76,800) cannot fit
    const set = await loadTrainSet(corpus, [big, small], { maxResidentMB: capMB, residentSeed: 1 });
    expect(residentBytes(set)).toBeLessThanOrEqual(capMB * 2 ** 20);
    const [b, s] = set.records;
    expect(s.rows).toBeUndefined();
    expect(s.voxels).toBe(720);
    expect(b.rows).toBeDefined();
    expect(b.voxels).toBeGreaterThan(10_000); // most of the cap is used
    expect(b.voxels).toBeLessThan(76_800);
    expect(new Set(b.rows).size).toBe(b.rows!.length);

    // Samples (minibatch and serial) and held-out voxels carry the byte stored at their address.
    const index = new RecordIndex([big, small]);
    const sampler = new Sampler(set, 0.05);
    const n = 4000;
    const addresses = new Float64Array(n);
    const labels = new Uint8Array(n);
    sampler.minibatch(addresses, labels, 0, n, mulberry32(5));
    const seenRows = new Set<number>();
    for (let i = 0; i < n; i++) {
      expect(labels[i]).toBe(valueAt(index, addresses[i]));
      expect(isHeldOut(addresses[i], 0.05)).toBe(false);
      if (index.find(addresses[i]) === 0) seenRows.add(Math.floor((addresses[i] - big.base) / 2 ** big.bits[2]));
    }
    sampler.serial(addresses, labels, 0, n, mulberry32(6), 1000, 5000, 0.5);
    for (let i = 0; i < n; i++) expect(labels[i]).toBe(valueAt(index, addresses[i]));
    const ho = sampler.heldOut(200, mulberry32(7));
    expect(ho.labels.length).toBe(400);
    for (let i = 0; i < ho.labels.length; i++) {
      expect(ho.labels[i]).toBe(valueAt(index, ho.addresses[i]));
      expect(isHeldOut(ho.addresses[i], 0.05)).toBe(true);
    }
    // Only resident rows are sampled; another seed holds another subset.
    const resident = new Set(
      [...b.rows!].map((zy) => Math.floor(zy / big.shape[1]) * 2 ** big.bits[1] + (zy % big.shape[1])),
    );
    for (const r of seenRows) expect(resident.has(r)).toBe(true);
    const other = await loadTrainSet(corpus, [big, small], { maxResidentMB: capMB, residentSeed: 2 });
    const otherRows = new Set(other.records[0].rows);
    const shared = [...b.rows!].filter((r) => otherRows.has(r)).length;
    expect(shared).toBeLessThan(0.6 * b.rows!.length);
  });

  test('residentBudget water-fills: records under an equal share stay whole, the rest share what is left', () => {
    const recs = [{ shape: [1, 10, 10] }, { shape: [10, 100, 100] }, { shape: [20, 100, 100] }] as Pick<
      RecordMeta,
      'shape'
    >[];
    expect(residentBudget(recs, undefined)).toEqual([100, 100_000, 200_000]);
    const b = residentBudget(recs, 30_100);
    expect(b[0]).toBe(100);
    expect(b[1] + b[2] + b[0]).toBeLessThanOrEqual(30_100);
    expect(b[2]).toBeGreaterThan(1.9 * b[1]);
    expect(b[1] % 100).toBe(0); // whole rows
  });

  test("a label record known only in a quarter of its area still gets its weight's share of every minibatch", async () => {
    const c = new SyntheticCorpus();
    const scan = c.add({ name: 's/scan', scroll: 's', shape: [4, 32, 32], fill: () => 100 });
    const ink = c.add({
      name: 's/ink',
      scroll: 's',
      shape: [1, 64, 64],
      modality: 'ink-labels',
      fill: (_z, y, x) => (x < 32 && y < 32 ? 255 : 0),
    });
    ink.extra = { labelledRegion: [0, 0, 32, 32] };
    const set = await loadTrainSet(c, [scan, ink], { weightOf: () => 1 });
    const n = 20_000;
    const addresses = new Float64Array(n);
    const labels = new Uint8Array(n);
    new Sampler(set, 0.05).minibatch(addresses, labels, 0, n, mulberry32(4));
    const inkShare = labels.filter((v) => v === 255).length / n;
    expect(inkShare).toBeGreaterThan(0.46);
    expect(inkShare).toBeLessThan(0.54);
    expect(labels.filter((v) => v === 0).length).toBe(0); // nothing from outside the labelled region
  });

  test('minibatch persistency k returns each drawn minibatch k times, then a new one', async () => {
    const set = await loadTrainSet(corpus, [small], { persistency: 3 });
    const sampler = new Sampler(set, 0.05);
    const draws: string[] = [];
    const rng = mulberry32(9);
    for (let step = 0; step < 7; step++) {
      const a = new Float64Array(64);
      sampler.minibatch(a, new Uint8Array(64), 0, 64, rng);
      draws.push(a.join());
    }
    expect(draws[1]).toBe(draws[0]);
    expect(draws[2]).toBe(draws[0]);
    expect(draws[3]).not.toBe(draws[0]);
    expect(draws[4]).toBe(draws[3]);
    expect(draws[5]).toBe(draws[3]);
    expect(draws[6]).not.toBe(draws[3]);
  });

  test('training under a memory cap runs in the workers and learns (held-out PSNR above the mean predictor)', async () => {
    const modelDir = path.join(tmp, 'model-capped');
    const r = await trainModel({
      corpusDir,
      modelDir,
      steps: 150,
      threads: 1,
      maxResidentMB: 0.02,
      config: { width: 32, depth: 2, train: { batchSize: 512, lr: 1e-2, evalEverySeconds: 1e9, persistency: 2 } },
    });
    expect(r.header.config.train.persistency).toBe(2);
    // Mean predictor on the held-out voxels of the big record, for comparison.
    const index = new RecordIndex([big]);
    const all = truth.get(big.id)!;
    const mean = all.reduce((s, v) => s + v, 0) / all.length;
    let sse = 0;
    let n = 0;
    for (let z = 0; z < big.shape[0]; z++)
      for (let y = 0; y < big.shape[1]; y++)
        for (let x = 0; x < big.shape[2]; x++) {
          const a = addressAt(big, z, y, x);
          if (!isHeldOut(a, 0.05)) continue;
          sse += (valueAt(index, a) - mean) ** 2;
          n++;
        }
    const meanPsnr = 10 * Math.log10((255 * 255) / (sse / n));
    expect(r.perRecordPsnr['d/big']).toBeGreaterThan(meanPsnr);
  });
});
