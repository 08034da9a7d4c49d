/**
 * Everything that makes one sample scroll different from another, drawn from the seed, plus the fixed sizes of
 * `small` and `medium`. Two seeds give genuinely different scrolls (winding count, squash, warp, text start, hand,
 * noise, ink contrast, the second scan's pose), all inside a plausible range.
 *
 *   const p = scrollParams(1, 'small');   // p.scanA.shape, p.spiral.windings, p.ink.contrast ...
 */
import { Rng, seedFrom } from './rng.js';

export type SampleSize = 'tiny' | 'small' | 'medium';
export const SAMPLE_SIZES: readonly SampleSize[] = ['tiny', 'small', 'medium'];

export interface SpiralParams {
  /** Axis position in slice z = 0 and its drift over the height (a slightly leaning scroll), voxels. */
  centre: [number, number];
  drift: [number, number];
  innerRadius: number;
  windings: number;
  /** Radial distance between windings before squashing. */
  pitch: number;
  /** y/x scale of the squash (1 = round). */
  squash: number;
  /** Direction of the squash and its twist from bottom to top, radians. */
  squashAngle: number;
  twist: number;
  /** Radial warps: amp (voxels), angular frequency (non-integer: neighbouring windings move differently), z cycles, phase. */
  warps: Array<{ amp: number; fTheta: number; fZ: number; phase: number }>;
  /** Crumples: amp (voxels), wavelength along the sheet (voxels), z cycles, phase. */
  crumples: Array<{ amp: number; wavelength: number; fZ: number; phase: number }>;
  /** Sheet thickness (voxels) and its variation. */
  thickness: number;
  thicknessVar: number;
  /** Direction of θ in the slice (x right, y down): false = from +x toward +y; chosen so that the recto normal t × ẑ faces the centre and the layers read unmirrored. */
  clockwise: boolean;
}

export interface ScanParams {
  /** [z, y, x] voxels */
  shape: [number, number, number];
  voxelSizeUm: number;
  energyKeV: number;
  /** Papyrus attenuation at this energy relative to scan A's. */
  papyrus: number;
  /** Ink's extra attenuation relative to the papyrus at this energy. */
  inkContrast: number;
  blurSigma: number;
  gaussNoise: number;
  /** Shot-noise std at papyrus density (scales with sqrt of the signal). */
  shotNoise: number;
  rings: number;
  cupping: number;
}

/** How one scribe writes: the shape of the hand, shared by the two scrolls of a pair (see `scribeOf`). */
export interface HandParams {
  /** Cap-line shift as a fraction of the letter height (right-leaning > 0). */
  slant: number;
  /** Letter width relative to the alphabet's proportions (narrow < 1 < wide). */
  widthScale: number;
  /** Stroke width as a fraction of the letter height. */
  strokeRel: number;
  /** Gap between letters as a fraction of the letter height. */
  gapRel: number;
  /** Multiplier on the letter-to-letter variation (size, slant, offsets, wobbly vertices). */
  jitter: number;
  /** Mean ink load (how much carbon the pen leaves) and its spread between letters. */
  inkLoad: number;
  inkSpread: number;
}

/** Where the scroll's words come from: a sample book (Acts: the LM never trains on it) or random lexicon words. */
export type TextSource = 'acts' | 'lexicon';

export interface TextParams {
  source: TextSource;
  hand: HandParams;
  letterHeight: number;
  strokeWidth: number;
  /** Line pitch / letter height. */
  lineSpacing: number;
  letterGap: number;
  columnWidth: number;
  columnGap: number;
  topMargin: number;
  /** Full columns inside the segment. */
  segmentColumns: number;
  /** Offset into the training text (letters). */
  textStart: number;
}

export interface InkParams {
  /** Grain of the carbon (relative density variation) and how much it flattens the fibres under it. */
  grain: number;
  fibreDamping: number;
  /** Thickness of the ink zone (voxels) below the recto face, and how far it stands above it. */
  depth: number;
  lift: number;
}

export interface Damage {
  scan: 'A' | 'B';
  /** `missing-slab`: the slices hold 0 (lost in reconstruction or transfer); `noise`: they are far noisier. */
  kind: DamageKind;
  /** Slices [z0, z1) of that scan. */
  z: [number, number];
}

export const DAMAGE_KINDS = ['missing-slab', 'noise'] as const;
export type DamageKind = (typeof DAMAGE_KINDS)[number];

/** How much noisier a `noise` slab is than the rest of its scan (Gaussian, times the scan's own noise level). */
export const DAMAGE_NOISE_GAIN = 4;

/**
 * Damage to scan A asked for by kind (none by default, so a family member's bytes do not change): each kind takes a
 * quarter of the slices (at least 4) at a seeded place inside its own share of the middle 80 %, so two kinds never
 * overlap. Drawn from a stream of its own, so the rest of the scroll is the same scroll.
 */
