/**
 * Page layout from an ink map, with projection profiles: the line pitch (the row profile's period, by phase
 * dispersion), columns (runs of inked x separated by gaps wider than MIN_COLUMN_GAP pitch; set to the page's column
 * width where it is known, e.g. from the labelled columns) and the lines of each column (the teeth of the regular
 * comb that fits the column's row profile best). No sizes are assumed; everything scales with the pitch.
 *
 *   const pitch = estimatePitch(map);
 *   const cols = findColumns(map, pitch);            // [{ x0, x1, lines: [{ y0, y1, x0, x1 }] }]
 *   const fitted = findColumns(map, pitch, { columnWidth: 180 });
 */
import type { InkMap } from './ink-map.js';

export interface LineBox {
  /** Band [y0, y1) and the inked extent [x0, x1). */
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

export interface ColumnBox {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  lines: LineBox[];
}

function smooth(a: Float64Array, r: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    let s = 0;
    let n = 0;
    for (let j = Math.max(0, i - r); j <= Math.min(a.length - 1, i + r); j++) ((s += a[j]!), n++);
    out[i] = s / n;
  }
  return out;
}

/** Ink above the map's median (a robust background), so a noisy floor does not count as text. */
function excess(map: InkMap, quantile = 0.5): Float32Array {
  const sorted = Float32Array.from(map.data).sort();
  const bg = sorted[Math.floor(quantile * sorted.length)]!;
  return map.data.map((v) => Math.max(0, v - bg));
}

function rowProfile(ex: Float32Array, W: number, y0: number, y1: number, x0: number, x1: number): Float64Array {
  const p = new Float64Array(y1 - y0);
  for (let y = y0; y < y1; y++) {
    let s = 0;
    for (let x = x0; x < x1; x++) s += ex[y * W + x]!;
    p[y - y0] = s / Math.max(1, x1 - x0);
  }
  return p;
}

/** The row profile of the written rows: margins (rows under 0.3 of the peak at either end) would dilute it. */
function writtenRows(map: InkMap): Float64Array {
  const full = smooth(rowProfile(excess(map), map.width, 0, map.height, 0, map.width), 1);
  const pmax = Math.max(...full);
  let first = 0;
  let last = full.length - 1;
  while (first < last && full[first]! < 0.3 * pmax) first++;
  while (last > first && full[last]! < 0.3 * pmax) last--;
  return full.subarray(first, last + 1);
}

/** Phase dispersion of a profile folded at period T into `bins` phase bins: within-bin variance over total (0..1). */
function phaseDispersion(p: Float64Array, T: number, bins: number): number {
  let mean = 0;
  for (const v of p) mean += v;
  mean /= p.length;
  let total = 0;
  for (const v of p) total += (v - mean) ** 2;
  const sum = new Float64Array(bins);
  const sum2 = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let y = 0; y < p.length; y++) {
    const b = Math.min(bins - 1, Math.floor(((y % T) / T) * bins));
    sum[b] = sum[b]! + p[y]!;
    sum2[b] = sum2[b]! + p[y]! ** 2;
    count[b] = count[b]! + 1;
  }
  let within = 0;
  for (let b = 0; b < bins; b++) if (count[b]) within += sum2[b]! - sum[b]! ** 2 / count[b]!;
  return within / Math.max(1e-12, total);
}

/** How much worse (share of the remaining dispersion) a third or half of the best period may fold and still win. */
export const PITCH_HARMONIC_SLACK = 0.4;

/**
 * Line pitch in pixels, by phase dispersion minimisation (Stellingwerf 1978, the period finder of variable-star
 * astronomy): the row profile of the written rows folded at each candidate period (4 px .. half the written height,
 * quarter-pixel steps) into 8 phase bins; the period whose bins are most alike inside wins. Twice the pitch folds as
 * well as the pitch and, on a noisy map with a few lines of unequal ink, a little better (each bin then averages
 * fewer lines): a third or a half of the winner is taken instead when it folds within PITCH_HARMONIC_SLACK of it,
 * and the period is then refined near it (refinePitch). On dev scrolls 1-30 this finds the truth's pitch within 8 % on 28 predicted ink maps (15 with the comb contrast
 * used before) and 29 truth maps (27).
 */
