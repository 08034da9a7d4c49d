// Two trainings on one model folder: the second is refused with one line naming the first's pid, and the first's
// steps are all kept (before, both exited 0 and one run's steps were silently lost).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { acquireLock } from '../../src/core/lock.js';
import { trainModel } from '../../src/model/trainer.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-model-lock-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the model folder lock', () => {
  test('a training refuses a model folder another live writer holds, before it opens the corpus', async () => {
    const modelDir = path.join(tmp, 'model');
    mkdirSync(modelDir, { recursive: true });
    const held = await acquireLock(modelDir, 0, 'model folder');
    try {
      const err = await trainModel({ corpusDir: path.join(tmp, 'no-corpus'), modelDir, steps: 1 }).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe(
        `model folder ${modelDir} is locked by pid ${process.pid} (another aunn process is writing)`,
      );
    } finally {
      await held();
    }
  });

  test('a lock left by a dead process is taken over', async () => {
    const modelDir = path.join(tmp, 'model2');
    mkdirSync(modelDir, { recursive: true });
    writeFileSync(path.join(modelDir, '.lock'), '999999999\n');
    const release = await acquireLock(modelDir, 0, 'model folder');
    await release();
  });
});
