/**
 * A photograph as ink evidence: the infrared photographs of the Herculaneum fragments show the carbon ink dark on
 * the papyrus, and the field's hand labels were drawn from them. Where a segment has such a photo and no labels, the
 * readout's probability can still be checked against it: the photo's pixels are split into ink and papyrus by Otsu's
 * threshold over the sheet, and the ROC AUC says how well the probability ranks the photo's ink above its papyrus
 * (0.5: no agreement). It is evidence, not truth: the photo sees the surface, the scan the layers.
 *
 *   const agreement = photoAgreement(prob, photoBytes, sheetMask, 'dark');   // { auc, threshold, inkShare, pixels }
 */
import { rocAuc, type Numbers } from './metrics.js';

export interface PhotoAgreement {
  /** ROC AUC of the probability against the photo's ink pixels; NaN when the photo shows one class only. */
  auc: number;
  /** Otsu's threshold on the photo's values. */
  threshold: number;
  /** Share of the compared pixels the photo calls ink. */
  inkShare: number;
  pixels: number;
}

/** Otsu's threshold of byte values (0..255 after scaling) over the masked pixels: the split with most between-class variance. */
export function otsuThreshold(values: Numbers, mask?: Numbers, maxValue = 255): number {
  const hist = new Float64Array(256);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask && mask[i] === 0) continue;
    hist[Math.max(0, Math.min(255, Math.round((values[i]! * 255) / maxValue)))]!++;
    n++;
  }
  if (n === 0) return maxValue / 2;
  let total = 0;
  for (let v = 0; v < 256; v++) total += v * hist[v]!;
  let below = 0,
    sumBelow = 0,
    best = -1,
    bestT = 0;
  for (let t = 0; t < 255; t++) {
    below += hist[t]!;
    sumBelow += t * hist[t]!;
    const above = n - below;
    if (below === 0 || above === 0) continue;
    const d = sumBelow / below - (total - sumBelow) / above;
    const between = below * above * d * d;
    if (between > best) {
      best = between;
      bestT = t;
    }
  }
  // values <= bestT are the lower class
  return ((bestT + 0.5) * maxValue) / 255;
}

export function photoAgreement(
  prob: Numbers,
  photo: Numbers,
  mask?: Numbers,
  inkIs: 'dark' | 'bright' = 'dark',
  maxValue = 255,
): PhotoAgreement {
  if (photo.length !== prob.length)
    throw new RangeError(`photoAgreement: photo has ${photo.length} pixels, the probability ${prob.length}`);
  const threshold = otsuThreshold(photo, mask, maxValue);
  const ink = new Uint8Array(photo.length);
  let pixels = 0,
    inkPixels = 0;
  for (let i = 0; i < photo.length; i++) {
    if (mask && mask[i] === 0) continue;
    const isInk = inkIs === 'dark' ? photo[i]! < threshold : photo[i]! >= threshold;
    ink[i] = isInk ? 255 : 0;
    pixels++;
    if (isInk) inkPixels++;
  }
  return { auc: rocAuc(prob, ink, mask), threshold, inkShare: pixels ? inkPixels / pixels : 0, pixels };
}
