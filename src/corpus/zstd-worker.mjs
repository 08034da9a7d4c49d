/**
 * Worker thread of chunk-encoder.ts: zstd-compresses zarr chunks with numcodecs (plain JS so it starts without a
 * TypeScript loader). Message in: { id, data: Uint8Array } (transferred); out: { id, out } or { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Zstd from 'numcodecs/zstd';

const codec = Zstd.fromConfig({ level: workerData.level });
parentPort.on('message', async ({ id, data }) => {
  try {
    const out = await codec.encode(data);
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.stack) || err) });
  }
});
