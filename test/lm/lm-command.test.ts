import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleLines } from './console-capture.js';
import { run as runLm } from '../../src/cli/commands/lm.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-lm-restore-'));
  process.env.AUNN_LM_DIR = tmp;
});
afterAll(async () => {
  delete process.env.AUNN_LM_DIR;
  await rm(tmp, { recursive: true, force: true });
});

async function captured(fn: () => Promise<void>): Promise<string[][]> {
  return (await consoleLines(fn)).map((l) => l.split('\t'));
}

describe('aunn lm restore search options', () => {
  it('restores with the word model (default) and without it, with the earlier search on request', async () => {
    // Heb 5:9 (held out): the word model brings the right word to the top.
    const gapped = 'ΚΟΥΟΥΣΙΝΑΥΤΩΑΙΤΙΟΣΣΩ[........]ΩΝΙΟΥΠΡΟΣΑΓΟΡΕΥΘΕΙΣΥ';
    const withWords = await captured(() => runLm(['restore', gapped, '--top', '5']));
    expect(withWords).toHaveLength(5);
    expect(withWords[0]![0]).toBe('ΤΗΡΙΑΣΑΙ');
    const probs = withWords.map((r) => Number(r[1]));
    expect(probs.every((p) => p > 0 && p <= 1)).toBe(true);
    const classic = await captured(() =>
      runLm(['restore', gapped, '--top', '5', '--words', 'off', '--search', 'classic']),
    );
    expect(classic).toHaveLength(5);
    expect(classic[0]![0]).not.toBe('ΤΗΡΙΑΣΑΙ');
  });

  it('rejects unknown option values, naming them', async () => {
    await expect(runLm(['restore', 'ΑΒ[..]ΓΔ', '--words', 'maybe'])).rejects.toThrow(
      /--words must be on or off, got 'maybe'/,
    );
    await expect(runLm(['restore', 'ΑΒ[..]ΓΔ', '--search', 'deep'])).rejects.toThrow(
      /--search must be wide or classic/,
    );
    await expect(runLm(['restore', 'ΑΒ[..]ΓΔ', '--pick', 'best'])).rejects.toThrow(
      /--pick must be max, mbr or letters/,
    );
    await expect(runLm(['eval', '--dev', '--model', 'x.lm'])).rejects.toThrow(/--dev builds its own models/);
  });
});
