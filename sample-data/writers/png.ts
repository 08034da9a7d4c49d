/**
 * PNG files of the sample (labels, masks, previews) through fast-png: 8-bit gray or RGB.
 *
 *   await writeFile('mask.png', encodeGrayPng(mask, width, height));
 */
import { encode } from 'fast-png';

export function encodeGrayPng(data: Uint8Array, width: number, height: number): Uint8Array {
  if (data.length !== width * height) throw new Error(`encodeGrayPng: ${data.length} values for ${width}x${height}`);
  return encode({ width, height, data, channels: 1, depth: 8 });
}

export function encodeRgbPng(data: Uint8Array, width: number, height: number): Uint8Array {
  if (data.length !== 3 * width * height)
    throw new Error(`encodeRgbPng: ${data.length} values for ${width}x${height}x3`);
  return encode({ width, height, data, channels: 3, depth: 8 });
}

/** Window a float/uint16 image to 8 bits between the given percentiles of `sample` (or of the image itself). */
export function windowTo8bit(values: ArrayLike<number>, lo: number, hi: number): Uint8Array {
  const out = new Uint8Array(values.length);
  const scale = 255 / Math.max(hi - lo, 1e-9);
  for (let i = 0; i < values.length; i++) {
    const v = (values[i]! - lo) * scale;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return out;
}

/** The p-th percentile (0..1) of a numeric array, from a strided sample of at most 200k values. */
export function percentile(values: ArrayLike<number>, p: number): number {
  const stride = Math.max(1, Math.floor(values.length / 200_000));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += stride) sample.push(values[i]!);
  sample.sort((a, b) => a - b);
  return sample[Math.min(sample.length - 1, Math.max(0, Math.round(p * (sample.length - 1))))]!;
}
