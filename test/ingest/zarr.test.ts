import { createServer, type Server } from 'node:http';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as zarr from 'zarrita';
import FileSystemStore from '@zarrita/storage/fs';
import { UserError } from '../../src/core/errors.js';
import { discover } from '../../src/ingest/discover.js';
import { planItems } from '../../src/ingest/ingest.js';
import { emptyManifest } from '../../src/corpus/index.js';
import { openZarr } from '../../src/ingest/readers/zarr.js';
import { copyFixture, expectVolume, FIXTURES, tempDir, v16, v8 } from './fixture-values.js';

const Z = path.join(FIXTURES, 'zarr');

const expectUserError = async (p: Promise<unknown>, pattern: RegExp) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(pattern);
};

describe('zarr v2 written by python zarr 2.13', () => {
  it('reads blosc-lz4 uint16 and gzip uint8 arrays value by value', async () => {
    const [a] = await discover(path.join(Z, 'v2-blosc-u16.zarr'), {});
    expect(a!.source.format).toBe('zarr-v2');
    expect(a!.name).toBe('v2-blosc-u16');
    await expectVolume(a!.volume, v16, 3);
    const b = await openZarr(path.join(Z, 'v2-gzip-u8.zarr'));
    await expectVolume(b.volume, v8, 5);
    expect(b.volume.warnings).toEqual([]);
  });

  it('reads Fortran-order chunks and the hosted layout (blosc zstd, edge chunks on every axis) value by value', async () => {
    const f = await openZarr(path.join(Z, 'v2-forder-u16.zarr'));
    await expectVolume(f.volume, v16, 2);
    const hosted = await openZarr(path.join(Z, 'v2-hosted-u8.zarr'));
    expect(hosted.volume.shape).toEqual([7, 13, 10]);
    await expectVolume(hosted.volume, v8, 3);
    // a box that starts and ends inside chunks
    const box = await openZarr(path.join(Z, 'v2-hosted-u8.zarr'), { region: { z: [1, 6], y: [3, 11], x: [2, 9] } });
    await expectVolume(box.volume, (z, y, x) => v8(z + 1, y + 3, x + 2), 2);
  });

  it('a zarr too large to take whole is refused with how to take part of it: a coarser level or a box', async () => {
    const items = await discover(path.join(Z, 'ome-u8.zarr'), { scroll: 's' });
    expect(() => planItems(emptyManifest(), items, { maxDim: 10 })).toThrow(
      /dimension y = 20 is over the limit of 10 per axis; take a coarser level \(--level 1\.\.1\) or a box of it \(--region Z0:Z1,Y0:Y1,X0:X1\)/,
    );
    // a TIFF stack has no levels or boxes to offer
    const tiff = await discover(path.join(FIXTURES, 'tiff', 'stack16-deflate'), {});
    expect(() => planItems(emptyManifest(), tiff, { maxDim: 10 })).toThrow(/over the limit of 10 per axis$/);
  });

  it('reads OME-Zarr multiscales: level 0 by default, any level on request, scale → µm, the aunn key', async () => {
    const [scan] = await discover(path.join(Z, 'ome-u8.zarr'), { scroll: 's' });
    expect(scan!.source.format).toBe('ome-zarr');
    expect(scan!.volume.voxelSizeUm).toEqual([3.24, 3.24, 3.24]);
    expect(scan!.volume.energyKeV).toBe(70);
    expect(scan!.extra?.affineToScanA).toEqual([2, 0, 0, 1, 0, 2, 0, 2, 0, 0, 2, 3, 0, 0, 0, 1]);
    await expectVolume(scan!.volume, v8);
    const level1 = await openZarr(path.join(Z, 'ome-u8.zarr'), { level: 1 });
    expect(level1.volume.shape).toEqual([3, 10, 12]);
    expect(level1.volume.voxelSizeUm).toEqual([6.48, 6.48, 6.48]);
    await expectVolume(level1.volume, (z, y, x) => v8(2 * z, 2 * y, 2 * x));
    await expectUserError(openZarr(path.join(Z, 'ome-u8.zarr'), { level: 2 }), /no multiscale level 2/);
  });

  it("takes a unit-less OME scale (scroll2zarr's [1,1,1]) as level-0 voxels: µm from meta.json, else unknown", async () => {
    // Inside a volpkg, the volume folder is the OME-Zarr and holds the Vesuvius meta.json (voxelsize 7.91).
    const dir = tempDir();
    const pkg = path.join(dir, 'PHerc0332.volpkg');
    mkdirSync(path.join(pkg, 'volumes'), { recursive: true });
    writeFileSync(path.join(pkg, 'config.json'), JSON.stringify({ name: 'PHerc0332' }));
    copyFixture('zarr/unitless/20230205180739', path.join(pkg, 'volumes'));
    const [scan] = await discover(pkg, {});
    expect(scan!.name).toBe('20230205180739');
    expect(scan!.volume.voxelSizeUm).toEqual([7.91, 7.91, 7.91]);
    expect(scan!.volume.warnings).toEqual([]);
    await expectVolume(scan!.volume, v16);
    const level1 = await openZarr(path.join(pkg, 'volumes', '20230205180739'), { level: 1 });
    expect(level1.volume.voxelSizeUm).toEqual([15.82, 15.82, 15.82]);
    // Without a meta.json the size is unknown, not 1 µm, and the warning asks for it.
    const bare = await openZarr(path.join(Z, 'unitless-bare.zarr'));
    expect(bare.volume.voxelSizeUm).toBeUndefined();
    expect(bare.volume.warnings.join('\n')).toMatch(/no unit .*give --voxel-size/);
    // --voxel-size answers it.
    const [given] = await discover(path.join(Z, 'unitless-bare.zarr'), { voxelSizeUm: [3.24, 3.24, 3.24] });
    expect(given!.volume.voxelSizeUm).toEqual([3.24, 3.24, 3.24]);
    expect(given!.volume.warnings).toEqual([]);
  });

  it('reads a surface-volume zarr (H, W, 65; one chunk per layer) as a segment of 65 layers, not a scan 65 wide', async () => {
    for (const as of [undefined, 'segment'] as const) {
      const [seg, ...rest] = await discover(path.join(Z, 'surface-volume.zarr'), { scroll: 'frag', as });
      expect(rest).toEqual([]);
      expect(seg!.modality).toBe('segment-layers');
      expect(seg!.name).toBe('surface-volume/layers');
      expect(seg!.group).toBe('frag/surface-volume');
      expect(seg!.volume.shape).toEqual([65, 140, 136]);
      expect(seg!.extra?.surfaceLayer).toBe(32);
      await expectVolume(seg!.volume, v8, 5);
    }
  });

  it('turns affineToScanA into a µm affine when scan A is ingested with it', async () => {
    const dir = tempDir();
    const pkg = path.join(dir, 'two.volpkg');
    mkdirSync(path.join(pkg, 'volumes'), { recursive: true });
    writeFileSync(path.join(pkg, 'config.json'), JSON.stringify({ name: 'two-scans' }));
    copyFixture('zarr/ome-u8.zarr', path.join(pkg, 'volumes'));
    // scan A: a TIFF stack with voxel size 7.91 µm and no matrix
    copyFixture('tiff/stack16-deflate', path.join(pkg, 'volumes'));
    const items = await discover(pkg, {});
    const b = items.find((i) => i.name === 'ome-u8')!;
    const a = items.find((i) => i.name === 'stack16-deflate')!;
    expect(b.scroll).toBe('two-scans');
    expect(b.volume.affine).toEqual(
      [2, 0, 0, 1, 0, 2, 0, 2, 0, 0, 2, 3, 0, 0, 0, 1].map((v, i) => (i < 12 ? v * 7.91 : v)),
    );
    expect(a.volume.affine).toEqual([7.91, 0, 0, 0, 0, 7.91, 0, 0, 0, 0, 7.91, 0, 0, 0, 0, 1]);
  });
});

