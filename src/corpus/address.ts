/**
 * The one index space: allocation of record blocks and the mapping address ⇄ (record, z, y, x).
 * Pure functions over plain data (RecordMeta, Manifest); the batch versions work on typed arrays and allocate
 * nothing per item, so a training loop can map millions of addresses a second.
 *
 * A record's block holds 2^(bz+by+bx) addresses and its base is a multiple of that size, so an element's address is
 * `base + (z << (by+bx)) + (y << bx) + x`, i.e. the binary address reads `[record bits | z | y | x]`.
 * Arithmetic is done on doubles (exact up to 2^53), never with 32-bit shifts.
 *
 *   const bits = paddedBits([65, 300, 500]);            // [7, 9, 9]
 *   const base = allocate(manifest, bits, 'scroll1/seg/layers');
 *   const a = addressOf(rec, 32, 10, 20);
 *   locate(manifest, a);                                 // { record: rec, z: 32, y: 10, x: 20 }
 *   const zyx = coordsOf(rec, addressesOf(rec, new Int32Array([0, 1, 2])));
 */
import { UserError } from '../core/errors.js';
import type { Manifest, RecordMeta } from './types.js';

export type Bits3 = [number, number, number];

/** Default size of the index space (DESIGN.md: 40 address bits). */
export const DEFAULT_ADDRESS_BITS = 40;
/** JS numbers are exact integers up to 2^53. */
export const MAX_ADDRESS_BITS = 53;

/** log2 of each axis padded to a power of two (an axis of 1 takes 0 bits). */
export function paddedBits(shape: readonly [number, number, number]): Bits3 {
  return [ceilLog2(shape[0]), ceilLog2(shape[1]), ceilLog2(shape[2])];
}

export function ceilLog2(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`axis size must be a positive integer, got ${n}`);
  let b = 0;
  while (2 ** b < n) b++;
  return b;
}

/** Number of addresses in a block of these bits. */
export function blockSize(bits: readonly [number, number, number]): number {
  return 2 ** (bits[0] + bits[1] + bits[2]);
}

/** First address of the next free block of this size at or above `next` (aligned to the block size). */
export function alignedBase(next: number, bits: readonly [number, number, number]): number {
  const size = blockSize(bits);
  return Math.ceil(next / size) * size;
}

/**
 * Base address for a new block of `bits` after `space.next`. Throws a UserError naming `what` when the padded block
 * does not fit the remaining address space. Does not change `space`.
 */
export function allocate(
  space: Pick<Manifest, 'addressBits' | 'next'>,
  bits: readonly [number, number, number],
  what: string,
): number {
  const size = blockSize(bits);
  const base = alignedBase(space.next, bits);
  const limit = 2 ** space.addressBits;
  if (base + size > limit) {
    const used = space.next;
    throw new UserError(
      `${what}: its padded size 2^${bits[0] + bits[1] + bits[2]} (${fmtBits(bits)}) does not fit the remaining address space ` +
        `(${space.addressBits} address bits, ${used.toString(16)} of ${limit.toString(16)} hex used); ` +
        `create the corpus with more address bits (--address-bits)`,
    );
  }
  return base;
}

function fmtBits(bits: readonly [number, number, number]): string {
  return `z ${2 ** bits[0]} × y ${2 ** bits[1]} × x ${2 ** bits[2]}`;
}

/** [first, end) addresses of the record's block. */
export function recordRange(rec: Pick<RecordMeta, 'base' | 'bits'>): [number, number] {
  return [rec.base, rec.base + blockSize(rec.bits)];
}

/** Address of element (z, y, x) of `rec`. Coordinates must lie inside the padded block. */
export function addressOf(rec: Pick<RecordMeta, 'base' | 'bits' | 'name'>, z: number, y: number, x: number): number {
  const sx = 2 ** rec.bits[2];
  const sy = 2 ** rec.bits[1];
  const sz = 2 ** rec.bits[0];
  if (!(z >= 0 && z < sz && y >= 0 && y < sy && x >= 0 && x < sx)) {
    throw new RangeError(`${rec.name}: coordinate (${z}, ${y}, ${x}) outside its block ${sz}×${sy}×${sx}`);
  }
  return rec.base + (z * sy + y) * sx + x;
}

/** Addresses of many coordinates of one record: `zyx` holds 3 ints per item (z, y, x). */
export function addressesOf(
  rec: Pick<RecordMeta, 'base' | 'bits' | 'name'>,
  zyx: Int32Array,
  out?: Float64Array,
): Float64Array {
  const n = Math.floor(zyx.length / 3);
  const result = out ?? new Float64Array(n);
  if (result.length < n) throw new RangeError(`addressesOf: out holds ${result.length} items, need ${n}`);
  const sx = 2 ** rec.bits[2];
  const sy = 2 ** rec.bits[1];
  const sz = 2 ** rec.bits[0];
  const base = rec.base;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const z = zyx[j]!;
    const y = zyx[j + 1]!;
    const x = zyx[j + 2]!;
    if (!(z >= 0 && z < sz && y >= 0 && y < sy && x >= 0 && x < sx)) {
      throw new RangeError(
        `${rec.name}: coordinate (${z}, ${y}, ${x}) of item ${i} outside its block ${sz}×${sy}×${sx}`,
      );
    }
    result[i] = base + (z * sy + y) * sx + x;
  }
  return result;
}

