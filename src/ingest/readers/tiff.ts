/**
 * TIFF volumes as lazy VolumeSources: a stack of single-image files (one z plane each, e.g. Vesuvius `NNNNN.tif`
 * slices or a segment's `layers/00..64.tif`), or one multi-page file (one page per plane). Opening checks every
 * slice's header (same size and dtype everywhere, data inside the file); reading a slab opens only its planes.
 *
 *   const stack = await openTiffStack(['/v/00000.tif', '/v/00001.tif']);   // VolumeSource, shape [2, h, w]
 *   const multi = await openTiffPages('/data/scan.tif');                  // VolumeSource, shape [pages, h, w]
 *   const slab = await stack.readSlab(0, 1);
 */
import { UserError } from '../../core/errors.js';
import type { VolumeSource } from '../source.js';
import { TiffFile, type TiffPage } from '../../formats/tiff-reader.js';
import { assertSlabRange, samplePlanes, type Shape3, type Voxels } from './volume-util.js';

function describe(page: TiffPage): string {
  return `${page.width}x${page.height} ${page.dtype}`;
}

function allocate(dtype: 'uint8' | 'uint16', n: number): Voxels {
  return dtype === 'uint16' ? new Uint16Array(n) : new Uint8Array(n);
}

/**
 * Opens a stack of TIFF files in the given order: the planes are the pages of files[0], then of files[1], ... (one
 * page per file for slice stacks). Every page of every file must share size and dtype.
 */
export async function openTiffStack(files: string[], signal?: AbortSignal): Promise<VolumeSource> {
  if (files.length === 0) throw new Error('openTiffStack: no files');
  let first: TiffPage | undefined;
  /** firstPlane[i] = z of files[i]'s first page; firstPlane[files.length] = depth. */
  const firstPlane = new Float64Array(files.length + 1);
  for (const [i, file] of files.entries()) {
    signal?.throwIfAborted();
    const tiff = await TiffFile.open(file);
    await tiff.close();
    for (const [p, page] of tiff.pages.entries()) {
      if (!first) first = page;
      else if (page.width !== first.width || page.height !== first.height || page.dtype !== first.dtype) {
        const where = p > 0 ? `${file} page ${p}` : file;
        throw new UserError(
          `${where}: slice is ${describe(page)}, but ${files[0]} is ${describe(first)}: slices of one stack must share size and dtype`,
        );
      }
    }
    firstPlane[i + 1] = firstPlane[i]! + tiff.pages.length;
  }
  const shape: Shape3 = [firstPlane[files.length]!, first!.height, first!.width];
  const dtype = first!.dtype;
  const fileOf = (z: number): number => {
    let lo = 0,
      hi = files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (firstPlane[mid]! <= z) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const volume: VolumeSource = {
    shape,
    dtype,
    warnings: [],
    async readSlab(z0, z1, slabSignal) {
      assertSlabRange(shape, z0, z1, 'TIFF stack');
      const plane = shape[1] * shape[2];
      const out = allocate(dtype, (z1 - z0) * plane);
      let z = z0;
      while (z < z1) {
        slabSignal?.throwIfAborted();
        const f = fileOf(z);
        const tiff = await TiffFile.open(files[f]!, { firstPageOnly: firstPlane[f + 1]! - firstPlane[f]! === 1 });
        try {
          for (; z < z1 && z < firstPlane[f + 1]!; z++) {
            const page = tiff.pages[z - firstPlane[f]!];
            if (!page || page.width !== shape[2] || page.height !== shape[1] || page.dtype !== dtype) {
              throw new UserError(`${files[f]}: changed since the stack was opened`);
            }
            const bytes = new Uint8Array(
              out.buffer,
              out.byteOffset + (z - z0) * plane * out.BYTES_PER_ELEMENT,
              plane * out.BYTES_PER_ELEMENT,
            );
            if (!(await tiff.readPageInto(z - firstPlane[f]!, bytes, slabSignal)))
              out.set(await tiff.readPage(z - firstPlane[f]!, slabSignal), (z - z0) * plane);
          }
        } finally {
          await tiff.close();
        }
      }
      return out;
    },
  };
  volume.sampleValues = (count) => samplePlanes(volume, count);
  return volume;
}

/** Opens one TIFF file; each page is a z plane (a single-page file is a [1, h, w] image). */
export async function openTiffPages(file: string): Promise<VolumeSource> {
  const tiff = await TiffFile.open(file);
  const { pages, littleEndian } = tiff;
  await tiff.close();
  const first = pages[0]!;
  for (const [i, page] of pages.entries()) {
    if (page.width !== first.width || page.height !== first.height || page.dtype !== first.dtype) {
      throw new UserError(
        `${file}: page ${i} is ${describe(page)}, but page 0 is ${describe(first)}: pages must share size and dtype`,
      );
    }
  }
  const shape: Shape3 = [pages.length, first.height, first.width];
  const volume: VolumeSource = {
    shape,
    dtype: first.dtype,
    warnings: [],
    async readSlab(z0, z1, signal) {
      assertSlabRange(shape, z0, z1, file);
      const plane = shape[1] * shape[2];
      const out = allocate(first.dtype, (z1 - z0) * plane);
      const reopened = await TiffFile.reopen(file, pages, littleEndian);
      try {
        for (let z = z0; z < z1; z++) out.set(await reopened.readPage(z, signal), (z - z0) * plane);
      } finally {
        await reopened.close();
      }
      return out;
    },
  };
  volume.sampleValues = (count) => samplePlanes(volume, count);
  return volume;
}