export function estimatePitch(map: InkMap): number {
  const p = writtenRows(map);
  const fold: { T: number; d: number }[] = [];
  for (let T = 4; T <= p.length / 2; T += 0.25) fold.push({ T, d: phaseDispersion(p, T, 8) });
  if (!fold.length) return Math.max(4, Math.round(map.height / 8));
  let best = fold.reduce((a, b) => (b.d < a.d ? b : a));
  for (const k of [3, 2]) {
    const near = fold.filter((f) => Math.abs(f.T - best.T / k) <= Math.max(0.5, (0.04 * best.T) / k));
    if (!near.length) continue;
    const sub = near.reduce((a, b) => (b.d < a.d ? b : a));
    if (sub.d <= best.d + PITCH_HARMONIC_SLACK * (1 - best.d)) {
      best = sub;
      break;
    }
  }
  return Math.round(refinePitch(p, best.T));
}

/**
 * Folding few lines places the period only roughly (on pages of three or four lines, 5-10 % long); near it, the
 * comb whose teeth (line centres) stand highest above the points half-way between them (interlinear gaps) is the
 * pitch. Within ±12 % no harmonic is in reach.
 */
function refinePitch(p: Float64Array, T0: number): number {
  let best = { T: T0, score: -Infinity };
  for (let T = Math.max(4, 0.88 * T0); T <= 1.12 * T0; T += 0.25) {
    const { score } = combContrast(p, T, 2);
    if (score > best.score) best = { T, score };
  }
  return best.T;
}

function runs(active: boolean[], minGap: number): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= active.length; i++) {
    const on = i < active.length && active[i];
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      out.push([start, i]);
      start = -1;
    }
  }
  // Merge runs separated by less than minGap.
  const merged: [number, number][] = [];
  for (const r of out) {
    const last = merged[merged.length - 1];
    if (last && r[0] - last[1] < minGap) last[1] = r[1];
    else merged.push([...r]);
  }
  return merged;
}

/** Value of a profile at a fractional position (linear interpolation). */
function at(p: Float64Array, y: number): number {
  const i = Math.floor(y);
  if (i < 0) return p[0]!;
  if (i >= p.length - 1) return p[p.length - 1]!;
  return p[i]! + (y - i) * (p[i + 1]! - p[i]!);
}

/**
 * The comb contrast of a row profile at period T: the mean, over teeth, of the profile on a tooth (a line centre)
 * minus half a period on (the interlinear gap), at the phase (0.5-px steps) where it is largest. Ink that is not in
 * lines raises teeth and gaps alike. -Infinity with fewer than `minTeeth` teeth.
 */
function combContrast(p: Float64Array, T: number, minTeeth = 1): { score: number; phase: number } {
  let best = { score: -Infinity, phase: 0 };
  for (let phase = 0; phase < T; phase += 0.5) {
    let s = 0;
    let n = 0;
    for (let y = phase; y + T / 2 < p.length; y += T) ((s += at(p, y) - at(p, y + T / 2)), n++);
    if (n >= minTeeth && s / n > best.score) best = { score: s / n, phase };
  }
  return best;
}

/**
 * Line centres in a column's row profile: the regular comb (pitch refined to ±1 px in 0.05 steps, any phase) with
 * the most ink under its teeth, each tooth moved to the local maximum within an eighth of a pitch (scribes do not
 * rule perfectly; a quarter let teeth wander on blurred maps), from the first to the last tooth that stands clearly
 * above background.
 */
