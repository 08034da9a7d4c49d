/**
 * A trained AUNN loaded for inference: predict any address (seen, held out, in a record's padding, or past the last
 * record), a record region at any pyramid level, or continuous (z, y, x) points of a record (nearest or trilinear
 * over the voxel predictions: what renders segment layers from the model along mesh normals).
 *
 *   const model = await loadModel('model');                     // latest version
 *   const p = await model.predict(addresses, manifest);         // { mean, argmax, entropy }
 *   const r = await model.predictRegion(rec, { z: [0, 8], y: [0, 64], x: [0, 64] });  // uint8 value + uncertainty
 *   const s = await model.samplePoints(rec, zyx, 'trilinear');  // Float32 value + entropy per point
 */
import type { Manifest, RecordMeta } from '../corpus/index.js';
import { UserError } from '../core/errors.js';
import { addressAt } from './addressing.js';
import { initBackend, type BackendName } from './backend.js';
import { latestVersion, readCheckpoint, versionPath, type CheckpointHeader } from './checkpoint.js';
import type { ModelConfig } from './config.js';
import { Encoder } from './encoding.js';
import { InferencePool } from './infer-pool.js';
import { nativeEngine, preferredEngine, type EngineName, type NativeEngine } from './native-engine.js';
import {
  gridView,
  paramLayout,
  predictBatch,
  UploadedParams,
  type BatchPrediction,
  type ParamLayout,
} from './network.js';
import type { Region } from '../core/region.js';
import { progressTracker, type TaskOptions } from '../core/task.js';

export type { BatchPrediction } from './network.js';

export type { Region };

export interface RegionPrediction {
  shape: [number, number, number];
  /** Expected byte, rounded (raster z, y, x). */
  value: Uint8Array;
  /** Entropy scaled to 0..255 (255 = uniform over the 256 bytes). */
  uncertainty: Uint8Array;
}

export interface PredictOptions extends TaskOptions {
  batchSize?: number;
  /** Worker threads for large requests (default 2; 1 = on the calling thread). */
  threads?: number;
  /** Names the progress events (default 'predict'); they count voxels. */
  label?: string;
  /** onnxruntime (native, when it loads) or tfjs (the wasm workers); default AUNN_ENGINE, else onnxruntime. */
  engine?: EngineName;
}

const LN256 = Math.log(256);

/** Shape of a region (default: the whole record) at pyramid level L. */
export function regionShape(rec: RecordMeta, region: Region | undefined, level = 0): [number, number, number] {
  if (region) return [region.z[1] - region.z[0], region.y[1] - region.y[0], region.x[1] - region.x[0]];
  return rec.shape.map((s) => (s > 1 ? Math.ceil(s / 2 ** level) : 1)) as [number, number, number];
}

export class AunnModel {
  private weights: UploadedParams | undefined;
  private pool: InferencePool | undefined;
  private encoder: { records: readonly RecordMeta[]; enc: Encoder } | undefined;
  private native: { threads: number; engine: Promise<NativeEngine | undefined> } | undefined;
  /** The engine the last prediction ran on. */
  engine: EngineName | undefined;

  constructor(
    readonly dir: string,
    readonly version: number,
    readonly header: CheckpointHeader,
    readonly params: Float32Array,
    readonly backend: BackendName,
  ) {}

  get config(): ModelConfig {
    return this.header.config;
  }

  /** A name for predictions written by this model version, e.g. `model@v3`. */
  get label(): string {
    return `${this.dir.replace(/\/+$/, '').split('/').pop()}@v${this.version}`;
  }

  private layout(): ParamLayout {
    return paramLayout(this.config);
  }

  private ensureWeights(): UploadedParams {
    this.weights ??= new UploadedParams(this.layout(), this.params);
    return this.weights;
  }

  private encoderFor(records: readonly RecordMeta[]): Encoder {
    if (!this.encoder || this.encoder.records !== records)
      this.encoder = { records, enc: new Encoder(this.config.encoding, records, gridView(this.layout(), this.params)) };
    return this.encoder.enc;
  }

