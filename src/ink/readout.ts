/**
 * The ink readout: trains the small convolutional network of `network.ts` on the labelled regions of one or more
 * segments (shared across scrolls), with dropout, AdamW weight decay, flips/transposes and intensity jitter, and
 * early stopping on a held-out stripe of the labelled region (never on unlabelled pixels). The layer band is picked by
 * label correlation on the labelled data. The F0.5 threshold is chosen on every labelled pixel; the probabilities are
 * the network's own (Platt scaling on the held-out stripe on request, `calibrate`).
 *
 *   const { readout, log } = await trainReadout([seg1], { maxSeconds: 30, signal });
 *   const prob = await predictReadout(readout, seg2);   // Float32Array [H*W], ink probability
 *   await writeFile('ink-readout.json', JSON.stringify(readoutToJson(readout)));
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Worker } from 'node:worker_threads';
import { spawnTsWorker } from '../core/spawn-worker.js';
import { initBackend } from '../model/index.js';
import { chooseBand } from './band.js';
import { bandSize, layerBand, localNormalise, type LayerBand } from './features.js';
import { chooseThreshold } from './metrics.js';
import { applyPlatt, fitPlatt, type Platt } from './calibration.js';
import { availableParallelism } from 'node:os';
import { readoutInferenceEngine, readoutStepEngine } from './native-network.js';
import {
  backward,
  dropoutMasks,
  forward,
  inferLogits,
  initNetwork,
  receptiveRadius,
  type NetworkParams,
  type NetworkShape,
} from './network.js';
import { gaussian, mulberry32 } from '../core/random.js';
import { labelledPixels, maskBounds, validateSegment, type InkSegment } from './segment.js';
import { progressTracker, type ProgressListener } from '../core/task.js';

export interface InkReadout {
  kind: 'cnn';
  band: LayerBand;
  /** Layer index of the surface in the training segments; bands are applied relative to it on other segments. */
  surface: number;
  net: NetworkParams;
  /** F0.5-best threshold on all labelled pixels (of the calibrated probabilities when `calibration` is set). */
  threshold: number;
  /** Platt scaling fitted on the held-out labelled stripe (`calibrate`): predictReadout returns scaled probabilities. */
  calibration?: Platt;
  trainedOn: string[];
  /** Radius of the local contrast normalisation of the inputs (0: only the per-segment, per-layer one). */
  localRadius: number;
  /** Further networks of the same shape, trained with other seeds: the prediction is the mean over `net` and these. */
  members?: NetworkParams[];
}

export interface ReadoutOptions {
  /** Layer band (default: chosen by label correlation). */
  band?: LayerBand;
  /**
   * Local contrast normalisation radius in pixels (default: 4x the network's receptive radius, 16 for the default
   * kernels — wider than a letter, so the ink is kept while slow brightness/contrast changes along the sheet go;
   * +0.03 F0.5 on the sample's unlabelled region and on the second scroll). 0 turns it off.
   */
  localRadius?: number;
  kernels?: number[];
  channels?: number[];
  dropout?: number;
  weightDecay?: number;
  learningRate?: number;
  batch?: number;
  crop?: number;
  maxSteps?: number;
  maxSeconds?: number;
  evalEvery?: number;
  /** Evaluations without improvement before stopping. */
  patience?: number;
  /** Fraction of the labelled region (a stripe at its far end, along its longer side) held out for early stopping. */
  valFraction?: number;
  /**
   * Platt-scale the probabilities on the held-out stripe (default off: on dev scrolls 1-30 the raw probabilities were
   * closer to the ink frequency of the unlabelled part, largest gap per decile 0.096 against 0.131, and of another
   * scroll, 0.174 against 0.195; the stripe is too small to fit the scaling on).
   */
  calibrate?: boolean;
  seed?: number;
  /**
   * Networks to train, with seeds seed, seed + 1, … (default 1); each gets maxSteps and an equal share of maxSeconds,
   * and the readout predicts their mean. Averaging cancels much of each network's noise on unlabelled pixels, which the
   * reader feels more than the F0.5 does.
   */
  ensemble?: number;
  /** Worker threads the ensemble trains on, one network each at a time (default 2; 1: in turn, on this thread). */
  threads?: number;
  /** Threads of the native engine (onnxruntime) for one network's steps and predictions (default: the cores). */
  engineThreads?: number;
  signal?: AbortSignal;
  /** Training steps of all networks, as ProgressEvents (unit 'steps', info: loss, val). */
  onProgress?: ProgressListener;
}