export function damageFor(seed: number, family: Family, kinds: readonly DamageKind[], nz: number): Damage[] {
  const rng = new Rng(seedFrom(seed, `${family}:damage`));
  return kinds.map((kind, i) => {
    const lo = Math.round(nz * (0.1 + (0.8 * i) / kinds.length));
    const hi = Math.round(nz * (0.1 + (0.8 * (i + 1)) / kinds.length));
    const width = Math.min(hi - lo, Math.max(4, Math.round(nz / 4)));
    const z0 = lo + rng.int(0, hi - lo - width + 1);
    return { scan: 'A', kind, z: [z0, z0 + width] };
  });
}

/** Dev scrolls are for development and tuning; test scrolls only for reporting (see `scrollParams`). */
export type Family = 'dev' | 'test';
export const FAMILIES: readonly Family[] = ['dev', 'test'];

/** Scrolls 2k-1 and 2k of a family were written by one scribe (same hand): the cross-scroll reading pairs them. */
export function scribeOf(seed: number): number {
  return Math.ceil(seed / 2);
}

export interface ScrollParams {
  family: Family;
  seed: number;
  size: SampleSize;
  spiral: SpiralParams;
  scanA: ScanParams;
  scanB: ScanParams & { rotation: number; shift: [number, number, number] };
  text: TextParams;
  /** Fibre texture amplitude, large-scale density variation. */
  fibre: number;
  densityVar: number;
  ink: InkParams;
  /** Damage to the scans (none unless asked for: `damageFor`). */
  damage: Damage[];
  /** Distance (along the sheet) from the outer end to the start of the segment, voxels. */
  segmentStart: number;
}

const BASE = {
  tiny: { nx: 112, nz: 64, rOut: 46, windings: [4, 5], cols: [2, 2] },
  small: { nx: 160, nz: 96, rOut: 66, windings: [5, 7], cols: [3, 4] },
  medium: { nx: 400, nz: 240, rOut: 176, windings: [14, 18], cols: [6, 8] },
} as const;

/** Mean width of the stroke alphabet's letters (LETTERFORMS, in letter heights). */
const MEAN_LETTER_WIDTH = 0.7;

/** Widest segment in pixels per size: the columns' letters per line shrink to fit (reading cost grows with it). */
const MAX_SEGMENT_WIDTH = { tiny: 300, small: 600, medium: 2400 } as const;

/**
 * The parameters of one scroll of a family. The two families draw from the same ranges with separate random
 * streams (`dev:` and `test:`), so `--family test --seed 3` is a scroll no dev seed ever makes. The scribe (hand,
 * letter size) comes from its own stream keyed by `scribeOf(seed)`; everything else from the seed.
 */