describe('zarr v3 written by zarrita, and a hand-written v2 .zarray', () => {
  it('reads a zstd-compressed uint16 v3 array', async () => {
    const dir = path.join(tempDir(), 'v3.zarr');
    const arr = await zarr.create(zarr.root(new FileSystemStore(dir)), {
      shape: [5, 7, 9],
      chunkShape: [2, 4, 4],
      dtype: 'uint16',
      codecs: [
        { name: 'bytes', configuration: { endian: 'little' } },
        { name: 'zstd', configuration: { level: 1, checksum: false } },
      ],
    });
    const data = new Uint16Array(5 * 7 * 9);
    for (let z = 0; z < 5; z++)
      for (let y = 0; y < 7; y++) for (let x = 0; x < 9; x++) data[(z * 7 + y) * 9 + x] = v16(z, y, x);
    await zarr.set(arr, null, { data, shape: [5, 7, 9], stride: [63, 9, 1] });
    const [item] = await discover(dir, {});
    expect(item!.source.format).toBe('zarr-v3');
    await expectVolume(item!.volume, v16, 2);
  });

  it('reads an uncompressed Fortran-order v2 array with "/" chunk keys', async () => {
    const dir = path.join(tempDir(), 'hand.zarr');
    mkdirSync(dir);
    const shape = [3, 4, 5],
      chunks = [2, 4, 3];
    writeFileSync(
      path.join(dir, '.zarray'),
      JSON.stringify({
        zarr_format: 2,
        shape,
        chunks,
        dtype: '|u1',
        compressor: null,
        fill_value: 0,
        order: 'F',
        filters: null,
        dimension_separator: '/',
      }),
    );
    for (let cz = 0; cz < 2; cz++)
      for (let cx = 0; cx < 2; cx++) {
        const bytes = new Uint8Array(2 * 4 * 3);
        // Fortran order inside the chunk: x fastest index is z
        for (let x = 0; x < 3; x++)
          for (let y = 0; y < 4; y++)
            for (let z = 0; z < 2; z++) {
              const gz = cz * 2 + z,
                gx = cx * 3 + x;
              bytes[x * 8 + y * 2 + z] = gz < 3 && gx < 5 ? v8(gz, y, gx) : 0;
            }
        mkdirSync(path.join(dir, String(cz), '0'), { recursive: true });
        writeFileSync(path.join(dir, String(cz), '0', String(cx)), bytes);
      }
    const [item] = await discover(dir, {});
    await expectVolume(item!.volume, v8, 3);
  });
});

