/**
 * `trainModel`: trains (or resumes, or finetunes) an AUNN over a corpus in worker threads, so the caller's thread
 * stays free. Creates `<modelDir>/v0001.ckpt` on the first run; resumes the latest version's unfinished run
 * (after a crash or kill) in place; any new run (more training after a finished one, or finetuning with
 * `newVersion`) starts version N+1 from N's weights and leaves N untouched.
 *
 *   const r = await trainModel({ corpusDir: 'corpus', modelDir: 'model', minutes: 3,
 *                                onProgress: (p) => console.log(p.step, p.loss, p.heldOutPsnr) });
 *   r.heldOutPsnr; r.samplesPerS; r.version;
 */
import { mkdirSync } from 'node:fs';
import type { RecordMeta } from '../corpus/index.js';
import { UserError } from '../core/errors.js';
import type { BackendName } from './backend.js';
import {
  checkManifest,
  latestVersion,
  layoutHash,
  readCheckpoint,
  recordLayout,
  removeStaleCheckpointTemps,
  withModelLock,
  versionPath,
  type CheckpointHeader,
  type RunState,
} from './checkpoint.js';
import { gridParams, modelConfig, type DeepPartial, type ModelConfig, type ScheduleKind } from './config.js';
import { loadTrainSet, Sampler, shareable, type CorpusLike } from './data.js';
import { hashAddress } from './addressing.js';
import { initParams, mulberry32, paramLayout } from './network.js';
import { spawnTsWorker } from '../core/spawn-worker.js';
import { STOP_REQ, type WorkerInit, type WorkerMessage } from './train-protocol.js';

export interface TrainProgress {
  step: number;
  runSteps: number;
  elapsedMs: number;
  /** 0..1 of the run (steps or minutes). */
  fraction: number;
  loss: number;
  trainPsnr: number;
  heldOutPsnr?: number;
  samplesPerS: number;
}

export interface TrainOptions {
  /** A corpus folder (opened with src/corpus) or an open corpus. */
  corpusDir?: string;
  corpus?: CorpusLike;
  modelDir: string;
  minutes?: number;
  steps?: number;
  /** Train on these record names only (default: every trainable record). */
  records?: string[];
  /** Records replayed (finetuning: earlier scrolls) with this share of every batch. */
  replayRecords?: string[];
  replayFraction?: number;
  schedule?: ScheduleKind;
  /** Peak learning rate of this run and per-group multipliers (default: the config's). */
  lr?: number;
  groupLr?: Partial<ModelConfig['train']['groupLr']>;
  /** Config of a new model (ignored, except threads, when resuming one; a conflicting encoding/shape is an error). */
  config?: DeepPartial<ModelConfig>;
  threads?: number;
  /** Bound on the training data held in memory, MiB (default: the config's). */
  maxResidentMB?: number;
  backend?: BackendName;
  /** Start version N+1 from version N (N kept). */
  newVersion?: boolean;
  kind?: RunState['kind'];
  checkpointEverySeconds?: number;
  /** Held-out evaluation cadence of this call (default: the config's). */
  evalEverySeconds?: number;
  evalEverySteps?: number;
  onProgress?: (p: TrainProgress) => void;
  onCheckpoint?: (step: number, file: string) => void;
  signal?: AbortSignal;
}

export interface TrainResult {
  modelDir: string;
  version: number;
  file: string;
  backend: string;
  threads: number;
  resumed: boolean;
  /** Optimizer steps in total and in this call. */
  step: number;
  stepsThisCall: number;
  samplesPerS: number;
  heldOutPsnr: number;
  perRecordPsnr: Record<string, number>;
  header: CheckpointHeader;
}

export async function openCorpus(opts: { corpusDir?: string; corpus?: CorpusLike }): Promise<CorpusLike> {
  if (opts.corpus) return opts.corpus;
  if (!opts.corpusDir) throw new UserError('no corpus given', { options: ['corpusDir'] });
  const { Corpus } = await import('../corpus/index.js');
  return Corpus.open(opts.corpusDir);
}

export function trainableRecords(corpus: CorpusLike): RecordMeta[] {
  return corpus.manifest.records.filter((r) => r.trainable && r.modality !== 'prediction');
}

