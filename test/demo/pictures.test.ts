/**
 * The report's pictures from known inputs: the ink comparison puts each band where it belongs with the right colours,
 * the line chart puts its series where the numbers say, and the report writes both formats.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { lineChartPng, lineChartSvg } from '../../src/workflows/chart.js';
import { inkComparisonPng } from '../../src/workflows/pictures.js';
import { Report } from '../../src/workflows/report.js';

const rgbAt = (png: ReturnType<typeof decode>, x: number, y: number) => {
  const c = png.channels;
  const i = (y * png.width + x) * c;
  return [png.data[i], png.data[i + 1], png.data[i + 2]];
};

describe('inkComparisonPng', () => {
  const W = 40,
    H = 10;
  const surface = Uint8Array.from({ length: W * H }, (_, i) => i % 256);
  const truth = new Uint8Array(W * H);
  const prob = new Float32Array(W * H);
  // x 0..9: hit; 10..19: false ink; 20..29: missed; 30..39: background
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      truth[y * W + x] = x < 10 || (x >= 20 && x < 30) ? 255 : 0;
      prob[y * W + x] = x < 20 ? 0.9 : 0.1;
    }
  const png = decode(inkComparisonPng({ height: H, width: W, surface, prob, truth, threshold: 0.5, labelledXMax: 35 }));

  it('stacks four bands with gaps on the segment grid', () => {
    expect([png.width, png.height]).toEqual([W, 4 * H + 12]);
  });

  it('draws probability dark where ink is likely, truth black where ink is', () => {
    const band = (b: number, x: number) => rgbAt(png, x, b * (H + 4) + 3);
    expect(band(1, 5)[0]).toBeLessThan(40); // prob 0.9 → dark
    expect(band(1, 25)[0]).toBeGreaterThan(200); // prob 0.1 → light
    expect(band(2, 5)).toEqual([0, 0, 0]);
    expect(band(2, 15)).toEqual([255, 255, 255]);
  });

  it('colours hits, false ink and misses, and marks the end of the labelled region', () => {
    const y = 3 * (H + 4) + 3;
    expect(rgbAt(png, 5, y)).toEqual([255, 255, 255]);
    expect(rgbAt(png, 15, y)).toEqual([230, 40, 40]);
    expect(rgbAt(png, 25, y)).toEqual([50, 110, 255]);
    expect(rgbAt(png, 32, y)).toEqual([25, 25, 25]);
    expect(rgbAt(png, 35, y)).toEqual([250, 200, 0]);
  });

  it('refuses arrays of the wrong size', () => {
    expect(() =>
      inkComparisonPng({ height: H, width: W, surface, prob: new Float32Array(3), truth, threshold: 0.5 }),
    ).toThrow(/prob has 3 values/);
  });
});

describe('line chart', () => {
  const chart = {
    xLabel: 'steps',
    yLabel: 'PSNR (dB)',
    series: [
      {
        name: 'finetuned',
        points: [
          [10, 12],
          [20, 16],
        ] as [number, number][],
      },
      {
        name: 'scratch',
        points: [
          [10, 9],
          [20, 11],
        ] as [number, number][],
      },
    ],
  };

  it('PNG: the first series (blue) lies above the second (orange) at the same step', () => {
    const png = decode(lineChartPng(chart));
    expect([png.width, png.height]).toEqual([640, 360]);
    const rowsOf = (rgb: number[]) => {
      const ys: number[] = [];
      for (let y = 0; y < png.height; y++)
        for (let x = 500; x < 600; x++) if (rgbAt(png, x, y).every((v, k) => v === rgb[k])) ys.push(y);
      return ys;
    };
    const blue = rowsOf([31, 100, 200]);
    const orange = rowsOf([230, 120, 20]);
    expect(blue.length).toBeGreaterThan(0);
    expect(orange.length).toBeGreaterThan(0);
    expect(Math.max(...blue)).toBeLessThan(Math.min(...orange)); // smaller y = higher PSNR
  });

  it('SVG: names both series and the axes', () => {
    const svg = lineChartSvg(chart);
    for (const s of ['finetuned', 'scratch', 'steps', 'PSNR (dB)']) expect(svg).toContain(s);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
  });

  it('refuses a chart with no finite points', () => {
    expect(() => lineChartPng({ ...chart, series: [{ name: 'x', points: [[1, NaN]] }] })).toThrow(/no finite points/);
  });
});

describe('Report', () => {
  it('writes the same sections, tables and charts as HTML and Markdown', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aunn-report-'));
    try {
      const r = new Report('T');
      r.section('Ink <1>')
        .table(['method', 'F0.5'], [['readout', 0.61234]])
        .chart('<svg id="c"></svg>', 'images/c.png', 'a chart');
      const { html, markdown } = await r.write(dir);
      const md = await readFile(markdown, 'utf8');
      const h = await readFile(html, 'utf8');
      expect(md).toContain('## Ink <1>');
      expect(md).toContain('| readout | 0.612 |');
      expect(md).toContain('![a chart](images/c.png)');
      expect(h).toContain('<h2>Ink &lt;1&gt;</h2>');
      expect(h).toContain('<svg id="c"></svg>');
      expect(h).toContain('<td>0.612</td>');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
