/**
 * Training data in memory: the trainable records' bytes (in SharedArrayBuffers, so every worker thread reads the
 * same copy), the held-out split, and the samplers of the schedules:
 *  - minibatch: a record drawn with probability ∝ its weight (voxels^0.5 by default, so small records are not
 *    drowned), then a uniform voxel in it; with `persistency` k > 1 every drawn minibatch is returned k times in a
 *    row (the seed's "k gradient steps on each minibatch");
 *  - serial: a window moving along the index (records in address order, voxels in raster order), with a fraction
 *    replayed uniformly from the part already passed.
 * Held-out voxels (a fixed hash of the address) are never returned.
 *
 * Memory is bounded by `maxResidentMB`: when the records do not fit, small records stay whole and the large ones
 * keep a random subset of blocks of rows (the `rows` map says which (z, y) rows are resident); another seed (the
 * trainer uses one per run) picks another subset, so successive runs cover the whole data.
 *
 *   const set = await loadTrainSet(corpus, records, { maxResidentMB: 512, persistency: 2 });
 *   const s = new Sampler(set, heldOutFraction);
 *   s.minibatch(addresses, labels, 0, n, rng);
 */
import type { Manifest, RecordMeta } from '../corpus/index.js';
import { addressAt, isHeldOut } from './addressing.js';
import { mulberry32 } from '../core/random.js';

