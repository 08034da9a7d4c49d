/**
 * Streams a record's level-0 planes (z order) into its zarr arrays and builds the 2× mean pyramid on the way: each
 * level buffers one chunk-deep slab of planes, cuts it into whole chunks (edge chunks padded with the fill value 0),
 * has them zstd-compressed on the codec threads and writes them as zarr v3 `c/z/y/x` files. All-zero chunks are not
 * stored (they read as the fill value). A flush returns once its chunks are copied out and queued, so the caller
 * reads and downsamples the next planes while the codec threads compress. Memory: one chunk-deep slab per level plus
 * at most MAX_CHUNKS_IN_FLIGHT chunks.
 *
 *   const writer = await createRecordArrays(store, 'records/7.partial-1', info, levels);   // store.ts
 *   await writer.writeSlab(0, planes);   // any number of whole planes, in z order
 *   await writer.finish();               // flushes every level; throws if planes are missing
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeChunk, MAX_CHUNKS_IN_FLIGHT } from './chunk-encoder.js';
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
  buffered: number;
  /** Planes already written to the store. */
  written: number;
}

export class RecordWriter {
  private readonly sinks: LevelSink[];
  private readonly downsamplers: PlaneDownsampler[];
  /** Chunk compress+write tasks, shared by every level: a flush returns once its chunks are handed over. */
  private readonly chunkTasks = new TaskLimiter(MAX_CHUNKS_IN_FLIGHT);
  private readonly madeDirs = new Map<string, Promise<unknown>>();
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
        buffer: new Uint8Array(slabPlanes * planeSize),
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
    this.chunkTasks.throwIfFailed();
    for (const sink of this.sinks) {
      if (sink.written !== sink.shape[0])
        throw new Error(`${this.what}: level wrote ${sink.written} of ${sink.shape[0]} planes`);
    }
  }

  /** Wait for every chunk write already started (call before removing the arrays after an error). */
  settle(): Promise<void> {
    return this.chunkTasks.settle();
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
   * Write the buffered planes of one level as whole chunks (zarr v3 `c/z/y/x` keys, edge chunks padded with the fill
   * value 0), zstd-compressed on the encoder threads. All-zero chunks are not stored: they read as the fill value.
   * Returns once every chunk is copied out of the slab buffer and queued (finish() waits for the writes).
   */
  private async flush(level: number, signal?: AbortSignal): Promise<void> {
    const sink = this.sinks[level]!;
    if (sink.buffered === 0) return;
    signal?.throwIfAborted();
    const [cz, cy, cx] = sink.array.chunks as Shape3;
    const [, h, w] = sink.shape;
    const n = sink.buffered;
    const iz = sink.written / cz;
    const arrayDir = path.join(this.storeRoot, sink.array.path);
    const madeDirs = this.madeDirs;
    for (let y0 = 0, iy = 0; y0 < h; y0 += cy, iy++) {
      const rowDir = path.join(arrayDir, 'c', String(iz), String(iy));
      for (let x0 = 0, ix = 0; x0 < w; x0 += cx, ix++) {
        const chunk = new Uint8Array(cz * cy * cx);
        const yn = Math.min(cy, h - y0);
        const xn = Math.min(cx, w - x0);
        let any = 0;
        const buf = sink.buffer;
        for (let z = 0; z < n; z++) {
          for (let y = 0; y < yn; y++) {
            // a plain loop: rows are short (a chunk's width), and a subarray + set per row cost more than the copy
            const from = (z * h + y0 + y) * w + x0;
            const to = (z * cy + y) * cx;
            for (let k = 0; k < xn; k++) any |= chunk[to + k] = buf[from + k]!;
          }
        }
        if (!any) continue;
        signal?.throwIfAborted();
        const file = path.join(rowDir, String(ix));
        await this.chunkTasks.add(async () => {
          let made = madeDirs.get(rowDir);
          if (!made) madeDirs.set(rowDir, (made = mkdir(rowDir, { recursive: true })));
          const [bytes] = await Promise.all([encodeChunk(chunk), made]);
          await writeFile(file, bytes);
        });
      }
    }
    sink.written += n;
    sink.buffered = 0;
  }
}
