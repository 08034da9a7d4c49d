/**
 * Calibrated ink probabilities (Platt scaling): the readout's probability p becomes σ(a·logit(p) + b), with a and b
 * fitted by maximum likelihood on held-out labelled pixels, so that of the pixels given 0.3, about 30 % are ink. The
 * readout uses it only on request (`trainReadout` `calibrate`): its raw probabilities now sit closer to the ink's
 * frequency elsewhere on the dev scrolls than the scaling fitted on its small held-out stripe.
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

/** Newton's method on the log loss, each step halved until the loss falls (a tiny ridge keeps a separable set finite). */
export function fitPlatt(prob: ArrayLike<number>, ink: ArrayLike<number>): Platt {
  const n = prob.length;
  const z = Float64Array.from({ length: n }, (_, i) => logit(prob[i]!));
  // Platt's targets: (N+ + 1)/(N+ + 2) for ink, 1/(N- + 2) for the rest, so few examples cannot drive a or b to
  // infinity.
  let pos = 0;
  for (let i = 0; i < n; i++) if (ink[i]) pos++;
  const hiT = (pos + 1) / (pos + 2);
  const loT = 1 / (n - pos + 2);
  const RIDGE = 1e-3;
  const loss = (a: number, b: number) => {
    let l = 0.5 * RIDGE * ((a - 1) ** 2 + b * b);
    for (let i = 0; i < n; i++) {
      const u = a * z[i]! + b;
      const y = ink[i] ? hiT : loT;
      // log(1 + e^u) - y u, computed without overflow
      l += (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u))) - y * u;
    }
    return l;
  };
  let a = 1;
  let b = 0;
  let current = loss(a, b);
  for (let it = 0; it < 50; it++) {
    let ga = RIDGE * (a - 1);
    let gb = RIDGE * b;
    let haa = RIDGE;
    let hab = 0;
    let hbb = RIDGE;
    for (let i = 0; i < n; i++) {
      const s = 1 / (1 + Math.exp(-(a * z[i]! + b)));
      const y = ink[i] ? hiT : loT;
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
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > current && step > 1e-4) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) break;
    a -= step * da;
    b -= step * db;
    const done = current - next < 1e-9 * Math.max(1, Math.abs(current));
    current = next;
    if (done) break;
  }
  return { a, b };
}

export function applyPlatt(prob: Float32Array, cal: Platt): Float32Array {
  for (let i = 0; i < prob.length; i++) prob[i] = 1 / (1 + Math.exp(-(cal.a * logit(prob[i]!) + cal.b)));
  return prob;
}
