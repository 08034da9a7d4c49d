/**
 * A tiny 5x7 bitmap font for the 24 Greek capitals, digits and the few Latin letters scale-bar labels need, drawn
 * into an RGBA buffer at any integer scale. No font files, no native code.
 *
 *   drawText(rgba, width, height, 'ΛΟΓΟΣ', x, y, 3, [0, 90, 200, 255]);   // 15x21 px letters
 */
const G: Record<string, string> = {
  Α: '01110 10001 10001 11111 10001 10001 10001',
  Β: '11110 10001 10001 11110 10001 10001 11110',
  Γ: '11111 10000 10000 10000 10000 10000 10000',
  Δ: '00100 01010 01010 10001 10001 10001 11111',
  Ε: '11111 10000 10000 11110 10000 10000 11111',
  Ζ: '11111 00001 00010 00100 01000 10000 11111',
  Η: '10001 10001 10001 11111 10001 10001 10001',
  Θ: '01110 10001 10001 11111 10001 10001 01110',
  Ι: '01110 00100 00100 00100 00100 00100 01110',
  Κ: '10001 10010 10100 11000 10100 10010 10001',
  Λ: '00100 01010 01010 10001 10001 10001 10001',
  Μ: '10001 11011 10101 10101 10001 10001 10001',
  Ν: '10001 11001 10101 10011 10001 10001 10001',
  Ξ: '11111 00000 00000 01110 00000 00000 11111',
  Ο: '01110 10001 10001 10001 10001 10001 01110',
  Π: '11111 10001 10001 10001 10001 10001 10001',
  Ρ: '11110 10001 10001 11110 10000 10000 10000',
  Σ: '11111 10000 01000 00100 01000 10000 11111',
  Τ: '11111 00100 00100 00100 00100 00100 00100',
  Υ: '10001 10001 01010 00100 00100 00100 00100',
  Φ: '00100 01110 10101 10101 10101 01110 00100',
  Χ: '10001 10001 01010 00100 01010 10001 10001',
  Ψ: '10101 10101 10101 01110 00100 00100 00100',
  Ω: '01110 10001 10001 10001 01010 01010 11011',
  '0': '01110 10011 10101 10101 11001 10001 01110',
  '1': '00100 01100 00100 00100 00100 00100 01110',
  '2': '01110 10001 00001 00010 00100 01000 11111',
  '3': '11110 00001 00001 01110 00001 00001 11110',
  '4': '00010 00110 01010 10010 11111 00010 00010',
  '5': '11111 10000 11110 00001 00001 10001 01110',
  '6': '00110 01000 10000 11110 10001 10001 01110',
  '7': '11111 00001 00010 00100 01000 01000 01000',
  '8': '01110 10001 10001 01110 10001 10001 01110',
  '9': '01110 10001 10001 01111 00001 00010 01100',
  m: '00000 00000 11010 10101 10101 10101 10101',
  p: '00000 00000 11110 10001 11110 10000 10000',
  x: '00000 00000 10001 01010 00100 01010 10001',
  µ: '00000 00000 10001 10001 10011 11101 10000',
  '?': '01110 10001 00001 00010 00100 00000 00100',
  '.': '00000 00000 00000 00000 00000 01100 01100',
  ' ': '00000 00000 00000 00000 00000 00000 00000',
};

export const GLYPH_W = 5;
export const GLYPH_H = 7;

/** The 7 rows of 5 bits of a character ('?' when the font lacks it). */
export function glyphBitmap(ch: string): boolean[][] {
  return (G[ch] ?? G['?']!).split(' ').map((row) => [...row].map((b) => b === '1'));
}

export type Rgba = [number, number, number, number];

/** Alpha-blends `color` into pixel (x, y). */
export function blendPixel(rgba: Uint8Array, width: number, height: number, x: number, y: number, color: Rgba): void {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  const i = (y * width + x) * 4;
  const a = color[3] / 255;
  for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(rgba[i + c]! * (1 - a) + color[c]! * a);
  rgba[i + 3] = 255;
}

export function fillRect(
  rgba: Uint8Array,
  width: number,
  height: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  color: Rgba,
): void {
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) blendPixel(rgba, width, height, x, y, color);
}

/** Draws `text` with its top-left at (x, y); each font pixel is `scale` x `scale` image pixels. Returns the width drawn. */
export function drawText(
  rgba: Uint8Array,
  width: number,
  height: number,
  text: string,
  x: number,
  y: number,
  scale: number,
  color: Rgba,
): number {
  let cx = x;
  for (const ch of text) {
    const rows = (G[ch] ?? G['?']!).split(' ');
    rows.forEach((row, ry) => {
      for (let rx = 0; rx < GLYPH_W; rx++)
        if (row[rx] === '1') fillRect(rgba, width, height, cx + rx * scale, y + ry * scale, scale, scale, color);
    });
    cx += (GLYPH_W + 1) * scale;
  }
  return cx - x;
}
