/**
 * Scores against a sample scroll's truth that the generalization bench and the demo report beside CER and F0.5:
 * how well the ink probabilities are calibrated, whether the layout (columns, lines) was found, and whether the
 * letters a reading prints as certain are right.
 *
 *   const cal = inkCalibration(prob, truth, evalMask);        // { maxGap, ece, bins: [{ mean, observed, pixels }] }
 *   const lay = layoutScore(found, truthColumns, truthLines);  // { columnsFound, columnsTrue, columnIoU, lineIoU, right }
 *   const acc = letterAccuracy(reading, truth.columns, { minX, threshold: 0.8 });   // { plainRight, plain, marked, ... }
 */
import type { ColumnBox } from '../lm-conditioning/reading/layout.js';
import type { Reading } from '../lm-conditioning/reading/reading-file.js';
import { rightLetters } from '../lm-conditioning/reading/align-text.js';

export interface CalibrationBin {
  /** Mean predicted probability in the bin, and the share of its pixels that are ink. */
  mean: number;
  observed: number;
  pixels: number;
}

/**
 * Reliability over deciles of the predicted probability ([0, 0.1), …, [0.9, 1]): per bin with at least `minPixels`
 * pixels, the mean prediction and the observed ink frequency; `maxGap` is the largest difference, `ece` the
 * pixel-weighted mean difference.
 */
export function inkCalibration(
  prob: ArrayLike<number>,
  truth: ArrayLike<number>,
  mask: ArrayLike<number>,
  minPixels = 200,
): { maxGap: number; ece: number; bins: CalibrationBin[] } {
  const sum = new Float64Array(10);
  const ink = new Float64Array(10);
  const n = new Float64Array(10);
  for (let i = 0; i < prob.length; i++) {
    if (!mask[i]) continue;
    const p = prob[i]!;
    const b = Math.min(9, Math.max(0, Math.floor(p * 10)));
    sum[b] += p;
    ink[b] += truth[i]! > 127 ? 1 : 0;
    n[b]++;
  }
  const bins: CalibrationBin[] = [];
  let maxGap = 0;
  let ece = 0;
  let total = 0;
  for (let b = 0; b < 10; b++) {
    if (n[b]! < minPixels) continue;
    const bin = { mean: sum[b]! / n[b]!, observed: ink[b]! / n[b]!, pixels: n[b]! };
    bins.push(bin);
    const gap = Math.abs(bin.mean - bin.observed);
    maxGap = Math.max(maxGap, gap);
    ece += gap * n[b]!;
    total += n[b]!;
  }
  return { maxGap, ece: total ? ece / total : NaN, bins };
}

export interface TruthLetterBox {
  column: number;
  line: number;
  box: [number, number, number, number];
}

type Box = [number, number, number, number];

