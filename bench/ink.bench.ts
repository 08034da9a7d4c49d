/**
 * Ink, measured like the field (Kaggle 2023 ink detection): F0.5, precision, recall and AUC on the sample scroll's
 * unlabelled two thirds (threshold chosen on the labelled third) and on a second scroll with no labels of its own
 * (cross-scroll: the threshold chosen on scroll 1's labels). Rows: the conv readout vs the per-pixel logistic baseline
 * (layers 28–36) vs a per-row ink-rate guess, on the observed layers; and, unless --quick or AUNN_INK_BENCH_MODEL=0,
 * the readout on the AUNN's reconstruction of the segment layers (a model trained here for a few minutes on both
 * segments' layers), with the PSNR of that reconstruction. Also the readout's training time and steps.
 *
 *   npm run bench -- --only ink --json
 *   AUNN_INK_STEPS=300 AUNN_INK_MODEL_MINUTES=4 npm run bench -- --only ink   # AUNN_INK_MODEL_DIR=model: use a trained one
 */
import path from 'node:path';
import type { BenchOptions, Emit } from '../src/cli/commands/bench.js';
import { Corpus } from '../src/corpus/index.js';
import { ingestPath } from '../src/ingest/ingest.js';
import { loadCorpusSegment, readGrayImage } from '../src/ink/index.js';
import { trainLogistic, predictLogistic } from '../src/ink/index.js';
import { evaluateInk, type InkScore } from '../src/ink/index.js';
import { modelLayers } from '../src/ink/index.js';
import { bandFor, predictReadout, trainReadout, type InkReadout } from '../src/ink/index.js';
import type { InkSegment } from '../src/ink/index.js';
import { rowPrior } from '../src/ink/index.js';
import { ensureSample } from '../sample-data/index.js';

export const name = 'ink';
export const description =
  'ink F0.5/precision/recall/AUC: conv readout vs logistic vs row prior, observed vs AUNN reconstruction, scroll 1 unlabelled and scroll 2 cross-scroll; readout training time';

