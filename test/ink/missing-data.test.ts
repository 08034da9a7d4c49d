// Pixels a scan gave no data for (a missing slab reads 0 through every layer) are off the sheet for the readout.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Corpus } from '../../src/corpus/index.js';
import { ingestPath } from '../../src/ingest/ingest.js';
import { labelledPixels, loadCorpusSegment, withoutMissingData, type InkSegment } from '../../src/ink/index.js';
import { generateSample } from '../../sample-data/index.js';
import { run as runInk } from '../../src/cli/commands/ink.js';

const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

function segment(zeroRow?: number): InkSegment {
  const [depth, height, width] = [3, 4, 5];
  const layers = Uint8Array.from({ length: depth * height * width }, (_, i) => 10 + (i % 7));
  if (zeroRow !== undefined)
    for (let d = 0; d < depth; d++) layers.fill(0, (d * height + zeroRow) * width, (d * height + zeroRow + 1) * width);
  const labels = new Uint8Array(height * width).fill(255);
  return { name: 's/seg', depth, height, width, surface: 1, layers, labels };
}

describe('missing data', () => {
  it('takes pixels that are 0 in the layers at the surface off the sheet, and nothing else', () => {
    const seg = withoutMissingData(segment(2));
    expect(Array.from(seg.sheetMask!)).toEqual([...Array(10).fill(1), ...Array(5).fill(0), ...Array(5).fill(1)]);
    expect(labelledPixels(seg).reduce((s, v) => s + v, 0)).toBe(15);
    // one voxel that is not 0 is data: only a pixel dark through all the surface's layers is missing
    const one = segment(2);
    one.layers[(1 * 4 + 2) * 5 + 3] = 1;
    expect(withoutMissingData(one).sheetMask![2 * 5 + 3]).toBe(1);
    // a segment with data everywhere comes back as it was
    const whole = segment();
    expect(withoutMissingData(whole)).toBe(whole);
  });

  it('leaves the missing slab of a damaged sample off the sheet the corpus loader gives the readout', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aunn-missing-'));
    tmp.push(dir);
    const sample = await generateSample({ out: dir, seed: 2, size: 'tiny', damage: ['missing-slab'] });
    const corpus = await Corpus.open(path.join(dir, 'corpus'), { create: true });
    await ingestPath(corpus, sample.volpkg, {});
    const group = `${sample.scroll}/${sample.segment.id}`;
    const loaded = await loadCorpusSegment(corpus, group);
    const seg = loaded.segment;
    const [r0, r1] = sample.damage[0]!.rows;
    const rowSheet = (r: number) => seg.sheetMask!.subarray(r * seg.width, (r + 1) * seg.width).some((v) => v);
    for (let r = r0 + 1; r < r1 - 1; r++) expect(rowSheet(r)).toBe(false);
    expect(rowSheet(r0 - 3)).toBe(true);
    expect(rowSheet(r1 + 2)).toBe(true);
    expect(loaded.missingPixels).toBeGreaterThanOrEqual((r1 - r0 - 2) * seg.width * 0.5);

    // `aunn ink` says so, and its prediction holds no ink there
    const logs: string[] = [];
    const orig = console.log;
    console.log = (line: string) => logs.push(line);
    try {
      await runInk(['--corpus', corpus.dir, '--segment', group, '--out', path.join(dir, 'ink'), '--steps', '12']);
      await runInk(['--corpus', corpus.dir, '--segment', group, '--out', path.join(dir, 'ink'), '--json']);
    } finally {
      console.log = orig;
    }
    expect(logs.join('\n')).toContain(`${loaded.missingPixels} pixels have no data`);
    const summary = JSON.parse(logs.at(-1)!) as { record: string; missingPixels: number };
    expect(summary.missingPixels).toBe(loaded.missingPixels);
    await corpus.reload();
    const prob = await corpus.readRecord(corpus.record(summary.record));
    for (let i = 0; i < prob.length; i++) if (!seg.sheetMask![i]) expect(prob[i]).toBe(0);
    expect(prob.some((v) => v > 0)).toBe(true);
  }, 120_000);
});