/** Intersection over union of two [x0, y0, x1, y1) boxes. */
export function boxIoU(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

export interface LayoutScore {
  columnsFound: number;
  columnsTrue: number;
  /** Mean over true columns of the best IoU of x-extents with a found column. */
  columnIoU: number;
  linesFound: number;
  linesTrue: number;
  /** Mean over true lines of the best x-extent IoU with a found line centred on it (within a quarter band). */
  lineIoU: number;
  /** Every column and every line found with IoU ≥ `minIoU`, and no extra ones. */
  right: boolean;
}

/**
 * Columns and lines found against the truth. Truth column boxes come from text.json (inked extent, inclusive), truth
 * lines from the letters' boxes. A column is found right with IoU ≥ minIoU of its x-extent; a line when a found band is centred
 * on its letters (within a quarter of the band) and their extents along x overlap with IoU ≥ minIoU.
 */
export function layoutScore(
  found: ColumnBox[],
  truthColumns: { box: number[] }[],
  letters: TruthLetterBox[],
  minIoU = 0.8,
): LayoutScore {
  // Columns by their extent along x: a found column's height runs to its line bands, a convention (lines are
  // checked on their own below).
  const tCols = truthColumns.map((c) => [c.box[0]!, 0, c.box[2]! + 1, 1] as Box);
  const fCols = found.map((c) => [c.x0, 0, c.x1, 1] as Box);
  const colIoU = tCols.map((t) => Math.max(0, ...fCols.map((f) => boxIoU(t, f))));
  const lines = new Map<string, Box>();
  for (const l of letters) {
    const key = `${l.column}:${l.line}`;
    const [x0, y0, x1, y1] = l.box;
    const b = lines.get(key);
    lines.set(
      key,
      b
        ? [Math.min(b[0], x0), Math.min(b[1], y0), Math.max(b[2], x1 + 1), Math.max(b[3], y1 + 1)]
        : [x0, y0, x1 + 1, y1 + 1],
    );
  }
  const fLines = found.flatMap((c) => c.lines.map((l) => [l.x0, l.y0, l.x1, l.y1] as Box));
  // A line is found when a found band's centre lies within a quarter of its height of the letters' centre; its
  // score is then the IoU of the inked extents along x (the band's height is a convention, not a finding).
  const lineIoU = [...lines.values()].map((t) => {
    const c = (t[1] + t[3]) / 2;
    return Math.max(
      0,
      ...fLines.map((f) => {
        const h = f[3] - f[1];
        if (Math.abs((f[1] + f[3]) / 2 - c) > h / 4) return 0;
        const ix = Math.max(0, Math.min(f[2], t[2]) - Math.max(f[0], t[0]));
        return ix / (Math.max(f[2], t[2]) - Math.min(f[0], t[0]));
      }),
    );
  });
  const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);
  return {
    columnsFound: fCols.length,
    columnsTrue: tCols.length,
    columnIoU: mean(colIoU),
    linesFound: fLines.length,
    linesTrue: lines.size,
    lineIoU: mean(lineIoU),
    right:
      fCols.length === tCols.length &&
      fLines.length === lines.size &&
      colIoU.every((v) => v >= minIoU) &&
      lineIoU.every((v) => v >= minIoU),
  };
}

export interface LetterAccuracy {
  /** Letters printed plain (seen in the ink with confidence ≥ threshold), and how many of them are right. */
  plain: number;
  plainRight: number;
  /** Letters printed with an underdot (uncertain), supplied by the LM ([ ]) or lost ([.n]). */
  uncertain: number;
  supplied: number;
  lost: number;
  /** All letter positions of the reading that were scored. */
  total: number;
}

/**
 * Which printed letters are right: each scored truth column (box x0 ≥ minX) is aligned to the read column overlapping
 * it most by edit distance, and a read letter counts as right when the alignment matches it to the same truth letter.
 */
export function letterAccuracy(
  reading: Reading,
  truth: { lines: string[]; box: number[] }[],
  opts: { minX?: number; threshold: number },
): LetterAccuracy {
  const acc: LetterAccuracy = { plain: 0, plainRight: 0, uncertain: 0, supplied: 0, lost: 0, total: 0 };
  for (const t of truth) {
    if (t.box[0]! < (opts.minX ?? -Infinity)) continue;
    const overlap = (c: Reading['columns'][number]) =>
      c.bbox ? Math.max(0, Math.min(c.bbox[2], t.box[2]!) - Math.max(c.bbox[0], t.box[0]!)) : 0;
    const col = [...reading.columns].sort((a, b) => overlap(b) - overlap(a))[0];
    if (!col || overlap(col) <= 0) continue;
    const read = col.lines.flatMap((l) => l.letters);
    const right = rightLetters(
      read.map((l) => l.char || '?'),
      t.lines.join(''),
    );
    read.forEach((l, i) => {
      acc.total++;
      if (l.source === 'lost') acc.lost++;
      else if (l.source === 'lm') acc.supplied++;
      else if (l.confidence < opts.threshold) acc.uncertain++;
      else {
        acc.plain++;
        if (right[i]) acc.plainRight++;
      }
    });
  }
  return acc;
}
