/**
 * Medical-imaging formats through itk-wasm: NRRD, NIfTI (.nii, .nii.gz), MetaImage (.mha/.mhd) with
 * @itk-wasm/image-io, and DICOM series with @itk-wasm/dicom (sorted by position, not by file name). The header is read
 * first (size and dtype checked before any voxel), the voxels once on the first slab (these formats are read whole).
 *
 * Geometry: ITK spacing is in millimetres by convention (NIfTI and DICOM say so; NRRD/MHA files rarely say), so
 * voxelSizeUm = spacing × 1000 and `affine` = origin + direction · diag(spacing), in µm, from voxel (x, y, z, 1).
 *
 *   const { volume } = await openItkImage('/data/scan.nii.gz', 'nifti');
 *   const { volume: ct } = await openDicomSeries(['/data/dcm/IM1.dcm', '/data/dcm/IM2.dcm']);
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { readImageNode } from '@itk-wasm/image-io';
import { readImageDicomFileSeriesNode } from '@itk-wasm/dicom';
import type { Image } from 'itk-wasm';
import { limit } from '../../core/limits.js';
import { UserError } from '../../core/errors.js';
import type { VolumeSource } from '../source.js';
import { assertDims, assertSlabRange, samplePlanes, type Shape3, type Voxels } from './volume-util.js';

const FORMAT_NAMES: Record<string, string> = { nrrd: 'NRRD', nifti: 'NIfTI', mha: 'MetaImage', dicom: 'DICOM' };

function describeImage(image: Image, what: string): { shape: Shape3; dtype: 'uint8' | 'uint16' } {
  const { componentType, components, dimension } = image.imageType;
  if (componentType !== 'uint8' && componentType !== 'uint16') {
    throw new UserError(`${what}: unsupported dtype ${componentType} (only uint8 and uint16)`);
  }
  if (components !== 1)
    throw new UserError(`${what}: ${components} components per pixel (only single-component images)`);
  const size = image.size;
  if (dimension < 2 || dimension > 3 || size.length !== dimension)
    throw new UserError(`${what}: ${dimension}-D image (only 2-D or 3-D)`);
  const shape: Shape3 = dimension === 2 ? [1, size[1]!, size[0]!] : [size[2]!, size[1]!, size[0]!];
  return { shape, dtype: componentType };
}

function geometry(image: Image): Pick<VolumeSource, 'voxelSizeUm' | 'affine'> {
  const dim = image.imageType.dimension;
  const spacing = [...image.spacing, 1, 1].slice(0, 3).map((s) => s * 1000);
  const origin = [...image.origin, 0, 0].slice(0, 3).map((o) => o * 1000);
  const dir = (i: number, j: number) => (i < dim && j < dim ? Number(image.direction[i * dim + j]) : i === j ? 1 : 0);
  const affine: number[] = [];
  for (let i = 0; i < 3; i++)
    affine.push(dir(i, 0) * spacing[0]!, dir(i, 1) * spacing[1]!, dir(i, 2) * spacing[2]!, origin[i]!);
  affine.push(0, 0, 0, 1);
  return { voxelSizeUm: [spacing[2]!, spacing[1]!, spacing[0]!], affine };
}

function lazyVolume(
  shape: Shape3,
  dtype: 'uint8' | 'uint16',
  info: Pick<VolumeSource, 'voxelSizeUm' | 'affine'>,
  load: () => Promise<Voxels>,
  what: string,
): VolumeSource {
  let pixels: Promise<Voxels> | undefined;
  const volume: VolumeSource = {
    shape,
    dtype,
    warnings: [],
    ...info,
    async readSlab(z0, z1) {
      assertSlabRange(shape, z0, z1, what);
      pixels ??= load();
      const plane = shape[1] * shape[2];
      return (await pixels).subarray(z0 * plane, z1 * plane);
    },
  };
  volume.sampleValues = (count) => samplePlanes(volume, count);
  return volume;
}

function readFailure(file: string, format: string, err: unknown): UserError {
  const reason = err instanceof Error ? err.message : String(err);
  return new UserError(
    `${file}: cannot read as ${FORMAT_NAMES[format] ?? format} (${reason.split('\n')[0]}): wrong or corrupt header?`,
    { cause: err },
  );
}

/** The first `max` bytes of a file (64 KiB hold any MetaImage or NRRD header; 4 KiB a NIfTI one, even gzipped). */
async function headBytes(abs: string, max: number): Promise<Buffer> {
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Voxel count and bytes per voxel a MetaImage or NRRD text header claims, when it says. */
function claimedByTextHeader(format: string, head: string): { voxels: number; bytesPer: number } | undefined {
  const field = (re: RegExp) => re.exec(head)?.[1]?.trim();
  const dims = field(format === 'mha' ? /^\s*DimSize\s*=\s*(.+)$/m : /^sizes:\s*(.+)$/m);
  const type = field(format === 'mha' ? /^\s*ElementType\s*=\s*(\S+)/m : /^type:\s*(.+)$/m)?.toLowerCase();
  if (!dims || !type) return undefined;
  const n = dims.split(/\s+/).map(Number);
  if (!n.length || n.some((v) => !Number.isFinite(v) || v < 0)) return undefined;
  const bytesPer = /short|16/.test(type) ? 2 : /char|int8|uint8|^u?char/.test(type) ? 1 : 4;
  return { voxels: n.reduce((a, b) => a * b, 1), bytesPer };
}

/**
 * Voxel count and bytes per voxel a NIfTI-1 header claims (dim[1..dim[0]] at byte 42, bitpix at 72), read from the
 * first 4 KiB of the file (gunzipped for .nii.gz: at most 4 MiB, deflate's ratio), before itk-wasm sees it.
 */
async function claimedByNiftiHeader(abs: string): Promise<{ voxels: number; bytesPer: number } | undefined> {
  let head = await headBytes(abs, 4096);
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      return undefined;
    }
  }
  if (head.length < 348) return undefined;
  // sizeof_hdr is 348 in the file's byte order.
  const le = head.readInt32LE(0) === 348;
  if (!le && head.readInt32BE(0) !== 348) return undefined;
  const i16 = (at: number) => (le ? head.readInt16LE(at) : head.readInt16BE(at));
  const rank = i16(40);
  if (rank < 1 || rank > 7) return undefined;
  let voxels = 1;
  for (let d = 1; d <= rank; d++) voxels *= Math.max(1, i16(40 + 2 * d));
  return { voxels, bytesPer: Math.max(1, i16(72) / 8) };
}

