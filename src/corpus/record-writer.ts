/**
 * Streams a record's level-0 planes (z order) into its zarr arrays and builds the 2× mean pyramid on the way: each
 * level buffers one chunk-deep slab of planes and hands it whole to the codec threads, which cut it into chunks (edge
 * chunks padded with the fill value 0), zstd-compress them and write them as zarr v3 `c/z/y/x` files
 * (chunk-encoder.ts). All-zero chunks are not stored (they read as the fill value). Each level has two slab buffers
 * on SharedArrayBuffers: the caller reads and downsamples the next planes into one while the threads write the other.
 * Memory: two chunk-deep slabs per level.
 *
 *   const writer = await createRecordArrays(store, 'records/7.partial-1', info, levels);   // store.ts
 *   await writer.writeSlab(0, planes);   // any number of whole planes, in z order
 *   await writer.finish();               // flushes every level; throws if planes are missing
 */
import path from 'node:path';
import { writeSlabChunksOnThreads } from './chunk-encoder.js';
import { PlaneDownsampler, type Shape3 } from './pyramid.js';
import type { Uint8ZarrArray } from './zarr-types.js';
import { TaskLimiter } from './task-limiter.js';

/** One level's pending planes, written one chunk-row slab at a time. */
interface LevelSink {
  array: Uint8ZarrArray;
  shape: Shape3;
  planeSize: number;
  slabPlanes: number;
  buffer: Uint8Array;
  /** The other slab buffer: written by the codec threads while `buffer` fills. */
  spare: Uint8Array;
  /** One slab job at a time per level: when add() returns, the spare is free again. */
  jobs: TaskLimiter;
  buffered: number;
  /** Planes already written to the store. */
  written: number;
}

export class RecordWriter {
  private readonly sinks: LevelSink[];
  private readonly downsamplers: PlaneDownsampler[];
  private nextZ = 0;

  constructor(
    arrays: Uint8ZarrArray[],
    private readonly what: string,
    private readonly storeRoot: string,
  ) {
    this.sinks = arrays.map((array) => {
      const shape = array.shape as Shape3;
      const planeSize = shape[1] * shape[2];
      const slabPlanes = array.chunks[0]!;
      return {
        array,
        shape,
        planeSize,
        slabPlanes,
        buffer: sharedBytes(slabPlanes * planeSize),
        spare: sharedBytes(slabPlanes * planeSize),
        jobs: new TaskLimiter(1),
        buffered: 0,
        written: 0,
      };
    });
    this.downsamplers = this.sinks.slice(0, -1).map((s) => new PlaneDownsampler(s.shape));
  }

  get shape(): Shape3 {
    return this.sinks[0]!.shape;
  }

  /** Planes [z0, z0 + n) of level 0, raster order; slabs must come in z order without gaps. */
  async writeSlab(z0: number, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const { planeSize, shape } = this.sinks[0]!;
    if (z0 !== this.nextZ)
      throw new RangeError(
        `${this.what}: slab starts at plane ${z0}, expected ${this.nextZ} (slabs must come in z order)`,
      );
    if (data.length === 0 || data.length % planeSize !== 0) {
      throw new RangeError(
        `${this.what}: slab of ${data.length} bytes is not a whole number of ${shape[1]}×${shape[2]} planes`,
      );
    }
    const planes = data.length / planeSize;
    if (z0 + planes > shape[0])
      throw new RangeError(`${this.what}: slab [${z0}, ${z0 + planes}) goes past depth ${shape[0]}`);
    for (let i = 0; i < planes; i++) await this.pushPlane(0, data.subarray(i * planeSize, (i + 1) * planeSize), signal);
    this.nextZ += planes;
  }

  /** Flush what is buffered at every level; throws if level 0 did not receive every plane. */
  async finish(signal?: AbortSignal): Promise<void> {
    if (this.nextZ !== this.shape[0])
      throw new RangeError(`${this.what}: only ${this.nextZ} of ${this.shape[0]} planes were written`);
    for (let level = 0; level < this.sinks.length; level++) {
      await this.flush(level, signal);
      const last = this.downsamplers[level]?.flush();
      if (last) await this.pushPlane(level + 1, last, signal);
    }
    await this.settle();
    for (const sink of this.sinks) sink.jobs.throwIfFailed();
    for (const sink of this.sinks) {
      if (sink.written !== sink.shape[0])
        throw new Error(`${this.what}: level wrote ${sink.written} of ${sink.shape[0]} planes`);
    }
  }

  /** Wait for every chunk write already started (call before removing the arrays after an error). */
  async settle(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.jobs.settle()));
  }

  private async pushPlane(level: number, plane: Uint8Array, signal?: AbortSignal): Promise<void> {
    const sink = this.sinks[level]!;
    sink.buffer.set(plane, sink.buffered * sink.planeSize);
    sink.buffered++;
    if (sink.buffered === sink.slabPlanes) await this.flush(level, signal);
    const down = this.downsamplers[level];
    if (down) {
      const out = down.push(plane);
      if (out) await this.pushPlane(level + 1, out, signal);
    }
  }

  /**
   * Hand the buffered planes of one level to the codec threads as one slab job (chunk-encoder.ts): they write its
   * whole chunks. Returns once the job has started (and the level's previous job has ended), so its spare buffer is
   * free for the next planes; finish() waits for the last jobs.
   */
  private async flush(level: number, signal?: AbortSignal): Promise<void> {
    const sink = this.sinks[level]!;
    if (sink.buffered === 0) return;
    signal?.throwIfAborted();
    const [cz, cy, cx] = sink.array.chunks as Shape3;
    const [, h, w] = sink.shape;
    const n = sink.buffered;
    const rows = Math.ceil(h / cy);
    const cols = Math.ceil(w / cx);
    const cells = new Int32Array(2 * rows * cols);
    for (let iy = 0, k = 0; iy < rows; iy++)
      for (let ix = 0; ix < cols; ix++, k += 2) {
        cells[k] = iy;
        cells[k + 1] = ix;
      }
    const job = {
      slab: sink.buffer.subarray(0, n * sink.planeSize),
      n,
      h,
      w,
      chunks: [cz, cy, cx] as Shape3,
      iz: sink.written / cz,
      arrayDir: path.join(this.storeRoot, sink.array.path),
      cells,
    };
    await sink.jobs.add(async () => void (await writeSlabChunksOnThreads(job)));
    [sink.buffer, sink.spare] = [sink.spare, sink.buffer];
    sink.written += n;
    sink.buffered = 0;
  }
}

/** Bytes on a SharedArrayBuffer: the codec threads read the slab where it lies. */
function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(n));
}
