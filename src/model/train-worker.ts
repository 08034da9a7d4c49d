/**
 * One data-parallel training thread. Every worker samples and encodes its share of the batch and computes the
 * gradient with its own wasm backend; the gradients meet in shared memory; worker 0 (the leader) averages them,
 * clips, applies AdamW to the shared weights, evaluates, writes checkpoints and reports progress; a barrier keeps
 * the steps in lock-step. Started by trainer.ts (spawnTsWorker), never imported directly.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hashAddress } from './addressing.js';
import { initBackend } from './backend.js';
import { nativeGradients } from './native-engine.js';
import { barrier, STOP, STOP_REQ, type WorkerInit, type WorkerMessage } from './train-protocol.js';
import { writeCheckpoint, type CheckpointHeader, type HistoryPoint } from './checkpoint.js';
import type { ModelConfig } from './config.js';
import { psnr, Sampler } from './data.js';
import { Encoder } from './encoding.js';
import { AdamW, averageGradients, clipScale, lrAt } from './optimizer.js';
import { gridView, lossAndGrads, mulberry32, paramLayout, predictBatch, UploadedParams } from './network.js';

/** Held-out PSNR overall and per record of the eval set, with the given weights. */
export function evaluate(
  cfg: ModelConfig,
  weights: UploadedParams,
  enc: Encoder,
  evalSet: WorkerInit['evalSet'],
  names: string[],
): { psnr: number; perRecord: Record<string, number> } {
  const n = evalSet.addresses.length;
  const sse = new Float64Array(names.length);
  const cnt = new Float64Array(names.length);
  const chunk = 4096;
  const x = new Float32Array(chunk * enc.dim);
  let total = 0;
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    enc.encode(evalSet.addresses.subarray(s, s + m), x, m);
    const out = predictBatch(cfg, weights, x, m);
    for (let i = 0; i < m; i++) {
      const e = out.mean[i] - evalSet.labels[s + i];
      const r = evalSet.record[s + i];
      sse[r] += e * e;
      cnt[r] += 1;
      total += e * e;
    }
  }
  const perRecord: Record<string, number> = {};
  names.forEach((nm, i) => {
    if (cnt[i] > 0) perRecord[nm] = psnr(sse[i], cnt[i]);
  });
  return { psnr: psnr(total, n), perRecord };
}

