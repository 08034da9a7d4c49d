import { cpSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { UserError } from '../../src/core/errors.js';
import { discover } from '../../src/ingest/discover.js';
import { copyFixture, expectVolume, FIXTURES, tempDir, v16, vLayers } from './fixture-values.js';
import { tifxyzOnlySurfaces } from '../../src/ingest/volpkg-surfaces.js';

const SEG = '20230101000000';

const expectUserError = async (p: Promise<unknown>, pattern: RegExp) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(pattern);
};

/** Ink labels written by Pillow: 255 in rows 2..4 x cols 3..6, 200 at (6,1), 100 at (6,2). */
const inkAt = (_z: number, y: number, x: number) =>
  (y >= 2 && y < 5 && x >= 3 && x < 7) || (y === 6 && x === 1) ? 255 : 0;

/** The infrared photo written by Pillow (scripts/make-fixtures.py fragment_ir): dark ink where the labels' block is. */
const irAt = (_z: number, y: number, x: number) => (y >= 2 && y < 5 && x >= 3 && x < 7 ? 20 + x : 120 + 5 * y + 3 * x);

describe('segments', () => {
  it('a segment folder → layers [65,H,W], ink labels and mask of one group, mesh attached', async () => {
    const dir = path.join(FIXTURES, 'segment', SEG);
    const items = await discover(dir, { scroll: 'scroll9' });
    expect(items.map((i) => [i.name, i.modality])).toEqual([
      [`${SEG}/layers`, 'segment-layers'],
      [`${SEG}/inklabels`, 'ink-labels'],
      [`${SEG}/mask`, 'mask'],
    ]);
    const [layers, ink, mask] = items as [(typeof items)[0], (typeof items)[0], (typeof items)[0]];
    expect(new Set(items.map((i) => i.group))).toEqual(new Set([`scroll9/${SEG}`]));
    expect(layers.volume.shape).toEqual([65, 8, 10]);
    expect(layers.extra?.surfaceLayer).toBe(32);
    expect(layers.extra?.segmentMeta).toMatchObject({ uuid: SEG, format: 'obj' });
    expect(layers.extra?.mesh).toMatchObject({ format: 'obj', vertices: 4, uvs: 4, faces: 2, hasUV: true });
    expect(layers.attachments).toEqual({ 'mesh.obj': path.join(dir, `${SEG}.obj`) });
    await expectVolume(layers.volume, vLayers, 16);
    expect(ink.volume.shape).toEqual([1, 8, 10]);
    await expectVolume(ink.volume, inkAt, 1);
    // The mask is the valid sheet, not a labelled area: this segment's meta.json names no labelledRegion.
    expect(ink.extra?.sheetMask).toBe(`${SEG}/mask`);
    expect(ink.extra?.labelledRegion).toBeUndefined();
    await expectVolume(mask.volume, (_z, _y, x) => (x < 6 ? 255 : 0), 1);
  });

  it('a tifxyz segment keeps x/y/z.tif and meta.json as attachments', async () => {
    const dir = copyFixture(`segment/${SEG}`);
    renameSync(path.join(dir, `${SEG}.obj`), path.join(dir, 'old-mesh.txt'));
    for (const axis of ['x', 'y', 'z'])
      copyFileSync(path.join(FIXTURES, 'tiff', 'float32.tif'), path.join(dir, `${axis}.tif`));
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ format: 'tifxyz', scale: [0.05, 0.05], uuid: SEG }));
    const [layers] = await discover(dir, { as: 'segment', scroll: 's' });
    expect(layers!.extra?.mesh).toEqual({ format: 'tifxyz', folder: '.', scale: [0.05, 0.05] });
    expect(Object.keys(layers!.attachments!).sort()).toEqual(['tifxyz.json', 'x.tif', 'y.tif', 'z.tif']);
  });

  it("VC3D's tifxyz segment with rendered layers: mask.tif on the coarser tifxyz grid goes with the surface", async () => {
    const dir = copyFixture(`segment/${SEG}`);
    rmSync(path.join(dir, `${SEG}.obj`));
    rmSync(path.join(dir, `${SEG}_mask.png`));
    for (const axis of ['x', 'y', 'z'])
      copyFileSync(path.join(FIXTURES, 'tiff', 'float32.tif'), path.join(dir, `${axis}.tif`));
    // A Pillow-written single-page TIFF of another size than the layers stands for the grid's mask.
    copyFileSync(path.join(FIXTURES, 'tiff', 'packbits8.tif'), path.join(dir, 'mask.tif'));
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ format: 'tifxyz', scale: [0.05, 0.05], uuid: SEG }));
    const items = await discover(dir, { as: 'segment', scroll: 's' });
    expect(items.map((i) => i.modality)).toEqual(['segment-layers', 'ink-labels']);
    expect(Object.keys(items[0]!.attachments!).sort()).toEqual([
      'tifxyz-mask.tif',
      'tifxyz.json',
      'x.tif',
      'y.tif',
      'z.tif',
    ]);
    expect(items[0]!.extra?.mesh).toMatchObject({ format: 'tifxyz', mask: 'tifxyz-mask.tif' });
    expect(items[1]!.extra?.sheetMask).toBeUndefined();
    // a mask.tif of several pages (tifffile, big-endian, 3 pages) goes with the surface too, not refused
    copyFileSync(path.join(FIXTURES, 'tiff', 'multipage16-be.tif'), path.join(dir, 'mask.tif'));
    const again = await discover(dir, { as: 'segment', scroll: 's' });
    expect(again.map((i) => i.modality)).toEqual(['segment-layers', 'ink-labels']);
    expect(again[0]!.attachments!['tifxyz-mask.tif']).toBe(path.join(dir, 'mask.tif'));
  });

  it('a tifxyz surface without rendered layers is refused by name, alone or inside a volpkg (not skipped silently)', async () => {
    const tifxyz = (dir: string) => {
      mkdirSync(dir, { recursive: true });
      for (const axis of ['x', 'y', 'z'])
        copyFileSync(path.join(FIXTURES, 'tiff', 'float32.tif'), path.join(dir, `${axis}.tif`));
      writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ format: 'tifxyz', type: 'seg', uuid: 'w01' }));
    };
    const alone = path.join(tempDir(), 'w01');
    tifxyz(alone);
    await expectUserError(discover(alone, {}), /w01: a tifxyz surface without rendered layers \(no layers\/\)/);
    const pkg = path.join(tempDir(), 'scroll5.volpkg');
    mkdirSync(path.join(pkg, 'volumes'), { recursive: true });
    writeFileSync(path.join(pkg, 'config.json'), JSON.stringify({ name: 'scroll5' }));
    cpSync(path.join(FIXTURES, 'tiff', 'stack16-deflate'), path.join(pkg, 'volumes', '20230525'), { recursive: true });
    tifxyz(path.join(pkg, 'paths', 'w01'));
    // with a scan in the package, aunn ingest renders the surface from it (test/ingest/render-tifxyz.test.ts)
    const items = await discover(pkg, {});
    expect(items.map((i) => i.name)).toEqual(['20230525']);
    expect(await tifxyzOnlySurfaces(pkg)).toEqual([{ dir: path.join(pkg, 'paths', 'w01') }]);
    // without one, the package's other items say it
    const noScan = path.join(tempDir(), 'frag.volpkg');
    mkdirSync(noScan, { recursive: true });
    writeFileSync(path.join(noScan, 'config.json'), JSON.stringify({ name: 'frag' }));
    cpSync(path.join(FIXTURES, 'segment', SEG), path.join(noScan, 'paths', SEG), { recursive: true });
    tifxyz(path.join(noScan, 'paths', 'w01'));
    const segItems = await discover(noScan, {});
    expect(segItems[0]!.volume.warnings.join('\n')).toMatch(/paths\/w01: a tifxyz surface without rendered layers/);
  });

  it('a fragment (surface_volume/, inklabels.png, mask.png, no mesh)', async () => {
    const dir = path.join(tempDir(), 'Frag1');
    cpSync(path.join(FIXTURES, 'segment', SEG), dir, { recursive: true });
    renameSync(path.join(dir, 'layers'), path.join(dir, 'surface_volume'));
    renameSync(path.join(dir, `${SEG}_inklabels.png`), path.join(dir, 'inklabels.png'));
    renameSync(path.join(dir, `${SEG}_mask.png`), path.join(dir, 'mask.png'));
    rmSync(path.join(dir, `${SEG}.obj`));
    const items = await discover(dir, {});
    expect(items.map((i) => `${i.scroll}/${i.name}`)).toEqual([
      'Frag1/Frag1/layers',
      'Frag1/Frag1/inklabels',
      'Frag1/Frag1/mask',
    ]);
    expect(items[0]!.attachments).toBeUndefined();
    await expectVolume(items[1]!.volume, inkAt, 1);
  });

  it("a fragment volpkg: volumes/ gives the scan, working/<name>/ the fragment's layers, labels and mask", async () => {
    const pkg = path.join(tempDir(), 'PHercParis2Fr47.volpkg');
    mkdirSync(path.join(pkg, 'volumes'), { recursive: true });
    writeFileSync(path.join(pkg, 'config.json'), JSON.stringify({ name: 'PHercParis2Fr47' }));
    cpSync(path.join(FIXTURES, 'tiff', 'stack16-deflate'), path.join(pkg, 'volumes', '20230525'), { recursive: true });
    const frag = path.join(pkg, 'working', '54keV_exposed_surface');
    cpSync(path.join(FIXTURES, 'segment', SEG), frag, { recursive: true });
    renameSync(path.join(frag, 'layers'), path.join(frag, 'surface_volume'));
    renameSync(path.join(frag, `${SEG}_inklabels.png`), path.join(frag, 'inklabels.png'));
    renameSync(path.join(frag, `${SEG}_mask.png`), path.join(frag, 'mask.png'));
    rmSync(path.join(frag, `${SEG}.obj`));
    cpSync(path.join(FIXTURES, 'segment', 'ir', 'ir.png'), path.join(frag, 'ir.png'));
    const items = await discover(pkg, {});
    expect(items.map((i) => [i.name, i.modality])).toEqual([
      ['20230525', 'scan'],
      ['54keV_exposed_surface/layers', 'segment-layers'],
      ['54keV_exposed_surface/inklabels', 'ink-labels'],
      ['54keV_exposed_surface/mask', 'mask'],
      ['54keV_exposed_surface/ir', 'photo'],
    ]);
    expect(new Set(items.map((i) => i.scroll))).toEqual(new Set(['PHercParis2Fr47']));
    expect(new Set(items.slice(1).map((i) => i.group))).toEqual(new Set(['PHercParis2Fr47/54keV_exposed_surface']));
    await expectVolume(items[1]!.volume, vLayers, 16);
    await expectVolume(items[2]!.volume, inkAt, 1);
    // the infrared photo is kept as Pillow wrote it (grey values, not binarized), with where its ink shows
    await expectVolume(items[4]!.volume, irAt, 1);
    expect(items[4]!.extra).toMatchObject({ segment: '54keV_exposed_surface', band: 'infrared', inkIs: 'dark' });
  });

  it('an infrared photo of another size than the layers is refused, naming it', async () => {
    const dir = copyFixture(`segment/${SEG}`);
    writeFileSync(
      path.join(dir, 'ir.png'),
      encodePng({ width: 4, height: 3, data: new Uint8Array(12), depth: 8, channels: 1 }),
    );
    await expectUserError(discover(dir, {}), /ir\.png: 4x3 does not match the segment layers \(10x8\)/);
  });

  it('a lone ink-label PNG (fast-png encoder, 16-bit) joins its segment group by name', async () => {
    const dir = tempDir();
    const data = new Uint16Array(4 * 5).map((_, i) => (i % 3 === 0 ? 60000 : 1000));
    const file = path.join(dir, `${SEG}_inklabels.png`);
    writeFileSync(file, encodePng({ width: 5, height: 4, data, depth: 16, channels: 1 }));
    const [item] = await discover(file, { scroll: 'scroll9' });
    expect(item!.name).toBe(`${SEG}/inklabels`);
    expect(item!.group).toBe(`scroll9/${SEG}`);
    expect(item!.modality).toBe('ink-labels');
    await expectVolume(item!.volume, (_z, y, x) => ((y * 5 + x) % 3 === 0 ? 255 : 0), 1);
  });

  it('labels of another size than the layers are refused', async () => {
    const dir = copyFixture(`segment/${SEG}`);
    writeFileSync(
      path.join(dir, `${SEG}_mask.png`),
      encodePng({ width: 3, height: 3, data: new Uint8Array(9), depth: 8, channels: 1 }),
    );
    await expectUserError(
      discover(dir, {}),
      new RegExp(`${SEG}_mask\\.png: 3x3 does not match the segment layers \\(10x8\\)`),
    );
  });
});

