import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { readCheckpoint, versionPath } from '../../src/model/checkpoint.js';
import { trainModel } from '../../src/model/trainer.js';
import { killTestConfig, killTestCorpus } from './fixtures/kill-setup.js';
import { scrollField, SyntheticCorpus } from './synthetic.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-ckpt-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const child = path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures/train-child.ts');

/** Runs the training child until it has written `checkpoints` checkpoints, then SIGKILLs it. */
function trainAndKill(dir: string, checkpoints: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = 0;
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      seen += (d.toString().match(/checkpoint \d+/g) ?? []).length;
      if (seen >= checkpoints) p.kill('SIGKILL');
    });
    p.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

describe('checkpoints', () => {
  test('SIGKILL mid-run, then resume: continues from the last checkpoint with the same config', async () => {
    const dir = path.join(tmp, 'killed');
    await trainAndKill(dir, 2);
    const file = versionPath(dir, 1);
    const killed = readCheckpoint(file);
    expect(killed.header.run.done).toBe(false);
    expect(killed.header.step).toBeGreaterThan(0);
    expect(killed.header.step).toBeLessThan(800);
    const r = await trainModel({ corpus: killTestCorpus(), modelDir: dir, threads: 2 });
    expect(r.resumed).toBe(true);
    expect(r.step).toBe(800);
    expect(r.stepsThisCall).toBe(800 - killed.header.step);
    const after = readCheckpoint(file);
    expect(after.header.config).toEqual(killed.header.config);
    expect(after.header.config.width).toBe(killTestConfig.width);
    expect(after.header.run.done).toBe(true);
    expect(after.header.samplesSeen).toBe(800 * killTestConfig.train.batchSize);
  });

  test('a corrupt checkpoint is a UserError and is left untouched', async () => {
    const dir = path.join(tmp, 'corrupt');
    await trainModel({ corpus: killTestCorpus(), modelDir: dir, steps: 5, threads: 1, config: killTestConfig });
    const file = versionPath(dir, 1);
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(file, bytes);
    const run = trainModel({ corpus: killTestCorpus(), modelDir: dir, steps: 5, threads: 1 });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(/v0001\.ckpt.*checksum/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  test('a model trained on another corpus layout is a UserError', async () => {
    const dir = path.join(tmp, 'mismatch');
    await trainModel({ corpus: killTestCorpus(), modelDir: dir, steps: 3, threads: 1, config: killTestConfig });
    const other = new SyntheticCorpus();
    other.add({ name: 'x/first', scroll: 'x', shape: [1, 4, 4], fill: () => 0 });
    other.add({
      name: 'k/scan',
      scroll: 'k',
      shape: [2, 16, 16],
      voxelSizeUm: [2, 2, 2],
      fill: scrollField({ turnUm: 64 }),
    });
    await expect(trainModel({ corpus: other, modelDir: dir, steps: 3, threads: 1 })).rejects.toThrow(
      /k\/scan.*different address layout/,
    );
    await expect(
      trainModel({ corpus: killTestCorpus(), modelDir: dir, steps: 3, threads: 1, config: { width: 64 } }),
    ).rejects.toThrow(/width 32, not 64/);
  });
});
