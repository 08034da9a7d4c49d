/**
 * The differentiable rendering loss that ties read text to ink. Each read letter is a soft letter: its posterior over
 * the alphabet at that place (glyph evidence x the frozen LM's probability, from the beam decoder's letter
 * confidences and alternatives). Rendering the glyph templates weighted by those probabilities gives the ink the text
 * expects; the readout's ink on the AUNN's reconstructed layers is compared with it (weighted squared error, the
 * weight of a letter = its posterior, so letters that glyphs and LM agree on pull hardest). The loss gradient is taken
 * through the readout network (`backward`, w.r.t. its input) and through the input normalisation, onto the layer
 * bytes, and a gradient step on those bytes gives pseudo-targets for the AUNN at those voxels.
 *
 *   const { target, weight } = renderExpectedInk(reading, glyphs, H, W);
 *   const g = inkLossGradient(readout, renderedSegment, target, weight, boxes);   // g.grad: [C, H, W] over the band
 *   const t = pseudoTargets(layersRecord, renderedSegment, g, { stepBytes: 12 }); // address+byte pairs
 */
import { addressOf } from '../../corpus/index.js';
import type { RecordMeta } from '../../corpus/index.js';
import { GREEK_ALPHABET } from '../greek-text.js';
import type { Reading } from '../reading/reading-file.js';
import type { GlyphModel } from '../reading/glyphs.js';
import { backward, forward, receptiveRadius } from '../../ink/index.js';
import { boxSmooth, bandSize, layerBand, localNormalise, type LayerBand } from '../../ink/index.js';
import { bandFor, type InkReadout } from '../../ink/index.js';
import type { InkSegment } from '../../ink/index.js';

export interface ExpectedInk {
  /** Expected ink probability [H*W] where the text says something (0 elsewhere). */
  target: Float32Array;
  /** Loss weight [H*W]: the letter posterior inside letters, the line's mean posterior between them, 0 off lines. */
  weight: Float32Array;
  letters: number;
}

/**
 * Soft letters of a reading rendered with the glyph templates into the map's ink-probability units. With
 * `minConfidence` > 0 only letters whose posterior reaches it are rendered and weighted (no weight between letters).
 */
export function renderExpectedInk(
  reading: Reading,
  glyphs: GlyphModel,
  height: number,
  width: number,
  opts: { minConfidence?: number } = {},
): ExpectedInk {
  const minConfidence = opts.minConfidence ?? 0;
  const shape = new Float32Array(height * width);
  const weight = new Float32Array(height * width);
  const h = 2 * glyphs.r + 1;
  let letters = 0;
  for (const col of reading.columns)
    for (const line of col.lines) {
      const placed = line.letters.filter((l) => l.bbox && l.char && l.confidence >= minConfidence);
      if (!placed.length) continue;
      const mean = placed.reduce((s, l) => s + l.confidence, 0) / placed.length;
      const yTop = placed[0]!.bbox![1] - 1;
      const [lx0, , lx1] = line.bbox ?? [placed[0]!.bbox![0] - 1, 0, placed.at(-1)!.bbox![2] + 1];
      for (let i = 0; i < h && minConfidence === 0; i++) {
        const y = yTop + i;
        if (y < 0 || y >= height) continue;
        for (let x = Math.max(0, lx0); x < Math.min(width, lx1); x++)
          weight[y * width + x] = Math.max(weight[y * width + x]!, mean);
      }
      for (const l of placed) {
        // Posterior over the letters the decoder kept (the read one and its runners-up), renormalised.
        const probs = [{ char: l.char, p: l.confidence }, ...(l.alternatives ?? [])].filter(
          (a) => GREEK_ALPHABET.includes(a.char) && a.p > 0,
        );
        const z = probs.reduce((s, a) => s + a.p, 0);
        if (!(z > 0)) continue;
        letters++;
        const x0 = l.bbox![0] - 1;
        const y0 = l.bbox![1] - 1;
        const wMax = Math.max(...probs.map((a) => glyphs.templates[GREEK_ALPHABET.indexOf(a.char)]!.width));
        for (let i = 0; i < h; i++) {
          const y = y0 + i;
          if (y < 0 || y >= height) continue;
          for (let j = 0; j < wMax; j++) {
            const x = x0 + j;
            if (x < 0 || x >= width) continue;
            let e = 0;
            for (const a of probs) {
              const t = glyphs.templates[GREEK_ALPHABET.indexOf(a.char)]!;
              if (j < t.width) e += (a.p / z) * t.t[i * t.width + j]!;
            }
            const k = y * width + x;
            shape[k] = Math.max(shape[k]!, e);
            weight[k] = Math.max(weight[k]!, l.confidence);
          }
        }
      }
    }
  const g = glyphs.gauss;
  const target = shape.map((e, k) => (weight[k]! > 0 ? (g ? g.lo + (g.hi - g.lo) * e : e) : 0));
  return { target, weight, letters };
}