/** A volpkg in a temp folder: one TIFF-stack volume, one segment. */
function makeVolpkg(): string {
  const pkg = path.join(tempDir(), 'PHercTest.volpkg');
  mkdirSync(path.join(pkg, 'volumes'), { recursive: true });
  mkdirSync(path.join(pkg, 'paths'));
  writeFileSync(path.join(pkg, 'config.json'), JSON.stringify({ name: 'PHerc-test', version: 6 }));
  cpSync(path.join(FIXTURES, 'tiff', 'stack16-deflate'), path.join(pkg, 'volumes', '20231201141544'), {
    recursive: true,
  });
  cpSync(path.join(FIXTURES, 'segment', SEG), path.join(pkg, 'paths', SEG), { recursive: true });
  return pkg;
}

describe('volpkg', () => {
  it('each volume and each segment becomes items of one scroll named by config.json', async () => {
    const items = await discover(makeVolpkg(), {});
    expect(items.map((i) => `${i.scroll}/${i.name}:${i.modality}`)).toEqual([
      'PHerc-test/20231201141544:scan',
      `PHerc-test/${SEG}/layers:segment-layers`,
      `PHerc-test/${SEG}/inklabels:ink-labels`,
      `PHerc-test/${SEG}/mask:mask`,
    ]);
    expect(items[0]!.volume.voxelSizeUm).toEqual([7.91, 7.91, 7.91]);
    await expectVolume(items[0]!.volume, v16, 4);
    // the segment's meta.json names another volume: not linked
    expect(items[1]!.extra?.volume).toBeUndefined();
  });

  it('refuses scroll names that could leave their place, typed or from config.json', async () => {
    for (const scroll of ['..', '.', 'a/b', 'a\\b', 'two\nlines', ' ']) {
      await expect(discover(makeVolpkg(), { scroll }), JSON.stringify(scroll)).rejects.toThrow(/scroll name/);
    }
    for (const name of ['../../evil', '..', 'evil\nname']) {
      const pkg = makeVolpkg();
      writeFileSync(path.join(pkg, 'config.json'), JSON.stringify({ name, version: 6 }));
      await expect(discover(pkg, {}), JSON.stringify(name)).rejects.toThrow(/config\.json|scroll name/);
    }
  });

  it('a segment whose meta.json names a volume of the package takes its voxel size', async () => {
    const pkg = makeVolpkg();
    const metaFile = path.join(pkg, 'paths', SEG, 'meta.json');
    writeFileSync(metaFile, JSON.stringify({ type: 'seg', uuid: SEG, volume: '20231201141544' }));
    const items = await discover(pkg, {});
    for (const item of items.slice(1)) {
      expect(item.extra?.volume).toBe('20231201141544');
      expect(item.volume.voxelSizeUm).toEqual([7.91, 7.91, 7.91]);
    }
  });

  it('a segment given inside <pkg>/paths takes the package name as scroll', async () => {
    const pkg = makeVolpkg();
    const items = await discover(path.join(pkg, 'paths', SEG), {});
    expect(items[0]!.scroll).toBe('PHerc-test');
    const all = await discover(path.join(pkg, 'paths'), {});
    expect(all[0]!.scroll).toBe('PHerc-test');
    const [labels] = await discover(path.join(pkg, 'paths', SEG, `${SEG}_inklabels.png`), {});
    expect(labels!.scroll).toBe('PHerc-test');
    expect(labels!.group).toBe(`PHerc-test/${SEG}`);
  });

  it('a path that escapes the folder (symlink to ../..) is refused', async () => {
    const pkg = makeVolpkg();
    const outside = path.join(path.dirname(pkg), 'outside-volume');
    cpSync(path.join(FIXTURES, 'tiff', 'stack8-lzw'), outside, { recursive: true });
    symlinkSync(path.join('..', '..', 'outside-volume'), path.join(pkg, 'volumes', 'evil'));
    await expectUserError(discover(pkg, {}), /volumes\/evil: path inside the volpkg escapes the folder/);
  });

  it('a slice symlinked out of the package is refused too', async () => {
    const pkg = makeVolpkg();
    writeFileSync(path.join(path.dirname(pkg), 'secret.tif'), 'x');
    symlinkSync(path.join('..', '..', '..', 'secret.tif'), path.join(pkg, 'volumes', '20231201141544', '00009.tif'));
    await expectUserError(discover(pkg, {}), /00009\.tif: path inside the volpkg escapes the folder/);
  });
});

