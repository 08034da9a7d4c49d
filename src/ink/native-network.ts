/**
 * The ink readout on a native engine: onnxruntime sessions for onnx-network.ts's graphs, one per network shape and
 * thread count (weights are inputs, so one session serves every step and snapshot). Undefined where onnxruntime is
 * not to be had or AUNN_ENGINE=tfjs: readout.ts then runs network.ts's tfjs path, which gives the same numbers
 * (test/ink/native-network).
 *
 *   const step = await readoutStepEngine(shape, 1);
 *   const { logits, grads } = await step!.run(weights, xs, ys, w, masks, [B, H, W, C]);
 *   const infer = await readoutInferenceEngine(shape, 2);
 *   const prob = await infer!.run(weights, x, H, W);
 */
import { ortSession } from '../model/native-engine.js';
import { layerDims, type NetworkShape } from './network.js';
import { onnxReadoutInference, onnxReadoutTraining } from './onnx-network.js';

type Session = NonNullable<Awaited<ReturnType<typeof ortSession>>>;
const sessions = new Map<string, Promise<Session | undefined>>();

function sessionFor(kind: 'step' | 'infer', shape: NetworkShape, threads: number): Promise<Session | undefined> {
  const key = JSON.stringify([kind, shape, threads]);
  let s = sessions.get(key);
  if (!s) {
    const model = kind === 'step' ? onnxReadoutTraining(shape) : onnxReadoutInference(shape);
    s = ortSession(model, threads).catch(() => undefined);
    sessions.set(key, s);
  }
  return s;
}

function weightFeeds(rt: Session['rt'], shape: NetworkShape, weights: Float32Array[]) {
  const feeds: Record<string, InstanceType<Session['rt']['Tensor']>> = {};
  layerDims(shape).forEach(({ k, cin, cout }, i) => {
    feeds[`W${i}`] = new rt.Tensor('float32', weights[2 * i]!, [k * k * cin, cout]);
    feeds[`b${i}`] = new rt.Tensor('float32', weights[2 * i + 1]!, [cout]);
  });
  return feeds;
}

export interface ReadoutStepEngine {
  /**
   * Logits [B·H·W] and weight gradients (network.ts's order) of Σ w·(softplus(z) − y·z) for features xs [B, H, W, C],
   * labels ys and weights w [B·H·W] (already divided by their sum), dropout masks [B, H, W, cout] per hidden layer.
   */
  run(
    weights: Float32Array[],
    xs: Float32Array,
    ys: Float32Array,
    w: Float32Array,
    masks: Float32Array[],
    dims4: [number, number, number, number],
  ): Promise<{ logits: Float32Array; grads: Float32Array[] }>;
}

export async function readoutStepEngine(shape: NetworkShape, threads: number): Promise<ReadoutStepEngine | undefined> {
  const s = await sessionFor('step', shape, threads);
  if (!s) return undefined;
  const { rt, session } = s;
  const dims = layerDims(shape);
  return {
    async run(weights, xs, ys, w, masks, [B, H, W, C]) {
      const feeds = weightFeeds(rt, shape, weights);
      feeds.x = new rt.Tensor('float32', xs, [B, H, W, C]);
      feeds.y = new rt.Tensor('float32', ys, [B, 1, H, W]);
      feeds.w = new rt.Tensor('float32', w, [B, 1, H, W]);
      dims
        .slice(0, -1)
        .forEach(({ cout }, i) => (feeds[`m${i}`] = new rt.Tensor('float32', masks[i]!, [B, H, W, cout])));
      const r = await session.run(feeds);
      const grads = dims.flatMap((_, i) => [r[`d.W${i}`]!.data as Float32Array, r[`d.b${i}`]!.data as Float32Array]);
      return { logits: r.logits!.data as Float32Array, grads };
    },
  };
}

export interface ReadoutInferenceEngine {
  /** Ink probabilities [H·W] of a feature image [H, W, C]. */
  run(weights: Float32Array[], x: Float32Array, height: number, width: number): Promise<Float32Array>;
}

export async function readoutInferenceEngine(
  shape: NetworkShape,
  threads: number,
): Promise<ReadoutInferenceEngine | undefined> {
  const s = await sessionFor('infer', shape, threads);
  if (!s) return undefined;
  const { rt, session } = s;
  return {
    async run(weights, x, height, width) {
      const feeds = weightFeeds(rt, shape, weights);
      feeds.x = new rt.Tensor('float32', x, [1, height, width, shape.inChannels]);
      const r = await session.run(feeds);
      return r.prob!.data as Float32Array;
    },
  };
}
