/**
 * zstd compression and decompression of zarr chunks on worker threads, so writing and loading a record use every
 * core while the main thread reads, windows, downsamples or assembles (zstd-wasm.mjs's codecOp: @bokuweb/zstd-wasm,
 * numcodecs for what it does not cover). A record writer hands over a whole
 * slab on a SharedArrayBuffer and the threads cut, compress and write its chunks (slab-chunks.mjs), so no chunk is
 * copied on the main thread. Workers start on first use, are shared by the whole process, and never keep it alive
 * when idle.
 *
 *   const bytes = await encodeChunk(chunkData);       // a zstd frame, what zarr's `zstd` codec stores
 *   const back = await decodeChunk(bytes);
 *   const stored = await writeSlabChunksOnThreads(job);   // a slab's chunks written as zarr chunk files
 *   await drainEncoders();                             // optional: stop the workers (tests, benchmarks)
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { sha256FileSync } from './file-hash.mjs';
import { writeSlabChunks, type SlabChunksJob } from './slab-chunks.mjs';
import { codecOp, type CodecOp } from './zstd-wasm.mjs';

/** Chunks being read, compressed or written at once by one flush or read (bounds their memory). */
export const MAX_CHUNKS_IN_FLIGHT = 32;

/** zstd level of every record array (store.ts declares the same in the array metadata). */
export const ZSTD_LEVEL = 1;

const WORKER_URL = new URL('./zstd-worker.mjs', import.meta.url);

interface Pending {
  resolve: (result: Uint8Array | number | string) => void;
  reject: (err: Error) => void;
}

class EncoderWorker {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  constructor() {
    this.worker = new Worker(WORKER_URL, { workerData: { level: ZSTD_LEVEL } });
    this.worker.on(
      'message',
      (msg: { id: number; out?: Uint8Array; stored?: number; hex?: string; error?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (this.pending.size === 0) this.worker.unref();
        if (msg.error !== undefined) p.reject(new Error(`zstd worker: ${msg.error}`));
        else p.resolve(msg.out ?? msg.hex ?? msg.stored!);
      },
    );
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`zstd worker exited with code ${code}`)));
    this.worker.unref(); // after the listeners: an idle encoder never keeps the process alive
  }
  run(id: number, op: CodecOp, data: Uint8Array, expected?: number): Promise<Uint8Array> {
    return this.post(id, { id, op, data, expected }, [data.buffer as ArrayBuffer]) as Promise<Uint8Array>;
  }
  /** A slab job: its slab is on a SharedArrayBuffer, so posting shares it rather than copying. */
  runSlab(id: number, job: SlabChunksJob): Promise<number> {
    return this.post(id, { id, op: 'slab', job }, []) as Promise<number>;
  }
  /** The sha256 of a file, read and hashed on this thread. */
  runSha256(id: number, file: string): Promise<string> {
    return this.post(id, { id, op: 'sha256', file }, []) as Promise<string>;
  }
  private post(id: number, msg: unknown, transfer: ArrayBuffer[]): Promise<Uint8Array | number | string> {
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(msg, transfer);
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

/**
 * zstd-decompress one stored chunk (transferred like encodeChunk's input). With `expected`, the frame must decode to
 * exactly that many bytes (checked before allocating; the faster decoder); without, numcodecs decodes it.
 */
export function decodeChunk(bytes: Uint8Array, expected?: number): Promise<Uint8Array> {
  return runOnPool('decode', bytes, expected);
}

/**
 * Decode a blosc frame of a source zarr chunk (transferred) into exactly `expected` bytes on the codec threads: zstd
 * inside is unpacked around the faster decoder, other inner codecs by numcodecs' blosc.
 */
export function decodeBloscChunk(bytes: Uint8Array, expected: number): Promise<Uint8Array> {
  return runOnPool('decode-blosc', bytes, expected);
}

/** Hex sha256 of a file, read and hashed on the least busy codec thread (on this one when there are none). */
export async function sha256FileOnThreads(file: string): Promise<string> {
  const ws = pool();
  if (!ws) return sha256FileSync(file);
  return leastBusy(ws).runSha256(nextId++, file);
}

/**
 * Cut, compress and write the chunks of one slab (slab-chunks.mjs), its cells dealt out to the codec threads in
 * turn; resolves with how many chunks were stored. The slab must be on a SharedArrayBuffer when there are threads,
 * and must not change until this resolves.
 */
export async function writeSlabChunksOnThreads(job: Omit<SlabChunksJob, 'level'>): Promise<number> {
  const ws = pool();
  const full = { ...job, level: ZSTD_LEVEL };
  if (!ws) return writeSlabChunks(full);
  if (!(job.slab.buffer instanceof SharedArrayBuffer))
    throw new TypeError('writeSlabChunksOnThreads: the slab must be on a SharedArrayBuffer');
  const cellCount = job.cells.length / 2;
  const parts = Math.min(ws.length, cellCount);
  const jobs: Promise<number>[] = [];
  for (let t = 0; t < parts; t++) {
    const cells = new Int32Array(2 * Math.ceil((cellCount - t) / parts));
    for (let c = t, k = 0; c < cellCount; c += parts, k += 2) {
      cells[k] = job.cells[2 * c]!;
      cells[k + 1] = job.cells[2 * c + 1]!;
    }
    jobs.push(ws[t]!.runSlab(nextId++, { ...full, cells }));
  }
  const stored = await Promise.all(jobs);
  return stored.reduce((a, b) => a + b, 0);
}

async function runOnPool(op: CodecOp, data: Uint8Array, expected?: number): Promise<Uint8Array> {
  const ws = pool();
  if (!ws) return codecOp(op, data, expected, ZSTD_LEVEL);
  if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) data = data.slice();
  return leastBusy(ws).run(nextId++, op, data, expected);
}

function leastBusy(ws: EncoderWorker[]): EncoderWorker {
  let best = ws[0]!;
  for (const w of ws) if (w.pending.size < best.pending.size) best = w;
  return best;
}

/** Stop the encoder threads (they restart on the next encodeChunk). */
export async function drainEncoders(): Promise<void> {
  const ws = workers;
  workers = undefined;
  if (ws) await Promise.all(ws.map((w) => w.worker.terminate()));
}