function combPeaks(prof: Float64Array, pitch: number): number[] {
  let best = { score: -Infinity, pitch, phase: 0 };
  for (let pt = Math.max(3, pitch - 1); pt <= pitch + 1; pt += 0.05) {
    for (let phase = 0; phase < pt; phase += 0.25) {
      let score = 0;
      let n = 0;
      for (let y = phase; y < prof.length; y += pt) ((score += at(prof, y)), n++);
      score /= Math.max(1, n);
      if (score > best.score) best = { score, pitch: pt, phase };
    }
  }
  const sorted = Float64Array.from(prof).sort();
  const high = sorted[Math.floor(0.95 * sorted.length)]!;
  const low = sorted[Math.floor(0.05 * sorted.length)]!;
  const teeth: { c: number; strong: boolean }[] = [];
  const r = Math.max(1, Math.round(best.pitch / 8));
  for (let y = best.phase; y < prof.length; y += best.pitch) {
    let c = Math.min(prof.length - 1, Math.round(y));
    for (let d = -r; d <= r; d++) {
      const yy = Math.round(y) + d;
      if (yy >= 0 && yy < prof.length && prof[yy]! > prof[c]!) c = yy;
    }
    if (c >= 0 && c < prof.length) teeth.push({ c, strong: prof[c]! > low + 0.35 * (high - low) });
  }
  // Faint teeth beyond the first and last clear line are margin; between them they are lines whose ink is faint
  // (read as uncertain or lost, not skipped).
  const first = teeth.findIndex((t) => t.strong);
  let last = teeth.length - 1;
  while (last >= 0 && !teeth[last]!.strong) last--;
  return first < 0 ? [] : teeth.slice(first, last + 1).map((t) => t.c);
}

/**
 * Columns of one page are about as wide as each other. Two neighbouring runs that are each under 0.7 of the widest
 * and together no wider than 1.15 of it are one column with a faint stretch (merged); a run wider than 1.6 times the
 * median of the others holds two columns whose gap is noisy: it is split at its faintest stretch (0.6 pitch wide,
 * below `valley`) when there is one in its middle half.
 */
function balanceColumns(xr: [number, number][], sm: Float64Array, valley: number, pitch: number): void {
  const widest = () => Math.max(...xr.map(([a, b]) => b - a));
  for (let i = 0; i + 1 < xr.length; i++) {
    const wMax = widest();
    const [a0, b0] = xr[i]!;
    const [a1, b1] = xr[i + 1]!;
    if (b0 - a0 < 0.7 * wMax && b1 - a1 < 0.7 * wMax && b1 - a0 <= 1.15 * wMax) {
      xr.splice(i, 2, [a0, b1]);
      i--;
    }
  }
  const win = Math.max(2, Math.round(0.6 * pitch));
  for (let i = 0; i < xr.length && xr.length > 1; i++) {
    const others = xr
      .filter((_, k) => k !== i)
      .map(([a, b]) => b - a)
      .sort((p, q) => p - q);
    const median = others[Math.floor(others.length / 2)]!;
    const [a, b] = xr[i]!;
    if (b - a <= 1.6 * median) continue;
    let best = Infinity;
    let at = -1;
    for (let x = a + Math.round((b - a) / 4); x + win <= b - Math.round((b - a) / 4); x++) {
      let m = 0;
      for (let k = x; k < x + win; k++) m += sm[k]!;
      if (m / win < best) ((best = m / win), (at = x));
    }
    if (at >= 0 && best < valley) {
      xr.splice(i, 1, [a, at], [at + win, b]);
      i--;
    }
  }
}

/**
 * Narrowest gap between columns, in line pitches: an intercolumnium of one letter width is 0.5-0.8 pitch, and the
 * gaps between letters never line up across all the lines of a column.
 */
export const MIN_COLUMN_GAP = 0.45;

/**
 * How much of a window [x0, x1) is written lines: the comb contrast of its row profile at the pitch.
 */
function windowScore(ex: Float32Array, W: number, pitch: number): (x0: number, x1: number) => number {
  const H = ex.length / W;
  // Per row, cumulative sums along x: a window's row profile in O(H).
  const cum = new Float64Array(H * (W + 1));
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) cum[y * (W + 1) + x + 1] = cum[y * (W + 1) + x]! + ex[y * W + x]!;
  return (x0, x1) => {
    const prof = new Float64Array(H);
    for (let y = 0; y < H; y++) prof[y] = cum[y * (W + 1) + x1]! - cum[y * (W + 1) + x0]!;
    return combContrast(prof, pitch).score;
  };
}