function pickRecords(corpus: CorpusLike, names: string[] | undefined, what: string): RecordMeta[] {
  const all = trainableRecords(corpus);
  if (!names) return all;
  return names.map((n) => {
    const r = corpus.manifest.records.find((x) => x.name === n);
    if (!r) throw new UserError(`${what}: the corpus has no record '${n}'`);
    if (!r.trainable || r.modality === 'prediction')
      throw new UserError(`${what}: record '${n}' is not trainable (${r.modality})`);
    return r;
  });
}

function sameShape(a: ModelConfig, over: DeepPartial<ModelConfig> | undefined, file: string): void {
  if (!over) return;
  const clash = (what: string, want: unknown, have: unknown) => {
    if (want !== undefined && want !== have)
      throw new UserError(
        `${file}: the model was built with ${what} ${String(have)}, not ${String(want)}; use a new model folder to change it`,
        { file, options: ['modelDir'] },
      );
  };
  clash('encoding', over.encoding?.kind, a.encoding.kind);
  clash('width', over.width, a.width);
  clash('depth', over.depth, a.depth);
}

/**
 * Trains under the model folder's lock, so two runs on one folder cannot both write versions (the second is refused
 * with one line naming the first's pid).
 */
export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  if (opts.minutes === undefined && opts.steps === undefined && !opts.newVersion && latestVersion(opts.modelDir) === 0)
    throw new UserError('say how long to train', { options: ['minutes', 'steps'] });
  return withModelLock(opts.modelDir, () => trainModelLocked(opts));
}

