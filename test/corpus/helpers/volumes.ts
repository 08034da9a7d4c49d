/**
 * Test helpers for the corpus: scratch folders, deterministic volumes, appending a volume as a record, a naive
 * 2× mean reference (independent of src/corpus/pyramid.ts) and a listing of what is on disk.
 *
 *   const dir = scratchDir();
 *   const corpus = await Corpus.open(dir, { create: true });
 *   const rec = await appendVolume(corpus, 's/a', [70, 100, 130], pattern);
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Corpus } from '../../../src/corpus/index.js';
import type { Modality, RecordMeta } from '../../../src/corpus/types.js';

export type Shape = [number, number, number];

export function scratchDir(prefix = 'aunn-corpus-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const pattern = (z: number, y: number, x: number) => (z * 37 + y * 11 + x * 3 + ((x * y) >> 4)) & 255;

export function makeVolume(shape: Shape, value: (z: number, y: number, x: number) => number = pattern): Uint8Array {
  const [d, h, w] = shape;
  const out = new Uint8Array(d * h * w);
  for (let z = 0, i = 0; z < d; z++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++, i++) out[i] = value(z, y, x);
  return out;
}

export async function appendVolume(
  corpus: Corpus,
  name: string,
  shape: Shape,
  data: Uint8Array,
  opts: {
    modality?: Modality;
    slabPlanes?: number;
    group?: string;
    attachments?: Record<string, string>;
    voxelSizeUm?: [number, number, number];
  } = {},
): Promise<RecordMeta> {
  const plane = shape[1] * shape[2];
  const step = opts.slabPlanes ?? 7;
  return corpus.withWriter((w) =>
    w.appendRecord(
      {
        name,
        scroll: name.split('/')[0]!,
        modality: opts.modality ?? 'scan',
        shape,
        dtype: 'uint8',
        source: { path: `/test/${name}`, sha256: 'test', format: 'test' },
        trainable: true,
        ...(opts.group ? { group: opts.group } : {}),
        ...(opts.voxelSizeUm ? { voxelSizeUm: opts.voxelSizeUm } : {}),
      },
      async (writeSlab) => {
        for (let z = 0; z < shape[0]; z += step)
          await writeSlab(z, data.subarray(z * plane, Math.min(shape[0], z + step) * plane));
      },
      { attachments: opts.attachments },
    ),
  );
}

/** Naive 2× mean of every axis > 1 (rounded half up), by direct summation over each output voxel's inputs. */
export function naiveHalve(data: Uint8Array, shape: Shape): { data: Uint8Array; shape: Shape } {
  const f = shape.map((n) => (n > 1 ? 2 : 1));
  const out: Shape = [Math.ceil(shape[0] / f[0]!), Math.ceil(shape[1] / f[1]!), Math.ceil(shape[2] / f[2]!)];
  const res = new Uint8Array(out[0] * out[1] * out[2]);
  for (let z = 0; z < out[0]; z++)
    for (let y = 0; y < out[1]; y++)
      for (let x = 0; x < out[2]; x++) {
        let sum = 0;
        let count = 0;
        for (let dz = 0; dz < f[0]!; dz++)
          for (let dy = 0; dy < f[1]!; dy++)
            for (let dx = 0; dx < f[2]!; dx++) {
              const zz = z * f[0]! + dz;
              const yy = y * f[1]! + dy;
              const xx = x * f[2]! + dx;
              if (zz < shape[0] && yy < shape[1] && xx < shape[2]) {
                sum += data[(zz * shape[1] + yy) * shape[2] + xx]!;
                count++;
              }
            }
        res[(z * out[1] + y) * out[2] + x] = Math.round(sum / count);
      }
  return { data: res, shape: out };
}

/** Crop a box out of a raster volume. */
export function crop(
  data: Uint8Array,
  shape: Shape,
  box: { z: [number, number]; y: [number, number]; x: [number, number] },
): Uint8Array {
  const out = new Uint8Array((box.z[1] - box.z[0]) * (box.y[1] - box.y[0]) * (box.x[1] - box.x[0]));
  let i = 0;
  for (let z = box.z[0]; z < box.z[1]; z++)
    for (let y = box.y[0]; y < box.y[1]; y++)
      for (let x = box.x[0]; x < box.x[1]; x++) out[i++] = data[(z * shape[1] + y) * shape[2] + x]!;
  return out;
}

/** Every file and folder under `dir` (relative, sorted), with the manifest's bytes: "what is on disk". */
export function snapshot(dir: string): { entries: string[]; manifest: string } {
  const entries = (readdirSync(dir, { recursive: true }) as string[])
    .map(String)
    .filter((e) => e !== '.lock')
    .sort();
  return { entries, manifest: readFileSync(path.join(dir, 'manifest.json'), 'utf8') };
}

/** Byte-exact comparison that stays fast on large arrays; the message names the first differing index. */
export function sameBytes(got: Uint8Array, want: Uint8Array): string {
  if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
  if (
    Buffer.compare(
      Buffer.from(got.buffer, got.byteOffset, got.length),
      Buffer.from(want.buffer, want.byteOffset, want.length),
    ) === 0
  )
    return 'equal';
  const i = got.findIndex((v, k) => v !== want[k]);
  return `differs first at index ${i}: ${got[i]} vs ${want[i]}`;
}
