/**
 * The zstd codec of the codec threads (and of the calling thread when there are none): @bokuweb/zstd-wasm's
 * ZSTD_compress / ZSTD_decompress, with the chunk going into wasm memory in one copy (numcodecs' embind wrapper copies
 * byte by byte, which cost as long as compressing), and blosc frames whose inner codec is zstd (the hosted Vesuvius
 * volumes: blosc zstd, shuffle 0) unpacked here around it; numcodecs for what it does not cover (codecOp). Plain JS so
 * a worker thread starts without a TypeScript loader.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { compress, init } from '@bokuweb/zstd-wasm';

// The package exports compress/decompress only; its decompress trusts the frame's stated size (a chunk claiming
// gigabytes would allocate them), so decoding calls the same wasm instance's ZSTD_* functions itself. The instance
// lives in the module beside the package's entry (not in its "exports").
const require = createRequire(import.meta.url);
const wasmModule = require(path.join(path.dirname(require.resolve('@bokuweb/zstd-wasm')), 'module.js'));

let ready;
/** Load the wasm codec once per thread. */
export function zstdReady() {
  return (ready ??= init());
}

/** zstd-compress one buffer (a standard frame with its content size, what zarr's zstd codec stores). */
export async function zstdCompress(data, level) {
  await zstdReady();
  return compress(data, level);
}

/** zstdCompress once zstdReady() has resolved. */
export function zstdCompressSync(data, level) {
  return compress(data, level);
}

/**
 * zstd-decompress a frame that must decode to exactly `expected` bytes: the frame's stated size is checked before any
 * allocation (a small chunk claiming gigabytes is refused), the output capped at `expected`. Throws otherwise.
 */
export async function zstdDecompress(data, expected) {
  await zstdReady();
  const M = wasmModule.Module;
  const src = M._malloc(data.byteLength);
  const dst = M._malloc(Math.max(1, expected));
  try {
    M.HEAPU8.set(data, src);
    decompressAt(M, dst, expected, src, data.byteLength);
    return M.HEAPU8.slice(dst, dst + expected);
  } finally {
    M._free(src);
    M._free(dst);
  }
}

/** One zstd frame at heap offset `src` into exactly `expected` bytes at `dst`. */
function decompressAt(M, dst, expected, src, srcBytes) {
  const stated = Number(M._ZSTD_getFrameContentSize(src, srcBytes));
  // -1: size not stated (decoded, capped at expected); -2: not a zstd frame
  if (stated === -2 || (stated >= 0 && stated !== expected))
    throw new Error(stated === -2 ? 'not a zstd frame' : `zstd frame states ${stated} bytes, expected ${expected}`);
  const got = M._ZSTD_decompress(dst, expected, src, srcBytes);
  if (M._ZSTD_isError(got)) throw new Error('zstd frame does not decompress');
  if (got !== expected) throw new Error(`zstd frame decoded ${got} bytes, expected ${expected}`);
}

const BLOSC_DOSHUFFLE = 0x1;
const BLOSC_MEMCPYED = 0x2;
const BLOSC_DOBITSHUFFLE = 0x4;
const BLOSC_DONT_SPLIT = 0x10;
const BLOSC_ZSTD_FORMAT = 4;
const BLOSC_HEADER = 16;

/**
 * Whether a blosc (1.x) frame is one this module unpacks: zstd inside, no bit shuffle. Others go to numcodecs' blosc.
 */
export function bloscIsZstd(data) {
  if (data.length < BLOSC_HEADER) return false;
  const flags = data[2];
  return (flags & BLOSC_MEMCPYED) !== 0 || (flags >> 5 === BLOSC_ZSTD_FORMAT && (flags & BLOSC_DOBITSHUFFLE) === 0);
}

/**
 * A blosc 1.x frame of zstd blocks (c-blosc's blosc_d: blocks at the offsets after the 16-byte header, each in
 * `typesize` splits unless the frame says not to split or the block is the leftover, each split a zstd frame or stored
 * as it is when its size is the split's; byte shuffle undone per block) into exactly `expected` bytes.
 */
