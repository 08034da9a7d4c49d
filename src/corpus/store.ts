/**
 * The zarr v3 side of the corpus: DIR/data.zarr holds one group per record (`records/<id>`) with one uint8 array per
 * pyramid level (`0`, `1`, …), zstd-compressed, chunked 64³ (clamped to the shape; thinner in z for very large planes
 * so a writer never buffers more than ~64 MiB per level), and OME-Zarr 0.5 `multiscales` attributes on the group so
 * napari and other OME-Zarr tools open it.
 *
 *   const store = dataStore('/data/corpus');
 *   const writer = await createRecordArrays(store, 'records/7.partial-123', { name, shape, voxelSizeUm }, levels);
 *   await writer.writeSlab(0, planes0to63); …; await writer.finish();
 *   const arr = await openLevel(store, 'records/7', 0);
 *   const { data } = await zarr.get(arr, [zarr.slice(0, 8), null, null]);
 */
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import * as zarr from 'zarrita';
import { decodeChunk, encodeChunk, ZSTD_LEVEL } from './chunk-encoder.js';
import { levelScaleOf, levelShapeOf, PlaneDownsampler, type Shape3 } from './pyramid.js';

export const DATA_DIR = 'data.zarr';
export const RECORDS_GROUP = 'records';
export const ATTACHMENTS_DIR = 'attachments';

/** Codecs of every record array: raw bytes, then zstd (numcodecs, works offline; zarr-python reads it too). */
export const RECORD_CODECS = [
  { name: 'bytes', configuration: { endian: 'little' } },
  { name: 'zstd', configuration: { level: ZSTD_LEVEL, checksum: false } },
];

/** A writer never buffers more than about this many bytes of planes per level. */
const PLANE_BUFFER_BYTES = 64 << 20;
/** Elements per chunk (64³). */
const CHUNK_ELEMENTS = 64 ** 3;
/** Chunks a read works on at once. */
const CHUNK_CONCURRENCY = 8;
/** Chunks being compressed or written at once (bounds the memory of a flush). */
const MAX_CHUNKS_IN_FLIGHT = 32;

export type Store = FileSystemStore;
export type Uint8ZarrArray = zarr.Array<'uint8', Store>;

export function dataStore(corpusDir: string): Store {
  return new FileSystemStore(path.join(corpusDir, DATA_DIR));
}

/** Create the root group and the `records` group (idempotent). */
export async function initStore(corpusDir: string): Promise<void> {
  const store = dataStore(corpusDir);
  await mkdir(path.join(corpusDir, DATA_DIR), { recursive: true });
  await zarr.create(zarr.root(store), { attributes: { 'scroll-aunn': { about: 'one zarr group per record under records/' } } });
  await zarr.create(zarr.root(store).resolve(RECORDS_GROUP), { attributes: {} });
}

/** Chunk shape for an array of this shape: 64³ clamped; 2-D and 1-D arrays get the same number of elements. */
export function chunkShapeFor(shape: readonly [number, number, number]): Shape3 {
  const [d, h, w] = shape;
  if (d > 1) {
    const planeBudget = Math.max(1, Math.floor(PLANE_BUFFER_BYTES / (h * w)));
    let cz = 1;
    while (cz * 2 <= Math.min(64, planeBudget)) cz *= 2;
    return [Math.min(cz, d), Math.min(64, h), Math.min(64, w)];
  }
  if (h > 1) return [1, Math.min(512, h), Math.min(512, w)];
  return [1, 1, Math.min(CHUNK_ELEMENTS, w)];
}

