/**
 * Colormaps as 256-entry RGBA lookup tables (the napari set: grey, inferno, viridis, plus an ink map that is
 * transparent at 0 and opaque warm red at 255, for overlays), and window/level helpers.
 *
 *   const lut = colormapLUT('inferno');            // Uint8Array(1024)
 *   const [lo, hi] = autoContrast(plane.data);     // robust 0.5/99.5 percentiles
 */
export type ColormapName = 'grey' | 'inferno' | 'viridis' | 'ink' | 'labels';
export const COLORMAPS: ColormapName[] = ['grey', 'inferno', 'viridis', 'ink', 'labels'];

// Control points (t, r, g, b) sampled from matplotlib's maps.
const STOPS: Record<'inferno' | 'viridis', [number, number, number, number][]> = {
  inferno: [
    [0, 0, 0, 4],
    [0.13, 31, 12, 72],
    [0.25, 85, 15, 109],
    [0.38, 136, 34, 106],
    [0.5, 186, 54, 85],
    [0.63, 227, 89, 51],
    [0.75, 249, 140, 10],
    [0.88, 249, 201, 50],
    [1, 252, 255, 164],
  ],
  viridis: [
    [0, 68, 1, 84],
    [0.13, 72, 36, 117],
    [0.25, 65, 68, 135],
    [0.38, 53, 95, 141],
    [0.5, 42, 120, 142],
    [0.63, 33, 145, 140],
    [0.75, 34, 168, 132],
    [0.88, 122, 209, 81],
    [1, 253, 231, 37],
  ],
};

const cache = new Map<ColormapName, Uint8Array>();

export function colormapLUT(name: ColormapName): Uint8Array {
  const hit = cache.get(name);
  if (hit) return hit;
  const lut = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let rgba: [number, number, number, number];
    if (name === 'grey') rgba = [i, i, i, 255];
    else if (name === 'ink') rgba = [255, Math.round(60 + 120 * t), 20, Math.round(255 * Math.min(1, t * 1.5))];
    else if (name === 'labels') rgba = i === 0 ? [0, 0, 0, 0] : [0, 220, 255, 255];
    else {
      const stops = STOPS[name];
      let k = 0;
      while (k < stops.length - 2 && stops[k + 1]![0] < t) k++;
      const [t0, r0, g0, b0] = stops[k]!;
      const [t1, r1, g1, b1] = stops[k + 1]!;
      const f = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));
      rgba = [r0 + f * (r1 - r0), g0 + f * (g1 - g0), b0 + f * (b1 - b0), 255].map(Math.round) as [
        number,
        number,
        number,
        number,
      ];
    }
    lut.set(rgba, i * 4);
  }
  cache.set(name, lut);
  return lut;
}

/** [lo, hi] at the given lower/upper percentiles of a byte image (hi > lo always). */
export function autoContrast(data: Uint8Array, lowPct = 0.5, highPct = 99.5): [number, number] {
  const hist = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) hist[data[i]!]!++;
  const lowCount = (data.length * lowPct) / 100;
  const highCount = (data.length * highPct) / 100;
  let acc = 0;
  let lo = 0;
  let hi = 255;
  let foundLo = false;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (!foundLo && acc > lowCount) {
      lo = v;
      foundLo = true;
    }
    if (acc >= highCount) {
      hi = v;
      break;
    }
  }
  if (hi <= lo) hi = Math.min(255, lo + 1);
  if (hi <= lo) lo = hi - 1;
  return [lo, hi];
}
