// A VC3D tifxyz surface rendered from a scan of the corpus, checked voxel by voxel against the layers numpy computes
// from the plane itself (scripts/make-fixtures.py tifxyz), and bad input refused with the corpus left as it was.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { Corpus } from '../../src/corpus/index.js';
import type { RecordMeta } from '../../src/corpus/index.js';
import { readFloat32Tiff } from '../../src/formats/tiff-reader.js';
import { discover } from '../../src/ingest/discover.js';
import { ingestItems, ingestPath } from '../../src/ingest/ingest.js';
import { memoryVolume } from '../../src/ingest/readers/volume-util.js';
import { readTifxyz, renderTifxyz, tifxyzLayers } from '../../src/ingest/render-tifxyz.js';
import { FIXTURES, tempDir } from './fixture-values.js';

const T = path.join(FIXTURES, 'tifxyz');
const SURFACE = path.join(T, 'w01');
const SCAN = path.join(T, 'scan-u8.tif');
const [H, W] = [14, 18];

/** A C-order int16 .npy (numpy's own format), as the fixture writer saved it. */
function readNpy(file: string): { shape: number[]; data: Int16Array } {
  const buf = readFileSync(file);
  expect(buf.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  const v1 = buf[6] === 1;
  const headerLen = v1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (v1 ? 10 : 12) + headerLen;
  const header = buf.subarray(v1 ? 10 : 12, start).toString('latin1');
  expect(header).toMatch(/'descr': '<i2'/);
  expect(header).toMatch(/'fortran_order': False/);
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]!
    .split(',')
    .filter((s) => s.trim())
    .map(Number);
  const bytes = buf.subarray(start);
  return { shape, data: new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}

/** Every voxel as numpy says: exactly 0 where it says 0 (off the scan or an invalid vertex), else within rounding. */
function expectLayers(got: Uint8Array, expectedFile: string): void {
  const { shape, data } = readNpy(expectedFile);
  expect(shape).toEqual([65, H, W]);
  expect(got.length).toBe(data.length);
  let inside = 0,
    exact = 0,
    first = '';
  for (let i = 0; i < data.length; i++) {
    const e = data[i]!;
    if (e < 0) continue; // on the scan's border: either answer is right
    const ok = e === 0 ? got[i] === 0 : Math.abs(got[i]! - e) <= 1;
    if (!ok && !first) {
      const k = Math.floor(i / (H * W)),
        y = Math.floor(i / W) % H;
      first = `layer ${k} pixel (${y}, ${i % W}): got ${got[i]}, expected ${e}`;
    }
    if (e > 0) inside++;
    if (got[i] === e) exact++;
  }
  expect(first).toBe('');
  expect(inside).toBeGreaterThan(5000);
  expect(exact / data.length).toBeGreaterThan(0.99);
}

async function corpusWithScan(): Promise<{ dir: string; corpus: Corpus; scan: RecordMeta }> {
  const dir = path.join(tempDir('aunn-render-'), 'corpus');
  const corpus = await Corpus.open(dir, { create: true });
  const [scan] = await ingestPath(corpus, SCAN, { scroll: 's1' });
  return { dir, corpus, scan: scan! };
}

/** What a refused render must leave alone: the manifest and the folders beside it. */
function snapshot(dir: string): string {
  const list = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? [`${e.name}/`, ...list(path.join(d, e.name)).map((n) => `${e.name}/${n}`)] : [e.name],
    );
  return readFileSync(path.join(dir, 'manifest.json'), 'utf8') + '\n' + list(dir).sort().join('\n');
}