describe('general bad input', () => {
  it('a missing path', async () => {
    await expectUserError(discover('/no/such/scan.tif', {}), /\/no\/such\/scan\.tif: no such file or folder/);
  });

  it('an empty folder', async () => {
    const dir = tempDir();
    await expectUserError(discover(dir, {}), new RegExp(`${dir}: empty folder`));
  });

  it('dimensions over maxDim', async () => {
    await expectUserError(
      discover(path.join(FIXTURES, 'tiff', 'tiled16.tif'), { maxDim: 38 }),
      /tiled16\.tif: dimension x = 40 is over the limit of 38/,
    );
    const items = await discover(path.join(FIXTURES, 'tiff', 'tiled16.tif'), { maxDim: 40 });
    expect(items[0]!.volume.shape).toEqual([2, 36, 40]);
  });

  it('an unrecognised file', async () => {
    const file = path.join(tempDir(), 'blob.bin');
    writeFileSync(file, Buffer.from([0, 1, 2, 3, 0, 0, 9]));
    await expectUserError(discover(file, {}), /blob\.bin: unrecognised format/);
  });

  it('a window is passed on for 16-bit sources only', async () => {
    const [scan] = await discover(path.join(FIXTURES, 'tiff', 'stack16-deflate'), { window: [1000, 60000] });
    expect(scan!.window).toEqual([1000, 60000]);
    const [small] = await discover(path.join(FIXTURES, 'tiff', 'packbits8.tif'), { window: [1000, 60000] });
    expect(small!.window).toBeUndefined();
  });
});
