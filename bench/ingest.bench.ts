/**
 * Ingest throughput (MB/s of source data) and peak RSS: a 512 MiB uint16 TIFF slice stack, a 512 MiB uint16 zarr v3
 * volume (zstd), a 512 MiB uint8 zarr v2 in the hosted Vesuvius layout (blosc zstd, 128³), and (unless --quick) a 2 GiB
 * uint16 stack, whose peak RSS must stay under 1 GiB; beside each, the raw read
 * speed of the same files (read whole, in turn, just before the ingest) and the ratio of the two times. Each ingest runs in a
 * child process (this file with `--child`) so its peak RSS is its own: discover → window → slabs → zarr + pyramid.
 *
 *   npm run bench -- --only ingest --json
 *   node --import tsx bench/ingest.bench.ts --child SOURCE CORPUS     # one ingest, prints JSON
 */
import { execFile } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import FileSystemStore from '@zarrita/storage/fs';
import * as zarr from 'zarrita';
import type { BenchOptions, Emit } from '../src/cli/commands/bench.js';

export const name = 'ingest';
export const description =
  'ingest MB/s and peak RSS: 512 MiB uint16 TIFF stack, 512 MiB zarr v3, 512 MiB hosted blosc-zstd zarr, 2 GiB TIFF stack';

const thisFile = fileURLToPath(import.meta.url);

/** A CT-like slice: a bright disc (the scroll) with texture and noise on a dark background. */
function fillSlice(out: Uint16Array, side: number, z: number, seed: { s: number }): void {
  const c = side / 2;
  const r2 = (side * 0.42) ** 2;
  for (let y = 0, i = 0; y < side; y++) {
    const dy = (y - c) ** 2;
    for (let x = 0; x < side; x++, i++) {
      seed.s = (Math.imul(seed.s, 1664525) + 1013904223) >>> 0;
      const noise = (seed.s >>> 20) - 2048; // ±2048
      const inside = (x - c) ** 2 + dy < r2;
      const layer = inside ? 9000 * (1 + Math.sin((Math.sqrt((x - c) ** 2 + dy) + z * 0.05) * 0.7)) : 0;
      out[i] = Math.max(0, Math.min(65535, 3000 + layer + noise));
    }
  }
}

/** Minimal uncompressed little-endian TIFF, one strip, 16-bit grey. */
function tiffHeader(width: number, height: number): Buffer {
  const entries: Array<[number, number, number, number]> = [
    [256, 4, 1, width],
    [257, 4, 1, height],
    [258, 3, 1, 16],
    [259, 3, 1, 1],
    [262, 3, 1, 1],
    [273, 4, 1, 0], // strip offset, filled below
    [277, 3, 1, 1],
    [278, 4, 1, height],
    [279, 4, 1, width * height * 2],
    [339, 3, 1, 1],
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdSize + ((8 + ifdSize) % 2);
  const buf = Buffer.alloc(dataOffset);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(8, 4);
  buf.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], k) => {
    const o = 10 + k * 12;
    buf.writeUInt16LE(tag, o);
    buf.writeUInt16LE(type, o + 2);
    buf.writeUInt32LE(count, o + 4);
    if (tag === 273) value = dataOffset;
    if (type === 3) buf.writeUInt16LE(value, o + 8);
    else buf.writeUInt32LE(value, o + 8);
  });
  buf.writeUInt32LE(0, 10 + entries.length * 12);
  return buf;
}

export async function writeTiffStack(dir: string, slices: number, side: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const slice = new Uint16Array(side * side);
  const header = tiffHeader(side, side);
  const seed = { s: 7 };
  for (let z = 0; z < slices; z++) {
    fillSlice(slice, side, z, seed);
    const f = await open(path.join(dir, `${String(z).padStart(5, '0')}.tif`), 'w');
    await f.write(header);
    await f.write(new Uint8Array(slice.buffer));
    await f.close();
  }
}

export async function writeZarrVolume(dir: string, depth: number, side: number): Promise<void> {
  const store = new FileSystemStore(dir);
  const arr = await zarr.create(zarr.root(store), {
    shape: [depth, side, side],
    chunkShape: [64, 128, 128],
    dtype: 'uint16',
    codecs: [
      { name: 'bytes', configuration: { endian: 'little' } },
      { name: 'zstd', configuration: { level: 1, checksum: false } },
    ],
    fillValue: 0,
  });
  const seed = { s: 11 };
  const slab = new Uint16Array(64 * side * side);
  for (let z = 0; z < depth; z += 64) {
    const n = Math.min(64, depth - z);
    for (let k = 0; k < n; k++) fillSlice(slab.subarray(k * side * side, (k + 1) * side * side), side, z + k, seed);
    await zarr.set(arr, [zarr.slice(z, z + n), null, null], {
      data: slab.subarray(0, n * side * side),
      shape: [n, side, side],
      stride: [side * side, side, 1],
    });
  }
}

/**
 * The hosted Vesuvius layout (REFERENCE: OME-Zarr levels as zarr v2, uint8, 128³ chunks, blosc zstd clevel 3 shuffle
 * 0, '/' keys), written chunk by chunk with numcodecs' blosc: `depth` CT-like 8-bit slices of side × side.
 */
