/**
 * The corpus: a folder with manifest.json (the index space) and data.zarr (one zarr group per record), plus
 * attachments/<id>/ for files kept beside a record (a segment's mesh). Readers need no lock; writers go through
 * `withWriter`, which takes DIR/.lock, works on a staged copy of the manifest and commits it atomically when the
 * callback resolves — all of its changes land, or (on an error or a kill) none of them.
 *
 * Crash safety: a record's arrays are written under `records/<id>.partial-…`, fsynced and renamed to their final
 * name before the manifest names them; anything under records/ or attachments/ that the manifest does not name is
 * a leftover and is removed by the next open (or writer) that can take the lock.
 *
 *   const corpus = await Corpus.open('/data/corpus', { create: true });
 *   const rec = await corpus.withWriter((w) =>
 *     w.appendRecord(meta, async (writeSlab) => { await writeSlab(0, planes); }));
 *   const box = await corpus.readRegion(rec, { z: [0, 8], y: [0, 64], x: [0, 64] });
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { allocate, blockSize, DEFAULT_ADDRESS_BITS, paddedBits, type Bits3 } from './address.js';
import { acquireLock, LOCK_FILE, tryLock } from '../core/lock.js';
import {
  emptyManifest,
  fsyncDir,
  MANIFEST_FILE,
  MANIFEST_TEMP_PREFIX,
  readManifest,
  writeManifestAtomic,
} from './manifest.js';
import { levelCountOf, levelShapeOf } from './pyramid.js';
import { fsyncTree, removeTree } from './files.js';
import { readBox } from './read-box.js';
import { readSideFile, writeSideFileUnlocked } from './side-files.js';
import type { RecordWriter } from './record-writer.js';
import {
  ATTACHMENTS_DIR,
  createRecordArrays,
  DATA_DIR,
  dataStore,
  initStore,
  RECORDS_GROUP,
  type Store,
} from './store.js';
import type { Manifest, Modality, PredictionKind, RecordMeta } from './types.js';
import type { Region } from '../core/region.js';

export type NewRecordMeta = Omit<RecordMeta, 'id' | 'base' | 'bits' | 'array' | 'levels'>;

export type { Region };

export interface RecordFilter {
  scroll?: string;
  modality?: Modality;
  trainable?: boolean;
  group?: string;
}

export interface AppendOptions {
  /** Build the 2× mean pyramid (default: yes, except for text). */
  pyramid?: boolean;
  /** Files to keep beside the record: name inside the record's attachment folder → source path. */
  attachments?: Record<string, string>;
  /** Minimum padded bits per axis (members of a group share one block size); default: the shape's own. */
  bits?: Bits3;
}

export type WriteSlab = (z0: number, data: Uint8Array) => Promise<void>;

export interface CorpusWriter {
  /** The staged manifest: the committed records plus what this writer added so far. */
  readonly manifest: Manifest;
  appendRecord(
    meta: NewRecordMeta,
    fill: (writeSlab: WriteSlab) => Promise<void>,
    opts?: AppendOptions,
    signal?: AbortSignal,
  ): Promise<RecordMeta>;
  writePrediction(
    of: RecordMeta,
    kind: PredictionKind,
    data: Uint8Array,
    opts?: { shape?: [number, number, number]; model?: string; extra?: Record<string, unknown> },
  ): Promise<RecordMeta>;
}

const MODALITIES: readonly Modality[] = ['scan', 'segment-layers', 'ink-labels', 'mask', 'photo', 'text', 'prediction'];

