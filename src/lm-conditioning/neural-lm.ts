/**
 * A small neural Greek character LM in TensorFlow.js: the last `context` letters as one-hot (or soft) vectors,
 * concatenated, through two ReLU layers to 24 logits. Because its input is letter *probabilities*, it is
 * differentiable in soft letter predictions: the conditioning loss feeds it the AUNN's soft letters directly.
 *
 *   const lm = await NeuralCharLM.create({ context: 12, hidden: 512 });
 *   await lm.train(toLetterIds(train), { seconds: 120 });
 *   const p = lm.distribution(toLetterIds('ΕΝΑΡΧΗΗΝΟΛΟΓΟ'));
 *   const logits = lm.logits(softLetters);          // tf.Tensor2D [B, 24] from a [B, context, 24] tensor
 *   await lm.save('neural.json');
 *
 * The backward pass is written out by hand (a three-layer MLP is a dozen lines): the npm tfjs-core registers no
 * gradient functions in Node (its register_all_gradients module cannot be imported as ESM there), and explicit
 * transposes before plain matMuls are ~10x faster than transposed matMul on wasm (REFERENCE.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFile, writeFile, rename } from 'node:fs/promises';
import { UserError } from '../core/errors.js';
import { ALPHABET_SIZE, type CharLM } from './char-lm.js';

const MAGIC = 'scroll-aunn-neural-lm';

let backendReady: Promise<void> | undefined;
/** wasm backend unless a faster one (tensorflow) is already active; never the slow cpu backend for training. */
export function initLmBackend(): Promise<void> {
  backendReady ??= (async () => {
    if (tf.getBackend() === 'tensorflow' || tf.getBackend() === 'wasm') return;
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js wasm backend failed to initialise');
    await tf.ready();
  })();
  return backendReady;
}

