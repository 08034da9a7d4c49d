import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { Corpus } from '../../src/corpus/index.js';
import { blockSize } from '../../src/corpus/address.js';
import { ingestItems } from '../../src/ingest/ingest.js';
import { memoryVolume } from '../../src/ingest/readers/volume-util.js';
import type { IngestItem, VolumeSource } from '../../src/ingest/source.js';
import { applyWindow, chooseWindow, parseWindow, percentileWindow, windowLut } from '../../src/ingest/window.js';
import { sameBytes, scratchDir, snapshot } from './helpers/volumes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function u16Volume(
  shape: [number, number, number],
  value: (i: number) => number,
): { volume: VolumeSource; values: Uint16Array } {
  const n = shape[0] * shape[1] * shape[2];
  const values = new Uint16Array(n);
  for (let i = 0; i < n; i++) values[i] = value(i);
  return { volume: memoryVolume(shape, 'uint16', values), values };
}

function item(name: string, volume: VolumeSource, extra: Partial<IngestItem> = {}): IngestItem {
  return {
    name,
    scroll: 'sc',
    modality: 'scan',
    volume,
    source: { path: `/data/${name}.tif`, sha256: 'abc', format: 'test' },
    ...extra,
  };
}

describe('16→8-bit window', () => {
  it('takes robust 0.5/99.5 percentiles, ignoring a few outliers', () => {
    const values = new Uint16Array(10000);
    for (let i = 0; i < values.length; i++) values[i] = 1000 + (i % 1000); // 1000..1999
    values[0] = 65535;
    values[1] = 0;
    const [lo, hi] = percentileWindow(values);
    expect(lo).toBeGreaterThanOrEqual(1000);
    expect(lo).toBeLessThanOrEqual(1010);
    expect(hi).toBeGreaterThanOrEqual(1989);
    expect(hi).toBeLessThanOrEqual(1999);
    expect(percentileWindow(new Uint16Array([7, 7, 7]))).toEqual([7, 8]);
  });

  it('maps lo → 0 and hi → 255 linearly, clamped', () => {
    const lut = windowLut('uint16', [1000, 2020]);
    expect(Array.from(applyWindow(new Uint16Array([0, 1000, 1510, 2020, 65535]), lut))).toEqual([0, 0, 128, 255, 255]);
  });

  it('parses --window and rejects nonsense', () => {
    expect(parseWindow('100, 4000')).toEqual([100, 4000]);
    for (const bad of ['4000,100', '1', 'a,b', '1,2,3', ',5']) expect(() => parseWindow(bad)).toThrow(UserError);
  });

  it('keeps 8-bit data unwindowed, even with a window given (it is meant for the 16-bit data beside it)', async () => {
    const vol = memoryVolume([1, 2, 2], 'uint8', new Uint8Array([1, 2, 3, 4]));
    expect(await chooseWindow(vol)).toBeUndefined();
    expect(await chooseWindow(vol, [0, 10])).toBeUndefined();
  });
});

