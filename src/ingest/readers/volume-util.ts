/**
 * Small helpers every reader shares: an in-memory VolumeSource, slab-range checks, sampling values for the 16→8-bit
 * window from a few evenly spaced planes, and the per-axis size limit.
 *
 *   const vol = memoryVolume([1, h, w], 'uint8', pixels);
 *   const sample = await samplePlanes(vol, 100_000);
 */
import { UserError } from '../../core/errors.js';
import { limit } from '../../core/limits.js';
import type { SourceDtype, VolumeSource } from '../source.js';

export type Shape3 = [number, number, number];
import type { Voxels } from '../../formats/voxels.js';

export type { Voxels };

/** Default per-axis limit (`discover(..., { maxDim })`). */
export const DEFAULT_MAX_DIM = limit('dim');

export function assertSlabRange(shape: Shape3, z0: number, z1: number, what: string): void {
  if (!Number.isInteger(z0) || !Number.isInteger(z1) || z0 < 0 || z1 > shape[0] || z0 > z1) {
    throw new RangeError(`${what}: slab [${z0}, ${z1}) outside 0..${shape[0]}`);
  }
}

export function assertDims(shape: Shape3, maxDim: number, file: string): void {
  for (const [axis, n] of shape.entries()) {
    if (!Number.isInteger(n) || n < 1) throw new UserError(`${file}: invalid size ${n} on axis ${'zyx'[axis]}`);
    if (n > maxDim) {
      throw new UserError(`${file}: dimension ${'zyx'[axis]} = ${n} is over the limit of ${maxDim} per axis`, {
        file,
        options: ['maxDim'],
      });
    }
  }
}

/** A volume held in memory (small formats read whole: PNG, NRRD/NIfTI/MHA, DICOM, text). */
export function memoryVolume(
  shape: Shape3,
  dtype: SourceDtype,
  data: Voxels,
  info: Partial<Pick<VolumeSource, 'voxelSizeUm' | 'energyKeV' | 'affine'>> = {},
): VolumeSource {
  const plane = shape[1] * shape[2];
  const volume: VolumeSource = {
    shape,
    dtype,
    warnings: [],
    ...info,
    async readSlab(z0, z1) {
      assertSlabRange(shape, z0, z1, 'memory volume');
      return data.subarray(z0 * plane, z1 * plane);
    },
  };
  volume.sampleValues = (count) => samplePlanes(volume, count);
  return volume;
}

/**
 * Up to `count` values from at most 8 evenly spaced planes (a deterministic stride through each), so a 16-bit window
 * can be chosen without reading the whole volume.
 */
export async function samplePlanes(volume: VolumeSource, count: number, signal?: AbortSignal): Promise<Voxels> {
  const depth = volume.shape[0];
  const planes = Math.min(depth, 8);
  const perPlane = Math.max(1, Math.ceil(count / planes));
  const out = volume.dtype === 'uint16' ? new Uint16Array(planes * perPlane) : new Uint8Array(planes * perPlane);
  let n = 0;
  for (let i = 0; i < planes; i++) {
    const z = Math.min(depth - 1, Math.floor(((i + 0.5) * depth) / planes));
    const slab = await volume.readSlab(z, z + 1, signal);
    const stride = Math.max(1, Math.floor(slab.length / perPlane));
    for (let k = 0, j = (i * 7919) % stride; k < perPlane && j < slab.length; k++, j += stride) out[n++] = slab[j]!;
  }
  return out.subarray(0, n);
}
