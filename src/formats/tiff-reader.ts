/**
 * One TIFF file, read lazily through a file handle: the IFD chain (classic TIFF and BigTIFF, either byte order) is
 * walked reading only directory bytes, and a page is decoded by reading only its strips or tiles. Decompression:
 * none, deflate (node:zlib), LZW and PackBits (utif2's decoders); horizontal predictor; 8/16-bit unsigned samples;
 * the first sample of multi-sample pixels. Every structural problem is a UserError naming the file and the reason.
 * 32-bit float pages (a VC3D tifxyz surface's x/y/z.tif) are opened only when asked (`float32: true`) and read only
 * by readFloat32Page (also the floating-point predictor 3), so the scan readers still refuse them.
 *
 *   const tiff = await TiffFile.open('/data/00000.tif');
 *   const page = tiff.pages[0];                    // { width, height, bitsPerSample, ... }
 *   const pixels = await tiff.readPage(0);         // Uint8Array | Uint16Array, raster y,x
 *   await tiff.close();
 *   const { width, height, values } = await readFloat32Tiff('/data/seg/x.tif');   // Float32Array, raster y,x
 */
import { open, type FileHandle } from 'node:fs/promises';
import { inflateAtMost, TooLarge } from './inflate.js';
import UTIF from 'utif2';
import { UserError } from '../core/errors.js';
import type { SourceDtype, Voxels } from './voxels.js';

export interface TiffPage {
  width: number;
  height: number;
  bitsPerSample: number;
  samplesPerPixel: number;
  /** 1 unsigned int, 2 signed int, 3 float (TIFF tag 339). */
  sampleFormat: number;
  compression: number;
  /** 1 none, 2 horizontal differencing, 3 floating point (float pages only). */
  predictor: number;
  planarConfig: number;
  rowsPerStrip: number;
  tileWidth?: number;
  tileHeight?: number;
  /** Strip or tile offsets and byte counts (emptied for pages past the first few; reread from ifdOffset). */
  offsets: number[];
  byteCounts: number[];
  /** The sample type of an integer page; a float page (sampleFormat 3) says 'uint8' and is read by readFloat32Page. */
  dtype: SourceDtype;
  /** Where this page's directory starts, and the file's layout, to reread the chunk tables when needed. */
  ifdOffset: number;
  bigTiff: boolean;
}

/** Pages whose strip/tile tables stay in memory; later pages reread theirs (a many-page file stays small). */
const KEPT_CHUNK_TABLES = 16;

const TIFF_MAGIC = new Set(['II*\0', 'MM\0*', 'II+\0', 'MM\0+']);

/** Whether the first 4 bytes are a TIFF / BigTIFF header. */
export function isTiffHeader(head: Uint8Array): boolean {
  return head.length >= 4 && TIFF_MAGIC.has(String.fromCharCode(head[0]!, head[1]!, head[2]!, head[3]!));
}

const TYPE_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  16: 8,
  17: 8,
  18: 8,
};
const WANTED_TAGS = new Set([256, 257, 258, 259, 273, 277, 278, 279, 284, 317, 322, 323, 324, 325, 339]);
const SUPPORTED_COMPRESSION: Record<number, string> = {
  1: 'none',
  5: 'LZW',
  8: 'deflate',
  32946: 'deflate',
  32773: 'PackBits',
};
const MAX_PAGES = 1_000_000;

