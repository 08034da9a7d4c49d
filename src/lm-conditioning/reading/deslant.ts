/**
 * Slant correction, as handwriting recognisers do it before reading: the hand's slant (how far a letter's top stands
 * right of its foot, per pixel of height) is the shear that makes the lines' vertical ink profiles sharpest, and each
 * line band is sheared about its centre row by it, so slanted letters stand upright and stop overlapping their
 * neighbours' columns. Measured on the map being read, so each scroll is corrected by its own hand.
 *
 *   const slant = estimateSlant(ink, lines, pitch);          // e.g. 0.18 for a hand leaning right
 *   const upright = deslant(ink, lines, pitch, slant);       // the same map, each line's rows shifted
 */
import type { InkMap } from './ink-map.js';
import type { LineBox } from './layout.js';

/** Slants tried: a hand leaning a little left to one leaning far right (a letter's top up to 0.4 heights over). */
export const SLANTS = Array.from({ length: 28 }, (_, i) => -0.14 + 0.02 * i);

/** Bilinear-in-x sample of row y at a fractional column (outside the map: 0). */
function rowAt(map: InkMap, y: number, x: number): number {
  const x0 = Math.floor(x);
  const f = x - x0;
  const at = (xx: number) => (xx < 0 || xx >= map.width ? 0 : map.data[y * map.width + xx]!);
  return (1 - f) * at(x0) + f * at(x0 + 1);
}

/** The rows of a line's band: centred on the line, half-height 0.45 of the pitch (as the reader's bands). */
function bandRows(line: LineBox, pitch: number, height: number): { yc: number; y0: number; y1: number } {
  const yc = Math.round((line.y0 + line.y1) / 2);
  const r = Math.round(0.45 * pitch);
  return { yc, y0: Math.max(0, yc - r), y1: Math.min(height - 1, yc + r) };
}

/**
 * Sharpness of the lines' column profiles at slant s: Σ over lines of Σ_x p(x)² / (Σ_x p(x))², p = the sheared
 * band's ink above the map's median, summed down each column.
 */
function profileSharpness(map: InkMap, lines: LineBox[], pitch: number, s: number, floor: number): number {
  let total = 0;
  for (const line of lines) {
    const { yc, y0, y1 } = bandRows(line, pitch, map.height);
    const pad = Math.ceil(Math.abs(s) * (y1 - y0)) + 1;
    const xs = Math.max(0, line.x0 - pad);
    const xe = Math.min(map.width, line.x1 + pad);
    const prof = new Float64Array(xe - xs);
    for (let y = y0; y <= y1; y++) {
      // Whole-pixel shifts: interpolating would blur every slant but 0 and so favour it.
      const shift = Math.round(s * (yc - y));
      for (let x = Math.max(xs, -shift); x < Math.min(xe, map.width - shift); x++)
        prof[x - xs] += Math.max(0, map.data[y * map.width + x + shift]! - floor);
    }
    let sum = 0;
    let sq = 0;
    for (const v of prof) ((sum += v), (sq += v * v));
    if (sum > 0) total += sq / (sum * sum);
  }
  return total;
}

/** The slant of SLANTS whose sheared lines have the sharpest column profiles (0 when there are no lines). */
export function estimateSlant(map: InkMap, lines: LineBox[], pitch: number): number {
  if (!lines.length) return 0;
  const sorted = Float32Array.from(map.data).sort();
  const floor = sorted[Math.floor(sorted.length / 2)]!;
  let best = 0;
  let bestScore = profileSharpness(map, lines, pitch, 0, floor);
  for (const s of SLANTS) {
    const v = profileSharpness(map, lines, pitch, s, floor);
    if (v > bestScore) ((bestScore = v), (best = s));
  }
  return best;
}

/** The map with each line's band sheared upright by `slant` about its centre row; rows outside every band kept. */
export function deslant(map: InkMap, lines: LineBox[], pitch: number, slant: number): InkMap {
  if (slant === 0 || !lines.length) return map;
  const data = map.data.slice();
  for (const line of lines) {
    const { yc, y0, y1 } = bandRows(line, pitch, map.height);
    // The line's own columns and a margin as wide as the shear: neighbouring columns' lines keep their rows.
    const pad = Math.ceil(Math.abs(slant) * (y1 - y0)) + 2;
    const xs = Math.max(0, line.x0 - pad);
    const xe = Math.min(map.width, line.x1 + pad);
    for (let y = y0; y <= y1; y++) {
      const shift = slant * (yc - y);
      for (let x = xs; x < xe; x++) data[y * map.width + x] = rowAt(map, y, x + shift);
    }
  }
  return { ...map, data };
}
