/** Types of slab-chunks.mjs (plain JS, shared by the codec threads and the calling thread). */
export interface SlabChunksJob {
  /** n planes of h × w bytes, raster order (may live on a SharedArrayBuffer). */
  slab: Uint8Array;
  n: number;
  h: number;
  w: number;
  chunks: [number, number, number];
  /** Chunk index along z of this slab. */
  iz: number;
  arrayDir: string;
  /** (iy, ix) pairs of the chunks to write. */
  cells: Int32Array;
  /** zstd level. */
  level: number;
}
export function writeSlabChunks(job: SlabChunksJob): Promise<number>;
