import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import * as zarr from 'zarrita';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { Corpus } from '../../src/corpus/index.js';
import { addressOf, blockSize, locate } from '../../src/corpus/address.js';
import { listFiles } from '../../src/corpus/files.js';
import {
  appendVolume,
  crop,
  makeVolume,
  naiveHalve,
  pattern,
  sameBytes,
  scratchDir,
  snapshot,
  type Shape,
} from './helpers/volumes.js';

describe('corpus round trip', () => {
  it('appends a volume, reopens, and reads back every region and pyramid level exactly', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const shape: Shape = [70, 100, 130]; // several chunks per axis, ragged edges
    const data = makeVolume(shape);
    const rec = await appendVolume(corpus, 's1/scanA', shape, data, { slabPlanes: 9 });
    expect(rec).toMatchObject({ id: 0, base: 0, bits: [7, 7, 8], array: 'records/0', levels: 3 });

    const again = await Corpus.open(dir);
    const r = again.record('s1/scanA');
    expect(r).toEqual(rec);
    expect(again.record(0)).toEqual(rec);
    expect(sameBytes(await again.readRecord(r), data)).toBe('equal');
    for (const box of [
      { z: [0, 1], y: [0, 1], x: [0, 1] },
      { z: [63, 66], y: [60, 70], x: [120, 130] },
      { z: [5, 70], y: [33, 34], x: [0, 130] },
    ] as const) {
      const b = { z: [...box.z], y: [...box.y], x: [...box.x] } as {
        z: [number, number];
        y: [number, number];
        x: [number, number];
      };
      expect(sameBytes(await again.readRegion(r, b), crop(data, shape, b))).toBe('equal');
    }

    // Pyramid: shapes halve (rounding up) and each voxel is the mean of the ones it covers.
    let level = { data, shape };
    for (let l = 1; l < r.levels; l++) {
      level = naiveHalve(level.data, level.shape);
      expect(again.levelShape(r, l)).toEqual(level.shape);
      expect(sameBytes(await again.readRecord(r, l), level.data)).toBe('equal');
    }
    expect(again.levelShape(r, 2)).toEqual([18, 25, 33]);
    expect(() => again.levelShape(r, 3)).toThrow(UserError);
    await expect(again.readRegion(r, { z: [0, 71], y: [0, 1], x: [0, 1] })).rejects.toThrow(/outside level 0/);
    expect(() => again.record('s1/none')).toThrow(/no record 's1\/none'/);
  });

  it('stores OME-Zarr multiscales that an independent zarr reader opens', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const shape: Shape = [3, 130, 70];
    const data = makeVolume(shape);
    const rec = await appendVolume(corpus, 's/img', shape, data);
    const store = new FileSystemStore(path.join(dir, 'data.zarr'));
    const group = await zarr.open.v3(zarr.root(store).resolve(rec.array), { kind: 'group' });
    const ome = (
      group.attrs as {
        ome: {
          multiscales: Array<{ name: string; datasets: Array<{ path: string }>; axes: Array<{ name: string }> }>;
        };
      }
    ).ome;
    // Conformance to the OME-NGFF 0.5 schema is ome-ngff-schema.test.ts; here the values the corpus chose.
    expect(ome.multiscales[0]!.name).toBe('s/img');
    expect(ome.multiscales[0]!.axes.map((a) => a.name)).toEqual(['z', 'y', 'x']);
    expect(ome.multiscales[0]!.datasets.map((d) => d.path)).toEqual(['0', '1', '2']);
    const arr = await zarr.open.v3(zarr.root(store).resolve(`${rec.array}/0`), { kind: 'array' });
    expect(arr.shape).toEqual(shape);
    const got = await zarr.get(arr);
    expect(sameBytes(got.data as Uint8Array, data)).toBe('equal');
  });

  it('skips all-zero chunks (they read back as the fill value)', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const shape: Shape = [80, 70, 70];
    const data = makeVolume(shape, (z, y, x) => (z < 64 && y < 64 ? 0 : pattern(z, y, x) | 1));
    const rec = await appendVolume(corpus, 's/masked', shape, data, { slabPlanes: 13 });
    expect(sameBytes(await (await Corpus.open(dir)).readRecord(rec), data)).toBe('equal');
    const chunkFiles = await listFiles(path.join(dir, 'data.zarr', rec.array, '0', 'c'));
    expect(chunkFiles).toHaveLength(6); // 2×2×2 chunks; (0,0,0) and (0,0,1) are all zero
  });

  it('places records one after another, aligned, and maps their addresses back', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const a = await appendVolume(corpus, 's/a', [5, 6, 7], makeVolume([5, 6, 7]));
    const b = await appendVolume(corpus, 's/b', [40, 3, 3], makeVolume([40, 3, 3]));
    const text = await appendVolume(corpus, 's/text', [1, 1, 1000], makeVolume([1, 1, 1000]), { modality: 'text' });
    expect(b.base).toBe(blockSize(b.bits)); // a's block (2^9) is smaller: b aligned at its own size
    expect(text.levels).toBe(1);
    expect(text.base % blockSize(text.bits)).toBe(0);
    const c = await Corpus.open(dir);
    expect(c.records({ modality: 'text' }).map((r) => r.name)).toEqual(['s/text']);
    expect(c.records({ scroll: 's' })).toHaveLength(3);
    expect(locate(c.manifest, addressOf(a, 4, 5, 6))).toMatchObject({ record: { name: 's/a' }, z: 4, y: 5, x: 6 });
    expect(c.manifest.next).toBe(text.base + blockSize(text.bits));
  });

  it('keeps attachments beside a record', async () => {
    const dir = scratchDir();
    const mesh = path.join(dir, 'src.obj');
    writeFileSync(mesh, 'v 1 2 3\nvt 0 0\n');
    const corpus = await Corpus.open(path.join(dir, 'c'), { create: true });
    const rec = await appendVolume(corpus, 's/seg/layers', [65, 4, 5], makeVolume([65, 4, 5]), {
      modality: 'segment-layers',
      attachments: { 'mesh.obj': mesh },
    });
    expect(readFileSync(corpus.attachmentPath(rec, 'mesh.obj'), 'utf8')).toBe('v 1 2 3\nvt 0 0\n');
    expect(() => corpus.attachmentPath(rec, '../manifest.json')).toThrow(UserError);
    await expect(
      appendVolume(corpus, 's/seg2/layers', [1, 2, 2], makeVolume([1, 2, 2]), {
        attachments: { 'mesh.obj': path.join(dir, 'missing.obj') },
      }),
    ).rejects.toThrow(/missing\.obj.*not a readable file/);
  });

  it('writes predictions as derived records and replaces them in place for the same (of, kind, model)', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const shape: Shape = [9, 20, 30];
    const scan = await appendVolume(corpus, 's/scan', shape, makeVolume(shape));
    const first = makeVolume(shape, (z, y, x) => (z + y + x) & 255);
    const p1 = await corpus.withWriter((w) => w.writePrediction(scan, 'value', first, { model: 'm1' }));
    expect(p1).toMatchObject({
      modality: 'prediction',
      trainable: false,
      prediction: { of: 's/scan', kind: 'value', model: 'm1' },
    });
    expect(p1.bits).toEqual(scan.bits);
    expect(corpus.records({ trainable: true }).map((r) => r.name)).toEqual(['s/scan']);

    const second = makeVolume(shape, (z, y, x) => (3 * z + x) & 255);
    const p2 = await corpus.withWriter((w) => w.writePrediction(scan, 'value', second, { model: 'm1' }));
    expect(p2.id).toBe(p1.id);
    expect(p2.base).toBe(p1.base);
    expect(p2.array).not.toBe(p1.array);
    expect(existsSync(path.join(dir, 'data.zarr', p1.array))).toBe(false);
    const reopened = await Corpus.open(dir);
    expect(reopened.manifest.records).toHaveLength(2);
    expect(sameBytes(await reopened.readRecord(reopened.record(p1.id)), second)).toBe('equal');

    // A reader still holding the old manifest follows the replacement instead of reading zeros.
    const stale = await Corpus.open(dir);
    expect(sameBytes(await stale.readRecord(stale.manifest.records[p1.id]!), second)).toBe('equal'); // array opened, cached
    const third = makeVolume(shape, (z, y, x) => (z * y + x) & 255);
    await corpus.withWriter((w) => w.writePrediction(scan, 'value', third, { model: 'm1' }));
    expect(sameBytes(await stale.readRecord(stale.manifest.records[p1.id]!), third)).toBe('equal');

    const other = await corpus.withWriter((w) =>
      w.writePrediction(scan, 'uncertainty', new Uint8Array(9 * 20 * 30), { model: 'm1' }),
    );
    expect(other.id).toBe(2);
    await expect(corpus.withWriter((w) => w.writePrediction(scan, 'ink', new Uint8Array(5)))).rejects.toThrow(
      /5 values for shape 9×20×30/,
    );
  });
});

