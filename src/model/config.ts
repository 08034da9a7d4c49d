/**
 * The one typed configuration of an AUNN: encoding, network shape and training hyper-parameters, with defaults.
 * It is saved inside every checkpoint, so a model always knows how it was built and trained.
 *
 *   const cfg = modelConfig({ encoding: { kind: 'bits+physical' }, width: 128 });
 *   inputDim(cfg.encoding); // 40 + 3 * 2 * 8
 */
import { UserError } from '../core/errors.js';

export type EncodingKind = 'bits' | 'bits+physical' | 'bits+grid';
export type ScheduleKind = 'minibatch' | 'serial' | 'anneal';

export interface PhysicalEncodingConfig {
  /** Sin/cos pairs per axis, wavelengths spaced geometrically from maxWavelengthUm down to minWavelengthUm. */
  frequencies: number;
  minWavelengthUm: number;
  maxWavelengthUm: number;
}

/**
 * Learned multiresolution hash grid over each record's voxel coordinates (Instant-NGP; the seed's implicit memory
 * units): `levels` grids from cells of `coarsestCellVoxels` down to `finestCellVoxels`, `features` values per
 * vertex, one hashed table of 2^log2TableSize vertices per level (the record id is hashed in). Capped at model
 * creation so its values stay fewer than half the trained voxels.
 *
 * The optional fields were added later; a checkpoint without them was built with the old behaviour (the value in
 * brackets), which is what an absent field means.
 */
export interface GridEncodingConfig {
  levels: number;
  features: number;
  log2TableSize: number;
  coarsestCellVoxels: number;
  /** Cell size of the finest level [1]. At 1, with vertices on voxel centres, a voxel's finest feature is its own
   *  vertex: trained only by that voxel, so it memorises and tells a held-out voxel nothing. */
  finestCellVoxels?: number;
  /** Shift every level by its own fraction of a cell on each axis, so voxel centres fall between vertices [false]. */
  levelOffsets?: boolean;
  /** Address bits fed beside the grid: the record bits plus only the top `axisBits` bits of each of z, y, x (the
   *  rest fed as 0) [all]. Low coordinate bits give a held-out voxel an arbitrary code; the grid carries position. */
  axisBits?: number;
}

export interface EncodingConfig {
  kind: EncodingKind;
  /** Address bits fed as ±1 (the corpus' addressBits, 40 by default). */
  addressBits: number;
  physical: PhysicalEncodingConfig;
  grid: GridEncodingConfig;
}

/** Learning-rate multipliers of the parameter groups (input layer, residual trunk, output head). */
export interface ParamGroupLr {
  input: number;
  trunk: number;
  output: number;
  grid: number;
}

export interface TrainConfig {
  batchSize: number;
  /** Peak AdamW learning rate (multiplied per parameter group by `groupLr`). */
  lr: number;
  groupLr: ParamGroupLr;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  warmupSteps: number;
  /** Cosine decay to lr * minLrFraction over the run. */
  minLrFraction: number;
  /** Width (in byte values) of the Gaussian-smoothed targets of the softmax; 0 = one-hot. */
  labelSigma: number;
  /** Global gradient-norm clip. */
  clipNorm: number;
  /** Fraction of every record's addresses held out (never trained on). */
  heldOutFraction: number;
  schedule: ScheduleKind;
  /** Serial schedule: window length (addresses), steps per window, fraction of each batch replayed from earlier. */
  serialWindow: number;
  serialStepsPerWindow: number;
  replayFraction: number;
  /** Minibatch: a record is drawn with probability ∝ voxels^recordWeightPower (0.5: small records not drowned). */
  recordWeightPower: number;
  /** Minibatch persistency: optimizer steps taken on each drawn minibatch (the seed's "k steps per batch") [1]. */
  persistency?: number;
  /** Bound on the training data held in memory (MiB); larger corpora train on a random resident subset of
   *  row blocks, drawn anew for every run [unbounded]. */
  maxResidentMB?: number;
  /** Data-parallel worker threads (gradients averaged through shared memory). */
  threads: number;
  checkpointEverySeconds: number;
  evalEverySeconds: number;
  /** Also evaluate every this many steps of a run (0 = by time only). */
  evalEverySteps: number;
  seed: number;
}