/** A queue that runs at most `limit` chunk tasks at once (zarrita's default runs all of them together). */
export function boundedQueue(limit = CHUNK_CONCURRENCY): () => { add(fn: () => Promise<void>): void; onIdle(): Promise<void[]> } {
  return () => {
    const waiting: Array<() => Promise<void>> = [];
    const results: Promise<void>[] = [];
    let running = 0;
    const pump = () => {
      while (running < limit && waiting.length) {
        const task = waiting.shift()!;
        running++;
        results.push(
          task().finally(() => {
            running--;
            pump();
          }),
        );
      }
    };
    return {
      add(fn) {
        waiting.push(fn);
        pump();
      },
      async onIdle() {
        // Tasks queue more only through add(); wait until everything added has settled.
        let seen = -1;
        while (seen !== results.length || waiting.length) {
          seen = results.length;
          await Promise.all(results);
        }
        return Promise.all(results);
      },
    };
  };
}

export interface RecordArraysInfo {
  name: string;
  shape: Shape3;
  voxelSizeUm?: [number, number, number];
}

/** OME-Zarr 0.5 attributes of a record group: one multiscale image, levels `0..levels-1`, axes z, y, x. */
export function omeAttributes(info: RecordArraysInfo, levels: number): Record<string, unknown> {
  const voxel = info.voxelSizeUm ?? [1, 1, 1];
  const unit = info.voxelSizeUm ? 'micrometer' : undefined;
  const axes = ['z', 'y', 'x'].map((name) => ({ name, type: 'space', ...(unit ? { unit } : {}) }));
  const datasets = Array.from({ length: levels }, (_, level) => {
    const factor = levelScaleOf(info.shape, level);
    const scale = factor.map((f, a) => f * voxel[a]!);
    // A mean-pooled voxel's centre sits half a (coarse - fine) voxel further along.
    const translation = factor.map((f, a) => ((f - 1) / 2) * voxel[a]!);
    return {
      path: String(level),
      coordinateTransformations: [
        { type: 'scale', scale },
        { type: 'translation', translation },
      ],
    };
  });
  return { ome: { version: '0.5', multiscales: [{ name: info.name, axes, datasets }] } };
}

/**
 * Create the group and level arrays of a record at `groupPath` (relative to data.zarr) and return a writer that
 * takes level-0 planes in z order and builds the other levels as it goes.
 */
export async function createRecordArrays(store: Store, groupPath: string, info: RecordArraysInfo, levels: number): Promise<RecordWriter> {
  const group = zarr.root(store).resolve(groupPath);
  await zarr.create(group, { attributes: omeAttributes(info, levels) });
  const arrays: Uint8ZarrArray[] = [];
  for (let level = 0; level < levels; level++) {
    const shape = levelShapeOf(info.shape, level);
    arrays.push(
      await zarr.create(group.resolve(String(level)), {
        shape,
        chunkShape: chunkShapeFor(shape),
        dtype: 'uint8',
        codecs: RECORD_CODECS,
        fillValue: 0,
        dimensionNames: ['z', 'y', 'x'],
      }),
    );
  }
  return new RecordWriter(arrays, info.name, store.root);
}

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