describe('ingestItems', () => {
  it('windows 16-bit volumes, stores the window, and reads back the windowed values', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const shape: [number, number, number] = [20, 30, 40];
    const { volume, values } = u16Volume(shape, (i) => 20000 + ((i * 7) % 3000));
    const [rec] = await ingestItems(corpus, [item('scanA', volume)], { slabBytes: 30 * 40 * 2 * 3 });
    expect(rec!.name).toBe('sc/scanA');
    const window = rec!.window!;
    expect(window[0]).toBeGreaterThanOrEqual(20000);
    expect(window[1]).toBeLessThanOrEqual(22999);
    const expected = applyWindow(values, windowLut('uint16', window));
    const reopened = await Corpus.open(dir);
    expect(sameBytes(await reopened.readRecord(reopened.record('sc/scanA')), expected)).toBe('equal');
    expect(reopened.record('sc/scanA').source).toEqual({ path: '/data/scanA.tif', sha256: 'abc', format: 'test' });
  });

  it('uses the user window when given', async () => {
    const corpus = await Corpus.open(scratchDir(), { create: true });
    const { volume, values } = u16Volume([2, 3, 4], (i) => i * 100);
    const [rec] = await ingestItems(corpus, [item('w', volume)], { window: [0, 2300] });
    expect(rec!.window).toEqual([0, 2300]);
    expect(Array.from(await corpus.readRecord(rec!))).toEqual(
      Array.from(applyWindow(values, windowLut('uint16', [0, 2300]))),
    );
  });

  it('gives a segment’s layers, labels and mask one block size, side by side', async () => {
    const corpus = await Corpus.open(scratchDir(), { create: true });
    const layers = u16Volume([65, 12, 20], (i) => i % 5000).volume;
    const labels = memoryVolume([1, 12, 20], 'uint8', new Uint8Array(240).fill(255));
    const mask = memoryVolume([1, 12, 20], 'uint8', new Uint8Array(240).fill(1));
    const other = memoryVolume([3, 3, 3], 'uint8', new Uint8Array(27));
    const records = await ingestItems(
      corpus,
      [
        item('seg1/layers', layers, { modality: 'segment-layers', group: 'seg1' }),
        item('other', other),
        item('seg1/inklabels', labels, { modality: 'ink-labels', group: 'seg1' }),
        item('seg1/mask', mask, { modality: 'mask', group: 'sc/seg1' }),
      ],
      {},
    );
    expect(records.map((r) => r.name)).toEqual(['sc/seg1/layers', 'sc/seg1/inklabels', 'sc/seg1/mask', 'sc/other']);
    const [l, k, m] = records;
    expect(k!.bits).toEqual(l!.bits);
    expect(m!.bits).toEqual(l!.bits);
    expect(k!.base - l!.base).toBe(blockSize(l!.bits));
    expect(m!.base - k!.base).toBe(blockSize(l!.bits));
    expect(new Set(records.slice(0, 3).map((r) => r.group))).toEqual(new Set(['sc/seg1']));
    expect(corpus.records({ group: 'sc/seg1' })).toHaveLength(3);
  });

  it('lands none of the items when one fails to read mid-way', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    await ingestItems(corpus, [item('old', memoryVolume([2, 2, 2], 'uint8', new Uint8Array(8)))], {});
    const before = snapshot(dir);
    const good = u16Volume([10, 10, 10], (i) => i).volume;
    const inner = u16Volume([30, 10, 10], (i) => i).volume;
    const failing: VolumeSource = {
      ...inner,
      async readSlab(z0, z1) {
        if (z1 > 20) throw new UserError('/data/bad.tif: slice 21 is truncated');
        return inner.readSlab(z0, z1);
      },
    };
    await expect(ingestItems(corpus, [item('good', good), item('bad', failing)], { slabBytes: 200 })).rejects.toThrow(
      /slice 21 is truncated/,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it('validates before writing: dimension limit, duplicate names, address space', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true, addressBits: 24 });
    await ingestItems(corpus, [item('a', memoryVolume([1, 2, 2], 'uint8', new Uint8Array(4)))], {});
    const before = snapshot(dir);
    const small = memoryVolume([2, 2, 2], 'uint8', new Uint8Array(8));
    await expect(
      ingestItems(corpus, [item('long', memoryVolume([1, 1, 300], 'uint8', new Uint8Array(300)))], { maxDim: 256 }),
    ).rejects.toThrow('/data/long.tif: dimension x = 300 is over the limit of 256 per axis');
    await expect(ingestItems(corpus, [item('b', small), item('a', small)], {})).rejects.toThrow(
      /'sc\/a' is already in the corpus/,
    );
    const huge: VolumeSource = {
      shape: [256, 256, 257],
      dtype: 'uint16',
      warnings: [],
      readSlab: () => Promise.reject(new Error('must not be read')),
    };
    await expect(ingestItems(corpus, [item('b', small), item('huge', huge)], {})).rejects.toThrow(
      /\/data\/huge\.tif \(sc\/huge\).*does not fit the remaining address space/,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it('keeps reader warnings with the record', async () => {
    const corpus = await Corpus.open(scratchDir(), { create: true });
    const vol = memoryVolume([1, 2, 2], 'uint8', new Uint8Array(4));
    vol.warnings.push('chunk 0/0/1 missing: read as fill value 0');
    const [rec] = await ingestItems(corpus, [item('warned', vol, { extra: { note: 1 } })], {});
    expect(rec!.extra).toEqual({ note: 1, warnings: ['chunk 0/0/1 missing: read as fill value 0'] });
  });
});

describe('aunn ingest / aunn info', () => {
  const aunn = (args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(root, 'bin/aunn.js'), ...args], { cwd: root }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('ingests a segment folder into a new corpus and lists it', async () => {
    const dir = path.join(scratchDir(), 'corpus');
    const r = await aunn([
      'ingest',
      'test/fixtures/segment/20230101000000',
      '--corpus',
      dir,
      '--scroll',
      'fx',
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const info = await aunn(['info', '--corpus', dir]);
    expect(info.code).toBe(0);
    const lines = info.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/3 record\(s\), 40 address bits/);
    expect(lines.some((l) => /^0\s+fx\/20230101000000\/layers\s+segment-layers\s+65×8×10\s+uint8/.test(l))).toBe(true);
    expect(lines.some((l) => /ink-labels\s+1×8×10.*0x4000-0x7fff$/.test(l))).toBe(true);
    const json = JSON.parse((await aunn(['info', '--corpus', dir, '--json'])).stdout) as {
      records: Array<{ name: string; group: string }>;
    };
    expect(json.records.map((x) => x.group)).toEqual(['fx/20230101000000', 'fx/20230101000000', 'fx/20230101000000']);
    const corpus = await Corpus.open(dir);
    expect(readFileSync(corpus.attachmentPath(corpus.record(0), 'mesh.obj'), 'utf8')).toMatch(/^v /m);
  });

  it('fails with one line naming the path and creates no corpus for a missing path', async () => {
    const dir = path.join(scratchDir(), 'corpus');
    const r = await aunn(['ingest', 'test/fixtures/no-such-scan', '--corpus', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['aunn ingest: test/fixtures/no-such-scan: no such file or folder']);
    expect(existsSync(dir)).toBe(false);
    const w = await aunn(['ingest', 'test/fixtures/segment/20230101000000', '--corpus', dir, '--window', '5']);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/window must be LO,HI.*\(--window LO,HI\)/);
    const info = await aunn(['info', '--corpus', dir]);
    expect(info.code).toBe(1);
    expect(info.stderr).toMatch(/is not a corpus \(no manifest\.json\)/);
  });
});
