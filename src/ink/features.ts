/**
 * Intensity features for the ink readout: a band of layers around the surface, normalised per segment and per layer
 * (robust centre and spread over the sheet), so a scan with another contrast or brightness reads the same. Channels
 * last ([height, width, channels]), as TensorFlow.js convolutions want. No address, no position: only intensities.
 *
 *   const x = layerBand(seg, { from: 24, to: 40 });     // Float32Array [H, W, 17]
 *   const s = boxSmooth(x, H, W, 17, 2);                  // 5x5 box mean of every channel
 */
import type { InkSegment } from './segment.js';
import { InkInputError } from './segment.js';

/** Inclusive layer range [from, to], in the segment's layer indices. */
export interface LayerBand {
  from: number;
  to: number;
}

export const bandSize = (b: LayerBand): number => b.to - b.from + 1;

/** The p-th quantile (0..1) of the values at `idx` (strided sample of at most 100k). */
function quantiles(values: Uint8Array, offset: number, idx: Uint32Array, ps: number[]): number[] {
  const hist = new Float64Array(256);
  const stride = Math.max(1, Math.floor(idx.length / 100_000));
  let n = 0;
  for (let k = 0; k < idx.length; k += stride) {
    hist[values[offset + idx[k]!]!]!++;
    n++;
  }
  return ps.map((p) => {
    const target = p * n;
    let acc = 0;
    for (let v = 0; v < 256; v++) {
      acc += hist[v]!;
      if (acc >= target) return v;
    }
    return 255;
  });
}

/**
 * Layers `band.from..band.to` of the segment as floats, each layer centred on its median over the sheet and divided
 * by its inter-quartile spread (IQR / 1.349, a robust standard deviation). Pixels off the sheet become 0.
 */
export function layerBand(seg: InkSegment, band: LayerBand): Float32Array {
  if (band.from < 0 || band.to >= seg.depth || band.from > band.to)
    throw new InkInputError(`layer band ${band.from}..${band.to} outside 0..${seg.depth - 1}`, seg.name);
  const plane = seg.height * seg.width;
  const channels = bandSize(band);
  const sheet = seg.sheetMask;
  let count = 0;
  for (let i = 0; i < plane; i++) if (!sheet || sheet[i] !== 0) count++;
  const idx = new Uint32Array(count);
  for (let i = 0, j = 0; i < plane; i++) if (!sheet || sheet[i] !== 0) idx[j++] = i;
  const out = new Float32Array(plane * channels);
  for (let c = 0; c < channels; c++) {
    const offset = (band.from + c) * plane;
    const [q1, med, q3] = quantiles(seg.layers, offset, idx, [0.25, 0.5, 0.75]);
    const spread = Math.max((q3! - q1!) / 1.349, 1);
    for (let i = 0; i < plane; i++) {
      out[i * channels + c] = !sheet || sheet[i] !== 0 ? (seg.layers[offset + i]! - med!) / spread : 0;
    }
  }
  return out;
}

/** Box mean over a (2r+1)^2 window of every channel of a [H, W, C] image (edges use the pixels that exist). */
export function boxSmooth(
  x: Float32Array,
  height: number,
  width: number,
  channels: number,
  radius: number,
): Float32Array {
  const tmp = new Float32Array(x.length);
  const out = new Float32Array(x.length);
  // rows, then columns (separable)
  for (let y = 0; y < height; y++) {
    for (let xx = 0; xx < width; xx++) {
      const a = Math.max(0, xx - radius),
        b = Math.min(width - 1, xx + radius);
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let k = a; k <= b; k++) s += x[(y * width + k) * channels + c]!;
        tmp[(y * width + xx) * channels + c] = s / (b - a + 1);
      }
    }
  }
  for (let y = 0; y < height; y++) {
    const a = Math.max(0, y - radius),
      b = Math.min(height - 1, y + radius);
    for (let xx = 0; xx < width; xx++) {
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let k = a; k <= b; k++) s += tmp[(k * width + xx) * channels + c]!;
        out[(y * width + xx) * channels + c] = s / (b - a + 1);
      }
    }
  }
  return out;
}

/**
 * Local contrast normalisation of every channel of a [H, W, C] image: subtract the (2r+1)^2 box mean and divide by
 * the box standard deviation, so slow changes of brightness and contrast along the sheet (windings, cupping, density)
 * read the same everywhere. `radius` should be larger than a letter so the ink itself is not normalised away.
 */
export function localNormalise(
  x: Float32Array,
  height: number,
  width: number,
  channels: number,
  radius: number,
): Float32Array {
  const mean = boxSmooth(x, height, width, channels, radius);
  const centred = new Float32Array(x.length);
  const sq = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    centred[i] = x[i]! - mean[i]!;
    sq[i] = centred[i]! * centred[i]!;
  }
  const variance = boxSmooth(sq, height, width, channels, radius);
  for (let i = 0; i < x.length; i++) centred[i] = centred[i]! / Math.sqrt(variance[i]! + 0.05);
  return centred;
}