export class TiffFile {
  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    readonly size: number,
    readonly littleEndian: boolean,
    readonly pages: TiffPage[],
  ) {}

  /**
   * Opens `file` and reads its directories (all pages, or only the first with `firstPageOnly`). 32-bit float pages
   * are refused unless `float32` is set.
   */
  static async open(file: string, opts: { firstPageOnly?: boolean; float32?: boolean } = {}): Promise<TiffFile> {
    const handle = await open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      const reader = new ByteReader(file, handle, size);
      const head = await reader.read(0, Math.min(16, size), 'header');
      if (!isTiffHeader(head)) {
        throw new UserError(`${file}: not a TIFF file (the first bytes are not a TIFF header; a renamed file?)`);
      }
      const littleEndian = head[0] === 0x49;
      const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const big = view.getUint16(2, littleEndian) === 43;
      if (head.length < (big ? 16 : 8)) throw new UserError(`${file}: truncated TIFF (file ends inside the header)`);
      let ifdOffset = big ? Number(view.getBigUint64(8, littleEndian)) : view.getUint32(4, littleEndian);
      const pages: TiffPage[] = [];
      const seen = new Set<number>();
      while (ifdOffset !== 0) {
        if (seen.has(ifdOffset) || pages.length >= MAX_PAGES)
          throw new UserError(`${file}: corrupt TIFF (the directory chain loops)`);
        seen.add(ifdOffset);
        const { page, next } = await readDirectory(reader, ifdOffset, littleEndian, big, pages.length, opts.float32);
        if (pages.length >= KEPT_CHUNK_TABLES) {
          page.offsets = [];
          page.byteCounts = [];
        }
        pages.push(page);
        if (opts.firstPageOnly) break;
        ifdOffset = next;
      }
      if (pages.length === 0) throw new UserError(`${file}: TIFF without any image directory`);
      return new TiffFile(file, handle, size, littleEndian, pages);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Reopens `file` with directories read before (for reading pages later without walking the chain again). */
  static async reopen(file: string, pages: TiffPage[], littleEndian: boolean): Promise<TiffFile> {
    const handle = await open(file, 'r');
    return new TiffFile(file, handle, (await handle.stat()).size, littleEndian, pages);
  }

  /**
   * Reads page `index` straight into `dest` (its bytes, raster order) when the page is stored as they are: one
   * sample, no compression or predictor, native byte order, strips one after another. Returns false for any other
   * page (use readPage). Saves the two copies and the allocation of readPage for plain slice stacks.
   */
  async readPageInto(index: number, dest: Uint8Array, signal?: AbortSignal): Promise<boolean> {
    signal?.throwIfAborted();
    const page = this.pages[index];
    if (!page || page.offsets.length === 0) return false;
    const expected = page.width * page.height * (page.bitsPerSample / 8);
    const plain =
      page.compression === 1 &&
      page.predictor === 1 &&
      page.samplesPerPixel === 1 &&
      page.sampleFormat === 1 &&
      page.tileWidth === undefined &&
      (page.bitsPerSample === 8 || (page.bitsPerSample === 16 && this.littleEndian)) &&
      dest.length === expected;
    if (!plain) return false;
    let end = page.offsets[0]!;
    for (let s = 0; s < page.offsets.length; s++) {
      if (page.offsets[s] !== end) return false;
      end += page.byteCounts[s]!;
    }
    if (end - page.offsets[0]! < expected) return false; // short strips: readPage says how it is corrupt
    let done = 0;
    while (done < expected) {
      const { bytesRead } = await this.handle.read(dest, done, expected - done, page.offsets[0]! + done);
      if (bytesRead === 0) throw new UserError(`${this.file}: corrupt TIFF (page ${index}: the file ends in its data)`);
      done += bytesRead;
    }
    return true;
  }

  /** Decodes page `index` to samples in raster order (y, x); multi-sample pixels keep their first sample. */
  async readPage(index: number, signal?: AbortSignal): Promise<Voxels> {
    const { page, bytes, samples } = await this.pageBytes(index, signal);
    if (page.sampleFormat === 3) throw new UserError(`${this.file}: page ${index} holds floats, not 8/16-bit samples`);
    const values: Voxels = page.bitsPerSample === 16 ? new Uint16Array(bytes.buffer, 0, bytes.length / 2) : bytes;
    if (samples === 1) return values;
    const first =
      page.bitsPerSample === 16 ? new Uint16Array(page.width * page.height) : new Uint8Array(page.width * page.height);
    for (let i = 0; i < first.length; i++) first[i] = values[i * samples]!;
    return first;
  }

  /** Decodes 32-bit float page `index` (opened with `float32: true`) to values in raster order (y, x). */
  async readFloat32Page(index: number, signal?: AbortSignal): Promise<Float32Array> {
    const { page, bytes, samples } = await this.pageBytes(index, signal);
    if (page.sampleFormat !== 3 || page.bitsPerSample !== 32)
      throw new UserError(
        `${this.file}: not 32-bit float samples (${page.bitsPerSample}-bit, sample format ${page.sampleFormat})`,
      );
    const values = new Float32Array(bytes.buffer, 0, bytes.length / 4);
    if (samples === 1) return values;
    const first = new Float32Array(page.width * page.height);
    for (let i = 0; i < first.length; i++) first[i] = values[i * samples]!;
    return first;
  }

  /** Page `index` decoded to native-endian sample bytes (raster y, x, sample). */
  private async pageBytes(
    index: number,
    signal?: AbortSignal,
  ): Promise<{ page: TiffPage; bytes: Uint8Array; samples: number }> {
    signal?.throwIfAborted();
    let page = this.pages[index];
    if (!page) throw new RangeError(`${this.file}: no page ${index} (has ${this.pages.length})`);
    if (page.offsets.length === 0) {
      const direct = new ByteReader(this.file, this.handle, this.size);
      page = (await readDirectory(direct, page.ifdOffset, this.littleEndian, page.bigTiff, index, true)).page;
    }
    const reader = await this.pageReader(page);
    const bytesPerSample = page.bitsPerSample / 8;
    const samples = page.planarConfig === 2 ? 1 : page.samplesPerPixel;
    const out = new Uint8Array(page.width * page.height * samples * bytesPerSample);
    const outRowBytes = page.width * samples * bytesPerSample;
    const chunkCount = chunksPerPlane(page);
    const ctx = { file: this.file, littleEndian: this.littleEndian, page, samples, bytesPerSample };
    if (page.tileWidth !== undefined && page.tileHeight !== undefined) {
      const tw = page.tileWidth,
        th = page.tileHeight;
      const across = Math.ceil(page.width / tw);
      const tileRowBytes = tw * samples * bytesPerSample;
      for (let t = 0; t < chunkCount; t++) {
        const raw = await reader.read(page.offsets[t]!, page.byteCounts[t]!, `tile ${t}`);
        const tile = decodeChunk(ctx, raw, tw, th, `tile ${t}`);
        const x0 = (t % across) * tw,
          y0 = Math.floor(t / across) * th;
        const copyBytes = Math.min(tw, page.width - x0) * samples * bytesPerSample;
        for (let r = 0; r < th && y0 + r < page.height; r++) {
          out.set(
            tile.subarray(r * tileRowBytes, r * tileRowBytes + copyBytes),
            (y0 + r) * outRowBytes + x0 * samples * bytesPerSample,
          );
        }
      }
    } else {
      for (let s = 0; s < chunkCount; s++) {
        const rows = Math.min(page.rowsPerStrip, page.height - s * page.rowsPerStrip);
        const raw = await reader.read(page.offsets[s]!, page.byteCounts[s]!, `strip ${s}`);
        out.set(decodeChunk(ctx, raw, page.width, rows, `strip ${s}`), s * page.rowsPerStrip * outRowBytes);
      }
    }
    return { page, bytes: out, samples };
  }

  /**
   * Reads a page's strips/tiles with one read when they lie together (the usual layout), else one read per chunk:
   * thousands of small strips per slice otherwise cost thousands of syscalls.
   */
  private async pageReader(
    page: TiffPage,
  ): Promise<{ read(offset: number, length: number, what: string): Promise<Uint8Array> }> {
    const direct = new ByteReader(this.file, this.handle, this.size);
    const n = chunksPerPlane(page);
    let start = Infinity,
      end = 0,
      total = 0;
    for (let i = 0; i < n; i++) {
      start = Math.min(start, page.offsets[i]!);
      end = Math.max(end, page.offsets[i]! + page.byteCounts[i]!);
      total += page.byteCounts[i]!;
    }
    if (n < 2 || end - start > 2 * total + (1 << 20)) return direct;
    const span = await direct.read(start, end - start, 'page data');
    return {
      async read(offset, length) {
        return span.subarray(offset - start, offset - start + length);
      },
    };
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

class ByteReader {
  constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    if (offset < 0 || offset + length > this.size) {
      throw new UserError(
        `${this.file}: truncated or corrupt TIFF (${what} at byte ${offset}+${length} is past the end of the ${this.size}-byte file)`,
      );
    }
    const buf = new Uint8Array(length);
    const { bytesRead } = await this.handle.read(buf, 0, length, offset);
    if (bytesRead !== length) throw new UserError(`${this.file}: truncated TIFF (short read of ${what})`);
    return buf;
  }
}

async function readDirectory(
  reader: ByteReader,
  offset: number,
  le: boolean,
  big: boolean,
  index: number,
  float32 = false,
): Promise<{ page: TiffPage; next: number }> {
  const file = reader.file;
  const countBytes = big ? 8 : 2,
    entryBytes = big ? 20 : 12,
    inlineBytes = big ? 8 : 4;
  const countView = dv(await reader.read(offset, countBytes, `directory ${index}`));
  const count = big ? Number(countView.getBigUint64(0, le)) : countView.getUint16(0, le);
  if (count === 0 || count > 4096)
    throw new UserError(`${file}: corrupt TIFF (directory ${index} has ${count} entries)`);
  const block = dv(await reader.read(offset + countBytes, count * entryBytes + (big ? 8 : 4), `directory ${index}`));
  const tags = new Map<number, number[]>();
  for (let e = 0; e < count; e++) {
    const at = e * entryBytes;
    const tag = block.getUint16(at, le);
    if (!WANTED_TAGS.has(tag)) continue;
    const type = block.getUint16(at + 2, le);
    const n = big ? Number(block.getBigUint64(at + 4, le)) : block.getUint32(at + 4, le);
    const size = TYPE_SIZE[type];
    if (size === undefined || ![1, 3, 4, 16].includes(type))
      throw new UserError(`${file}: corrupt TIFF (tag ${tag} has type ${type})`);
    const valueAt = at + 4 + (big ? 8 : 4);
    let values: DataView;
    if (n * size <= inlineBytes) values = new DataView(block.buffer, block.byteOffset + valueAt, inlineBytes);
    else {
      const where = big ? Number(block.getBigUint64(valueAt, le)) : block.getUint32(valueAt, le);
      values = dv(await reader.read(where, n * size, `tag ${tag} values`));
    }
    const list: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      list[i] =
        type === 1
          ? values.getUint8(i)
          : type === 3
            ? values.getUint16(i * 2, le)
            : type === 4
              ? values.getUint32(i * 4, le)
              : Number(values.getBigUint64(i * 8, le));
    }
    tags.set(tag, list);
  }
  const next = big ? Number(block.getBigUint64(count * entryBytes, le)) : block.getUint32(count * entryBytes, le);
  return { page: validatePage(file, index, tags, reader.size, offset, big, float32), next };
}

