/**
 * Which layers carry ink, decided by the labelled data (never fixed to one sample): for each layer, the correlation
 * between its (lightly smoothed, normalised) intensity and the ink labels over the labelled pixels; the band is the
 * contiguous run of layers around the strongest one whose correlation is at least `relative` of the peak, widened to
 * at least `minLayers` and cut to at most `maxLayers` around the peak.
 *
 *   const { band, correlation } = chooseBand([seg1, seg2], { minLayers: 9, maxLayers: 17 });
 */
import { boxSmooth, layerBand, type LayerBand } from './features.js';
import { labelledPixels, type InkSegment } from './segment.js';

export interface BandChoice {
  band: LayerBand;
  /** Correlation of each layer (index = layer) with the labels, pooled over the segments. */
  correlation: number[];
}

export interface BandOptions {
  minLayers?: number;
  maxLayers?: number;
  /** Keep layers whose |correlation| reaches this fraction of the peak's (default 0.3). */
  relative?: number;
}

/** Per-layer correlation with the labels over the labelled pixels of every segment (pooled sums). */
export function layerCorrelation(segments: InkSegment[]): number[] {
  const depth = segments[0]!.depth;
  const sums = Array.from({ length: depth }, () => ({ n: 0, sx: 0, sy: 0, sxx: 0, syy: 0, sxy: 0 }));
  for (const seg of segments) {
    if (!seg.labels) continue;
    const lab = labelledPixels(seg);
    const all = layerBand(seg, { from: 0, to: seg.depth - 1 });
    const smooth = boxSmooth(all, seg.height, seg.width, seg.depth, 1);
    for (let i = 0; i < lab.length; i++) {
      if (!lab[i]) continue;
      const y = seg.labels[i]! > 127 ? 1 : 0;
      for (let d = 0; d < Math.min(depth, seg.depth); d++) {
        const x = smooth[i * seg.depth + d]!;
        const s = sums[d]!;
        s.n++;
        s.sx += x;
        s.sy += y;
        s.sxx += x * x;
        s.syy += y * y;
        s.sxy += x * y;
      }
    }
  }
  return sums.map((s) => {
    if (s.n < 2) return 0;
    const cov = s.sxy / s.n - (s.sx / s.n) * (s.sy / s.n);
    const vx = s.sxx / s.n - (s.sx / s.n) ** 2;
    const vy = s.syy / s.n - (s.sy / s.n) ** 2;
    return vx > 0 && vy > 0 ? cov / Math.sqrt(vx * vy) : 0;
  });
}

/** How far from the surface layer the ink's band may be centred. */
export const SURFACE_REACH = 12;

export function chooseBand(segments: InkSegment[], opts: BandOptions = {}): BandChoice {
  const minLayers = opts.minLayers ?? 9;
  const maxLayers = opts.maxLayers ?? 17;
  const relative = opts.relative ?? 0.3;
  const correlation = layerCorrelation(segments);
  const depth = correlation.length;
  // The peak is looked for within SURFACE_REACH layers of the surface: ink lies on the sheet, and on a faint scroll
  // the best-correlated layer far from it is noise (a readout on layers 0-9 ranked ink at AUC 0.52).
  const surface = segments[0]!.surface;
  const reachFrom = Math.max(0, surface - SURFACE_REACH);
  const reachTo = Math.min(depth - 1, surface + SURFACE_REACH);
  let peak = reachFrom;
  for (let d = reachFrom + 1; d <= reachTo; d++) if (Math.abs(correlation[d]!) > Math.abs(correlation[peak]!)) peak = d;
  if (correlation[peak] === 0) peak = segments[0]!.surface; // no labels: centre on the surface
  const strong = (d: number) => Math.abs(correlation[d]!) >= relative * Math.abs(correlation[peak]!);
  let from = peak,
    to = peak;
  while (to - from + 1 < maxLayers) {
    const left = from > 0 && strong(from - 1) ? Math.abs(correlation[from - 1]!) : -1;
    const right = to < depth - 1 && strong(to + 1) ? Math.abs(correlation[to + 1]!) : -1;
    if (left < 0 && right < 0) break;
    if (left >= right) from--;
    else to++;
  }
  // widen symmetrically to the minimum, then cut symmetrically around the peak to the maximum
  while (to - from + 1 < Math.min(minLayers, depth)) {
    if (from > 0) from--;
    if (to - from + 1 < minLayers && to < depth - 1) to++;
  }
  return { band: { from, to }, correlation };
}