  /** Predictions for any addresses, in batches (the manifest places them in records for the physical features). */
  async predict(
    addresses: Float64Array,
    manifest: Pick<Manifest, 'records'>,
    opts: PredictOptions = {},
  ): Promise<BatchPrediction> {
    const n = addresses.length;
    const bs = opts.batchSize ?? 8192;
    const threads = opts.threads ?? 2;
    if ((opts.engine ?? preferredEngine()) === 'onnxruntime') {
      const engine = await this.nativeFor(threads);
      if (engine) return this.predictNative(engine, addresses, manifest.records, bs, opts);
    }
    this.engine = 'tfjs';
    if (threads > 1 && n >= 4 * bs) return this.predictParallel(addresses, manifest.records, threads, opts);
    const enc = this.encoderFor(manifest.records);
    const w = this.ensureWeights();
    const out: BatchPrediction = { mean: new Float32Array(n), argmax: new Uint8Array(n), entropy: new Float32Array(n) };
    const x = new Float32Array(Math.min(bs, n) * enc.dim);
    const tracker = progressTracker(opts.label ?? 'predict', n, opts.onProgress, { unit: 'voxels' });
    for (let s = 0; s < n; s += bs) {
      opts.signal?.throwIfAborted();
      const m = Math.min(bs, n - s);
      enc.encode(addresses.subarray(s, s + m), x, m);
      const p = predictBatch(this.config, w, x, m);
      out.mean.set(p.mean, s);
      out.argmax.set(p.argmax, s);
      out.entropy.set(p.entropy, s);
      tracker.set(s + m);
      // Let the event loop breathe between batches (progress bars, aborts).
      if (s + m < n) await new Promise<void>((r) => setImmediate(r));
    }
    tracker.done();
    return out;
  }

