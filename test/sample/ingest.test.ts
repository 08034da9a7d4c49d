// The sample goes through the real ingest path (discover → corpus) with the right shapes, voxel sizes, energies
// and affines. Generates seed 1 once (small).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample, type SampleSummary } from '../../sample-data/index.js';
import { discover } from '../../src/ingest/discover.js';
import { ingestPath } from '../../src/ingest/ingest.js';
import { Corpus } from '../../src/corpus/index.js';
import type { IngestItem } from '../../src/ingest/source.js';
import { readTiff } from './read-sample.js';

let tmp: string;
let s: SampleSummary;
let items: IngestItem[];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-sample-ingest-'));
  s = await generateSample({ out: path.join(tmp, 'sample'), seed: 1 });
  items = await discover(s.volpkg);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const byName = (name: string) => {
  const it = items.find((i) => i.name === name);
  if (!it) throw new Error(`no item ${name} among ${items.map((i) => i.name).join(', ')}`);
  return it;
};

describe('discover on the sample volpkg', () => {
  it('finds both scans and the segment (layers, ink labels, mask) of one scroll', () => {
    expect(items.map((i) => `${i.modality}:${i.name}`).sort()).toEqual(
      [
        `scan:${s.scanA.id}`,
        `scan:${s.scanB.id}`,
        `segment-layers:${s.segment.id}/layers`,
        `ink-labels:${s.segment.id}/inklabels`,
        `mask:${s.segment.id}/mask`,
      ].sort(),
    );
    expect(new Set(items.map((i) => i.scroll))).toEqual(new Set(['sample-s1']));
  });

  it('scan A: uint16 96x160x160 at 100 µm and its energy; values as written', async () => {
    const a = byName(s.scanA.id).volume;
    expect(a.dtype).toBe('uint16');
    expect(a.shape).toEqual([96, 160, 160]);
    expect(a.voxelSizeUm).toEqual([100, 100, 100]);
    expect(a.energyKeV).toBe(s.scanA.energyKeV);
    expect(a.affine).toEqual([100, 0, 0, 0, 0, 100, 0, 0, 0, 0, 100, 0, 0, 0, 0, 1]);
    const slab = await a.readSlab(10, 11);
    const tif = await readTiff(path.join(s.scanA.dir, '00010.tif'));
    expect(Array.from(slab)).toEqual(Array.from(tif.data));
  });

  it('scan B: uint8 48x80x80 at 200 µm, another energy, affine = scan A voxel size · affineToScanA', () => {
    const b = byName(s.scanB.id).volume;
    expect(b.dtype).toBe('uint8');
    expect(b.shape).toEqual([48, 80, 80]);
    expect(b.voxelSizeUm).toEqual([200, 200, 200]);
    expect(b.energyKeV).toBe(s.scanB.energyKeV);
    const expected = s.scanB.affineToScanA.map((v, i) => (i < 12 ? v * 100 : v));
    b.affine!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('segment: 65 layers of height x width, labels and mask on the same grid, mesh attached', () => {
    const layers = byName(`${s.segment.id}/layers`);
    expect(layers.volume.shape).toEqual([65, s.segment.height, s.segment.width]);
    expect(layers.group).toBe(`sample-s1/${s.segment.id}`);
    expect(Object.keys(layers.attachments ?? {}).some((k) => k.endsWith('.obj'))).toBe(true);
    for (const n of ['inklabels', 'mask']) {
      const it = byName(`${s.segment.id}/${n}`);
      expect(it.volume.shape).toEqual([1, s.segment.height, s.segment.width]);
      expect(it.group).toBe(layers.group);
    }
  });
});

describe('ingest into a corpus', () => {
  it('records with the right shapes, voxel sizes, energies and affines', async () => {
    const corpus = await Corpus.open(path.join(tmp, 'corpus'), { create: true });
    const recs = await ingestPath(corpus, s.volpkg, {});
    expect(recs.length).toBe(5);
    const rec = (suffix: string) => corpus.records().find((r) => r.name.endsWith(suffix))!;
    const a = rec(s.scanA.id);
    const b = rec(s.scanB.id);
    expect(a.shape).toEqual([96, 160, 160]);
    expect(b.shape).toEqual([48, 80, 80]);
    expect(a.voxelSizeUm).toEqual([100, 100, 100]);
    expect(b.voxelSizeUm).toEqual([200, 200, 200]);
    expect([a.energyKeV, b.energyKeV]).toEqual([s.scanA.energyKeV, s.scanB.energyKeV]);
    expect(a.window).toBeDefined();
    b.affine!.forEach((v, i) =>
      expect(v).toBeCloseTo(i < 12 ? s.scanB.affineToScanA[i]! * 100 : s.scanB.affineToScanA[i]!, 6),
    );
    const layers = rec(`${s.segment.id}/layers`);
    expect(layers.shape).toEqual([65, s.segment.height, s.segment.width]);
    expect(rec(`${s.segment.id}/inklabels`).modality).toBe('ink-labels');
    // Only the first third is labelled: the record says so, so nobody learns "no ink" from the rest.
    expect(rec(`${s.segment.id}/inklabels`).extra?.labelledRegion).toEqual([
      0,
      0,
      s.segment.labelledXMax,
      s.segment.height,
    ]);
    // The labelled third reads back as ink where the truth has ink.
    const labels = await corpus.readRecord(rec(`${s.segment.id}/inklabels`));
    let ink = 0;
    for (let i = 0; i < labels.length; i++) if (labels[i]) ink++;
    expect(ink).toBeGreaterThan(500);
  });
});

describe('ingest with --window', () => {
  it('windows the 16-bit scan and layers only: the 8-bit ink labels and mask keep their values', async () => {
    const corpus = await Corpus.open(path.join(tmp, 'corpus-window'), { create: true });
    await ingestPath(corpus, s.volpkg, { window: [20000, 40000] });
    const rec = (suffix: string) => corpus.records().find((r) => r.name.endsWith(suffix))!;
    expect(rec(s.scanA.id).window).toEqual([20000, 40000]);
    expect(rec(`${s.segment.id}/inklabels`).window).toBeUndefined();
    const labels = await corpus.readRecord(rec(`${s.segment.id}/inklabels`));
    expect(new Set(labels)).toEqual(new Set([0, 255]));
    const mask = await corpus.readRecord(rec(`${s.segment.id}/mask`));
    expect(Math.max(...mask)).toBe(255);
  });
});