describe('tifxyz surfaces', () => {
  it("reads VC3D's float32 grids: deflate + horizontal predictor in tiles, the floating-point predictor, big-endian", async () => {
    // The plane the fixture writer put there: O + c A + r B, vertex (3, 4) = -1 and z of (6, 0) = 0.
    const plane = (r: number, c: number) => [12 + 2 * c + 0.25 * r, 10 + 0.25 * c + 2 * r, 24 + 0.5 * c - 0.5 * r];
    for (const [a, axis] of ['x', 'y', 'z'].entries()) {
      const { width, height, values } = await readFloat32Tiff(path.join(SURFACE, `${axis}.tif`));
      expect([width, height]).toEqual([9, 7]);
      for (let r = 0; r < 7; r++)
        for (let c = 0; c < 9; c++) {
          const want = r === 3 && c === 4 ? -1 : r === 6 && c === 0 && a === 2 ? 0 : plane(r, c)[a]!;
          expect(values[r * 9 + c], `${axis}.tif (${r}, ${c})`).toBe(want);
        }
    }
    const surface = await readTifxyz(SURFACE);
    expect([surface.rows, surface.cols, surface.height, surface.width]).toEqual([7, 9, H, W]);
    // -1 -1 -1, z = 0, and mask.tif's 0 and 128: four invalid vertices
    expect(surface.validVertices).toBe(63 - 4);
  });

  it('renders the 65 layers from the scan in the corpus voxel by voxel as numpy computes them, surface at layer 32', async () => {
    const { corpus, scan } = await corpusWithScan();
    expect(scan.shape).toEqual([48, 40, 44]);
    const records = await renderTifxyz(corpus, SURFACE, { scan: scan.name });
    const layers = records.find((r) => r.name === 's1/w01/layers')!;
    expect(records.map((r) => r.name)).toEqual(['s1/w01/layers']);
    expect(layers.modality).toBe('segment-layers');
    expect(layers.group).toBe('s1/w01');
    expect(layers.shape).toEqual([65, H, W]);
    expect(layers.source.format).toBe('tifxyz');
    expect(layers.extra).toMatchObject({
      segment: 'w01',
      surfaceLayer: 32,
      layerCount: 65,
      mesh: { format: 'tifxyz', folder: '.', scale: [0.5, 0.5], mask: 'tifxyz-mask.tif' },
      renderedFrom: { scan: 's1/scan-u8', layerStepVoxels: 1, grid: [7, 9] },
    });
    for (const name of ['x.tif', 'y.tif', 'z.tif', 'tifxyz.json', 'tifxyz-mask.tif'])
      expect(readFileSync(corpus.attachmentPath(layers, name)).length).toBeGreaterThan(0);
    const got = await corpus.readRecord(layers);
    expectLayers(got, path.join(T, 'w01-expected-layers.npy'));
    // The hole at vertex (3, 4) blanks the pixels whose cell touches it: rows 4..7, columns 6..9, every layer.
    for (let k = 0; k < 65; k++)
      for (let y = 4; y <= 7; y++) for (let x = 6; x <= 9; x++) expect(got[(k * H + y) * W + x]).toBe(0);
  });

  it('draws the same layers slab by slab as at once, and samples a scan kept as a region box at its corner', async () => {
    const { corpus, scan } = await corpusWithScan();
    const surface = await readTifxyz(SURFACE);
    const volume = tifxyzLayers(corpus, surface, scan);
    const whole = await volume.readSlab(0, 65);
    const parts = new Uint8Array(whole.length);
    for (let z = 0; z < 65; z += 7) parts.set(await volume.readSlab(z, Math.min(65, z + 7)), z * H * W);
    expect(Buffer.from(parts).equals(Buffer.from(whole))).toBe(true);

    // The scan's box z 8:48, y 4:40, x 2:44 as its own record, its corner in extra.region as the zarr reader says it.
    const full = await corpus.readRecord(scan);
    const crop = new Uint8Array(40 * 36 * 42);
    for (let z = 0; z < 40; z++)
      for (let y = 0; y < 36; y++)
        crop.set(full.subarray(((z + 8) * 40 + y + 4) * 44 + 2, ((z + 8) * 40 + y + 4) * 44 + 44), (z * 36 + y) * 42);
    await ingestItems(corpus, [
      {
        name: 'box',
        scroll: 's1',
        modality: 'scan',
        volume: memoryVolume([40, 36, 42], 'uint8', crop),
        source: { path: SCAN, sha256: scan.source.sha256, format: 'tiff-multipage' },
        extra: { region: { z: [8, 48], y: [4, 40], x: [2, 44] } },
      },
    ]);
    const records = await renderTifxyz(corpus, SURFACE, { scan: 's1/box', id: 'w01-box' });
    expect(records[0]!.extra?.renderedFrom).toMatchObject({ scan: 's1/box', corner: [8, 4, 2] });
    expectLayers(await corpus.readRecord(records[0]!), path.join(T, 'w01-expected-layers-crop.npy'));
  });

  it('bad input is refused with one line naming the file, and the corpus is left as it was', async () => {
    const { dir, corpus, scan } = await corpusWithScan();
    const scratch = tempDir('aunn-render-bad-');
    const copy = (name: string, edit: (d: string) => void) => {
      const d = path.join(scratch, name);
      cpSync(SURFACE, d, { recursive: true });
      edit(d);
      return d;
    };
    const noZ = copy('no-z', (d) => writeFileSync(path.join(d, 'z.tif'), 'not a tiff'));
    const huge = copy('huge', (d) =>
      writeFileSync(path.join(d, 'meta.json'), JSON.stringify({ format: 'tifxyz', scale: [1e-6, 1e-6] })),
    );
    const notTifxyz = copy('obj', (d) => writeFileSync(path.join(d, 'meta.json'), JSON.stringify({ format: 'obj' })));
    // A scan record far from the surface: the same voxels, said to be the box at z 500.
    const [item] = await discover(SCAN, { scroll: 's1' });
    await ingestItems(corpus, [
      { ...item!, name: 'far', extra: { region: { z: [500, 548], y: [0, 40], x: [0, 44] } } },
    ]);
    // The layers once, so a second render of the same segment clashes.
    await renderTifxyz(corpus, SURFACE, { scan: scan.name });
    const before = snapshot(dir);
    const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['no folder', () => renderTifxyz(corpus, path.join(scratch, 'none'), { scan: scan.name }), /none: not a tifxyz/],
      ['z.tif not a TIFF', () => renderTifxyz(corpus, noZ, { scan: scan.name }), /no-z\/z\.tif: not a TIFF file/],
      [
        'not tifxyz',
        () => renderTifxyz(corpus, notTifxyz, { scan: scan.name }),
        /obj\/meta\.json: not a tifxyz surface/,
      ],
      ['absurd size', () => renderTifxyz(corpus, huge, { scan: scan.name }), /huge\/meta\.json: .* over the limit/],
      ['no such scan', () => renderTifxyz(corpus, SURFACE, { scan: 's1/nope' }), /no record 's1\/nope'/],
      ['not a scan', () => renderTifxyz(corpus, SURFACE, { scan: 's1/w01/layers' }), /not a scan/],
      ['outside', () => renderTifxyz(corpus, SURFACE, { scan: 's1/far' }), /w01: the surface lies entirely outside/],
      ['twice', () => renderTifxyz(corpus, SURFACE, { scan: scan.name }), /'s1\/w01\/layers' is already in the corpus/],
    ];
    for (const [what, p, pattern] of cases) {
      const err = await p().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, what).toBeInstanceOf(UserError);
      expect((err as Error).message, what).toMatch(pattern);
      expect((err as Error).message, what).not.toMatch(/\n/);
    }
    expect(snapshot(dir)).toBe(before);
  });

  it('aunn render: progress and a table on success; one line and exit 1 for a missing scan, corpus unchanged', async () => {
    const { dir } = await corpusWithScan();
    const aunn = path.resolve(import.meta.dirname, '../../bin/aunn.js');
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [aunn, 'render', '--corpus', dir, '--surface', SURFACE, ...args]).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const before = snapshot(dir);
    const bad = await run(['--scan', 's1/missing']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([`aunn render: no record 's1/missing' in corpus ${dir}`]);
    expect(snapshot(dir)).toBe(before);
    const ok = await run(['--scan', 's1/scan-u8', '--id', 'seg7', '--json']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/ingest s1\/seg7\/layers: 100%/);
    expect((JSON.parse(ok.stdout) as RecordMeta[]).map((r) => [r.name, r.shape])).toEqual([
      ['s1/seg7/layers', [65, H, W]],
    ]);
  });

  it('aunn ingest of a volpkg renders its tifxyz surfaces from the scan their meta.json names; one it cannot is said', async () => {
    const pkg = path.join(tempDir('aunn-render-'), 'scroll5.volpkg');
    mkdirSync(path.join(pkg, 'volumes'), { recursive: true });
    writeFileSync(path.join(pkg, 'config.json'), JSON.stringify({ name: 'scroll5' }));
    cpSync(SCAN, path.join(pkg, 'volumes', '20230525.tif'));
    cpSync(SURFACE, path.join(pkg, 'paths', 'w01'), { recursive: true });
    const meta = JSON.parse(readFileSync(path.join(SURFACE, 'meta.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(pkg, 'paths', 'w01', 'meta.json'), JSON.stringify({ ...meta, volume: '20230525' }));
    // a surface whose scale claims a rendering of 10^10 pixels a side: not rendered, said in one line, the rest ingested
    cpSync(SURFACE, path.join(pkg, 'paths', 'far'), { recursive: true });
    writeFileSync(path.join(pkg, 'paths', 'far', 'meta.json'), JSON.stringify({ ...meta, scale: [1e-9, 1e-9] }));
    const corpusDir = path.join(path.dirname(pkg), 'corpus');
    const aunn = path.resolve(import.meta.dirname, '../../bin/aunn.js');
    const r = await promisify(execFile)(process.execPath, [
      aunn,
      'ingest',
      pkg,
      '--corpus',
      corpusDir,
      '--json',
      '--quiet',
    ]);
    const records = JSON.parse(r.stdout) as RecordMeta[];
    expect(records.map((x) => x.name)).toEqual(['scroll5/20230525', 'scroll5/w01/layers']);
    expect(records[1]!.extra).toMatchObject({ renderedFrom: { scan: 'scroll5/20230525' }, surfaceLayer: 32 });
    expect(r.stderr).toMatch(/paths\/far: not rendered \(/);
    expect(r.stderr.split('\n').filter((l) => /far/.test(l))).toHaveLength(1);
    // the same layers as numpy computes from the plane
    const corpus = await Corpus.open(corpusDir);
    expectLayers(
      await corpus.readRecord(corpus.record('scroll5/w01/layers'), 0),
      path.join(T, 'w01-expected-layers.npy'),
    );
  });
});