export class Corpus {
  readonly dir: string;
  #manifest: Manifest;
  readonly #store: Store;
  #writerQueue: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, manifest: Manifest) {
    this.dir = dir;
    this.#manifest = manifest;
    this.#store = dataStore(dir);
  }

  /**
   * Open the corpus in `dir`; with `create`, make an empty one when there is none. Leftovers of an interrupted
   * writer are removed when no live process holds the lock.
   */
  static async open(dir: string, opts: { create?: boolean; addressBits?: number } = {}): Promise<Corpus> {
    const abs = path.resolve(dir);
    const exists = await stat(path.join(abs, MANIFEST_FILE)).then(
      () => true,
      () => false,
    );
    if (!exists) {
      if (!opts.create) {
        throw new UserError(`${abs} is not a corpus (no ${MANIFEST_FILE})`, { file: dir, hint: 'create-corpus' });
      }
      const initial = emptyManifest(opts.addressBits ?? DEFAULT_ADDRESS_BITS);
      // What a creation killed before its manifest was written leaves behind does not count as content.
      const ours = (f: string) =>
        f.startsWith(LOCK_FILE) || f.startsWith(MANIFEST_TEMP_PREFIX) || f === DATA_DIR || f === ATTACHMENTS_DIR;
      const present = (await readdir(abs).catch(() => [] as string[])).filter((f) => !ours(f));
      if (present.length) {
        throw new UserError(
          `${abs} is not a corpus (no ${MANIFEST_FILE}) and not empty (${present.slice(0, 3).join(', ')}…): choose a new or empty folder`,
        );
      }
      await mkdir(abs, { recursive: true });
      const release = await acquireLock(abs);
      try {
        const raced = await stat(path.join(abs, MANIFEST_FILE)).then(
          () => true,
          () => false,
        );
        if (!raced) {
          await initStore(abs);
          await mkdir(path.join(abs, ATTACHMENTS_DIR), { recursive: true });
          await writeManifestAtomic(abs, initial);
        }
      } finally {
        await release();
      }
    }
    const manifest = await readManifest(abs);
    if (opts.addressBits !== undefined && opts.addressBits !== manifest.addressBits) {
      throw new UserError(
        `${abs}: the corpus has ${manifest.addressBits} address bits, not ${opts.addressBits} (fixed when it was created)`,
      );
    }
    if ((await findLeftovers(abs, manifest)).length) {
      const release = await tryLock(abs);
      if (release) {
        try {
          await removeLeftovers(abs, await readManifest(abs));
        } finally {
          await release();
        }
      }
    }
    return new Corpus(abs, manifest);
  }

  get manifest(): Manifest {
    return this.#manifest;
  }

  /** Re-read manifest.json (another process may have committed since). */
  async reload(): Promise<void> {
    this.#manifest = await readManifest(this.dir);
  }

  records(filter: RecordFilter = {}): RecordMeta[] {
    return this.#manifest.records.filter(
      (r) =>
        (filter.scroll === undefined || r.scroll === filter.scroll) &&
        (filter.modality === undefined || r.modality === filter.modality) &&
        (filter.trainable === undefined || r.trainable === filter.trainable) &&
        (filter.group === undefined || r.group === filter.group),
    );
  }

  /** A record by name or id; a UserError naming it when missing. */
  record(nameOrId: string | number): RecordMeta {
    const records = this.#manifest.records;
    const found =
      typeof nameOrId === 'number'
        ? records[nameOrId]
        : (records.find((r) => r.name === nameOrId) ??
          (/^\d+$/.test(nameOrId) ? records[Number(nameOrId)] : undefined));
    if (!found) throw new UserError(`no record '${nameOrId}' in corpus ${this.dir}`);
    return found;
  }

  levelShape(rec: RecordMeta, level: number): [number, number, number] {
    if (!Number.isInteger(level) || level < 0 || level >= rec.levels) {
      throw new UserError(`${rec.name}: no level ${level} (it has levels 0..${rec.levels - 1})`);
    }
    return levelShapeOf(rec.shape, level);
  }

  async readRegion(rec: RecordMeta, region: Region, level = 0, signal?: AbortSignal): Promise<Uint8Array> {
    const shape = this.levelShape(rec, level);
    const axes = [region.z, region.y, region.x];
    axes.forEach(([a, b], i) => {
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > shape[i]! || a >= b) {
        throw new UserError(
          `${rec.name}: region z [${region.z}] y [${region.y}] x [${region.x}] is outside level ${level} of shape ${shape.join('×')}`,
        );
      }
    });
    try {
      return await readBox(this.#store, rec.array, level, region, signal);
    } catch (err) {
      // Another process may have replaced this prediction since our manifest was read: follow the record once.
      const fresh = await readManifest(this.dir).catch(() => undefined);
      const now = fresh?.records[rec.id];
      if (!fresh || !now || now.name !== rec.name || now.array === rec.array) throw err;
      this.#manifest = fresh;
      return readBox(this.#store, now.array, level, region, signal);
    }
  }

  readRecord(rec: RecordMeta, level = 0, signal?: AbortSignal): Promise<Uint8Array> {
    const [d, h, w] = this.levelShape(rec, level);
    return this.readRegion(rec, { z: [0, d], y: [0, h], x: [0, w] }, level, signal);
  }

  attachmentPath(rec: RecordMeta, name: string): string {
    checkAttachmentName(name, rec.name);
    return path.join(this.dir, ATTACHMENTS_DIR, String(rec.id), name);
  }

  /** Writes side file `rel` (see side-files.ts) atomically under the corpus lock; returns its absolute path. */
  writeSideFile(rel: string, data: string | Uint8Array): Promise<string> {
    return this.#locked(() => writeSideFileUnlocked(this.dir, rel, data));
  }

  /** Side file `rel` as text, or undefined when it does not exist. */
  async readSideFile(rel: string): Promise<string | undefined> {
    return (await readSideFile(this.dir, rel))?.toString('utf8');
  }

  /**
   * Run `fn` with the corpus lock held; what it appends or replaces becomes visible (one atomic manifest write) when
   * it resolves. If it throws, nothing it wrote is kept. Calls on one Corpus run one after another.
   */
  withWriter<T>(fn: (w: CorpusWriter) => Promise<T>): Promise<T> {
    return this.#locked(() => this.#runWriter(fn));
  }

  /** Runs `fn` after this Corpus's earlier writes, holding the corpus lock. */
  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#writerQueue.then(async () => {
      const release = await acquireLock(this.dir);
      try {
        return await fn();
      } finally {
        await release();
      }
    });
    this.#writerQueue = run.catch(() => undefined);
    return run;
  }

  /** The body of withWriter; the caller holds the lock. */
  async #runWriter<T>(fn: (w: CorpusWriter) => Promise<T>): Promise<T> {
    const fresh = await readManifest(this.dir);
    await removeLeftovers(this.dir, fresh);
    this.#manifest = fresh;
    const writer = new StagedWriter(this.dir, this.#store, fresh);
    let result: T;
    try {
      result = await fn(writer);
    } catch (err) {
      await writer.discard();
      throw err;
    }
    this.#manifest = await writer.commit();
    return result;
  }
}