/** The part of the corpus API the model uses (src/corpus/index.ts's Corpus satisfies it). */
export interface CorpusLike {
  readonly dir?: string;
  readonly manifest: Manifest;
  readRecord(rec: RecordMeta, level?: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Reads a box (raster z, y, x); without it a partially resident record is read whole and cut. */
  readRegion?(
    rec: RecordMeta,
    region: { z: [number, number]; y: [number, number]; x: [number, number] },
    level?: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array>;
}

export interface TrainRecord {
  name: string;
  base: number;
  bits: [number, number, number];
  shape: [number, number, number];
  voxels: number;
  /** Relative sampling weight for the minibatch schedule. */
  weight: number;
  /** Whether the serial window walks over it (finetuning walks the new records only). */
  serial: boolean;
  /** Where the record's values are known, [x0, y0, x1, y1) on every plane; outside it nothing is trained or scored. */
  known?: [number, number, number, number];
  /** Resident voxels: the whole record in raster order, or (with `rows`) the resident rows one after another. */
  data: Uint8Array;
  /** Partially resident record: z * shape[1] + y of each resident row, in the order of `data`. */
  rows?: Int32Array;
}

/**
 * Ink labels that cover only part of a segment (extra.labelledRegion, set at ingest) read 0 elsewhere, which means
 * "unknown", not "no ink": the model must not learn from those zeros.
 */
function knownRegion(rec: RecordMeta): [number, number, number, number] | undefined {
  const r = rec.extra?.labelledRegion;
  if (rec.modality !== 'ink-labels' || !Array.isArray(r) || r.length !== 4 || !r.every((v) => typeof v === 'number'))
    return undefined;
  return r as [number, number, number, number];
}

const isKnown = (r: TrainRecord, y: number, x: number): boolean =>
  !r.known || (x >= r.known[0] && y >= r.known[1] && x < r.known[2] && y < r.known[3]);

export interface TrainSet {
  records: TrainRecord[];
  /** Minibatch persistency: each minibatch is returned this many times in a row (default 1). */
  persistency?: number;
}

/** Plain-data copy of a TrainSet for a worker (the byte arrays stay shared). */
export function shareable(set: TrainSet): TrainSet {
  return { ...set, records: set.records.map((r) => ({ ...r })) };
}

/** Bytes a TrainSet holds in memory (voxels and row maps). */
export function residentBytes(set: TrainSet): number {
  return set.records.reduce((s, r) => s + r.data.byteLength + (r.rows?.byteLength ?? 0), 0);
}

export interface LoadOptions {
  power?: number;
  weightOf?: (rec: RecordMeta, defaultWeight: number) => number;
  serialOf?: (rec: RecordMeta) => boolean;
  /** Bound on the MiB held (default: no bound). Records that do not fit keep a random subset of row blocks. */
  maxResidentMB?: number;
  /** Picks the resident subset (another seed, another subset). */
  residentSeed?: number;
  persistency?: number;
  signal?: AbortSignal;
}

/**
 * How many voxels of each record stay resident under `cap` bytes: water-filling, so records smaller than an equal
 * share stay whole and the rest share what is left in proportion to their size (row maps counted at 4 bytes a row).
 */
export function residentBudget(records: readonly Pick<RecordMeta, 'shape'>[], cap: number | undefined): number[] {
  const sizes = records.map((r) => r.shape[0] * r.shape[1] * r.shape[2]);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (cap === undefined || total <= cap) return sizes;
  const budget = sizes.map(() => 0);
  let left = cap;
  let open = sizes.map((_, i) => i);
  for (;;) {
    const share = left / Math.max(1, open.length);
    const small = open.filter((i) => sizes[i] <= share);
    if (small.length === 0) break;
    for (const i of small) {
      budget[i] = sizes[i];
      left -= sizes[i];
    }
    open = open.filter((i) => sizes[i] > share);
  }
  const rest = open.reduce((s, i) => s + sizes[i], 0);
  for (const i of open) {
    const rowBytes = records[i].shape[2] + 4;
    const rows = Math.floor((left * sizes[i]) / rest / rowBytes);
    budget[i] = Math.max(1, rows) * records[i].shape[2];
  }
  return budget;
}

/** A random subset of `want` rows of a record, read as blocks of up to 16 planes × 32 rows (whole x). */
async function readRows(
  corpus: CorpusLike,
  rec: RecordMeta,
  want: number,
  seed: number,
  signal?: AbortSignal,
): Promise<{ data: Uint8Array; rows: Int32Array }> {
  const [nz, ny, nx] = rec.shape;
  const bz = Math.min(nz, 16);
  const by = Math.min(ny, 32);
  const blocks: [number, number][] = [];
  for (let z = 0; z < nz; z += bz) for (let y = 0; y < ny; y += by) blocks.push([z, y]);
  const rnd = mulberry32(seed);
  for (let i = blocks.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [blocks[i], blocks[j]] = [blocks[j], blocks[i]];
  }
  const rows = new Int32Array(new SharedArrayBuffer(want * 4));
  const data = new Uint8Array(new SharedArrayBuffer(want * nx));
  let whole: Uint8Array | undefined;
  let have = 0;
  for (const [z0, y0] of blocks) {
    if (have >= want) break;
    const z1 = Math.min(nz, z0 + bz);
    const y1 = Math.min(ny, y0 + by);
    let box: Uint8Array;
    if (corpus.readRegion) box = await corpus.readRegion(rec, { z: [z0, z1], y: [y0, y1], x: [0, nx] }, 0, signal);
    else {
      whole ??= await corpus.readRecord(rec, 0, signal);
      box = new Uint8Array((z1 - z0) * (y1 - y0) * nx);
      for (let z = z0; z < z1; z++)
        for (let y = y0; y < y1; y++)
          box.set(whole.subarray((z * ny + y) * nx, (z * ny + y + 1) * nx), ((z - z0) * (y1 - y0) + (y - y0)) * nx);
    }
    for (let z = z0; z < z1 && have < want; z++)
      for (let y = y0; y < y1 && have < want; y++) {
        rows[have] = z * ny + y;
        data.set(
          box.subarray(((z - z0) * (y1 - y0) + (y - y0)) * nx, ((z - z0) * (y1 - y0) + (y - y0) + 1) * nx),
          have * nx,
        );
        have++;
      }
  }
  return { data, rows };
}

/**
 * Reads the records (level 0) into shared memory, at most `maxResidentBytes` of them. `weightOf` overrides the
 * default voxels^power weighting (computed on the whole record, so a partly resident record keeps its share).
 */
export async function loadTrainSet(
  corpus: CorpusLike,
  records: RecordMeta[],
  opts: LoadOptions = {},
): Promise<TrainSet> {
  const out: TrainRecord[] = [];
  const sorted = [...records].sort((a, b) => a.base - b.base);
  const budget = residentBudget(sorted, opts.maxResidentMB !== undefined ? opts.maxResidentMB * 2 ** 20 : undefined);
  for (const [k, rec] of sorted.entries()) {
    const voxels = rec.shape[0] * rec.shape[1] * rec.shape[2];
    let data: Uint8Array;
    let rows: Int32Array | undefined;
    if (budget[k] >= voxels) {
      const bytes = await corpus.readRecord(rec, 0, opts.signal);
      if (bytes.length !== voxels)
        throw new Error(`record ${rec.name}: read ${bytes.length} bytes, expected ${voxels}`);
      data = new Uint8Array(new SharedArrayBuffer(voxels));
      data.set(bytes);
    } else {
      ({ data, rows } = await readRows(
        corpus,
        rec,
        Math.max(1, Math.floor(budget[k] / rec.shape[2])),
        (opts.residentSeed ?? 0) ^ Math.imul(rec.id + 1, 0x9e3779b1),
        opts.signal,
      ));
    }
    const w0 = voxels ** (opts.power ?? 0.5);
    out.push({
      name: rec.name,
      base: rec.base,
      bits: [...rec.bits],
      shape: [...rec.shape],
      voxels: data.length,
      weight: opts.weightOf ? opts.weightOf(rec, w0) : w0,
      serial: opts.serialOf ? opts.serialOf(rec) : true,
      ...(knownRegion(rec) ? { known: knownRegion(rec) } : {}),
      data,
      ...(rows ? { rows } : {}),
    });
  }
  return { records: out, ...(opts.persistency && opts.persistency > 1 ? { persistency: opts.persistency } : {}) };
}

/** z, y, x of resident voxel v of a record. */
function voxelCoords(r: TrainRecord, v: number, out: Int32Array): void {
  const nx = r.shape[2];
  const ny = r.shape[1];
  const x = v % nx;
  const row = (v - x) / nx;
  const zy = r.rows ? r.rows[row] : row;
  const y = zy % ny;
  out[0] = (zy - y) / ny;
  out[1] = y;
  out[2] = x;
}

export type Rng = () => number;

export class Sampler {
  private readonly cumWeight: Float64Array;
  private readonly serialRecs: TrainRecord[];
  private readonly cumSerial: Float64Array;
  readonly serialTotal: number;
  readonly persistency: number;
  private readonly zyx = new Int32Array(3);
  /** Persistency: the last drawn minibatch ([from, to) of the caller's arrays) and how often it was returned. */
  private kept: { from: number; to: number; addresses: Float64Array; labels: Uint8Array; uses: number } | undefined;

  constructor(
    readonly set: TrainSet,
    readonly heldOutFraction: number,
  ) {
    const recs = set.records;
    this.cumWeight = new Float64Array(recs.length);
    let acc = 0;
    recs.forEach((r, i) => (this.cumWeight[i] = acc += r.weight));
    this.serialRecs = recs.filter((r) => r.serial);
    if (this.serialRecs.length === 0) this.serialRecs = recs;
    this.cumSerial = new Float64Array(this.serialRecs.length);
    acc = 0;
    this.serialRecs.forEach((r, i) => (this.cumSerial[i] = acc += r.voxels));
    this.serialTotal = acc;
    this.persistency = Math.max(1, Math.floor(set.persistency ?? 1));
  }

  private static search(cum: Float64Array, u: number): number {
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Writes item i from voxel v of record r; false when the voxel is held out. */
  private take(r: TrainRecord, v: number, addresses: Float64Array, labels: Uint8Array, i: number): boolean {
    voxelCoords(r, v, this.zyx);
    const z = this.zyx[0];
    const y = this.zyx[1];
    const x = this.zyx[2];
    if (!isKnown(r, y, x)) return false;
    const a = addressAt(r, z, y, x);
    if (isHeldOut(a, this.heldOutFraction)) return false;
    addresses[i] = a;
    labels[i] = r.data[v];
    return true;
  }

  /** Items [from, to) drawn by the minibatch rule (the previous minibatch again while its persistency lasts). */
  minibatch(addresses: Float64Array, labels: Uint8Array, from: number, to: number, rng: Rng): void {
    const k = this.kept;
    if (this.persistency > 1 && k && k.from === from && k.to === to && k.uses < this.persistency) {
      addresses.set(k.addresses, from);
      labels.set(k.labels, from);
      k.uses++;
      return;
    }
    this.draw(addresses, labels, from, to, rng);
    if (this.persistency > 1)
      this.kept = { from, to, addresses: addresses.slice(from, to), labels: labels.slice(from, to), uses: 1 };
  }

  private draw(addresses: Float64Array, labels: Uint8Array, from: number, to: number, rng: Rng): void {
    const total = this.cumWeight[this.cumWeight.length - 1];
    for (let i = from; i < to; i++) {
      // A rejected voxel (held out, or outside a label's known region) is redrawn in the same record, so a record
      // gets its weight's share of the batch however much of it is unknown (a record is redrawn every 16 misses).
      let r = this.set.records[0];
      for (let tries = 0; ; tries++) {
        if (tries % 16 === 0) r = this.set.records[Sampler.search(this.cumWeight, rng() * total)];
        if (this.take(r, Math.floor(rng() * r.voxels), addresses, labels, i) || tries > 64) break;
      }
    }
  }

  /** Items [from, to) from the serial window [pos, pos+window) of the index, `replay` of them from [0, pos). */
  serial(
    addresses: Float64Array,
    labels: Uint8Array,
    from: number,
    to: number,
    rng: Rng,
    pos: number,
    window: number,
    replay: number,
  ): void {
    const total = this.serialTotal;
    const w = Math.min(window, total);
    for (let i = from; i < to; i++) {
      for (let tries = 0; ; tries++) {
        const u = pos > 0 && rng() < replay ? rng() * pos : (pos + rng() * w) % total;
        const k = Sampler.search(this.cumSerial, u);
        const r = this.serialRecs[k];
        const v = Math.min(r.voxels - 1, Math.floor(u - (k > 0 ? this.cumSerial[k - 1] : 0)));
        if (this.take(r, v, addresses, labels, i) || tries > 64) break;
      }
    }
  }

  /** Up to `perRecord` held-out voxels of every record (deterministic), for validation. */
  heldOut(perRecord: number, rng: Rng): { addresses: Float64Array; labels: Uint8Array; record: Int32Array } {
    const a: number[] = [];
    const l: number[] = [];
    const rr: number[] = [];
    this.set.records.forEach((r, ri) => {
      let found = 0;
      for (let tries = 0; found < perRecord && tries < perRecord * 400; tries++) {
        const v = Math.floor(rng() * r.voxels);
        voxelCoords(r, v, this.zyx);
        const [z, y, x] = this.zyx;
        if (!isKnown(r, y, x)) continue;
        const addr = addressAt(r, z, y, x);
        if (!isHeldOut(addr, this.heldOutFraction)) continue;
        a.push(addr);
        l.push(r.data[v]);
        rr.push(ri);
        found++;
      }
    });
    return { addresses: Float64Array.from(a), labels: Uint8Array.from(l), record: Int32Array.from(rr) };
  }
}

/** PSNR (dB) of 8-bit values from a sum of squared errors over n values. */
export function psnr(sse: number, n: number): number {
  const mse = sse / Math.max(1, n);
  return mse <= 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}
