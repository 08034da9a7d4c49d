/**
 * Small seeded random numbers (mulberry32) for everything that must be repeatable from a seed: the AUNN's sampling and
 * initialisation, the ink readout's crops and augmentation, the LM's evaluation gaps, the demo's held-out sample.
 *
 *   const rand = mulberry32(7); rand(); gaussian(rand);
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draw (Box–Muller). */
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}
