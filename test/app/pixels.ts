/**
 * Pixel checks on PNG screenshots for the browser tests: decode, luminance statistics, and the screen position of
 * a grid pixel in a freshly fitted slice view (same fit as src/viewer/slice-view.ts).
 *
 *   const img = decodeRgb(await locator.screenshot());
 *   stats(img).std > 10
 */
import { decode } from 'fast-png';

export interface Rgb {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  data: Uint8Array;
}

export function decodeRgb(png: Buffer | Uint8Array): Rgb {
  const img = decode(png);
  const ch = img.channels;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 4);
  const src = img.data as Uint8Array;
  for (let i = 0; i < n; i++) {
    out[i * 4] = src[i * ch]!;
    out[i * 4 + 1] = src[i * ch + (ch >= 3 ? 1 : 0)]!;
    out[i * 4 + 2] = src[i * ch + (ch >= 3 ? 2 : 0)]!;
    out[i * 4 + 3] = ch === 4 || ch === 2 ? src[i * ch + ch - 1]! : 255;
  }
  return { width: img.width, height: img.height, data: out };
}

export function lum(img: Rgb, x: number, y: number): number {
  const i = (Math.round(y) * img.width + Math.round(x)) * 4;
  return (img.data[i]! + img.data[i + 1]! + img.data[i + 2]!) / 3;
}

export function rgbAt(img: Rgb, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 4;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

export function stats(img: Rgb): { mean: number; std: number; nonBlack: number } {
  let s = 0;
  let s2 = 0;
  let nonBlack = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const l = (img.data[i * 4]! + img.data[i * 4 + 1]! + img.data[i * 4 + 2]!) / 3;
    s += l;
    s2 += l * l;
    if (l > 30) nonBlack++;
  }
  const mean = s / n;
  return { mean, std: Math.sqrt(Math.max(0, s2 / n - mean * mean)), nonBlack: nonBlack / n };
}

/** Mean absolute difference of two same-size images (luminance). */
export function meanAbsDiff(a: Rgb, b: Rgb): number {
  let d = 0;
  const n = Math.min(a.width * a.height, b.width * b.height);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) d += Math.abs(a.data[i * 4 + c]! - b.data[i * 4 + c]!);
  return d / (3 * n);
}

/** Screen position (CSS px in the view's screenshot) of the centre of grid pixel (row, col), view fitted, zoom 1. */
export function gridToScreen(
  view: { width: number; height: number },
  grid: { rows: number; cols: number; spacing: [number, number] },
  row: number,
  col: number,
): [number, number] {
  const w = grid.cols * grid.spacing[1];
  const h = grid.rows * grid.spacing[0];
  const aspect = view.width / view.height;
  const halfH = Math.max(h / 2, w / 2 / aspect) * 1.04;
  const pxPerUm = view.height / (2 * halfH);
  return [
    view.width / 2 + ((col + 0.5) * grid.spacing[1] - w / 2) * pxPerUm,
    view.height / 2 + ((row + 0.5) * grid.spacing[0] - h / 2) * pxPerUm,
  ];
}