/** trainNetwork's own hook: one network's step, its step budget, and its losses. */
type StepHook = (step: number, maxSteps: number, info: { loss: number; valLoss?: number }) => void;

export interface TrainLog {
  steps: number;
  bestStep: number;
  seconds: number;
  stepsPerSecond: number;
  bestValLoss: number;
  band: LayerBand;
  correlation?: number[];
  curve: { step: number; loss: number; valLoss: number }[];
}

/** One training segment prepared: features, train/val pixel masks. */
interface Prepared {
  seg: InkSegment;
  x: Float32Array; // [H, W, C]
  y: Uint8Array; // 0/1 labels
  train: Uint8Array;
  val: Uint8Array;
  trainIdx: Uint32Array;
}

/** Band shifted so that it sits at the same depth relative to the surface of `seg`. */
export function bandFor(readout: Pick<InkReadout, 'band' | 'surface'>, seg: InkSegment): LayerBand {
  const shift = seg.surface - readout.surface;
  return { from: readout.band.from + shift, to: readout.band.to + shift };
}

/** Labelled pixels split into a training part and a held-out stripe at the far end of the longer side, with a gap. */
export function splitLabelled(
  seg: InkSegment,
  valFraction: number,
  gap: number,
): { train: Uint8Array; val: Uint8Array } {
  const lab = labelledPixels(seg);
  const train = new Uint8Array(lab.length);
  const val = new Uint8Array(lab.length);
  const box = maskBounds(lab, seg.height, seg.width);
  if (!box) return { train, val };
  const alongX = box.x1 - box.x0 >= box.y1 - box.y0;
  const lo = alongX ? box.x0 : box.y0;
  const hi = alongX ? box.x1 : box.y1;
  // The cut leaves valFraction of the labelled ink (not of the area) in the held-out stripe: a stripe of the area
  // can fall wholly in an intercolumnium, and early stopping and calibration on it would see no ink at all.
  const inkAt = new Float64Array(hi - lo);
  let inkTotal = 0;
  for (let i = 0; i < lab.length; i++)
    if (lab[i] && seg.labels![i]! > 127) {
      inkAt[(alongX ? i % seg.width : Math.floor(i / seg.width)) - lo]!++;
      inkTotal++;
    }
  let cut = Math.round(hi - (hi - lo) * valFraction);
  if (inkTotal > 0) {
    let acc = 0;
    for (let t = hi - 1; t >= lo; t--) {
      acc += inkAt[t - lo]!;
      if (acc >= valFraction * inkTotal) {
        cut = t;
        break;
      }
    }
  }
  for (let y = 0; y < seg.height; y++) {
    for (let x = 0; x < seg.width; x++) {
      const i = y * seg.width + x;
      if (!lab[i]) continue;
      const t = alongX ? x : y;
      if (t >= cut) val[i] = 1;
      else if (t < cut - gap) train[i] = 1;
    }
  }
  return { train, val };
}

/** The readout's input for a segment: the band, normalised per layer, then (optionally) locally. */
export function readoutInput(seg: InkSegment, band: LayerBand, localRadius: number): Float32Array {
  const x = layerBand(seg, band);
  return localRadius > 0 ? localNormalise(x, seg.height, seg.width, bandSize(band), localRadius) : x;
}

function prepare(seg: InkSegment, band: LayerBand, valFraction: number, gap: number, localRadius: number): Prepared {
  const x = readoutInput(seg, band, localRadius);
  const y = new Uint8Array(seg.height * seg.width);
  for (let i = 0; i < y.length; i++) y[i] = seg.labels![i]! > 127 ? 1 : 0;
  const { train, val } = splitLabelled(seg, valFraction, gap);
  let n = 0;
  for (const v of train) n += v;
  const trainIdx = new Uint32Array(n);
  for (let i = 0, j = 0; i < train.length; i++) if (train[i]) trainIdx[j++] = i;
  return { seg, x, y, train, val, trainIdx };
}

/** 65,536 standard normal draws (fixed seed): the crops' pixel noise, indexed by random 16-bit numbers. */
const NORMAL_TABLE = (() => {
  const r = mulberry32(0x9e3779b9);
  return Float32Array.from({ length: 65536 }, () => gaussian(r));
})();

