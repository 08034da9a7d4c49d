/**
 * OME-Zarr (NGFF 0.4, zarr v2 layout) writer for a uint8 [z, y, x] volume and its 2x-down pyramid, the form of the
 * current Vesuvius scan releases: `.zgroup`, `.zattrs` with `multiscales` (scale transforms in µm), arrays `0/`, `1/`.
 * The `.zarray` files are written here; the chunks go through zarrita (`zarr.open.v2` + `zarr.set`, blosc-lz4).
 *
 *   await writeOmeZarr('/out/scan.zarr', { levels: [level0, level1], voxelSizeUm: [200, 200, 200], attrs: { aunn: {...} } });
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';

export interface OmeZarrLevel {
  data: Uint8Array;
  /** [z, y, x] */
  shape: [number, number, number];
}

export interface OmeZarrOptions {
  levels: OmeZarrLevel[];
  /** Voxel size of level 0 in µm, [z, y, x]; level L is 2^L times that. */
  voxelSizeUm: [number, number, number];
  name: string;
  chunk?: number;
  /** Extra keys merged into the group's .zattrs (next to `multiscales`). */
  attrs?: Record<string, unknown>;
  signal?: AbortSignal;
}

/** Mean of 2x2x2 blocks (edges clamp), the way multiscale levels are made. */
export function downsample2x(data: Uint8Array, shape: [number, number, number]): OmeZarrLevel {
  const [nz, ny, nx] = shape;
  const [mz, my, mx] = [Math.ceil(nz / 2), Math.ceil(ny / 2), Math.ceil(nx / 2)];
  const out = new Uint8Array(mz * my * mx);
  for (let z = 0; z < mz; z++)
    for (let y = 0; y < my; y++)
      for (let x = 0; x < mx; x++) {
        let sum = 0;
        for (let dz = 0; dz < 2; dz++)
          for (let dy = 0; dy < 2; dy++)
            for (let dx = 0; dx < 2; dx++) {
              const zz = Math.min(2 * z + dz, nz - 1);
              const yy = Math.min(2 * y + dy, ny - 1);
              const xx = Math.min(2 * x + dx, nx - 1);
              sum += data[(zz * ny + yy) * nx + xx]!;
            }
        out[(z * my + y) * mx + x] = Math.round(sum / 8);
      }
  return { data: out, shape: [mz, my, mx] };
}

export async function writeOmeZarr(dir: string, opts: OmeZarrOptions): Promise<void> {
  const chunk = opts.chunk ?? 64;
  await mkdir(dir, { recursive: true });
  const datasets = opts.levels.map((_, level) => ({
    path: String(level),
    coordinateTransformations: [{ type: 'scale', scale: opts.voxelSizeUm.map((v) => v * 2 ** level) }],
  }));
  const multiscales = [
    {
      version: '0.4',
      name: opts.name,
      axes: ['z', 'y', 'x'].map((name) => ({ name, type: 'space', unit: 'micrometer' })),
      datasets,
      type: 'mean',
    },
  ];
  await writeFile(path.join(dir, '.zgroup'), JSON.stringify({ zarr_format: 2 }, null, 2));
  await writeFile(path.join(dir, '.zattrs'), JSON.stringify({ multiscales, ...opts.attrs }, null, 2));
  const store = new FileSystemStore(dir);
  for (const [level, { data, shape }] of opts.levels.entries()) {
    opts.signal?.throwIfAborted();
    if (data.length !== shape[0] * shape[1] * shape[2])
      throw new Error(`writeOmeZarr: level ${level} has ${data.length} values for shape ${shape}`);
    const zarray = {
      zarr_format: 2,
      shape,
      chunks: shape.map((n) => Math.min(n, chunk)),
      dtype: '|u1',
      compressor: { id: 'blosc', cname: 'lz4', clevel: 5, shuffle: 1, blocksize: 0 },
      fill_value: 0,
      filters: null,
      order: 'C',
      dimension_separator: '/',
    };
    await mkdir(path.join(dir, String(level)), { recursive: true });
    await writeFile(path.join(dir, String(level), '.zarray'), JSON.stringify(zarray, null, 2));
    await writeFile(path.join(dir, String(level), '.zattrs'), '{}');
    const arr = await zarr.open.v2(zarr.root(store).resolve(String(level)), { kind: 'array' });
    await zarr.set(arr, null, { data, shape, stride: [shape[1] * shape[2], shape[2], 1] });
  }
}
