/**
 * A small in-memory corpus for the model's tests and benches: records laid out exactly as src/corpus does
 * (each axis padded to a power of two, base aligned to the block), filled with a smooth synthetic "scroll" field
 * (a wound sheet: bright where the distance to a spiral is small, plus texture and noise).
 *
 *   const c = new SyntheticCorpus();
 *   c.add({ name: 's1/scanA', scroll: 's1', shape: [8, 32, 32], fill: scrollField({ seed: 1 }) });
 */
import type { Manifest, RecordMeta } from '../../src/corpus/types.js';
import type { CorpusLike } from '../../src/model/data.js';

export type Field = (z: number, y: number, x: number, rec: RecordMeta) => number;

export class SyntheticCorpus implements CorpusLike {
  readonly dir = '<synthetic>';
  readonly manifest: Manifest = { format: 'scroll-aunn-corpus', version: 1, addressBits: 40, next: 0, records: [] };
  private readonly data = new Map<number, Uint8Array>();

  add(opts: {
    name: string;
    scroll: string;
    shape: [number, number, number];
    fill: Field;
    voxelSizeUm?: [number, number, number];
    affine?: number[];
    modality?: RecordMeta['modality'];
    trainable?: boolean;
  }): RecordMeta {
    const bits = opts.shape.map((n) => Math.ceil(Math.log2(Math.max(1, n)))) as [number, number, number];
    const size = 2 ** (bits[0] + bits[1] + bits[2]);
    const base = Math.ceil(this.manifest.next / size) * size;
    const rec: RecordMeta = {
      id: this.manifest.records.length,
      name: opts.name,
      scroll: opts.scroll,
      modality: opts.modality ?? 'scan',
      shape: opts.shape,
      bits,
      base,
      dtype: 'uint8',
      voxelSizeUm: opts.voxelSizeUm,
      affine: opts.affine,
      source: { path: '<synthetic>', sha256: '', format: 'synthetic' },
      array: `r${this.manifest.records.length}`,
      levels: 1,
      trainable: opts.trainable ?? true,
    };
    const [nz, ny, nx] = opts.shape;
    const d = new Uint8Array(nz * ny * nx);
    let i = 0;
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++)
        for (let x = 0; x < nx; x++) d[i++] = Math.max(0, Math.min(255, Math.round(opts.fill(z, y, x, rec))));
    this.manifest.records.push(rec);
    this.manifest.next = base + size;
    this.data.set(rec.id, d);
    return rec;
  }

  async readRecord(rec: RecordMeta): Promise<Uint8Array> {
    const d = this.data.get(rec.id);
    if (!d) throw new Error(`no record ${rec.name}`);
    return d.slice();
  }
}

/** Deterministic hash noise in [-1, 1). */
function noise(z: number, y: number, x: number, seed: number): number {
  let h = Math.imul((z * 73856093) ^ (y * 19349663) ^ (x * 83492791) ^ seed, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) / 4294967296) * 2 - 1;
}

/**
 * A wound papyrus sheet seen in a scan, in physical µm (so two scans of one scroll at different voxel sizes see the
 * same object): brightness peaks on an Archimedean spiral around the z axis, with fibre texture and noise.
 */
export function scrollField(
  opts: { seed?: number; turnUm?: number; noise?: number; centerUm?: [number, number] } = {},
): Field {
  const seed = opts.seed ?? 1;
  const turn = opts.turnUm ?? 40;
  const amp = opts.noise ?? 8;
  const [cx, cy] = opts.centerUm ?? [64, 64];
  return (z, y, x, rec) => {
    const v = rec.voxelSizeUm ?? [1, 1, 1];
    const px = x * v[2] - cx;
    const py = y * v[1] - cy;
    const pz = z * v[0];
    const r = Math.hypot(px, py);
    const theta = Math.atan2(py, px);
    const phase = (r / turn - theta / (2 * Math.PI)) * 2 * Math.PI;
    const sheet = Math.max(0, Math.cos(phase)) ** 3;
    const fibre = 0.15 * Math.sin(pz * 0.4 + theta * 6);
    return 40 + 170 * sheet * (1 + fibre) + amp * noise(z, y, x, seed);
  };
}