/** Fills one augmented crop (flips, transpose, intensity jitter) centred on a random training pixel. */
function fillCrop(
  p: Prepared,
  c: number,
  s: number,
  rand: () => number,
  xs: Float32Array,
  ys: Float32Array,
  ws: Float32Array,
  o: number,
): void {
  const { width: W, height: H } = p.seg;
  const centre = p.trainIdx[Math.floor(rand() * p.trainIdx.length)]!;
  const cy = Math.floor(centre / W) - (s >> 1);
  const cx = (centre % W) - (s >> 1);
  const flipY = rand() < 0.5,
    flipX = rand() < 0.5,
    transpose = rand() < 0.5;
  const gain = Math.exp(0.15 * gaussian(rand));
  const offset = 0.15 * gaussian(rand);
  const chanGain = Array.from({ length: c }, () => Math.exp(0.05 * gaussian(rand)));
  for (let i = 0; i < s; i++) {
    for (let j = 0; j < s; j++) {
      let a = flipY ? s - 1 - i : i;
      let b = flipX ? s - 1 - j : j;
      if (transpose) [a, b] = [b, a];
      const y = cy + a,
        x = cx + b;
      const dst = o + i * s + j;
      if (y < 0 || y >= H || x < 0 || x >= W) {
        ws[dst] = 0;
        ys[dst] = 0;
        for (let k = 0; k < c; k++) xs[dst * c + k] = 0;
        continue;
      }
      const src = y * W + x;
      ws[dst] = p.train[src]!;
      ys[dst] = p.y[src]!;
      if (p.seg.sheetMask && p.seg.sheetMask[src] === 0) {
        for (let k = 0; k < c; k++) xs[dst * c + k] = 0;
        continue;
      }
      for (let k = 0; k < c; k += 2) {
        // pixel noise from a table of normal draws, two 16-bit indices per draw (a Box–Muller pair per value had
        // taken a quarter of a training step)
        const r = rand() * 4294967296;
        xs[dst * c + k] = p.x[src * c + k]! * chanGain[k]! * gain + offset + 0.05 * NORMAL_TABLE[r & 0xffff]!;
        if (k + 1 < c)
          xs[dst * c + k + 1] =
            p.x[src * c + k + 1]! * chanGain[k + 1]! * gain + offset + 0.05 * NORMAL_TABLE[r >>> 16]!;
      }
    }
  }
}

/** Inference over a [H, W, C] feature image in row tiles (bounded memory): probabilities [H*W]. */
async function inferImage(
  net: NetworkParams,
  x: Float32Array,
  height: number,
  width: number,
  channels: number,
  signal?: AbortSignal,
  threads = availableParallelism(),
): Promise<Float32Array> {
  const margin = receptiveRadius(net.shape);
  const tileRows = Math.max(8, Math.floor(2_000_000 / Math.max(1, width * channels * 9)));
  const out = new Float32Array(height * width);
  const native = await readoutInferenceEngine(net.shape, threads);
  const weights = net.tensors.map((t) => t.data);
  for (let y0 = 0; y0 < height; y0 += tileRows) {
    signal?.throwIfAborted();
    const y1 = Math.min(height, y0 + tileRows);
    const a = Math.max(0, y0 - margin),
      b = Math.min(height, y1 + margin);
    const features = x.subarray(a * width * channels, b * width * channels);
    let prob: Float32Array;
    if (native) prob = await native.run(weights, features, b - a, width);
    else {
      const tile = tf.tensor4d(features, [1, b - a, width, channels]);
      const probT = tf.tidy(() => tf.sigmoid(inferLogits(net, tile)));
      prob = (await probT.data()) as Float32Array;
      tile.dispose();
      probT.dispose();
    }
    out.set(prob.subarray((y0 - a) * width, (y1 - a) * width), y0 * width);
  }
  return out;
}

/** [H, W, C] mirrored along y and/or x (its own inverse). */
function flipImage(x: Float32Array, h: number, w: number, c: number, flipY: boolean, flipX: boolean): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < h; y++) {
    const sy = flipY ? h - 1 - y : y;
    for (let xx = 0; xx < w; xx++) {
      const sx = flipX ? w - 1 - xx : xx;
      out.set(x.subarray((sy * w + sx) * c, (sy * w + sx + 1) * c), (y * w + xx) * c);
    }
  }
  return out;
}

