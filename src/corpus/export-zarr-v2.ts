/**
 * A record as OME-Zarr 0.4 over zarr v2, for the tools that read only that (zarr-python 2.x, older napari and
 * neuroglancer builds): every pyramid level as a v2 array (chunks of 64 per axis, zlib, `/`-separated chunk keys),
 * the multiscales in `.zattrs` with the voxel size in micrometres when the record has one. Written into a temporary
 * folder and renamed when whole; an existing target is never touched.
 *
 *   const dir = await exportRecordZarrV2(corpus, corpus.record('scroll1/scanA')!, '/tmp/scanA.zarr');
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { UserError } from '../core/errors.js';
import type { TaskOptions } from '../core/task.js';
import { progressTracker } from '../core/task.js';
import { levelScaleOf, levelShapeOf } from './pyramid.js';
import type { RecordMeta } from './types.js';

const CHUNK = 64;

export interface RecordReader {
  readRegion(
    rec: RecordMeta,
    region: { z: [number, number]; y: [number, number]; x: [number, number] },
    level?: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array>;
}

/** The OME-NGFF 0.4 multiscales of a record (what `.zattrs` holds). */
export function omeV04Attributes(rec: Pick<RecordMeta, 'name' | 'shape' | 'levels' | 'voxelSizeUm'>) {
  const voxel = rec.voxelSizeUm ?? [1, 1, 1];
  const unit = rec.voxelSizeUm ? { unit: 'micrometer' } : {};
  return {
    multiscales: [
      {
        version: '0.4',
        name: rec.name,
        type: 'mean',
        axes: ['z', 'y', 'x'].map((name) => ({ name, type: 'space', ...unit })),
        datasets: Array.from({ length: rec.levels }, (_, level) => {
          const f = levelScaleOf(rec.shape, level);
          return {
            path: String(level),
            coordinateTransformations: [
              { type: 'scale', scale: f.map((k, a) => k * voxel[a]!) },
              { type: 'translation', translation: f.map((k, a) => ((k - 1) / 2) * voxel[a]!) },
            ],
          };
        }),
      },
    ],
  };
}

export async function exportRecordZarrV2(
  corpus: RecordReader,
  rec: RecordMeta,
  outDir: string,
  opts: TaskOptions = {},
): Promise<string> {
  const target = path.resolve(outDir);
  if (existsSync(target)) throw new UserError(`${target}: already exists; give another --out (nothing was written)`);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.partial-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const levels = Array.from({ length: rec.levels }, (_, l) => levelShapeOf(rec.shape, l));
  const rows = levels.reduce((s, [d, h]) => s + Math.ceil(d / CHUNK) * Math.ceil(h / CHUNK), 0);
  const tracker = progressTracker(`export ${rec.name}`, rows, opts.onProgress, { unit: 'chunk rows' });
  let done = 0;
  try {
    await writeFile(path.join(tmp, '.zgroup'), JSON.stringify({ zarr_format: 2 }));
    await writeFile(path.join(tmp, '.zattrs'), JSON.stringify(omeV04Attributes(rec), null, 1));
    for (const [level, shape] of levels.entries()) {
      const [d, h, w] = shape;
      const chunks = shape.map((n) => Math.min(CHUNK, n));
      const dir = path.join(tmp, String(level));
      await mkdir(dir, { recursive: true });
      await writeFile(
        path.join(dir, '.zarray'),
        JSON.stringify({
          zarr_format: 2,
          shape,
          chunks,
          dtype: '|u1',
          compressor: { id: 'zlib', level: 5 },
          fill_value: 0,
          order: 'C',
          filters: null,
          dimension_separator: '/',
        }),
      );
      // One row of chunks (cz planes × cy rows × the whole width) in memory at a time.
      for (let z0 = 0, zi = 0; z0 < d; z0 += chunks[0]!, zi++)
        for (let y0 = 0, yi = 0; y0 < h; y0 += chunks[1]!, yi++) {
          opts.signal?.throwIfAborted();
          const z1 = Math.min(d, z0 + chunks[0]!);
          const y1 = Math.min(h, y0 + chunks[1]!);
          const region = await corpus.readRegion(rec, { z: [z0, z1], y: [y0, y1], x: [0, w] }, level, opts.signal);
          for (let x0 = 0, xi = 0; x0 < w; x0 += chunks[2]!, xi++) {
            // A v2 chunk is always whole: the parts past the array's edge are the fill value.
            const chunk = new Uint8Array(chunks[0]! * chunks[1]! * chunks[2]!);
            const x1 = Math.min(w, x0 + chunks[2]!);
            for (let z = z0; z < z1; z++)
              for (let y = y0; y < y1; y++) {
                const src = ((z - z0) * (y1 - y0) + (y - y0)) * w;
                chunk.set(region.subarray(src + x0, src + x1), ((z - z0) * chunks[1]! + (y - y0)) * chunks[2]!);
              }
            await mkdir(path.join(dir, String(zi), String(yi)), { recursive: true });
            await writeFile(path.join(dir, String(zi), String(yi), String(xi)), deflateSync(chunk, { level: 5 }));
          }
          tracker.set(++done);
        }
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  tracker.done();
  return target;
}
