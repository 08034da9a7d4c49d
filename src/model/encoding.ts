/**
 * Index encodings: the input vector the MLP sees for an absolute address. Pure functions of the address and the
 * manifest, computed on the CPU into a Float32Array (row-major [n, inputDim]).
 *
 *  - `bits`: each of the addressBits binary digits as ±1 (the seed's encoding).
 *  - `bits+physical`: the bits plus sin/cos of the voxel's position in its scroll's physical frame (µm, from the
 *    record's affine, else voxelSizeUm × index), so two scans of one scroll share geometry.
 *
 *   const enc = new Encoder(cfg.encoding, manifest.records);
 *   const x = enc.encode(addresses);   // Float32Array(addresses.length * enc.dim)
 */
import type { RecordMeta } from '../corpus/types.js';
import { RecordIndex } from './addressing.js';
import { inputDim, type EncodingConfig } from './config.js';

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

  constructor(
    readonly config: EncodingConfig,
    records: readonly RecordMeta[],
  ) {
    this.dim = inputDim(config);
    this.index = new RecordIndex(records);
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
}
