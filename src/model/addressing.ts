/**
 * Address arithmetic the model needs per item, without allocation: which record an address falls in and its
 * voxel coordinates. Same layout as src/corpus (types.ts): address = base + ((z << by) | y) << bx | x, with every axis
 * padded to a power of two; written with multiplications because addresses exceed 32 bits.
 *
 *   const index = new RecordIndex(manifest.records);
 *   const r = index.find(address);            // position in index.records, or -1
 *   index.coords(r, address, zyx, 0);         // zyx[0..2] = z, y, x
 */
import type { RecordMeta } from '../corpus/index.js';

export function blockSize(rec: Pick<RecordMeta, 'bits'>): number {
  return 2 ** (rec.bits[0] + rec.bits[1] + rec.bits[2]);
}

export function addressAt(rec: Pick<RecordMeta, 'base' | 'bits'>, z: number, y: number, x: number): number {
  return rec.base + (z * 2 ** rec.bits[1] + y) * 2 ** rec.bits[2] + x;
}

/** Records sorted by base, for binary search of an address. */
export class RecordIndex {
  readonly records: RecordMeta[];
  private readonly bases: Float64Array;
  private readonly ends: Float64Array;
  private last = 0;

  constructor(records: readonly RecordMeta[]) {
    this.records = [...records].sort((a, b) => a.base - b.base);
    this.bases = Float64Array.from(this.records, (r) => r.base);
    this.ends = Float64Array.from(this.records, (r) => r.base + blockSize(r));
  }

  /** Index (into this.records) of the record whose padded block holds `address`, or -1. */
  find(address: number): number {
    const l = this.last;
    if (l < this.bases.length && address >= this.bases[l] && address < this.ends[l]) return l;
    let lo = 0;
    let hi = this.bases.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.bases[mid] <= address) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi < 0 || address >= this.ends[hi]) return -1;
    this.last = hi;
    return hi;
  }

  /** Writes z, y, x of `address` inside record `r` into out[at..at+2] (may lie in the padding, past the shape). */
  coords(r: number, address: number, out: Int32Array | Float64Array, at: number): void {
    const rec = this.records[r];
    const off = address - rec.base;
    const nx = 2 ** rec.bits[2];
    const ny = 2 ** rec.bits[1];
    const x = off % nx;
    const rest = (off - x) / nx;
    const y = rest % ny;
    out[at] = (rest - y) / ny;
    out[at + 1] = y;
    out[at + 2] = x;
  }
}

/** 32-bit mix of an address (murmur3 finalizer over its low and high words): the held-out split and sampling use it. */
export function hashAddress(address: number, seed = 0): number {
  const lo = address >>> 0;
  const hi = Math.floor(address / 4294967296) >>> 0;
  let h = Math.imul(lo ^ seed ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ hi, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Whether an address belongs to the fixed held-out split (never trained on). */
export function isHeldOut(address: number, fraction: number): boolean {
  return fraction > 0 && hashAddress(address, 0x51ed) < fraction * 4294967296;
}
