/**
 * Dynamic evaluation (the seed's word; `aunn condition` on the CLI): take new address+byte pairs, update the model on them, and save the
 * conditioned weights as a new model version (the snapshot is the conditioned state; the previous version stays).
 *  - `backprop`: k AdamW steps on batches of the new pairs mixed with replayed training voxels (so the model does
 *    not forget what it knew), through the whole network and, with bits+grid, into the grid tables (the vertices
 *    around the new pairs, which is where such a model keeps local detail);
 *  - `delta`: the local delta rule on the output layer only (cheap, no backprop through the trunk, no replay).
 *
 *   const r = await updateOnPairs({ modelDir, addresses, bytes, rule: 'backprop', steps: 20, corpus });
 *   r.version; r.before.psnr; r.after.psnr;   // fit on the pairs before and after
 */
import type { Manifest } from '../corpus/index.js';
import { nativeGradients } from './native-engine.js';
import { UserError } from '../core/errors.js';
import { hashAddress } from './addressing.js';
import { initBackend } from './backend.js';
import {
  checkManifest,
  latestVersion,
  readCheckpoint,
  versionPath,
  withModelLock,
  writeCheckpoint,
} from './checkpoint.js';
import { loadTrainSet, psnr, Sampler, type CorpusLike } from './data.js';
import { Encoder } from './encoding.js';
import { AdamW, clipGradients } from './optimizer.js';
import {
  deltaRuleOutput,
  gridView,
  lossAndGrads,
  mulberry32,
  paramLayout,
  predictBatch,
  UploadedParams,
} from './network.js';
import { trainableRecords } from './trainer.js';

export type UpdateRule = 'backprop' | 'delta';

export interface UpdateOnPairsOptions {
  modelDir: string;
  addresses: Float64Array;
  bytes: Uint8Array;
  rule?: UpdateRule;
  steps?: number;
  lr?: number;
  /** Corpus for the manifest (physical features) and replay; without it, no replay. */
  corpus?: CorpusLike;
  manifest?: Manifest;
  /** Share of each backprop batch replayed from the trained records (default 0.5). */
  replayFraction?: number;
  batchSize?: number;
  /** Backprop into the grid tables too (bits+grid; default true). False: the tables stay as trained. */
  trainGrid?: boolean;
  /** Write the conditioned weights as a new version (default true). */
  save?: boolean;
  signal?: AbortSignal;
}

export interface UpdateOnPairsResult {
  version: number;
  file?: string;
  rule: UpdateRule;
  steps: number;
  before: { psnr: number };
  after: { psnr: number };
  params: Float32Array;
}

/** Address+byte pairs from text: one pair a line, `ADDRESS BYTE` (decimal or 0x hex), or a JSON [[a, b], …]. */
export function parsePairs(text: string, file: string): { addresses: Float64Array; bytes: Uint8Array } {
  const pairs: [number, number][] = [];
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (e) {
      throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(json)) throw new UserError(`${file}: expected [[address, byte], …]`);
    json.forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw new UserError(`${file}: item ${i} is not [address, byte]`);
      pairs.push([Number(p[0]), Number(p[1])]);
    });
  } else {
    trimmed.split(/\r?\n/).forEach((line, i) => {
      const l = line.replace(/#.*/, '').trim();
      if (!l) return;
      const m = /^(0x[0-9a-f]+|\d+)[\s,]+(\d+)$/i.exec(l);
      if (!m) throw new UserError(`${file}:${i + 1}: expected 'ADDRESS BYTE', got '${l}'`);
      pairs.push([Number(m[1]), Number(m[2])]);
    });
  }
  if (pairs.length === 0) throw new UserError(`${file}: no address+byte pairs`);
  pairs.forEach(([a, b], i) => {
    if (!Number.isSafeInteger(a) || a < 0)
      throw new UserError(`${file}: pair ${i + 1}: address ${a} is not a non-negative integer`);
    if (!Number.isInteger(b) || b < 0 || b > 255)
      throw new UserError(`${file}: pair ${i + 1}: byte ${b} is not 0..255`);
  });
  return { addresses: Float64Array.from(pairs, (p) => p[0]), bytes: Uint8Array.from(pairs, (p) => p[1]) };
}

function fit(
  cfg: Parameters<typeof predictBatch>[0],
  layout: ReturnType<typeof paramLayout>,
  params: Float32Array,
  x: Float32Array,
  bytes: Uint8Array,
): number {
  const w = new UploadedParams(layout, params);
  try {
    const p = predictBatch(cfg, w, x, bytes.length);
    let sse = 0;
    for (let i = 0; i < bytes.length; i++) sse += (p.mean[i] - bytes[i]) ** 2;
    return psnr(sse, bytes.length);
  } finally {
    w.dispose();
  }
}

/** Updates under the model folder's lock (see trainModel), so the new version number is this run's alone. */
export async function updateOnPairs(opts: UpdateOnPairsOptions): Promise<UpdateOnPairsResult> {
  if (opts.save === false || latestVersion(opts.modelDir) === 0) return updateOnPairsLocked(opts);
  return withModelLock(opts.modelDir, () => updateOnPairsLocked(opts));
}

