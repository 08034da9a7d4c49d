// Decompression bombs: a small file or chunk that decompresses to far more than its pixels is refused with one
// line naming it, and never decompressed past the size it may hold (zlib's maxOutputLength, blosc/lz4 headers).
import { readdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import Zstd from 'numcodecs/zstd';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { discover } from '../../src/ingest/discover.js';
import { copyFixture, tempDir } from './fixture-values.js';

const refusal = async (p: Promise<unknown>): Promise<string> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return (err as Error).message;
};

/** A little-endian baseline TIFF: one 64x64 uint16 page, one deflate strip holding `strip`. */
function deflateTiff(strip: Uint8Array): Buffer {
  const tags: [number, number, number][] = [
    [256, 3, 64], // ImageWidth
    [257, 3, 64], // ImageLength
    [258, 3, 16], // BitsPerSample
    [259, 3, 8], // Compression: deflate
    [262, 3, 1], // Photometric: min-is-black
    [273, 4, 0], // StripOffsets (patched below)
    [277, 3, 1], // SamplesPerPixel
    [278, 3, 64], // RowsPerStrip
    [279, 4, strip.length], // StripByteCounts
  ];
  const ifdAt = 8;
  const dataAt = ifdAt + 2 + tags.length * 12 + 4;
  const buf = Buffer.alloc(dataAt + strip.length);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(ifdAt, 4);
  buf.writeUInt16LE(tags.length, ifdAt);
  tags.forEach(([tag, type, value], i) => {
    const at = ifdAt + 2 + i * 12;
    buf.writeUInt16LE(tag, at);
    buf.writeUInt16LE(type, at + 2);
    buf.writeUInt32LE(1, at + 4);
    if (type === 3) buf.writeUInt16LE(tag === 273 ? dataAt : value, at + 8);
    else buf.writeUInt32LE(tag === 273 ? dataAt : value, at + 8);
  });
  buf.writeUInt32LE(0, dataAt - 4);
  Buffer.from(strip).copy(buf, dataAt);
  return buf;
}