/** Inference averaged over the four mirror images (test-time augmentation matching the training flips). */
async function inferMirrored(
  net: NetworkParams,
  x: Float32Array,
  height: number,
  width: number,
  channels: number,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const sum = new Float32Array(height * width);
  for (const [fy, fx] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const input = fy || fx ? flipImage(x, height, width, channels, fy, fx) : x;
    const p = await inferImage(net, input, height, width, channels, signal);
    const back = fy || fx ? flipImage(p, height, width, 1, fy, fx) : p;
    for (let i = 0; i < sum.length; i++) sum[i]! += back[i]! / 4;
  }
  return sum;
}

function bce(prob: Float32Array, y: Uint8Array, mask: Uint8Array): number {
  let s = 0,
    n = 0;
  for (let i = 0; i < prob.length; i++) {
    if (!mask[i]) continue;
    const p = Math.min(1 - 1e-6, Math.max(1e-6, prob[i]!));
    s -= y[i] ? Math.log(p) : Math.log(1 - p);
    n++;
  }
  return n ? s / n : NaN;
}

/**
 * Trains the readout (an ensemble of `opts.ensemble` networks, default one) on the labelled pixels of `segments`.
 * The log is the first network's, with the steps of all and the wall time they took; the threshold is chosen on the held-out
 * stripe for the ensemble's mean.
 */
export async function trainReadout(
  segments: InkSegment[],
  opts: ReadoutOptions = {},
): Promise<{ readout: InkReadout; log: TrainLog }> {
  const k = Math.max(1, Math.round(opts.ensemble ?? 1));
  const maxSteps = opts.maxSteps ?? 150;
  const seed = opts.seed ?? 1;
  const labelled = segments.filter((s) => s.labels);
  if (labelled.length === 0) throw new Error('trainReadout: none of the segments has ink labels');
  for (const s of labelled) validateSegment(s);
  // Every member reads the same band and normalisation, chosen once here.
  let correlation: number[] | undefined;
  let band = opts.band;
  if (!band) ({ band, correlation } = chooseBand(labelled));
  const shape: NetworkShape = {
    inChannels: bandSize(band),
    kernels: opts.kernels ?? [5, 5, 1],
    channels: opts.channels ?? [16, 16],
  };
  const localRadius = opts.localRadius ?? 4 * receptiveRadius(shape);
  const { signal, onProgress, ...rest } = opts;
  // Plain data only: callers may pass wider option objects (a log callback and the like) that cannot be sent.
  const plain = Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v !== 'function')) as MemberOptions;
  const members: MemberOptions[] = Array.from({ length: k }, (_, i) => ({
    ...plain,
    seed: seed + i,
    maxSeconds: (opts.maxSeconds ?? 300) / k,
    band,
    localRadius,
  }));
  const threads = Math.min(k, Math.max(1, opts.threads ?? 2));
  // Side by side on worker threads, each network's engine keeps to one core; the networks left over once the
  // others are done (the third of three on two workers) share the cores among themselves.
  if (threads > 1) {
    const rest = k % threads;
    members.forEach((m, i) => {
      m.engineThreads = rest && i >= k - rest ? Math.max(1, Math.floor(availableParallelism() / rest)) : 1;
    });
  }
  const tracker = progressTracker('ink readout', k * maxSteps, onProgress, { unit: 'steps' });
  const done = new Array<number>(k).fill(0);
  const onStep = (i: number, step: number, info: { loss: number; valLoss?: number }) => {
    done[i] = step;
    tracker.set(
      done.reduce((a, b) => a + b, 0),
      { loss: info.loss, val: info.valLoss ?? NaN },
    );
  };
  const t0 = performance.now();
  const runs =
    threads > 1
      ? await trainMembersInWorkers(labelled, members, threads, onStep, signal)
      : await sequentialMembers(labelled, members, onStep, signal);
  tracker.done();
  if (correlation) runs[0]!.log.correlation = correlation;
  const readout: InkReadout = {
    ...runs[0]!.readout,
    ...(k > 1 ? { members: runs.slice(1).map((r) => r.readout.net) } : {}),
  };
  if (opts.calibrate) {
    const held = await predictionsOn(
      readout,
      segments.filter((s) => s.labels),
      (seg) => heldOutStripe(seg, opts.valFraction ?? 0.2, readout),
      opts.signal,
    );
    // Too little held-out ink to calibrate on: the raw probabilities stay.
    let heldInk = 0;
    for (const v of held.ink) heldInk += v;
    if (heldInk >= MIN_CALIBRATION_INK) readout.calibration = fitPlatt(held.probs, held.ink);
  }
  // The threshold on every labelled pixel: on dev scrolls 1-30 the held-out stripe alone, a fifth of
  // them, gave a threshold above the unlabelled part's best on 10 of 12 (F0.5 there 0.574 against 0.586; best 0.592).
  const all = await predictionsOn(
    readout,
    segments.filter((s) => s.labels),
    labelledPixels,
    opts.signal,
  );
  readout.threshold = chooseThreshold(
    all.probs,
    Uint8Array.from(all.ink, (v) => (v ? 255 : 0)),
  ).threshold;
  const steps = runs.reduce((a, r) => a + r.log.steps, 0);
  // Wall time of the members' training (they may train side by side).
  const seconds = (performance.now() - t0) / 1000;
  return { readout, log: { ...runs[0]!.log, steps, seconds, stepsPerSecond: steps / Math.max(1e-9, seconds) } };
}

