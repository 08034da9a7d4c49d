/**
 * Data-parallel inference: T worker threads, each with its own wasm backend and copy of the weights, each
 * predicting a contiguous slice of the addresses (Node's wasm backend is single-threaded, so this is how inference
 * uses every core). Workers are unref'd between calls, so a forgotten pool does not keep the process alive.
 *
 *   const pool = new InferencePool(config, params, 2);
 *   const p = await pool.predict(addresses, manifest.records);
 *   await pool.close();
 */
import type { Worker } from 'node:worker_threads';
import type { RecordMeta } from '../corpus/index.js';
import type { BackendName } from './backend.js';
import type { ModelConfig } from './config.js';
import type { InferReply } from './infer-worker.js';
import type { BatchPrediction } from './network.js';
import { spawnTsWorker } from '../core/spawn-worker.js';

export class InferencePool {
  private readonly workers: Worker[];
  private readonly ready: Promise<unknown>;
  private lastRecords: readonly RecordMeta[] | undefined;
  private nextId = 0;

  constructor(
    config: ModelConfig,
    params: Float32Array,
    readonly threads: number,
    backend?: BackendName,
  ) {
    this.workers = Array.from({ length: threads }, () =>
      spawnTsWorker(new URL('./infer-worker.ts', import.meta.url), { workerData: { config, params, backend } }),
    );
    this.ready = Promise.all(
      this.workers.map(
        (w) =>
          new Promise((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    for (const w of this.workers) w.unref();
  }

  async predict(addresses: Float64Array, records: readonly RecordMeta[], batchSize = 8192): Promise<BatchPrediction> {
    for (const w of this.workers) w.ref();
    try {
      await this.ready;
      const n = addresses.length;
      const sendRecords = records !== this.lastRecords;
      this.lastRecords = records;
      const per = Math.ceil(n / this.threads);
      const parts = await Promise.all(
        this.workers.map((w, k) => {
          const slice = addresses.slice(k * per, Math.min(n, (k + 1) * per));
          const id = this.nextId++;
          return new Promise<Extract<InferReply, { mean: Float32Array }>>((resolve, reject) => {
            const onMessage = (m: InferReply) => {
              if (m.id !== id) return;
              w.off('message', onMessage);
              if ('error' in m) reject(new Error(`inference worker failed: ${m.error}`));
              else resolve(m);
            };
            w.on('message', onMessage);
            w.postMessage({ id, addresses: slice, records: sendRecords ? [...records] : undefined, batchSize }, [
              slice.buffer,
            ]);
          });
        }),
      );
      const out: BatchPrediction = {
        mean: new Float32Array(n),
        argmax: new Uint8Array(n),
        entropy: new Float32Array(n),
      };
      parts.forEach((p, k) => {
        out.mean.set(p.mean, k * per);
        out.argmax.set(p.argmax, k * per);
        out.entropy.set(p.entropy, k * per);
      });
      return out;
    } finally {
      for (const w of this.workers) w.unref();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
