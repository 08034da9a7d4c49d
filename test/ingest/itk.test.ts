import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeImageNode } from '@itk-wasm/image-io';
import type { Image } from 'itk-wasm';
import { UserError } from '../../src/core/errors.js';
import { discover } from '../../src/ingest/discover.js';
import { expectVolume, FIXTURES, tempDir, v16, v8 } from './fixture-values.js';

const expectUserError = async (p: Promise<unknown>, pattern: RegExp) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(pattern);
};

/** An itk-wasm image [x, y, z] filled from value(z, y, x). */
function itkImage(
  shape: [number, number, number],
  dtype: 'uint8' | 'uint16',
  value: (z: number, y: number, x: number) => number,
): Image {
  const [d, h, w] = shape;
  const data = dtype === 'uint16' ? new Uint16Array(d * h * w) : new Uint8Array(d * h * w);
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(z * h + y) * w + x] = value(z, y, x);
  return {
    imageType: { dimension: 3, componentType: dtype, pixelType: 'Scalar', components: 1 },
    name: 'fixture',
    origin: [1, 2, 3],
    spacing: [0.004, 0.005, 0.006],
    direction: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]),
    size: [w, h, d],
    metadata: new Map(),
    data,
  } as unknown as Image;
}

describe('NRRD / NIfTI / MetaImage written by itk-wasm writeImageNode', () => {
  for (const [ext, format] of [
    ['nrrd', 'nrrd'],
    ['nii', 'nifti'],
    ['nii.gz', 'nifti'],
    ['mha', 'mha'],
  ] as const) {
    it(`.${ext}: values, voxel size (mm → µm) and affine`, async () => {
      const file = path.join(tempDir(), `vol.${ext}`);
      await writeImageNode(itkImage([5, 7, 6], 'uint16', v16), file);
      const [item] = await discover(file, { scroll: 'itk' });
      expect(item!.source.format).toBe(format);
      expect(item!.name).toBe('vol');
      expect(item!.volume.shape).toEqual([5, 7, 6]);
      const [vz, vy, vx] = item!.volume.voxelSizeUm!;
      expect([vz, vy, vx].map((v) => Math.round(v * 1000) / 1000)).toEqual([6, 5, 4]);
      const affine = item!.volume.affine!;
      expect(Math.abs(affine[0]!)).toBeCloseTo(4, 3); // x spacing in µm
      expect(Math.abs(affine[3]!)).toBeCloseTo(1000, 3); // origin x 1 mm
      await expectVolume(item!.volume, v16, 2);
    });
  }

  it('.mhd with its .raw beside it; a missing .raw is a UserError', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'split.mhd');
    await writeImageNode(itkImage([3, 4, 5], 'uint16', v16), file);
    const [item] = await discover(file, {});
    expect(item!.source.format).toBe('mha');
    expect(item!.extra?.dataFile).toBe(path.join(dir, 'split.raw'));
    await expectVolume(item!.volume, v16, 3);
    rmSync(path.join(dir, 'split.raw'));
    await expectUserError(discover(file, {}), /split\.mhd: its data file split\.raw \(ElementDataFile\) is missing/);
  });

  it('uint8 NRRD', async () => {
    const file = path.join(tempDir(), 'small.nrrd');
    await writeImageNode(itkImage([3, 4, 5], 'uint8', v8), file);
    const [item] = await discover(file, {});
    expect(item!.volume.dtype).toBe('uint8');
    await expectVolume(item!.volume, v8, 3);
  });
});

describe('files from python writers', () => {
  it('NIfTI .nii.gz written by nibabel (x fastest on disk)', async () => {
    const [item] = await discover(path.join(FIXTURES, 'nifti', 'nibabel-u16.nii.gz'), {});
    expect(item!.volume.shape).toEqual([6, 20, 24]);
    expect(item!.volume.voxelSizeUm!.map((v) => Math.round(v))).toEqual([20, 10, 10]);
    await expectVolume(item!.volume, v16, 3);
  });

  it('a DICOM series written by pydicom, sorted by slice position (file names are in reverse order)', async () => {
    const [item] = await discover(path.join(FIXTURES, 'dicom', 'series'), { scroll: 'ct' });
    expect(item!.source.format).toBe('dicom');
    expect(item!.volume.shape).toEqual([3, 12, 16]);
    expect(item!.volume.voxelSizeUm).toEqual([2000, 500, 250]);
    await expectVolume(item!.volume, v16, 3);
  });
});

describe('bad medical-format input', () => {
  it('NIfTI with a wrong header', async () => {
    const dir = tempDir();
    const bytes = readFileSync(path.join(FIXTURES, 'nifti', 'nibabel-u16.nii.gz'));
    const { gunzipSync } = await import('node:zlib');
    const raw = gunzipSync(bytes);
    raw.writeInt32LE(999, 0); // sizeof_hdr must be 348
    writeFileSync(path.join(dir, 'bad.nii.gz'), gzipSync(raw));
    await expectUserError(discover(path.join(dir, 'bad.nii.gz'), {}), /bad\.nii\.gz: not a NIfTI file \(wrong header/);
    const magic = Buffer.from(raw);
    magic.writeInt32LE(348, 0);
    magic.write('xx1\0', 344, 'latin1');
    writeFileSync(path.join(dir, 'bad2.nii'), magic);
    await expectUserError(discover(path.join(dir, 'bad2.nii'), {}), /bad2\.nii: not a NIfTI file \(wrong header/);
  });

  it('a NRRD header that lies about its size', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'short.nrrd');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('NRRD0004\ntype: uint8\ndimension: 3\nsizes: 4 4 4\nencoding: raw\n\n'),
        Buffer.alloc(10),
      ]),
    );
    const err = await discover(file, {})
      .then((items) => items[0]!.volume.readSlab(0, 4))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/short\.nrrd: /);
  });

  it('a MetaImage header claiming 60000³ voxels over a few bytes is refused when opened, before any voxel is read', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'huge.mha');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(
          'ObjectType = Image\nNDims = 3\nDimSize = 60000 60000 60000\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n',
        ),
        Buffer.alloc(64),
      ]),
    );
    const err = await discover(file, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/huge\.mha: the header claims 216000000000000 voxels .*corrupt header\?/);
    // A real file of the same kind still opens: the .mhd/.raw pair counts its data file.
    const ok = path.join(dir, 'ok.mhd');
    writeFileSync(
      ok,
      'ObjectType = Image\nNDims = 3\nDimSize = 4 4 4\nElementType = MET_UCHAR\nElementDataFile = ok.raw\n',
    );
    writeFileSync(path.join(dir, 'ok.raw'), Buffer.alloc(64, 3));
    const [item] = await discover(ok, {});
    expect((await item!.volume.readSlab(0, 4))[5]).toBe(3);
  });

  it('an unsupported dtype (float32 NRRD)', async () => {
    const file = path.join(tempDir(), 'float.nrrd');
    const image = itkImage([2, 2, 2], 'uint8', () => 1);
    (image.imageType as { componentType: string }).componentType = 'float32';
    image.data = new Float32Array(8).fill(1.5);
    await writeImageNode(image, file);
    await expectUserError(discover(file, {}), /float\.nrrd: unsupported dtype float32/);
  });
});