async function updateOnPairsLocked(opts: UpdateOnPairsOptions): Promise<UpdateOnPairsResult> {
  const latest = latestVersion(opts.modelDir);
  if (latest === 0) throw new UserError(`${opts.modelDir}: no trained model to condition`);
  if (opts.addresses.length !== opts.bytes.length || opts.addresses.length === 0)
    throw new UserError('conditioning needs as many bytes as addresses (at least one)');
  const file = versionPath(opts.modelDir, latest);
  const ck = readCheckpoint(file);
  const manifest = opts.corpus?.manifest ?? opts.manifest;
  if (manifest) checkManifest(file, ck.header, manifest);
  await initBackend();
  const cfg = ck.header.config;
  const t = cfg.train;
  const layout = paramLayout(cfg);
  const params = ck.params.slice();
  const enc = new Encoder(cfg.encoding, manifest?.records ?? [], gridView(layout, params));
  const n = opts.addresses.length;
  const xPairs = enc.encode(opts.addresses);
  const rule = opts.rule ?? 'backprop';
  const steps = opts.steps ?? 20;
  const before = fit(cfg, layout, params, xPairs, opts.bytes);
  const m = ck.m.slice();
  const v = ck.v.slice();
  if (rule === 'delta') {
    deltaRuleOutput(cfg, layout, params, xPairs, opts.bytes, n, opts.lr ?? 0.1, steps, t.labelSigma);
  } else {
    const bs = opts.batchSize ?? Math.min(t.batchSize, Math.max(256, 2 * n));
    const replay = opts.corpus ? (opts.replayFraction ?? 0.5) : 0;
    const sampler =
      replay > 0
        ? new Sampler(
            await loadTrainSet(
              opts.corpus!,
              trainableRecords(opts.corpus!).filter((r) => ck.header.trainedRecords.some((tr) => tr.name === r.name)),
              { maxResidentMB: t.maxResidentMB, residentSeed: t.seed, signal: opts.signal },
            ),
            t.heldOutFraction,
          )
        : undefined;
    const opt = new AdamW(layout, t, { params, m, v });
    const grads = new Float32Array(layout.total);
    const addr = new Float64Array(bs);
    const labels = new Uint8Array(bs);
    const x = new Float32Array(bs * enc.dim);
    const gridGrads = opts.trainGrid === false ? undefined : gridView(layout, grads);
    const inputGrad = gridGrads ? new Float32Array(bs * enc.dim) : undefined;
    const nReplay = sampler ? Math.round(bs * replay) : 0;
    const lr = opts.lr ?? t.lr * 0.5;
    // The gradients on the native engine when it loads (both cores: this runs on the calling thread), else tfjs.
    const native = await nativeGradients(cfg, { labelSigma: t.labelSigma, inputGrad: Boolean(gridGrads), threads: 2 });
    try {
      for (let s = 0; s < steps; s++) {
        opts.signal?.throwIfAborted();
        const rng = mulberry32(hashAddress(s, t.seed ^ 0xc0d));
        for (let i = nReplay; i < bs; i++) {
          const k = Math.floor(rng() * n);
          addr[i] = opts.addresses[k];
          labels[i] = opts.bytes[k];
        }
        if (sampler && nReplay > 0) sampler.minibatch(addr, labels, 0, nReplay, rng);
        enc.encode(addr, x, bs);
        if (native) await native.run(params, x, labels, bs, grads, gridGrads ? inputGrad : undefined);
        else lossAndGrads(cfg, layout, params, x, labels, bs, grads, t.labelSigma, gridGrads ? inputGrad : undefined);
        if (gridGrads) {
          // The grid is where a bits+grid model keeps local memory: the new pairs' vertices learn too.
          gridGrads.fill(0);
          enc.gridBackward(inputGrad!, bs, gridGrads);
        }
        clipGradients(grads, t.clipNorm);
        opt.step(grads, lr, ck.header.step + s + 1, gridGrads ? t.groupLr : { ...t.groupLr, grid: 0 });
      }
    } finally {
      await native?.release();
    }
  }
  const after = fit(cfg, layout, params, xPairs, opts.bytes);
  let version = latest;
  let out: string | undefined;
  if (opts.save !== false) {
    version = latest + 1;
    out = versionPath(opts.modelDir, version);
    const { blobFloats: _f, blobSha256: _s, ...rest } = ck.header;
    writeCheckpoint(
      out,
      {
        ...rest,
        modelVersion: version,
        parent: latest,
        step: ck.header.step + (rule === 'backprop' ? steps : 0),
        run: { ...ck.header.run, kind: 'condition', done: true },
        createdAt: new Date().toISOString(),
      },
      { params, m, v },
    );
  }
  return { version, file: out, rule, steps, before: { psnr: before }, after: { psnr: after }, params };
}
