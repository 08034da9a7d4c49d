/**
 * The segment: a patch of the recto surface (the first columns of text, near the outer end of the sheet), as the
 * Vesuvius tools make it — a mesh in scan-A voxel coordinates with UVs, and the 65-layer surface volume sampled from
 * scan A along the mesh normals (layer 32 on the surface, 1 voxel per layer, higher layers toward the recto side, i.e.
 * out of the papyrus into the gap toward the scroll centre). One layer pixel = one voxel along the sheet and along z
 * (no resampling finer than the scan). Pixel (col, row) ↔ u = start + col + 0.5, z = height - 1 - row.
 *
 *   const surf = segmentSurface(world, start, width);
 *   const layers = sampleLayers(surf, scanA, [nz, ny, nx]);   // 65 x height x width, uint16
 *   const obj = meshObj(surf, 4);
 */
import type { World } from './physics.js';

export const LAYERS = 65;
export const SURFACE_LAYER = 32;
/** Depth of the surface (layer 32) below the recto face, voxels: the middle of the ink. */
export const SURFACE_DEPTH = 0.6;

export interface Surface {
  width: number;
  height: number;
  /** Surface points and unit normals (toward the recto), 3 per pixel (x, y, z), raster row-major. */
  points: Float64Array;
  normals: Float64Array;
  start: number;
}

export function segmentSurface(w: World, start: number, width: number): Surface {
  const height = w.nz;
  const points = new Float64Array(width * height * 3);
  const flat = new Float64Array(width * height * 2);
  const p = w.params.spiral;
  for (let row = 0; row < height; row++) {
    const z = height - 1 - row;
    for (let col = 0; col < width; col++) {
      const u = start + col + 0.5;
      const c = w.sheet.pointAt(z, u);
      const th = w.thickness.at(u, z);
      const half = 0.5 * p.thickness * (1 + p.thicknessVar * Math.max(-1, Math.min(1, th)));
      const d = half - SURFACE_DEPTH;
      const k = row * width + col;
      points[3 * k] = c.x + d * c.nx;
      points[3 * k + 1] = c.y + d * c.ny;
      points[3 * k + 2] = z;
      flat[2 * k] = c.nx;
      flat[2 * k + 1] = c.ny;
    }
  }
  // 3-D normals from the mesh itself: ∂P/∂u × ∂P/∂z, turned toward the recto.
  const normals = new Float64Array(points.length);
  for (let row = 0; row < height; row++)
    for (let col = 0; col < width; col++) {
      const k = row * width + col;
      const kl = row * width + Math.max(0, col - 1);
      const kr = row * width + Math.min(width - 1, col + 1);
      const kUp = Math.max(0, row - 1) * width + col; // higher z
      const kDn = Math.min(height - 1, row + 1) * width + col;
      const ax = points[3 * kr]! - points[3 * kl]!;
      const ay = points[3 * kr + 1]! - points[3 * kl + 1]!;
      const az = points[3 * kr + 2]! - points[3 * kl + 2]!;
      const bx = points[3 * kUp]! - points[3 * kDn]!;
      const by = points[3 * kUp + 1]! - points[3 * kDn + 1]!;
      const bz = points[3 * kUp + 2]! - points[3 * kDn + 2]!;
      let nx = ay * bz - az * by;
      let ny = az * bx - ax * bz;
      let nz = ax * by - ay * bx;
      const len = Math.hypot(nx, ny, nz) || 1;
      const sign = nx * flat[2 * k]! + ny * flat[2 * k + 1]! >= 0 ? 1 : -1;
      nx = (sign * nx) / len;
      ny = (sign * ny) / len;
      nz = (sign * nz) / len;
      normals[3 * k] = nx;
      normals[3 * k + 1] = ny;
      normals[3 * k + 2] = nz;
    }
  return { width, height, points, normals, start };
}