/** Streams level-0 planes into the record's arrays, building the pyramid on the way. */
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
      return { array, shape, planeSize, slabPlanes, buffer: new Uint8Array(slabPlanes * planeSize), buffered: 0, written: 0 };
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
    if (z0 !== this.nextZ) throw new RangeError(`${this.what}: slab starts at plane ${z0}, expected ${this.nextZ} (slabs must come in z order)`);
    if (data.length === 0 || data.length % planeSize !== 0) {
      throw new RangeError(`${this.what}: slab of ${data.length} bytes is not a whole number of ${shape[1]}×${shape[2]} planes`);
    }
    const planes = data.length / planeSize;
    if (z0 + planes > shape[0]) throw new RangeError(`${this.what}: slab [${z0}, ${z0 + planes}) goes past depth ${shape[0]}`);
    for (let i = 0; i < planes; i++) await this.pushPlane(0, data.subarray(i * planeSize, (i + 1) * planeSize), signal);
    this.nextZ += planes;
  }

  /** Flush what is buffered at every level; throws if level 0 did not receive every plane. */
  async finish(signal?: AbortSignal): Promise<void> {
    if (this.nextZ !== this.shape[0]) throw new RangeError(`${this.what}: only ${this.nextZ} of ${this.shape[0]} planes were written`);
    for (let level = 0; level < this.sinks.length; level++) {
      await this.flush(level, signal);
      const last = this.downsamplers[level]?.flush();
      if (last) await this.pushPlane(level + 1, last, signal);
    }
    for (const sink of this.sinks) {
      if (sink.written !== sink.shape[0]) throw new Error(`${this.what}: level wrote ${sink.written} of ${sink.shape[0]} planes`);
    }
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
    const limiter = new TaskLimiter(MAX_CHUNKS_IN_FLIGHT);
    const madeDirs = new Map<string, Promise<unknown>>();
    try {
      for (let y0 = 0, iy = 0; y0 < h; y0 += cy, iy++) {
        const rowDir = path.join(arrayDir, 'c', String(iz), String(iy));
        for (let x0 = 0, ix = 0; x0 < w; x0 += cx, ix++) {
          const chunk = new Uint8Array(cz * cy * cx);
          const yn = Math.min(cy, h - y0);
          const xn = Math.min(cx, w - x0);
          let any = 0;
          for (let z = 0; z < n; z++) {
            for (let y = 0; y < yn; y++) {
              const from = (z * h + y0 + y) * w + x0;
              const row = sink.buffer.subarray(from, from + xn);
              chunk.set(row, (z * cy + y) * cx);
              if (!any) for (let k = 0; k < xn; k++) any |= row[k]!;
            }
          }
          if (!any) continue;
          signal?.throwIfAborted();
          const file = path.join(rowDir, String(ix));
          await limiter.add(async () => {
            let made = madeDirs.get(rowDir);
            if (!made) madeDirs.set(rowDir, (made = mkdir(rowDir, { recursive: true })));
            const [bytes] = await Promise.all([encodeChunk(chunk), made]);
            await writeFile(file, bytes);
          });
        }
      }
    } finally {
      // Never leave a chunk write running past an error: the caller removes the folder next.
      await limiter.settle();
    }
    limiter.throwIfFailed();
    sink.written += n;
    sink.buffered = 0;
  }
}

/** Runs at most `limit` async tasks at once; the first failure is kept and stops new tasks. */
class TaskLimiter {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  constructor(private readonly limit: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    this.throwIfFailed();
    const p: Promise<void> = task().then(
      () => void this.running.delete(p),
      (error: unknown) => {
        this.running.delete(p);
        this.failure ??= { error };
      },
    );
    this.running.add(p);
  }

