/**
 * Page layout from an ink map, with projection profiles: the line pitch (autocorrelation of the row profile),
 * columns (runs of inked x separated by gaps wider than ~0.6 line pitch) and the lines of each column (peaks of the
 * column's smoothed row profile at least 0.75 pitch apart). No sizes are assumed; everything scales with the pitch.
 *
 *   const pitch = estimatePitch(map);
 *   const cols = findColumns(map, pitch);            // [{ x0, x1, lines: [{ y0, y1, x0, x1 }] }]
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

/**
 * Line pitch in pixels: for each candidate pitch (4 px .. half the written height, quarter-pixel steps) and phase,
 * the mean contrast between the row profile under a comb's teeth (line centres) and a third, half and two thirds of
 * the way to the next tooth (the gaps); the pitch with the highest contrast wins. Twice or three times the true pitch
 * puts some of those off-teeth on lines, and half of it puts teeth on gaps, so none scores: no harmonic confusion,
 * and noise that is the same everywhere cancels out.
 */
export function estimatePitch(map: InkMap): number {
  const ex = excess(map);
  const full = smooth(rowProfile(ex, map.width, 0, map.height, 0, map.width), 2);
  // Only the written rows: margins would dilute the contrast.
  const pmax = Math.max(...full);
  let first = 0;
  let last = full.length - 1;
  while (first < last && full[first]! < 0.3 * pmax) first++;
  while (last > first && full[last]! < 0.3 * pmax) last--;
  const p = full.subarray(first, last + 1);
  let best = { pitch: Math.max(4, Math.round(map.height / 8)), score: 0 };
  for (let pt = 4; pt <= Math.max(5, p.length / 2); pt += 0.25) {
    for (let phase = 0; phase < pt; phase += 0.5) {
      let on = 0;
      let off = 0;
      let n = 0;
      // Off-teeth at 1/3, 1/2 and 2/3 of the pitch: at twice the true pitch the half-way tooth is on a line, at three
      // times the third-way ones are.
      for (let y = phase; y + pt / 2 < p.length; y += pt) {
        on += at(p, y);
        off += (at(p, y + pt / 3) + at(p, y + pt / 2) + at(p, y + (2 * pt) / 3)) / 3;
        n++;
      }
      // Averaged over at least three teeth: summed, a short pitch won on the bars inside large letters (a line of
      // 16-px capitals has strokes every ~8 px); three teeth keep a long pitch from winning on one lucky phase.
      if (n < 3) continue;
      const score = (on - off) / n;
      if (score > best.score * 1.02) best = { pitch: pt, score };
    }
  }
  return Math.round(best.pitch);
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
 * Line centres in a column's row profile: the regular comb (pitch refined to ±1 px in 0.05 steps, any phase) with
 * the most ink under its teeth, teeth kept where the profile is clearly above background, each then moved to the
 * local maximum within a quarter pitch (scribes do not rule perfectly).
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
  const peaks: number[] = [];
  const r = Math.max(1, Math.round(best.pitch / 4));
  for (let y = best.phase; y < prof.length; y += best.pitch) {
    let c = Math.min(prof.length - 1, Math.round(y));
    for (let d = -r; d <= r; d++) {
      const yy = Math.round(y) + d;
      if (yy >= 0 && yy < prof.length && prof[yy]! > prof[c]!) c = yy;
    }
    if (c >= 0 && c < prof.length && prof[c]! > low + 0.35 * (high - low)) peaks.push(c);
  }
  return peaks;
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

export function findColumns(map: InkMap, pitch = estimatePitch(map)): ColumnBox[] {
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
