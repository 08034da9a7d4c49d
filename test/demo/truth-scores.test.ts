import { describe, expect, it } from 'vitest';
import { inkCalibration, layoutScore, letterAccuracy } from '../../src/workflows/truth-scores.js';
import { rightLetters } from '../../src/lm-conditioning/reading/align-text.js';
import { READING_FORMAT, type Reading } from '../../src/lm-conditioning/reading/reading-file.js';

describe('scores against a sample scroll truth', () => {
  it('marks read letters right only where the edit alignment pairs them with the same letter', () => {
    expect(rightLetters(['Α', 'Β', 'Χ'], 'ΑΓ')).toEqual([true, false, false]);
    expect(rightLetters(['Α', 'Χ', 'Β', 'Γ'], 'ΑΒΓ')).toEqual([true, false, true, true]);
    expect(rightLetters([], 'ΑΒ')).toEqual([]);
  });

  it('counts plain, uncertain, supplied and lost letters and how many plain ones are right', () => {
    const L = (char: string, confidence: number, source: 'ink' | 'lm' | 'lost' = 'ink') => ({
      char,
      confidence,
      source,
    });
    const reading: Reading = {
      format: READING_FORMAT,
      version: 1,
      segment: 's/1',
      columns: [
        {
          n: 1,
          bbox: [0, 0, 50, 20],
          lines: [{ n: 1, letters: [L('Α', 0.95), L('Χ', 0.9), L('Γ', 0.5), L('Δ', 0.6, 'lm'), L('', 0, 'lost')] }],
        },
      ],
    };
    const acc = letterAccuracy(reading, [{ lines: ['ΑΒΓΔΕ'], box: [0, 0, 50, 20] }], { threshold: 0.8 });
    expect(acc).toEqual({ plain: 2, plainRight: 1, uncertain: 1, supplied: 1, lost: 1, total: 5 });
  });

  it('finds a layout right only when every column and line is matched', () => {
    const letters = [0, 1].flatMap((line) =>
      [0, 1, 2].map((k) => ({
        column: 0,
        line,
        box: [10 + 10 * k, 5 + 20 * line, 18 + 10 * k, 15 + 20 * line] as [number, number, number, number],
      })),
    );
    const truth = [{ box: [10, 5, 38, 35] }];
    const good = [
      {
        x0: 10,
        x1: 39,
        y0: 0,
        y1: 40,
        lines: [
          { x0: 10, x1: 39, y0: 0, y1: 20 },
          { x0: 10, x1: 39, y0: 20, y1: 40 },
        ],
      },
    ];
    expect(layoutScore(good, truth, letters).right).toBe(true);
    const merged = [{ ...good[0]!, lines: [{ x0: 10, x1: 39, y0: 10, y1: 30 }] }];
    const s = layoutScore(merged, truth, letters);
    expect(s.right).toBe(false);
    expect(s.linesFound).toBe(1);
    expect(layoutScore([], truth, letters).columnIoU).toBe(0);
  });

  it('reports the reliability of ink probabilities per decile', () => {
    const prob = Float32Array.from({ length: 1000 }, (_, i) => (i % 10) / 10 + 0.05);
    const truth = Uint8Array.from(prob, (p, i) => ((i * 7919) % 100 < p * 100 ? 255 : 0));
    const cal = inkCalibration(prob, truth, new Uint8Array(1000).fill(1), 50);
    expect(cal.bins.length).toBe(10);
    expect(cal.maxGap).toBeLessThan(0.06);
    const off = inkCalibration(
      Float32Array.from(prob, (p) => Math.min(0.99, p + 0.3)),
      truth,
      new Uint8Array(1000).fill(1),
      50,
    );
    expect(off.maxGap).toBeGreaterThan(0.25);
  });
});
