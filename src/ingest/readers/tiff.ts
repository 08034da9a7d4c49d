/**
 * TIFF volumes as lazy VolumeSources: a stack of single-image files (one z plane each, e.g. Vesuvius `NNNNN.tif`
 * slices or a segment's `layers/00..64.tif`), or one multi-page file (one page per plane). Opening checks every
 * slice's header (same size and dtype everywhere, data inside the file); reading a slab opens only its planes.
 *
 *   const stack = await openTiffStack(['/v/00000.tif', '/v/00001.tif']);   // VolumeSource, shape [2, h, w]
 *   const multi = await openTiffPages('/data/scan.tif');                  // VolumeSource, shape [pages, h, w]
 *   const slab = await stack.readSlab(0, 1);
 */
import { UserError } from '../../cli/errors.js';
import type { VolumeSource } from '../source.js';
import { TiffFile, type TiffPage } from './tiff-file.js';
import { assertSlabRange, samplePlanes, type Shape3, type Voxels } from './volume-util.js';

function describe(page: TiffPage): string {
  return `${page.width}x${page.height} ${page.dtype}`;
}

function allocate(dtype: 'uint8' | 'uint16', n: number): Voxels {
  return dtype === 'uint16' ? new Uint16Array(n) : new Uint8Array(n);
}

/** Opens a stack of TIFF files in the given order (plane z = files[z]); every file's first page is one plane. */
export async function openTiffStack(files: string[], signal?: AbortSignal): Promise<VolumeSource> {
  if (files.length === 0) throw new Error('openTiffStack: no files');
  let first: TiffPage | undefined;
  for (const file of files) {
    signal?.throwIfAborted();
    const tiff = await TiffFile.open(file, { firstPageOnly: true });
    await tiff.close();
    const page = tiff.pages[0]!;
    if (!first) first = page;
    else if (page.width !== first.width || page.height !== first.height || page.dtype !== first.dtype) {
      throw new UserError(`${file}: slice is ${describe(page)}, but ${files[0]} is ${describe(first)}: slices of one stack must share size and dtype`);
    }
  }
  const shape: Shape3 = [files.length, first!.height, first!.width];
  const dtype = first!.dtype;
  const volume: VolumeSource = {
    shape,
    dtype,
    warnings: [],
    async readSlab(z0, z1, slabSignal) {
      assertSlabRange(shape, z0, z1, 'TIFF stack');
      const plane = shape[1] * shape[2];
      const out = allocate(dtype, (z1 - z0) * plane);
      for (let z = z0; z < z1; z++) {
        slabSignal?.throwIfAborted();
        const tiff = await TiffFile.open(files[z]!, { firstPageOnly: true });
        try {
          const page = tiff.pages[0]!;
          if (page.width !== shape[2] || page.height !== shape[1] || page.dtype !== dtype) {
            throw new UserError(`${files[z]}: slice changed since the stack was opened (now ${describe(page)})`);
          }
          out.set(await tiff.readPage(0, slabSignal), (z - z0) * plane);
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
      throw new UserError(`${file}: page ${i} is ${describe(page)}, but page 0 is ${describe(first)}: pages must share size and dtype`);
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
