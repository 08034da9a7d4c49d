/** The viewer's pure parts: placement of predictions on the base grid, readings, colormaps, compare helpers. */
import { describe, expect, it } from 'vitest';
import type { RecordInfo } from '../../src/viewer/api.js';
import { autoContrast, colormapLUT } from '../../src/viewer/colormaps.js';
import { residual, toGrid } from '../../src/viewer/compare-panel.js';
import { splitArgs } from '../../src/viewer/dashboard.js';
import { extentOf, layerIndex, placementOf } from '../../src/viewer/placement.js';
import { lettersIn, readingsMatch } from '../../src/viewer/readings.js';
import { formatLength, niceLength } from '../../src/viewer/scale-bar.js';

function rec(name: string, levelShapes: [number, number, number][], extra?: Partial<RecordInfo>): RecordInfo {
  return {
    id: 0,
    name,
    scroll: 's',
    modality: 'scan',
    shape: levelShapes[0]!,
    bits: [0, 0, 0],
    base: 0,
    dtype: 'uint8',
    source: { path: '', sha256: '', format: '' },
    array: '',
    levels: levelShapes.length,
    trainable: true,
    levelShapes,
    ...extra,
  } as RecordInfo;
}

const scan = rec('s/scan', [
  [96, 160, 160],
  [48, 80, 80],
  [24, 40, 40],
]);

describe('placement of layers on the base grid', () => {
  it('puts the base on itself', () => {
    const p = placementOf(scan, scan, 1);
    expect(p).toEqual({ level: 1, shape: [48, 80, 80], scale: [1, 1, 1], origin: [0, 0, 0] });
    expect(layerIndex(p, 0, 47)).toBe(47);
  });

  it('stretches a whole-record prediction written at level 1 over a level-0 grid', () => {
    const pred = rec(
      's/scan/prediction/value',
      [
        [48, 80, 80],
        [24, 40, 40],
      ],
      { modality: 'prediction', prediction: { of: 's/scan', kind: 'value' }, extra: { level: 1 } },
    );
    const p = placementOf(pred, scan, 0);
    expect(p.level).toBe(0);
    expect(p.scale).toEqual([2, 2, 2]);
    expect(layerIndex(p, 0, 95)).toBe(47);
    expect(extentOf(p, 1, 2)).toEqual({ row0: 0, rows: 160, col0: 0, cols: 160 });
    // on a level-2 grid, the prediction's own level 1 matches
    expect(placementOf(pred, scan, 2)).toMatchObject({ level: 1, scale: [1, 1, 1] });
  });

  it('places a prediction of a box at its box, and nowhere else', () => {
    const pred = rec('s/scan/prediction/value@box', [[10, 20, 30]], {
      modality: 'prediction',
      prediction: { of: 's/scan', kind: 'value' },
      extra: { level: 1, region: { z: [5, 15], y: [10, 30], x: [40, 70] } },
    });
    const p = placementOf(pred, scan, 0);
    expect(p.origin).toEqual([10, 20, 80]);
    expect(p.scale).toEqual([2, 2, 2]);
    expect(layerIndex(p, 0, 9)).toBeUndefined();
    expect(layerIndex(p, 0, 10)).toBe(0);
    expect(layerIndex(p, 0, 29)).toBe(9);
    expect(layerIndex(p, 0, 30)).toBeUndefined();
    expect(extentOf(p, 1, 2)).toEqual({ row0: 20, rows: 40, col0: 80, cols: 60 });
  });

  it('resamples a placed plane onto the grid, with the background outside', () => {
    const plane = { rows: 2, cols: 2, data: new Uint8Array([1, 2, 3, 4]) };
    const g = toGrid(plane, { row0: 1, rows: 2, col0: 2, cols: 4 }, 4, 6);
    expect([...g.data]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 0, 0, 3, 3, 4, 4, 0, 0, 0, 0, 0, 0]);
    const bg = { rows: 4, cols: 6, data: new Uint8Array(24).fill(9) };
    const r = residual(bg, toGrid(plane, { row0: 1, rows: 2, col0: 2, cols: 4 }, 4, 6, bg));
    expect([...r.data].filter((v) => v !== 0).sort()).toEqual([5, 5, 6, 6, 7, 7, 8, 8]);
  });
});

describe('readings, colormaps, scale bar, job arguments', () => {
  it('finds placed letters in a reading of the text reader, LM letters marked restored', () => {
    const reading = {
      format: 'scroll-aunn-reading',
      segment: 's/seg1',
      columns: [
        {
          n: 1,
          bbox: [0, 0, 9, 9],
          lines: [
            {
              n: 1,
              letters: [
                { char: 'Α', confidence: 0.9, source: 'ink', bbox: [1, 2, 5, 8] },
                { char: 'Ω', confidence: 0.4, source: 'lm', bbox: [5, 2, 9, 8] },
                { char: '', confidence: 0, source: 'lost' },
              ],
            },
          ],
        },
      ],
    };
    expect(lettersIn(reading)).toEqual([
      { char: 'Α', x: 1, y: 2, w: 4, h: 6, confidence: 0.9, restored: false },
      { char: 'Ω', x: 5, y: 2, w: 4, h: 6, confidence: 0.4, restored: true },
    ]);
    expect(readingsMatch(reading, 's/seg1', 's/seg1/layers')).toBe(true);
    expect(readingsMatch(reading, 's/seg2', 's/seg2/layers')).toBe(false);
  });

  it('builds 256-entry colormaps and robust windows', () => {
    expect(colormapLUT('grey').slice(4 * 100, 4 * 101)).toEqual(new Uint8Array([100, 100, 100, 255]));
    const inferno = colormapLUT('inferno');
    expect([...inferno.slice(0, 3)]).toEqual([0, 0, 4]);
    expect([...inferno.slice(255 * 4, 255 * 4 + 3)]).toEqual([252, 255, 164]);
    expect(colormapLUT('ink')[3]).toBe(0);
    const data = new Uint8Array(1000).fill(100);
    data[0] = 0;
    data[999] = 255;
    expect(autoContrast(data)).toEqual([100, 101]);
    data.fill(50, 0, 500);
    expect(autoContrast(data)).toEqual([50, 100]);
  });

  it('picks round scale-bar lengths', () => {
    expect(niceLength(130)).toBe(100);
    expect(niceLength(260)).toBe(200);
    expect(niceLength(7000)).toBe(5000);
    expect(formatLength(5000)).toBe('5 mm');
    expect(formatLength(200)).toBe('200 µm');
  });

  it('splits job argument lines like a shell for words and quotes', () => {
    expect(splitArgs('--steps 200 --model "/data/my model" --x=\'a b\'')).toEqual([
      '--steps',
      '200',
      '--model',
      '/data/my model',
      '--x=a b',
    ]);
  });
});
