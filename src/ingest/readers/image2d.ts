/**
 * 2-D images (ink labels, masks, photos) as [1, h, w] VolumeSources: PNG through fast-png (grey, grey+alpha, RGB(A),
 * palette; 1/2/4/8/16-bit), colour reduced to luminance. `binarize` turns labels into 0 / 255 (over half the
 * range = 255), the corpus convention for ink labels and masks.
 *
 *   const labels = binarize(await openPng('/seg/123_inklabels.png'));   // VolumeSource [1, h, w], values 0 | 255
 */
import { readFile } from 'node:fs/promises';
import { decode } from 'fast-png';
import { UserError } from '../../core/errors.js';
import type { VolumeSource } from '../source.js';
import { memoryVolume, type Voxels } from './volume-util.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPngHeader(head: Uint8Array): boolean {
  return head.length >= 8 && PNG_SIGNATURE.every((b, i) => head[i] === b);
}

/** Reads a PNG file whole (2-D images are small next to volumes). */
export async function openPng(file: string): Promise<VolumeSource> {
  const bytes = await readFile(file);
  if (!isPngHeader(bytes)) throw new UserError(`${file}: not a PNG file (no PNG signature)`);
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (err) {
    throw new UserError(`${file}: corrupt PNG (${(err as Error).message})`, { cause: err });
  }
  const { width, height, depth, channels } = png;
  const n = width * height;
  const sample = unpackSamples(png.data as Voxels, width, height, depth, png.palette ? 1 : channels);
  const max = png.palette ? 255 : depth === 16 ? 65535 : 255;
  const scale = !png.palette && depth < 8 ? 255 / ((1 << depth) - 1) : 1;
  const out = depth === 16 && !png.palette ? new Uint16Array(n) : new Uint8Array(n);
  const colour = png.palette ? 1 : channels;
  for (let i = 0; i < n; i++) {
    if (png.palette) {
      const entry = png.palette[sample[i]!] ?? [0, 0, 0];
      out[i] = Math.round((entry[0]! * 299 + entry[1]! * 587 + entry[2]! * 114) / 1000);
    } else if (colour >= 3) {
      const o = i * colour;
      out[i] = Math.min(max, Math.round((sample[o]! * 299 + sample[o + 1]! * 587 + sample[o + 2]! * 114) / 1000));
    } else {
      out[i] = Math.round(sample[i * colour]! * scale);
    }
  }
  return memoryVolume([1, height, width], out instanceof Uint16Array ? 'uint16' : 'uint8', out);
}

/** fast-png keeps sub-byte samples packed (rows padded to whole bytes, most significant bits first). */
function unpackSamples(data: Voxels, width: number, height: number, depth: number, channels: number): Voxels {
  if (depth >= 8) return data;
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const mask = (1 << depth) - 1;
  const out = new Uint8Array(perRow * height);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      out[y * perRow + i] = (data[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** A [1, h, w] label image as 0 / 255: values over half the dtype's range (> 127 for 8-bit) become 255. */
export function binarize(volume: VolumeSource): VolumeSource {
  const half = volume.dtype === 'uint16' ? 32767 : 127;
  const result: VolumeSource = {
    shape: volume.shape,
    dtype: 'uint8',
    warnings: volume.warnings,
    async readSlab(z0, z1, signal) {
      const src = await volume.readSlab(z0, z1, signal);
      const out = new Uint8Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = src[i]! > half ? 255 : 0;
      return out;
    },
  };
  return result;
}