/**
 * Runs whose width is off the page's column width by more than 12 % are set to it: a wider one holds clutter beside
 * its column (the readout's response to fibres in an intercolumnium) and is cut to 1.05 widths, a narrower one lost
 * a stretch of its column and is widened over the run to one width (keeping `minGap` from its neighbours); in both
 * the window placed is the one that holds the most line structure (windowScore), not the most ink, as clutter can
 * be brighter than the writing. On dev scrolls 1-30 (predicted ink, labelled width) this took the layout found right
 * from 8 to 19 scrolls.
 */
function fitColumnWidths(
  xr: [number, number][],
  ex: Float32Array,
  W: number,
  width: number,
  minGap: number,
  pitch: number,
): void {
  // A column the map's noise split in two: neighbours at most 2 pitches apart, one of them short, together at most 1.6
  // widths, are one run (cut to width below).
  for (let i = 0; i + 1 < xr.length; i++) {
    const [a0, b0] = xr[i]!;
    const [a1, b1] = xr[i + 1]!;
    if (a1 - b0 <= 2 * pitch && Math.min(b0 - a0, b1 - a1) < 0.88 * width && b1 - a0 <= 1.6 * width) {
      xr.splice(i, 2, [a0, b1]);
      i--;
    }
  }
  const score = windowScore(ex, W, pitch);
  xr.forEach((r, i) => {
    const [a, b] = r;
    let lo: number;
    let hi: number;
    let w: number;
    if (b - a > 1.12 * width) {
      w = Math.round(1.05 * width);
      [lo, hi] = [a, b - w];
    } else if (b - a < 0.88 * width) {
      w = Math.round(width);
      const left = i > 0 ? xr[i - 1]![1] + minGap : 0;
      const right = i + 1 < xr.length ? xr[i + 1]![0] - minGap : W;
      [lo, hi] = [Math.max(left, b - w), Math.min(a, right - w)];
    } else return;
    if (hi < lo) return;
    let at = lo;
    let best = -Infinity;
    for (let x = lo; x <= hi; x++) {
      const v = score(x, x + w);
      if (v > best) ((best = v), (at = x));
    }
    r[0] = at;
    r[1] = at + w;
  });
}

/**
 * A run's edges moved in to where its line structure ends: per x, the ink on the run's line centres minus the ink
 * half a pitch away (the run's best comb phase); the stretch with the largest sum of that contrast above a tenth of
 * its high level is kept (Kadane's maximum subarray). Clutter beside a column is as inked on the gaps as on the
 * lines and falls away; the run only shrinks, and never below half its width.
 */
function trimToLines(r: [number, number], ex: Float32Array, W: number, pitch: number): void {
  const [a, b] = r;
  const H = ex.length / W;
  const { phase } = combContrast(rowProfile(ex, W, 0, H, a, b), pitch);
  const c = new Float64Array(b - a);
  for (let x = a; x < b; x++) {
    let s = 0;
    for (let y = phase; y + pitch / 2 < H; y += pitch) {
      const y0 = Math.round(y);
      const y1 = Math.round(y + pitch / 2);
      s += ex[y0 * W + x]! - ex[Math.min(H - 1, y1) * W + x]!;
    }
    c[x - a] = s;
  }
  const cs = smooth(c, Math.max(1, Math.round(pitch / 3)));
  const sorted = Float64Array.from(cs).sort();
  const tau = 0.1 * sorted[Math.floor(0.9 * sorted.length)]!;
  let sum = 0;
  let start = 0;
  let top = { sum: -Infinity, x0: 0, x1: cs.length };
  for (let i = 0; i < cs.length; i++) {
    if (sum <= 0) ((sum = 0), (start = i));
    sum += cs[i]! - tau;
    if (sum > top.sum) top = { sum, x0: start, x1: i + 1 };
  }
  if (top.x1 - top.x0 >= 0.5 * (b - a)) {
    r[0] = a + top.x0;
    r[1] = a + top.x1;
  }
}

