/**
 * A small in-memory stand-in for the corpus (the CorpusView the server reads), with a rolled-sheet spiral scan,
 * its predictions, and a segment (65 layers, ink labels, mask, predicted ink, mesh) — for server and browser tests
 * that must not wait for ingest. Its folder is real (view-state, attachments, readings are files).
 *
 *   const corpus = await spiralCorpus(await mkdtemp(...));
 *   corpus.record('scroll1/scanA').shape   // [48, 96, 96]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest, RecordMeta } from '../../src/corpus/types.js';
import type { CorpusView, Region } from '../../src/server/corpus-view.js';
import { UserError } from '../../src/core/errors.js';
import { writeSideFileUnlocked } from '../../src/corpus/side-files.js';

export const SHEET = 210;
export const BACKGROUND = 20;

/** Is (y, x) on the sheet of an Archimedean spiral centred in an H×W plane? */
export function onSpiral(y: number, x: number, H: number, W: number, turnOffset = 0): boolean {
  const cy = H / 2;
  const cx = W / 2;
  const r = Math.hypot(y - cy, x - cx);
  const pitch = Math.min(H, W) / 10;
  if (r < pitch * 0.8 || r > Math.min(H, W) * 0.46) return false;
  const theta = Math.atan2(y - cy, x - cx) + turnOffset;
  const phase = r / pitch - theta / (2 * Math.PI);
  return Math.abs(phase - Math.round(phase)) * pitch < 1.6;
}

function hash(i: number): number {
  let h = (i * 2654435761) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 2246822519) >>> 0;
  return (h >>> 8) / (1 << 24);
}

/** Is (row, col) inside one of the labelled "letters" of the segment (blocks along two text lines)? */
export function isInk(row: number, col: number, H: number, W: number): boolean {
  const lines = [Math.floor(H * 0.3), Math.floor(H * 0.62)];
  for (const top of lines) {
    if (row < top || row >= top + Math.floor(H / 6)) continue;
    const cell = Math.floor(W / 10);
    const inCell = col % cell;
    const letter = Math.floor(col / cell);
    if (letter >= 1 && letter <= 8 && inCell >= 2 && inCell < cell - 3) {
      // a letter-ish shape: a ring or a bar, by letter index
      const cx = inCell - cell / 2;
      const cyy = row - top - H / 12;
      return letter % 2 ? Math.abs(Math.hypot(cx, cyy) - cell / 3.2) < 1.6 : Math.abs(cx) < 1.8 || Math.abs(cyy) < 1.5;
    }
  }
  return false;
}

interface Stored {
  meta: RecordMeta;
  levels: { shape: [number, number, number]; data: Uint8Array }[];
}

function downsample(
  data: Uint8Array,
  [Z, Y, X]: [number, number, number],
): { shape: [number, number, number]; data: Uint8Array } {
  const nz = Z > 1 ? Math.ceil(Z / 2) : 1;
  const ny = Y > 1 ? Math.ceil(Y / 2) : 1;
  const nx = X > 1 ? Math.ceil(X / 2) : 1;
  const out = new Uint8Array(nz * ny * nx);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const sz = Math.min(Z - 1, Z > 1 ? 2 * z : 0);
        const sy = Math.min(Y - 1, Y > 1 ? 2 * y : 0);
        const sx = Math.min(X - 1, X > 1 ? 2 * x : 0);
        out[(z * ny + y) * nx + x] = data[(sz * Y + sy) * X + sx]!;
      }
  return { shape: [nz, ny, nx], data: out };
}

export class SpiralCorpus implements CorpusView {
  readonly manifest: Manifest = { format: 'scroll-aunn-corpus', version: 1, addressBits: 40, next: 0, records: [] };
  private readonly stored = new Map<number, Stored>();
  constructor(readonly dir: string) {}

  writeSideFile(rel: string, data: string | Uint8Array): Promise<string> {
    return writeSideFileUnlocked(this.dir, rel, data);
  }

