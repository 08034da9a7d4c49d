/**
 * A segment as the ink readout sees it: the surface volume (layers along the normals, layer `surface` on the papyrus
 * surface) on the flattened grid, and, where known, ink labels, the region where those labels mean something, and the
 * sheet mask. Plain arrays only: loading from the corpus or from files lives in `load.ts`.
 *
 *   const seg: InkSegment = { name: 's1/seg', depth: 65, height: H, width: W, surface: 32, layers };
 *   const known = labelledPixels(seg);   // 1 where the labels mean something, per pixel of the grid
 */

export interface InkSegment {
  /** Human-readable name (the segment's group, e.g. `scroll1/seg0001`). */
  name: string;
  depth: number;
  height: number;
  width: number;
  /** Index of the layer on the papyrus surface (32 for the usual 65 layers). */
  surface: number;
  /** Raster [depth, height, width], bytes. */
  layers: Uint8Array;
  /** [height, width]: 255 = ink, 0 = no ink; only meaningful inside `labelledMask`. */
  labels?: Uint8Array;
  /** [height, width]: non-zero where `labels` are known. Default when labels exist: where the sheet is. */
  labelledMask?: Uint8Array;
  /** [height, width]: non-zero on papyrus (default: everywhere). */
  sheetMask?: Uint8Array;
}

export class InkInputError extends Error {
  constructor(
    message: string,
    readonly segment: string,
  ) {
    super(`${segment}: ${message}`);
    this.name = 'InkInputError';
  }
}

/** Checks array sizes; throws InkInputError naming the segment. */
export function validateSegment(seg: InkSegment): void {
  const plane = seg.height * seg.width;
  if (seg.layers.length !== seg.depth * plane)
    throw new InkInputError(
      `layers hold ${seg.layers.length} values, expected ${seg.depth}x${seg.height}x${seg.width}`,
      seg.name,
    );
  for (const [key, arr] of [
    ['labels', seg.labels],
    ['labelledMask', seg.labelledMask],
    ['sheetMask', seg.sheetMask],
  ] as const) {
    if (arr && arr.length !== plane)
      throw new InkInputError(`${key} hold ${arr.length} values, expected ${seg.height}x${seg.width}`, seg.name);
  }
  if (seg.surface < 0 || seg.surface >= seg.depth)
    throw new InkInputError(`surface layer ${seg.surface} outside 0..${seg.depth - 1}`, seg.name);
}

/** Pixels (as a 0/1 mask) where labels are known and the sheet is. */
export function labelledPixels(seg: InkSegment): Uint8Array {
  const plane = seg.height * seg.width;
  const out = new Uint8Array(plane);
  if (!seg.labels) return out;
  for (let i = 0; i < plane; i++)
    out[i] =
      (seg.labelledMask ? seg.labelledMask[i] !== 0 : true) && (!seg.sheetMask || seg.sheetMask[i] !== 0) ? 1 : 0;
  return out;
}

/** Layers each side of the surface that must all read 0 for a pixel to count as without data. */
export const MISSING_DATA_LAYERS = 2;

/**
 * The segment with pixels the scan gave no data for taken off the sheet, so the readout neither learns from them nor
 * is normalised by them, and predicts no ink there (the reader then marks those letters lost). A pixel is without
 * data when the surface layer and MISSING_DATA_LAYERS each side all read 0 (a slab lost in reconstruction or transfer,
 * or the surface off the scan): papyrus at the surface never windows to 0, and layers further out may still reach
 * slices beside a missing slab where the sheet bends. Unchanged when every pixel has data.
 */
export function withoutMissingData(seg: InkSegment): InkSegment {
  const plane = seg.height * seg.width;
  const data = new Uint8Array(plane);
  const from = Math.max(0, seg.surface - MISSING_DATA_LAYERS);
  const to = Math.min(seg.depth - 1, seg.surface + MISSING_DATA_LAYERS);
  for (let d = from; d <= to; d++) {
    const layer = seg.layers.subarray(d * plane, (d + 1) * plane);
    for (let i = 0; i < plane; i++) if (layer[i]) data[i] = 1;
  }
  if (data.every((v) => v)) return seg;
  const sheetMask = Uint8Array.from(data, (v, i) => (v && (!seg.sheetMask || seg.sheetMask[i]) ? 1 : 0));
  return { ...seg, sheetMask };
}

/** Pixels (0/1) on the sheet but outside the labelled region: where ink has to be recovered. */
export function unlabelledPixels(seg: InkSegment): Uint8Array {
  const plane = seg.height * seg.width;
  const labelled = labelledPixels(seg);
  const out = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) out[i] = !labelled[i] && (!seg.sheetMask || seg.sheetMask[i] !== 0) ? 1 : 0;
  return out;
}

export interface Box {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** Bounding box [y0,y1) x [x0,x1) of the non-zero pixels of a mask; undefined when empty. */
export function maskBounds(mask: Uint8Array, height: number, width: number): Box | undefined {
  let y0 = height,
    y1 = -1,
    x0 = width,
    x1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (mask[row + x] === 0) continue;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
    }
  }
  return y1 < 0 ? undefined : { y0, y1: y1 + 1, x0, x1: x1 + 1 };
}
