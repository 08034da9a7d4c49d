/**
 * Cuts one chunk-deep slab of a level's planes into zarr v3 chunks, zstd-compresses each and writes it as
 * `<arrayDir>/c/<iz>/<iy>/<ix>`: the work of a record writer's flush, done where it is called (a codec thread, or the
 * calling thread when there are none). Plain JS so a worker thread starts without a TypeScript loader.
 * Edge chunks are padded with the fill value 0; all-zero chunks are not stored (they read as the fill value).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { zstdCompressSync, zstdReady } from './zstd-wasm.mjs';

const madeDirs = new Set();
let scratch = new Uint8Array(0);

/**
 * job: { slab: Uint8Array (n planes of h × w), n, h, w, chunks: [cz, cy, cx], iz, arrayDir, cells: Int32Array of
 * (iy, ix) pairs, level }. Returns how many chunks were stored.
 */
export async function writeSlabChunks(job) {
  await zstdReady();
  const { slab, n, h, w, iz, arrayDir, cells, level } = job;
  const [cz, cy, cx] = job.chunks;
  const size = cz * cy * cx;
  if (scratch.length !== size) scratch = new Uint8Array(size);
  const chunk = scratch;
  const words = size % 4 === 0 ? new Uint32Array(chunk.buffer, chunk.byteOffset, size / 4) : undefined;
  // Rows copied as 32-bit words when every row starts on a word (a subarray + set per short row costs more).
  const slabWords =
    words && w % 4 === 0 && cx % 4 === 0 && slab.byteOffset % 4 === 0
      ? new Uint32Array(slab.buffer, slab.byteOffset, slab.length >> 2)
      : undefined;
  let stored = 0;
  for (let c = 0; c < cells.length; c += 2) {
    const iy = cells[c];
    const ix = cells[c + 1];
    const y0 = iy * cy;
    const x0 = ix * cx;
    const yn = Math.min(cy, h - y0);
    const xn = Math.min(cx, w - x0);
    if (n < cz || yn < cy || xn < cx) chunk.fill(0);
    let any = 0;
    if (slabWords) {
      const wn = xn >> 2;
      for (let z = 0; z < n; z++)
        for (let y = 0; y < yn; y++) {
          const from = ((z * h + y0 + y) * w + x0) >> 2;
          const to = ((z * cy + y) * cx) >> 2;
          for (let k = 0; k < wn; k++) any |= words[to + k] = slabWords[from + k];
        }
    } else {
      for (let z = 0; z < n; z++)
        for (let y = 0; y < yn; y++) {
          const from = (z * h + y0 + y) * w + x0;
          chunk.set(slab.subarray(from, from + xn), (z * cy + y) * cx);
        }
      for (let k = 0; k < size && !any; k++) any |= chunk[k];
    }
    if (!any) continue;
    const rowDir = path.join(arrayDir, 'c', String(iz), String(iy));
    if (!madeDirs.has(rowDir)) {
      mkdirSync(rowDir, { recursive: true });
      madeDirs.add(rowDir);
    }
    const file = path.join(rowDir, String(ix));
    const bytes = zstdCompressSync(chunk, level);
    try {
      writeFileSync(file, bytes);
    } catch (err) {
      // a folder made for an earlier record at the same path (removed after it failed): make it again
      if (err.code !== 'ENOENT') throw err;
      mkdirSync(rowDir, { recursive: true });
      writeFileSync(file, bytes);
    }
    stored++;
  }
  return stored;
}