describe('decompression bombs', () => {
  it('a deflate TIFF strip that inflates to 64 MB (its pixels: 8 KB) is refused, naming the file', async () => {
    const dir = tempDir('bomb-tiff');
    const good = path.join(dir, 'good.tif');
    writeFileSync(good, deflateTiff(deflateSync(Buffer.alloc(64 * 64 * 2, 1))));
    const [ok] = await discover(good, {});
    expect((await ok!.volume.readSlab(0, 1))[0]).toBe(257);
    const bomb = path.join(dir, 'bomb.tif');
    writeFileSync(bomb, deflateTiff(deflateSync(Buffer.alloc(64 << 20))));
    const msg = await refusal(discover(bomb, {}).then(([item]) => item!.volume.readSlab(0, 1)));
    expect(msg).toMatch(/bomb\.tif: corrupt TIFF .*decompresses to more than the 8192 bytes/);
    expect(msg).not.toContain('\n');
  });

  it('a gzip zarr chunk that inflates to 64 MB is refused before it is all inflated, naming the chunk', async () => {
    const gz = copyFixture('zarr/v2-gzip-u8.zarr');
    writeFileSync(path.join(gz, '1.0.1'), gzipSync(Buffer.alloc(64 << 20)));
    const [item] = await discover(gz, {});
    const msg = await refusal(item!.volume.readSlab(4, 6));
    expect(msg).toMatch(/v2-gzip-u8\.zarr: chunk .*1\.0\.1 .*decompresses to more than the \d+ bytes of a chunk/);
  });

  it('a blosc chunk whose header claims 1 GiB is refused without decoding it', async () => {
    const dir = copyFixture('zarr/v2-blosc-u16.zarr');
    const chunk = readdirSync(dir).find((f) => /^\d+\.\d+\.\d+$/.test(f))!;
    const bytes = readFileSync(path.join(dir, chunk));
    bytes.writeUInt32LE(1 << 30, 4);
    writeFileSync(path.join(dir, chunk), bytes);
    const [item] = await discover(dir, {});
    const msg = await refusal(item!.volume.readSlab(0, item!.volume.shape[0]));
    expect(msg).toMatch(/claims 1073741824 bytes decoded, expected \d+/);
  });

  it('a zstd chunk whose frame claims more than its chunk holds is refused without decoding it', async () => {
    // The gzip fixture's chunks re-encoded by numcodecs' zstd (the codec zarr-python uses).
    const dir = copyFixture('zarr/v2-gzip-u8.zarr');
    const zarray = JSON.parse(readFileSync(path.join(dir, '.zarray'), 'utf8'));
    writeFileSync(path.join(dir, '.zarray'), JSON.stringify({ ...zarray, compressor: { id: 'zstd', level: 1 } }));
    const zstd = Zstd.fromConfig({ id: 'zstd', level: 1 });
    const chunks = readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+$/.test(f));
    for (const c of chunks)
      writeFileSync(path.join(dir, c), await zstd.encode(new Uint8Array(gunzipSync(readFileSync(path.join(dir, c))))));
    const [good] = await discover(dir, {});
    const gzip = (await discover(copyFixture('zarr/v2-gzip-u8.zarr'), {}))[0]!;
    expect(await good!.volume.readSlab(0, 6)).toEqual(await gzip.volume.readSlab(0, 6));
    // A single-segment frame with a 2-byte Frame_Content_Size (value + 256) right after the descriptor.
    const bytes = readFileSync(path.join(dir, '0.0.0'));
    expect(bytes[4]).toBe(0x60);
    bytes.writeUInt16LE(0xffff, 5);
    writeFileSync(path.join(dir, '0.0.0'), bytes);
    const [item] = await discover(dir, {});
    const msg = await refusal(item!.volume.readSlab(0, 6));
    expect(msg).toMatch(
      /chunk \/0\.0\.0 fails to decompress \(numcodecs\.zstd chunk claims 65791 bytes decoded, expected 256\)/,
    );
  });

  it('a chunk shape that would decode to 128 GiB is refused by the chunk limit, naming it and its setting', async () => {
    const dir = copyFixture('zarr/v2-gzip-u8.zarr');
    const zarray = JSON.parse(readFileSync(path.join(dir, '.zarray'), 'utf8'));
    writeFileSync(
      path.join(dir, '.zarray'),
      JSON.stringify({ ...zarray, dtype: '<u2', chunks: [4096, 4096, 4096], shape: [6, 20, 24] }),
    );
    const [item] = await discover(dir, {});
    const msg = await refusal(item!.volume.readSlab(0, 6));
    expect(msg).toMatch(
      /v2-gzip-u8\.zarr: .*would decode to 128\.0 GiB, over the 256\.0 MiB limit for one chunk; raise it with AUNN_MAX_CHUNK_MIB/,
    );
    expect(msg).not.toContain('\n');
  });

  it('a NIfTI header (nibabel, gzipped) patched to claim 4000^3 voxels is refused before the voxels are read', async () => {
    const dir = tempDir('bomb-nifti');
    const header = gunzipSync(readFileSync(copyFixture('nifti/nibabel-u16.nii.gz', dir)));
    // dim[1..3] are int16 at bytes 42, 44, 46 of the 348-byte NIfTI-1 header.
    for (const at of [42, 44, 46]) header.writeInt16LE(4000, at);
    const bomb = path.join(dir, 'bomb.nii.gz');
    writeFileSync(bomb, gzipSync(header));
    const started = process.memoryUsage().rss;
    const msg = await refusal(discover(bomb, {}).then(([item]) => item!.volume.readSlab(0, 1)));
    expect(msg).toMatch(
      /bomb\.nii\.gz: the header claims 64000000000 voxels \(128000000000 bytes\), more than \d+ bytes of file can hold even compressed: corrupt header\?/,
    );
    expect(msg).not.toContain('\n');
    expect(process.memoryUsage().rss - started).toBeLessThan(512 << 20);
  });
});
