/**
 * Calibrated ink probabilities (Platt scaling): the readout's probability p becomes σ(a·logit(p) + b), with a and b
 * fitted by maximum likelihood on held-out labelled pixels, so that of the pixels given 0.3, about 30 % are ink. A
 * network trained with dropout and early stopping ranks ink well but its raw probabilities sit far from the ink's
 * frequency (on unseen scrolls every raw value was below 0.36 while the threshold was 0.5).
 *
 *   const cal = fitPlatt(heldOutProbs, heldOutIsInk);    // { a, b }
 *   applyPlatt(prob, cal);                               // in place
 */
export interface Platt {
  a: number;
  b: number;
}

const EPS = 1e-6;
const logit = (p: number) => {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
};

/** Newton's method on the log loss (with a tiny ridge so a separable set stays finite). */
export function fitPlatt(prob: ArrayLike<number>, ink: ArrayLike<number>): Platt {
  const n = prob.length;
  const z = Float64Array.from({ length: n }, (_, i) => logit(prob[i]!));
  let a = 1;
  let b = 0;
  for (let it = 0; it < 50; it++) {
    let ga = 1e-3 * (a - 1);
    let gb = 1e-3 * b;
    let haa = 1e-3;
    let hab = 0;
    let hbb = 1e-3;
    for (let i = 0; i < n; i++) {
      const s = 1 / (1 + Math.exp(-(a * z[i]! + b)));
      const y = ink[i]! ? 1 : 0;
      const w = s * (1 - s);
      ga += (s - y) * z[i]!;
      gb += s - y;
      haa += w * z[i]! * z[i]!;
      hab += w * z[i]!;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-7) break;
  }
  return { a, b };
}

export function applyPlatt(prob: Float32Array, cal: Platt): Float32Array {
  for (let i = 0; i < prob.length; i++) prob[i] = 1 / (1 + Math.exp(-(cal.a * logit(prob[i]!) + cal.b)));
  return prob;
}
