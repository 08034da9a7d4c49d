/**
 * Ink detection metrics as the field measures them (Vesuvius Challenge Ink Detection, Kaggle 2023): F0.5 over pixels
 * (precision weighs more than recall), precision, recall and the ROC AUC. The threshold is chosen where the labels
 * are known (the labelled region) and then applied, unchanged, to the region being evaluated: never the other way.
 *
 *   const { threshold } = chooseThreshold(prob, labels, labelledMask);         // on the labelled region only
 *   const score = scoreInk(prob, truth, evalMask, threshold);                  // { f05, precision, recall, auc }
 *   const all = evaluateInk(prob, truth, labelledMask, { evalMask });          // both steps; eval = sheet \ labelled
 *
 * Probabilities are any numbers where larger means "more ink" (Float32Array in [0,1] or bytes 0..255).
 * Labels/truth/masks are bytes: > 127 (labels) or non-zero (masks) means yes.
 */

export type Numbers = ArrayLike<number>;

export interface InkScore {
  f05: number;
  precision: number;
  recall: number;
  auc: number;
  /** Threshold used: pixel predicted ink when prob >= threshold. */
  threshold: number;
  /** Pixels scored, and how many of them are ink in the truth. */
  pixels: number;
  inkPixels: number;
}

/** F-beta from counts; 0 when nothing was predicted or nothing is ink. */
export function fBeta(tp: number, fp: number, fn: number, beta = 0.5): number {
  const b2 = beta * beta;
  const denom = (1 + b2) * tp + b2 * fn + fp;
  return denom > 0 ? ((1 + b2) * tp) / denom : 0;
}

function checkLengths(what: string, ...arrays: (Numbers | undefined)[]): number {
  const n = arrays[0]!.length;
  for (const a of arrays)
    if (a && a.length !== n)
      throw new Error(`${what}: arrays of different lengths (${arrays.map((x) => x?.length).join(', ')})`);
  return n;
}

/** Indices of pixels where `mask` is set (all pixels when no mask). */
function selected(n: number, mask?: Numbers): Uint32Array {
  if (!mask) return Uint32Array.from({ length: n }, (_, i) => i);
  let count = 0;
  for (let i = 0; i < n; i++) if (mask[i]! !== 0) count++;
  const out = new Uint32Array(count);
  for (let i = 0, j = 0; i < n; i++) if (mask[i]! !== 0) out[j++] = i;
  return out;
}

/** The selected pixels sorted by descending probability, with their truth. */
function ranked(prob: Numbers, truth: Numbers, idx: Uint32Array): { p: Float64Array; t: Uint8Array } {
  const order = Array.from(idx).sort((a, b) => prob[b]! - prob[a]!);
  const p = new Float64Array(order.length);
  const t = new Uint8Array(order.length);
  for (let k = 0; k < order.length; k++) {
    p[k] = prob[order[k]!]!;
    t[k] = truth[order[k]!]! > 127 ? 1 : 0;
  }
  return { p, t };
}

/** ROC AUC (probability that a random ink pixel scores above a random non-ink one; ties count half). NaN if one class is absent. */
export function rocAuc(prob: Numbers, truth: Numbers, mask?: Numbers): number {
  const n = checkLengths('rocAuc', prob, truth, mask);
  const { p, t } = ranked(prob, truth, selected(n, mask));
  let pos = 0;
  for (const v of t) pos += v;
  const neg = t.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  // Walk down the ranking in groups of tied scores: each negative beats no positive ranked after it.
  let aboveNeg = 0; // negatives with a strictly higher score than the current group
  let sum = 0;
  for (let i = 0; i < p.length;) {
    let j = i;
    let gp = 0;
    let gn = 0;
    while (j < p.length && p[j] === p[i]) {
      if (t[j]) gp++;
      else gn++;
      j++;
    }
    // positives in this group rank above every negative below, and tie with the gn negatives here
    sum += gp * (neg - aboveNeg - gn) + 0.5 * gp * gn;
    aboveNeg += gn;
    i = j;
  }
  return sum / (pos * neg);
}

