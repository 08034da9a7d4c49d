import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { listVersions, readCheckpoint, versionPath } from '../../src/model/checkpoint.js';
import { finetuneModel } from '../../src/model/finetune.js';
import { trainModel } from '../../src/model/trainer.js';
import { scrollField, SyntheticCorpus } from './synthetic.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-ft-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const config = { width: 32, depth: 2, train: { batchSize: 256, evalEverySeconds: 1e9, lr: 1e-2 } };

function twoScrolls(): SyntheticCorpus {
  const c = new SyntheticCorpus();
  c.add({
    name: 'a/scan',
    scroll: 'a',
    shape: [4, 16, 16],
    voxelSizeUm: [2, 2, 2],
    fill: scrollField({ turnUm: 48, seed: 1 }),
  });
  c.add({
    name: 'b/scan',
    scroll: 'b',
    shape: [4, 16, 16],
    voxelSizeUm: [2, 2, 2],
    fill: scrollField({ turnUm: 40, seed: 2 }),
  });
  return c;
}

describe('versions', () => {
  test('more training after a finished run is a new version; the finished one is never overwritten', async () => {
    const corpus = twoScrolls();
    const modelDir = path.join(tmp, 'more');
    await trainModel({ corpus, modelDir, steps: 10, threads: 1, records: ['a/scan'], config });
    const v1 = readFileSync(versionPath(modelDir, 1));
    const r = await trainModel({ corpus, modelDir, steps: 10, threads: 1, records: ['a/scan'], config });
    expect(r.version).toBe(2);
    expect(listVersions(modelDir)).toEqual([1, 2]);
    expect(readFileSync(versionPath(modelDir, 1)).equals(v1)).toBe(true);
    const h = readCheckpoint(versionPath(modelDir, 2)).header;
    expect(h.parent).toBe(1);
    expect(h.run.kind).toBe('train');
    expect(h.step).toBe(20);
  });
});

describe('finetuning', () => {
  test('a new version on the new scroll with replay; the previous version is untouched; clear errors', async () => {
    const corpus = twoScrolls();
    const modelDir = path.join(tmp, 'ft');
    await trainModel({ corpus, modelDir, steps: 20, threads: 1, records: ['a/scan'], config });
    const v1 = readFileSync(versionPath(modelDir, 1));
    const r = await finetuneModel({ corpus, modelDir, scroll: 'b', steps: 20, threads: 1 });
    expect(r.version).toBe(2);
    expect(listVersions(modelDir)).toEqual([1, 2]);
    expect(readFileSync(versionPath(modelDir, 1)).equals(v1)).toBe(true);
    const h = readCheckpoint(versionPath(modelDir, 2)).header;
    expect(h.parent).toBe(1);
    expect(h.run.kind).toBe('finetune');
    expect(h.run.records).toEqual(['b/scan']);
    expect(h.run.replayRecords).toEqual(['a/scan']);
    expect(h.trainedRecords.map((t) => t.name).sort()).toEqual(['a/scan', 'b/scan']);
    expect(h.step).toBe(40);
    expect(Object.keys(r.perRecordPsnr)).toEqual(['b/scan']);
    await expect(finetuneModel({ corpus, modelDir, scroll: 'b', steps: 5 })).rejects.toThrow(
      /already trained on scroll 'b'/,
    );
    await expect(finetuneModel({ corpus, modelDir, scroll: 'zzz', steps: 5 })).rejects.toThrow(UserError);
    await expect(finetuneModel({ corpus, modelDir, scroll: 'zzz', steps: 5 })).rejects.toThrow(
      /no trainable records of scroll 'zzz'.*scrolls here: a, b/,
    );
    await expect(finetuneModel({ corpus, modelDir: path.join(tmp, 'none'), scroll: 'b', steps: 5 })).rejects.toThrow(
      /no trained model/,
    );
  });

  test('interrupted finetuning keeps the previous version and resumes the new one', async () => {
    const corpus = twoScrolls();
    const modelDir = path.join(tmp, 'ft-int');
    await trainModel({ corpus, modelDir, steps: 10, threads: 1, records: ['a/scan'], config });
    const v1 = readFileSync(versionPath(modelDir, 1));
    const ac = new AbortController();
    const first = await finetuneModel({
      corpus,
      modelDir,
      scroll: 'b',
      steps: 400,
      threads: 2,
      signal: ac.signal,
      onProgress: (p) => p.runSteps >= 5 && ac.abort(),
    });
    expect(first.version).toBe(2);
    expect(first.header.run.done).toBe(false);
    expect(first.step).toBeLessThan(10 + 400);
    expect(readFileSync(versionPath(modelDir, 1)).equals(v1)).toBe(true);
    const resumed = await finetuneModel({ corpus, modelDir, scroll: 'b', threads: 2 });
    expect(resumed.resumed).toBe(true);
    expect(resumed.version).toBe(2);
    expect(resumed.step).toBe(10 + 400);
    expect(listVersions(modelDir)).toEqual([1, 2]);
  });
});