describe('corpus safety', () => {
  it('refuses a volume too big for the remaining address space and leaves the corpus unchanged', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true, addressBits: 20 });
    await appendVolume(corpus, 's/small', [16, 16, 16], makeVolume([16, 16, 16]));
    const before = snapshot(dir);
    const err = await appendVolume(corpus, 's/big', [128, 128, 65], makeVolume([128, 128, 65])).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/s\/big.*does not fit the remaining address space \(20 address bits/);
    expect(snapshot(dir)).toEqual(before);
    await expect(Corpus.open(dir, { addressBits: 40 })).rejects.toThrow(/20 address bits, not 40/);
  });

  it('keeps none of a writer’s records when it fails mid-way, and cleans up what it wrote', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    await appendVolume(corpus, 's/keep', [4, 4, 4], makeVolume([4, 4, 4]));
    const before = snapshot(dir);
    const shape: Shape = [100, 40, 40];
    const err = await corpus
      .withWriter(async (w) => {
        await w.appendRecord(
          {
            name: 's/first',
            scroll: 's',
            modality: 'scan',
            shape: [2, 2, 2],
            dtype: 'uint8',
            source: { path: 'x', sha256: '', format: 't' },
            trainable: true,
          },
          async (ws) => ws(0, new Uint8Array(8)),
        );
        await w.appendRecord(
          {
            name: 's/broken',
            scroll: 's',
            modality: 'scan',
            shape,
            dtype: 'uint8',
            source: { path: 'x', sha256: '', format: 't' },
            trainable: true,
          },
          async (ws) => {
            await ws(0, new Uint8Array(70 * 1600));
            throw new Error('disk read failed at plane 70');
          },
        );
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('disk read failed at plane 70');
    expect(snapshot(dir)).toEqual(before);
    expect((await Corpus.open(dir)).manifest.records.map((r) => r.name)).toEqual(['s/keep']);
  });

  it('rejects incomplete fills, out-of-order slabs and duplicate names', async () => {
    const corpus = await Corpus.open(scratchDir(), { create: true });
    const meta = {
      name: 's/x',
      scroll: 's',
      modality: 'scan' as const,
      shape: [4, 2, 2] as Shape,
      dtype: 'uint8' as const,
      source: { path: 'x', sha256: '', format: 't' },
      trainable: true,
    };
    await expect(
      corpus.withWriter((w) => w.appendRecord(meta, async (ws) => ws(0, new Uint8Array(8)))),
    ).rejects.toThrow(/only 2 of 4 planes/);
    await expect(
      corpus.withWriter((w) => w.appendRecord(meta, async (ws) => ws(2, new Uint8Array(8)))),
    ).rejects.toThrow(/expected 0/);
    await expect(
      corpus.withWriter((w) => w.appendRecord(meta, async (ws) => ws(0, new Uint8Array(7)))),
    ).rejects.toThrow(/whole number/);
    await appendVolume(corpus, 's/x', [4, 2, 2], makeVolume([4, 2, 2]));
    await expect(appendVolume(corpus, 's/x', [4, 2, 2], makeVolume([4, 2, 2]))).rejects.toThrow(
      /'s\/x' already exists/,
    );
    expect(corpus.manifest.records).toHaveLength(1);
  });

  it('removes leftovers of an interrupted writer on open and keeps the committed records', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const data = makeVolume([8, 8, 8]);
    await appendVolume(corpus, 's/a', [8, 8, 8], data);
    const before = snapshot(dir);
    // What a writer killed at various moments leaves: a temp manifest, a partial and a renamed-but-unnamed record,
    // a partial attachment folder, a stale-lock file, and its lock (pid of a process that no longer exists).
    writeFileSync(path.join(dir, 'manifest.json.tmp-999999-abc'), '{"format": "scroll-aunn-cor');
    mkdirSync(path.join(dir, 'data.zarr/records/1.partial-999999-abc/0'), { recursive: true });
    writeFileSync(path.join(dir, 'data.zarr/records/1.partial-999999-abc/0/zarr.json'), '{}');
    mkdirSync(path.join(dir, 'data.zarr/records/1/0'), { recursive: true });
    mkdirSync(path.join(dir, 'attachments/1.partial-999999-x'), { recursive: true });
    writeFileSync(path.join(dir, '.lock'), '999999\n');
    const reopened = await Corpus.open(dir);
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(path.join(dir, '.lock'))).toBe(false);
    expect(await reopened.readRecord(reopened.record('s/a'))).toEqual(data);
    // and the next record takes id 1 cleanly
    const b = await appendVolume(reopened, 's/b', [2, 2, 2], makeVolume([2, 2, 2]));
    expect(b.id).toBe(1);
    expect(readdirSync(path.join(dir, 'data.zarr/records')).sort()).toEqual(['0', '1', 'zarr.json']);
  });

  it('rejects a manifest that is not a corpus manifest, naming the file', async () => {
    const dir = scratchDir();
    writeFileSync(path.join(dir, 'manifest.json'), '{"format": "something-else"}');
    await expect(Corpus.open(dir)).rejects.toThrow(/manifest\.json: not a scroll-aunn corpus manifest/);
    writeFileSync(path.join(dir, 'manifest.json'), '{"format": ');
    await expect(Corpus.open(dir)).rejects.toThrow(/manifest\.json: not valid JSON/);
    await expect(Corpus.open(path.join(dir, 'nothing'))).rejects.toThrow(/is not a corpus \(no manifest\.json\)/);
    const data = scratchDir();
    writeFileSync(path.join(data, 'scan.tif'), 'x');
    await expect(Corpus.open(data, { create: true })).rejects.toThrow(
      /not empty \(scan\.tif…\): choose a new or empty folder/,
    );
    expect(readdirSync(data)).toEqual(['scan.tif']);
    // a creation killed before its manifest was written is finished by the next open
    const half = scratchDir();
    mkdirSync(path.join(half, 'data.zarr'));
    mkdirSync(path.join(half, 'attachments'));
    expect((await Corpus.open(half, { create: true })).manifest.records).toEqual([]);
  });

  it('sees the pattern helper as non-trivial data', () => {
    // guards the helpers: a constant volume would make the round-trip tests meaningless
    const v = makeVolume([3, 5, 7], pattern);
    expect(new Set(v).size).toBeGreaterThan(20);
  });
});