class StagedWriter implements CorpusWriter {
  private readonly records: RecordMeta[];
  private next: number;
  /** Final-named folders this writer created (removed if it is discarded). */
  private readonly created: string[] = [];
  /** Folders replaced by this writer (removed once the new manifest is committed). */
  private readonly superseded: string[] = [];
  private changed = false;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly store: Store,
    private readonly base: Manifest,
  ) {
    this.records = [...base.records];
    this.next = base.next;
  }

  get manifest(): Manifest {
    return { ...this.base, next: this.next, records: [...this.records] };
  }

  async appendRecord(
    meta: NewRecordMeta,
    fill: (writeSlab: WriteSlab) => Promise<void>,
    opts: AppendOptions = {},
    signal?: AbortSignal,
  ): Promise<RecordMeta> {
    this.checkOpen();
    checkNewMeta(meta, this.dir);
    if (this.records.some((r) => r.name === meta.name)) {
      throw new UserError(`a record named '${meta.name}' already exists in corpus ${this.dir}`);
    }
    const attachments = Object.entries(opts.attachments ?? {});
    for (const [name, source] of attachments) {
      checkAttachmentName(name, meta.name);
      if (
        !(await stat(source).then(
          (s) => s.isFile(),
          () => false,
        ))
      ) {
        throw new UserError(`${source}: attachment '${name}' of ${meta.name} is not a readable file`);
      }
    }
    const bits = maxBits(paddedBits(meta.shape), opts.bits);
    const base = allocate({ addressBits: this.base.addressBits, next: this.next }, bits, meta.name);
    const id = this.records.length;
    const pyramid = opts.pyramid ?? meta.modality !== 'text';
    const levels = pyramid ? levelCountOf(meta.shape) : 1;
    const array = `${RECORDS_GROUP}/${id}`;
    await this.writeArrays(
      array,
      { name: meta.name, shape: meta.shape, voxelSizeUm: meta.voxelSizeUm },
      levels,
      fill,
      signal,
    );
    if (attachments.length) await this.copyAttachments(id, attachments, signal);
    const rec: RecordMeta = { ...meta, id, base, bits, array, levels };
    this.records.push(rec);
    this.next = base + blockSize(bits);
    this.changed = true;
    return rec;
  }

  async writePrediction(
    of: RecordMeta,
    kind: PredictionKind,
    data: Uint8Array,
    opts: { shape?: [number, number, number]; model?: string; extra?: Record<string, unknown> } = {},
  ): Promise<RecordMeta> {
    this.checkOpen();
    const shape = opts.shape ?? of.shape;
    const sameGrid = shape.every((n, a) => n === of.shape[a]);
    const count = shape[0] * shape[1] * shape[2];
    if (data.length !== count) {
      throw new UserError(
        `prediction '${kind}' of ${of.name}: ${data.length} values for shape ${shape.join('×')} (${count})`,
      );
    }
    const model = opts.model;
    const existing = this.records.find(
      (r) =>
        r.modality === 'prediction' &&
        r.prediction?.of === of.name &&
        r.prediction.kind === kind &&
        r.prediction.model === model,
    );
    const name = existing?.name ?? `${of.name}/prediction/${kind}${model ? `@${model}` : ''}`;
    if (!existing && this.records.some((r) => r.name === name))
      throw new UserError(`a record named '${name}' already exists in corpus ${this.dir}`);
    const bits = maxBits(paddedBits(shape), sameGrid ? of.bits : undefined);
    const reuseBlock = existing !== undefined && existing.bits.every((b, a) => b === bits[a]);
    const base = reuseBlock
      ? existing.base
      : allocate({ addressBits: this.base.addressBits, next: this.next }, bits, name);
    const id = existing?.id ?? this.records.length;
    const array = existing ? nextVersion(existing.array, id) : `${RECORDS_GROUP}/${id}`;
    const levels = levelCountOf(shape);
    const info = { name, shape, voxelSizeUm: sameGrid ? of.voxelSizeUm : undefined };
    await this.writeArrays(array, info, levels, async (writeSlab) => {
      const plane = shape[1] * shape[2];
      const step = Math.max(1, Math.floor((16 << 20) / plane));
      for (let z = 0; z < shape[0]; z += step)
        await writeSlab(z, data.subarray(z * plane, Math.min(shape[0], z + step) * plane));
    });
    const rec: RecordMeta = {
      id,
      name,
      scroll: of.scroll,
      modality: 'prediction',
      shape: [...shape],
      bits,
      base,
      dtype: 'uint8',
      ...(sameGrid && of.voxelSizeUm ? { voxelSizeUm: of.voxelSizeUm } : {}),
      ...(sameGrid && of.affine ? { affine: of.affine } : {}),
      source: {
        path: `prediction of ${of.name}`,
        sha256: createHash('sha256').update(data).digest('hex'),
        format: 'prediction',
      },
      array,
      levels,
      ...(of.group ? { group: of.group } : {}),
      prediction: { of: of.name, kind, ...(model ? { model } : {}) },
      trainable: false,
      ...(opts.extra ? { extra: opts.extra } : {}),
    };
    if (existing) {
      this.records[id] = rec;
      this.superseded.push(path.join(this.dir, DATA_DIR, existing.array));
    } else {
      this.records.push(rec);
    }
    if (!reuseBlock) this.next = base + blockSize(bits);
    this.changed = true;
    return rec;
  }

  /** Write the arrays under a temp name, fsync them, and rename them to `array`. */
  private async writeArrays(
    array: string,
    info: { name: string; shape: [number, number, number]; voxelSizeUm?: [number, number, number] },
    levels: number,
    fill: (writeSlab: WriteSlab) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<void> {
    const temp = `${array}.partial-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const tempDir = path.join(this.dir, DATA_DIR, temp);
    const finalDir = path.join(this.dir, DATA_DIR, array);
    let writer: RecordWriter | undefined;
    try {
      writer = await createRecordArrays(this.store, temp, info, levels);
      const arrays = writer;
      await fill((z0, data) => arrays.writeSlab(z0, data, signal));
      await writer.finish(signal);
      await fsyncTree(tempDir);
      await removeTree(finalDir); // a leftover of an uncommitted writer may hold the name
      await rename(tempDir, finalDir);
      this.created.push(finalDir);
      await fsyncDir(path.dirname(finalDir));
    } catch (err) {
      await writer?.settle(); // no chunk write may land after the folder is removed
      await removeTree(tempDir);
      throw err;
    }
  }

  private async copyAttachments(id: number, attachments: Array<[string, string]>, signal?: AbortSignal): Promise<void> {
    const root = path.join(this.dir, ATTACHMENTS_DIR);
    const temp = path.join(root, `${id}.partial-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    const finalDir = path.join(root, String(id));
    try {
      await mkdir(temp, { recursive: true });
      for (const [name, source] of attachments) {
        signal?.throwIfAborted();
        await copyFile(source, path.join(temp, name));
      }
      await fsyncTree(temp);
      await removeTree(finalDir);
      await rename(temp, finalDir);
      this.created.push(finalDir);
      await fsyncDir(root);
    } catch (err) {
      await removeTree(temp);
      throw err;
    }
  }

  /** Publish the staged manifest; returns it (or the unchanged one). */
  async commit(): Promise<Manifest> {
    this.checkOpen();
    this.closed = true;
    if (!this.changed) return this.base;
    const manifest = this.manifest;
    await writeManifestAtomic(this.dir, manifest);
    for (const dir of this.superseded) await removeTree(dir);
    return manifest;
  }

  /** Drop everything this writer wrote (the manifest was never changed). */
  async discard(): Promise<void> {
    this.closed = true;
    for (const dir of this.created) await removeTree(dir);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('corpus writer used after withWriter returned');
  }
}