function validatePage(
  file: string,
  index: number,
  tags: Map<number, number[]>,
  fileSize: number,
  ifdOffset: number,
  bigTiff: boolean,
  float32: boolean,
): TiffPage {
  const one = (tag: number, fallback?: number): number => {
    const v = tags.get(tag)?.[0] ?? fallback;
    if (v === undefined) throw new UserError(`${file}: corrupt TIFF (page ${index} lacks tag ${tag})`);
    return v;
  };
  const width = one(256),
    height = one(257);
  const bitsList = tags.get(258) ?? [1];
  const bitsPerSample = bitsList[0]!;
  const samplesPerPixel = one(277, 1);
  const sampleFormat = one(339, 1);
  const compression = one(259, 1);
  if (width < 1 || height < 1) throw new UserError(`${file}: corrupt TIFF (page ${index} is ${width}x${height})`);
  const isFloat32 = float32 && sampleFormat === 3 && bitsPerSample === 32 && bitsList.every((b) => b === 32);
  if (sampleFormat === 3 && float32 && !isFloat32)
    throw new UserError(`${file}: unsupported dtype float${bitsPerSample} (only 32-bit float here)`);
  if (sampleFormat === 3 && !isFloat32)
    throw new UserError(`${file}: unsupported dtype float${bitsPerSample} (only 8- and 16-bit unsigned integer TIFF)`);
  if (sampleFormat === 2)
    throw new UserError(
      `${file}: unsupported dtype int${bitsPerSample} (signed; only 8- and 16-bit unsigned integer TIFF)`,
    );
  if (
    !isFloat32 &&
    (sampleFormat !== 1 || (bitsPerSample !== 8 && bitsPerSample !== 16) || bitsList.some((b) => b !== bitsPerSample))
  ) {
    throw new UserError(
      `${file}: unsupported dtype (${bitsPerSample}-bit, sample format ${sampleFormat}; only 8- and 16-bit unsigned integer TIFF)`,
    );
  }
  if (!(compression in SUPPORTED_COMPRESSION)) {
    throw new UserError(
      `${file}: unsupported TIFF compression ${compression} (supported: none, LZW, deflate, PackBits)`,
    );
  }
  const tileWidth = tags.get(322)?.[0],
    tileHeight = tags.get(323)?.[0];
  const tiled = tileWidth !== undefined && tileHeight !== undefined;
  const offsets = tags.get(tiled ? 324 : 273),
    byteCounts = tags.get(tiled ? 325 : 279);
  if (!offsets || !byteCounts || offsets.length !== byteCounts.length) {
    throw new UserError(`${file}: corrupt TIFF (page ${index} has no consistent strip/tile offsets)`);
  }
  const page: TiffPage = {
    width,
    height,
    bitsPerSample,
    samplesPerPixel,
    sampleFormat,
    compression,
    predictor: one(317, 1),
    planarConfig: one(284, 1),
    rowsPerStrip: Math.min(one(278, height), height),
    offsets,
    byteCounts,
    dtype: bitsPerSample === 16 ? 'uint16' : 'uint8',
    ifdOffset,
    bigTiff,
    ...(tiled ? { tileWidth, tileHeight } : {}),
  };
  if (page.predictor !== 1 && page.predictor !== 2 && !(isFloat32 && page.predictor === 3))
    throw new UserError(`${file}: unsupported TIFF predictor ${page.predictor}`);
  const needed = chunksPerPlane(page);
  if (offsets.length < needed)
    throw new UserError(`${file}: corrupt TIFF (page ${index} has ${offsets.length} strips/tiles, needs ${needed})`);
  for (let i = 0; i < needed; i++) {
    if (offsets[i]! + byteCounts[i]! > fileSize) {
      throw new UserError(
        `${file}: truncated TIFF (page ${index} data ends at byte ${offsets[i]! + byteCounts[i]!}, the file has ${fileSize})`,
      );
    }
  }
  return page;
}