/**
 * Refuses a header that claims more voxels than its file can hold even compressed (an MHA header claiming 60000³
 * had itk-wasm allocate gigabytes). MetaImage and NRRD text headers are read before itk-wasm sees the file; a
 * MetaImage header's separate data file (ElementDataFile) counts. `shape` (from itk-wasm's header read) covers the rest.
 */
async function assertPlausibleSize(
  abs: string,
  file: string,
  format: string,
  shape?: Shape3,
  dtype?: 'uint8' | 'uint16',
): Promise<void> {
  let bytes = (await stat(abs)).size;
  let claimed = shape && dtype ? shape[0] * shape[1] * shape[2] * (dtype === 'uint16' ? 2 : 1) : 0;
  let what = shape ? `${shape.join(' x ')} voxels` : '';
  if (format === 'mha' || format === 'nrrd') {
    const head = (await headBytes(abs, 64 << 10)).toString('latin1');
    const data = format === 'mha' ? /^\s*ElementDataFile\s*=\s*(.+?)\s*$/m.exec(head)?.[1] : undefined;
    if (data && data !== 'LOCAL' && !data.startsWith('LIST') && !data.includes('%')) {
      const other = await stat(path.resolve(path.dirname(abs), data)).catch(() => undefined);
      if (other) bytes += other.size;
    }
    const said = shape ? undefined : claimedByTextHeader(format, head);
    if (said) {
      claimed = said.voxels * said.bytesPer;
      what = `${said.voxels} voxels`;
    }
  } else if (format === 'nifti' && !shape) {
    const said = await claimedByNiftiHeader(abs);
    if (said) {
      claimed = said.voxels * said.bytesPer;
      what = `${said.voxels} voxels`;
    }
  }
  if (claimed > limit('compressionRatio') * bytes)
    throw new UserError(
      `${file}: the header claims ${what} (${claimed} bytes), more than ${bytes} bytes of file can hold even compressed: corrupt header?`,
    );
}

/** NRRD / NIfTI / MetaImage file (absolute path given to itk-wasm). */
export async function openItkImage(
  file: string,
  format: 'nrrd' | 'nifti' | 'mha',
  opts: { maxDim?: number } = {},
): Promise<{ volume: VolumeSource }> {
  const abs = path.resolve(file);
  let header: Image;
  await assertPlausibleSize(abs, file, format);
  try {
    header = await readImageNode(abs, { informationOnly: true });
  } catch (err) {
    throw readFailure(file, format, err);
  }
  const { shape, dtype } = describeImage(header, file);
  if (opts.maxDim !== undefined) assertDims(shape, opts.maxDim, file);
  await assertPlausibleSize(abs, file, format, shape, dtype);
  const load = async (): Promise<Voxels> => {
    let image: Image;
    try {
      image = await readImageNode(abs);
    } catch (err) {
      throw readFailure(file, format, err);
    }
    const data = image.data as Voxels | null;
    if (!data || data.length !== shape[0] * shape[1] * shape[2])
      throw new UserError(`${file}: voxel data is truncated`);
    return data;
  };
  return { volume: lazyVolume(shape, dtype, geometry(header), load, file) };
}

/** A DICOM series: the files of one folder, sorted by itk-wasm by slice position. */
export async function openDicomSeries(
  files: string[],
  opts: { maxDim?: number } = {},
): Promise<{ volume: VolumeSource; extra: Record<string, unknown> }> {
  const abs = files.map((f) => path.resolve(f));
  const where = path.dirname(abs[0]!);
  let image: Image;
  let sorted: unknown;
  try {
    const result = await readImageDicomFileSeriesNode({ inputImages: abs });
    image = result.outputImage;
    sorted = result.sortedFilenames;
  } catch (err) {
    throw readFailure(where, 'dicom', err);
  }
  const { shape, dtype } = describeImage(image, where);
  if (opts.maxDim !== undefined) assertDims(shape, opts.maxDim, where);
  const data = image.data as Voxels | null;
  if (!data || data.length !== shape[0] * shape[1] * shape[2])
    throw new UserError(`${where}: DICOM voxel data is incomplete`);
  const volume = lazyVolume(shape, dtype, geometry(image), async () => data, where);
  const order = Array.isArray(sorted) ? sorted.map((f) => path.basename(String(f))) : undefined;
  return { volume, extra: order ? { dicomSliceOrder: order } : {} };
}
