// A volume's meta.json: a voxel size or energy that is given but not a finite positive number is refused with one
// line naming the file, and the corpus stays as it was (a 1e999 voxel size used to be stored as null).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Corpus } from '../../src/corpus/index.js';
import { ingestPath } from '../../src/ingest/ingest.js';
import { vesuviusVolumeMeta } from '../../src/ingest/sniff.js';
import { FIXTURES, tempDir } from './fixture-values.js';

describe('volume meta.json', () => {
  it('reads the voxel size and energy when they are finite positive numbers', () => {
    expect(vesuviusVolumeMeta({ voxelsize: 7.91, energy: 54 })).toEqual({
      voxelSizeUm: [7.91, 7.91, 7.91],
      energyKeV: 54,
    });
    expect(vesuviusVolumeMeta({ voxelSize: '3.24', energy: '88keV' })).toEqual({
      voxelSizeUm: [3.24, 3.24, 3.24],
      energyKeV: 88,
    });
    expect(vesuviusVolumeMeta({ name: 'no sizes' })).toEqual({});
  });

  it('refuses sizes and energies it cannot store, naming the file and the value', () => {
    for (const [meta, shown] of [
      [{ voxelsize: Infinity }, 'voxelsize Infinity'],
      [{ voxelsize: -7.91 }, 'voxelsize -7.91'],
      [{ voxelsize: 0 }, 'voxelsize 0'],
      [{ voxelsize: 'big' }, 'voxelsize "big"'],
      [{ voxelsize: 7.91, energy: 'high' }, 'energy "high"'],
    ] as const) {
      expect(() => vesuviusVolumeMeta(meta, '/v/meta.json')).toThrow(
        `/v/meta.json: ${shown} is not a finite positive number`,
      );
    }
  });

  it('leaves the corpus as it was when meta.json says voxelsize 1e999', async () => {
    const dir = path.join(tempDir(), 'vol');
    cpSync(path.join(FIXTURES, 'tiff', 'stack16-deflate'), dir, { recursive: true });
    const metaFile = path.join(dir, 'meta.json');
    writeFileSync(metaFile, readFileSync(metaFile, 'utf8').replace('"voxelsize": 7.91', '"voxelsize": 1e999'));
    const corpusDir = path.join(tempDir(), 'corpus');
    const corpus = await Corpus.open(corpusDir, { create: true });
    const before = readFileSync(path.join(corpusDir, 'manifest.json'), 'utf8');
    await expect(ingestPath(corpus, dir, { scroll: 's' })).rejects.toThrow(
      /voxelsize Infinity is not a finite positive number/,
    );
    expect(readFileSync(path.join(corpusDir, 'manifest.json'), 'utf8')).toBe(before);
  });
});