async function sequentialMembers(
  segments: InkSegment[],
  members: MemberOptions[],
  onStep: (i: number, step: number, info: { loss: number; valLoss?: number }) => void,
  signal?: AbortSignal,
): Promise<{ readout: InkReadout; log: TrainLog }[]> {
  const runs: { readout: InkReadout; log: TrainLog }[] = [];
  for (const [i, m] of members.entries())
    runs.push(await trainNetwork(segments, { ...m, signal, onStep: (step, _max, info) => onStep(i, step, info) }));
  return runs;
}

/** The members on `threads` worker threads, each taking the next member when it is free; the same networks as in turn. */
async function trainMembersInWorkers(
  segments: InkSegment[],
  members: MemberOptions[],
  threads: number,
  onStep: (i: number, step: number, info: { loss: number; valLoss?: number }) => void,
  signal?: AbortSignal,
): Promise<{ readout: InkReadout; log: TrainLog }[]> {
  signal?.throwIfAborted();
  const results: { readout: InkReadout; log: TrainLog }[] = [];
  const live = new Set<Worker>();
  let next = 0;
  const abort = () => {
    for (const w of live) void w.terminate();
  };
  signal?.addEventListener('abort', abort, { once: true });
  const runOne = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const w = spawnTsWorker(new URL('./readout-worker.ts', import.meta.url), {
        workerData: { segments, opts: members[i]! } satisfies MemberJob,
      });
      live.add(w);
      w.on('message', (m: MemberReply) => {
        if (m.type === 'step') onStep(i, m.step, m.info);
        else if (m.type === 'done') {
          results[i] = m.result;
          resolve();
        } else reject(new Error(`ink readout network ${i + 1}: ${m.message}`));
      });
      w.on('error', reject);
      w.on('exit', () => {
        live.delete(w);
        // A reply posted just before the exit is still delivered: look after it.
        setImmediate(() => {
          if (signal?.aborted) reject(signal.reason);
          else if (!results[i]) reject(new Error(`ink readout network ${i + 1}: its worker stopped`));
        });
      });
    });
  const lane = async () => {
    while (next < members.length) await runOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: threads }, lane));
  } finally {
    signal?.removeEventListener('abort', abort);
    abort();
  }
  return results;
}

/** What readout-worker.ts is started with: the segments and one member's options. */
export interface MemberJob {
  segments: InkSegment[];
  opts: MemberOptions;
}

/** Options of one ensemble member, as sent to its worker (plain data: no signal, no callbacks). */
export type MemberOptions = Omit<ReadoutOptions, 'signal' | 'onProgress' | 'ensemble'>;

export type MemberReply =
  | { type: 'step'; step: number; info: { loss: number; valLoss?: number } }
  | { type: 'done'; result: { readout: InkReadout; log: TrainLog } }
  | { type: 'error'; message: string };

/** Held-out ink pixels needed to fit the calibration. */
const MIN_CALIBRATION_INK = 100;