export function scrollParams(
  seed: number,
  size: SampleSize,
  trainLength = 600_000,
  family: Family = 'dev',
  damage: readonly DamageKind[] = [],
): ScrollParams {
  const rng = new Rng(seedFrom(seed, family === 'dev' ? 'scroll-params' : 'test:scroll-params'));
  const scribe = new Rng(seedFrom(scribeOf(seed), `${family}:scribe`));
  const b = BASE[size];
  const windings = rng.int(b.windings[0], b.windings[1] + 1);
  const innerRadius = rng.uniform(9, 13);
  const thickness = rng.uniform(2.0, 3.0);
  const rOut = b.rOut * rng.uniform(0.93, 1.0);
  const pitch = (rOut - innerRadius) / windings;
  // Keep at least a little air between squashed windings on average.
  const minSquash = Math.min(0.9, (thickness + 1.6) / pitch);
  const squash = Math.max(minSquash, rng.uniform(0.5, 0.9));
  // Broad dents (a few per turn, neighbouring windings out of step) and finer crumples.
  const warps = Array.from({ length: 3 }, (_, i) => ({
    amp: (pitch * rng.uniform(0.14, 0.24)) / (i + 1),
    fTheta: rng.uniform(0.6, 1.4) * (i + 1) + 0.37,
    fZ: rng.uniform(0.2, 0.9) * (rng.next() < 0.5 ? -1 : 1),
    phase: rng.uniform(0, 2 * Math.PI),
  }));
  const crumples = Array.from({ length: 3 }, () => ({
    amp: rng.uniform(0.3, 0.7),
    wavelength: rng.uniform(35, 80),
    fZ: rng.uniform(0.5, 1.5) * (rng.next() < 0.5 ? -1 : 1),
    phase: rng.uniform(0, 2 * Math.PI),
  }));
  const nx = b.nx;
  const nz = b.nz;
  const hand: HandParams = {
    slant: scribe.uniform(-0.06, 0.28),
    widthScale: scribe.uniform(0.8, 1.25),
    strokeRel: scribe.uniform(0.1, 0.24),
    gapRel: scribe.uniform(0.12, 0.5),
    jitter: scribe.uniform(0.5, 1.8),
    inkLoad: scribe.uniform(0.7, 0.95),
    inkSpread: scribe.uniform(0.05, 0.18),
  };
  // Letter height: the scribe's size within ±8 % (tiny scrolls are too short for the largest hands).
  const scribeHeight = scribe.uniform(7, size === 'tiny' ? 11 : 16);
  const letterHeight = scribeHeight * rng.uniform(0.92, 1.08);
  const lineSpacing = rng.uniform(1.2, 1.9);
  const advance = (MEAN_LETTER_WIDTH * hand.widthScale + hand.gapRel) * letterHeight;
  const columnGap = Math.round(rng.uniform(1, 6) * advance);
  // As many columns as the width allows with at least 8 letters a line, then the letters per line that fit.
  const minStride = 8 * advance + columnGap;
  const segmentColumns = Math.max(
    2,
    Math.min(rng.int(b.cols[0], b.cols[1] + 1), Math.floor(MAX_SEGMENT_WIDTH[size] / minStride)),
  );
  const fit = Math.floor((MAX_SEGMENT_WIDTH[size] / segmentColumns - columnGap) / advance);
  const lettersPerLine = Math.max(8, Math.min(rng.int(10, 25), fit));
  const gaussNoise = rng.uniform(0.025, 0.065);
  const blurSigma = rng.uniform(0.45, 0.9);
  const inkDepth = rng.uniform(0.6, 1.8);
  // The ink's contrast-to-noise ratio at layer 32 is drawn (0.6-2.0) and the ink's density set to give it, by a fit
  // over dev scrolls: CNR ~ 1.22 contrast noise^-0.22 depth^0.8 stroke^0.45 blur^-0.55 (measure.ts measures it).
  const targetCnr = rng.uniform(0.6, 2.0);
  const strokeWidth = letterHeight * hand.strokeRel;
  const inkContrast = Math.min(
    0.8,
    Math.max(
      0.08,
      targetCnr /
        (1.22 * gaussNoise ** -0.22 * inkDepth ** 0.8 * Math.max(0.8, strokeWidth) ** 0.45 * blurSigma ** -0.55),
    ),
  );
  const energyA = rng.next() < 0.5 ? 54 : 53;
  const energyB = rng.next() < 0.5 ? 88 : 70;
  const source: TextSource = rng.next() < 0.5 ? 'acts' : 'lexicon';
  return {
    family,
    seed,
    size,
    spiral: {
      centre: [nx / 2 - 0.5 + rng.uniform(-3, 3), nx / 2 - 0.5 + rng.uniform(-3, 3)],
      drift: [rng.uniform(-3, 3), rng.uniform(-3, 3)],
      innerRadius,
      windings,
      pitch,
      squash,
      squashAngle: rng.uniform(0, Math.PI),
      twist: rng.uniform(-0.25, 0.25),
      warps,
      crumples,
      thickness,
      thicknessVar: rng.uniform(0.06, 0.18),
      clockwise: false,
    },
    scanA: {
      shape: [nz, nx, nx],
      voxelSizeUm: 100,
      energyKeV: energyA,
      papyrus: 1,
      inkContrast,
      blurSigma,
      gaussNoise,
      shotNoise: gaussNoise * rng.uniform(0.4, 0.8),
      rings: rng.uniform(0, 0.08),
      cupping: rng.uniform(0.05, 0.2),
    },
    scanB: {
      shape: [nz / 2, nx / 2, nx / 2],
      voxelSizeUm: 200,
      energyKeV: energyB,
      papyrus: energyB === 88 ? 0.72 : 0.84,
      inkContrast: inkContrast * (energyB === 88 ? 0.35 : 0.5),
      blurSigma: 0.6,
      gaussNoise: 0.05,
      shotNoise: 0.04,
      rings: rng.uniform(0.02, 0.05),
      cupping: rng.uniform(0.05, 0.1),
      rotation: rng.uniform(4, 12) * (Math.PI / 180) * (rng.next() < 0.5 ? -1 : 1),
      shift: [rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-2, 2)],
    },
    text: {
      source,
      hand,
      letterHeight,
      strokeWidth,
      lineSpacing,
      letterGap: letterHeight * hand.gapRel,
      columnWidth: Math.round(lettersPerLine * advance),
      columnGap,
      topMargin: Math.round(rng.uniform(3, 12)),
      segmentColumns,
      textStart: source === 'acts' ? rng.int(0, Math.max(1, trainLength - 20_000)) : 0,
    },
    fibre: rng.uniform(0.02, 0.09),
    densityVar: rng.uniform(0.02, 0.07),
    ink: {
      grain: rng.uniform(0.1, 0.4),
      fibreDamping: rng.uniform(0.2, 0.8),
      depth: inkDepth,
      lift: rng.uniform(0, 0.5),
    },
    damage: damageFor(seed, family, damage, b.nz),
    segmentStart: Math.round(rng.uniform(12, 30)),
  };
}
