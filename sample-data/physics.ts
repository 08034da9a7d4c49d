/**
 * The physics of the sample scroll: what the X-ray "sees" and what the scanner does to it.
 *
 * OBJECT (attenuation, scan A's papyrus = 1, air ≈ 0.02)
 * - One long papyrus sheet rolled as a squashed, warped spiral (spiral.ts): several windings whose radius wobbles
 *   with angle and height, so neighbouring windings come close and in places touch (the air gap closes; they never
 *   pass through each other). The sheet is 2–3 voxels thick (thickness varies slowly along it).
 * - Partial volume: each voxel holds the fraction of a 1-voxel box that lies inside the sheet (anti-aliased faces);
 *   where two windings touch, each voxel belongs to the nearer one.
 * - Two fibre layers: the recto half has horizontal fibres (texture long along the sheet, fine along z), the verso
 *   half vertical fibres (long along z, fine along the sheet); ±4–6% of the density. Carbonised density also
 *   varies slowly (±4%) along the sheet.
 * - Carbon ink on the recto (the face toward the scroll centre): letters written in sheet coordinates (u along the
 *   sheet from its outer end, z), ~1 voxel thick (the top 1.0 voxel of the sheet plus a 0.2-voxel film on it), adding
 *   `inkContrast` (24–30% of papyrus at scan A's energy before the scanner; after blur and partial volume ≈5% of the
 *   papyrus–air contrast at layer 32) with its own grain, and damping the fibre texture under it. At scan B's higher
 *   energy the ink/papyrus contrast is 35–50% of scan A's.
 * SCANNER (applied to the object voxel grid)
 * - Blur: Gaussian point-spread, σ ≈ 0.55–0.7 voxel (3-D).
 * - Cupping (beam hardening): the reconstructed value sags toward the rotation axis by 8–15%.
 * - Ring artefacts: concentric rings about the rotation axis (miscalibrated detector pixels), a few % each.
 * - Noise: shot noise (Gaussian approximation of Poisson, std ∝ sqrt(signal)) + Gaussian electronic noise, together
 *   ≈4–6% of papyrus per voxel.
 * Scan B images the same object at half resolution (each B voxel averages 2x2x2 object samples on its own rotated
 * grid, then its own blur), another energy, other noise; its pose is a rotation about z plus a shift.
 *
 *   const slice = renderSlice(world, 40, IDENTITY_FRAME, 160, 160, params.scanA);  // object density of slice z = 40
 *   applyScanner(volume, [nz, ny, nx], params.scanA, rng);                           // blur, cupping, rings, noise
 */
import type { ScanParams, ScrollParams } from './params.js';
import { Rng, seedFrom } from './rng.js';
import type { Sheet } from './spiral.js';

/** A smooth random field on the sheet's (u, z) grid, unit std, with bilinear lookup. */
export class SheetField {
  constructor(
    readonly data: Float32Array,
    readonly nu: number,
    readonly nzf: number,
    readonly u0: number,
    readonly z0: number,
  ) {}

  static random(rng: Rng, nu: number, nzf: number, u0: number, z0: number, sigmaU: number, sigmaZ: number): SheetField {
    const data = rng.gaussArray(nu * nzf);
    gaussBlurAxis(data, [1, nzf, nu], 2, sigmaU);
    gaussBlurAxis(data, [1, nzf, nu], 1, sigmaZ);
    let s2 = 0;
    for (let i = 0; i < data.length; i++) s2 += data[i]! * data[i]!;
    const k = 1 / Math.sqrt(s2 / data.length || 1);
    for (let i = 0; i < data.length; i++) data[i]! *= k;
    return new SheetField(data, nu, nzf, u0, z0);
  }

  at(u: number, z: number): number {
    let fu = u - this.u0;
    let fz = z - this.z0;
    fu = fu < 0 ? 0 : fu > this.nu - 1.001 ? this.nu - 1.001 : fu;
    fz = fz < 0 ? 0 : fz > this.nzf - 1.001 ? this.nzf - 1.001 : fz;
    const iu = Math.floor(fu);
    const iz = Math.floor(fz);
    const a = fu - iu;
    const b = fz - iz;
    const k = iz * this.nu + iu;
    const d = this.data;
    return (1 - b) * ((1 - a) * d[k]! + a * d[k + 1]!) + b * ((1 - a) * d[k + this.nu]! + a * d[k + this.nu + 1]!);
  }
}

/** Ink coverage over the whole sheet, `scale` pixels per voxel, in sheet coordinates X = u, Y = nz - 0.5 - z. */
export interface InkMap {
  coverage: Float32Array;
  width: number;
  height: number;
  scale: number;
}

export function inkAt(ink: InkMap, u: number, y: number): number {
  const fx = u * ink.scale - 0.5;
  const fy = y * ink.scale - 0.5;
  if (fx < 0 || fy < 0 || fx >= ink.width - 1 || fy >= ink.height - 1) return 0;
  const ix = Math.floor(fx);
  const iy = Math.floor(fy);
  const a = fx - ix;
  const b = fy - iy;
  const k = iy * ink.width + ix;
  const c = ink.coverage;
  return (1 - b) * ((1 - a) * c[k]! + a * c[k + 1]!) + b * ((1 - a) * c[k + ink.width]! + a * c[k + ink.width + 1]!);
}

