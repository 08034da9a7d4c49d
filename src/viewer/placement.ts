/**
 * Where a layer lies on the base record's grid: a prediction may cover only a box of the scan, at a coarser level
 * (its `extra.region` / `extra.level`, as src/model/predict-corpus.ts writes them), and any record may have its own
 * pyramid. Everything is worked out in the base record's level-0 voxels, then put on the view's grid (a level).
 *
 *   const p = placementOf(predRecord, scan, 0);
 *   const k = layerIndex(p, 0, cursorZ);               // the prediction's slice at this z, or undefined outside
 *   view.setLayer(key, plane, style, i, extentOf(p, 1, 2));
 */
import type { RecordInfo, Shape3 } from './api.js';
import type { Extent } from './slice-view.js';

export interface Placement {
  /** Level of the layer record to read. */
  level: number;
  /** Its shape at that level. */
  shape: Shape3;
  /** Grid pixels per layer voxel, per axis [z, y, x]. */
  scale: [number, number, number];
  /** Grid position of the layer's voxel (0,0,0) corner. */
  origin: [number, number, number];
}

const AXES = [0, 1, 2] as const;

/** Base level-0 voxels per voxel of `base` at `level`. */
function baseSpan(base: RecordInfo, level: number): [number, number, number] {
  const s0 = base.levelShapes[0]!;
  const sl = base.levelShapes[Math.min(level, base.levelShapes.length - 1)]!;
  const extra = level - Math.min(level, base.levelShapes.length - 1);
  return AXES.map((i) => (s0[i]! / sl[i]!) * (s0[i]! > 1 ? 2 ** extra : 1)) as [number, number, number];
}

function regionOf(
  rec: RecordInfo,
): { region?: { z: [number, number]; y: [number, number]; x: [number, number] }; level: number } | undefined {
  const e = rec.extra as
    { region?: { z: [number, number]; y: [number, number]; x: [number, number] }; level?: number } | undefined;
  if (!rec.prediction || !e || (e.region === undefined && e.level === undefined)) return undefined;
  return { region: e.region ?? undefined, level: typeof e.level === 'number' ? e.level : 0 };
}

export function placementOf(rec: RecordInfo, base: RecordInfo, gridLevel: number): Placement {
  const grid = baseSpan(base, gridLevel);
  let span0: [number, number, number];
  let origin0: [number, number, number] = [0, 0, 0];
  const placed = rec.prediction?.of === base.name ? regionOf(rec) : undefined;
  if (rec === base || rec.name === base.name) span0 = [1, 1, 1];
  else if (placed) {
    span0 = baseSpan(base, placed.level);
    const r = placed.region;
    if (r) origin0 = [r.z[0] * span0[0], r.y[0] * span0[1], r.x[0] * span0[2]];
  } else {
    // Same object, other sampling: stretch over the base's extent.
    const s0 = base.levelShapes[0]!;
    const r0 = rec.levelShapes[0]!;
    span0 = AXES.map((i) => s0[i]! / r0[i]!) as [number, number, number];
  }
  const spanAt = (l: number) =>
    AXES.map((i) => span0[i]! * (rec.levelShapes[0]![i]! / rec.levelShapes[l]![i]!)) as [number, number, number];
  // The coarsest level of the layer that is still at least as fine as the grid.
  let level = 0;
  while (level + 1 < rec.levelShapes.length && AXES.every((i) => spanAt(level + 1)[i]! <= grid[i]! * 1.01)) level++;
  const span = spanAt(level);
  return {
    level,
    shape: rec.levelShapes[level]!,
    scale: AXES.map((i) => span[i]! / grid[i]!) as [number, number, number],
    origin: AXES.map((i) => origin0[i]! / grid[i]!) as [number, number, number],
  };
}

/** The layer's slice index under grid index `index` along `axis`, or undefined when the layer does not reach it. */
export function layerIndex(p: Placement, axis: 0 | 1 | 2, index: number): number | undefined {
  const k = Math.floor((index + 0.5 - p.origin[axis]) / p.scale[axis]);
  return k >= 0 && k < p.shape[axis] ? k : undefined;
}

/** The plane's extent on a view whose rows/cols are the given axes. */
export function extentOf(p: Placement, rowsAxis: 0 | 1 | 2, colsAxis: 0 | 1 | 2): Extent {
  return {
    row0: p.origin[rowsAxis],
    rows: p.shape[rowsAxis] * p.scale[rowsAxis],
    col0: p.origin[colsAxis],
    cols: p.shape[colsAxis] * p.scale[colsAxis],
  };
}
