import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import {
  addressesOf,
  addressOf,
  allocate,
  blockSize,
  coordsOf,
  locate,
  locateMany,
  paddedBits,
  recordRange,
} from '../../src/corpus/address.js';
import { emptyManifest } from '../../src/corpus/manifest.js';
import type { Manifest, RecordMeta } from '../../src/corpus/types.js';
import { mulberry32 } from '../../src/core/random.js';

/** A small seeded generator, so a failure can be replayed. */
const rng = mulberry32;

const randInt = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** Append records of random shapes (some sharing a group size, like a segment's layers and labels). */
function randomManifest(seed: number, count: number, addressBits = 48): Manifest {
  const r = rng(seed);
  const m = emptyManifest(addressBits);
  for (let id = 0; id < count; id++) {
    const shape: [number, number, number] =
      r() < 0.2
        ? [1, randInt(r, 1, 3000), randInt(r, 1, 3000)]
        : [randInt(r, 1, 700), randInt(r, 1, 2000), randInt(r, 1, 2000)];
    const own = paddedBits(shape);
    // Sometimes widen the block, as group members do.
    const bits: [number, number, number] = r() < 0.3 ? [own[0] + randInt(r, 0, 3), own[1], own[2]] : own;
    const name = `s${id % 3}/r${id}`;
    const base = allocate(m, bits, name);
    const rec: RecordMeta = {
      id,
      name,
      scroll: `s${id % 3}`,
      modality: 'scan',
      shape,
      bits,
      base,
      dtype: 'uint8',
      source: { path: name, sha256: '', format: 'test' },
      array: `records/${id}`,
      levels: 1,
      trainable: true,
    };
    m.records = [...m.records, rec];
    m.next = base + blockSize(bits);
  }
  return m;
}

describe('address space', () => {
  it('pads each axis to a power of two', () => {
    expect(paddedBits([1, 1, 1])).toEqual([0, 0, 0]);
    expect(paddedBits([65, 300, 512])).toEqual([7, 9, 9]);
    expect(paddedBits([2, 3, 1025])).toEqual([1, 2, 11]);
  });

  it('aligns every block to its size and never overlaps two records (random records)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const m = randomManifest(seed, 40);
      const ranges = m.records.map(recordRange).sort((a, b) => a[0] - b[0]);
      for (const rec of m.records) expect(rec.base % blockSize(rec.bits)).toBe(0);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
      expect(m.next).toBeLessThanOrEqual(2 ** m.addressBits);
    }
  });

  it('address → coordinate → address is the identity, single and batch (random records and coordinates)', () => {
    const m = randomManifest(7, 30);
    const r = rng(99);
    for (const rec of m.records) {
      const n = 150;
      const zyx = new Int32Array(3 * n);
      for (let i = 0; i < n; i++) {
        // Mostly inside the shape, sometimes in the padding.
        const inside = r() < 0.8;
        for (let a = 0; a < 3; a++) zyx[3 * i + a] = randInt(r, 0, (inside ? rec.shape[a]! : 2 ** rec.bits[a]!) - 1);
      }
      const addresses = addressesOf(rec, zyx);
      const back = coordsOf(rec, addresses);
      expect(Array.from(back)).toEqual(Array.from(zyx));
      const recIds = new Int32Array(n);
      const located = new Int32Array(3 * n);
      locateMany(m, addresses, recIds, located);
      for (let i = 0; i < n; i++) {
        const [z, y, x] = [zyx[3 * i]!, zyx[3 * i + 1]!, zyx[3 * i + 2]!];
        expect(addressOf(rec, z, y, x)).toBe(addresses[i]);
        const hit = locate(m, addresses[i]!);
        const inShape = z < rec.shape[0] && y < rec.shape[1] && x < rec.shape[2];
        if (inShape) {
          expect(hit).toEqual({ record: rec, z, y, x });
          expect(recIds[i]).toBe(rec.id);
          expect([located[3 * i], located[3 * i + 1], located[3 * i + 2]]).toEqual([z, y, x]);
        } else {
          expect(hit).toBeUndefined();
          expect(recIds[i]).toBe(-1);
        }
      }
    }
  });

  it('locates random addresses anywhere in the space consistently with addressOf', () => {
    const m = randomManifest(11, 25, 44);
    const r = rng(5);
    const n = 20000;
    const addresses = new Float64Array(n);
    for (let i = 0; i < n; i++) addresses[i] = Math.floor(r() * m.next * 1.1);
    const ids = new Int32Array(n);
    const zyx = new Int32Array(3 * n);
    locateMany(m, addresses, ids, zyx);
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const one = locate(m, addresses[i]!);
      if (ids[i] === -1) {
        expect(one).toBeUndefined();
        continue;
      }
      hits++;
      expect(one?.record.id).toBe(ids[i]);
      expect(addressOf(one!.record, zyx[3 * i]!, zyx[3 * i + 1]!, zyx[3 * i + 2]!)).toBe(addresses[i]);
    }
    expect(hits).toBeGreaterThan(n / 100);
  });

  it('keeps exact integers above 2^32 (a 45-bit space)', () => {
    const m = randomManifest(3, 4, 45);
    const big = m.records.at(-1)!;
    expect(big.base + blockSize(big.bits)).toBeGreaterThan(2 ** 32);
    const [d, h, w] = big.shape;
    const a = addressOf(big, d - 1, h - 1, w - 1);
    expect(locate(m, a)).toEqual({ record: big, z: d - 1, y: h - 1, x: w - 1 });
  });

  it('refuses a block that does not fit the remaining space with a UserError naming it', () => {
    const m = emptyManifest(20);
    expect(allocate(m, [3, 3, 3], 'a')).toBe(0);
    const full = { ...m, next: 2 ** 19 + 1 };
    expect(() => allocate(full, [7, 6, 6], 'scroll9/huge')).toThrow(UserError);
    expect(() => allocate(full, [7, 6, 6], 'scroll9/huge')).toThrow(
      /scroll9\/huge.*does not fit the remaining address space/,
    );
    expect(() => allocate(m, [7, 7, 7], 'too-big')).toThrow(/2\^21/);
  });

  it('rejects coordinates and addresses outside a record', () => {
    const m = randomManifest(1, 2);
    const rec = m.records[1]!;
    expect(() => addressOf(rec, 2 ** rec.bits[0], 0, 0)).toThrow(RangeError);
    expect(() => coordsOf(rec, new Float64Array([rec.base - 1]))).toThrow(RangeError);
    expect(locate(m, 2 ** m.addressBits + 5)).toBeUndefined();
  });
});