/** Strips or tiles of the first sample plane. */
function chunksPerPlane(page: TiffPage): number {
  if (page.tileWidth !== undefined && page.tileHeight !== undefined) {
    return Math.ceil(page.width / page.tileWidth) * Math.ceil(page.height / page.tileHeight);
  }
  return Math.ceil(page.height / page.rowsPerStrip);
}

interface ChunkContext {
  file: string;
  littleEndian: boolean;
  page: TiffPage;
  samples: number;
  bytesPerSample: number;
}

/** Bytes a deflate strip may decompress to beyond its pixels (some writers pad); more is refused unread. */
const DEFLATE_SLACK = 4096;

/** Decompresses one strip/tile of `width` x `rows` pixels to native-endian, predictor-undone bytes. */
function decodeChunk(ctx: ChunkContext, raw: Uint8Array, width: number, rows: number, what: string): Uint8Array {
  const { file, page, samples, bytesPerSample } = ctx;
  const expected = width * rows * samples * bytesPerSample;
  let bytes: Uint8Array;
  const corrupt = (why: string, cause?: unknown) =>
    new UserError(`${file}: corrupt TIFF (${what}: ${why})`, cause === undefined ? undefined : { cause });
  switch (page.compression) {
    case 1:
      if (raw.length < expected) throw corrupt(`${raw.length} bytes, expected ${expected}: truncated`);
      bytes = raw.length === expected ? raw : raw.slice(0, expected);
      break;
    case 8:
    case 32946:
      try {
        // Never more than the strip can hold: a 1 MB deflate stream can claim a gigabyte (a decompression bomb).
        bytes = inflateAtMost(raw, expected + DEFLATE_SLACK, 'zlib', `the ${expected} bytes the strip holds`);
      } catch (err) {
        if (err instanceof TooLarge) throw corrupt(`deflate data ${err.message}`, err);
        throw corrupt(`deflate data does not decompress (${(err as Error).message})`, err);
      }
      break;
    case 5:
    case 32773: {
      bytes = new Uint8Array(expected + 16);
      let end: number;
      try {
        // utif2's decoders index `.buffer` directly: give them fresh, zero-offset arrays.
        const src = new Uint8Array(raw.length + 4);
        src.set(raw);
        const decodeBits = UTIF.decode as unknown as Record<string, (...a: unknown[]) => unknown>;
        end =
          page.compression === 5
            ? (decodeBits._decodeLZW!(src, 0, raw.length, bytes, 0, 8) as number)
            : (decodeBits._decodePackBits!(src, 0, raw.length, bytes, 0), expected);
      } catch (err) {
        throw corrupt(`${SUPPORTED_COMPRESSION[page.compression]} data does not decompress`, err);
      }
      if (end < expected) throw corrupt(`decompressed to ${end} bytes, expected ${expected}`);
      break;
    }
    default:
      throw corrupt(`unsupported compression ${page.compression}`);
  }
  if (bytes.length < expected) throw corrupt(`decompressed to ${bytes.length} bytes, expected ${expected}`);
  if (bytes.byteOffset !== 0 || bytes.length !== expected) bytes = bytes.slice(0, expected);
  if (page.predictor === 3) return undoFloatPredictor(bytes, width * samples, rows, samples);
  if (bytesPerSample === 2 && !ctx.littleEndian) {
    for (let i = 0; i < expected; i += 2) {
      const t = bytes[i]!;
      bytes[i] = bytes[i + 1]!;
      bytes[i + 1] = t;
    }
  }
  if (bytesPerSample === 4 && !ctx.littleEndian) {
    for (let i = 0; i < expected; i += 4) {
      const a = bytes[i]!,
        b = bytes[i + 1]!;
      bytes[i] = bytes[i + 3]!;
      bytes[i + 1] = bytes[i + 2]!;
      bytes[i + 2] = b;
      bytes[i + 3] = a;
    }
  }
  if (page.predictor === 2) {
    const rowValues = width * samples;
    if (bytesPerSample === 4) {
      // libtiff differences 32-bit samples (floats too) as unsigned words, after the byte swap.
      const v = new Uint32Array(bytes.buffer, 0, expected / 4);
      for (let r = 0; r < rows; r++)
        for (let j = r * rowValues + samples; j < (r + 1) * rowValues; j++) v[j] = (v[j]! + v[j - samples]!) >>> 0;
    } else if (bytesPerSample === 2) {
      const v = new Uint16Array(bytes.buffer, 0, expected / 2);
      for (let r = 0; r < rows; r++)
        for (let j = r * rowValues + samples; j < (r + 1) * rowValues; j++) v[j] = (v[j]! + v[j - samples]!) & 0xffff;
    } else {
      for (let r = 0; r < rows; r++)
        for (let j = r * rowValues + samples; j < (r + 1) * rowValues; j++)
          bytes[j] = (bytes[j]! + bytes[j - samples]!) & 0xff;
    }
  }
  return bytes;
}