async function trainModelLocked(opts: TrainOptions): Promise<TrainResult> {
  if (opts.minutes === undefined && opts.steps === undefined && !opts.newVersion && latestVersion(opts.modelDir) === 0)
    throw new UserError('say how long to train', { options: ['minutes', 'steps'] });
  const corpus = await openCorpus(opts);
  const manifest = corpus.manifest;
  mkdirSync(opts.modelDir, { recursive: true });
  removeStaleCheckpointTemps(opts.modelDir);
  const latest = latestVersion(opts.modelDir);
  let config: ModelConfig;
  let header: Omit<CheckpointHeader, 'blobFloats' | 'blobSha256'>;
  let state: { params: Float32Array; m: Float32Array; v: Float32Array } | undefined;
  let version: number;
  let resumed = false;
  const makeRun = (startStep: number, base: ModelConfig, kind: RunState['kind']): RunState => {
    if (opts.minutes === undefined && opts.steps === undefined)
      throw new UserError('say how long to train', { options: ['minutes', 'steps'] });
    const records = pickRecords(corpus, opts.records, 'train').map((r) => r.name);
    const replay = opts.replayRecords ? pickRecords(corpus, opts.replayRecords, 'replay').map((r) => r.name) : [];
    if (records.length === 0) throw new UserError(`${corpus.dir ?? 'corpus'}: no trainable records to train on`);
    return {
      kind,
      startStep,
      targetSteps: opts.steps,
      targetMs: opts.minutes !== undefined ? opts.minutes * 60_000 : undefined,
      elapsedMs: 0,
      done: false,
      records,
      replayRecords: replay.filter((n) => !records.includes(n)),
      replayFraction: opts.replayFraction ?? base.train.replayFraction,
      schedule: opts.schedule ?? base.train.schedule,
      lr: opts.lr ?? base.train.lr,
      groupLr: { ...base.train.groupLr, ...opts.groupLr },
    };
  };
  if (latest === 0) {
    const recs = pickRecords(corpus, opts.records, 'train');
    config = modelConfig({
      ...opts.config,
      encoding: {
        addressBits: manifest.addressBits,
        ...opts.config?.encoding,
        physical: { ...autoWavelengths(recs), ...opts.config?.encoding?.physical },
      },
    });
    // Keep the model smaller than its data: the grid tables get at most half as many values as the trained voxels.
    const voxels = recs.reduce((s, r) => s + r.shape[0] * r.shape[1] * r.shape[2], 0);
    while (gridParams(config.encoding) > voxels / 2 && config.encoding.grid.log2TableSize > 8)
      config.encoding.grid.log2TableSize--;
    const layout = paramLayout(config);
    state = {
      params: initParams(layout, config.train.seed),
      m: new Float32Array(layout.total),
      v: new Float32Array(layout.total),
    };
    version = 1;
    const run = makeRun(0, config, opts.kind ?? 'train');
    header = newHeader(config, layout.entries, 1, undefined, run, corpus, run.records.concat(run.replayRecords));
  } else {
    const file = versionPath(opts.modelDir, latest);
    const ck = readCheckpoint(file);
    checkManifest(file, ck.header, manifest);
    sameShape(ck.header.config, opts.config, file);
    config = ck.header.config;
    state = { params: ck.params, m: ck.m, v: ck.v };
    if (!ck.header.run.done && !opts.newVersion) {
      version = latest;
      resumed = true;
      header = { ...ck.header, run: { ...ck.header.run } };
    } else {
      // A new run (finetuning, or more training after a finished one) is a new version: version N is never
      // overwritten, so what was predicted from it stays reproducible.
      version = latest + 1;
      const run = makeRun(ck.header.step, config, opts.kind ?? (opts.newVersion ? 'finetune' : 'train'));
      header = {
        ...newHeader(config, ck.header.layout, version, latest, run, corpus, [
          ...ck.header.trainedRecords.map((r) => r.name),
          ...run.records,
          ...run.replayRecords,
        ]),
        step: ck.header.step,
        samplesSeen: ck.header.samplesSeen,
        history: [...ck.header.history],
      };
    }
  }
  const threads = opts.threads ?? config.train.threads;
  const cfgRun: ModelConfig = {
    ...config,
    train: {
      ...config.train,
      threads,
      schedule: header.run.schedule,
      checkpointEverySeconds: opts.checkpointEverySeconds ?? config.train.checkpointEverySeconds,
      evalEverySeconds: opts.evalEverySeconds ?? config.train.evalEverySeconds,
      evalEverySteps: opts.evalEverySteps ?? config.train.evalEverySteps,
    },
  };
  const file = versionPath(opts.modelDir, version);

  // Data: the run's records plus replayed ones, weighted so replay gets its share.
  const run = header.run;
  const trainRecs = pickRecords(corpus, run.records, 'train');
  const replayRecs = run.replayRecords.length ? pickRecords(corpus, run.replayRecords, 'replay') : [];
  const isReplay = new Set(replayRecs.map((r) => r.name));
  const sumW = (recs: RecordMeta[]) =>
    recs.reduce((s, r) => s + (r.shape[0] * r.shape[1] * r.shape[2]) ** config.train.recordWeightPower, 0);
  const wNew = sumW(trainRecs);
  const wOld = sumW(replayRecs);
  const set = await loadTrainSet(corpus, [...trainRecs, ...replayRecs], {
    power: config.train.recordWeightPower,
    weightOf: (rec, w) =>
      isReplay.has(rec.name)
        ? (w / wOld) * run.replayFraction
        : (w / wNew) * (replayRecs.length ? 1 - run.replayFraction : 1),
    serialOf: (rec) => !isReplay.has(rec.name),
    maxResidentMB: opts.maxResidentMB ?? config.train.maxResidentMB,
    // Each run (a resumed one keeps its own) holds another resident subset when the data exceed the bound.
    residentSeed: hashAddress(run.startStep, config.train.seed),
    persistency: config.train.persistency,
    signal: opts.signal,
  });
  // Held-out validation of what this run learns: the run's own records (replayed ones are scored by evaluate.ts).
  const evalSource = replayRecs.length ? { records: set.records.filter((r) => !isReplay.has(r.name)) } : set;
  const evalSet = new Sampler(evalSource, config.train.heldOutFraction).heldOut(
    Math.max(256, Math.floor(8192 / evalSource.records.length)),
    mulberry32(config.train.seed ^ 0xe7a1),
  );

  const P = state.params.length;
  const sab = (floats: number, from?: Float32Array) => {
    const b = new SharedArrayBuffer(floats * 4);
    if (from) new Float32Array(b).set(from);
    return b;
  };
  const shared: WorkerInit['shared'] = {
    params: sab(P, state.params),
    m: sab(P, state.m),
    v: sab(P, state.v),
    grads: sab(P * threads),
    ctrl: new SharedArrayBuffer(16),
    stats: new SharedArrayBuffer(8 * 3 * threads),
    sched: new SharedArrayBuffer(8 * 3),
  };
  state = undefined;
  const ctrl = new Int32Array(shared.ctrl);
  const plainSet = shareable(set);
  const workers = Array.from({ length: threads }, (_, w) =>
    spawnTsWorker(new URL('./train-worker.ts', import.meta.url), {
      workerData: {
        workerId: w,
        threads,
        backend: opts.backend,
        config: cfgRun,
        manifestRecords: manifest.records,
        set: plainSet,
        heldOutFraction: config.train.heldOutFraction,
        shared,
        evalSet,
        evalNames: evalSource.records.map((r) => r.name),
        header: { ...header, config },
        checkpointFile: file,
      } satisfies WorkerInit,
    }),
  );
  const onAbort = () => Atomics.store(ctrl, STOP_REQ, 1);
  opts.signal?.addEventListener('abort', onAbort);
  let backend = '';
  try {
    const done = await new Promise<Extract<WorkerMessage, { type: 'done' }>>((resolve, reject) => {
      let finished = false;
      workers.forEach((wk) => {
        wk.on('message', (m: WorkerMessage) => {
          if (m.type === 'ready') backend = m.backend;
          else if (m.type === 'progress') opts.onProgress?.(m);
          else if (m.type === 'checkpoint') opts.onCheckpoint?.(m.step, m.file);
          else if (m.type === 'done') {
            finished = true;
            resolve(m);
          } else if (m.type === 'error') reject(new Error(`training worker failed: ${m.message}\n${m.stack ?? ''}`));
        });
        wk.on('error', reject);
        wk.on('exit', (code) => {
          if (!finished && code !== 0) reject(new Error(`training worker exited with code ${code}`));
        });
      });
    });
    const h = done.header;
    return {
      modelDir: opts.modelDir,
      version,
      file,
      backend,
      threads,
      resumed,
      step: h.step,
      stepsThisCall: h.step - header.step,
      samplesPerS: done.samplesPerS,
      heldOutPsnr: h.heldOutPsnr ?? NaN,
      perRecordPsnr: h.perRecordPsnr ?? {},
      header: h,
    };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Physical-feature wavelengths fitted to the data: from 2 voxels (the finest the scans resolve) to twice the largest
 * record's extent, in µm. Fixed at model creation (saved in the config), so later appends do not move them.
 */
export function autoWavelengths(records: RecordMeta[]): { minWavelengthUm: number; maxWavelengthUm: number } {
  let minVox = Infinity;
  let maxExtent = 0;
  // Records without a physical size (segment layers, labels) are placed in voxel units; they do not set the scale.
  const physical = records.filter((r) => r.voxelSizeUm || r.affine);
  for (const r of physical.length ? physical : records) {
    const v = r.voxelSizeUm ?? (r.affine ? affineScale(r.affine) : [1, 1, 1]);
    r.shape.forEach((n, i) => {
      if (n > 1) minVox = Math.min(minVox, v[i]);
      maxExtent = Math.max(maxExtent, n * v[i]);
    });
  }
  if (!Number.isFinite(minVox) || maxExtent === 0) return { minWavelengthUm: 2, maxWavelengthUm: 1024 };
  return { minWavelengthUm: 2 * minVox, maxWavelengthUm: Math.max(4 * minVox, 2 * maxExtent) };
}

/** Length of the affine's z, y, x columns: the voxel size it implies (µm). */
function affineScale(a: number[]): [number, number, number] {
  const col = (c: number) => Math.hypot(a[c], a[4 + c], a[8 + c]);
  return [col(2), col(1), col(0)];
}

function uniqueRecords(corpus: CorpusLike, names: string[]): RecordMeta[] {
  const seen = new Set<string>();
  const out: RecordMeta[] = [];
  for (const n of names) {
    if (seen.has(n)) continue;
    seen.add(n);
    const r = corpus.manifest.records.find((x) => x.name === n);
    if (r) out.push(r);
  }
  return out;
}

function newHeader(
  config: ModelConfig,
  layout: CheckpointHeader['layout'],
  modelVersion: number,
  parent: number | undefined,
  run: RunState,
  corpus: CorpusLike,
  names: string[],
): Omit<CheckpointHeader, 'blobFloats' | 'blobSha256'> {
  const trainedRecords = recordLayout(uniqueRecords(corpus, names));
  return {
    format: 'aunn-checkpoint',
    version: 1,
    modelVersion,
    parent,
    config,
    layout,
    step: 0,
    samplesSeen: 0,
    schedule: { serialPos: 0, windowStep: 0 },
    rng: { seed: config.train.seed },
    run,
    manifestHash: layoutHash(trainedRecords),
    trainedRecords,
    history: [],
    createdAt: new Date().toISOString(),
  };
}
