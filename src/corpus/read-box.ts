/**
 * Reading a box of one level of a record. Arrays in this store's own layout (bytes + zstd, `c/z/y/x` keys) are read
 * chunk file by chunk file and decompressed on the codec threads; any other layout goes through zarrita's `get`.
 * Missing chunks read as the fill value 0.
 *
 *   const bytes = await readBox(store, 'records/7', 1, { z: [0, 8], y: [0, 64], x: [0, 64] });   // raster z, y, x
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as zarr from 'zarrita';
import { decodeChunk, MAX_CHUNKS_IN_FLIGHT } from './chunk-encoder.js';
import type { Shape3 } from './pyramid.js';
import { StoreFileReader } from './confined-store.js';
import { openLevel, type Store, type Uint8ZarrArray } from './store.js';
import { TaskLimiter } from './task-limiter.js';

/** A queue that runs at most `limit` chunk tasks at once (zarrita's default runs all of them together). */
function boundedQueue(limit = 8): () => { add(fn: () => Promise<void>): void; onIdle(): Promise<void[]> } {
  return () => {
    const waiting: Array<() => Promise<void>> = [];
    const results: Promise<void>[] = [];
    let running = 0;
    const pump = () => {
      while (running < limit && waiting.length) {
        const task = waiting.shift()!;
        running++;
        results.push(
          task().finally(() => {
            running--;
            pump();
          }),
        );
      }
    };
    return {
      add(fn) {
        waiting.push(fn);
        pump();
      },
      async onIdle() {
        // Tasks queue more only through add(); wait until everything added has settled.
        let seen = -1;
        while (seen !== results.length || waiting.length) {
          seen = results.length;
          await Promise.all(results);
        }
        return Promise.all(results);
      },
    };
  };
}

/** Read a box of one level, raster z, y, x. */
export async function readBox(
  store: Store,
  groupPath: string,
  level: number,
  box: { z: [number, number]; y: [number, number]; x: [number, number] },
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const arr = await openLevel(store, groupPath, level);
  if (!(await isOwnLayout(store, arr))) {
    const chunk = await zarr.get(arr, [zarr.slice(...box.z), zarr.slice(...box.y), zarr.slice(...box.x)], {
      signal,
      createQueue: boundedQueue(),
    });
    return chunk.data as Uint8Array;
  }
  return readBoxFast(store, arr, box, signal);
}

const ownLayout = new WeakMap<Uint8ZarrArray, Promise<boolean>>();

/** Whether the array is laid out as this module writes it (bytes + zstd, `c/z/y/x` keys): then reads skip zarrita. */
function isOwnLayout(store: Store, arr: Uint8ZarrArray): Promise<boolean> {
  let known = ownLayout.get(arr);
  if (!known) {
    known = readFile(path.join(store.root, arr.path, 'zarr.json'), 'utf8').then((text) => {
      const meta = JSON.parse(text) as {
        codecs?: Array<{ name: string }>;
        chunk_key_encoding?: { name: string; configuration?: { separator?: string } };
      };
      const names = (meta.codecs ?? []).map((c) => c.name).join(',');
      const keys = meta.chunk_key_encoding;
      return names === 'bytes,zstd' && keys?.name === 'default' && (keys.configuration?.separator ?? '/') === '/';
    });
    ownLayout.set(arr, known);
  }
  return known;
}

/** Chunk files read and decompressed on the codec threads, copied into the box; missing chunks stay 0 (fill). */
async function readBoxFast(
  store: Store,
  arr: Uint8ZarrArray,
  box: { z: [number, number]; y: [number, number]; x: [number, number] },
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const [cz, cy, cx] = arr.chunks as Shape3;
  const [z0, z1] = box.z;
  const [y0, y1] = box.y;
  const [x0, x1] = box.x;
  const oy = y1 - y0;
  const ox = x1 - x0;
  const out = new Uint8Array((z1 - z0) * oy * ox);
  const arrayDir = path.join(store.root, arr.path);
  const chunkSize = cz * cy * cx;
  const limiter = new TaskLimiter(MAX_CHUNKS_IN_FLIGHT);
  let arrayPresent: Promise<boolean> | undefined;
  // Confined to the store; one reader per call, so a folder replaced by a link later is seen by the next read.
  const files = new StoreFileReader(store.root);
  const readChunk = async (iz: number, iy: number, ix: number) => {
    const file = path.join(arrayDir, 'c', String(iz), String(iy), String(ix));
    const bytes = await files.read(file, signal);
    if (!bytes) {
      // A missing chunk is the fill value, unless the whole array is gone (a prediction replaced meanwhile).
      arrayPresent ??= stat(path.join(arrayDir, 'zarr.json')).then(
        () => true,
        () => false,
      );
      if (!(await arrayPresent)) throw new Error(`${arrayDir}: the array was removed (replaced by another writer?)`);
      return;
    }
    const chunk = await decodeChunk(bytes, chunkSize).catch((err: Error) => {
      throw new Error(`${file}: chunk does not decompress (${err.message.split('\n')[0]})`, { cause: err });
    });
    if (chunk.length !== chunkSize)
      throw new Error(`${file}: chunk decodes to ${chunk.length} bytes, expected ${chunkSize}`);
    const za = Math.max(z0, iz * cz);
    const zb = Math.min(z1, (iz + 1) * cz);
    const ya = Math.max(y0, iy * cy);
    const yb = Math.min(y1, (iy + 1) * cy);
    const xa = Math.max(x0, ix * cx);
    const xb = Math.min(x1, (ix + 1) * cx);
    for (let z = za; z < zb; z++) {
      for (let y = ya; y < yb; y++) {
        const src = ((z - iz * cz) * cy + (y - iy * cy)) * cx + (xa - ix * cx);
        out.set(chunk.subarray(src, src + (xb - xa)), ((z - z0) * oy + (y - y0)) * ox + (xa - x0));
      }
    }
  };
  try {
    for (let iz = Math.floor(z0 / cz); iz * cz < z1; iz++) {
      for (let iy = Math.floor(y0 / cy); iy * cy < y1; iy++) {
        for (let ix = Math.floor(x0 / cx); ix * cx < x1; ix++) {
          signal?.throwIfAborted();
          await limiter.add(() => readChunk(iz, iy, ix));
        }
      }
    }
  } finally {
    await limiter.settle();
  }
  limiter.throwIfFailed();
  return out;
}
