/**
 * An ink probability map over a segment's surface: [height, width] floats in [0, 1] (rows = the segment's y).
 *
 *   const map = inkMapFromBytes(bytes, h, w);                  // a uint8 'ink' prediction (255 = ink)
 *   const noisy = degradeInk(labels, { blur: 1, noise: 0.2, contrast: 0.6, seed: 1 });   // stand-in for a prediction
 */
import { seededRandom } from '../restore-eval.js';

export interface InkMap {
  width: number;
  height: number;
  data: Float32Array;
}

export function inkMapFromBytes(bytes: Uint8Array, height: number, width: number): InkMap {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = bytes[i]! / 255;
  return { width, height, data };
}

export function inkMapToBytes(map: InkMap): Uint8Array {
  return Uint8Array.from(map.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}

/** Separable Gaussian blur (sigma in pixels). */
export function blurMap(map: InkMap, sigma: number): InkMap {
  if (sigma <= 0) return { ...map, data: map.data.slice() };
  const r = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0);
  const { width: W, height: H } = map;
  const tmp = new Float32Array(W * H);
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r]! * map.data[y * W + Math.min(W - 1, Math.max(0, x + i))]!;
      tmp[y * W + x] = s / ks;
    }
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r]! * tmp[Math.min(H - 1, Math.max(0, y + i)) * W + x]!;
      out[y * W + x] = s / ks;
    }
  return { width: W, height: H, data: out };
}

export interface DegradeOptions {
  /** Gaussian blur sigma (px). */
  blur?: number;
  /** Std of added Gaussian noise (probability units). */
  noise?: number;
  /** Ink probability where the truth has ink (after blur), over a floor of (1 - contrast) / 2. */
  contrast?: number;
  seed?: number;
}

/**
 * A stand-in for a predicted ink map made from true ink labels: blurred, contrast reduced, Gaussian noise added.
 * Used only where no ink prediction exists yet (say so in any number it produces).
 */
export function degradeInk(labels: InkMap, opts: DegradeOptions = {}): InkMap {
  const blurred = blurMap(labels, opts.blur ?? 1);
  const rand = seededRandom(opts.seed ?? 1);
  const contrast = opts.contrast ?? 0.6;
  const noise = opts.noise ?? 0.2;
  const floor = (1 - contrast) / 2;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const data = blurred.data.map((v) => Math.min(1, Math.max(0, floor + contrast * v + noise * gauss())));
  return { width: labels.width, height: labels.height, data };
}