describe('a multiscale level given as the source', () => {
  it('…/ome-u8.zarr/1 is named after its zarr, not "1", and reads that level', async () => {
    const dir = copyFixture('zarr/ome-u8.zarr');
    const [item] = await discover(path.join(dir, '1'), {});
    expect(item!.name).toBe('ome-u8');
    expect(item!.scroll).toBe('ome-u8');
    await expectVolume(item!.volume, (z, y, x) => v8(2 * z, 2 * y, 2 * x));
  });
});

describe('zarr v2 with nested chunk keys and no dimension_separator (older writers)', () => {
  it('reads the chunks under a/b/c instead of reading the volume as its fill value', async () => {
    const dir = copyFixture('zarr/v2-gzip-u8.zarr');
    expect(JSON.parse(readFileSync(path.join(dir, '.zarray'), 'utf8')).dimension_separator).toBeUndefined();
    for (const f of readdirSync(dir).filter((n) => /^\d+\.\d+\.\d+$/.test(n))) {
      const [a, b, c] = f.split('.');
      mkdirSync(path.join(dir, a!, b!), { recursive: true });
      renameSync(path.join(dir, f), path.join(dir, a!, b!, c!));
    }
    const [item] = await discover(dir, {});
    await expectVolume(item!.volume, v8, 3);
  });
});

describe('OME-Zarr 0.5 (zarr v3) written by zarrita', () => {
  it('a 5-D (t, c, z, y, x) level with unit millimeter: leading axes of size 1, voxel size converted to µm', async () => {
    const dir = path.join(tempDir(), 'ome5.zarr');
    const store = new FileSystemStore(dir);
    const multiscales = [
      {
        axes: [
          { name: 't', type: 'time' },
          { name: 'c', type: 'channel' },
          ...['z', 'y', 'x'].map((name) => ({ name, type: 'space', unit: 'millimeter' })),
        ],
        datasets: [{ path: 's0', coordinateTransformations: [{ type: 'scale', scale: [1, 1, 0.002, 0.001, 0.001] }] }],
      },
    ];
    const group = await zarr.create(zarr.root(store), { attributes: { ome: { version: '0.5', multiscales } } });
    const arr = await zarr.create(group.resolve('s0'), {
      shape: [1, 1, 3, 5, 4],
      chunkShape: [1, 1, 2, 2, 2],
      dtype: 'uint8',
    });
    const data = new Uint8Array(60);
    for (let z = 0; z < 3; z++)
      for (let y = 0; y < 5; y++) for (let x = 0; x < 4; x++) data[(z * 5 + y) * 4 + x] = v8(z, y, x);
    await zarr.set(arr, null, { data, shape: [1, 1, 3, 5, 4], stride: [60, 60, 20, 4, 1] });
    const [item] = await discover(dir, {});
    expect(item!.source.format).toBe('ome-zarr');
    expect(item!.volume.shape).toEqual([3, 5, 4]);
    expect(item!.volume.voxelSizeUm).toEqual([2, 1, 1]);
    await expectVolume(item!.volume, v8, 2);
  });
});

