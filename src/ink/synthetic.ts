/**
 * A synthetic layered segment for tests and benchmarks of the ink readout: a sheet around the surface layer with
 * fibre texture, faint ink strokes (letter-like, in lines) that change density for a few layers at the surface, blur
 * and noise; labels on the first `labelledFraction` of the columns and the full truth beside them. Contrast, noise
 * and brightness are parameters, so a "second scroll" can look different.
 *
 *   const { segment, truth } = syntheticSegment({ seed: 1, height: 96, width: 300 });
 */
import { gaussian, mulberry32 } from '../core/random.js';
import type { InkSegment } from './segment.js';

export interface SyntheticOptions {
  seed?: number;
  depth?: number;
  height?: number;
  width?: number;
  /** Ink effect in units of the noise std, per layer at the surface. */
  inkContrast?: number;
  /** Noise std in grey levels. */
  noise?: number;
  /** Sheet brightness (grey level). */
  brightness?: number;
  /** Fraction of the columns (from the left) whose labels are known. */
  labelledFraction?: number;
  /** Which way ink changes the density (+1 brighter, -1 darker). */
  inkSign?: number;
  /** Layer of the strongest ink effect, relative to the surface (default 0). */
  inkOffset?: number;
}

export function syntheticSegment(opts: SyntheticOptions = {}): { segment: InkSegment; truth: Uint8Array } {
  const seed = opts.seed ?? 1;
  const depth = opts.depth ?? 65;
  const H = opts.height ?? 96;
  const W = opts.width ?? 300;
  const noise = opts.noise ?? 12;
  const contrast = (opts.inkContrast ?? 0.6) * noise;
  const brightness = opts.brightness ?? 110;
  const sign = opts.inkSign ?? 1;
  const rand = mulberry32(seed);
  const surface = Math.floor(depth / 2);
  // ink strokes: lines of letters, each 2-3 random strokes in a box
  const ink = new Float32Array(H * W);
  const lineHeight = 16,
    letterW = 9,
    letterH = 10;
  for (let top = 4; top + letterH < H - 2; top += lineHeight) {
    for (let left = 3; left + letterW < W - 2; left += letterW + 2 + Math.floor(rand() * 3)) {
      if (rand() < 0.08) continue; // a gap
      const strokes = 2 + Math.floor(rand() * 2);
      for (let s = 0; s < strokes; s++) {
        const ax = left + rand() * letterW,
          ay = top + rand() * letterH;
        const bx = left + rand() * letterW,
          by = top + rand() * letterH;
        const len = Math.hypot(bx - ax, by - ay) + 1;
        for (let t = 0; t <= len * 2; t++) {
          const x = ax + ((bx - ax) * t) / (len * 2),
            y = ay + ((by - ay) * t) / (len * 2);
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const yy = Math.round(y + dy * 0.6),
                xx = Math.round(x + dx * 0.6);
              if (yy >= 0 && yy < H && xx >= 0 && xx < W) ink[yy * W + xx] = 1;
            }
        }
      }
    }
  }
  const truth = new Uint8Array(H * W);
  for (let i = 0; i < H * W; i++) truth[i] = ink[i]! > 0 ? 255 : 0;
  // fibre texture (horizontal + vertical), per pixel
  const rowF = Float32Array.from({ length: H }, () => gaussian(rand));
  const colF = Float32Array.from({ length: W }, () => gaussian(rand));
  const layers = new Uint8Array(depth * H * W);
  for (let d = 0; d < depth; d++) {
    // sheet profile: dense at the surface, fading over ~5 layers
    const profile = Math.exp(-(((d - surface + 1) / 4) ** 2));
    const inkWeight = Math.exp(-(((d - surface - (opts.inkOffset ?? 0)) / 1.5) ** 2));
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        const texture = 4 * (rowF[y]! + colF[x]!) * profile;
        const v = 20 + brightness * profile + texture + sign * contrast * inkWeight * ink[i]! + noise * gaussian(rand);
        layers[d * H * W + i] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  const labelledFraction = opts.labelledFraction ?? 1 / 3;
  const cut = Math.round(W * labelledFraction);
  const labelledMask = new Uint8Array(H * W);
  const labels = new Uint8Array(H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < cut; x++) {
      labelledMask[y * W + x] = 1;
      labels[y * W + x] = truth[y * W + x]!;
    }
  return {
    segment: { name: `synthetic-${seed}`, depth, height: H, width: W, surface, layers, labels, labelledMask },
    truth,
  };
}

/** The positional guess: each row's ink rate in the labelled region, as a probability for every pixel of that row. */
export function rowPrior(seg: InkSegment): Float32Array {
  const out = new Float32Array(seg.height * seg.width);
  for (let y = 0; y < seg.height; y++) {
    let ink = 0,
      n = 0;
    for (let x = 0; x < seg.width; x++) {
      const i = y * seg.width + x;
      if (!seg.labels || (seg.labelledMask && !seg.labelledMask[i])) continue;
      n++;
      if (seg.labels[i]! > 127) ink++;
    }
    out.fill(n ? ink / n : 0, y * seg.width, (y + 1) * seg.width);
  }
  return out;
}
