/**
 * Worker thread of chunk-encoder.ts (plain JS so it starts without a TypeScript loader). In: { id, op, ... }:
 *   'encode' / 'decode' { data: Uint8Array, expected?: decoded size } (transferred) → { id, out } (transferred): one
 *   chunk, zstd. 'decode-blosc' { data, expected }: a blosc frame (zstd inside by zstd-wasm.mjs, others by numcodecs).
 *   'slab' { job } (a slab-chunks.mjs job; its slab on a SharedArrayBuffer, not copied) → { id, stored }: cut, compress
 *   and write the job's chunks.
 *   'sha256' { file } → { id, hex }: the file's sha256.
 * On failure: { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Zstd from 'numcodecs/zstd';
import { sha256FileSync } from './file-hash.mjs';
import { writeSlabChunks } from './slab-chunks.mjs';
import { bloscDecompress, bloscIsZstd, zstdCompress, zstdDecompress } from './zstd-wasm.mjs';

const codec = Zstd.fromConfig({ level: workerData.level });
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
    const out =
      op === 'encode'
        ? await zstdCompress(data, workerData.level)
        : op === 'decode-blosc'
          ? await decodeBlosc(data, expected)
          : expected !== undefined
            ? await zstdDecompress(data, expected)
            : await codec.decode(data);
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.stack) || err) });
  }
});

let blosc;
async function decodeBlosc(data, expected) {
  if (bloscIsZstd(data)) return bloscDecompress(data, expected);
  blosc ??= (await import('numcodecs/blosc')).default.fromConfig({});
  const out = await blosc.decode(data);
  if (out.length !== expected) throw new Error(`blosc frame decoded ${out.length} bytes, expected ${expected}`);
  return out;
}