function maxBits(own: Bits3, min?: Bits3): Bits3 {
  if (!min) return own;
  return [Math.max(own[0], min[0]), Math.max(own[1], min[1]), Math.max(own[2], min[2])];
}

/** `records/7` → `records/7.v2`, `records/7.v2` → `records/7.v3`. */
function nextVersion(array: string, id: number): string {
  const m = /\.v(\d+)$/.exec(array);
  return `${RECORDS_GROUP}/${id}.v${m ? Number(m[1]) + 1 : 2}`;
}

function checkNewMeta(meta: NewRecordMeta, dir: string): void {
  const bad = (why: string) => new UserError(`record '${meta.name}' for corpus ${dir}: ${why}`);
  if (typeof meta.name !== 'string' || meta.name.trim() === '') throw bad('empty name');
  if (!MODALITIES.includes(meta.modality)) throw bad(`unknown modality ${JSON.stringify(meta.modality)}`);
  if (meta.dtype !== 'uint8') throw bad(`dtype must be uint8 (16-bit data is windowed first), got ${meta.dtype}`);
  if (
    !Array.isArray(meta.shape) ||
    meta.shape.length !== 3 ||
    !meta.shape.every((n) => Number.isInteger(n) && n >= 1)
  ) {
    throw bad(`invalid shape ${JSON.stringify(meta.shape)}`);
  }
}

