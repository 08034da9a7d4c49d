/**
 * The 2× mean pyramid of a volume: level shapes, how many levels, and a streaming downsampler that turns the planes
 * of level L (in z order) into the planes of level L+1 without holding the volume.
 *
 * Level L halves (rounding up) every axis that is still > 1; a voxel of level L+1 is the rounded mean of the (up to
 * 2×2×2) voxels of level L it covers. Levels stop once the largest axis is ≤ 64.
 *
 *   levelShapeOf([65, 300, 500], 1);                   // [33, 150, 250]
 *   const down = new PlaneDownsampler([65, 300, 500]);
 *   for (const plane of planes) { const out = down.push(plane); if (out) level1.push(out); }
 *   const last = down.flush();
 */

export type Shape3 = [number, number, number];

/** Stop building levels once the largest axis is at most this. */
export const PYRAMID_MIN_SIZE = 64;

export function halveShape(shape: readonly [number, number, number]): Shape3 {
  return shape.map((n) => (n > 1 ? Math.ceil(n / 2) : 1)) as Shape3;
}

export function levelShapeOf(shape: readonly [number, number, number], level: number): Shape3 {
  let s: Shape3 = [shape[0], shape[1], shape[2]];
  for (let l = 0; l < level; l++) s = halveShape(s);
  return s;
}

/** Number of stored levels: level 0 plus halvings until the largest axis is ≤ PYRAMID_MIN_SIZE. */
export function levelCountOf(shape: readonly [number, number, number]): number {
  let s: Shape3 = [shape[0], shape[1], shape[2]];
  let levels = 1;
  while (Math.max(...s) > PYRAMID_MIN_SIZE) {
    s = halveShape(s);
    levels++;
  }
  return levels;
}

/** Per-axis factor between level 0 and level `level` (2^k where k = halvings that axis actually took). */
export function levelScaleOf(shape: readonly [number, number, number], level: number): Shape3 {
  const scale: Shape3 = [1, 1, 1];
  let s: Shape3 = [shape[0], shape[1], shape[2]];
  for (let l = 0; l < level; l++) {
    for (let a = 0; a < 3; a++) if (s[a]! > 1) scale[a] = scale[a]! * 2;
    s = halveShape(s);
  }
  return scale;
}

/** Streams the planes of one level into the planes of the next (2× mean). */
export class PlaneDownsampler {
  readonly inShape: Shape3;
  readonly outShape: Shape3;
  private readonly acc: Uint16Array;
  private readonly countY: Uint8Array;
  private readonly countX: Uint8Array;
  private readonly zFactor: number;
  private pending = 0;

  constructor(inShape: readonly [number, number, number]) {
    this.inShape = [inShape[0], inShape[1], inShape[2]];
    this.outShape = halveShape(inShape);
    this.zFactor = inShape[0] > 1 ? 2 : 1;
    const [, ho, wo] = this.outShape;
    this.acc = new Uint16Array(ho * wo);
    this.countY = axisCounts(inShape[1], ho);
    this.countX = axisCounts(inShape[2], wo);
  }

  /** Add one plane of the input level (h × w). Returns an output plane when one is complete. */
  push(plane: Uint8Array): Uint8Array | undefined {
    const [, h, w] = this.inShape;
    if (plane.length !== h * w) throw new RangeError(`downsampler: plane of ${plane.length} values, expected ${h * w}`);
    const wo = this.outShape[2];
    const ys = h > 1 ? 1 : 0;
    const xs = w > 1 ? 1 : 0;
    const acc = this.acc;
    const words =
      w % 4 === 0 && plane.byteOffset % 4 === 0
        ? new Uint32Array(plane.buffer, plane.byteOffset, plane.length >> 2)
        : undefined;
    const quads = w >> 2;
    // Two input rows a step into one output row where both exist (one read-modify-write of the sums, not two).
    let y0 = 0;
    if (words && ys) {
      const quadsPerRow = w >> 2;
      for (; y0 + 1 < h; y0 += 2) {
        const a = (y0 * w) >> 2;
        const b = a + quadsPerRow;
        for (let j = 0, o = (y0 >> 1) * wo; j < quads; j++, o += 2) {
          const p = words[a + j]!;
          const q = words[b + j]!;
          acc[o] = acc[o]! + (p & 255) + ((p >>> 8) & 255) + (q & 255) + ((q >>> 8) & 255);
          acc[o + 1] = acc[o + 1]! + ((p >>> 16) & 255) + (p >>> 24) + ((q >>> 16) & 255) + (q >>> 24);
        }
      }
    }
    for (let y = y0; y < h; y++) {
      const row = (y >> ys) * wo;
      const src = y * w;
      if (words) {
        // four input bytes a step, read as one word: twice the speed of byte reads
        const from = src >> 2;
        for (let j = 0, o = row; j < quads; j++, o += 2) {
          const p = words[from + j]!;
          acc[o] = acc[o]! + (p & 255) + ((p >>> 8) & 255);
          acc[o + 1] = acc[o + 1]! + ((p >>> 16) & 255) + (p >>> 24);
        }
      } else if (xs) {
        const pairs = w >> 1;
        for (let i = 0; i < pairs; i++) acc[row + i] = acc[row + i]! + plane[src + 2 * i]! + plane[src + 2 * i + 1]!;
        if (w & 1) acc[row + pairs] = acc[row + pairs]! + plane[src + w - 1]!;
      } else {
        for (let x = 0; x < w; x++) acc[row + x] = acc[row + x]! + plane[src + x]!;
      }
    }
    this.pending++;
    return this.pending === this.zFactor ? this.emit() : undefined;
  }

  /** The last output plane when the input had an odd number of planes; call once after the last push. */
  flush(): Uint8Array | undefined {
    return this.pending > 0 ? this.emit() : undefined;
  }

  private emit(): Uint8Array {
    const [, ho, wo] = this.outShape;
    const out = new Uint8Array(ho * wo);
    const acc = this.acc;
    const zc = this.pending;
    for (let y = 0; y < ho; y++) {
      const cy = zc * this.countY[y]!;
      for (let x = 0, i = y * wo; x < wo; x++, i++) {
        const count = cy * this.countX[x]!;
        out[i] = Math.floor((acc[i]! + (count >> 1)) / count);
      }
    }
    acc.fill(0);
    this.pending = 0;
    return out;
  }
}

/** How many input samples fall into each output sample along one axis (2, or 1 at an odd edge / an axis of 1). */
function axisCounts(n: number, nOut: number): Uint8Array {
  const counts = new Uint8Array(nOut);
  for (let i = 0; i < nOut; i++) counts[i] = n > 1 ? Math.min(2, n - 2 * i) : 1;
  return counts;
}

/** Reference (whole-volume) 2× mean, for tests and small arrays. */
export function downsampleVolume(
  data: Uint8Array,
  shape: readonly [number, number, number],
): { data: Uint8Array; shape: Shape3 } {
  const down = new PlaneDownsampler(shape);
  const plane = shape[1] * shape[2];
  const outShape = down.outShape;
  const out = new Uint8Array(outShape[0] * outShape[1] * outShape[2]);
  let z = 0;
  const put = (p: Uint8Array | undefined) => {
    if (p) out.set(p, z++ * p.length);
  };
  for (let i = 0; i < shape[0]; i++) put(down.push(data.subarray(i * plane, (i + 1) * plane)));
  put(down.flush());
  return { data: out, shape: outShape };
}
