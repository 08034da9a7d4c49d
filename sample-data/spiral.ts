/**
 * The rolled sheet's centre line in each horizontal slice: a squashed, warped spiral whose windings may touch but
 * never pass through each other. Arc length `u` runs from the outer end of the sheet (where the text begins) inward;
 * the recto normal `n = t × ẑ` (t = du tangent) points to the scroll centre, so that a viewer on the recto with z up
 * sees the text unmirrored.
 *
 *   const sheet = new Sheet(params.spiral, nz);
 *   const c = sheet.curve(40);            // { x, y, u, nx, ny, length }
 *   const p = sheet.pointAt(40, 123.5);   // centre-line point and recto normal at u = 123.5 in slice z = 40
 */
import type { SpiralParams } from './params.js';

export interface Curve {
  x: Float64Array;
  y: Float64Array;
  /** Arc length from the outer end. */
  u: Float64Array;
  /** Unit recto normal (toward the centre side of the sheet). */
  nx: Float64Array;
  ny: Float64Array;
  length: number;
}

const STEPS_PER_TURN = 1440;

export class Sheet {
  private cache = new Map<number, Curve>();

  constructor(
    readonly p: SpiralParams,
    readonly nz: number,
  ) {}

  /** The centre line at height z (any real z; integer z are cached). */
  curve(z: number): Curve {
    const hit = this.cache.get(z);
    if (hit) return hit;
    const c = this.compute(z);
    if (Number.isInteger(z)) this.cache.set(z, c);
    return c;
  }

  private compute(z: number): Curve {
    const p = this.p;
    const t = z / this.nz;
    const n = Math.round(p.windings * STEPS_PER_TURN) + 1;
    const dTheta = (2 * Math.PI) / STEPS_PER_TURN;
    const alpha = p.squashAngle + p.twist * (t - 0.5);
    const cx = p.centre[0] + p.drift[0] * (t - 0.5);
    const cy = p.centre[1] + p.drift[1] * (t - 0.5);
    const ca = Math.cos(alpha);
    const sa = Math.sin(alpha);
    const minGapBase = p.thickness * (1 + p.thicknessVar) + 0.25;
    const r = new Float64Array(n);
    const px = new Float64Array(n);
    const py = new Float64Array(n);
    const dir = p.clockwise ? -1 : 1;
    for (let i = 0; i < n; i++) {
      const theta = i * dTheta;
      let ri = p.innerRadius + (p.pitch * theta) / (2 * Math.PI);
      for (const w of p.warps) ri += w.amp * Math.sin(w.fTheta * theta + 2 * Math.PI * w.fZ * t + w.phase);
      // Arc length of the unwarped spiral, so crumples have the same wavelength on every turn.
      const s = p.innerRadius * theta + (p.pitch * theta * theta) / (4 * Math.PI);
      for (const c of p.crumples)
        ri += c.amp * Math.sin((2 * Math.PI * s) / c.wavelength + 2 * Math.PI * c.fZ * t + c.phase);
      if (i >= STEPS_PER_TURN) {
        // Windings may touch (the air gap closes) but not interpenetrate: keep one sheet thickness from the turn inside,
        // measured after squashing in this direction.
        const rel = theta * dir - alpha;
        const stretch = Math.hypot(Math.cos(rel), p.squash * Math.sin(rel));
        ri = Math.max(ri, r[i - STEPS_PER_TURN]! + minGapBase / stretch);
      }
      r[i] = ri;
      // Point on the unsquashed spiral in the squash frame, then squash and rotate.
      const rel = theta * dir - alpha;
      const a = ri * Math.cos(rel);
      const b = ri * Math.sin(rel) * p.squash;
      px[i] = cx + a * ca - b * sa;
      py[i] = cy + a * sa + b * ca;
    }
    // Reverse so index 0 is the outer end, and measure arc length inward.
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = px[n - 1 - i]!;
      y[i] = py[n - 1 - i]!;
    }
    const u = new Float64Array(n);
    for (let i = 1; i < n; i++) u[i] = u[i - 1]! + Math.hypot(x[i]! - x[i - 1]!, y[i]! - y[i - 1]!);
    const nx = new Float64Array(n);
    const ny = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const i0 = Math.max(0, i - 1);
      const i1 = Math.min(n - 1, i + 1);
      const tx = x[i1]! - x[i0]!;
      const ty = y[i1]! - y[i0]!;
      const len = Math.hypot(tx, ty) || 1;
      // n = t × ẑ = (t_y, -t_x)
      nx[i] = ty / len;
      ny[i] = -tx / len;
    }
    return { x, y, u, nx, ny, length: u[n - 1]! };
  }

  /** Centre-line point and unit recto normal at arc length u of slice z (linear between samples; u clamped). */
  pointAt(z: number, u: number): { x: number; y: number; nx: number; ny: number } {
    const c = this.curve(z);
    const n = c.u.length;
    if (u <= 0) return { x: c.x[0]!, y: c.y[0]!, nx: c.nx[0]!, ny: c.ny[0]! };
    if (u >= c.length) return { x: c.x[n - 1]!, y: c.y[n - 1]!, nx: c.nx[n - 1]!, ny: c.ny[n - 1]! };
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (c.u[mid]! <= u) lo = mid;
      else hi = mid;
    }
    const f = (u - c.u[lo]!) / (c.u[hi]! - c.u[lo]! || 1);
    const nxv = c.nx[lo]! + f * (c.nx[hi]! - c.nx[lo]!);
    const nyv = c.ny[lo]! + f * (c.ny[hi]! - c.ny[lo]!);
    const nl = Math.hypot(nxv, nyv) || 1;
    return {
      x: c.x[lo]! + f * (c.x[hi]! - c.x[lo]!),
      y: c.y[lo]! + f * (c.y[hi]! - c.y[lo]!),
      nx: nxv / nl,
      ny: nyv / nl,
    };
  }
}
