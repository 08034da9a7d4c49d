import { readFileSync, writeFileSync, mkdirSync, truncateSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import UTIF from 'utif2';
import { UserError } from '../../src/core/errors.js';
import { openTiffPages, openTiffStack } from '../../src/ingest/readers/tiff.js';
import { TiffFile } from '../../src/formats/tiff-reader.js';
import { discover } from '../../src/ingest/discover.js';
import { copyFixture, expectVolume, FIXTURES, tempDir, v16, v8 } from './fixture-values.js';

const T = path.join(FIXTURES, 'tiff');

describe('TIFF written by python tifffile and Pillow', () => {
  it('reads a 16-bit deflate+predictor slice stack with several strips, and its meta.json', async () => {
    const [item] = await discover(path.join(T, 'stack16-deflate'), {});
    expect(item!.source.format).toBe('tiff-stack');
    expect(item!.volume.shape).toEqual([4, 20, 24]);
    expect(item!.volume.voxelSizeUm).toEqual([7.91, 7.91, 7.91]);
    expect(item!.volume.energyKeV).toBe(54);
    expect(item!.scroll).toBe('stack16-deflate');
    expect(item!.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    await expectVolume(item!.volume, v16, 3);
  });

  it('reads 8-bit LZW slices (Pillow) in natural order of their numbers', async () => {
    const [item] = await discover(path.join(T, 'stack8-lzw'), {});
    expect(item!.volume.dtype).toBe('uint8');
    await expectVolume(item!.volume, v8);
  });

  it('reads PackBits, big-endian multi-page, tiled and BigTIFF files', async () => {
    await expectVolume(await openTiffPages(path.join(T, 'packbits8.tif')), v8);
    const be = await openTiffPages(path.join(T, 'multipage16-be.tif'));
    expect(be.shape).toEqual([3, 20, 24]);
    await expectVolume(be, v16, 2);
    const tiled = await openTiffPages(path.join(T, 'tiled16.tif'));
    expect(tiled.shape).toEqual([2, 36, 40]);
    await expectVolume(tiled, v16, 1);
    await expectVolume(await openTiffPages(path.join(T, 'bigtiff8.tif')), v8);
  });

  it('reads a 20-page file (pages past the 16th reread their strip tables)', async () => {
    const pages = await openTiffPages(path.join(T, 'pages20-u8.tif'));
    expect(pages.shape).toEqual([20, 6, 5]);
    await expectVolume(pages, v8, 7);
  });

  it('a folder of multi-page files stacks their pages in order', async () => {
    const dir = tempDir();
    copyFileSync(path.join(T, 'multipage16-be.tif'), path.join(dir, 'part1.tif'));
    copyFileSync(path.join(T, 'stack16-deflate', '00003.tif'), path.join(dir, 'part2.tif'));
    const [item] = await discover(dir, {});
    expect(item!.volume.shape).toEqual([4, 20, 24]);
    await expectVolume(item!.volume, v16, 3);
  });

  it('reads only the planes asked for (a slab from the middle)', async () => {
    const be = await openTiffPages(path.join(T, 'multipage16-be.tif'));
    const slab = await be.readSlab(1, 2);
    expect(slab.length).toBe(20 * 24);
    expect(slab[5 * 24 + 7]).toBe(v16(1, 5, 7));
  });
});

describe('plain pages read straight into the slab', () => {
  it('uncompressed native-order pages (tifffile, 8 and 16 bit) go straight in, equal to the decoded page; others decline', async () => {
    const plain = [path.join(FIXTURES, 'segment', '20230101000000', 'layers', '07.tif'), path.join(T, 'bigtiff8.tif')];
    for (const file of plain) {
      const tiff = await TiffFile.open(file);
      const page = tiff.pages[0]!;
      const dest = new Uint8Array(page.width * page.height * (page.bitsPerSample / 8));
      expect(await tiff.readPageInto(0, dest), file).toBe(true);
      const decoded = await tiff.readPage(0);
      expect(Buffer.from(dest).equals(Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength))).toBe(true);
      expect(await tiff.readPageInto(0, new Uint8Array(dest.length - 1)), 'a wrong size declines').toBe(false);
      await tiff.close();
    }
    // big-endian, deflate, tiled: decoded by readPage
    for (const name of ['multipage16-be.tif', 'tiled16.tif', 'stack16-deflate/00000.tif']) {
      const tiff = await TiffFile.open(path.join(T, name));
      const page = tiff.pages[0]!;
      expect(await tiff.readPageInto(0, new Uint8Array(page.width * page.height * 2)), name).toBe(false);
      await tiff.close();
    }
  });
});

describe('TIFF written by utif2 (RGBA encoder)', () => {
  it('keeps the first sample of each pixel', async () => {
    const dir = tempDir();
    const w = 13,
      h = 9;
    for (let z = 0; z < 2; z++) {
      const rgba = new Uint8Array(w * h * 4);
      for (let i = 0; i < w * h; i++) {
        rgba[i * 4] = v8(z, Math.floor(i / w), i % w);
        rgba[i * 4 + 1] = 1;
        rgba[i * 4 + 2] = 2;
        rgba[i * 4 + 3] = 255;
      }
      writeFileSync(path.join(dir, `slice${z}.tif`), Buffer.from(UTIF.encodeImage(rgba, w, h)));
    }
    const [item] = await discover(dir, { scroll: 'utif' });
    expect(item!.volume.shape).toEqual([2, h, w]);
    await expectVolume(item!.volume, v8);
  });
});

describe('bad TIFF input', () => {
  const expectUserError = async (p: Promise<unknown>, pattern: RegExp) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(pattern);
  };

  it('volume_grids cells (multi-page tiles in y, x, z) are refused, not stacked into a wrong volume', async () => {
    const dir = path.join(tempDir(), 'volume_grids', '20230205180739');
    mkdirSync(dir, { recursive: true });
    for (const name of ['cell_yxz_001_001_001.tif', 'cell_yxz_001_002_001.tif'])
      copyFileSync(path.join(FIXTURES, 'tiff', 'multipage16-be.tif'), path.join(dir, name));
    await expectUserError(discover(dir, {}), /volume_grids cells \(cell_yxz_001_001_001\.tif: tiles in y, x and z\)/);
  });

  it('a truncated file names the file and says truncated', async () => {
    const file = copyFixture('tiff/multipage16-be.tif');
    truncateSync(file, 1500);
    await expectUserError(openTiffPages(file), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated`));
  });

  it('a truncated slice inside a stack is found when the stack is opened', async () => {
    const dir = copyFixture('tiff/stack16-deflate');
    truncateSync(path.join(dir, '00002.tif'), 300);
    await expectUserError(discover(dir, {}), /00002\.tif: truncated/);
  });

  it('corrupt deflate data is a UserError when the slab is read', async () => {
    const dir = copyFixture('tiff/stack16-deflate');
    const file = path.join(dir, '00001.tif');
    const tiff = await TiffFile.open(file);
    const offset = tiff.pages[0]!.offsets[0]!;
    await tiff.close();
    const bytes = readFileSync(file);
    for (let i = 2; i < 20; i++) bytes[offset + i] = 0xff;
    writeFileSync(file, bytes);
    const [item] = await discover(dir, {});
    await expectUserError(
      item!.volume.readSlab(1, 2),
      /00001\.tif: corrupt TIFF \(strip 0: deflate data does not decompress/,
    );
  });

  it('a non-image file renamed .tif', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'notes.tif'), 'these are my notes, not an image\n');
    await expectUserError(discover(path.join(dir, 'notes.tif'), {}), /notes\.tif: not a TIFF file/);
    copyFileSync(path.join(T, 'packbits8.tif'), path.join(dir, '00000.tif'));
    await expectUserError(discover(dir, {}), /notes\.tif: not a TIFF file/);
  });

  it('slices of different sizes or dtypes in one stack', async () => {
    const sizes = copyFixture('tiff/stack8-lzw');
    copyFileSync(path.join(T, 'tiled16.tif'), path.join(sizes, 'slice_99.tif'));
    await expectUserError(
      discover(sizes, {}),
      /slice_99\.tif: slice is 40x36 uint16, but .*slice_8\.tif is 24x20 uint8/,
    );
    const dtypes = tempDir();
    mkdirSync(path.join(dtypes, 'stack'));
    copyFileSync(path.join(T, 'stack16-deflate', '00000.tif'), path.join(dtypes, 'stack', '0.tif'));
    copyFileSync(path.join(T, 'stack8-lzw', 'slice_8.tif'), path.join(dtypes, 'stack', '1.tif'));
    await expectUserError(
      discover(path.join(dtypes, 'stack'), {}),
      /1\.tif: slice is 24x20 uint8, but .*0\.tif is 24x20 uint16/,
    );
  });

  it('an unsupported dtype (float32) names the dtype', async () => {
    await expectUserError(discover(path.join(T, 'float32.tif'), {}), /float32\.tif: unsupported dtype float32/);
  });
});