interface Scroll {
  seg: InkSegment;
  truth: Uint8Array;
  loaded: Awaited<ReturnType<typeof loadCorpusSegment>>;
}

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const seconds = Number(process.env.AUNN_INK_SECONDS ?? (opts.quick ? 15 : 600));
  // a step budget, so the table does not depend on how loaded the machine is (the time limit is only a guard)
  const maxSteps = Number(process.env.AUNN_INK_STEPS ?? (opts.quick ? 10 : 150));
  const seeds = (process.env.AUNN_INK_SEEDS ?? (opts.quick ? '1' : '1,2')).split(',').map(Number);
  const corpus = await Corpus.open(path.join(opts.tmpDir, 'corpus'), { create: true });
  const scrolls: Scroll[] = [];
  for (const seed of [1, 2]) {
    const sample = await ensureSample({ out: path.join(opts.tmpDir, `s${seed}`), seed });
    await ingestPath(corpus, sample.volpkg, {});
    const group = `${sample.scroll}/${sample.segment.id}`;
    const loaded = await loadCorpusSegment(corpus, group);
    const truth = await readGrayImage(path.join(sample.truth, 'inklabels.png'), loaded.segment);
    scrolls.push({ seg: loaded.segment, truth, loaded });
  }
  const [s1, s2] = scrolls as [Scroll, Scroll];
  const none = new Uint8Array(s2.truth.length);
  const unlabelled = (s: Scroll, prob: Float32Array) =>
    evaluateInk(prob, s.truth, s.seg.labelledMask!, { sheetMask: s.seg.sheetMask, labels: s.seg.labels });
  const cross = (prob: Float32Array, threshold: number) =>
    evaluateInk(prob, s2.truth, none, { sheetMask: s2.seg.sheetMask, threshold });
  const report = (row: string, score: InkScore) => {
    emit(`${row} F0.5`, score.f05);
    emit(`${row} precision`, score.precision);
    emit(`${row} recall`, score.recall);
    emit(`${row} AUC`, score.auc);
  };

  report('row prior / s1 unlabelled', unlabelled(s1, rowPrior(s1.seg)));

  const logistic = trainLogistic([s1.seg]);
  const l1 = unlabelled(s1, predictLogistic(logistic, s1.seg));
  report('logistic 28-36 observed / s1 unlabelled', l1);
  report('logistic 28-36 observed / s2 cross-scroll', cross(predictLogistic(logistic, s2.seg), l1.threshold));

  // the conv readout, a few seeds (seed spread is part of the result)
  const readouts: InkReadout[] = [];
  const f1: number[] = [],
    f2: number[] = [];
  for (const seed of seeds) {
    const { readout, log } = await trainReadout([s1.seg], { maxSeconds: seconds, maxSteps, seed });
    readouts.push(readout);
    emit(`readout seed ${seed} training time`, log.seconds, 's');
    emit(`readout seed ${seed} training steps`, log.steps);
    emit(`readout seed ${seed} steps/s`, log.stepsPerSecond);
    emit(`readout seed ${seed} layers`, `${log.band.from}..${log.band.to}`);
    const r1 = unlabelled(s1, await predictReadout(readout, s1.seg));
    const r2 = cross(await predictReadout(readout, s2.seg), readout.threshold);
    report(`readout seed ${seed} observed / s1 unlabelled`, r1);
    report(`readout seed ${seed} observed / s2 cross-scroll`, r2);
    f1.push(r1.f05);
    f2.push(r2.f05);
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  emit('readout observed / s1 unlabelled F0.5 (mean of seeds)', mean(f1));
  emit('readout observed / s2 cross-scroll F0.5 (mean of seeds)', mean(f2));

  if (opts.quick || process.env.AUNN_INK_BENCH_MODEL === '0') {
    emit('readout on AUNN reconstruction', 'skipped (--quick or AUNN_INK_BENCH_MODEL=0)');
    return;
  }
  // The AUNN's reconstruction of both segments' layers: a model trained here on the two layers records.
  const { trainModel } = await import('../src/model/index.js');
  const modelDir = process.env.AUNN_INK_MODEL_DIR ?? path.join(opts.tmpDir, 'model');
  if (!process.env.AUNN_INK_MODEL_DIR) {
    const minutes = Number(process.env.AUNN_INK_MODEL_MINUTES ?? 2);
    const t0 = performance.now();
    const r = await trainModel({
      corpusDir: corpus.dir,
      modelDir,
      minutes,
      records: scrolls.map((s) => s.loaded.layersRecord.name),
    });
    emit('AUNN training time (both segments layers)', (performance.now() - t0) / 1000, 's');
    emit('AUNN held-out PSNR', r.heldOutPsnr ?? NaN, 'dB');
  }
  const readout = readouts[0]!;
  const rendered: InkSegment[] = [];
  for (const [i, s] of scrolls.entries()) {
    const wide = bandFor(readout, s.seg); // the logistic baseline's 28..36 lies inside when the readout's band does
    const m = await modelLayers(s.loaded, corpus, modelDir, wide);
    emit(`AUNN reconstruction PSNR vs observed s${i + 1} layers ${wide.from}..${wide.to}`, m.psnr, 'dB');
    rendered.push(m.segment);
  }
  const [m1, m2] = rendered as [InkSegment, InkSegment];
  // the observed-trained readout applied to the reconstruction, and one trained on the reconstruction
  const a1 = unlabelled(s1, await predictReadout(readout, m1));
  report('readout (observed-trained) on AUNN / s1 unlabelled', a1);
  report(
    'readout (observed-trained) on AUNN / s2 cross-scroll',
    cross(await predictReadout(readout, m2), readout.threshold),
  );
  const { readout: onModel, log } = await trainReadout([m1], {
    maxSeconds: seconds,
    maxSteps,
    seed: 1,
    band: readout.band,
    localRadius: readout.localRadius,
  });
  emit('readout trained on AUNN training time', log.seconds, 's');
  report('readout trained on AUNN / s1 unlabelled', unlabelled(s1, await predictReadout(onModel, m1)));
  report('readout trained on AUNN / s2 cross-scroll', cross(await predictReadout(onModel, m2), onModel.threshold));
  const lm = trainLogistic([m1]);
  const lm1 = unlabelled(s1, predictLogistic(lm, m1));
  report('logistic 28-36 on AUNN / s1 unlabelled', lm1);
  report('logistic 28-36 on AUNN / s2 cross-scroll', cross(predictLogistic(lm, m2), lm1.threshold));
}
