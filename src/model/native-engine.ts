/**
 * Inference through a native engine: onnxruntime-node (its CPU binaries ship in the npm package) runs the AUNN's
 * ONNX graph (onnx-graph.ts) on its own thread pool, 4–5x the wasm backend per thread on the reference MLP (`npm
 * run bench -- --only mlp`). Chosen by `AUNN_ENGINE` (onnxruntime | tfjs; default: onnxruntime when it loads); the
 * tfjs path (wasm workers, infer-pool.ts) stays the fallback and gives the same numbers (test/model/native-engine).
 *
 *   const engine = await nativeEngine(config, params, 2);        // undefined: use the tfjs path
 *   const p = await engine.run(x, n);                            // { mean, argmax, entropy } of n encoded rows
 */
import type { ModelConfig } from './config.js';
import { inputDim } from './config.js';
import type { BatchPrediction } from './network.js';
import { onnxInferenceModel } from './onnx-graph.js';

export type EngineName = 'onnxruntime' | 'tfjs';

type Ort = typeof import('onnxruntime-node');
let ort: Promise<Ort | undefined> | undefined;

function loadOrt(): Promise<Ort | undefined> {
  ort ??= import('onnxruntime-node').then(
    (m) => m as Ort,
    () => undefined, // not installed, or no binary for this platform: the tfjs path
  );
  return ort;
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
  const session = await rt.InferenceSession.create(onnxInferenceModel(config, params), {
    intraOpNumThreads: Math.max(1, threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
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