export interface InkLossGradient {
  band: LayerBand;
  /** dLoss/dByte for the band's layers, raster [C, H, W] (layer band.from + c). */
  grad: Float32Array;
  /** Weighted mean squared error between the readout's ink and the expected ink, and the pixels it covers. */
  loss: number;
  pixels: number;
}

/** d(normalised input)/d(byte) per pixel and channel, treating the per-layer and local statistics as constants. */
function inputJacobian(seg: InkSegment, band: LayerBand, lb: Float32Array, localRadius: number): Float32Array {
  const C = bandSize(band);
  const plane = seg.height * seg.width;
  const jac = new Float32Array(plane * C);
  for (let c = 0; c < C; c++) {
    // layerBand is (byte - median) / spread per layer: recover 1/spread from two sheet pixels with different bytes.
    const off = (band.from + c) * plane;
    const on = (i: number) => !seg.sheetMask || seg.sheetMask[i] !== 0;
    let ref = 0;
    while (ref < plane && !on(ref)) ref++;
    let inv = 0;
    for (let i = ref + 1; i < plane && inv === 0; i++) {
      const db = seg.layers[off + i]! - seg.layers[off + ref]!;
      if (db !== 0 && on(i)) inv = (lb[i * C + c]! - lb[ref * C + c]!) / db;
    }
    for (let i = 0; i < plane; i++) jac[i * C + c] = inv;
  }
  if (localRadius > 0) {
    const mean = boxSmooth(lb, seg.height, seg.width, C, localRadius);
    const sq = lb.map((v, i) => (v - mean[i]!) ** 2);
    const variance = boxSmooth(sq, seg.height, seg.width, C, localRadius);
    for (let i = 0; i < jac.length; i++) jac[i] = jac[i]! / Math.sqrt(variance[i]! + 0.05);
  }
  return jac;
}

/**
 * Gradient of the rendering loss w.r.t. the band's layer bytes, computed per box (a read column, plus the readout's
 * receptive margin) with the readout's training forward/backward (no dropout, no mirroring).
 */