function checkAttachmentName(name: string, recordName: string): void {
  if (!name || name === '.' || name === '..' || /[/\\]/.test(name) || name.includes('\0')) {
    throw new UserError(`${recordName}: invalid attachment name ${JSON.stringify(name)} (a plain file name is needed)`);
  }
}

/**
 * Remove what an interrupted writer left: temp manifests, stale-lock files, record groups and attachment folders
 * the manifest does not name. Only call with the lock held.
 */
async function removeLeftovers(dir: string, manifest: Manifest): Promise<void> {
  for (const leftover of await findLeftovers(dir, manifest)) await removeTree(leftover);
}

/** Paths of what an interrupted writer left (see removeLeftovers); the lock file itself is not one. */
async function findLeftovers(dir: string, manifest: Manifest): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(MANIFEST_TEMP_PREFIX) || name.startsWith(`${LOCK_FILE}.stale-`))
      found.push(path.join(dir, name));
  }
  const recordsDir = path.join(dir, DATA_DIR, RECORDS_GROUP);
  const named = new Set(manifest.records.map((r) => path.relative(RECORDS_GROUP, r.array)));
  for (const name of await readdir(recordsDir).catch(() => [] as string[])) {
    if (name !== 'zarr.json' && !named.has(name)) found.push(path.join(recordsDir, name));
  }
  const attachmentsDir = path.join(dir, ATTACHMENTS_DIR);
  const ids = new Set(manifest.records.map((r) => String(r.id)));
  for (const name of await readdir(attachmentsDir).catch(() => [] as string[])) {
    if (!ids.has(name)) found.push(path.join(attachmentsDir, name));
  }
  return found;
}
