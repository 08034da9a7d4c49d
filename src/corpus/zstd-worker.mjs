/**
 * Worker thread of chunk-encoder.ts: zstd-compresses or -decompresses zarr chunks with numcodecs (plain JS so it
 * starts without a TypeScript loader). In: { id, op: 'encode' | 'decode', data: Uint8Array } (transferred);
 * out: { id, out } (transferred) or { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Zstd from 'numcodecs/zstd';

const codec = Zstd.fromConfig({ level: workerData.level });
parentPort.on('message', async ({ id, op, data }) => {
  try {
    const out = op === 'decode' ? await codec.decode(data) : await codec.encode(data);
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.stack) || err) });
  }
});