/** Everything needed to evaluate the object at any point. */
export interface World {
  params: ScrollParams;
  sheet: Sheet;
  nz: number;
  ink: InkMap;
  fibreH: SheetField;
  fibreV: SheetField;
  density: SheetField;
  thickness: SheetField;
  grain: SheetField;
}

export function makeFields(
  params: ScrollParams,
  maxLength: number,
  nz: number,
): Omit<World, 'params' | 'sheet' | 'nz' | 'ink'> {
  const pad = 8;
  const nu = Math.ceil(maxLength) + 2 * pad;
  const nzf = nz + 2 * pad;
  const f = (name: string, su: number, sz: number) =>
    SheetField.random(new Rng(seedFrom(params.seed, name)), nu, nzf, -pad, -pad, su, sz);
  return {
    fibreH: f('fibre-h', 6, 0.45),
    fibreV: f('fibre-v', 0.45, 6),
    density: f('density', 10, 10),
    thickness: f('thickness', 14, 14),
    grain: f('ink-grain', 0.5, 0.5),
  };
}

/** Grid → scan-A coordinates: (i, j) ↦ origin + R(angle)·(i, j) in the slice plane. */
export interface Frame {
  ox: number;
  oy: number;
  cos: number;
  sin: number;
}
export const IDENTITY_FRAME: Frame = { ox: 0, oy: 0, cos: 1, sin: 0 };

const ramp = (x: number) => (x <= -0.5 ? 0 : x >= 0.5 ? 1 : x + 0.5);

/** Object density at signed distance d (voxels, + toward the recto) from the centre line, at sheet position (u, z). */
export function material(w: World, scan: ScanParams, d: number, u: number, z: number, length: number): number {
  const p = w.params;
  const half = 0.5 * p.spiral.thickness * (1 + p.spiral.thicknessVar * clamp1(w.thickness.at(u, z)));
  if (d < -half - 0.5 || d > half + 0.6 + p.ink.lift) return 0;
  const ends = ramp(u) * ramp(length - u);
  const occ = ramp(d + half) * ramp(half - d) * ends;
  const ink = inkAt(w.ink, u, w.nz - 0.5 - z);
  const top = Math.min(1, Math.max(0, (d - (half - p.ink.depth - 0.1)) / 0.6));
  const recto = Math.min(1, Math.max(0, 0.5 + d / 0.8));
  const fib = recto * w.fibreH.at(u, z) + (1 - recto) * w.fibreV.at(u, z);
  let rho = occ * (1 + p.densityVar * w.density.at(u, z)) * (1 + p.fibre * fib * (1 - p.ink.fibreDamping * ink * top));
  if (ink > 0) {
    const inkOcc = ramp(d - (half - p.ink.depth)) * ramp(half + p.ink.lift - d) * ends;
    rho += ink * inkOcc * (1 + p.ink.grain * w.grain.at(u, z)) * scan.inkContrast;
  }
  return rho * scan.papyrus;
}

const clamp1 = (x: number) => (x < -1 ? -1 : x > 1 ? 1 : x);

export const AIR = 0.02;
const BAND = 3.2;

/**
 * Object density of the horizontal slice at height z (scan-A voxel units) on an `nx x ny` grid placed by `frame`.
 * Each grid point takes the nearest piece of the sheet's centre line (within a few voxels) and the material there.
 */
export function renderSlice(w: World, z: number, frame: Frame, nx: number, ny: number, scan: ScanParams): Float32Array {
  const c = w.sheet.curve(z);
  const n = c.u.length;
  const best = new Float32Array(nx * ny).fill(Infinity);
  const bestD = new Float32Array(nx * ny);
  const bestU = new Float32Array(nx * ny);
  // Centre line in grid coordinates: q = Rᵀ (p - o).
  const qx = new Float64Array(n);
  const qy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const dx = c.x[i]! - frame.ox;
    const dy = c.y[i]! - frame.oy;
    qx[i] = frame.cos * dx + frame.sin * dy;
    qy[i] = -frame.sin * dx + frame.cos * dy;
  }
  for (let k = 0; k + 1 < n; k++) {
    const ax = qx[k]!;
    const ay = qy[k]!;
    const ex = qx[k + 1]! - ax;
    const ey = qy[k + 1]! - ay;
    const len2 = ex * ex + ey * ey;
    if (len2 === 0) continue;
    const len = Math.sqrt(len2);
    const i0 = Math.max(0, Math.ceil(Math.min(ax, ax + ex) - BAND));
    const i1 = Math.min(nx - 1, Math.floor(Math.max(ax, ax + ex) + BAND));
    const j0 = Math.max(0, Math.ceil(Math.min(ay, ay + ey) - BAND));
    const j1 = Math.min(ny - 1, Math.floor(Math.max(ay, ay + ey) + BAND));
    const ua = c.u[k]!;
    const du = c.u[k + 1]! - ua;
    const first = k === 0;
    const last = k + 2 === n;
    for (let j = j0; j <= j1; j++)
      for (let i = i0; i <= i1; i++) {
        const px = i - ax;
        const py = j - ay;
        let t = (px * ex + py * ey) / len2;
        const tFree = t;
        if (t < 0) t = 0;
        else if (t > 1) t = 1;
        const rx = px - t * ex;
        const ry = py - t * ey;
        const dist2 = rx * rx + ry * ry;
        const g = j * nx + i;
        if (dist2 < best[g]!) {
          best[g] = dist2;
          // Signed distance along n = (e_y, -e_x)/|e|.
          bestD[g] = (px * ey - py * ex) / len;
          // Past the outer or inner end, u leaves [0, length] so the sheet ends there.
          const tu = (first && tFree < 0) || (last && tFree > 1) ? tFree : t;
          bestU[g] = ua + tu * du;
        }
      }
  }
  const out = new Float32Array(nx * ny).fill(AIR * scan.papyrus);
  const band2 = BAND * BAND;
  for (let g = 0; g < nx * ny; g++) {
    if (best[g]! > band2) continue;
    out[g]! += material(w, scan, bestD[g]!, bestU[g]!, z, c.length);
  }
  return out;
}

