/**
 * Forced alignment of a known line of text to its ink, by the ink itself: a dynamic programme over the m + 1 cuts
 * between the m letters, where a cut costs the ink it crosses (column projection of the band) and each letter's
 * advance (cut to cut) costs its distance from that letter's expected advance (in letter heights). No glyph shapes
 * are assumed; the advances are learned: first one advance for every letter, then each letter's own
 * (`learnAdvances`), then aligned again.
 *
 *   const adv = uniformAdvances(lines, letterHeight);
 *   let cuts = lines.map((l) => alignCuts(labels, l.band, toLetterIds(l.text), letterHeight, adv));
 *   const adv2 = learnAdvances(cuts, lines.map((l) => toLetterIds(l.text)), letterHeight);
 */
import { ALPHABET_SIZE } from '../char-lm.js';
import type { InkMap } from './ink-map.js';

export interface LineBand {
  yc: number;
  r: number;
  xs: number;
  xe: number;
}

/** Expected advance of each letter (letter heights) and the spread allowed around it. */
export interface AdvanceModel {
  mean: Float64Array;
  sigma: number;
}

/** Column ink of a band (rows yc ± r), normalised so the line's 90th percentile column is 1. */
export function columnInk(map: InkMap, band: LineBand, x0: number, x1: number): Float64Array {
  const p = new Float64Array(x1 - x0);
  for (let x = x0; x < x1; x++) {
    if (x < 0 || x >= map.width) continue;
    let s = 0;
    for (let y = Math.max(0, band.yc - band.r); y <= Math.min(map.height - 1, band.yc + band.r); y++)
      s += map.data[y * map.width + x]!;
    p[x - x0] = s;
  }
  const sorted = Float64Array.from(p).sort();
  const ref = sorted[Math.floor(0.9 * (sorted.length - 1))]! || 1;
  return p.map((v) => v / ref);
}

/**
 * The m + 1 cuts (absolute x) of `ids` on the band: the first at the line's first ink (a pixel either side, as an
 * advance runs from a letter's start to the next one's), the last up to 0.4 letter heights after its last ink (the
 * last letter's gap). A cut costs the ink it crosses, smoothed over three columns so cuts fall mid-gap. Undefined
 * when the band is too short for the letters.
 */
export function alignCuts(
  map: InkMap,
  band: LineBand,
  ids: ArrayLike<number>,
  letterHeight: number,
  adv: AdvanceModel,
): number[] | undefined {
  const m = ids.length;
  if (!m) return undefined;
  const tail = Math.max(1, Math.round(0.4 * letterHeight));
  const x0 = band.xs - 2;
  const x1 = band.xe + tail;
  const n = x1 - x0 + 1;
  const raw = columnInk(map, band, x0 - 1, x1 + 2);
  const ink = Float64Array.from({ length: n }, (_, i) => 0.25 * raw[i]! + 0.5 * raw[i + 1]! + 0.25 * raw[i + 2]!);
  const cutCost = (x: number) => 4 * ink[x]!;
  const wmax = Math.max(2, Math.ceil(2.2 * letterHeight));
  const cost = Array.from({ length: m + 1 }, () => new Float64Array(n).fill(Infinity));
  const back = Array.from({ length: m + 1 }, () => new Int32Array(n).fill(-1));
  for (let x = 0; x <= 3 && x < n; x++) cost[0]![x] = cutCost(x);
  const s2 = 2 * adv.sigma * adv.sigma;
  for (let k = 1; k <= m; k++) {
    const mu = adv.mean[ids[k - 1]!]!;
    const prev = cost[k - 1]!;
    const cur = cost[k]!;
    for (let x = 1; x < n; x++) {
      let best = Infinity;
      let arg = -1;
      for (let w = 1; w <= wmax && w <= x; w++) {
        const c = prev[x - w]!;
        if (c === Infinity) continue;
        const d = w / letterHeight - mu;
        const v = c + (d * d) / s2;
        if (v < best) ((best = v), (arg = x - w));
      }
      if (arg >= 0) ((cur[x] = best + cutCost(x)), (back[k]![x] = arg));
    }
  }
  let end = -1;
  let bestEnd = Infinity;
  for (let x = Math.max(0, n - 2 - tail); x < n; x++) if (cost[m]![x]! < bestEnd) ((bestEnd = cost[m]![x]!), (end = x));
  if (end < 0) return undefined;
  const cuts = [end];
  for (let k = m; k > 0; k--) cuts.push(back[k]![cuts[cuts.length - 1]!]!);
  if (cuts.some((c) => c < 0)) return undefined;
  return cuts.reverse().map((c) => c + x0);
}

