// Layout on tiny members of the scroll family: several hands, intercolumnia of about one letter width and of five
// to six, on a stand-in ink map (the truth labels blurred, with reduced contrast and noise). Every column and line
// must be found (IoU >= 0.8, layoutScore).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample, scrollParams, type SampleSummary } from '../../sample-data/index.js';
import { degradeInk } from '../../src/lm-conditioning/reading/ink-map.js';
import { estimatePitch, findColumns } from '../../src/lm-conditioning/reading/layout.js';
import { normalizeInk } from '../../src/lm-conditioning/reading/normalize.js';
import { layoutScore, type TruthLetterBox } from '../../src/workflows/truth-scores.js';

// Dev seeds (tiny): 16 and 21 with intercolumnia of 1.2-1.3 letter widths, 7 and 39 with 5.3-5.8; four hands (a column needs three lines for its pitch: estimatePitch).
const SEEDS = [16, 21, 7, 39];
let tmp: string;
const samples = new Map<number, SampleSummary>();

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-family-'));
  for (const seed of SEEDS)
    samples.set(seed, await generateSample({ out: path.join(tmp, `s${seed}`), seed, size: 'tiny' }));
}, 120_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('layout on the scroll family', () => {
  it.each(SEEDS)('dev seed %i (tiny): every column and line found', async (seed) => {
    const s = samples.get(seed)!;
    const png = decode(await readFile(path.join(s.truth, 'inklabels.png')));
    const labels = {
      width: png.width,
      height: png.height,
      data: Float32Array.from(png.data as Uint8Array, (v) => v / 255),
    };
    const map = normalizeInk(degradeInk(labels, { seed, noise: 0.15, contrast: 0.6, blur: 0.8 }));
    const found = findColumns(map, estimatePitch(map));
    const truth = JSON.parse(await readFile(path.join(s.truth, 'text.json'), 'utf8')) as {
      columns: { box: number[] }[];
    };
    const letters = JSON.parse(await readFile(path.join(s.truth, 'letters.json'), 'utf8')) as TruthLetterBox[];
    const score = layoutScore(found, truth.columns, letters);
    const p = scrollParams(seed, 'tiny');
    const what = `gap ${p.text.columnGap} px, h ${p.text.letterHeight.toFixed(1)}: ${JSON.stringify(score)}`;
    expect(score.columnsFound, what).toBe(score.columnsTrue);
    expect(score.linesFound, what).toBe(score.linesTrue);
    expect(score.right, what).toBe(true);
  });
});