/** In-place separable Gaussian blur of a [nz, ny, nx] volume along one axis (0 = z, 1 = y, 2 = x); edges clamp. */
export function gaussBlurAxis(
  data: Float32Array,
  shape: [number, number, number],
  axis: 0 | 1 | 2,
  sigma: number,
): void {
  if (sigma <= 0) return;
  const [nz, ny, nx] = shape;
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  const len = shape[axis];
  const stride = axis === 2 ? 1 : axis === 1 ? nx : nx * ny;
  const line = new Float32Array(len);
  const lines: number[] = [];
  if (axis === 2) for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) lines.push((z * ny + y) * nx);
  else if (axis === 1) for (let z = 0; z < nz; z++) for (let x = 0; x < nx; x++) lines.push(z * ny * nx + x);
  else for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) lines.push(y * nx + x);
  for (const start of lines) {
    for (let i = 0; i < len; i++) line[i] = data[start + i * stride]!;
    for (let i = 0; i < len; i++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const m = i + k < 0 ? 0 : i + k >= len ? len - 1 : i + k;
        acc += kernel[k + radius]! * line[m]!;
      }
      data[start + i * stride] = acc;
    }
  }
}

/** Blur, cupping, rings and noise, in place, on an object-density volume [nz, ny, nx] (rotation axis = grid centre). */
export function applyScanner(vol: Float32Array, shape: [number, number, number], scan: ScanParams, rng: Rng): void {
  const [nz, ny, nx] = shape;
  for (const axis of [0, 1, 2] as const) gaussBlurAxis(vol, shape, axis, scan.blurSigma);
  const cx = (nx - 1) / 2;
  const cy = (ny - 1) / 2;
  const rMax = Math.hypot(cx, cy);
  // Ring artefacts: a radial profile of narrow rings at random radii, same in every slice but for a slow drift.
  const rings = new Float32Array(Math.ceil(rMax) + 2);
  const nRings = Math.round(rMax / 6);
  for (let k = 0; k < nRings; k++) {
    const r0 = rng.uniform(2, rMax);
    const amp = scan.rings * scan.papyrus * rng.gauss();
    for (let r = 0; r < rings.length; r++) rings[r]! += amp * Math.exp(-((r - r0) ** 2) / (2 * 0.45 * 0.45));
  }
  const ringDrift = rng.uniform(0, 2 * Math.PI);
  const shot = scan.shotNoise;
  for (let z = 0; z < nz; z++) {
    const ringGain = 1 + 0.3 * Math.sin(ringDrift + (2 * Math.PI * z) / nz);
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const g = (z * ny + y) * nx + x;
        const r = Math.hypot(x - cx, y - cy);
        const rr = r / rMax;
        let v = vol[g]! * (1 - scan.cupping * (1 - rr * rr));
        const ri = Math.floor(r);
        const f = r - ri;
        v += ringGain * ((1 - f) * rings[ri]! + f * rings[ri + 1]!);
        v +=
          shot * Math.sqrt(Math.max(v, 0) / scan.papyrus) * rng.gauss() + scan.gaussNoise * scan.papyrus * rng.gauss();
        vol[g] = v;
      }
  }
}

/** Scan A's 16-bit encoding of a density (air ≈ 10.6k, papyrus ≈ 40k). */
export const UINT16_OFFSET = 10_000;
export const UINT16_GAIN = 30_000;
export function toUint16(vol: Float32Array): Uint16Array {
  const out = new Uint16Array(vol.length);
  for (let i = 0; i < vol.length; i++) {
    const v = Math.round(UINT16_OFFSET + UINT16_GAIN * vol[i]!);
    out[i] = v < 0 ? 0 : v > 65535 ? 65535 : v;
  }
  return out;
}
