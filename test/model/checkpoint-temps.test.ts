// A checkpoint write killed before its rename leaves `vNNNN.ckpt.tmp-PID-…`: the next training run in that folder
// removes it when its writer is gone, and leaves a live writer's temp file alone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { removeStaleCheckpointTemps } from '../../src/model/checkpoint.js';
import { DEFAULT_CONFIG } from '../../src/model/config.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-ckpt-temps-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The pid of a process that has exited (its number is not reused this soon on Linux). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('checkpoint temp files', () => {
  test('removes the temp files of dead writers only', () => {
    const dir = path.join(tmp, 'model');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const dead = `v0002.ckpt.tmp-${deadPid()}-abc123`;
    const live = `v0003.ckpt.tmp-${process.ppid}-def456`;
    for (const f of [dead, live, 'v0001.ckpt', 'notes.txt']) writeFileSync(path.join(dir, f), 'x');
    expect(removeStaleCheckpointTemps(dir)).toEqual([dead]);
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'v0001.ckpt', live].sort());
    expect(existsSync(path.join(dir, dead))).toBe(false);
  });

  test('a checkpoint comes at least every 30 s by default, so a one-minute run killed midway keeps its work', () => {
    expect(DEFAULT_CONFIG.train.checkpointEverySeconds).toBeLessThanOrEqual(30);
  });
});
