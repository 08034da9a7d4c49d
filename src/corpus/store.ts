/**
 * The zarr v3 layout of the corpus: DIR/data.zarr holds one group per record (`records/<id>`) with one uint8 array per
 * pyramid level (`0`, `1`, …), bytes + zstd codecs, chunked 64³ (clamped to the shape; thinner in z for very large
 * planes so a writer never buffers more than ~64 MiB per level), and OME-Zarr 0.5 `multiscales` attributes on the
 * group so napari and other OME-Zarr tools open it. Writing is record-writer.ts, reading read-box.ts.
 *
 *   const store = dataStore('/data/corpus');
 *   const writer = await createRecordArrays(store, 'records/7.partial-123', { name, shape, voxelSizeUm }, levels);
 *   await writer.writeSlab(0, planes0to63); …; await writer.finish();
 *   const arr = await openLevel(store, 'records/7', 0);       // a zarrita array (shape, chunks)
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfinedFileSystemStore } from './confined-store.js';
import * as zarr from 'zarrita';
import { ZSTD_LEVEL } from './chunk-encoder.js';
import { levelScaleOf, levelShapeOf, type Shape3 } from './pyramid.js';
import { RecordWriter } from './record-writer.js';

export const DATA_DIR = 'data.zarr';
export const RECORDS_GROUP = 'records';
export const ATTACHMENTS_DIR = 'attachments';

/** Codecs of every record array: raw bytes, then zstd (numcodecs, works offline; zarr-python reads it too). */
export const RECORD_CODECS = [
  { name: 'bytes', configuration: { endian: 'little' } },
  { name: 'zstd', configuration: { level: ZSTD_LEVEL, checksum: false } },
];

/** A writer never buffers more than about this many bytes of planes per level. */
export const PLANE_BUFFER_BYTES = 64 << 20;
/** Elements per chunk (64³). */
const CHUNK_ELEMENTS = 64 ** 3;

import type { Store, Uint8ZarrArray } from './zarr-types.js';

export type { Store, Uint8ZarrArray };

export function dataStore(corpusDir: string): Store {
  return new ConfinedFileSystemStore(path.join(corpusDir, DATA_DIR));
}

/** Create the root group and the `records` group (idempotent). */
export async function initStore(corpusDir: string): Promise<void> {
  const store = dataStore(corpusDir);
  await mkdir(path.join(corpusDir, DATA_DIR), { recursive: true });
  await zarr.create(zarr.root(store), {
    attributes: { 'scroll-aunn': { about: 'one zarr group per record under records/' } },
  });
  await zarr.create(zarr.root(store).resolve(RECORDS_GROUP), { attributes: {} });
}

/** Chunk shape for an array of this shape: 64³ clamped; 2-D and 1-D arrays get the same number of elements. */
export function chunkShapeFor(shape: readonly [number, number, number]): Shape3 {
  const [d, h, w] = shape;
  if (d > 1) {
    const planeBudget = Math.max(1, Math.floor(PLANE_BUFFER_BYTES / (h * w)));
    let cz = 1;
    while (cz * 2 <= Math.min(64, planeBudget)) cz *= 2;
    return [Math.min(cz, d), Math.min(64, h), Math.min(64, w)];
  }
  if (h > 1) return [1, Math.min(512, h), Math.min(512, w)];
  return [1, 1, Math.min(CHUNK_ELEMENTS, w)];
}

export interface RecordArraysInfo {
  name: string;
  shape: Shape3;
  voxelSizeUm?: [number, number, number];
}

/** OME-Zarr 0.5 attributes of a record group: one multiscale image, levels `0..levels-1`, axes z, y, x. */
export function omeAttributes(info: RecordArraysInfo, levels: number): Record<string, unknown> {
  const voxel = info.voxelSizeUm ?? [1, 1, 1];
  const unit = info.voxelSizeUm ? 'micrometer' : undefined;
  const axes = ['z', 'y', 'x'].map((name) => ({ name, type: 'space', ...(unit ? { unit } : {}) }));
  const datasets = Array.from({ length: levels }, (_, level) => {
    const factor = levelScaleOf(info.shape, level);
    const scale = factor.map((f, a) => f * voxel[a]!);
    // A mean-pooled voxel's centre sits half a (coarse - fine) voxel further along.
    const translation = factor.map((f, a) => ((f - 1) / 2) * voxel[a]!);
    return {
      path: String(level),
      coordinateTransformations: [
        { type: 'scale', scale },
        { type: 'translation', translation },
      ],
    };
  });
  // name, type and metadata: what the strict OME-NGFF 0.5 image schema requires of every multiscale.
  const metadata = {
    description: 'each level the 2x mean of the one before (axes of size 1 are not pooled)',
    method: 'scroll-aunn record-writer',
  };
  return { ome: { version: '0.5', multiscales: [{ name: info.name, type: 'mean', metadata, axes, datasets }] } };
}

/**
 * Create the group and level arrays of a record at `groupPath` (relative to data.zarr) and return a writer that
 * takes level-0 planes in z order and builds the other levels as it goes.
 */
export async function createRecordArrays(
  store: Store,
  groupPath: string,
  info: RecordArraysInfo,
  levels: number,
): Promise<RecordWriter> {
  const group = zarr.root(store).resolve(groupPath);
  await zarr.create(group, { attributes: omeAttributes(info, levels) });
  const arrays: Uint8ZarrArray[] = [];
  for (let level = 0; level < levels; level++) {
    const shape = levelShapeOf(info.shape, level);
    arrays.push(
      await zarr.create(group.resolve(String(level)), {
        shape,
        chunkShape: chunkShapeFor(shape),
        dtype: 'uint8',
        codecs: RECORD_CODECS,
        fillValue: 0,
        dimensionNames: ['z', 'y', 'x'],
      }),
    );
  }
  return new RecordWriter(arrays, info.name, store.root);
}

const openArrays = new WeakMap<Store, Map<string, Promise<Uint8ZarrArray>>>();

/** Open (once per store) the array of one level of a record group. */
export function openLevel(store: Store, groupPath: string, level: number): Promise<Uint8ZarrArray> {
  let cache = openArrays.get(store);
  if (!cache) openArrays.set(store, (cache = new Map()));
  const key = `${groupPath}/${level}`;
  let arr = cache.get(key);
  if (!arr) {
    arr = zarr.open.v3(zarr.root(store).resolve(key), { kind: 'array' }).then((a) => {
      if (a.dtype !== 'uint8') throw new Error(`${key}: expected a uint8 array, found ${a.dtype}`);
      return a as Uint8ZarrArray;
    });
    arr.catch(() => cache.delete(key));
    cache.set(key, arr);
  }
  return arr;
}
