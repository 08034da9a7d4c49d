import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/commands/ink.js';
import { Corpus } from '../../src/corpus/index.js';
import { syntheticSegment } from '../../src/ink/synthetic.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-ink-cli-'));
const corpusDir = path.join(tmp, 'corpus');
const H = 40,
  W = 150;

/** A corpus with one synthetic segment (layers, labels on the first third, mask) laid out as ingest does. */
async function makeCorpus(): Promise<{ truth: Uint8Array }> {
  const { segment, truth } = syntheticSegment({ seed: 4, height: H, width: W, inkContrast: 1.2 });
  const corpus = await Corpus.open(corpusDir, { create: true });
  const src = { path: 'synthetic', sha256: '', format: 'test' };
  const labelledRegion = [0, 0, Math.round(W / 3), H];
  await corpus.withWriter(async (w) => {
    const add = (
      name: string,
      modality: 'segment-layers' | 'ink-labels' | 'mask',
      shape: [number, number, number],
      data: Uint8Array,
      extra: Record<string, unknown>,
    ) =>
      w.appendRecord(
        {
          name: `scrollT/seg1/${name}`,
          scroll: 'scrollT',
          modality,
          shape,
          dtype: 'uint8',
          source: src,
          trainable: true,
          group: 'scrollT/seg1',
          extra,
        },
        async (ws) => ws(0, data),
      );
    await add('layers', 'segment-layers', [segment.depth, H, W], segment.layers, {
      segment: 'seg1',
      surfaceLayer: segment.surface,
      segmentMeta: { labelledRegion },
    });
    await add('inklabels', 'ink-labels', [1, H, W], segment.labels!, { segment: 'seg1', labelledMask: 'seg1/mask' });
    await add('mask', 'mask', [1, H, W], new Uint8Array(H * W).fill(255), { segment: 'seg1' });
  });
  return { truth };
}

describe('aunn ink', () => {
  let truthFile = '';
  beforeAll(async () => {
    const { truth } = await makeCorpus();
    truthFile = path.join(tmp, 'truth.png');
    await writeFile(truthFile, encode({ width: W, height: H, data: truth, channels: 1, depth: 8 }));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('trains the readout, writes the ink prediction the corpus reads back, and exports PNG/TIFF', async () => {
    const out = path.join(tmp, 'out');
    const logs: string[] = [];
    const orig = console.log;
    console.log = (s: string) => logs.push(s);
    try {
      await run([
        '--corpus',
        corpusDir,
        '--segment',
        'scrollT/seg1',
        '--out',
        out,
        '--steps',
        '12',
        '--seconds',
        '60',
        '--truth',
        truthFile,
        '--json',
        '--quiet',
      ]);
    } finally {
      console.log = orig;
    }
    const summary = JSON.parse(logs.at(-1)!) as {
      record: string;
      score: { f05: number; auc: number; pixels: number };
      files: string[];
      trained: { steps: number };
    };
    expect(summary.trained.steps).toBeGreaterThan(0);
    // scored only on the unlabelled two thirds
    expect(summary.score.pixels).toBe(H * (W - Math.round(W / 3)));
    expect(summary.score.auc).toBeGreaterThan(0.55);
    const corpus = await Corpus.open(corpusDir);
    const rec = corpus.record(summary.record);
    expect(rec.modality).toBe('prediction');
    expect(rec.trainable).toBe(false);
    expect(rec.prediction).toMatchObject({ of: 'scrollT/seg1/layers', kind: 'ink' });
    expect(rec.shape).toEqual([1, H, W]);
    const bytes = await corpus.readRecord(rec);
    expect(bytes.length).toBe(H * W);
    expect(new Set(bytes).size).toBeGreaterThan(10); // a probability map, not a constant
    for (const f of summary.files) expect(statSync(f).size).toBeGreaterThan(0);
    expect(readdirSync(out).sort()).toEqual(['seg1_ink.png', 'seg1_ink.tif', 'seg1_ink_mask.png']);
    expect(existsSync(path.join(corpusDir, 'ink', 'readout.json'))).toBe(true);

    // second run loads the saved readout and replaces the prediction in place
    logs.length = 0;
    console.log = (s: string) => logs.push(s);
    try {
      await run(['--corpus', corpusDir, '--segment', 'seg1', '--out', out, '--json', '--quiet']);
    } finally {
      console.log = orig;
    }
    const again = JSON.parse(logs.at(-1)!) as { trained?: unknown; record: string };
    expect(again.trained).toBeUndefined();
    await corpus.reload();
    expect(corpus.records({ modality: 'prediction' })).toHaveLength(1);
    expect(again.record).toBe(summary.record);
  });

  it('names the missing segment and changes nothing', async () => {
    const before = statSync(path.join(corpusDir, 'manifest.json')).mtimeMs;
    await expect(run(['--corpus', corpusDir, '--segment', 'nope/seg9'])).rejects.toThrow(
      /no segment 'nope\/seg9'.*scrollT\/seg1/,
    );
    await expect(run(['--corpus', corpusDir, '--segment', 'seg1', '--source', 'model'])).rejects.toThrow(
      /--source model needs --model/,
    );
    expect(statSync(path.join(corpusDir, 'manifest.json')).mtimeMs).toBe(before);
  });
});