export interface ModelConfig {
  format: 'aunn-config';
  version: 1;
  encoding: EncodingConfig;
  /** Hidden width and number of hidden layers (input projection + depth-1 pre-norm residual blocks). */
  width: number;
  depth: number;
  norm: 'rms';
  activation: 'relu';
  train: TrainConfig;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export const DEFAULT_CONFIG: ModelConfig = {
  format: 'aunn-config',
  version: 1,
  encoding: {
    // Bench encodings on sample 1 (10-min runs read at 1/3/10 min, shared 2-core machine, records weigh equally):
    // bits+grid 15.94/16.28/16.82 dB, bits+physical 13.32/13.72/14.22, bits 12.37/13.29/13.80; interpolation 22.21.
    // Per record at 10 min, bits+grid vs interpolation: scan A 25.57 vs 25.44, scan B 27.23 vs 26.86, layers 29.08 vs
    // 29.07, ink labels 10.08 vs 16.21 (binary 2-px strokes: the equal-weight average is the ink record's), mask
    // 45.9 vs 99 (constant).
    // Grid geometry, equal steps on sample 1 (150 steps × 4096, held-out PSNR, records weigh equally): vertices on
    // voxel centres down to 1 voxel, all 40 bits fed: 12.83 dB; finest cell 2 + shifted levels + record bits only:
    // 13.45 (same with all bits fed: 12.92; top 2 bits per axis: 13.25). At 400 steps with lr 5e-3: table 2^16
    // 16.17, 2^17 16.38 (6 levels × 2^17: 16.11, 6 × 2^18: 16.34). The trainer's cap may shrink the table.
    kind: 'bits+grid',
    addressBits: 40,
    physical: { frequencies: 8, minWavelengthUm: 8, maxWavelengthUm: 4096 },
    grid: {
      levels: 8,
      features: 2,
      log2TableSize: 17,
      coarsestCellVoxels: 32,
      finestCellVoxels: 2,
      levelOffsets: true,
      axisBits: 0,
    },
  },
  // With the grid doing the memorising, a small MLP wins per minute: 1 min on the sample's scan A (shared cores),
  // 128×3: 2,290 samples/s, 12.2 dB held-out; 256×6 (the reference MLP): 529 samples/s, 7.8 dB.
  width: 128,
  depth: 3,
  norm: 'rms',
  activation: 'relu',
  train: {
    batchSize: 4096,
    // Sample 1, equal steps: 2e-3 → 5e-3 gave +0.6 dB at 150 steps; 1e-2 equals 5e-3 at 400 steps (16.15 vs 16.17).
    lr: 5e-3,
    groupLr: { input: 1, trunk: 1, output: 1, grid: 5 },
    beta1: 0.9,
    beta2: 0.99,
    eps: 1e-8,
    weightDecay: 0.01,
    // Runs here are minutes long (tens to hundreds of steps on 2 shared cores): warm up briefly.
    warmupSteps: 10,
    minLrFraction: 0.1,
    labelSigma: 2,
    clipNorm: 1,
    heldOutFraction: 0.05,
    schedule: 'minibatch',
    serialWindow: 65536,
    serialStepsPerWindow: 4,
    replayFraction: 0.5,
    recordWeightPower: 0.5,
    // k = 2 at equal steps (so half the distinct samples) on sample 1: 15.44 dB vs 16.17 with k = 1.
    persistency: 1,
    maxResidentMB: 2048,
    threads: 2,
    checkpointEverySeconds: 30,
    evalEverySeconds: 10,
    evalEverySteps: 0,
    seed: 1,
  },
};

function merge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (over === undefined) return structuredClone(base);
  const out: Record<string, unknown> = structuredClone(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (v === undefined) continue;
    const cur = out[k];
    out[k] =
      cur && typeof cur === 'object' && !Array.isArray(cur) && typeof v === 'object' ? merge(cur, v as never) : v;
  }
  return out as T;
}