  /**
   * A region of a record at pyramid level L (2^L coarser on every axis > 1; each output voxel samples the centre of
   * its level-0 block). The region may reach into the record's padding (past its shape): addresses never observed.
   */
  async predictRegion(
    rec: RecordMeta,
    region?: Region,
    level = 0,
    manifest?: Pick<Manifest, 'records'>,
    opts: PredictOptions = {},
  ): Promise<RegionPrediction> {
    const f = rec.shape.map((s) => (s > 1 ? 2 ** level : 1));
    const padded = rec.bits.map((b) => 2 ** b);
    const full: Region = {
      z: [0, Math.ceil(rec.shape[0] / f[0])],
      y: [0, Math.ceil(rec.shape[1] / f[1])],
      x: [0, Math.ceil(rec.shape[2] / f[2])],
    };
    const r = region ?? full;
    (['z', 'y', 'x'] as const).forEach((ax, i) => {
      const [a, b] = r[ax];
      if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b > a && b * f[i] <= padded[i]))
        throw new UserError(
          `region ${ax}=${a}:${b} is outside record ${rec.name} (level ${level}: 0..${Math.floor(padded[i] / f[i])})`,
        );
    });
    const shape: [number, number, number] = [r.z[1] - r.z[0], r.y[1] - r.y[0], r.x[1] - r.x[0]];
    const n = shape[0] * shape[1] * shape[2];
    const addresses = new Float64Array(n);
    let i = 0;
    const half = f.map((k) => Math.floor(k / 2));
    for (let z = r.z[0]; z < r.z[1]; z++)
      for (let y = r.y[0]; y < r.y[1]; y++)
        for (let x = r.x[0]; x < r.x[1]; x++)
          addresses[i++] = addressAt(rec, z * f[0] + half[0], y * f[1] + half[1], x * f[2] + half[2]);
    const p = await this.predict(addresses, manifest ?? { records: [rec] }, opts);
    const value = new Uint8Array(n);
    const uncertainty = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      value[k] = Math.round(p.mean[k]);
      uncertainty[k] = Math.round((Math.min(LN256, Math.max(0, p.entropy[k])) / LN256) * 255);
    }
    return { shape, value, uncertainty };
  }

  /**
   * Values at continuous level-0 voxel coordinates of a record (zyx: 3 per point), nearest or trilinear over the
   * predictions at the surrounding voxels (coordinates clamped to the record's shape).
   */
  async samplePoints(
    rec: RecordMeta,
    zyx: Float32Array | Float64Array,
    interp: 'nearest' | 'trilinear' = 'trilinear',
    manifest?: Pick<Manifest, 'records'>,
    opts: PredictOptions = {},
  ): Promise<{ value: Float32Array; entropy: Float32Array }> {
    const n = Math.floor(zyx.length / 3);
    const k = interp === 'nearest' ? 1 : 8;
    const addresses = new Float64Array(n * k);
    const weights = new Float32Array(n * k);
    const clamp = (v: number, hi: number) => Math.min(hi - 1, Math.max(0, v));
    for (let i = 0; i < n; i++) {
      const z = zyx[3 * i];
      const y = zyx[3 * i + 1];
      const x = zyx[3 * i + 2];
      if (k === 1) {
        addresses[i] = addressAt(
          rec,
          clamp(Math.round(z), rec.shape[0]),
          clamp(Math.round(y), rec.shape[1]),
          clamp(Math.round(x), rec.shape[2]),
        );
        weights[i] = 1;
        continue;
      }
      const z0 = Math.floor(z);
      const y0 = Math.floor(y);
      const x0 = Math.floor(x);
      const fz = z - z0;
      const fy = y - y0;
      const fx = x - x0;
      let j = i * 8;
      for (let dz = 0; dz < 2; dz++)
        for (let dy = 0; dy < 2; dy++)
          for (let dx = 0; dx < 2; dx++) {
            addresses[j] = addressAt(
              rec,
              clamp(z0 + dz, rec.shape[0]),
              clamp(y0 + dy, rec.shape[1]),
              clamp(x0 + dx, rec.shape[2]),
            );
            weights[j++] = (dz ? fz : 1 - fz) * (dy ? fy : 1 - fy) * (dx ? fx : 1 - fx);
          }
    }
    const p = await this.predict(addresses, manifest ?? { records: [rec] }, opts);
    const value = new Float32Array(n);
    const entropy = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let v = 0;
      let e = 0;
      for (let j = i * k; j < (i + 1) * k; j++) {
        v += weights[j] * p.mean[j];
        e += weights[j] * p.entropy[j];
      }
      value[i] = v;
      entropy[i] = e;
    }
    return { value, entropy };
  }

  private nativeFor(threads: number): Promise<NativeEngine | undefined> {
    if (!this.native || this.native.threads !== threads) {
      void this.native?.engine.then((e) => e?.release());
      this.native = { threads, engine: nativeEngine(this.config, this.params, threads) };
    }
    return this.native.engine;
  }

  /** The native engine runs a batch on its own threads while this thread encodes the next one. */
  private async predictNative(
    engine: NativeEngine,
    addresses: Float64Array,
    records: readonly RecordMeta[],
    bs: number,
    opts: PredictOptions,
  ): Promise<BatchPrediction> {
    this.engine = 'onnxruntime';
    const enc = this.encoderFor(records);
    const n = addresses.length;
    const out: BatchPrediction = { mean: new Float32Array(n), argmax: new Uint8Array(n), entropy: new Float32Array(n) };
    const x = new Float32Array(Math.min(bs, n) * enc.dim);
    const tracker = progressTracker(opts.label ?? 'predict', n, opts.onProgress, { unit: 'voxels' });
    let running: Promise<void> | undefined;
    for (let s = 0; s < n; s += bs) {
      opts.signal?.throwIfAborted();
      const m = Math.min(bs, n - s);
      enc.encode(addresses.subarray(s, s + m), x, m);
      const batch = engine.run(x, m); // x is copied before this returns
      await running;
      running = batch.then((p) => {
        out.mean.set(p.mean, s);
        out.argmax.set(p.argmax, s);
        out.entropy.set(p.entropy, s);
        tracker.set(s + m);
      });
    }
    await running;
    tracker.done();
    return out;
  }

  /** Large requests: slices of `4 × threads` batches at a time across the worker pool, with progress. */
  private async predictParallel(
    addresses: Float64Array,
    records: readonly RecordMeta[],
    threads: number,
    opts: PredictOptions,
  ): Promise<BatchPrediction> {
    if (!this.pool || this.pool.threads !== threads) {
      await this.pool?.close();
      this.pool = new InferencePool(this.config, this.params, threads, this.backend);
    }
    const n = addresses.length;
    const bs = opts.batchSize ?? 8192;
    const chunk = bs * 4 * threads;
    const out: BatchPrediction = { mean: new Float32Array(n), argmax: new Uint8Array(n), entropy: new Float32Array(n) };
    const tracker = progressTracker(opts.label ?? 'predict', n, opts.onProgress, { unit: 'voxels' });
    for (let s = 0; s < n; s += chunk) {
      opts.signal?.throwIfAborted();
      const m = Math.min(chunk, n - s);
      const p = await this.pool.predict(addresses.subarray(s, s + m), records, bs);
      out.mean.set(p.mean, s);
      out.argmax.set(p.argmax, s);
      out.entropy.set(p.entropy, s);
      tracker.set(s + m);
    }
    tracker.done();
    return out;
  }

  dispose(): void {
    this.weights?.dispose();
    this.weights = undefined;
    void this.native?.engine.then((e) => e?.release());
    this.native = undefined;
    void this.pool?.close();
    this.pool = undefined;
  }
}

/** Loads the latest (or a given) version of the model in dir; UserError when there is none or it is corrupt. */
export async function loadModel(
  dir: string,
  opts: { version?: number; backend?: BackendName } = {},
): Promise<AunnModel> {
  const version = opts.version ?? latestVersion(dir);
  if (version === 0)
    throw new UserError(`${dir}: no trained model here (expected v0001.ckpt …); run \`aunn train\` first`);
  const ck = readCheckpoint(versionPath(dir, version));
  const backend = await initBackend(opts.backend);
  return new AunnModel(dir, version, ck.header, ck.params.slice(), backend);
}
