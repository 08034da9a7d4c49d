/**
 * Ink maps of other scrolls, readouts and contrasts made alike before reading: contrast (the median — the papyrus
 * between letters — goes to 0.1, the 99th percentile — the darkest strokes — to 0.9, clamped to [0, 1], so the map
 * stays an ink probability and noise keeps most of its shape) and scale (a map resampled so its letters are as tall as those a glyph model was learned on).
 *
 *   const norm = normalizeInk(prediction);            // median 0.1, 99th percentile 0.9
 *   const same = rescaleInk(norm, 12 / 11);           // 11 px letters → 12 px (bilinear)
 */
import type { InkMap } from './ink-map.js';

export function normalizeInk(map: InkMap): InkMap {
  const sorted = Float32Array.from(map.data).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const lo = at(0.5);
  const hi = Math.max(lo + 1e-6, at(0.99));
  return {
    width: map.width,
    height: map.height,
    data: map.data.map((v) => Math.min(1, Math.max(0, 0.1 + (0.8 * (v - lo)) / (hi - lo)))),
  };
}

/** The map resampled by `scale` (output size = round(size · scale)), bilinear; scale 1 returns the map itself. */
export function rescaleInk(map: InkMap, scale: number): InkMap {
  if (scale === 1) return map;
  const width = Math.max(1, Math.round(map.width * scale));
  const height = Math.max(1, Math.round(map.height * scale));
  const data = new Float32Array(width * height);
  const { width: W, height: H } = map;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(H - 1, Math.max(0, (y + 0.5) / scale - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(H - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(W - 1, Math.max(0, (x + 0.5) / scale - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(W - 1, x0 + 1);
      const fx = sx - x0;
      const a = map.data[y0 * W + x0]! * (1 - fx) + map.data[y0 * W + x1]! * fx;
      const b = map.data[y1 * W + x0]! * (1 - fx) + map.data[y1 * W + x1]! * fx;
      data[y * width + x] = a * (1 - fy) + b * fy;
    }
  }
  return { width, height, data };
}