/** Defaults overridden by `over`, validated (UserError on nonsense). */
export function modelConfig(over?: DeepPartial<ModelConfig>): ModelConfig {
  const cfg = merge(DEFAULT_CONFIG, over);
  const bad = (what: string) => {
    throw new UserError(`invalid model config: ${what}`);
  };
  if (!['bits', 'bits+physical', 'bits+grid'].includes(cfg.encoding.kind))
    bad(`encoding '${cfg.encoding.kind}' (use bits, bits+physical or bits+grid)`);
  const g = cfg.encoding.grid;
  if (!(
    g.levels >= 1 &&
    g.levels <= 16 &&
    g.features >= 1 &&
    g.features <= 8 &&
    g.log2TableSize >= 4 &&
    g.log2TableSize <= 24
  ))
    bad(`grid ${JSON.stringify(g)}`);
  if (!(g.coarsestCellVoxels >= (g.finestCellVoxels ?? 1) && (g.finestCellVoxels ?? 1) > 0))
    bad(`grid cells ${g.coarsestCellVoxels} … ${g.finestCellVoxels} voxels`);
  if (g.axisBits !== undefined && !(Number.isInteger(g.axisBits) && g.axisBits >= 0 && g.axisBits <= 53))
    bad(`grid axisBits ${g.axisBits}`);
  if (!(cfg.encoding.addressBits >= 8 && cfg.encoding.addressBits <= 53))
    bad(`addressBits ${cfg.encoding.addressBits}`);
  if (!(cfg.width >= 8 && cfg.width <= 4096 && Number.isInteger(cfg.width))) bad(`width ${cfg.width}`);
  if (!(cfg.depth >= 1 && cfg.depth <= 64 && Number.isInteger(cfg.depth))) bad(`depth ${cfg.depth}`);
  const t = cfg.train;
  if (!(t.batchSize >= 2 && Number.isInteger(t.batchSize))) bad(`batchSize ${t.batchSize}`);
  if (!(t.lr > 0)) bad(`lr ${t.lr}`);
  if (!(t.heldOutFraction >= 0 && t.heldOutFraction < 1)) bad(`heldOutFraction ${t.heldOutFraction}`);
  if (!['minibatch', 'serial', 'anneal'].includes(t.schedule))
    bad(`schedule '${t.schedule}' (use minibatch, serial or anneal)`);
  if (!(t.threads >= 1 && t.threads <= 16 && Number.isInteger(t.threads))) bad(`threads ${t.threads}`);
  if (t.persistency !== undefined && !(Number.isInteger(t.persistency) && t.persistency >= 1 && t.persistency <= 64))
    bad(`persistency ${t.persistency}`);
  if (t.maxResidentMB !== undefined && !(t.maxResidentMB > 0)) bad(`maxResidentMB ${t.maxResidentMB}`);
  return cfg;
}

/** Width of the encoded input vector. */
export function inputDim(enc: EncodingConfig): number {
  return (
    enc.addressBits +
    (enc.kind === 'bits+physical' ? 6 * enc.physical.frequencies : 0) +
    (enc.kind === 'bits+grid' ? gridDim(enc) : 0)
  );
}

/** Columns of the grid features (at the end of the input vector). */
export function gridDim(enc: EncodingConfig): number {
  return enc.kind === 'bits+grid' ? enc.grid.levels * enc.grid.features : 0;
}

/** Values in the hash-grid tables. */
export function gridParams(enc: EncodingConfig): number {
  return enc.kind === 'bits+grid' ? enc.grid.levels * 2 ** enc.grid.log2TableSize * enc.grid.features : 0;
}
