/**
 * Transfer: held-out PSNR on a second sample scroll after equal steps for (a) a model pretrained on the first scroll
 * and finetuned (`finetuneModel`, replaying scroll 1), (b) the same network from scratch on scroll 2 only.
 * Prints both curves (PSNR at several step counts), the speed-up (steps for (a) to reach (b)'s final PSNR), and
 * scroll 1's held-out PSNR before and after finetuning (forgetting). Steps: AUNN_BENCH_STEPS=pretrain,finetune.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Emit, BenchOptions } from '../src/cli/commands/bench.js';
import { Corpus } from '../src/corpus/index.js';
import { heldOutPsnr, makeSampleCorpus } from '../src/model/index.js';
import { loadModel } from '../src/model/index.js';
import { finetuneModel } from '../src/model/index.js';
import { trainableRecords, trainModel, type TrainResult } from '../src/model/index.js';

export const name = 'transfer';
export const description = 'finetune a scroll-1 model on scroll 2 vs from scratch: PSNR curves, speed-up, forgetting';

function curve(r: TrainResult, startStep: number): { step: number; psnr: number }[] {
  return r.header.history
    .filter((h) => h.step > startStep && h.heldOutPsnr !== undefined)
    .map((h) => ({ step: h.step - startStep, psnr: h.heldOutPsnr! }));
}

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const tmp = opts.tmpDir || mkdtempSync(path.join(os.tmpdir(), 'aunn-transfer-'));
  const corpusDir = makeSampleCorpus(process.env.AUNN_BENCH_DIR ?? tmp, [1, 2]);
  const corpus = await Corpus.open(corpusDir);
  const scrolls = [...new Set(trainableRecords(corpus).map((r) => r.scroll))];
  const [s1, s2] = scrolls;
  const [pre, ft] = process.env.AUNN_BENCH_STEPS
    ? process.env.AUNN_BENCH_STEPS.split(',').map(Number)
    : opts.quick
      ? [6, 6]
      : [300, 150];
  const every = Math.max(1, Math.round(ft / 6));
  const s1Records = trainableRecords(corpus)
    .filter((r) => r.scroll === s1)
    .map((r) => r.name);
  const s2Records = trainableRecords(corpus)
    .filter((r) => r.scroll === s2)
    .map((r) => r.name);

  // (a) pretrain on scroll 1, then finetune on scroll 2.
  const pretrainedDir = path.join(tmp, 'pretrained');
  const p = await trainModel({ corpusDir, modelDir: pretrainedDir, steps: pre, records: s1Records });
  emit(`pretrain on ${s1}: held-out PSNR after ${pre} steps`, +p.heldOutPsnr.toFixed(2), 'dB');
  const a = await finetuneModel({
    corpusDir,
    modelDir: pretrainedDir,
    scroll: s2,
    steps: ft,
    evalEverySteps: every,
    evalEverySeconds: 1e9,
  });
  // (b) from scratch on scroll 2, same steps, same network.
  const b = await trainModel({
    corpusDir,
    modelDir: path.join(tmp, 'scratch'),
    steps: ft,
    records: s2Records,
    evalEverySteps: every,
    evalEverySeconds: 1e9,
  });
  const ca = curve(a, p.step);
  const cb = curve(b, 0);
  for (const pt of ca) emit(`(a) finetuned: ${s2} held-out PSNR @${pt.step} steps`, +pt.psnr.toFixed(2), 'dB');
  for (const pt of cb) emit(`(b) scratch:   ${s2} held-out PSNR @${pt.step} steps`, +pt.psnr.toFixed(2), 'dB');
  const target = b.heldOutPsnr;
  const reach = ca.find((pt) => pt.psnr >= target);
  emit(`steps for (a) to reach (b)'s final ${target.toFixed(2)} dB`, reach ? reach.step : `>${ft}`, 'steps');
  emit('speed-up (b steps / a steps)', reach ? +(ft / reach.step).toFixed(2) : '<1', 'x');
  // Forgetting: scroll 1 before (pretrained v1) and after (finetuned v2), same held-out voxels.
  const v1 = await loadModel(pretrainedDir, { version: 1 });
  const v2 = await loadModel(pretrainedDir, { version: 2 });
  const recs = s1Records.map((n) => corpus.record(n));
  const f1 = await heldOutPsnr(v1, corpus, recs);
  const f2 = await heldOutPsnr(v2, corpus, recs);
  emit(`forgetting: ${s1} held-out PSNR before finetuning`, +f1.psnr.toFixed(2), 'dB');
  emit(`forgetting: ${s1} held-out PSNR after finetuning`, +f2.psnr.toFixed(2), 'dB');
  v1.dispose();
  v2.dispose();
}
