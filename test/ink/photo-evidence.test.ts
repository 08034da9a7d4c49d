import { describe, expect, it } from 'vitest';
import { otsuThreshold, photoAgreement } from '../../src/ink/index.js';

describe('a photo as ink evidence', () => {
  // A photo with dark ink (30..50) on bright papyrus (180..220), and a sheet mask leaving out the last column.
  const W = 20,
    H = 10;
  const ink = (i: number) => i % W >= 5 && i % W < 9;
  const photo = Uint8Array.from({ length: W * H }, (_, i) => (ink(i) ? 30 + (i % 21) : 180 + (i % 41)));
  const mask = Uint8Array.from({ length: W * H }, (_, i) => (i % W === W - 1 ? 0 : 1));

  it("Otsu's threshold falls between the photo's two classes", () => {
    const t = otsuThreshold(photo, mask);
    expect(t).toBeGreaterThan(50);
    expect(t).toBeLessThan(180);
  });

  it('a probability that follows the photo agrees (AUC 1), one that inverts it disagrees (0), noise is near 0.5', () => {
    const right = Float32Array.from({ length: W * H }, (_, i) => (ink(i) ? 0.9 : 0.1));
    const wrong = Float32Array.from(right, (p) => 1 - p);
    const noise = Float32Array.from({ length: W * H }, (_, i) => ((i * 7919) % 101) / 101);
    const a = photoAgreement(right, photo, mask);
    expect(a.auc).toBe(1);
    expect(a.pixels).toBe(H * (W - 1));
    expect(a.inkShare).toBeCloseTo(4 / 19, 6);
    expect(photoAgreement(wrong, photo, mask).auc).toBe(0);
    expect(Math.abs(photoAgreement(noise, photo, mask).auc - 0.5)).toBeLessThan(0.2);
    // a photo where ink shows bright reads the other way round
    expect(photoAgreement(right, photo, mask, 'bright').auc).toBe(0);
  });

  it('a photo of another size is refused', () => {
    expect(() => photoAgreement(new Float32Array(3), new Uint8Array(4))).toThrow(/photo has 4 pixels/);
  });
});
