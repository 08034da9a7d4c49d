/**
 * sha256 of source bytes, streamed (never a whole file in memory). For a folder of files (a TIFF stack, a zarr store,
 * a DICOM series) the digest is over the sorted relative names, each followed by that file's own sha256, so renaming,
 * adding or changing any file changes it.
 *
 *   const one = await sha256File('/data/scan.nrrd');
 *   const many = await sha256Files('/data/volumes/20231201', ['00000.tif', '00001.tif']);
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { sha256FileOnThreads } from '../corpus/index.js';

export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(file, { highWaterMark: 1 << 20, signal });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Digest over `relativeNames` (sorted here) inside `root`: name, NUL, the file's sha256 hex, newline, for each. */
export async function sha256Files(root: string, relativeNames: string[], signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const sorted = [...relativeNames].sort();
  // A few files at once, read and hashed on the codec threads (a slice stack is thousands of files: every core).
  const digests = new Array<string>(sorted.length);
  let next = 0;
  const worker = async () => {
    while (next < sorted.length) {
      signal?.throwIfAborted();
      const k = next++;
      digests[k] = await sha256FileOnThreads(path.join(root, sorted[k]!));
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILES_AT_ONCE, sorted.length) }, worker));
  for (const [k, name] of sorted.entries()) hash.update(`${name}\0${digests[k]}\n`);
  return hash.digest('hex');
}

/** Files sha256Files has hashed at once (two per codec thread on two cores). */
const FILES_AT_ONCE = 4;

/** Digest of bytes already in memory (e.g. metadata documents fetched from a URL). */
export function sha256Bytes(parts: Array<{ name: string; bytes: Uint8Array }>): string {
  const hash = createHash('sha256');
  for (const part of [...parts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    hash.update(`${part.name}\0${createHash('sha256').update(part.bytes).digest('hex')}\n`);
  }
  return hash.digest('hex');
}