  /** Wait for every started task (never throws). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}

const openArrays = new WeakMap<Store, Map<string, Promise<Uint8ZarrArray>>>();

/** Open (once per store) the array of one level of a record group. */
export function openLevel(store: Store, groupPath: string, level: number): Promise<Uint8ZarrArray> {
  let cache = openArrays.get(store);
  if (!cache) openArrays.set(store, (cache = new Map()));
  const key = `${groupPath}/${level}`;
  let arr = cache.get(key);
  if (!arr) {
    arr = zarr.open.v3(zarr.root(store).resolve(key), { kind: 'array' }).then((a) => {
      if (a.dtype !== 'uint8') throw new Error(`${key}: expected a uint8 array, found ${a.dtype}`);
      return a as Uint8ZarrArray;
    });
    arr.catch(() => cache.delete(key));
    cache.set(key, arr);
  }
  return arr;
}

/** Read a box of one level, raster z, y, x. */
export async function readBox(
  store: Store,
  groupPath: string,
  level: number,
  box: { z: [number, number]; y: [number, number]; x: [number, number] },
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const arr = await openLevel(store, groupPath, level);
  if (!(await isOwnLayout(store, arr))) {
    const chunk = await zarr.get(arr, [zarr.slice(...box.z), zarr.slice(...box.y), zarr.slice(...box.x)], {
      signal,
      createQueue: boundedQueue(),
    });
    return chunk.data as Uint8Array;
  }
  return readBoxFast(store, arr, box, signal);
}

const ownLayout = new WeakMap<Uint8ZarrArray, Promise<boolean>>();

/** Whether the array is laid out as this module writes it (bytes + zstd, `c/z/y/x` keys): then reads skip zarrita. */
function isOwnLayout(store: Store, arr: Uint8ZarrArray): Promise<boolean> {
  let known = ownLayout.get(arr);
  if (!known) {
    known = readFile(path.join(store.root, arr.path, 'zarr.json'), 'utf8').then((text) => {
      const meta = JSON.parse(text) as { codecs?: Array<{ name: string }>; chunk_key_encoding?: { name: string; configuration?: { separator?: string } } };
      const names = (meta.codecs ?? []).map((c) => c.name).join(',');
      const keys = meta.chunk_key_encoding;
      return names === 'bytes,zstd' && keys?.name === 'default' && (keys.configuration?.separator ?? '/') === '/';
    });
    ownLayout.set(arr, known);
  }
  return known;
}

/** Chunk files read and decompressed on the codec threads, copied into the box; missing chunks stay 0 (fill). */
async function readBoxFast(
  store: Store,
  arr: Uint8ZarrArray,
  box: { z: [number, number]; y: [number, number]; x: [number, number] },
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const [cz, cy, cx] = arr.chunks as Shape3;
  const [z0, z1] = box.z;
  const [y0, y1] = box.y;
  const [x0, x1] = box.x;
  const oy = y1 - y0;
  const ox = x1 - x0;
  const out = new Uint8Array((z1 - z0) * oy * ox);
  const arrayDir = path.join(store.root, arr.path);
  const chunkSize = cz * cy * cx;
  const limiter = new TaskLimiter(MAX_CHUNKS_IN_FLIGHT);
  const readChunk = async (iz: number, iy: number, ix: number) => {
    const file = path.join(arrayDir, 'c', String(iz), String(iy), String(ix));
    const bytes = await readFile(file, { signal }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!bytes) return;
    const chunk = await decodeChunk(bytes).catch((err: Error) => {
      throw new Error(`${file}: chunk does not decompress (${err.message.split('\n')[0]})`, { cause: err });
    });
    if (chunk.length !== chunkSize) throw new Error(`${file}: chunk decodes to ${chunk.length} bytes, expected ${chunkSize}`);
    const za = Math.max(z0, iz * cz);
    const zb = Math.min(z1, (iz + 1) * cz);
    const ya = Math.max(y0, iy * cy);
    const yb = Math.min(y1, (iy + 1) * cy);
    const xa = Math.max(x0, ix * cx);
    const xb = Math.min(x1, (ix + 1) * cx);
    for (let z = za; z < zb; z++) {
      for (let y = ya; y < yb; y++) {
        const src = ((z - iz * cz) * cy + (y - iy * cy)) * cx + (xa - ix * cx);
        out.set(chunk.subarray(src, src + (xb - xa)), ((z - z0) * oy + (y - y0)) * ox + (xa - x0));
      }
    }
  };
  try {
    for (let iz = Math.floor(z0 / cz); iz * cz < z1; iz++) {
      for (let iy = Math.floor(y0 / cy); iy * cy < y1; iy++) {
        for (let ix = Math.floor(x0 / cx); ix * cx < x1; ix++) {
          signal?.throwIfAborted();
          await limiter.add(() => readChunk(iz, iy, ix));
        }
      }
    }
  } finally {
    await limiter.settle();
  }
  limiter.throwIfFailed();
  return out;
}

/** Every file under `dir` (a plain walk: Node 20's recursive readdir with file types can miss entries). */
export async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  await walk(dir);
  return files;
}

/** fsync every file under `dir` (so a rename that publishes it is durable), a few at a time. */
export async function fsyncTree(dir: string): Promise<void> {
  const files = await listFiles(dir);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      const handle = await open(file, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHUNK_CONCURRENCY, files.length) }, worker));
}

export async function removeTree(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true, maxRetries: 3 });
}
