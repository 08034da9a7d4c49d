/**
 * sha256 of a file, read with one reused buffer (no stream, no buffer per piece): the work of a codec thread when
 * an ingest checksums its sources, so hashing a slice stack uses every core. Plain JS so a worker thread starts
 * without a TypeScript loader.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

const PIECE = 4 << 20;
let buffer;

/** Hex sha256 of the whole file. */
export function sha256FileSync(file) {
  buffer ??= Buffer.allocUnsafe(PIECE);
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, PIECE, null);
      if (n === 0) break;
      hash.update(n === PIECE ? buffer : buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