  add(
    meta: Omit<RecordMeta, 'id' | 'base' | 'bits' | 'array' | 'levels' | 'dtype' | 'source' | 'trainable'> &
      Partial<RecordMeta>,
    data: Uint8Array,
    levels = 1,
  ): RecordMeta {
    const id = this.manifest.records.length;
    const bits = meta.shape.map((s) => Math.ceil(Math.log2(Math.max(1, s)))) as [number, number, number];
    const size = 2 ** (bits[0] + bits[1] + bits[2]);
    const base = Math.ceil(this.manifest.next / size) * size;
    const rec: RecordMeta = {
      dtype: 'uint8',
      source: { path: '(generated)', sha256: '0', format: 'test' },
      trainable: meta.modality !== 'prediction',
      ...meta,
      id,
      bits,
      base,
      array: `r${id}`,
      levels,
    };
    this.manifest.next = base + size;
    const lv = [{ shape: meta.shape, data }];
    for (let l = 1; l < levels; l++) lv.push(downsample(lv[l - 1]!.data, lv[l - 1]!.shape));
    this.manifest.records.push(rec);
    this.stored.set(id, { meta: rec, levels: lv });
    return rec;
  }

  records(filter: { scroll?: string; trainable?: boolean; group?: string } = {}): RecordMeta[] {
    return this.manifest.records.filter(
      (r) =>
        (filter.scroll === undefined || r.scroll === filter.scroll) &&
        (filter.trainable === undefined || r.trainable === filter.trainable) &&
        (filter.group === undefined || r.group === filter.group),
    );
  }

  record(nameOrId: string | number): RecordMeta {
    const r = this.manifest.records.find((x) => x.name === nameOrId || x.id === nameOrId);
    if (!r) throw new UserError(`no record '${nameOrId}' in corpus ${this.dir}`);
    return r;
  }

  levelShape(rec: RecordMeta, level: number): [number, number, number] {
    const s = this.stored.get(rec.id)!.levels[level];
    if (!s) throw new UserError(`record '${rec.name}' has no level ${level}`);
    return [...s.shape];
  }

  async readRegion(rec: RecordMeta, region: Region, level = 0, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    const { shape, data } = this.stored.get(rec.id)!.levels[level]!;
    const [, Y, X] = shape;
    const nz = region.z[1] - region.z[0];
    const ny = region.y[1] - region.y[0];
    const nx = region.x[1] - region.x[0];
    const out = new Uint8Array(nz * ny * nx);
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++) {
        const src = ((region.z[0] + z) * Y + region.y[0] + y) * X + region.x[0];
        out.set(data.subarray(src, src + nx), (z * ny + y) * nx);
      }
    return out;
  }

  attachmentPath(rec: RecordMeta, name: string): string {
    return path.join(this.dir, 'attachments', String(rec.id), name);
  }
}

export interface SpiralCorpusOptions {
  /** Scan shape [z, y, x]; default [48, 96, 96]. */
  scanShape?: [number, number, number];
  /** Segment grid [h, w]; default [48, 160]. */
  segmentShape?: [number, number];
}

