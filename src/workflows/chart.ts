/**
 * A small line chart for the demo report, drawn twice from the same numbers: an inline SVG (for report.html, with
 * axis titles and a legend in words) and a PNG (for report.md and for viewers without SVG; digits only, the legend
 * as coloured swatches explained by the caption). No chart library: a few dozen points on two axes.
 *
 *   const chart = { xLabel: 'steps', yLabel: 'held-out PSNR (dB)', series: [{ name: 'finetuned', points: [[50, 14.2], [100, 17.9]] }] };
 *   const svg = lineChartSvg(chart);           // '<svg …>…</svg>'
 *   await writeFile('transfer.png', lineChartPng(chart));
 */
import { encode as encodePng } from 'fast-png';
import { drawText, fillRect, GLYPH_H, GLYPH_W, type Rgba } from '../lm-conditioning/export/bitmap-font.js';

export interface Series {
  name: string;
  points: [number, number][];
}

export interface LineChart {
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
}

/** Colours of the series in order (also named in captions). */
export const SERIES_COLORS: { name: string; rgb: [number, number, number] }[] = [
  { name: 'blue', rgb: [31, 100, 200] },
  { name: 'orange', rgb: [230, 120, 20] },
  { name: 'green', rgb: [30, 150, 70] },
  { name: 'purple', rgb: [140, 60, 170] },
];

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  xTicks: number[];
  yTicks: number[];
}

/** A "nice" step (1, 2 or 5 × 10^k) giving about `count` ticks over [lo, hi]. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function frameOf(chart: LineChart): Frame {
  const width = chart.width ?? 640;
  const height = chart.height ?? 360;
  const pts = chart.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length === 0) throw new Error('lineChart: no finite points to draw');
  let x0 = Math.min(0, ...pts.map((p) => p[0]));
  let x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = Math.min(...pts.map((p) => p[1]));
  let y1 = Math.max(...pts.map((p) => p[1]));
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 - y0 < 1e-6) ((y0 -= 1), (y1 += 1));
  const pad = (y1 - y0) * 0.08;
  y0 -= pad;
  y1 += pad;
  const yTicks = niceTicks(y0, y1, 5);
  const xTicks = niceTicks(x0, x1, 6);
  y0 = Math.min(y0, yTicks[0]!);
  y1 = Math.max(y1, yTicks[yTicks.length - 1]!);
  x1 = Math.max(x1, xTicks[xTicks.length - 1]!);
  return { width, height, left: 64, right: 28, top: 16, bottom: 48, x0, x1, y0, y1, xTicks, yTicks };
}

const px = (f: Frame, x: number) => f.left + ((x - f.x0) / (f.x1 - f.x0)) * (f.width - f.left - f.right);
const py = (f: Frame, y: number) => f.height - f.bottom - ((y - f.y0) / (f.y1 - f.y0)) * (f.height - f.top - f.bottom);
const tickText = (v: number) =>
  Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : String(Number(v.toPrecision(3)));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChartSvg(chart: LineChart): string {
  const f = frameOf(chart);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="system-ui,sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  for (const t of f.yTicks) {
    const y = py(f, t).toFixed(1);
    out.push(
      `<line x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`,
      `<text x="${f.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickText(t)}</text>`,
    );
  }
  for (const t of f.xTicks) {
    const x = px(f, t).toFixed(1);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="#f0f0f0"/>`,
      `<text x="${x}" y="${f.height - f.bottom + 16}" text-anchor="middle">${tickText(t)}</text>`,
    );
  }
  out.push(
    `<rect x="${f.left}" y="${f.top}" width="${f.width - f.left - f.right}" height="${f.height - f.top - f.bottom}" fill="none" stroke="#888"/>`,
    `<text x="${(f.left + f.width - f.right) / 2}" y="${f.height - 8}" text-anchor="middle">${esc(chart.xLabel)}</text>`,
    `<text transform="translate(14 ${(f.top + f.height - f.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    const [r, g, b] = SERIES_COLORS[i % SERIES_COLORS.length]!.rgb;
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const color = `rgb(${r},${g},${b})`;
    if (pts.length > 1)
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([x, y]) => `${px(f, x).toFixed(1)},${py(f, y).toFixed(1)}`).join(' ')}"/>`,
      );
    for (const [x, y] of pts)
      out.push(
        `<circle cx="${px(f, x).toFixed(1)}" cy="${py(f, y).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)}: ${tickText(x)}, ${y.toFixed(2)}</title></circle>`,
      );
    const ly = f.top + 14 + i * 16;
    out.push(
      `<rect x="${f.left + 10}" y="${ly - 8}" width="14" height="4" fill="${color}"/>`,
      `<text x="${f.left + 30}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

function line(
  rgba: Uint8Array,
  w: number,
  h: number,
  xa: number,
  ya: number,
  xb: number,
  yb: number,
  color: Rgba,
  thick = 2,
): void {
  const n = Math.max(1, Math.ceil(Math.max(Math.abs(xb - xa), Math.abs(yb - ya))));
  for (let k = 0; k <= n; k++) {
    const x = Math.round(xa + ((xb - xa) * k) / n);
    const y = Math.round(ya + ((yb - ya) * k) / n);
    fillRect(rgba, w, h, x - (thick >> 1), y - (thick >> 1), thick, thick, color);
  }
}

/** The chart as an RGB(A) PNG: tick numbers in a bitmap font, series as coloured lines with square markers. */
export function lineChartPng(chart: LineChart): Uint8Array {
  const f = frameOf(chart);
  const { width: W, height: H } = f;
  const rgba = new Uint8Array(W * H * 4).fill(255);
  const grid: Rgba = [225, 225, 225, 255];
  const axis: Rgba = [120, 120, 120, 255];
  const ink: Rgba = [40, 40, 40, 255];
  for (const t of f.yTicks) {
    const y = Math.round(py(f, t));
    line(rgba, W, H, f.left, y, W - f.right, y, grid, 1);
    const label = tickText(t);
    drawText(rgba, W, H, label, f.left - 6 - label.length * (GLYPH_W + 1) * 2, y - GLYPH_H, 2, ink);
  }
  for (const t of f.xTicks) {
    const x = Math.round(px(f, t));
    line(rgba, W, H, x, f.top, x, H - f.bottom, grid, 1);
    const label = tickText(t);
    drawText(rgba, W, H, label, x - (label.length * (GLYPH_W + 1) * 2) / 2, H - f.bottom + 6, 2, ink);
  }
  line(rgba, W, H, f.left, f.top, f.left, H - f.bottom, axis, 1);
  line(rgba, W, H, f.left, H - f.bottom, W - f.right, H - f.bottom, axis, 1);
  chart.series.forEach((s, i) => {
    const [r, g, b] = SERIES_COLORS[i % SERIES_COLORS.length]!.rgb;
    const color: Rgba = [r, g, b, 255];
    const pts = s.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
      .map(([x, y]) => [Math.round(px(f, x)), Math.round(py(f, y))] as const);
    for (let k = 1; k < pts.length; k++)
      line(rgba, W, H, pts[k - 1]![0], pts[k - 1]![1], pts[k]![0], pts[k]![1], color, 2);
    for (const [x, y] of pts) fillRect(rgba, W, H, x - 3, y - 3, 7, 7, color);
    fillRect(rgba, W, H, f.left + 10, f.top + 10 + i * 14, 24, 6, color); // legend swatch, named in the caption
  });
  return encodePng({ width: W, height: H, data: rgba, channels: 4, depth: 8 });
}
