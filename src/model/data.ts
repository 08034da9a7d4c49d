/**
 * Training data in memory: the trainable records' bytes (in SharedArrayBuffers, so every worker thread reads the
 * same copy), the held-out split, and the samplers of the schedules:
 *  - minibatch: a record drawn with probability ∝ its weight (voxels^0.5 by default, so small records are not
 *    drowned), then a uniform voxel in it;
 *  - serial: a window moving along the index (records in address order, voxels in raster order), with a fraction
 *    replayed uniformly from the part already passed.
 * Held-out voxels (a fixed hash of the address) are never returned.
 *
 *   const set = await loadTrainSet(corpus, records);
 *   const s = new Sampler(set, heldOutFraction);
 *   s.minibatch(addresses, labels, 0, n, rng);
 */
import type { Manifest, RecordMeta } from '../corpus/types.js';
import { addressAt, isHeldOut } from './addressing.js';

/** The part of the corpus API the model uses (src/corpus/index.ts's Corpus satisfies it). */
export interface CorpusLike {
  readonly dir?: string;
  readonly manifest: Manifest;
  readRecord(rec: RecordMeta, level?: number, signal?: AbortSignal): Promise<Uint8Array>;
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
  data: Uint8Array;
}

/**
 * Ink labels that cover only part of a segment (extra.labelledRegion, set at ingest) read 0 elsewhere, which means
 * "unknown", not "no ink": the model must not learn from those zeros.
 */
function knownRegion(rec: RecordMeta): [number, number, number, number] | undefined {
  const r = rec.extra?.labelledRegion;
  if (rec.modality !== 'ink-labels' || !Array.isArray(r) || r.length !== 4 || !r.every((v) => typeof v === 'number')) return undefined;
  return r as [number, number, number, number];
}

const isKnown = (r: TrainRecord, y: number, x: number): boolean =>
  !r.known || (x >= r.known[0] && y >= r.known[1] && x < r.known[2] && y < r.known[3]);

export interface TrainSet {
  records: TrainRecord[];
}

/** Plain-data copy of a TrainSet for a worker (the byte arrays stay shared). */
export function shareable(set: TrainSet): TrainSet {
  return { records: set.records.map((r) => ({ ...r })) };
}

/** Reads the records (level 0) into shared memory. `weights` overrides the default voxels^power weighting. */
export async function loadTrainSet(
  corpus: CorpusLike,
  records: RecordMeta[],
  opts: { power?: number; weightOf?: (rec: RecordMeta, defaultWeight: number) => number; serialOf?: (rec: RecordMeta) => boolean; signal?: AbortSignal } = {},
): Promise<TrainSet> {
  const out: TrainRecord[] = [];
  for (const rec of [...records].sort((a, b) => a.base - b.base)) {
    const bytes = await corpus.readRecord(rec, 0, opts.signal);
    const voxels = rec.shape[0] * rec.shape[1] * rec.shape[2];
    if (bytes.length !== voxels) throw new Error(`record ${rec.name}: read ${bytes.length} bytes, expected ${voxels}`);
    const data = new Uint8Array(new SharedArrayBuffer(voxels));
    data.set(bytes);
    const w0 = voxels ** (opts.power ?? 0.5);
    out.push({
      name: rec.name,
      base: rec.base,
      bits: [...rec.bits],
      shape: [...rec.shape],
      voxels,
      weight: opts.weightOf ? opts.weightOf(rec, w0) : w0,
      serial: opts.serialOf ? opts.serialOf(rec) : true,
      ...(knownRegion(rec) ? { known: knownRegion(rec) } : {}),
      data,
    });
  }
  return { records: out };
}

export type Rng = () => number;

export class Sampler {
  private readonly cumWeight: Float64Array;
  private readonly serialRecs: TrainRecord[];
  private readonly cumSerial: Float64Array;
  readonly serialTotal: number;

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
    const nx = r.shape[2];
    const ny = r.shape[1];
    const x = v % nx;
    const rest = (v - x) / nx;
    const y = rest % ny;
    const z = (rest - y) / ny;
    if (!isKnown(r, y, x)) return false;
    const a = addressAt(r, z, y, x);
    if (isHeldOut(a, this.heldOutFraction)) return false;
    addresses[i] = a;
    labels[i] = r.data[v];
    return true;
  }

  /** Items [from, to) drawn by the minibatch rule. */
  minibatch(addresses: Float64Array, labels: Uint8Array, from: number, to: number, rng: Rng): void {
    const total = this.cumWeight[this.cumWeight.length - 1];
    for (let i = from; i < to; i++) {
      for (let tries = 0; ; tries++) {
        const r = this.set.records[Sampler.search(this.cumWeight, rng() * total)];
        if (this.take(r, Math.floor(rng() * r.voxels), addresses, labels, i) || tries > 64) break;
      }
    }
  }

  /** Items [from, to) from the serial window [pos, pos+window) of the index, `replay` of them from [0, pos). */
  serial(addresses: Float64Array, labels: Uint8Array, from: number, to: number, rng: Rng, pos: number, window: number, replay: number): void {
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
        const nx = r.shape[2];
        const ny = r.shape[1];
        const x = v % nx;
        const y = ((v - x) / nx) % ny;
        const z = (v - x - y * nx) / (nx * ny);
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