/** Build the stand-in corpus in `dir` (created). */
export async function spiralCorpus(dir: string, opts: SpiralCorpusOptions = {}): Promise<SpiralCorpus> {
  await mkdir(dir, { recursive: true });
  const corpus = new SpiralCorpus(dir);
  const [Z, Y, X] = opts.scanShape ?? [48, 96, 96];
  const scan = new Uint8Array(Z * Y * X);
  const predicted = new Uint8Array(Z * Y * X);
  const uncertainty = new Uint8Array(Z * Y * X);
  for (let z = 0; z < Z; z++) {
    const turn = (z / Z) * 0.6; // the sheet twists slowly along the scroll's axis
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const i = (z * Y + y) * X + x;
        const sheet = onSpiral(y, x, Y, X, turn);
        const v = sheet ? SHEET : BACKGROUND;
        scan[i] = Math.max(0, Math.min(255, v + Math.round((hash(i) - 0.5) * 40)));
        predicted[i] = sheet ? SHEET - 10 : BACKGROUND + 5;
        uncertainty[i] = Math.min(255, Math.abs(scan[i]! - predicted[i]!) * 4);
      }
  }
  const voxelSizeUm: [number, number, number] = [7.91, 7.91, 7.91];
  const scanRec = corpus.add(
    { name: 'scroll1/scanA', scroll: 'scroll1', modality: 'scan', shape: [Z, Y, X], voxelSizeUm, energyKeV: 54 },
    scan,
    2,
  );
  corpus.add(
    {
      name: 'scroll1/scanA~value',
      scroll: 'scroll1',
      modality: 'prediction',
      shape: [Z, Y, X],
      voxelSizeUm,
      prediction: { of: scanRec.name, kind: 'value', model: 'm1' },
    },
    predicted,
    2,
  );
  corpus.add(
    {
      name: 'scroll1/scanA~uncertainty',
      scroll: 'scroll1',
      modality: 'prediction',
      shape: [Z, Y, X],
      voxelSizeUm,
      prediction: { of: scanRec.name, kind: 'uncertainty', model: 'm1' },
    },
    uncertainty,
    2,
  );

  const [H, W] = opts.segmentShape ?? [48, 160];
  const layers = new Uint8Array(65 * H * W);
  const labels = new Uint8Array(H * W);
  const mask = new Uint8Array(H * W);
  const inkPred = new Uint8Array(H * W);
  for (let r = 0; r < H; r++)
    for (let c = 0; c < W; c++) {
      const ink = isInk(r, c, H, W);
      labels[r * W + c] = ink ? 255 : 0;
      mask[r * W + c] = 255;
      inkPred[r * W + c] = ink ? 220 : Math.round(hash(r * W + c) * 30);
    }
  for (let k = 0; k < 65; k++) {
    const onSurface = Math.exp(-(((k - 32) / 6) ** 2));
    for (let r = 0; r < H; r++)
      for (let c = 0; c < W; c++) {
        const i = (k * H + r) * W + c;
        const fibre = 0.5 + 0.5 * Math.sin(c * 0.7 + Math.sin(r * 0.3));
        const ink = labels[r * W + c] ? 60 : 0;
        layers[i] = Math.max(
          0,
          Math.min(255, Math.round(40 + onSurface * (110 + 30 * fibre + ink) + (hash(i) - 0.5) * 16)),
        );
      }
  }
  const group = 'scroll1/seg1';
  const layersRec = corpus.add(
    {
      name: 'scroll1/seg1/layers',
      scroll: 'scroll1',
      modality: 'segment-layers',
      shape: [65, H, W],
      voxelSizeUm,
      group,
    },
    layers,
    1,
  );
  corpus.add(
    { name: 'scroll1/seg1/inklabels', scroll: 'scroll1', modality: 'ink-labels', shape: [1, H, W], group },
    labels,
    1,
  );
  corpus.add({ name: 'scroll1/seg1/mask', scroll: 'scroll1', modality: 'mask', shape: [1, H, W], group }, mask, 1);
  corpus.add(
    {
      name: 'scroll1/seg1~ink',
      scroll: 'scroll1',
      modality: 'prediction',
      shape: [1, H, W],
      group,
      prediction: { of: layersRec.name, kind: 'ink', model: 'm1' },
    },
    inkPred,
    1,
  );

  // A mesh of the segment's surface: a strip of the spiral's third turn, in scan voxel coordinates (x y z).
  const meshFile = corpus.attachmentPath(layersRec, 'mesh.obj');
  await mkdir(path.dirname(meshFile), { recursive: true });
  const lines: string[] = ['# segment seg1'];
  const nu = 24;
  const nv = 6;
  const pitch = Math.min(Y, X) / 10;
  for (let j = 0; j <= nv; j++)
    for (let i = 0; i <= nu; i++) {
      const theta = (i / nu) * Math.PI * 1.5;
      const r = pitch * (3 + theta / (2 * Math.PI));
      const z = (j / nv) * (Z - 1);
      lines.push(
        `v ${(X / 2 + r * Math.cos(theta)).toFixed(2)} ${(Y / 2 + r * Math.sin(theta)).toFixed(2)} ${z.toFixed(2)}`,
      );
      lines.push(`vt ${(i / nu).toFixed(4)} ${(j / nv).toFixed(4)}`);
    }
  for (let j = 0; j < nv; j++)
    for (let i = 0; i < nu; i++) {
      const a = j * (nu + 1) + i + 1;
      const b = a + 1;
      const c = a + nu + 1;
      const d = c + 1;
      lines.push(`f ${a}/${a} ${b}/${b} ${d}/${d}`, `f ${a}/${a} ${d}/${d} ${c}/${c}`);
    }
  await writeFile(meshFile, lines.join('\n') + '\n');
  return corpus;
}
