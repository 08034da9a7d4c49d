import { describe, expect, it } from 'vitest';
import { applyPlatt, fitPlatt } from '../../src/ink/calibration.js';
import { mulberry32 } from '../../src/core/random.js';

describe('Platt calibration of ink probabilities', () => {
  it('turns overconfident, shifted scores into probabilities that match the ink frequency', () => {
    // True ink probability t; the readout reports sigmoid(3 * logit(t) - 2): too sharp and too low.
    const rand = mulberry32(4);
    const n = 20_000;
    const raw = new Float32Array(n);
    const ink = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const t = rand();
      ink[i] = rand() < t ? 1 : 0;
      const z = Math.log(t / (1 - t));
      raw[i] = 1 / (1 + Math.exp(-(3 * z - 2)));
    }
    const cal = fitPlatt(raw, ink);
    expect(cal.a).toBeGreaterThan(0.28);
    expect(cal.a).toBeLessThan(0.39);
    const p = applyPlatt(raw.slice(), cal);
    // Per decile of the calibrated probability, the share of ink is within 0.05 of the mean probability.
    for (let d = 0; d < 10; d++) {
      let s = 0;
      let k = 0;
      let m = 0;
      for (let i = 0; i < n; i++) if (p[i]! >= d / 10 && p[i]! < (d + 1) / 10) ((s += p[i]!), (k += ink[i]!), m++);
      if (m > 200) expect(Math.abs(s / m - k / m)).toBeLessThan(0.05);
    }
  });

  it('stays finite when the held-out pixels are all of one kind', () => {
    const cal = fitPlatt(
      Float32Array.from({ length: 500 }, (_, i) => i / 500),
      new Uint8Array(500),
    );
    expect(Number.isFinite(cal.a) && Number.isFinite(cal.b)).toBe(true);
    expect(applyPlatt(Float32Array.of(0.9), cal)[0]).toBeLessThan(0.05);
  });
});