export interface FindColumnsOptions {
  /** The page's column width (px), where known (the labelled columns): runs much wider are trimmed to it. Without
   *  it, the median width of three or more runs stands in. */
  columnWidth?: number;
}

export function findColumns(map: InkMap, pitch = estimatePitch(map), opts: FindColumnsOptions = {}): ColumnBox[] {
  const { width: W, height: H } = map;
  const ex = excess(map);
  const colProfile = new Float64Array(W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) colProfile[x] = colProfile[x]! + ex[y * W + x]!;
  // Summed over all rows, the gaps between letters of different lines fill each other: inside a column the profile
  // never drops for long, so a drop wider than MIN_COLUMN_GAP pitch is the gap between two columns.
  const sm = smooth(colProfile, Math.max(1, Math.round(pitch / 6)));
  const sorted = Float64Array.from(sm).sort();
  const high = sorted[Math.floor(0.9 * sorted.length)]!;
  const low = sorted[Math.floor(0.05 * sorted.length)]!;
  const xr = runs(
    Array.from(sm, (v) => v > low + 0.3 * (high - low)),
    Math.round(MIN_COLUMN_GAP * pitch),
  ).filter(([a, b]) => b - a >= pitch);
  // A sliver narrower than three letters next to a column, closer than 1.5 pitch, is part of it (a faint stretch
  // of a noisy map), not a column of its own.
  for (let i = 0; i < xr.length; i++) {
    const [a, b] = xr[i]!;
    if (b - a >= 3 * pitch) continue;
    const gapL = i > 0 ? a - xr[i - 1]![1] : Infinity;
    const gapR = i + 1 < xr.length ? xr[i + 1]![0] - b : Infinity;
    if (Math.min(gapL, gapR) >= 1.5 * pitch) continue;
    if (gapL <= gapR) xr[i - 1]![1] = b;
    else xr[i + 1]![0] = a;
    xr.splice(i, 1);
    i--;
  }
  balanceColumns(xr, sm, low + 0.45 * (high - low), pitch);
  // Without the page's width, each run's edges first follow its lines (with it, the width decides).
  if (!opts.columnWidth) for (const r of xr) trimToLines(r, ex, W, pitch);
  const widths = xr.map(([a, b]) => b - a).sort((p, q) => p - q);
  const width = opts.columnWidth ?? (widths.length >= 3 ? widths[Math.floor(widths.length / 2)] : undefined);
  if (width) fitColumnWidths(xr, ex, W, width, Math.round(MIN_COLUMN_GAP * pitch), pitch);
  // Background level of a line band's x-profile: the column profile's low level, per row.
  const bgLine = (low / H) * pitch;
  return xr.map(([x0, x1]) => {
    const prof = smooth(rowProfile(ex, W, 0, H, x0, x1), Math.max(1, Math.round(pitch / 4)));
    const peaks = combPeaks(prof, pitch);
    const lines = peaks.map((c) => {
      const y0 = Math.max(0, Math.round(c - pitch / 2));
      const y1 = Math.min(H, Math.round(c + pitch / 2));
      // Inked extent along x inside the band.
      const xp = new Float64Array(x1 - x0);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) xp[x - x0] = xp[x - x0]! + ex[y * W + x]!;
      const xs = smooth(xp, 2);
      const xsorted = Float64Array.from(xs).sort();
      const xm = xsorted[Math.floor(0.9 * xsorted.length)]!;
      const xl = Math.min(xsorted[Math.floor(0.05 * xsorted.length)]!, bgLine);
      let a = 0;
      let b = xs.length;
      while (a < b && xs[a]! < xl + 0.25 * (xm - xl)) a++;
      while (b > a && xs[b - 1]! < xl + 0.25 * (xm - xl)) b--;
      return { y0, y1, x0: x0 + a, x1: x0 + b };
    });
    return { x0, x1, y0: lines[0]?.y0 ?? 0, y1: lines[lines.length - 1]?.y1 ?? H, lines };
  });
}
