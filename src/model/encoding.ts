/**
 * Index encodings: the input vector the MLP sees for an absolute address. Pure functions of the address and the
 * manifest, computed on the CPU into a Float32Array (row-major [n, inputDim]).
 *
 *  - `bits`: each of the addressBits binary digits as ±1 (the seed's encoding).
 *  - `bits+physical`: the bits plus sin/cos of the voxel's position in its scroll's physical frame (µm, from the
 *    record's affine, else voxelSizeUm × index), so two scans of one scroll share geometry.
 *  - `bits+grid`: the bits plus features looked up (trilinearly) in learned multiresolution hash tables over the
 *    record's voxel coordinates; `gridBackward` scatters the input gradient back into the tables. Levels run from
 *    `coarsestCellVoxels` to `finestCellVoxels`, each shifted by its own fraction of a cell (`levelOffsets`), so a
 *    voxel's features blend vertices its neighbours share: a held-out voxel gets what its neighbours taught. With
 *    `axisBits` set, only the record bits and the top axisBits of each coordinate are fed as ±1 (the rest as 0).
 *
 *   const enc = new Encoder(cfg.encoding, manifest.records);
 *   const x = enc.encode(addresses);   // Float32Array(addresses.length * enc.dim)
 */
import type { RecordMeta } from '../corpus/index.js';
import { RecordIndex } from './addressing.js';
import { gridDim, inputDim, type EncodingConfig } from './config.js';

/** Maps voxel (z, y, x) of a record to its physical frame position (x, y, z in µm). */
export function physicalPosition(rec: RecordMeta, z: number, y: number, x: number, out: Float64Array): void {
  const a = rec.affine;
  if (a && a.length === 16) {
    out[0] = a[0] * x + a[1] * y + a[2] * z + a[3];
    out[1] = a[4] * x + a[5] * y + a[6] * z + a[7];
    out[2] = a[8] * x + a[9] * y + a[10] * z + a[11];
    return;
  }
  const v = rec.voxelSizeUm ?? [1, 1, 1];
  out[0] = x * v[2];
  out[1] = y * v[1];
  out[2] = z * v[0];
}

export class Encoder {
  readonly dim: number;
  readonly index: RecordIndex;
  private readonly omegas: Float64Array;
  private readonly zyx = new Float64Array(3);
  private readonly pos = new Float64Array(3);

  private readonly cellVoxels: Float64Array;
  /** Per level and axis (z, y, x): the level's shift in cells. */
  private readonly offsets: Float64Array;
  /** Per record (index order) and fed bit (MSB first): 1 to feed the bit as ±1, 0 to feed 0; empty = all bits. */
  private readonly bitKeep: Float32Array;
  /** Last encode's grid lookups: per item, level and corner, the table index and trilinear weight. */
  private lookupIndex = new Int32Array(0);
  private lookupWeight = new Float32Array(0);

  /** `grid`: the hash tables (levels × 2^log2TableSize × features), read live (training updates them in place). */
  constructor(
    readonly config: EncodingConfig,
    records: readonly RecordMeta[],
    private readonly grid?: Float32Array,
  ) {
    this.dim = inputDim(config);
    const g = config.grid;
    const levels = gridDim(config) > 0 ? g.levels : 0;
    if (levels > 0 && !grid) throw new Error('bits+grid encoding needs the grid tables');
    const fine = g.finestCellVoxels ?? 1;
    this.cellVoxels = Float64Array.from(
      { length: levels },
      (_, l) => g.coarsestCellVoxels * (fine / g.coarsestCellVoxels) ** (levels > 1 ? l / (levels - 1) : 1),
    );
    // R3 low-discrepancy sequence: every level lands at a different sub-cell phase on every axis.
    const phi = [0.8191725134, 0.6710436067, 0.5497004779];
    this.offsets = Float64Array.from({ length: levels * 3 }, (_, k) =>
      g.levelOffsets ? ((Math.floor(k / 3) + 1) * phi[k % 3]) % 1 : 0,
    );
    this.index = new RecordIndex(records);
    const nb = config.addressBits;
    this.bitKeep = new Float32Array(levels > 0 && g.axisBits !== undefined ? this.index.records.length * nb : 0);
    if (this.bitKeep.length > 0)
      this.index.records.forEach((rec, r) => {
        const [bz, by, bx] = rec.bits;
        const keepAxis = (lo: number, n: number, bit: number) =>
          bit >= lo && bit < lo + n && bit >= lo + n - g.axisBits!;
        for (let b = 0; b < nb; b++) {
          const bit = nb - 1 - b;
          const inRecord = bit < bx + by + bz;
          const keep = !inRecord || keepAxis(0, bx, bit) || keepAxis(bx, by, bit) || keepAxis(bx + by, bz, bit);
          this.bitKeep[r * nb + b] = keep ? 1 : 0;
        }
      });
    const p = config.physical;
    const f = config.kind === 'bits+physical' ? p.frequencies : 0;
    this.omegas = new Float64Array(f);
    for (let k = 0; k < f; k++) {
      const lambda = p.maxWavelengthUm * (p.minWavelengthUm / p.maxWavelengthUm) ** (f > 1 ? k / (f - 1) : 0);
      this.omegas[k] = (2 * Math.PI) / lambda;
    }
  }