export async function bloscDecompress(data, expected) {
  await zstdReady();
  const bad = (why) => new Error(`blosc frame: ${why}`);
  if (data.length < BLOSC_HEADER) throw bad('shorter than its header');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const flags = data[2];
  const typesize = data[3] || 1;
  const nbytes = view.getUint32(4, true);
  const blocksize = view.getUint32(8, true);
  const cbytes = view.getUint32(12, true);
  if (nbytes !== expected) throw bad(`states ${nbytes} bytes, expected ${expected}`);
  if (cbytes > data.length) throw bad(`states ${cbytes} compressed bytes, has ${data.length}`);
  if (flags & BLOSC_MEMCPYED) {
    if (data.length < BLOSC_HEADER + nbytes) throw bad('stored frame is short');
    return data.slice(BLOSC_HEADER, BLOSC_HEADER + nbytes);
  }
  if (!bloscIsZstd(data)) throw bad('not zstd inside');
  if (nbytes === 0) return new Uint8Array(0);
  if (blocksize === 0) throw bad('block size 0');
  const nblocks = Math.ceil(nbytes / blocksize);
  if (data.length < BLOSC_HEADER + 4 * nblocks) throw bad('block offsets cut short');
  const shuffle = (flags & BLOSC_DOSHUFFLE) !== 0 && typesize > 1;
  const M = wasmModule.Module;
  const src = M._malloc(data.byteLength);
  const dst = M._malloc(nbytes);
  const tmp = shuffle ? M._malloc(blocksize) : 0;
  try {
    M.HEAPU8.set(data, src);
    for (let b = 0; b < nblocks; b++) {
      const leftover = b === nblocks - 1 && nbytes % blocksize !== 0;
      const bsize = leftover ? nbytes % blocksize : blocksize;
      const splits =
        (flags & BLOSC_DONT_SPLIT) === 0 && typesize <= 16 && blocksize / typesize >= 128 && !leftover ? typesize : 1;
      const neblock = bsize / splits;
      let at = view.getUint32(BLOSC_HEADER + 4 * b, true);
      const out = shuffle ? tmp : dst + b * blocksize;
      for (let j = 0; j < splits; j++) {
        if (at + 4 > data.length) throw bad(`block ${b} runs past the frame`);
        const n = view.getInt32(at, true);
        at += 4;
        if (n < 0 || at + n > data.length) throw bad(`block ${b} runs past the frame`);
        if (n === neblock) M.HEAPU8.copyWithin(out + j * neblock, src + at, src + at + n);
        else decompressAt(M, out + j * neblock, neblock, src + at, n);
        at += n;
      }
      if (shuffle) unshuffle(M.HEAPU8, tmp, dst + b * blocksize, bsize, typesize);
    }
    return M.HEAPU8.slice(dst, dst + nbytes);
  } finally {
    M._free(src);
    M._free(dst);
    if (tmp) M._free(tmp);
  }
}

/** c-blosc's unshuffle: byte j of element i comes from stream j; the bytes past the last whole element stay. */
function unshuffle(heap, from, to, size, typesize) {
  const count = Math.floor(size / typesize);
  for (let j = 0; j < typesize; j++) {
    const stream = from + j * count;
    for (let i = 0; i < count; i++) heap[to + i * typesize + j] = heap[stream + i];
  }
  const rest = size - count * typesize;
  if (rest) heap.copyWithin(to + size - rest, from + size - rest, from + size);
}

let numcodecsZstd;
let numcodecsBlosc;
/**
 * One chunk operation of the codec threads, the same on the calling thread when there are none: 'encode' (zstd at
 * `level`); 'decode' (a zstd frame: into exactly `expected` bytes when given, else by numcodecs, which needs no size);
 * 'decode-blosc' (a blosc frame into exactly `expected` bytes: zstd inside here, other inner codecs by numcodecs).
 */
export async function codecOp(op, data, expected, level) {
  if (op === 'encode') return zstdCompress(data, level);
  if (op === 'decode-blosc') {
    if (bloscIsZstd(data)) return bloscDecompress(data, expected);
    numcodecsBlosc ??= (await import('numcodecs/blosc')).default.fromConfig({});
    const out = await numcodecsBlosc.decode(data);
    if (out.length !== expected) throw new Error(`blosc frame decoded ${out.length} bytes, expected ${expected}`);
    return out;
  }
  if (expected !== undefined) return zstdDecompress(data, expected);
  numcodecsZstd ??= (await import('numcodecs/zstd')).default.fromConfig({ level });
  return numcodecsZstd.decode(data);
}
