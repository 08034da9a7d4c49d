/**
 * An inference thread of InferencePool (infer-pool.ts): holds one copy of the weights on its own wasm backend and
 * answers { addresses } with { mean, argmax, entropy }. Started by the pool, never imported directly.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RecordMeta } from '../corpus/index.js';
import { initBackend, type BackendName } from './backend.js';
import type { ModelConfig } from './config.js';
import { Encoder } from './encoding.js';
import { gridView, paramLayout, predictBatch, UploadedParams } from './network.js';

export interface InferInit {
  config: ModelConfig;
  params: Float32Array;
  backend?: BackendName;
}
export type InferRequest = { id: number; addresses: Float64Array; records?: RecordMeta[]; batchSize: number };
export type InferReply =
  { id: number; mean: Float32Array; argmax: Uint8Array; entropy: Float32Array } | { id: number; error: string };

async function main(init: InferInit): Promise<void> {
  await initBackend(init.backend);
  const layout = paramLayout(init.config);
  const weights = new UploadedParams(layout, init.params);
  let enc: Encoder | undefined;
  parentPort!.on('message', (req: InferRequest) => {
    try {
      if (req.records) enc = new Encoder(init.config.encoding, req.records, gridView(layout, init.params));
      const n = req.addresses.length;
      const out = { mean: new Float32Array(n), argmax: new Uint8Array(n), entropy: new Float32Array(n) };
      const x = new Float32Array(Math.min(req.batchSize, n) * enc!.dim);
      for (let s = 0; s < n; s += req.batchSize) {
        const m = Math.min(req.batchSize, n - s);
        enc!.encode(req.addresses.subarray(s, s + m), x, m);
        const p = predictBatch(init.config, weights, x, m);
        out.mean.set(p.mean, s);
        out.argmax.set(p.argmax, s);
        out.entropy.set(p.entropy, s);
      }
      parentPort!.postMessage({ id: req.id, ...out } satisfies InferReply, [
        out.mean.buffer,
        out.argmax.buffer,
        out.entropy.buffer,
      ]);
    } catch (e) {
      parentPort!.postMessage({ id: req.id, error: (e as Error).stack ?? String(e) } satisfies InferReply);
    }
  });
  parentPort!.postMessage({ ready: true });
}

const init = workerData as InferInit | null;
if (init) void main(init);