/**
 * Relative advances of the capitals in common Greek book hands and typefaces (Ι narrow; Μ, Φ, Ψ, Ω wide): only the
 * starting point of the alignment, scaled to the lines' measured mean advance; learned advances replace them.
 */
const BOOK_HAND_ADVANCE = [
  0.74, 0.6, 0.54, 0.76, 0.56, 0.62, 0.68, 0.76, 0.24, 0.62, 0.72, 0.88, 0.7, 0.62, 0.76, 0.72, 0.6, 0.62, 0.68, 0.72,
  0.84, 0.72, 0.8, 0.8,
];

/** Starting advances: book-hand proportions scaled so the lines' letters fill their inked length. */
export function uniformAdvances(lines: { band: LineBand; text: string }[], letterHeight: number): AdvanceModel {
  const px = lines.reduce((s, l) => s + (l.band.xe - l.band.xs), 0);
  let rel = 0;
  for (const l of lines)
    for (const ch of l.text) rel += BOOK_HAND_ADVANCE['ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ'.indexOf(ch)] ?? 0.7;
  const scale = px / Math.max(1e-6, rel) / letterHeight;
  return { mean: Float64Array.from(BOOK_HAND_ADVANCE, (a) => a * scale), sigma: 0.2 };
}

/** The band's inked extent on a clean map: first and last columns (within [xs − pad, xe + pad)) with ink. */
export function inkedExtent(map: InkMap, band: LineBand, pad: number): LineBand {
  const x0 = band.xs - pad;
  const ink = columnInk(map, band, x0, band.xe + pad);
  let a = 0;
  let b = ink.length - 1;
  while (a < b && ink[a]! < 0.1) a++;
  while (b > a && ink[b]! < 0.1) b--;
  return b > a ? { ...band, xs: x0 + a, xe: x0 + b + 1 } : band;
}

/**
 * Each letter's mean advance from aligned cuts (shrunk toward the overall mean by two pseudo-letters) and the
 * spread of advances around their letter's mean (at least 0.08 letter heights).
 */
export function learnAdvances(
  cuts: (number[] | undefined)[],
  ids: ArrayLike<number>[],
  letterHeight: number,
): AdvanceModel {
  const sum = new Float64Array(ALPHABET_SIZE);
  const n = new Float64Array(ALPHABET_SIZE);
  const all: [number, number][] = [];
  cuts.forEach((c, i) => {
    if (!c) return;
    for (let k = 0; k + 1 < c.length; k++) {
      const a = (c[k + 1]! - c[k]!) / letterHeight;
      const id = ids[i]![k]!;
      sum[id] = sum[id]! + a;
      n[id] = n[id]! + 1;
      all.push([id, a]);
    }
  });
  const total = all.length;
  const overall = total ? all.reduce((s, [, a]) => s + a, 0) / total : 0.8;
  const mean = Float64Array.from(sum, (s, c) => (s + 2 * overall) / (n[c]! + 2));
  const sq = all.reduce((s, [c, a]) => s + (a - mean[c]!) ** 2, 0);
  return { mean, sigma: Math.max(0.08, Math.sqrt(sq / Math.max(1, total))) };
}