async function main(init: WorkerInit): Promise<void> {
  const port = parentPort!;
  const backend = await initBackend(init.backend);
  const cfg = init.config;
  const t = cfg.train;
  const layout = paramLayout(cfg);
  const P = layout.total;
  const params = new Float32Array(init.shared.params);
  const grads = new Float32Array(init.shared.grads);
  const ctrl = new Int32Array(init.shared.ctrl);
  const stats = new Float64Array(init.shared.stats);
  const sched = new Float64Array(init.shared.sched); // [fraction, serialPos, step]
  const T = init.threads;
  const w = init.workerId;
  const leader = w === 0;
  const localParams = new Float32Array(P);
  const enc = new Encoder(cfg.encoding, init.manifestRecords, gridView(layout, localParams));
  const sampler = new Sampler(init.set, init.heldOutFraction);
  const share = Math.floor(t.batchSize / T) + (leader ? t.batchSize % T : 0);
  const addresses = new Float64Array(share);
  const labels = new Uint8Array(share);
  const x = new Float32Array(share * enc.dim);
  const myGrads = grads.subarray(w * P, (w + 1) * P);
  const myGridGrads = gridView(layout, myGrads);
  const inputGrad = myGridGrads ? new Float32Array(share * enc.dim) : undefined;
  // The step's gradients on the native engine when it loads (one engine thread per worker), else tfjs.
  const native = await nativeGradients(cfg, { labelSigma: t.labelSigma, inputGrad: Boolean(myGridGrads), threads: 1 });
  const engine = native ? 'onnxruntime' : backend;
  port.postMessage({ type: 'ready', workerId: w, backend: engine } satisfies WorkerMessage);

  // Leader state.
  const header = init.header;
  const run = header.run;
  const opt = leader
    ? new AdamW(layout, t, { params, m: new Float32Array(init.shared.m), v: new Float32Array(init.shared.v) })
    : undefined;
  const sum = leader ? new Float32Array(P) : undefined;
  const workerGrads = Array.from({ length: T }, (_, k) => grads.subarray(k * P, (k + 1) * P));
  const names = init.evalNames;
  let step = header.step;
  let samplesSeen = header.samplesSeen;
  const schedule = { ...header.schedule };
  const history: HistoryPoint[] = [...header.history];
  const t0 = performance.now();
  const elapsed0 = run.elapsedMs;
  let lastCkpt = t0;
  let lastEval = t0;
  let lastPost = 0;
  let heldOut = header.heldOutPsnr;
  let emaLoss = NaN;
  let emaSse = NaN;
  const runSteps = () => step - run.startStep;
  const fractionNow = () => {
    const fs = run.targetSteps ? runSteps() / run.targetSteps : 0;
    const ft = run.targetMs ? (elapsed0 + performance.now() - t0) / run.targetMs : 0;
    return Math.min(1, Math.max(fs, ft));
  };
  const finished = () =>
    (run.targetSteps !== undefined && runSteps() >= run.targetSteps) ||
    (run.targetMs !== undefined && elapsed0 + performance.now() - t0 >= run.targetMs);
  const snapshot = (done: boolean, perRecord?: Record<string, number>): CheckpointHeader => {
    const h = {
      ...header,
      step,
      samplesSeen,
      schedule: { ...schedule },
      run: { ...run, elapsedMs: elapsed0 + performance.now() - t0, done },
      heldOutPsnr: heldOut,
      perRecordPsnr: perRecord ?? header.perRecordPsnr,
      history,
      backend: engine,
      createdAt: new Date().toISOString(),
    };
    return writeCheckpoint(init.checkpointFile, h, opt!.state);
  };
  const evalNow = () => {
    localParams.set(params);
    const weights = new UploadedParams(layout, params);
    try {
      return evaluate(cfg, weights, enc, init.evalSet, names);
    } finally {
      weights.dispose();
    }
  };

  if (leader) {
    sched[0] = fractionNow();
    sched[1] = schedule.serialPos;
    sched[2] = step;
    if (finished()) Atomics.store(ctrl, STOP, 1);
  }
  barrier(ctrl, T);
  while (Atomics.load(ctrl, STOP) === 0) {
    // 1. Every worker: its share of the batch → gradient.
    const fraction = sched[0];
    const serialPos = sched[1];
    const s = sched[2];
    const rng = mulberry32(hashAddress(s * 64 + w, t.seed));
    const serialShare = t.schedule === 'serial' ? 1 : t.schedule === 'anneal' ? fraction : 0;
    const nSerial = Math.round(share * serialShare);
    if (nSerial > 0) sampler.serial(addresses, labels, 0, nSerial, rng, serialPos, t.serialWindow, t.replayFraction);
    if (nSerial < share) sampler.minibatch(addresses, labels, nSerial, share, rng);
    localParams.set(params);
    enc.encode(addresses, x, share);
    const r = native
      ? await native.run(localParams, x, labels, share, myGrads, inputGrad)
      : lossAndGrads(cfg, layout, localParams, x, labels, share, myGrads, t.labelSigma, inputGrad);
    if (myGridGrads) {
      myGridGrads.fill(0);
      enc.gridBackward(inputGrad!, share, myGridGrads);
    }
    stats[w * 3] = r.loss;
    stats[w * 3 + 1] = r.sse;
    stats[w * 3 + 2] = share;
    barrier(ctrl, T);
    // 2. Leader: average, clip, update, bookkeeping.
    if (leader) {
      let loss = 0;
      let sse = 0;
      let n = 0;
      for (let k = 0; k < T; k++) n += stats[k * 3 + 2];
      for (let k = 0; k < T; k++) {
        loss += (stats[k * 3 + 2] / n) * stats[k * 3];
        sse += stats[k * 3 + 1];
      }
      // One pass averages and takes the norm; the clip factor is folded into the AdamW pass.
      const norm = Math.sqrt(
        averageGradients(
          workerGrads,
          workerGrads.map((_, k) => stats[k * 3 + 2] / n),
          sum!,
        ),
      );
      const f = fractionNow();
      step++;
      opt!.step(
        sum!,
        lrAt({ ...t, lr: run.lr }, step - 1 - run.startStep, f),
        step,
        run.groupLr,
        clipScale(norm, t.clipNorm),
      );
      samplesSeen += n;
      emaLoss = Number.isNaN(emaLoss) ? loss : 0.9 * emaLoss + 0.1 * loss;
      emaSse = Number.isNaN(emaSse) ? sse / n : 0.9 * emaSse + 0.1 * (sse / n);
      if (t.schedule !== 'minibatch' && ++schedule.windowStep >= t.serialStepsPerWindow) {
        schedule.windowStep = 0;
        schedule.serialPos += t.serialWindow;
        if (schedule.serialPos >= sampler.serialTotal) schedule.serialPos = 0;
      }
      const now = performance.now();
      const done = finished() || Atomics.load(ctrl, STOP_REQ) === 1;
      if (
        !done &&
        (now - lastEval >= t.evalEverySeconds * 1000 || (t.evalEverySteps > 0 && runSteps() % t.evalEverySteps === 0))
      ) {
        heldOut = evalNow().psnr;
        history.push({ step, seconds: (elapsed0 + now - t0) / 1000, loss: emaLoss, heldOutPsnr: heldOut });
        lastEval = performance.now();
      }
      if (!done && now - lastCkpt >= t.checkpointEverySeconds * 1000) {
        snapshot(false);
        lastCkpt = performance.now();
        port.postMessage({ type: 'checkpoint', step, file: init.checkpointFile } satisfies WorkerMessage);
      }
      if (done || now - lastPost > 250) {
        lastPost = now;
        const spent = (now - t0) / 1000;
        port.postMessage({
          type: 'progress',
          step,
          runSteps: runSteps(),
          elapsedMs: elapsed0 + now - t0,
          loss: emaLoss,
          trainPsnr: psnr(emaSse, 1),
          heldOutPsnr: heldOut,
          samplesPerS: (samplesSeen - header.samplesSeen) / Math.max(1e-3, spent),
          fraction: f,
        } satisfies WorkerMessage);
      }
      sched[0] = f;
      sched[1] = schedule.serialPos;
      sched[2] = step;
      if (done) Atomics.store(ctrl, STOP, 1);
    }
    barrier(ctrl, T);
  }
  if (!leader) return;
  const spent = (performance.now() - t0) / 1000;
  const final = evalNow();
  heldOut = final.psnr;
  history.push({ step, seconds: (elapsed0 + performance.now() - t0) / 1000, loss: emaLoss, heldOutPsnr: heldOut });
  const completed = finished();
  const h = snapshot(completed, final.perRecord);
  port.postMessage({
    type: 'done',
    header: h,
    samplesPerS: (samplesSeen - header.samplesSeen) / Math.max(1e-3, spent),
    runSteps: runSteps(),
  } satisfies WorkerMessage);
}

const init = workerData as WorkerInit | null;
if (init)
  main(init).catch((e: unknown) => {
    const err = e as Error;
    Atomics.store(new Int32Array(init!.shared.ctrl), STOP, 1);
    parentPort!.postMessage({
      type: 'error',
      message: err?.message ?? String(e),
      stack: err?.stack,
    } satisfies WorkerMessage);
  });
