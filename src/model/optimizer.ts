/**
 * AdamW over the flat parameter vector, in plain JS (a few ms per step for 0.4M parameters), with parameter groups
 * that scale the learning rate, decoupled weight decay on matrices only, global-norm gradient clipping, and the
 * warm-up + cosine-decay schedule. State (m, v, step) is plain Float32Arrays so it lives in shared memory and
 * goes into checkpoints as is.
 *
 *   const opt = new AdamW(layout, cfg.train, { params, m, v });
 *   const norm = clipGradients(grads, cfg.train.clipNorm);
 *   opt.step(grads, lrAt(cfg.train, step, fraction));
 *
 *   // Data-parallel: average the workers' gradients and take the norm in one pass, fold the clip into the update.
 *   const norm = Math.sqrt(averageGradients([g0, g1], [0.5, 0.5], sum));
 *   opt.step(sum, lr, t, cfg.train.groupLr, clipScale(norm, cfg.train.clipNorm));
 */
import type { TrainConfig } from './config.js';
import type { ParamGroup, ParamLayout } from './network.js';

export interface OptimizerState {
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/** Learning rate at `step` with warm-up, then cosine decay by the run's progress fraction (0..1). */
export function lrAt(
  t: Pick<TrainConfig, 'lr' | 'warmupSteps' | 'minLrFraction'>,
  step: number,
  fraction: number,
): number {
  const warm = t.warmupSteps > 0 ? Math.min(1, (step + 1) / t.warmupSteps) : 1;
  const f = Math.min(1, Math.max(0, fraction));
  const cos = t.minLrFraction + (1 - t.minLrFraction) * 0.5 * (1 + Math.cos(Math.PI * f));
  return t.lr * warm * cos;
}

/** Scales grads in place so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradients(grads: Float32Array, maxNorm: number): number {
  let s = 0;
  for (let i = 0; i < grads.length; i++) s += grads[i] * grads[i];
  const norm = Math.sqrt(s);
  if (maxNorm > 0 && norm > maxNorm) {
    const k = maxNorm / norm;
    for (let i = 0; i < grads.length; i++) grads[i] *= k;
  }
  return norm;
}

/** Factor that scales a gradient of L2 norm `norm` down to at most maxNorm (1 when within it or maxNorm ≤ 0). */
export function clipScale(norm: number, maxNorm: number): number {
  return maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1;
}

/** out = Σ_k weights[k]·parts[k] elementwise, in one pass; returns Σ out² (the squared norm, for clipping). */
export function averageGradients(parts: Float32Array[], weights: number[], out: Float32Array): number {
  let s = 0;
  const n = out.length;
  if (parts.length === 1) {
    const [a] = parts;
    const [wa] = weights;
    for (let i = 0; i < n; i++) {
      const x = (out[i] = wa * a[i]);
      s += x * x;
    }
    return s;
  }
  if (parts.length === 2) {
    const [a, b] = parts;
    const [wa, wb] = weights;
    for (let i = 0; i < n; i++) {
      const x = (out[i] = wa * a[i] + wb * b[i]);
      s += x * x;
    }
    return s;
  }
  out.fill(0);
  for (let k = 0; k < parts.length; k++) {
    const g = parts[k];
    const w = weights[k];
    for (let i = 0; i < n; i++) out[i] += w * g[i];
  }
  for (let i = 0; i < n; i++) s += out[i] * out[i];
  return s;
}

export class AdamW {
  constructor(
    readonly layout: ParamLayout,
    readonly cfg: Pick<TrainConfig, 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'groupLr'>,
    readonly state: OptimizerState,
  ) {}

  /**
   * One update; `t` is the 1-based count of updates so far including this one (bias correction). The gradient is
   * multiplied by `gradScale` first (the clip factor, see clipScale), without writing it back.
   */
  step(
    grads: Float32Array,
    lr: number,
    t: number,
    groupLr: Partial<Record<ParamGroup, number>> = this.cfg.groupLr,
    gradScale = 1,
  ): void {
    const { beta1, beta2, eps, weightDecay } = this.cfg;
    const { params: p, m, v } = this.state;
    const c1 = 1 / (1 - beta1 ** t);
    const c2 = 1 / (1 - beta2 ** t);
    const o1 = 1 - beta1;
    const o2 = 1 - beta2;
    for (const e of this.layout.entries) {
      const a = lr * (groupLr[e.group] ?? 1);
      if (a === 0) continue;
      const decay = e.decay ? 1 - a * weightDecay : 1;
      const ac1 = a * c1;
      const end = e.offset + e.size;
      for (let i = e.offset; i < end; i++) {
        const g = grads[i] * gradScale;
        const mi = beta1 * m[i] + o1 * g;
        const vi = beta2 * v[i] + o2 * g * g;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - (ac1 * mi) / (Math.sqrt(vi * c2) + eps);
      }
    }
  }
}
