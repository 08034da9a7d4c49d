/**
 * How well glyphs learned on one map explain the ink of another map read at a given scale, in the other map's own
 * pixels, so that scales compare fairly. The map is rescaled, every sampled line is decoded with the glyphs alone
 * (exact best path), the placed templates are drawn into a picture of the scaled map (floor lo, ink lo + (hi - lo) ·
 * shape), that picture is brought back to the original size, and the fit is the fraction of the original map's ink
 * variance in the sampled line bands that it explains: 1 - Σ(q - drawn)² / Σ(q - lo)². Unlike a mean letter
 * confidence or a path log-likelihood ratio measured on the rescaled map (both grow with the scale: more pixels,
 * smoother data), the pixels summed over are the same at every scale.
 *
 *   const bands = sampleBands(norm, 8);
 *   const fit = explainedInk(norm, glyphs, 1.07, bands);   // e.g. 0.36
 */
import { bestShift, lineBand, scoreTable, type Band, type GlyphModel } from './glyphs.js';
import type { InkMap } from './ink-map.js';
import { estimatePitch, findColumns } from './layout.js';
import { rescaleInk } from './normalize.js';

/** Up to `count` line bands spread over the page (every k-th line found), in the map's own pixels. */
export function sampleBands(map: InkMap, count: number): Band[] {
  const pitch = estimatePitch(map);
  const lines = findColumns(map, pitch).flatMap((c) => c.lines);
  const step = Math.max(1, Math.ceil(lines.length / count));
  return lines.filter((_, i) => i % step === 0).map((l) => lineBand(l, pitch));
}

/**
 * The best letter sequence on a line from its score table alone (no LM): at each x skip a pixel or place letter c
 * there, which moves on by its template width - 1 (the decoder's rule, decode.ts). Returns the placed letters.
 */
export function bestPath(table: Float64Array[], widths: number[], n: number): { c: number; x: number }[] {
  const maxW = Math.max(...widths);
  const best = new Float64Array(n + maxW).fill(-Infinity);
  const from = new Int32Array(n + maxW).fill(-1);
  const letter = new Int32Array(n + maxW).fill(-1);
  best[0] = 0;
  for (let x = 0; x < n; x++) {
    const s0 = best[x]!;
    if (s0 === -Infinity) continue;
    if (s0 > best[x + 1]!) ((best[x + 1] = s0), (from[x + 1] = x), (letter[x + 1] = -1));
    for (let c = 0; c < widths.length; c++) {
      const nx = x + widths[c]! - 1;
      const s = s0 + table[c]![x]!;
      if (s > best[nx]!) ((best[nx] = s), (from[nx] = x), (letter[nx] = c));
    }
  }
  let end = n;
  for (let x = n; x < best.length; x++) if (best[x]! > best[end]!) end = x;
  const placed: { c: number; x: number }[] = [];
  for (let x = end; x > 0 && from[x]! >= 0; x = from[x]!)
    if (letter[x]! >= 0) placed.push({ c: letter[x]!, x: from[x]! });
  return placed.reverse();
}

/** Fraction of the ink variance in `bands` (pixels of `norm`) that the glyphs explain when the map is read at `scale`. */
export function explainedInk(norm: InkMap, glyphs: GlyphModel, scale: number, bands: Band[]): number {
  const map = rescaleInk(norm, scale);
  const lo = glyphs.gauss?.lo ?? glyphs.background;
  const hi = glyphs.gauss?.hi ?? 1;
  // Templates hold shapes in [0, 1] with the Gaussian model, ink probabilities otherwise.
  const ink = (t: number) => (glyphs.gauss ? lo + (hi - lo) * t : t);
  const widths = glyphs.templates.map((t) => t.width);
  const maxW = Math.max(...widths);
  const h = 2 * glyphs.r + 1;
  const drawn = new Float32Array(map.width * map.height).fill(lo);
  for (const b0 of bands) {
    const band: Band = {
      yc: Math.round(b0.yc * scale),
      r: glyphs.r,
      xs: Math.round(b0.xs * scale) - 2,
      xe: Math.round(b0.xe * scale) + 2,
    };
    const table = scoreTable(glyphs, map, { ...band, xe: band.xe + maxW });
    for (const { c, x } of bestPath(table, widths, band.xe - band.xs)) {
      // The vertical shift the score table chose for this letter here.
      const tpl = glyphs.templates[c]!;
      const dyBest = bestShift(glyphs, map, band, c, band.xs + x);
      for (let i = 0; i < h; i++)
        for (let j = 0; j < tpl.width; j++) {
          const y = band.yc + dyBest - glyphs.r + i;
          const xx = band.xs + x + j;
          if (y < 0 || xx < 0 || y >= map.height || xx >= map.width) continue;
          const k = y * map.width + xx;
          drawn[k] = Math.max(drawn[k]!, ink(tpl.t[i * tpl.width + j]!));
        }
    }
  }
  const back =
    scale === 1
      ? { width: map.width, height: map.height, data: drawn }
      : rescaleInk({ width: map.width, height: map.height, data: drawn }, 1 / scale);
  let residual = 0;
  let total = 0;
  for (const b of bands)
    for (let y = Math.max(0, b.yc - b.r); y <= Math.min(norm.height - 1, back.height - 1, b.yc + b.r); y++)
      for (let x = Math.max(0, b.xs); x < Math.min(b.xe, back.width); x++) {
        const q = norm.data[y * norm.width + x]!;
        residual += (q - back.data[y * back.width + x]!) ** 2;
        total += (q - lo) ** 2;
      }
  return total > 0 ? 1 - residual / total : 0;
}
