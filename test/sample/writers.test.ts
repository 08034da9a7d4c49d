// The sample's file writers, read back by independent readers (geotiff, utif2, fast-png, zarrita).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromArrayBuffer } from 'geotiff';
import UTIF from 'utif2';
import { decode } from 'fast-png';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import { encodeTiff } from '../../src/formats/tiff-writer.js';
import { encodeGrayPng } from '../../sample-data/writers/png.js';
import { downsample2x, writeOmeZarr } from '../../sample-data/writers/ome-zarr.js';
import { readFile } from 'node:fs/promises';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-sample-writers-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('encodeTiff', () => {
  const w = 37;
  const h = 23;
  const u16 = Uint16Array.from({ length: w * h }, (_, i) => (i * 2654435761) % 65536);
  const u8 = Uint8Array.from({ length: w * h }, (_, i) => (i * 31) % 256);

  it('writes 8-bit RGBA that geotiff reads back exactly, pixel-interleaved', async () => {
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 97 + 13) % 256);
    const bytes = encodeTiff(rgba, w, h, 4);
    const tiff = await fromArrayBuffer(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    );
    const img = await tiff.getImage();
    expect([img.getWidth(), img.getHeight(), img.getSamplesPerPixel()]).toEqual([w, h, 4]);
    const interleaved = (await img.readRasters({ interleave: true })) as unknown as Uint8Array;
    expect(Array.from(interleaved)).toEqual(Array.from(rgba));
  });

  it('writes uint16 that geotiff reads back exactly', async () => {
    const bytes = encodeTiff(u16, w, h);
    const tiff = await fromArrayBuffer(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    );
    const img = await tiff.getImage();
    expect([img.getWidth(), img.getHeight(), img.getBitsPerSample()]).toEqual([w, h, 16]);
    const [band] = (await img.readRasters()) as unknown as Uint16Array[];
    expect(Array.from(band!)).toEqual(Array.from(u16));
  });

  it('writes uint8 that utif2 reads back exactly', () => {
    const bytes = encodeTiff(u8, w, h);
    const ifds = UTIF.decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    UTIF.decodeImage(bytes.buffer as ArrayBuffer, ifds[0]!);
    expect([ifds[0]!.width, ifds[0]!.height]).toEqual([w, h]);
    expect(Array.from(ifds[0]!.data as Uint8Array)).toEqual(Array.from(u8));
  });

  it('rejects a size mismatch', () => {
    expect(() => encodeTiff(u8, w + 1, h)).toThrow(/values for a/);
  });
});

describe('encodeGrayPng', () => {
  it('round-trips through fast-png', () => {
    const data = Uint8Array.from({ length: 12 * 5 }, (_, i) => i * 4);
    const png = decode(encodeGrayPng(data, 12, 5));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([12, 5, 1, 8]);
    expect(Array.from(png.data)).toEqual(Array.from(data));
  });
});

describe('writeOmeZarr', () => {
  it('writes NGFF multiscales that zarrita reads, level 1 the 2x2x2 mean', async () => {
    const shape: [number, number, number] = [6, 9, 10];
    const data = Uint8Array.from({ length: 6 * 9 * 10 }, (_, i) => (i * 7) % 251);
    const dir = path.join(tmp, 'v.zarr');
    await writeOmeZarr(dir, {
      name: 'v',
      levels: [{ data, shape }, downsample2x(data, shape)],
      voxelSizeUm: [2, 2, 2],
      chunk: 4,
      attrs: { aunn: { energyKeV: 70 } },
    });
    const attrs = JSON.parse(await readFile(path.join(dir, '.zattrs'), 'utf8'));
    expect(attrs.aunn.energyKeV).toBe(70);
    expect(
      attrs.multiscales[0].datasets.map(
        (d: { coordinateTransformations: Array<{ scale: number[] }> }) => d.coordinateTransformations[0]!.scale,
      ),
    ).toEqual([
      [2, 2, 2],
      [4, 4, 4],
    ]);
    const store = new FileSystemStore(dir);
    const l0 = await zarr.get(await zarr.open.v2(zarr.root(store).resolve('0'), { kind: 'array' }));
    expect(l0.shape).toEqual(shape);
    expect(Array.from(l0.data as Uint8Array)).toEqual(Array.from(data));
    const l1 = await zarr.get(await zarr.open.v2(zarr.root(store).resolve('1'), { kind: 'array' }));
    expect(l1.shape).toEqual([3, 5, 5]);
    const at = (z: number, y: number, x: number) => data[(z * 9 + y) * 10 + x]!;
    let sum = 0;
    for (const [z, y, x] of [
      [0, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
      [0, 1, 1],
      [1, 0, 0],
      [1, 0, 1],
      [1, 1, 0],
      [1, 1, 1],
    ] as const)
      sum += at(z, y, x);
    expect((l1.data as Uint8Array)[0]).toBe(Math.round(sum / 8));
  });
});