export function inkLossGradient(
  readout: InkReadout,
  seg: InkSegment,
  target: Float32Array,
  weight: Float32Array,
  boxes: [number, number, number, number][],
  signal?: AbortSignal,
): InkLossGradient {
  const band = bandFor(readout, seg);
  const C = bandSize(band);
  const { height: H, width: W } = seg;
  const lb = layerBand(seg, band);
  const x = readout.localRadius > 0 ? localNormalise(lb, H, W, C, readout.localRadius) : lb;
  const jac = inputJacobian(seg, band, lb, readout.localRadius);
  // An ensemble readout predicts the mean of its networks: the loss is on that mean, each network gets its share.
  const nets = [readout.net, ...(readout.members ?? [])];
  const weights = nets.map((net) => net.tensors.map((t) => t.data));
  const R = receptiveRadius(readout.net.shape);
  const gradX = new Float32Array(H * W * C);
  let wsum = 0;
  for (let i = 0; i < weight.length; i++) if (!seg.sheetMask || seg.sheetMask[i]) wsum += weight[i]!;
  let loss = 0;
  let pixels = 0;
  for (const [bx0, by0, bx1, by1] of boxes) {
    signal?.throwIfAborted();
    const y0 = Math.max(0, by0 - R),
      y1 = Math.min(H, by1 + R),
      x0 = Math.max(0, bx0 - R),
      x1 = Math.min(W, bx1 + R);
    const h = y1 - y0,
      w = x1 - x0;
    if (h <= 0 || w <= 0) continue;
    const crop = new Float32Array(h * w * C);
    for (let y = 0; y < h; y++) crop.set(x.subarray(((y0 + y) * W + x0) * C, ((y0 + y) * W + x1) * C), y * w * C);
    const passes = nets.map((net, k) => forward(net.shape, weights[k]!, crop, [1, h, w, C]));
    const probs = passes.map(({ logits }) => Float32Array.from(logits, (z) => 1 / (1 + Math.exp(-z))));
    const dzs = nets.map(() => new Float32Array(h * w));
    for (let y = Math.max(by0, 0) - y0; y < Math.min(by1, H) - y0; y++)
      for (let xx = Math.max(bx0, 0) - x0; xx < Math.min(bx1, W) - x0; xx++) {
        const k = (y0 + y) * W + x0 + xx;
        const wk = weight[k]!;
        if (!wk || (seg.sheetMask && !seg.sheetMask[k])) continue;
        const j = y * w + xx;
        let p = 0;
        for (const pr of probs) p += pr[j]! / nets.length;
        const e = p - target[k]!;
        loss += wk * e * e;
        pixels++;
        probs.forEach(
          (pr, n) => (dzs[n]![j] = (2 * wk * e * pr[j]! * (1 - pr[j]!)) / nets.length / Math.max(1e-9, wsum)),
        );
      }
    nets.forEach((net, n) => {
      const { dInput } = backward(net.shape, weights[n]!, passes[n]!.cache, dzs[n]!, true);
      passes[n]!.cache.dispose();
      for (let y = 0; y < h; y++)
        for (let i = 0; i < w * C; i++) gradX[((y0 + y) * W + x0) * C + i]! += dInput![y * w * C + i]!;
    });
  }
  const plane = H * W;
  const grad = new Float32Array(C * plane);
  for (let i = 0; i < plane; i++) {
    if (seg.sheetMask && !seg.sheetMask[i]) continue;
    for (let c = 0; c < C; c++) grad[c * plane + i] = gradX[i * C + c]! * jac[i * C + c]!;
  }
  return { band, grad, loss: wsum > 0 ? loss / wsum : 0, pixels };
}

export interface PseudoTargets {
  addresses: Float64Array;
  bytes: Uint8Array;
  /** Bytes moved per voxel (mean |step|) and the step size used. */
  meanStep: number;
  eta: number;
}

/**
 * One gradient step on the rendered layer bytes: target = byte - eta * grad, eta scaled so that the 99th percentile of
 * |step| is `stepBytes`; only voxels that move by at least `minStep` become pairs (at the layers record's addresses).
 */
export function pseudoTargets(
  layersRecord: RecordMeta,
  seg: InkSegment,
  g: InkLossGradient,
  opts: { stepBytes?: number; minStep?: number } = {},
): PseudoTargets {
  const stepBytes = opts.stepBytes ?? 12;
  const minStep = opts.minStep ?? 1;
  const plane = seg.height * seg.width;
  const mags = Float32Array.from(
    g.grad.filter((v) => v !== 0),
    Math.abs,
  ).sort();
  if (!mags.length) return { addresses: new Float64Array(0), bytes: new Uint8Array(0), meanStep: 0, eta: 0 };
  const eta = stepBytes / Math.max(1e-30, mags[Math.min(mags.length - 1, Math.floor(0.99 * mags.length))]!);
  const addresses: number[] = [];
  const bytes: number[] = [];
  let moved = 0;
  for (let c = 0; c < g.grad.length / plane; c++)
    for (let i = 0; i < plane; i++) {
      const step = -eta * g.grad[c * plane + i]!;
      if (Math.abs(step) < minStep) continue;
      const z = g.band.from + c;
      const v = seg.layers[z * plane + i]!;
      const t = Math.min(255, Math.max(0, Math.round(v + Math.max(-2 * stepBytes, Math.min(2 * stepBytes, step)))));
      moved += Math.abs(t - v);
      addresses.push(addressOf(layersRecord, z, Math.floor(i / seg.width), i % seg.width));
      bytes.push(t);
    }
  return {
    addresses: Float64Array.from(addresses),
    bytes: Uint8Array.from(bytes),
    meanStep: bytes.length ? moved / bytes.length : 0,
    eta,
  };
}
