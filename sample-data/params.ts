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

export interface TextParams {
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

export interface ScrollParams {
  seed: number;
  size: SampleSize;
  spiral: SpiralParams;
  scanA: ScanParams;
  scanB: ScanParams & { rotation: number; shift: [number, number, number] };
  text: TextParams;
  /** Fibre texture amplitude, large-scale density variation. */
  fibre: number;
  densityVar: number;
  ink: { grain: number; fibreDamping: number };
  /** Distance (along the sheet) from the outer end to the start of the segment, voxels. */
  segmentStart: number;
}

const BASE = {
  tiny: { nx: 112, nz: 64, rOut: 46, windings: [4, 5], cols: 2 },
  small: { nx: 160, nz: 96, rOut: 66, windings: [5, 7], cols: 3 },
  medium: { nx: 400, nz: 240, rOut: 176, windings: [14, 18], cols: 8 },
} as const;

export function scrollParams(seed: number, size: SampleSize, trainLength = 600_000): ScrollParams {
  const rng = new Rng(seedFrom(seed, 'scroll-params'));
  const b = BASE[size];
  const windings = rng.int(b.windings[0], b.windings[1] + 1);
  const innerRadius = rng.uniform(9, 13);
  const thickness = rng.uniform(2.2, 2.8);
  const rOut = b.rOut * rng.uniform(0.93, 1.0);
  const pitch = (rOut - innerRadius) / windings;
  // Keep at least a little air between squashed windings on average.
  const minSquash = Math.min(0.9, (thickness + 1.6) / pitch);
  const squash = Math.max(minSquash, rng.uniform(0.55, 0.85));
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
  const letterHeight = rng.uniform(8.6, 10.6);
  const lineSpacing = rng.uniform(1.3, 1.5);
  const letterGap = letterHeight * rng.uniform(0.25, 0.35);
  const inkContrast = rng.uniform(0.24, 0.3);
  const gaussNoise = rng.uniform(0.035, 0.05);
  const energyA = rng.next() < 0.5 ? 54 : 53;
  const energyB = rng.next() < 0.5 ? 88 : 70;
  return {
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
      thicknessVar: 0.12,
      clockwise: false,
    },
    scanA: {
      shape: [nz, nx, nx],
      voxelSizeUm: 100,
      energyKeV: energyA,
      papyrus: 1,
      inkContrast,
      blurSigma: rng.uniform(0.55, 0.7),
      gaussNoise,
      shotNoise: gaussNoise * 0.6,
      rings: rng.uniform(0.03, 0.06),
      cupping: rng.uniform(0.08, 0.15),
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
      letterHeight,
      strokeWidth: letterHeight * rng.uniform(0.15, 0.18),
      lineSpacing,
      letterGap,
      columnWidth: Math.round(letterHeight * rng.uniform(17, 20)),
      columnGap: Math.round(letterHeight * rng.uniform(2.0, 2.6)),
      topMargin: Math.round(rng.uniform(5, 8)),
      segmentColumns: b.cols,
      textStart: rng.int(0, Math.max(1, trainLength - 20_000)),
    },
    fibre: rng.uniform(0.04, 0.06),
    densityVar: 0.04,
    ink: { grain: 0.25, fibreDamping: 0.5 },
    segmentStart: Math.round(rng.uniform(12, 30)),
  };
}
