/**
 * zstd compression and decompression of zarr chunks on worker threads (numcodecs' wasm zstd, the codec the arrays
 * declare), so writing and loading a record use every core while the main thread reads, windows, downsamples or
 * assembles. Workers start on first use, are shared by the whole process, and never keep it alive when idle.
 *
 *   const bytes = await encodeChunk(chunkData);       // a zstd frame, what zarr's `zstd` codec stores
 *   const back = await decodeChunk(bytes);
 *   await drainEncoders();                             // optional: stop the workers (tests, benchmarks)
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import Zstd from 'numcodecs/zstd';

/** Chunks being read, compressed or written at once by one flush or read (bounds their memory). */
export const MAX_CHUNKS_IN_FLIGHT = 32;

/** zstd level of every record array (store.ts declares the same in the array metadata). */
export const ZSTD_LEVEL = 1;

const WORKER_URL = new URL('./zstd-worker.mjs', import.meta.url);

interface Pending {
  resolve: (bytes: Uint8Array) => void;
  reject: (err: Error) => void;
}

class EncoderWorker {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  constructor() {
    this.worker = new Worker(WORKER_URL, { workerData: { level: ZSTD_LEVEL } });
    this.worker.on('message', (msg: { id: number; out?: Uint8Array; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.worker.unref();
      if (msg.error !== undefined) p.reject(new Error(`zstd worker: ${msg.error}`));
      else p.resolve(msg.out!);
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`zstd worker exited with code ${code}`)));
    this.worker.unref(); // after the listeners: an idle encoder never keeps the process alive
  }
  run(id: number, op: 'encode' | 'decode', data: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, data }, [data.buffer as ArrayBuffer]);
    });
  }
  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    if (workers?.includes(this)) workers = undefined; // start fresh next time
  }
}

let workers: EncoderWorker[] | undefined;
let nextId = 0;
let inlineCodec: { encode(d: Uint8Array): Promise<Uint8Array>; decode(d: Uint8Array): Promise<Uint8Array> } | undefined;

/** How many encoder threads to run: one per core, at most 8 (0 would mean: encode on the calling thread). */
export function encoderThreads(): number {
  const fromEnv = Number(process.env.AUNN_ENCODER_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv >= 0) return Math.min(fromEnv, 32);
  return Math.min(8, Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
}

function pool(): EncoderWorker[] | undefined {
  if (workers) return workers;
  const n = encoderThreads();
  if (n === 0) return undefined;
  workers = Array.from({ length: n }, () => new EncoderWorker());
  return workers;
}

/**
 * zstd-compress one chunk. `data` is transferred to a worker (it is unusable afterwards): pass a buffer you own,
 * not a view into a larger one.
 */
export function encodeChunk(data: Uint8Array): Promise<Uint8Array> {
  return runOnPool('encode', data);
}

/** zstd-decompress one stored chunk (transferred like encodeChunk's input). */
export function decodeChunk(bytes: Uint8Array): Promise<Uint8Array> {
  return runOnPool('decode', bytes);
}

async function runOnPool(op: 'encode' | 'decode', data: Uint8Array): Promise<Uint8Array> {
  const ws = pool();
  if (!ws) {
    const codec = (inlineCodec ??= Zstd.fromConfig({ level: ZSTD_LEVEL }));
    return op === 'decode' ? codec.decode(data) : codec.encode(data);
  }
  if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) data = data.slice();
  // Least-loaded worker.
  let best = ws[0]!;
  for (const w of ws) if (w.pending.size < best.pending.size) best = w;
  return best.run(nextId++, op, data);
}

/** Stop the encoder threads (they restart on the next encodeChunk). */
export async function drainEncoders(): Promise<void> {
  const ws = workers;
  workers = undefined;
  if (ws) await Promise.all(ws.map((w) => w.worker.terminate()));
}
