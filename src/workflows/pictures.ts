/**
 * The demo's ink pictures: one PNG per segment with four bands stacked top to bottom, all on the flattened segment
 * grid — the observed surface layer (contrast-stretched), the predicted ink probability (dark = ink), the truth
 * labels, and the thresholded prediction against the truth (white = hit, red = false ink, blue = missed ink). A yellow
 * line marks the end of the labelled region (the readout learned left of it; right of it is what it had to recover).
 *
 *   const png = inkComparisonPng({ height, width, surface, prob, truth, threshold, labelledXMax: 208 });
 *   await writeFile('ink-s1.png', png);
 */
import { encode as encodePng } from 'fast-png';

export interface InkPicture {
  height: number;
  width: number;
  /** The observed surface layer (bytes, [H*W]). */
  surface: Uint8Array;
  /** Ink probability in [0, 1], [H*W]. */
  prob: Float32Array;
  /** Truth labels, > 127 = ink, [H*W]. */
  truth: Uint8Array;
  threshold: number;
  /** Papyrus pixels (non-zero); outside it the bands are dimmed. */
  sheetMask?: Uint8Array;
  /** Column where the labelled region ends (omitted when the segment had no labels). */
  labelledXMax?: number;
}

const GAP = 4;

/** Bytes stretched between their 1st and 99th percentile. */
function stretch(v: Uint8Array): Uint8Array {
  const hist = new Uint32Array(256);
  for (const x of v) hist[x]!++;
  const at = (q: number) => {
    let acc = 0;
    for (let i = 0; i < 256; i++) if ((acc += hist[i]!) >= q * v.length) return i;
    return 255;
  };
  const lo = at(0.01);
  const hi = Math.max(lo + 1, at(0.99));
  return Uint8Array.from(v, (x) => Math.max(0, Math.min(255, Math.round(((x - lo) / (hi - lo)) * 255))));
}

export function inkComparisonPng(p: InkPicture): Uint8Array {
  const { height: H, width: W } = p;
  const n = H * W;
  for (const [what, a] of [
    ['surface', p.surface],
    ['prob', p.prob],
    ['truth', p.truth],
  ] as const)
    if (a.length !== n) throw new Error(`inkComparisonPng: ${what} has ${a.length} values, expected ${W}x${H}`);
  const bands = 4;
  const outH = bands * H + (bands - 1) * GAP;
  const rgb = new Uint8Array(outH * W * 3).fill(255);
  const put = (band: number, i: number, r: number, g: number, b: number) => {
    const y = Math.floor(i / W);
    const x = i - y * W;
    const dim = p.sheetMask && p.sheetMask[i] === 0 ? 0.55 : 1;
    const o = ((band * (H + GAP) + y) * W + x) * 3;
    rgb[o] = r * dim;
    rgb[o + 1] = g * dim;
    rgb[o + 2] = b * dim;
  };
  const surface = stretch(p.surface);
  for (let i = 0; i < n; i++) {
    const s = surface[i]!;
    put(0, i, s, s, s);
    const q = 255 - Math.round(Math.max(0, Math.min(1, p.prob[i]!)) * 255);
    put(1, i, q, q, q);
    const t = p.truth[i]! > 127;
    put(2, i, t ? 0 : 255, t ? 0 : 255, t ? 0 : 255);
    const pred = p.prob[i]! >= p.threshold;
    if (pred && t) put(3, i, 255, 255, 255);
    else if (pred) put(3, i, 230, 40, 40);
    else if (t) put(3, i, 50, 110, 255);
    else put(3, i, 25, 25, 25);
  }
  if (p.labelledXMax !== undefined && p.labelledXMax > 0 && p.labelledXMax < W) {
    for (let y = 0; y < outH; y++) {
      const o = (y * W + p.labelledXMax) * 3;
      rgb[o] = 250;
      rgb[o + 1] = 200;
      rgb[o + 2] = 0;
    }
  }
  return encodePng({ width: W, height: outH, data: rgb, channels: 3, depth: 8 });
}