export async function writeHostedZarr(dir: string, depth: number, side: number): Promise<void> {
  const { default: Blosc } = await import('numcodecs/blosc');
  const codec = Blosc.fromConfig({ cname: 'zstd', clevel: 3, shuffle: 0, blocksize: 0 });
  const c = 128;
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, '.zarray'),
    JSON.stringify({
      zarr_format: 2,
      shape: [depth, side, side],
      chunks: [c, c, c],
      dtype: '|u1',
      compressor: { id: 'blosc', cname: 'zstd', clevel: 3, shuffle: 0, blocksize: 0 },
      fill_value: 0,
      order: 'C',
      filters: null,
      dimension_separator: '/',
    }),
  );
  const seed = { s: 13 };
  const slice = new Uint16Array(side * side);
  const slab = new Uint8Array(c * side * side);
  const chunk = new Uint8Array(c * c * c);
  for (let z0 = 0; z0 < depth; z0 += c) {
    const n = Math.min(c, depth - z0);
    for (let k = 0; k < n; k++) {
      fillSlice(slice, side, z0 + k, seed);
      for (let i = 0; i < slice.length; i++) slab[k * side * side + i] = slice[i]! >> 7;
    }
    for (let y0 = 0; y0 < side; y0 += c)
      for (let x0 = 0; x0 < side; x0 += c) {
        chunk.fill(0);
        for (let z = 0; z < n; z++)
          for (let y = 0; y < c && y0 + y < side; y++) {
            const from = (z * side + y0 + y) * side + x0;
            chunk.set(slab.subarray(from, from + Math.min(c, side - x0)), (z * c + y) * c);
          }
        const file = path.join(dir, String(z0 / c), String(y0 / c), String(x0 / c));
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, await codec.encode(chunk));
      }
  }
}

interface ChildResult {
  /** Whole ingest: discover (headers, sha256 of the source) + window + read/convert/pyramid/compress/write + commit. */
  seconds: number;
  discoverSeconds: number;
  sourceBytes: number;
  maxRssMiB: number;
  records: number;
}

/** Every file under `dir` read whole, one after another: the raw read speed of the same files (MB of file data/s). */
async function rawRead(dir: string): Promise<{ bytes: number; seconds: number }> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
  const t = performance.now();
  let bytes = 0;
  for (const f of files) bytes += (await readFile(f)).byteLength;
  return { bytes, seconds: (performance.now() - t) / 1000 };
}

async function ingestInChild(source: string, corpusDir: string): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', thisFile, '--child', source, corpusDir],
    {
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult;
}

/** Child: one ingest, then its wall time and peak RSS as JSON. */
async function childMain(source: string, corpusDir: string): Promise<void> {
  const { Corpus } = await import('../src/corpus/index.js');
  const { discoverItems, ingestItems } = await import('../src/ingest/ingest.js');
  const corpus = await Corpus.open(corpusDir, { create: true });
  const t = performance.now();
  const items = await discoverItems(source, { scroll: 'bench' });
  const discoverSeconds = (performance.now() - t) / 1000;
  // the source's own bytes: 2 a voxel for uint16, 1 for uint8
  const sourceBytes = items.reduce(
    (s, i) => s + i.volume.shape[0] * i.volume.shape[1] * i.volume.shape[2] * (i.volume.dtype === 'uint16' ? 2 : 1),
    0,
  );
  const records = await ingestItems(corpus, items, {});
  const seconds = (performance.now() - t) / 1000;
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  const result: ChildResult = { seconds, discoverSeconds, sourceBytes, maxRssMiB, records: records.length };
  console.log(JSON.stringify(result));
}

export async function run(emit: Emit, { quick, tmpDir }: BenchOptions): Promise<void> {
  const side = 1024;
  const cases: Array<{ label: string; make: (dir: string) => Promise<void>; mib: number; dtype?: string }> = [
    { label: 'tiff stack', mib: quick ? 32 : 512, make: (d) => writeTiffStack(d, (quick ? 32 : 512) / 2, side) },
    { label: 'zarr v3', mib: quick ? 16 : 512, make: (d) => writeZarrVolume(d, (quick ? 16 : 512) / 2, side) },
    {
      label: 'hosted zarr v2 blosc-zstd',
      dtype: 'uint8',
      mib: quick ? 128 : 512,
      make: (d) => writeHostedZarr(d, quick ? 128 : 512, side),
    },
  ];
  if (!quick) cases.push({ label: 'tiff stack', mib: 2048, make: (d) => writeTiffStack(d, 1024, side) });
  for (const c of cases) {
    const src = path.join(tmpDir, `src-${c.mib}-${c.label.replace(/\W/g, '')}`);
    const corpusDir = path.join(tmpDir, `corpus-${c.mib}-${c.label.replace(/\W/g, '')}`);
    await c.make(src);
    // the raw read first, then the ingest: both find the files in the same state (just written, in the page cache)
    const raw = await rawRead(src);
    const r = await ingestInChild(src, corpusDir);
    const what = `${c.label} ${c.mib} MiB ${c.dtype ?? 'uint16'}`;
    emit(`${what}: throughput`, r.sourceBytes / 1e6 / r.seconds, 'MB/s');
    emit(`${what}: raw read of the same files`, raw.bytes / 1e6 / raw.seconds, 'MB/s');
    emit(`${what}: ingest time / raw read time`, r.seconds / raw.seconds, 'x');
    emit(`${what}: time`, r.seconds, 's');
    emit(`${what}: of which discover (headers + sha256)`, r.discoverSeconds, 's');
    emit(`${what}: peak RSS`, r.maxRssMiB, 'MiB');
    if (c.mib >= 2048) emit(`${what}: peak RSS < 1 GiB`, r.maxRssMiB < 1024 ? 'yes' : 'no');
    await rm(src, { recursive: true, force: true });
    await rm(corpusDir, { recursive: true, force: true });
  }
  emit('note', 'timings on shared CPUs are noisy');
}

if (process.argv[1] && path.resolve(process.argv[1]) === thisFile && process.argv[2] === '--child') {
  await childMain(process.argv[3]!, process.argv[4]!);
}