/** x @ wᵀ-free product: an explicit transpose then a plain matMul (fast on wasm). */
function matMulT(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

export interface NeuralLMConfig {
  /** Letters of context. */
  context: number;
  /** Width of the two hidden layers. */
  hidden: number;
}

export interface NeuralTrainOptions {
  /** Stop after this many seconds (default 120). */
  seconds?: number;
  /** Or after this many passes over the text, whichever comes first (default 4). */
  epochs?: number;
  batch?: number;
  learningRate?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (info: { step: number; samples: number; loss: number; seconds: number }) => void;
}

export class NeuralCharLM implements CharLM {
  readonly name: string;
  readonly contextLength: number;
  private readonly vars: tf.Variable[];

  private constructor(
    readonly config: NeuralLMConfig,
    weights?: Float32Array[],
  ) {
    this.name = `neural-mlp-${config.context}x${config.hidden}`;
    this.contextLength = config.context;
    const shapes: number[][] = [
      [config.context * ALPHABET_SIZE, config.hidden],
      [config.hidden],
      [config.hidden, config.hidden],
      [config.hidden],
      [config.hidden, ALPHABET_SIZE],
      [ALPHABET_SIZE],
    ];
    this.vars = shapes.map((shape, i) => {
      if (weights) return tf.variable(tf.tensor(weights[i]!, shape));
      if (shape.length === 1) return tf.variable(tf.zeros(shape));
      const scale = Math.sqrt(2 / shape[0]!);
      return tf.variable(tf.randomNormal(shape, 0, scale, 'float32', 1234 + i));
    });
  }

  static async create(config: Partial<NeuralLMConfig> = {}): Promise<NeuralCharLM> {
    await initLmBackend();
    return new NeuralCharLM({ context: config.context ?? 12, hidden: config.hidden ?? 512 });
  }

  /** Logits [B, 24] from soft (or one-hot) letters [B, context, 24]; oldest letter first. */
  logits(letters: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => this.forward(letters).logits);
  }

  private forward(letters: tf.Tensor3D) {
    const [w1, b1, w2, b2, w3, b3] = this.vars as unknown as [
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Tensor2D,
      tf.Tensor1D,
    ];
    const x = tf.reshape(letters, [letters.shape[0], this.contextLength * ALPHABET_SIZE]) as tf.Tensor2D;
    const z1 = tf.add(tf.matMul(x, w1), b1) as tf.Tensor2D;
    const h1 = tf.relu(z1);
    const z2 = tf.add(tf.matMul(h1, w2), b2) as tf.Tensor2D;
    const h2 = tf.relu(z2);
    const logits = tf.add(tf.matMul(h2, w3), b3) as tf.Tensor2D;
    return { x, z1, h1, z2, h2, logits };
  }

  /**
   * Mean cross-entropy (nats) of `target` (one-hot or soft [B, 24]) under the model given `letters`, with its
   * gradients: by weight (same order as the variables) and by the input letters (for conditioning on soft letters).
   */
  lossAndGradients(
    letters: tf.Tensor3D,
    target: tf.Tensor2D,
  ): { loss: tf.Scalar; weightGrads: tf.Tensor[]; inputGrad: tf.Tensor3D } {
    return tf.tidy(() => {
      const [, , w2, , w3] = this.vars as tf.Tensor2D[];
      const { x, z1, h1, z2, h2, logits } = this.forward(letters);
      const B = letters.shape[0];
      const logp = tf.logSoftmax(logits);
      const loss = tf.div(tf.neg(tf.sum(tf.mul(target, logp))), B) as tf.Scalar;
      // d loss / d logits = (softmax · Σtarget − target) / B
      const dLogits = tf.div(tf.sub(tf.mul(tf.exp(logp), tf.sum(target, 1, true)), target), B) as tf.Tensor2D;
      const dW3 = matMulT(h2, dLogits, true, false);
      const db3 = tf.sum(dLogits, 0);
      const dz2 = tf.mul(matMulT(dLogits, w3!, false, true), tf.step(z2)) as tf.Tensor2D;
      const dW2 = matMulT(h1, dz2, true, false);
      const db2 = tf.sum(dz2, 0);
      const dz1 = tf.mul(matMulT(dz2, w2!, false, true), tf.step(z1)) as tf.Tensor2D;
      const dW1 = matMulT(x, dz1, true, false);
      const db1 = tf.sum(dz1, 0);
      const dx = matMulT(dz1, this.vars[0] as tf.Tensor2D, false, true);
      return {
        loss,
        weightGrads: [dW1, db1, dW2, db2, dW3, db3],
        inputGrad: tf.reshape(dx, letters.shape) as tf.Tensor3D,
      };
    });
  }

  /** One-hot windows for positions `pos` of `ids` (letters before each position; missing ones stay zero). */
  private windows(ids: ArrayLike<number>, pos: ArrayLike<number>): tf.Tensor3D {
    const K = this.contextLength;
    const buf = new Float32Array(pos.length * K * ALPHABET_SIZE);
    for (let b = 0; b < pos.length; b++) {
      const p = pos[b]!;
      for (let k = 0; k < K; k++) {
        const src = p - K + k;
        if (src >= 0) buf[(b * K + k) * ALPHABET_SIZE + ids[src]!] = 1;
      }
    }
    return tf.tensor3d(buf, [pos.length, K, ALPHABET_SIZE]);
  }

  distribution(context: ArrayLike<number>, out = new Float64Array(ALPHABET_SIZE)): Float64Array {
    out.set(this.distributionBatch([context])[0]!);
    return out;
  }

  distributionBatch(contexts: ArrayLike<number>[]): Float64Array[] {
    const K = this.contextLength;
    const buf = new Float32Array(contexts.length * K * ALPHABET_SIZE);
    contexts.forEach((context, b) => {
      for (let k = 0; k < K; k++) {
        const src = context.length - K + k;
        if (src >= 0) buf[(b * K + k) * ALPHABET_SIZE + context[src]!] = 1;
      }
    });
    const probs = tf.tidy(() => tf.softmax(this.logits(tf.tensor3d(buf, [contexts.length, K, ALPHABET_SIZE]))));
    const flat = probs.dataSync();
    probs.dispose();
    return contexts.map((_, b) => Float64Array.from(flat.subarray(b * ALPHABET_SIZE, (b + 1) * ALPHABET_SIZE)));
  }

  /** Bits per character over `ids` (each letter from up to `context` letters before it), computed in batches. */
  bitsPerChar(ids: Uint8Array, limit = ids.length, batch = 2048): number {
    const n = Math.min(limit, ids.length);
    let bits = 0;
    for (let s = 0; s < n; s += batch) {
      const pos = Array.from({ length: Math.min(batch, n - s) }, (_, i) => s + i);
      const nll = tf.tidy(() => {
        const logits = this.logits(this.windows(ids, pos));
        const target = tf.oneHot(
          tf.tensor1d(
            pos.map((p) => ids[p]!),
            'int32',
          ),
          ALPHABET_SIZE,
        );
        return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits))));
      });
      bits += nll.dataSync()[0]! / Math.LN2;
      nll.dispose();
    }
    return bits / n;
  }

  async train(
    ids: Uint8Array,
    opts: NeuralTrainOptions = {},
  ): Promise<{ steps: number; samples: number; seconds: number; loss: number }> {
    await initLmBackend();
    const seconds = opts.seconds ?? 120;
    const epochs = opts.epochs ?? 4;
    const batch = opts.batch ?? 512;
    const optimizer = tf.train.adam(opts.learningRate ?? 2e-3);
    let seed = opts.seed ?? 1;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const t0 = performance.now();
    const maxSamples = epochs * ids.length;
    let samples = 0;
    let step = 0;
    let lossAvg = NaN;
    while (samples < maxSamples && (performance.now() - t0) / 1000 < seconds) {
      opts.signal?.throwIfAborted();
      const pos = Array.from({ length: batch }, () => 1 + Math.floor(rand() * (ids.length - 1)));
      const x = this.windows(ids, pos);
      const y = tf.oneHot(
        tf.tensor1d(
          pos.map((p) => ids[p]!),
          'int32',
        ),
        ALPHABET_SIZE,
      ) as tf.Tensor2D;
      const { loss, weightGrads, inputGrad } = this.lossAndGradients(x, y);
      optimizer.applyGradients(this.vars.map((v, i) => ({ name: v.name, tensor: weightGrads[i]! })));
      tf.dispose([x, y, inputGrad, ...weightGrads]);
      step++;
      samples += batch;
      if (step % 20 === 0 || step === 1) {
        const l = loss.dataSync()[0]!;
        lossAvg = Number.isNaN(lossAvg) ? l : 0.9 * lossAvg + 0.1 * l;
        opts.onProgress?.({ step, samples, loss: lossAvg, seconds: (performance.now() - t0) / 1000 });
      }
      loss.dispose();
      // Let other work (progress output, abort) run.
      if (step % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    optimizer.dispose();
    return { steps: step, samples, seconds: (performance.now() - t0) / 1000, loss: lossAvg };
  }

  async save(file: string): Promise<void> {
    const weights = this.vars.map((v) => Buffer.from((v.dataSync() as Float32Array).buffer).toString('base64'));
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify({ format: MAGIC, version: 1, config: this.config, weights }));
    await rename(tmp, file);
  }

  static async load(file: string): Promise<NeuralCharLM> {
    await initLmBackend();
    let doc: { format?: string; config?: NeuralLMConfig; weights?: string[] };
    try {
      doc = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new UserError(`cannot read neural language model ${file}: ${(err as Error).message}`, { cause: err });
    }
    if (doc.format !== MAGIC || !doc.config || !Array.isArray(doc.weights) || doc.weights.length !== 6) {
      throw new UserError(`${file} is not a neural language model file (no '${MAGIC}' header)`);
    }
    const weights = doc.weights.map((b64) => {
      const bytes = Buffer.from(b64, 'base64');
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    });
    return new NeuralCharLM(doc.config, weights);
  }

  dispose(): void {
    for (const v of this.vars) v.dispose();
  }
}