  /** Encodes addresses[0..n) into out (allocated when not given). */
  encode(addresses: ArrayLike<number>, out?: Float32Array, n = addresses.length): Float32Array {
    const d = this.dim;
    const x = out ?? new Float32Array(n * d);
    const bits = this.config.addressBits;
    const nf = this.omegas.length;
    for (let i = 0; i < n; i++) {
      const a = addresses[i];
      const o = i * d;
      let lo = a >>> 0;
      let hi = Math.floor(a / 4294967296) >>> 0;
      // Most significant bit first, so the record bits come first as in the address.
      for (let b = 0; b < bits; b++) {
        const bit = bits - 1 - b;
        const v = bit < 32 ? (lo >>> bit) & 1 : (hi >>> (bit - 32)) & 1;
        x[o + b] = v ? 1 : -1;
      }
      if (this.bitKeep.length > 0) {
        const r = this.index.find(a);
        if (r >= 0) for (let b = 0, k = r * bits; b < bits; b++, k++) x[o + b] *= this.bitKeep[k];
      }
      if (this.cellVoxels.length > 0) {
        this.lookup(i, a, x, o + bits);
        continue;
      }
      if (nf === 0) continue;
      const r = this.index.find(a);
      let p = o + bits;
      if (r < 0) {
        x.fill(0, p, o + d);
        continue;
      }
      this.index.coords(r, a, this.zyx, 0);
      physicalPosition(this.index.records[r], this.zyx[0], this.zyx[1], this.zyx[2], this.pos);
      for (let axis = 0; axis < 3; axis++) {
        const q = this.pos[axis];
        for (let k = 0; k < nf; k++) {
          const t = q * this.omegas[k];
          x[p++] = Math.sin(t);
          x[p++] = Math.cos(t);
        }
      }
      lo = hi = 0;
    }
    return x;
  }

  /** Grid features of item i (address a) into x[at …], remembering the lookups for gridBackward. */
  private lookup(i: number, a: number, x: Float32Array, at: number): void {
    const g = this.config.grid;
    const L = this.cellVoxels.length;
    const F = g.features;
    const T = 2 ** g.log2TableSize;
    const need = (i + 1) * L * 8;
    if (this.lookupIndex.length < need) {
      const grow = Math.max(need, this.lookupIndex.length * 2);
      const idx = new Int32Array(grow);
      idx.set(this.lookupIndex);
      const w = new Float32Array(grow);
      w.set(this.lookupWeight);
      this.lookupIndex = idx;
      this.lookupWeight = w;
    }
    const table = this.grid!;
    const r = this.index.find(a);
    x.fill(0, at, at + L * F);
    if (r < 0) {
      this.lookupWeight.fill(0, i * L * 8, need);
      return;
    }
    this.index.coords(r, a, this.zyx, 0);
    const rid = this.index.records[r].id;
    for (let l = 0; l < L; l++) {
      const s = this.cellVoxels[l];
      const pz = this.zyx[0] / s + this.offsets[l * 3];
      const py = this.zyx[1] / s + this.offsets[l * 3 + 1];
      const px = this.zyx[2] / s + this.offsets[l * 3 + 2];
      const iz = Math.floor(pz);
      const iy = Math.floor(py);
      const ix = Math.floor(px);
      const fz = pz - iz;
      const fy = py - iy;
      const fx = px - ix;
      const base = l * T;
      let k = (i * L + l) * 8;
      for (let c = 0; c < 8; c++, k++) {
        const dz = c >> 2;
        const dy = (c >> 1) & 1;
        const dx = c & 1;
        const w = (dz ? fz : 1 - fz) * (dy ? fy : 1 - fy) * (dx ? fx : 1 - fx);
        const h =
          (Math.imul(ix + dx, 1) ^
            Math.imul(iy + dy, 2654435761) ^
            Math.imul(iz + dz, 805459861) ^
            Math.imul(rid + 1, 0x9e3779b1) ^
            Math.imul(l + 1, 0x27d4eb2f)) >>>
          0;
        const e = base + (h & (T - 1));
        this.lookupIndex[k] = e;
        this.lookupWeight[k] = w;
        if (w === 0) continue;
        const src = e * F;
        const dst = at + l * F;
        for (let f = 0; f < F; f++) x[dst + f] += w * table[src + f];
      }
    }
  }

  /**
   * Adds the gradient of the loss with respect to the grid tables to `gradTable` (same layout as the tables), from
   * the gradient with respect to the input vectors of the last encode (row-major [n, dim]).
   */
  gridBackward(inputGrad: Float32Array, n: number, gradTable: Float32Array): void {
    const L = this.cellVoxels.length;
    if (L === 0) return;
    const F = this.config.grid.features;
    const col0 = this.dim - L * F;
    for (let i = 0; i < n; i++) {
      const row = i * this.dim + col0;
      for (let l = 0; l < L; l++) {
        let k = (i * L + l) * 8;
        for (let c = 0; c < 8; c++, k++) {
          const w = this.lookupWeight[k];
          if (w === 0) continue;
          const dst = this.lookupIndex[k] * F;
          for (let f = 0; f < F; f++) gradTable[dst + f] += w * inputGrad[row + l * F + f];
        }
      }
    }
  }
}
