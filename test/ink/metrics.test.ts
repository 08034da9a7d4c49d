import { describe, expect, it } from 'vitest';
import { chooseThreshold, evaluateInk, fBeta, rocAuc, scoreInk } from '../../src/ink/metrics.js';

describe('ink metrics', () => {
  it('F0.5 from counts matches the formula worked by hand', () => {
    // tp 3, fp 1, fn 2: P = 0.75, R = 0.6, F0.5 = 1.25*P*R / (0.25*P + R) = 0.5625 / 0.7875
    expect(fBeta(3, 1, 2)).toBeCloseTo(0.5625 / 0.7875, 12);
    expect(fBeta(0, 0, 5)).toBe(0);
  });

  it('AUC: perfect, inverted, ties count half, masked pixels ignored', () => {
    const truth = Uint8Array.from([255, 255, 0, 0]);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], truth)).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], truth)).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], truth)).toBe(0.5);
    // pairs: (0.9 vs 0.7) win, (0.9 vs 0.3) win, (0.4 vs 0.7) lose, (0.4 vs 0.3) win → 3/4
    expect(rocAuc([0.9, 0.4, 0.7, 0.3], truth)).toBe(0.75);
    expect(
      rocAuc([0.9, 0.4, 0.7, 0.3, 0.0], Uint8Array.from([255, 255, 0, 0, 255]), Uint8Array.from([1, 1, 1, 1, 0])),
    ).toBe(0.75);
  });

  it('scoreInk counts precision and recall at a threshold', () => {
    const prob = [0.9, 0.6, 0.4, 0.7, 0.1];
    const truth = Uint8Array.from([255, 255, 255, 0, 0]);
    const s = scoreInk(prob, truth, undefined, 0.5); // predicted: 0,1,3 → tp 2, fp 1, fn 1
    expect(s.precision).toBeCloseTo(2 / 3, 12);
    expect(s.recall).toBeCloseTo(2 / 3, 12);
    expect(s.f05).toBeCloseTo(2 / 3, 12);
    expect(s.inkPixels).toBe(3);
  });

  it('chooseThreshold finds the F0.5-best cut', () => {
    // ranking: ink, ink, no, ink, no — cut after 2 gives P=1,R=2/3: F=0.909; after 4: P=.75,R=1: F=0.789
    const { threshold, f } = chooseThreshold([0.9, 0.8, 0.7, 0.6, 0.5], Uint8Array.from([255, 255, 0, 255, 0]));
    expect(threshold).toBe(0.8);
    expect(f).toBeCloseTo((1.25 * (2 / 3)) / (0.25 + 2 / 3), 12);
  });

  it('evaluateInk chooses the threshold on the labelled region only (no leakage from the evaluated region)', () => {
    // labelled pixels 0..3: ink scores 0.9/0.8, no-ink 0.3/0.2 → any cut in (0.3, 0.8] is perfect; the scan picks 0.8
    // evaluated pixels 4..7: ink 0.5/0.45, no-ink 0.1/0.05 → a threshold chosen there would be 0.45 and score 1.0
    const prob = [0.9, 0.8, 0.3, 0.2, 0.5, 0.45, 0.1, 0.05];
    const truth = Uint8Array.from([255, 255, 0, 0, 255, 255, 0, 0]);
    const labelled = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0]);
    const r = evaluateInk(prob, truth, labelled);
    expect(r.threshold).toBe(0.8);
    expect(r.f05).toBe(0); // nothing above 0.8 in the evaluated region
    expect(r.auc).toBe(1);
    expect(r.pixels).toBe(4);
    // and truth outside the labelled region does not move the threshold
    const flipped = Uint8Array.from(truth);
    flipped[4] = 0;
    flipped[6] = 255;
    expect(evaluateInk(prob, flipped, labelled).threshold).toBe(0.8);
  });
});