describe('zarr from an https/http URL (FetchStore)', () => {
  let server: Server;
  let base = '';
  const requests: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url!);
      const file = path.join(Z, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
      if (!file.startsWith(Z) || !existsSync(file) || !statSync(file).isFile()) {
        res.statusCode = 404;
        res.end();
        return;
      }
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('a server that never answers ends the read with one line after the time limit, instead of hanging', async () => {
    const silent = createServer(() => {
      /* accepts the request and never answers */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    process.env.AUNN_HTTP_TIMEOUT_MS = '400';
    try {
      const t0 = performance.now();
      await expectUserError(
        discover(`http://127.0.0.1:${port}/never.zarr`, {}),
        new RegExp(`never\\.zarr: .*no answer from http://127\\.0\\.0\\.1:${port}/never\\.zarr/\\S+ within 0\\.4 s`),
      );
      expect(performance.now() - t0).toBeLessThan(10_000);
    } finally {
      delete process.env.AUNN_HTTP_TIMEOUT_MS;
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('reads an OME-Zarr level over HTTP; the checksum covers the metadata', async () => {
    const [item] = await discover(`${base}/ome-u8.zarr`, { scroll: 'remote', level: 1 });
    expect(item!.name).toBe('ome-u8');
    expect(item!.source.path).toBe(`${base}/ome-u8.zarr`);
    expect(item!.extra?.sha256Covers).toMatch(/metadata/);
    await expectVolume(item!.volume, (z, y, x) => v8(2 * z, 2 * y, 2 * x));
  });

  it('reading plane by plane fetches each chunk once (chunk rows are kept while they fit)', async () => {
    const [item] = await discover(`${base}/ome-u8.zarr`, { scroll: 'remote' });
    requests.length = 0;
    await expectVolume(item!.volume, v8, 1); // 6 planes, chunks 4x8x8 over 6x20x24: 2x3x3 = 18 chunks
    expect(requests.filter((r) => /\/0\/\d+\.\d+\.\d+$/.test(r)).length).toBe(18);
  });
});

describe('bad zarr input', () => {
  it('a .zarr folder without .zarray/zarr.json', async () => {
    const dir = copyFixture('zarr/v2-gzip-u8.zarr');
    rmSync(path.join(dir, '.zarray'));
    await expectUserError(discover(dir, {}), /v2-gzip-u8\.zarr: zarr folder without \.zarray, \.zgroup or zarr\.json/);
  });

  it('an OME level whose .zarray is missing', async () => {
    const dir = copyFixture('zarr/ome-u8.zarr');
    rmSync(path.join(dir, '1', '.zarray'));
    await expectUserError(discover(dir, { level: 1 }), /level 1 array "1" is missing its \.zarray/);
  });

  it('a multiscale dataset path that escapes the store', async () => {
    const dir = copyFixture('zarr/ome-u8.zarr');
    const attrsFile = path.join(dir, '.zattrs');
    const attrs = JSON.parse(readFileSync(attrsFile, 'utf8')) as {
      multiscales: Array<{ datasets: Array<{ path: string }> }>;
    };
    attrs.multiscales[0]!.datasets[0]!.path = '../v2-gzip-u8.zarr';
    writeFileSync(attrsFile, JSON.stringify(attrs));
    await expectUserError(discover(dir, {}), /multiscale dataset path "\.\.\/v2-gzip-u8\.zarr" escapes the store/);
  });

  it('missing chunks read as the fill value, with a warning naming the chunk', async () => {
    const dir = copyFixture('zarr/v2-gzip-u8.zarr');
    rmSync(path.join(dir, '1.1.2'));
    const [item] = await discover(dir, {});
    await expectVolume(item!.volume, (z, y, x) => (z >= 4 && y >= 8 && y < 16 && x >= 16 ? 7 : v8(z, y, x)), 6);
    expect(item!.volume.warnings.join('\n')).toMatch(/chunk \/1\.1\.2 is missing; read as fill value 7/);
  });

  it('unsupported dtypes: float64 and complex', async () => {
    await expectUserError(discover(path.join(Z, 'v2-f8.zarr'), {}), /v2-f8\.zarr: unsupported dtype float64/);
    const dir = path.join(tempDir(), 'complex.zarr');
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, '.zarray'),
      JSON.stringify({
        zarr_format: 2,
        shape: [2, 2, 2],
        chunks: [2, 2, 2],
        dtype: '<c8',
        compressor: null,
        fill_value: null,
        order: 'C',
        filters: null,
      }),
    );
    await expectUserError(discover(dir, {}), /complex\.zarr: (unsupported dtype|invalid zarr)/);
  });

  it('a chunk that fails to decompress names the chunk', async () => {
    const dir = copyFixture('zarr/v2-blosc-u16.zarr');
    writeFileSync(path.join(dir, '0.1.2'), Buffer.from('this is not a blosc frame at all, just text'));
    const [item] = await discover(dir, {});
    await expectUserError(item!.volume.readSlab(0, 6), /v2-blosc-u16\.zarr: chunk .*0\.1\.2 fails to decompress/);
    const gz = copyFixture('zarr/v2-gzip-u8.zarr');
    writeFileSync(path.join(gz, '1.0.1'), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const [gzItem] = await discover(gz, {});
    await expectUserError(gzItem!.volume.readSlab(4, 6), /v2-gzip-u8\.zarr: chunk .*1\.0\.1 fails to decompress/);
  });
});
