import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { addressAt, isHeldOut } from '../../src/model/addressing.js';
import { readCheckpoint, versionPath } from '../../src/model/checkpoint.js';
import { loadModel } from '../../src/model/model.js';
import { gridView, paramLayout } from '../../src/model/network.js';
import { updateOnPairs, parsePairs } from '../../src/model/dynamic-eval.js';
import { trainModel } from '../../src/model/trainer.js';
import { scrollField, SyntheticCorpus } from './synthetic.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-cond-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const corpus = new SyntheticCorpus();
const rec = corpus.add({
  name: 'c/scan',
  scroll: 'c',
  shape: [4, 16, 16],
  voxelSizeUm: [2, 2, 2],
  fill: scrollField({ turnUm: 48 }),
});
const modelDir = path.join(tmp, 'model');

beforeAll(async () => {
  await trainModel({
    corpus,
    modelDir,
    steps: 30,
    threads: 1,
    config: { width: 32, depth: 2, train: { batchSize: 256, evalEverySeconds: 1e9, lr: 1e-2 } },
  });
});

/** A slab of the record with a different content than training saw: a bright square (new observations). */
async function newPairs() {
  const addresses: number[] = [];
  const bytes: number[] = [];
  for (let y = 4; y < 12; y++)
    for (let x = 4; x < 12; x++) {
      addresses.push(addressAt(rec, 1, y, x));
      bytes.push(230);
    }
  return { addresses: Float64Array.from(addresses), bytes: Uint8Array.from(bytes) };
}

describe('conditioning', () => {
  test('backprop with replay and the output-layer delta rule both fit new pairs; each saves a new version', async () => {
    const pairs = await newPairs();
    const v1 = readFileSync(versionPath(modelDir, 1));
    const bp = await updateOnPairs({ modelDir, ...pairs, rule: 'backprop', steps: 30, corpus });
    expect(bp.version).toBe(2);
    expect(bp.after.psnr).toBeGreaterThan(bp.before.psnr + 3);
    const delta = await updateOnPairs({ modelDir, ...pairs, rule: 'delta', steps: 30, corpus, save: false });
    expect(delta.version).toBe(2);
    // Conditioning from v2 (already fitted) cannot gain much; from a fresh copy of v1 it must.
    rmSync(versionPath(modelDir, 2));
    const delta1 = await updateOnPairs({ modelDir, ...pairs, rule: 'delta', steps: 30, corpus });
    expect(delta1.version).toBe(2);
    expect(delta1.after.psnr).toBeGreaterThan(delta1.before.psnr + 1);
    expect(readFileSync(versionPath(modelDir, 1)).equals(v1)).toBe(true);
  });

  test('with bits+grid, backprop conditioning trains the grid tables too: held-out voxels next to the new pairs follow them', async () => {
    const c2 = new SyntheticCorpus();
    const r2 = c2.add({
      name: 'g/scan',
      scroll: 'g',
      shape: [4, 32, 32],
      voxelSizeUm: [2, 2, 2],
      fill: scrollField({ turnUm: 48 }),
    });
    const dir = path.join(tmp, 'model-grid');
    const cfg = {
      encoding: {
        kind: 'bits+grid' as const,
        grid: { levels: 4, features: 2, log2TableSize: 12, coarsestCellVoxels: 8, finestCellVoxels: 2 },
      },
      width: 32,
      depth: 2,
      train: { batchSize: 256, evalEverySeconds: 1e9, lr: 1e-2 },
    };
    await trainModel({ corpus: c2, modelDir: dir, steps: 30, threads: 1, config: cfg });
    // New observations: a bright square on plane 2; the model is told its observed (not held-out) voxels.
    const seen: number[] = [];
    const held: number[] = [];
    for (let y = 2; y < 30; y++)
      for (let x = 2; x < 30; x++) {
        const a = addressAt(r2, 2, y, x);
        (isHeldOut(a, 0.05) ? held : seen).push(a);
      }
    expect(held.length).toBeGreaterThan(10);
    const pairs = { addresses: Float64Array.from(seen), bytes: new Uint8Array(seen.length).fill(240) };
    const v1 = readCheckpoint(versionPath(dir, 1));
    const layout = paramLayout(v1.header.config);
    const before = await loadModel(dir);
    const heldBefore = await before.predict(Float64Array.from(held), c2.manifest);
    before.dispose();
    const r = await updateOnPairs({ modelDir: dir, ...pairs, rule: 'backprop', steps: 30, corpus: c2 });
    const tableBefore = gridView(layout, v1.params)!;
    const tableAfter = gridView(layout, r.params)!;
    let changed = 0;
    for (let i = 0; i < tableBefore.length; i++) if (tableAfter[i] !== tableBefore[i]) changed++;
    expect(changed).toBeGreaterThan(0);
    const after = await loadModel(dir);
    const heldAfter = await after.predict(Float64Array.from(held), c2.manifest);
    after.dispose();
    const mean = (p: Float32Array) => p.reduce((s, v) => s + v, 0) / p.length;
    expect(mean(heldAfter.mean) - mean(heldBefore.mean)).toBeGreaterThan(40);
  });

  test('pairs files: text and JSON, bad lines are UserErrors naming the file and line', () => {
    expect(parsePairs('0x10 7\n# comment\n17 255\n', 'p.txt')).toEqual({
      addresses: Float64Array.of(16, 17),
      bytes: Uint8Array.of(7, 255),
    });
    expect(parsePairs('[[1, 2], [3, 4]]', 'p.json').bytes).toEqual(Uint8Array.of(2, 4));
    expect(() => parsePairs('12 256', 'p.txt')).toThrow(UserError);
    expect(() => parsePairs('1 2\nhello', 'p.txt')).toThrow(/p\.txt:2/);
    expect(() => parsePairs('', 'p.txt')).toThrow(/no address\+byte pairs/);
  });
});
