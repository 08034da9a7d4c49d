/**
 * Index encodings on the sample scroll: held-out PSNR after 1, 3 and 10 minutes of training (--quick: 15 and 30 s)
 * for `bits`, `bits+physical` and `bits+grid`, next to linear interpolation of each held-out voxel from its observed neighbours
 * (the baseline on missing voxels). Then conditioning on one observed slab: backprop (k steps with replay) vs the
 * output-layer delta rule, scored on the slab's held-out voxels (backprop with and without the grid tables).
 * Then minibatch persistency (k steps per minibatch) k=1 vs 2 with bits+grid over the first mark, each its own run.
 * AUNN_BENCH_MINUTES=1,3 overrides the marks; AUNN_BENCH_SAMPLE_SEED=2 uses another sample scroll (a check that a
 * default is not tuned to one sample); AUNN_BENCH_DIR keeps the samples and corpora between runs.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Emit, BenchOptions } from '../src/cli/commands/bench.js';
import { Corpus } from '../src/corpus/index.js';
import { addressAt, isHeldOut } from '../src/model/index.js';
import { updateOnPairs } from '../src/model/index.js';
import { psnr } from '../src/model/index.js';
import { interpolationBaseline, makeSampleCorpus } from '../src/model/index.js';
import { loadModel } from '../src/model/index.js';
import { trainableRecords, trainModel } from '../src/model/index.js';

export const name = 'encodings';
export const description =
  'held-out PSNR on the sample scroll per index encoding after 1/3/10 min vs neighbour interpolation; conditioning rules';

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const tmp = opts.tmpDir || mkdtempSync(path.join(os.tmpdir(), 'aunn-enc-'));
  // AUNN_BENCH_DIR: keep the sample and corpus between runs (made once).
  const sampleSeed = Number(process.env.AUNN_BENCH_SAMPLE_SEED ?? 1);
  const corpusDir = makeSampleCorpus(process.env.AUNN_BENCH_DIR ?? tmp, [sampleSeed]);
  const corpus = await Corpus.open(corpusDir);
  const records = trainableRecords(corpus);
  const voxels = records.reduce((n, r) => n + r.shape[0] * r.shape[1] * r.shape[2], 0);
  emit('sample scroll seed', sampleSeed, '');
  emit('trainable voxels', voxels, 'voxels');
  const heldOut = 0.05;
  const base = await interpolationBaseline(corpus, records, heldOut);
  emit('interpolation held-out PSNR (all records)', +base.psnr.toFixed(2), 'dB');
  for (const [k, v] of Object.entries(base.perRecord)) emit(`interpolation ${k}`, +v.toFixed(2), 'dB');
  const marks = process.env.AUNN_BENCH_MINUTES
    ? process.env.AUNN_BENCH_MINUTES.split(',').map(Number)
    : opts.quick
      ? [0.25, 0.5]
      : [1, 3, 10];
  const total = marks[marks.length - 1];
  let physicalDir = '';
  for (const kind of ['bits', 'bits+physical', 'bits+grid'] as const) {
    const modelDir = path.join(tmp, `model-${kind}`);
    const r = await trainModel({
      corpusDir,
      modelDir,
      minutes: total,
      config: { encoding: { kind }, train: { evalEverySeconds: Math.max(5, total * 3) } },
    });
    for (const m of marks) {
      const before = r.header.history.filter((h) => h.seconds <= m * 60 + 1);
      const point = before.length ? before[before.length - 1] : r.header.history[0];
      emit(`${kind} held-out PSNR @${m} min`, +(point?.heldOutPsnr ?? NaN).toFixed(2), 'dB');
    }
    emit(`${kind} held-out PSNR final`, +r.heldOutPsnr.toFixed(2), 'dB');
    for (const [k, v] of Object.entries(r.perRecordPsnr)) emit(`${kind} ${k}`, +v.toFixed(2), 'dB');
    emit(`${kind} train samples/s`, Math.round(r.samplesPerS), 'samples/s');
    emit(`${kind} epochs seen (samples / trainable voxels)`, +(r.header.samplesSeen / voxels).toFixed(2), 'epochs');
    if (kind === 'bits+grid') physicalDir = modelDir;
  }

  // Conditioning on one observed slab of the first scan: fit on its observed voxels, score its held-out ones.
  const scan = records.find((r) => r.modality === 'scan') ?? records[0];
  const z = Math.floor(scan.shape[0] / 2);
  const slab = await corpus.readRegion(scan, { z: [z, z + 1], y: [0, scan.shape[1]], x: [0, scan.shape[2]] });
  const seen: number[] = [];
  const seenBytes: number[] = [];
  const held: number[] = [];
  const heldBytes: number[] = [];
  for (let y = 0; y < scan.shape[1]; y++)
    for (let x = 0; x < scan.shape[2]; x++) {
      const a = addressAt(scan, z, y, x);
      const b = slab[y * scan.shape[2] + x];
      if (isHeldOut(a, heldOut)) {
        held.push(a);
        heldBytes.push(b);
      } else {
        seen.push(a);
        seenBytes.push(b);
      }
    }
  const score = async (dir: string) => {
    const model = await loadModel(dir);
    const p = await model.predict(Float64Array.from(held), corpus.manifest);
    model.dispose();
    let sse = 0;
    heldBytes.forEach((b, i) => (sse += (p.mean[i] - b) ** 2));
    return psnr(sse, held.length);
  };
  emit(`condition: slab z=${z} held-out PSNR before`, +(await score(physicalDir)).toFixed(2), 'dB');
  for (const [label, rule, trainGrid] of [
    ['backprop', 'backprop', true],
    ['backprop (grid tables frozen)', 'backprop', false],
    ['delta', 'delta', false],
  ] as const) {
    const t0 = performance.now();
    const c = await updateOnPairs({
      modelDir: physicalDir,
      addresses: Float64Array.from(seen),
      bytes: Uint8Array.from(seenBytes),
      rule,
      trainGrid,
      steps: 20,
      corpus,
    });
    const seconds = (performance.now() - t0) / 1000;
    emit(
      `condition ${label}: PSNR on the ${seen.length} pairs`,
      `${c.before.psnr.toFixed(2)} → ${c.after.psnr.toFixed(2)}`,
      'dB',
    );
    emit(`condition ${label}: slab held-out PSNR after`, +(await score(physicalDir)).toFixed(2), 'dB');
    emit(`condition ${label}: seconds for 20 steps`, +seconds.toFixed(2), 's');
    // Back to the unconditioned model for the next rule.
    const { rmSync } = await import('node:fs');
    const { latestVersion, versionPath } = await import('../src/model/index.js');
    rmSync(versionPath(physicalDir, latestVersion(physicalDir)));
  }

  // Minibatch persistency: k optimizer steps on each drawn minibatch, same time budget (the first mark).
  for (const k of [1, 2]) {
    const r = await trainModel({
      corpusDir,
      modelDir: path.join(tmp, `model-persistency-${k}`),
      minutes: marks[0],
      config: { encoding: { kind: 'bits+grid' }, train: { persistency: k, evalEverySeconds: 1e9 } },
    });
    emit(`bits+grid persistency ${k}: held-out PSNR after ${marks[0]} min`, +r.heldOutPsnr.toFixed(2), 'dB');
    emit(
      `bits+grid persistency ${k}: steps, distinct samples/s`,
      `${r.stepsThisCall}, ${Math.round(r.samplesPerS / k)}`,
      '',
    );
  }
}
