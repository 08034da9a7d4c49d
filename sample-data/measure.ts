/**
 * Numbers that say whether a sample is plausible, shared by the generator's summary and the tests.
 *
 *   const { cnr } = inkContrastToNoise(layer32, inkLabels, mask);  // (mean ink − mean sheet) / std sheet
 */

export interface InkContrast {
  cnr: number;
  meanInk: number;
  meanSheet: number;
  stdSheet: number;
  inkPixels: number;
  sheetPixels: number;
}

/** Contrast-to-noise ratio of ink against the rest of the sheet, over pixels where mask > 0. */
export function inkContrastToNoise(
  layer: ArrayLike<number>,
  labels: ArrayLike<number>,
  mask: ArrayLike<number>,
): InkContrast {
  let nInk = 0;
  let sInk = 0;
  let n = 0;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < layer.length; i++) {
    if (!mask[i]) continue;
    const v = layer[i]!;
    if (labels[i]) {
      nInk++;
      sInk += v;
    } else {
      n++;
      s += v;
      s2 += v * v;
    }
  }
  const meanSheet = s / n;
  const stdSheet = Math.sqrt(Math.max(0, s2 / n - meanSheet * meanSheet));
  const meanInk = sInk / nInk;
  return { cnr: (meanInk - meanSheet) / stdSheet, meanInk, meanSheet, stdSheet, inkPixels: nInk, sheetPixels: n };
}