/** Precision, recall and F0.5 at one threshold (prob >= threshold is ink), over the masked pixels. */
export function confusionAt(
  prob: Numbers,
  truth: Numbers,
  threshold: number,
  mask?: Numbers,
): { tp: number; fp: number; fn: number; tn: number } {
  const n = checkLengths('confusionAt', prob, truth, mask);
  let tp = 0,
    fp = 0,
    fn = 0,
    tn = 0;
  for (let i = 0; i < n; i++) {
    if (mask && mask[i] === 0) continue;
    const ink = truth[i]! > 127;
    const said = prob[i]! >= threshold;
    if (said && ink) tp++;
    else if (said) fp++;
    else if (ink) fn++;
    else tn++;
  }
  return { tp, fp, fn, tn };
}

/**
 * The threshold that maximises F0.5 on the masked pixels of `labels` (scanning every distinct score). Use it on the
 * labelled region only; the chosen value is then applied elsewhere.
 */
export function chooseThreshold(
  prob: Numbers,
  labels: Numbers,
  mask?: Numbers,
  beta = 0.5,
): { threshold: number; f: number } {
  const n = checkLengths('chooseThreshold', prob, labels, mask);
  const { p, t } = ranked(prob, labels, selected(n, mask));
  let pos = 0;
  for (const v of t) pos += v;
  if (pos === 0 || p.length === 0) return { threshold: 0.5, f: 0 };
  let best = { threshold: p[0]!, f: -1 };
  let tp = 0,
    fp = 0;
  for (let i = 0; i < p.length;) {
    let j = i;
    while (j < p.length && p[j] === p[i]) {
      if (t[j]) tp++;
      else fp++;
      j++;
    }
    const f = fBeta(tp, fp, pos - tp, beta);
    if (f > best.f) best = { threshold: p[i]!, f };
    i = j;
  }
  return best;
}

/** F0.5, precision, recall and AUC of `prob` against `truth` over the masked pixels, at a given threshold. */
export function scoreInk(prob: Numbers, truth: Numbers, mask: Numbers | undefined, threshold: number): InkScore {
  const { tp, fp, fn, tn } = confusionAt(prob, truth, threshold, mask);
  return {
    f05: fBeta(tp, fp, fn),
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
    recall: tp + fn > 0 ? tp / (tp + fn) : 0,
    auc: rocAuc(prob, truth, mask),
    threshold,
    pixels: tp + fp + fn + tn,
    inkPixels: tp + fn,
  };
}

export interface EvaluateOptions {
  /** Pixels to evaluate; default: every pixel outside the labelled mask (within `sheetMask` if given). */
  evalMask?: Numbers;
  /** Pixels that are papyrus at all (the segment's mask); limits both the threshold choice and the evaluation. */
  sheetMask?: Numbers;
  /** Labels to choose the threshold with (default `truth`, read only inside the labelled mask). */
  labels?: Numbers;
  /** Use this threshold instead of choosing one (e.g. one chosen on another scroll's labelled region). */
  threshold?: number;
}

/**
 * Field-style evaluation: choose the F0.5-best threshold on the labelled region (labels read only there), then score
 * the evaluated region (default: the rest of the sheet) against the full truth.
 */
export function evaluateInk(
  prob: Numbers,
  truth: Numbers,
  labelledMask: Numbers,
  opts: EvaluateOptions = {},
): InkScore {
  const n = checkLengths('evaluateInk', prob, truth, labelledMask, opts.evalMask, opts.sheetMask, opts.labels);
  const sheet = opts.sheetMask;
  const inLabelled = new Uint8Array(n);
  for (let i = 0; i < n; i++) inLabelled[i] = labelledMask[i] !== 0 && (!sheet || sheet[i] !== 0) ? 1 : 0;
  let evalMask = opts.evalMask;
  if (!evalMask) {
    const m = new Uint8Array(n);
    for (let i = 0; i < n; i++) m[i] = labelledMask[i] === 0 && (!sheet || sheet[i] !== 0) ? 1 : 0;
    evalMask = m;
  }
  const threshold = opts.threshold ?? chooseThreshold(prob, opts.labels ?? truth, inLabelled).threshold;
  return scoreInk(prob, truth, evalMask, threshold);
}