/**
 * TIFF's floating-point predictor (3), as libtiff's fpAcc undoes it: each row is byte-differenced (stride: samples per
 * pixel), then holds the samples' bytes as planes, most significant first, whatever the file's byte order. Returns
 * little-endian floats.
 */
function undoFloatPredictor(bytes: Uint8Array, rowValues: number, rows: number, stride: number): Uint8Array {
  const rowBytes = rowValues * 4;
  const out = new Uint8Array(bytes.length);
  for (let r = 0; r < rows; r++) {
    const row = bytes.subarray(r * rowBytes, (r + 1) * rowBytes);
    for (let j = stride; j < rowBytes; j++) row[j] = (row[j]! + row[j - stride]!) & 0xff;
    for (let i = 0; i < rowValues; i++)
      for (let b = 0; b < 4; b++) out[r * rowBytes + i * 4 + b] = row[(3 - b) * rowValues + i]!;
  }
  return out;
}

/** Page 0 of a 32-bit float TIFF (a tifxyz coordinate file), read whole; refused past `maxValues` samples. */
export async function readFloat32Tiff(
  file: string,
  opts: { maxValues?: number; signal?: AbortSignal } = {},
): Promise<{ width: number; height: number; values: Float32Array }> {
  const tiff = await TiffFile.open(file, { firstPageOnly: true, float32: true });
  try {
    const { width, height } = tiff.pages[0]!;
    if (opts.maxValues !== undefined && width * height > opts.maxValues)
      throw new UserError(`${file}: ${width}x${height} values, over the limit of ${opts.maxValues} for one float grid`);
    return { width, height, values: await tiff.readFloat32Page(0, opts.signal) };
  } finally {
    await tiff.close();
  }
}

function dv(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
