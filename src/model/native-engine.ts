/**
 * Inference through a native engine: onnxruntime-node (its CPU binaries ship in the npm package) runs the AUNN's
 * ONNX graph (onnx-graph.ts) on its own thread pool, 4–5x the wasm backend per thread on the reference MLP (`npm
 * run bench -- --only mlp`). Chosen by `AUNN_ENGINE` (onnxruntime | tfjs; default: onnxruntime when it loads); the
 * tfjs path (wasm workers, infer-pool.ts) stays the fallback and gives the same numbers (test/model/native-engine).
 * Where ONNX Runtime's CUDA provider was installed the sessions run on the GPU (AUNN_ENGINE_CPU=1 keeps the CPU);
 * not yet run on a GPU.
 *
 *   const engine = await nativeEngine(config, params, 2);        // undefined: use the tfjs path
 *   const p = await engine.run(x, n);                            // { mean, argmax, entropy } of n encoded rows
 *   const g = await nativeGradients(config, { labelSigma: 0, inputGrad: false, threads: 1 });
 *   const { loss, sse } = await g!.run(params, x, labels, n, grads);   // as network.ts's lossAndGrads
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ModelConfig } from './config.js';
import { inputDim } from './config.js';
import { gaussianTargetRows, paramLayout, type BatchPrediction, type LossAndGrads } from './network.js';
import { onnxGradientModel, onnxInferenceModel } from './onnx-graph.js';

export type EngineName = 'onnxruntime' | 'tfjs';

type Ort = typeof import('onnxruntime-node');
type SessionOptions = import('onnxruntime-node').InferenceSession.SessionOptions;

/**
 * ONNX Runtime's CUDA provider when it was installed with the package (`npm install
 * --onnxruntime-node-install=cuda12`: its library then lies beside the CPU binaries), else none.
 */
function cudaInstalled(): boolean {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    const bin = path.join(path.dirname(pkg), 'bin', 'napi-v6', `${process.platform}`, `${process.arch}`);
    return existsSync(path.join(bin, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/** A session on the GPU when the CUDA provider is installed and a device answers, else on the CPU threads. */
async function createSession(rt: Ort, model: Uint8Array, threads: number) {
  const options: SessionOptions = {
    intraOpNumThreads: Math.max(1, threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Errors only: its warnings are about graph rewrites, not about the user's data.
    logSeverityLevel: 3,
  };
  if (process.env.AUNN_ENGINE_CPU !== '1' && cudaInstalled()) {
    try {
      return await rt.InferenceSession.create(model, { ...options, executionProviders: ['cuda', 'cpu'] });
    } catch {
      // no usable GPU: the CPU below
    }
  }
  return rt.InferenceSession.create(model, { ...options, executionProviders: ['cpu'] });
}
let ort: Promise<Ort | undefined> | undefined;

function loadOrt(): Promise<Ort | undefined> {
  ort ??= import('onnxruntime-node').then(
    (m) => m as Ort,
    () => undefined, // not installed, or no binary for this platform: the tfjs path
  );
  return ort;
}

/**
 * onnxruntime and a session for any ONNX model (bytes) on `threads` threads (the GPU where its provider is
 * installed), or undefined when onnxruntime is not to be had or AUNN_ENGINE=tfjs. For graphs outside this module
 * (the ink readout's).
 */
export async function ortSession(model: Uint8Array, threads: number) {
  if (preferredEngine() !== 'onnxruntime') return undefined;
  const rt = await loadOrt();
  if (!rt) return undefined;
  return { rt, session: await createSession(rt, model, threads) };
}

/** The engine asked for (AUNN_ENGINE), else onnxruntime. */
export function preferredEngine(env = process.env.AUNN_ENGINE): EngineName {
  if (env === undefined || env === '') return 'onnxruntime';
  if (env !== 'onnxruntime' && env !== 'tfjs') throw new Error(`AUNN_ENGINE must be onnxruntime or tfjs, got '${env}'`);
  return env;
}

export interface NativeEngine {
  readonly name: 'onnxruntime';
  readonly threads: number;
  run(x: Float32Array, n: number): Promise<BatchPrediction>;
  release(): Promise<void>;
}

/** A session for these weights on `threads` threads, or undefined when onnxruntime is not to be had. */
export async function nativeEngine(
  config: Pick<ModelConfig, 'encoding' | 'width' | 'depth'>,
  params: Float32Array,
  threads: number,
): Promise<NativeEngine | undefined> {
  const rt = await loadOrt();
  if (!rt) return undefined;
  const session = await createSession(rt, onnxInferenceModel(config, params), threads);
  const d = inputDim(config.encoding);
  return {
    name: 'onnxruntime',
    threads,
    async run(x, n) {
      // A copy: the caller reuses x for the next batch while this one runs on the engine's threads.
      const input = new rt.Tensor('float32', x.slice(0, n * d), [n, d]);
      const r = await session.run({ x: input });
      const argmax = r.argmax!.data as BigInt64Array;
      const am = new Uint8Array(n);
      for (let i = 0; i < n; i++) am[i] = Number(argmax[i]);
      return { mean: r.mean!.data as Float32Array, argmax: am, entropy: r.entropy!.data as Float32Array };
    },
    release: () => session.release(),
  };
}

export interface NativeGradients {
  /** network.ts's lossAndGrads on the native engine: the same arguments, the same numbers (float tolerance). */
  run(
    params: Float32Array,
    x: Float32Array,
    labels: Uint8Array,
    n: number,
    grads: Float32Array,
    inputGrad?: Float32Array,
  ): Promise<LossAndGrads>;
  release(): Promise<void>;
}

/**
 * The training step's gradients (forward and hand-written backward, onnx-graph.ts) on onnxruntime, `threads` threads
 * per session; undefined when onnxruntime is not to be had or AUNN_ENGINE=tfjs.
 */
export async function nativeGradients(
  config: Pick<ModelConfig, 'encoding' | 'width' | 'depth'>,
  opts: { labelSigma: number; inputGrad: boolean; threads: number },
): Promise<NativeGradients | undefined> {
  if (preferredEngine() !== 'onnxruntime') return undefined;
  const rt = await loadOrt();
  if (!rt) return undefined;
  const model = onnxGradientModel(config, {
    targets: opts.labelSigma > 0 ? gaussianTargetRows(opts.labelSigma) : undefined,
    inputGrad: opts.inputGrad,
  });
  const session = await createSession(rt, model, opts.threads);
  const dense = paramLayout(config).entries.filter((e) => e.group !== 'grid');
  const d = inputDim(config.encoding);
  let labels64 = new BigInt64Array(0);
  return {
    async run(params, x, labels, n, grads, inputGrad) {
      if (labels64.length !== n) labels64 = new BigInt64Array(n);
      for (let i = 0; i < n; i++) labels64[i] = BigInt(labels[i]!);
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = {
        x: new rt.Tensor('float32', x.subarray(0, n * d), [n, d]),
        labels: new rt.Tensor('int64', labels64, [n]),
      };
      for (const e of dense)
        feeds[e.name] = new rt.Tensor('float32', params.subarray(e.offset, e.offset + e.size), e.shape);
      const r = await session.run(feeds);
      for (const e of dense) grads.set(r[`d.${e.name}`]!.data as Float32Array, e.offset);
      if (inputGrad && r.dx) inputGrad.set(r.dx.data as Float32Array);
      return { loss: (r.loss!.data as Float32Array)[0]! / n, sse: (r.sse!.data as Float32Array)[0]! };
    },
    release: () => session.release(),
  };
}
