/**
 * `aunn export-zarr`: a record as OME-Zarr 0.4 over zarr v2, read back by an independent reader (zarrita's v2 path)
 * level by level against the corpus, with the multiscales a zarr-python 2 tool expects; an existing target is left
 * alone.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import * as zarr from 'zarrita';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { Corpus, exportRecordZarrV2 } from '../../src/corpus/index.js';
import { appendVolume, makeVolume, sameBytes, scratchDir, type Shape } from './helpers/volumes.js';

describe('export as OME-Zarr 0.4 / zarr v2', () => {
  it('writes every level so that a v2 reader reads the same voxels, with the µm scales', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const shape: Shape = [70, 130, 90]; // edges that are not whole chunks of 64
    const rec = await appendVolume(corpus, 's/scan', shape, makeVolume(shape), { voxelSizeUm: [7.91, 7.91, 7.91] });
    expect(rec.levels).toBeGreaterThan(1);
    const out = path.join(dir, 'out', 'scan.ome.zarr');
    mkdirSync(path.dirname(out));
    await exportRecordZarrV2(corpus, rec, out);
    const attrs = JSON.parse(readFileSync(path.join(out, '.zattrs'), 'utf8'));
    const ms = attrs.multiscales[0];
    expect(ms.version).toBe('0.4');
    expect(ms.axes).toEqual(['z', 'y', 'x'].map((name) => ({ name, type: 'space', unit: 'micrometer' })));
    expect(ms.datasets[1].coordinateTransformations[0].scale).toEqual([15.82, 15.82, 15.82]);
    const store = new FileSystemStore(out);
    for (let level = 0; level < rec.levels; level++) {
      const arr = await zarr.open.v2(zarr.root(store).resolve(String(level)), { kind: 'array' });
      expect(arr.shape).toEqual(corpus.levelShape(rec, level));
      const got = await zarr.get(arr);
      expect(sameBytes(got.data as Uint8Array, await corpus.readRecord(rec, level)), `level ${level}`).toBe('equal');
    }
    // Never over an existing folder, and nothing is left of a refused export.
    const err = await exportRecordZarrV2(corpus, rec, out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/already exists/);
    expect(existsSync(path.join(dir, 'out', `.scan.ome.zarr.partial-${process.pid}`))).toBe(false);
  });
});