/** Trilinear sample of a [nz, ny, nx] volume at voxel coordinates (x, y, z); NaN outside. */
export function trilinear(
  vol: ArrayLike<number>,
  shape: [number, number, number],
  x: number,
  y: number,
  z: number,
): number {
  const [nz, ny, nx] = shape;
  if (!(x >= 0 && y >= 0 && z >= 0 && x <= nx - 1 && y <= ny - 1 && z <= nz - 1)) return NaN;
  const x0 = Math.min(Math.floor(x), nx - 2);
  const y0 = Math.min(Math.floor(y), ny - 2);
  const z0 = Math.min(Math.floor(z), nz - 2);
  const fx = x - x0;
  const fy = y - y0;
  const fz = z - z0;
  const k = (z0 * ny + y0) * nx + x0;
  const sxy = nx * ny;
  const c00 = vol[k]! * (1 - fx) + vol[k + 1]! * fx;
  const c01 = vol[k + nx]! * (1 - fx) + vol[k + nx + 1]! * fx;
  const c10 = vol[k + sxy]! * (1 - fx) + vol[k + sxy + 1]! * fx;
  const c11 = vol[k + sxy + nx]! * (1 - fx) + vol[k + sxy + nx + 1]! * fx;
  return (c00 * (1 - fy) + c01 * fy) * (1 - fz) + (c10 * (1 - fy) + c11 * fy) * fz;
}

/** The surface volume: layer L samples the scan at P + (L - 32)·N. Outside the scan: 0. */
export function sampleLayers(
  s: Surface,
  vol: ArrayLike<number>,
  shape: [number, number, number],
  which: number[] = Array.from({ length: LAYERS }, (_, i) => i),
): Uint16Array[] {
  const layers: Uint16Array[] = [];
  for (const layer of which) {
    const out = new Uint16Array(s.width * s.height);
    const off = layer - SURFACE_LAYER;
    for (let k = 0; k < out.length; k++) {
      const v = trilinear(
        vol,
        shape,
        s.points[3 * k]! + off * s.normals[3 * k]!,
        s.points[3 * k + 1]! + off * s.normals[3 * k + 1]!,
        s.points[3 * k + 2]! + off * s.normals[3 * k + 2]!,
      );
      out[k] = Number.isNaN(v) ? 0 : Math.max(0, Math.min(65535, Math.round(v)));
    }
    layers.push(out);
  }
  return layers;
}

/** 255 where the surface point lies inside the scan. */
export function surfaceMask(s: Surface, shape: [number, number, number]): Uint8Array {
  const [nz, ny, nx] = shape;
  const mask = new Uint8Array(s.width * s.height);
  for (let k = 0; k < mask.length; k++) {
    const x = s.points[3 * k]!;
    const y = s.points[3 * k + 1]!;
    const z = s.points[3 * k + 2]!;
    mask[k] = x >= 0 && y >= 0 && z >= 0 && x <= nx - 1 && y <= ny - 1 && z <= nz - 1 ? 255 : 0;
  }
  return mask;
}

/**
 * Wavefront OBJ of the surface on a grid every `stride` pixels (and the last row/column): `v x y z` in scan-A voxel
 * coordinates, `vt` = (col / (width-1), 1 - row / (height-1)) (OBJ convention, v up = z up), `vn` normals, triangles.
 */
export function meshObj(s: Surface, stride: number, comment: string): string {
  const cols: number[] = [];
  for (let c = 0; c < s.width - 1; c += stride) cols.push(c);
  cols.push(s.width - 1);
  const rows: number[] = [];
  for (let r = 0; r < s.height - 1; r += stride) rows.push(r);
  rows.push(s.height - 1);
  const out: string[] = [`# ${comment}`, `# grid ${cols.length} x ${rows.length} vertices`];
  const f = (v: number) => (Math.round(v * 1e4) / 1e4).toString();
  for (const r of rows)
    for (const c of cols) {
      const k = r * s.width + c;
      out.push(`v ${f(s.points[3 * k]!)} ${f(s.points[3 * k + 1]!)} ${f(s.points[3 * k + 2]!)}`);
    }
  for (const r of rows) for (const c of cols) out.push(`vt ${f(c / (s.width - 1))} ${f(1 - r / (s.height - 1))}`);
  for (const r of rows)
    for (const c of cols) {
      const k = r * s.width + c;
      out.push(`vn ${f(s.normals[3 * k]!)} ${f(s.normals[3 * k + 1]!)} ${f(s.normals[3 * k + 2]!)}`);
    }
  const nc = cols.length;
  for (let i = 0; i + 1 < rows.length; i++)
    for (let j = 0; j + 1 < nc; j++) {
      const a = i * nc + j + 1;
      const b = a + 1;
      const c = a + nc;
      const d = c + 1;
      out.push(`f ${a}/${a}/${a} ${c}/${c}/${c} ${b}/${b}/${b}`, `f ${b}/${b}/${b} ${c}/${c}/${c} ${d}/${d}/${d}`);
    }
  return out.join('\n') + '\n';
}
