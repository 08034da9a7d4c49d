import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UserError } from '../../src/cli/errors.js';
import { addressAt } from '../../src/model/addressing.js';
import { versionPath } from '../../src/model/checkpoint.js';
import { conditionModel, parsePairs } from '../../src/model/condition.js';
import { trainModel } from '../../src/model/trainer.js';
import { scrollField, SyntheticCorpus } from './synthetic.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-cond-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const corpus = new SyntheticCorpus();
const rec = corpus.add({ name: 'c/scan', scroll: 'c', shape: [4, 16, 16], voxelSizeUm: [2, 2, 2], fill: scrollField({ turnUm: 48 }) });
const modelDir = path.join(tmp, 'model');

beforeAll(async () => {
  await trainModel({ corpus, modelDir, steps: 30, threads: 1, config: { width: 32, depth: 2, train: { batchSize: 256, evalEverySeconds: 1e9, lr: 1e-2 } } });
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
    const bp = await conditionModel({ modelDir, ...pairs, rule: 'backprop', steps: 30, corpus });
    expect(bp.version).toBe(2);
    expect(bp.after.psnr).toBeGreaterThan(bp.before.psnr + 3);
    const delta = await conditionModel({ modelDir, ...pairs, rule: 'delta', steps: 30, corpus, save: false });
    expect(delta.version).toBe(2);
    // Conditioning from v2 (already fitted) cannot gain much; from a fresh copy of v1 it must.
    rmSync(versionPath(modelDir, 2));
    const delta1 = await conditionModel({ modelDir, ...pairs, rule: 'delta', steps: 30, corpus });
    expect(delta1.version).toBe(2);
    expect(delta1.after.psnr).toBeGreaterThan(delta1.before.psnr + 1);
    expect(readFileSync(versionPath(modelDir, 1)).equals(v1)).toBe(true);
  });

  test('pairs files: text and JSON, bad lines are UserErrors naming the file and line', () => {
    expect(parsePairs('0x10 7\n# comment\n17 255\n', 'p.txt')).toEqual({ addresses: Float64Array.of(16, 17), bytes: Uint8Array.of(7, 255) });
    expect(parsePairs('[[1, 2], [3, 4]]', 'p.json').bytes).toEqual(Uint8Array.of(2, 4));
    expect(() => parsePairs('12 256', 'p.txt')).toThrow(UserError);
    expect(() => parsePairs('1 2\nhello', 'p.txt')).toThrow(/p\.txt:2/);
    expect(() => parsePairs('', 'p.txt')).toThrow(/no address\+byte pairs/);
  });
});
