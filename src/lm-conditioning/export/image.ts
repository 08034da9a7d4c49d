/**
 * The column picture: its ink probability (dark = ink, on a light ground), the read letters drawn beside each
 * letter box in colour (green = read with confidence, orange = uncertain, blue = supplied by the LM, red '?' =
 * lost), and a scale bar (1 mm, or 100 px when the pixel size is unknown). Encoded as PNG (fast-png) or TIFF (formats/tiff-writer).
 *
 *   const img = renderColumnImage(ink, [H, W], reading.columns[0], { pixelSizeUm: 7.91 });
 *   await writeFile('col1.png', encodePng(img));
 */
import { encode as encodePngRaw } from 'fast-png';
import { encodeTiff as encodeTiffImage } from '../../formats/tiff-writer.js';
import type { ReadColumn } from '../reading/reading-file.js';
import { UNDERDOT_THRESHOLD } from '../reading/reading-file.js';
import { drawText, fillRect, GLYPH_H, GLYPH_W, type Rgba } from './bitmap-font.js';

export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface ColumnImageOptions {
  pixelSizeUm?: number;
  threshold?: number;
  /** Margin (px) around the column's box. */
  margin?: number;
}

const COLORS: Record<'sure' | 'unsure' | 'lm' | 'lost', Rgba> = {
  sure: [0, 150, 60, 255],
  unsure: [230, 120, 0, 255],
  lm: [30, 90, 220, 255],
  lost: [210, 30, 30, 255],
};

/**
 * `ink` is the whole segment's ink probability map (uint8, 255 = ink) of shape [H, W]; the picture covers the
 * column's box (plus a margin) or the whole map when the column has none.
 */
export function renderColumnImage(
  ink: Uint8Array,
  shape: [number, number],
  column: ReadColumn,
  opts: ColumnImageOptions = {},
): RgbaImage {
  const [H, W] = shape;
  const margin = opts.margin ?? 8;
  const threshold = opts.threshold ?? UNDERDOT_THRESHOLD;
  const [bx0, by0, bx1, by1] = column.bbox ?? [0, 0, W, H];
  const x0 = Math.max(0, Math.floor(bx0) - margin);
  const y0 = Math.max(0, Math.floor(by0) - margin);
  const x1 = Math.min(W, Math.ceil(bx1) + margin);
  const y1 = Math.min(H, Math.ceil(by1) + margin);
  const width = Math.max(1, x1 - x0);
  const barSpace = 24;
  const height = Math.max(1, y1 - y0) + barSpace;
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const v = y < y1 - y0 ? 245 - Math.round((ink[(y + y0) * W + x + x0]! * 205) / 255) : 255;
      data[i] = v;
      data[i + 1] = Math.round(v * 0.96);
      data[i + 2] = Math.round(v * 0.86);
      data[i + 3] = 255;
    }
  }
  for (const line of column.lines) {
    for (const l of line.letters) {
      if (!l.bbox) continue;
      const [lx0, ly0, lx1, ly1] = l.bbox;
      const boxH = ly1 - ly0;
      const scale = Math.max(1, Math.floor(Math.min(boxH, (lx1 - lx0) * 1.4) / GLYPH_H / 1.6));
      const color =
        l.source === 'lm'
          ? COLORS.lm
          : l.source === 'lost'
            ? COLORS.lost
            : l.confidence < threshold
              ? COLORS.unsure
              : COLORS.sure;
      // Small letter in the top-left corner of its box, on a translucent white patch so it reads over the ink.
      const gx = Math.round(lx0 - x0);
      const gy = Math.round(ly0 - y0);
      fillRect(data, width, height, gx, gy, GLYPH_W * scale + 2, GLYPH_H * scale + 2, [255, 255, 255, 150]);
      drawText(data, width, height, l.char || '?', gx + 1, gy + 1, scale, color);
    }
  }
  // Scale bar: 1 mm when the pixel size is known (shortened to 0.5/0.2/0.1 mm to fit), else 100 px.
  let barPx = 100;
  let label = '100 px';
  if (opts.pixelSizeUm && opts.pixelSizeUm > 0) {
    for (const mm of [1, 0.5, 0.2, 0.1]) {
      barPx = Math.round((mm * 1000) / opts.pixelSizeUm);
      label = mm >= 1 ? `${mm} mm` : `${mm * 1000} µm`;
      if (barPx <= width - 60) break;
    }
  }
  barPx = Math.max(1, Math.min(barPx, width - 4));
  const by = height - barSpace + 8;
  fillRect(data, width, height, 4, by, barPx, 4, [0, 0, 0, 255]);
  drawText(data, width, height, label.replace('µm', 'µm'), 8 + barPx, by - 2, 1, [0, 0, 0, 255]);
  return { width, height, data };
}

export function encodePng(img: RgbaImage): Uint8Array {
  return encodePngRaw({ width: img.width, height: img.height, data: img.data, channels: 4, depth: 8 });
}

export function encodeTiff(img: RgbaImage): Uint8Array {
  return encodeTiffImage(img.data, img.width, img.height, 4);
}
