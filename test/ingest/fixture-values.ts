/**
 * The formulas scripts/make-fixtures.py filled the fixtures with, and helpers to compare a VolumeSource with them
 * voxel by voxel.
 *
 *   await expectVolume(volume, v16);   // throws with the first mismatching voxel
 */
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { VolumeSource } from '../../src/ingest/source.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export const v16 = (z: number, y: number, x: number) => (z * 7919 + y * 613 + x * 97 + 12345) % 65536;
export const v8 = (z: number, y: number, x: number) => (z * 31 + y * 7 + x * 3) % 256;
export const vLayers = (z: number, y: number, x: number) => (z * 1000 + y * 10 + x) % 65536;

/** Reads the whole volume in slabs of `slab` planes and compares every voxel with `value(z, y, x)`. */
export async function expectVolume(
  volume: VolumeSource,
  value: (z: number, y: number, x: number) => number,
  slab = 2,
): Promise<void> {
  const [d, h, w] = volume.shape;
  let mismatches = 0;
  let first = '';
  for (let z0 = 0; z0 < d; z0 += slab) {
    const z1 = Math.min(d, z0 + slab);
    const data = await volume.readSlab(z0, z1);
    expect(data.length).toBe((z1 - z0) * h * w);
    expect(data instanceof Uint16Array ? 'uint16' : 'uint8').toBe(volume.dtype);
    for (let z = z0; z < z1; z++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const got = data[((z - z0) * h + y) * w + x];
          if (got !== value(z, y, x)) {
            if (mismatches === 0) first = `(${z},${y},${x}): got ${got}, expected ${value(z, y, x)}`;
            mismatches++;
          }
        }
  }
  expect(first, `${mismatches} mismatching voxels`).toBe('');
}

/** A fresh temp folder, optionally with a fixture copied into it. */
export function tempDir(prefix = 'aunn-readers-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function copyFixture(relative: string, into = tempDir()): string {
  const target = path.join(into, path.basename(relative));
  cpSync(path.join(FIXTURES, relative), target, { recursive: true });
  return target;
}
