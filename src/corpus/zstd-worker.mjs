/**
 * Worker thread of chunk-encoder.ts (plain JS so it starts without a TypeScript loader). In: { id, op, ... }:
 *   'encode' / 'decode' / 'decode-blosc' { data: Uint8Array, expected?: decoded size } (transferred) → { id, out }
 *   (transferred): one chunk, as zstd-wasm.mjs's codecOp does it.
 *   'slab' { job } (a slab-chunks.mjs job; its slab on a SharedArrayBuffer, not copied) → { id, stored }: cut, compress
 *   and write the job's chunks.
 *   'sha256' { file } → { id, hex }: the file's sha256.
 * On failure: { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sha256FileSync } from './file-hash.mjs';
import { writeSlabChunks } from './slab-chunks.mjs';
import { codecOp } from './zstd-wasm.mjs';

parentPort.on('message', async ({ id, op, data, expected, job, file }) => {
  try {
    if (op === 'sha256') {
      parentPort.postMessage({ id, hex: sha256FileSync(file) });
      return;
    }
    if (op === 'slab') {
      parentPort.postMessage({ id, stored: await writeSlabChunks(job) });
      return;
    }
    const out = await codecOp(op, data, expected, workerData.level);
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.stack) || err) });
  }
});