/** Coordinates (3 ints per item) of addresses inside `rec`'s block (padding included). */
export function coordsOf(
  rec: Pick<RecordMeta, 'base' | 'bits' | 'name'>,
  addresses: Float64Array,
  out?: Int32Array,
): Int32Array {
  const n = addresses.length;
  const result = out ?? new Int32Array(3 * n);
  if (result.length < 3 * n) throw new RangeError(`coordsOf: out holds ${result.length / 3} items, need ${n}`);
  const sx = 2 ** rec.bits[2];
  const sy = 2 ** rec.bits[1];
  const sxy = sx * sy;
  const size = blockSize(rec.bits);
  const base = rec.base;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const off = addresses[i]! - base;
    if (!(off >= 0 && off < size) || off !== Math.floor(off)) {
      throw new RangeError(
        `${rec.name}: address ${addresses[i]} (item ${i}) is not in its block [${base}, ${base + size})`,
      );
    }
    const z = Math.floor(off / sxy);
    const rest = off - z * sxy;
    const y = Math.floor(rest / sx);
    result[j] = z;
    result[j + 1] = y;
    result[j + 2] = rest - y * sx;
  }
  return result;
}

/** Sorted view of the records' blocks, built once per records array (treat manifests as immutable). */
interface BlockIndex {
  length: number;
  last: RecordMeta | undefined;
  starts: Float64Array;
  ends: Float64Array;
  /** Position in manifest.records of the i-th block by start address. */
  order: Int32Array;
}

const indexCache = new WeakMap<RecordMeta[], BlockIndex>();

function blockIndex(records: RecordMeta[]): BlockIndex {
  const cached = indexCache.get(records);
  if (cached && cached.length === records.length && cached.last === records[records.length - 1]) return cached;
  const order = Int32Array.from(records.keys()).sort((a, b) => records[a]!.base - records[b]!.base);
  const starts = new Float64Array(records.length);
  const ends = new Float64Array(records.length);
  order.forEach((r, i) => {
    [starts[i], ends[i]] = recordRange(records[r]!);
  });
  const index = { length: records.length, last: records[records.length - 1], starts, ends, order };
  indexCache.set(records, index);
  return index;
}

/** Position (in the sorted block index) of the block holding `address`, or -1. */
function findBlock(index: BlockIndex, address: number): number {
  let lo = 0;
  let hi = index.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (index.starts[mid]! <= address) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi >= 0 && address < index.ends[hi]! ? hi : -1;
}

/**
 * The record and coordinate an address names; undefined when it falls in no record or in a record's padding
 * (beyond its logical shape).
 */
export function locate(
  manifest: Pick<Manifest, 'records'>,
  address: number,
): { record: RecordMeta; z: number; y: number; x: number } | undefined {
  const index = blockIndex(manifest.records);
  const k = findBlock(index, address);
  if (k < 0) return undefined;
  const record = manifest.records[index.order[k]!]!;
  const off = address - record.base;
  if (off !== Math.floor(off)) return undefined;
  const sx = 2 ** record.bits[2];
  const sxy = sx * 2 ** record.bits[1];
  const z = Math.floor(off / sxy);
  const rest = off - z * sxy;
  const y = Math.floor(rest / sx);
  const x = rest - y * sx;
  if (z >= record.shape[0] || y >= record.shape[1] || x >= record.shape[2]) return undefined;
  return { record, z, y, x };
}

/**
 * Batch `locate`: for each address, its record's position in `manifest.records` (-1 when in no record or in
 * padding) into `outRecord`, and (z, y, x) into `outZyx` (3 per item; left as 0 for -1 items). No per-item objects.
 */
export function locateMany(
  manifest: Pick<Manifest, 'records'>,
  addresses: Float64Array,
  outRecord: Int32Array,
  outZyx: Int32Array,
): void {
  const n = addresses.length;
  if (outRecord.length < n || outZyx.length < 3 * n)
    throw new RangeError(`locateMany: outputs too small for ${n} addresses`);
  const records = manifest.records;
  const index = blockIndex(records);
  // Consecutive addresses often hit the same record: remember the last block.
  let k = -1;
  let start = 0;
  let end = -1;
  let sx = 1;
  let sxy = 1;
  let shape: [number, number, number] = [0, 0, 0];
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const a = addresses[i]!;
    if (!(a >= start && a < end)) {
      k = findBlock(index, a);
      if (k < 0) {
        outRecord[i] = -1;
        outZyx[j] = outZyx[j + 1] = outZyx[j + 2] = 0;
        end = -1;
        continue;
      }
      const rec = records[index.order[k]!]!;
      start = index.starts[k]!;
      end = index.ends[k]!;
      sx = 2 ** rec.bits[2];
      sxy = sx * 2 ** rec.bits[1];
      shape = rec.shape;
    }
    const off = a - start;
    const z = Math.floor(off / sxy);
    const rest = off - z * sxy;
    const y = Math.floor(rest / sx);
    const x = rest - y * sx;
    if (z >= shape[0] || y >= shape[1] || x >= shape[2] || x !== Math.floor(x)) {
      outRecord[i] = -1;
      outZyx[j] = outZyx[j + 1] = outZyx[j + 2] = 0;
      continue;
    }
    outRecord[i] = index.order[k]!;
    outZyx[j] = z;
    outZyx[j + 1] = y;
    outZyx[j + 2] = x;
  }
}
