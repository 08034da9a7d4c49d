/**
 * Wheel slicing asks for neighbouring z planes one after another; reading each from the zarr store decodes the
 * same chunks again. This cache reads an aligned slab of planes once and answers the next requests from memory.
 * Entries live a few seconds (a prediction rewritten in place must not show stale bytes) within a byte budget.
 *
 *   const cache = new SlabCache();
 *   const plane = await cache.zPlane(corpus, rec, level, z, [Y, X]);
 */
import type { RecordMeta } from '../corpus/index.js';
import type { CorpusView } from './corpus-view.js';

/** Planes per slab: the corpus stores 64³ chunks, so a 64-plane slab decodes each chunk once. */
export const SLAB_PLANES = 64;

interface Entry {
  at: number;
  data: Promise<Uint8Array>;
  bytes: number;
}

export class SlabCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly maxBytes = 64 << 20,
    readonly ttlMs = 10_000,
    readonly slabPlanes = SLAB_PLANES,
  ) {}

  /** Plane z of `rec` at `level` (shape [Z, Y, X] of that level), raster y, x. */
  async zPlane(
    corpus: CorpusView,
    rec: RecordMeta,
    level: number,
    z: number,
    [Z, Y, X]: [number, number, number],
  ): Promise<Uint8Array> {
    const planeBytes = Y * X;
    if (planeBytes * this.slabPlanes > this.maxBytes / 2)
      return corpus.readRegion(rec, { z: [z, z + 1], y: [0, Y], x: [0, X] }, level);
    const z0 = Math.floor(z / this.slabPlanes) * this.slabPlanes;
    const z1 = Math.min(Z, z0 + this.slabPlanes);
    const key = `${rec.id}:${rec.array}:${level}:${z0}`;
    const now = Date.now();
    let e = this.entries.get(key);
    if (e && now - e.at > this.ttlMs) {
      this.drop(key);
      e = undefined;
    }
    if (e) {
      this.hits++;
      this.entries.delete(key); // keep most recent last
      this.entries.set(key, e);
    } else {
      this.misses++;
      const data = corpus.readRegion(rec, { z: [z0, z1], y: [0, Y], x: [0, X] }, level);
      e = { at: now, data, bytes: (z1 - z0) * planeBytes };
      this.entries.set(key, e);
      this.bytes += e.bytes;
      data.catch(() => this.drop(key));
      while (this.bytes > this.maxBytes && this.entries.size > 1) this.drop(this.entries.keys().next().value!);
    }
    const slab = await e.data;
    return slab.slice((z - z0) * planeBytes, (z - z0 + 1) * planeBytes);
  }

  private drop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }
}