/** The readout's prediction on the pixels `pick` chooses of each labelled segment, and whether each is ink. */
async function predictionsOn(
  readout: InkReadout,
  labelled: InkSegment[],
  pick: (seg: InkSegment) => Uint8Array,
  signal?: AbortSignal,
): Promise<{ probs: Float32Array; ink: Uint8Array }> {
  const probs: number[] = [];
  const ink: number[] = [];
  for (const seg of labelled) {
    const use = pick(seg);
    const prob = await predictReadout(readout, seg, signal);
    for (let i = 0; i < prob.length; i++)
      if (use[i]) {
        probs.push(prob[i]!);
        ink.push(seg.labels![i]! > 127 ? 1 : 0);
      }
  }
  return { probs: Float32Array.from(probs), ink: Uint8Array.from(ink) };
}

/** The held-out stripe of a labelled segment (all its labelled pixels when it has none). */
function heldOutStripe(seg: InkSegment, valFraction: number, readout: InkReadout): Uint8Array {
  const { val } = splitLabelled(seg, valFraction, receptiveRadius(readout.net.shape));
  return val.some((v) => v !== 0) ? val : labelledPixels(seg);
}

/** One network of the readout (exported for readout-worker.ts). */
export async function trainNetwork(
  segments: InkSegment[],
  opts: ReadoutOptions & { onStep?: StepHook },
): Promise<{ readout: InkReadout; log: TrainLog }> {
  await initBackend();
  const labelled = segments.filter((s) => s.labels);
  if (labelled.length === 0) throw new Error('trainReadout: none of the segments has ink labels');
  for (const s of labelled) validateSegment(s);
  const kernels = opts.kernels ?? [5, 5, 1];
  const channels = opts.channels ?? [16, 16];
  const dropout = opts.dropout ?? 0.2;
  const weightDecay = opts.weightDecay ?? 0.05;
  const lr = opts.learningRate ?? 3e-3;
  const batch = opts.batch ?? 8;
  const crop = opts.crop ?? 48;
  const maxSteps = opts.maxSteps ?? 150;
  const maxSeconds = opts.maxSeconds ?? 300;
  const evalEvery = opts.evalEvery ?? 25;
  const patience = opts.patience ?? 8;
  const valFraction = opts.valFraction ?? 0.2;
  const seed = opts.seed ?? 1;
  const rand = mulberry32(seed);

  const surface = labelled[0]!.surface;
  let correlation: number[] | undefined;
  let band = opts.band;
  if (!band) {
    const choice = chooseBand(labelled);
    band = choice.band;
    correlation = choice.correlation;
  }
  const shape: NetworkShape = { inChannels: bandSize(band), kernels, channels };
  const gap = receptiveRadius(shape);
  const localRadius = opts.localRadius ?? 4 * receptiveRadius(shape);
  const prepared = labelled
    .map((s) => prepare(s, bandFor({ band: band!, surface }, s), valFraction, gap, localRadius))
    .filter((p) => p.trainIdx.length > 0);
  if (prepared.length === 0) throw new Error('trainReadout: no labelled pixels left for training');
  let inkRate = 0,
    total = 0;
  for (const p of prepared)
    for (const i of p.trainIdx) {
      inkRate += p.y[i]!;
      total++;
    }
  const net = initNetwork(shape, seed, Math.min(0.9, Math.max(0.01, inkRate / total)));
  const weights = net.tensors.map((t) => Float32Array.from(t.data));
  const m1 = weights.map((w) => new Float32Array(w.length));
  const m2 = weights.map((w) => new Float32Array(w.length));
  /** AdamW with decoupled weight decay on the matrices. */
  const adamW = (t: number, grads: Float32Array[]) => {
    const c1 = 1 - 0.9 ** t,
      c2 = 1 - 0.999 ** t;
    weights.forEach((w, i) => {
      const g = grads[i]!,
        a = m1[i]!,
        v = m2[i]!;
      const decay = net.tensors[i]!.decay ? weightDecay : 0;
      for (let j = 0; j < w.length; j++) {
        a[j] = 0.9 * a[j]! + 0.1 * g[j]!;
        v[j] = 0.999 * v[j]! + 0.001 * g[j]! * g[j]!;
        w[j]! -= lr * (a[j]! / c1 / (Math.sqrt(v[j]! / c2) + 1e-8) + decay * w[j]!);
      }
    });
  };
  const c = shape.inChannels;
  const xs = new Float32Array(batch * crop * crop * c);
  const ys = new Float32Array(batch * crop * crop);
  const ws = new Float32Array(batch * crop * crop);
  const wn = new Float32Array(batch * crop * crop);
  const engineThreads = opts.engineThreads ?? availableParallelism();
  const native = await readoutStepEngine(shape, engineThreads);
  const pick = prepared.map((p) => p.trainIdx.length);
  const wsum = pick.reduce((a, b) => a + b, 0);

  const snapshot = (): NetworkParams => ({
    shape,
    tensors: net.tensors.map((t, i) => ({ ...t, data: Float32Array.from(weights[i]!) })),
  });
  const validate = async (): Promise<number> => {
    const params = snapshot();
    let s = 0,
      n = 0;
    for (const p of prepared) {
      let count = 0;
      for (const v of p.val) count += v;
      if (!count) continue;
      const prob = await inferImage(params, p.x, p.seg.height, p.seg.width, c, opts.signal, engineThreads);
      s += bce(prob, p.y, p.val) * count;
      n += count;
    }
    return n ? s / n : NaN;
  };

  const t0 = performance.now();
  const curve: TrainLog['curve'] = [];
  let best = { loss: Infinity, step: 0, params: snapshot() };
  let sinceBest = 0;
  let step = 0;
  let lossAcc = 0,
    lossN = 0;
  {
    for (step = 1; step <= maxSteps; step++) {
      opts.signal?.throwIfAborted();
      for (let b = 0; b < batch; b++) {
        let r = rand() * wsum,
          k = 0;
        while (k < pick.length - 1 && r >= pick[k]!) r -= pick[k++]!;
        fillCrop(prepared[k]!, c, crop, rand, xs, ys, ws, b * crop * crop);
      }
      let wTotal = 0;
      for (let j = 0; j < ws.length; j++) wTotal += ws[j]!;
      wTotal = Math.max(1, wTotal);
      const dims4: [number, number, number, number] = [batch, crop, crop, c];
      const masks = dropoutMasks(shape, dims4, dropout, rand);
      for (let j = 0; j < ws.length; j++) wn[j] = ws[j]! / wTotal;
      let z: Float32Array, grads: Float32Array[];
      if (native) ({ logits: z, grads } = await native.run(weights, xs, ys, wn, masks, dims4));
      else {
        const pass = forward(shape, weights, xs, dims4, { masks });
        z = pass.logits;
        const dz = new Float32Array(z.length);
        for (let j = 0; j < z.length; j++) if (ws[j]) dz[j] = (1 / (1 + Math.exp(-z[j]!)) - ys[j]!) * wn[j]!;
        grads = backward(shape, weights, pass.cache, dz).grads;
        pass.cache.dispose();
      }
      let loss = 0;
      for (let j = 0; j < z.length; j++) {
        if (!ws[j]) continue;
        const zj = z[j]!;
        // softplus(z) - y z, computed stably; its derivative sigmoid(z) - y is the gradient's seed
        loss += (Math.max(zj, 0) + Math.log1p(Math.exp(-Math.abs(zj))) - ys[j]! * zj) * ws[j]!;
      }
      adamW(step, grads);
      lossAcc += loss / wTotal;
      lossN++;
      if (step % evalEvery !== 0)
        opts.onStep?.(step, maxSteps, { loss: loss / wTotal, valLoss: curve.at(-1)?.valLoss });
      const elapsed = (performance.now() - t0) / 1000;
      const last = step === maxSteps || elapsed >= maxSeconds;
      if (step % evalEvery === 0 || last) {
        const valLoss = await validate();
        const loss = lossAcc / lossN;
        lossAcc = lossN = 0;
        curve.push({ step, loss, valLoss });
        opts.onStep?.(step, maxSteps, { loss, valLoss });
        if (!(valLoss >= best.loss)) {
          // NaN val loss (no val stripe): keep the latest weights
          best = { loss: Number.isNaN(valLoss) ? best.loss : valLoss, step, params: snapshot() };
          sinceBest = 0;
        } else if (++sinceBest >= patience) break;
      }
      if (last) break;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const steps = Math.min(step, maxSteps);
  // the threshold is chosen by trainReadout, for the whole ensemble
  const readout: InkReadout = {
    kind: 'cnn',
    band,
    surface,
    net: best.params,
    threshold: 0.5,
    trainedOn: labelled.map((s) => s.name),
    localRadius,
  };
  return {
    readout,
    log: {
      steps,
      bestStep: best.step,
      seconds,
      stepsPerSecond: steps / seconds,
      bestValLoss: best.loss,
      band,
      correlation,
      curve,
    },
  };
}

/** Ink probability [H*W] of a segment (0 off the sheet), averaged over mirror images unless `mirrored: false`. */
export async function predictReadout(
  readout: InkReadout,
  seg: InkSegment,
  signal?: AbortSignal,
  opts: { mirrored?: boolean } = {},
): Promise<Float32Array> {
  await initBackend();
  validateSegment(seg);
  const band = bandFor(readout, seg);
  const x = readoutInput(seg, band, readout.localRadius);
  const infer = opts.mirrored === false ? inferImage : inferMirrored;
  const nets = [readout.net, ...(readout.members ?? [])];
  const prob = await infer(nets[0]!, x, seg.height, seg.width, bandSize(band), signal);
  for (const net of nets.slice(1)) {
    const p = await infer(net, x, seg.height, seg.width, bandSize(band), signal);
    for (let i = 0; i < prob.length; i++) prob[i]! += p[i]!;
  }
  if (nets.length > 1) for (let i = 0; i < prob.length; i++) prob[i]! /= nets.length;
  if (readout.calibration) applyPlatt(prob, readout.calibration);
  if (seg.sheetMask) for (let i = 0; i < prob.length; i++) if (!seg.sheetMask[i]) prob[i] = 0;
  return prob;
}

/** JSON form (weights as base64 little-endian float32). */
export function readoutToJson(r: InkReadout): Record<string, unknown> {
  return {
    format: 'aunn-ink-readout',
    version: 1,
    kind: r.kind,
    band: r.band,
    surface: r.surface,
    threshold: r.threshold,
    ...(r.calibration ? { calibration: r.calibration } : {}),
    trainedOn: r.trainedOn,
    localRadius: r.localRadius,
    shape: r.net.shape,
    tensors: tensorsToJson(r.net),
    ...(r.members?.length ? { members: r.members.map((m) => ({ tensors: tensorsToJson(m) })) } : {}),
  };
}

function tensorsToJson(net: NetworkParams) {
  return net.tensors.map((t) => ({
    name: t.name,
    dims: t.dims,
    decay: t.decay,
    data: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64'),
  }));
}

export function readoutFromJson(j: Record<string, unknown>, source = 'ink readout'): InkReadout {
  if (j.format !== 'aunn-ink-readout' || j.version !== 1)
    throw new Error(`${source}: not an ink readout (format ${String(j.format)}, version ${String(j.version)})`);
  const shape = j.shape as NetworkShape;
  const tensorsOf = (list: { name: string; dims: number[]; decay: boolean; data: string }[]) =>
    list.map((t) => {
      const buf = Buffer.from(t.data, 'base64');
      const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      if (data.length !== t.dims.reduce((a, b) => a * b, 1))
        throw new Error(`${source}: tensor ${t.name} has ${data.length} values for dims ${t.dims.join('x')}`);
      return { name: t.name, dims: t.dims, decay: t.decay, data };
    });
  const net = { shape, tensors: tensorsOf(j.tensors as Parameters<typeof tensorsOf>[0]) };
  const members = Array.isArray(j.members)
    ? (j.members as { tensors: Parameters<typeof tensorsOf>[0] }[]).map((m) => ({
        shape,
        tensors: tensorsOf(m.tensors),
      }))
    : undefined;
  for (const m of members ?? []) {
    if (
      m.tensors.length !== net.tensors.length ||
      m.tensors.some((t, i) => t.data.length !== net.tensors[i]!.data.length)
    )
      throw new Error(`${source}: an ensemble member's tensors differ from the first network's`);
  }
  return {
    kind: 'cnn',
    band: j.band as LayerBand,
    surface: j.surface as number,
    threshold: j.threshold as number,
    ...(isPlatt(j.calibration) ? { calibration: { a: j.calibration.a, b: j.calibration.b } } : {}),
    trainedOn: j.trainedOn as string[],
    localRadius: typeof j.localRadius === 'number' ? j.localRadius : 0,
    net,
    ...(members?.length ? { members } : {}),
  };
}

function isPlatt(v: unknown): v is Platt {
  const c = v as Platt | undefined;
  return typeof c?.a === 'number' && Number.isFinite(c.a) && typeof c.b === 'number' && Number.isFinite(c.b);
}
