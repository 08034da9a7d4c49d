// Side files (readings, the ink readout, the view state) are written atomically under the corpus lock, only inside the
// corpus, and never through a symlink.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { Corpus } from '../../src/corpus/index.js';
import { acquireLock } from '../../src/core/lock.js';
import { scratchDir } from './helpers/volumes.js';

describe('corpus side files', () => {
  it('writes and reads back a side file, leaving no temp files', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const file = await corpus.writeSideFile('readings/s1_seg.json', '{"a":1}');
    expect(file).toBe(path.join(dir, 'readings', 's1_seg.json'));
    expect(await corpus.readSideFile('readings/s1_seg.json')).toBe('{"a":1}');
    expect(await corpus.readSideFile('readings/none.json')).toBeUndefined();
    await corpus.writeSideFile('readings/s1_seg.json', '{"a":2}');
    expect(readFileSync(file, 'utf8')).toBe('{"a":2}');
    expect(readdirSync(path.join(dir, 'readings'))).toEqual(['s1_seg.json']);
  });

  it('refuses paths that leave the corpus or hit its own files', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const manifest = readFileSync(path.join(dir, 'manifest.json'), 'utf8');
    for (const rel of [
      '../evil.json',
      'readings/../../evil',
      '/etc/passwd',
      'manifest.json',
      'data/x',
      '.lock',
      'readings/a\nb',
      '',
    ]) {
      await expect(corpus.writeSideFile(rel, 'x'), rel).rejects.toBeInstanceOf(UserError);
    }
    expect(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe(manifest);
    expect(existsSync(path.join(dir, '..', 'evil.json'))).toBe(false);
  });

  it('does not write or read through a symlink', async () => {
    const dir = scratchDir();
    const outside = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'view-state.json'));
    await expect(corpus.readSideFile('view-state.json')).rejects.toThrow(/symlink/);
    await expect(corpus.writeSideFile('view-state.json', '{}')).rejects.toThrow(/symlink/);
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    symlinkSync(outside, path.join(dir, 'readings'));
    await expect(corpus.writeSideFile('readings/x.json', '{}')).rejects.toThrow(/symlink/);
    expect(existsSync(path.join(outside, 'x.json'))).toBe(false);
  });

  it('waits for the corpus lock held by another writer', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    mkdirSync(path.join(dir, 'ink'));
    const release = await acquireLock(dir);
    let written = false;
    const pending = corpus.writeSideFile('ink/readout.json', '{}').then(() => (written = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(written).toBe(false);
    await release();
    await pending;
    expect(readFileSync(path.join(dir, 'ink', 'readout.json'), 'utf8')).toBe('{}');
  });
});
