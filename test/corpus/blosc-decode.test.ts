import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBloscChunk, drainEncoders } from '../../src/corpus/index.js';
import { FIXTURES, v16, v8 } from '../ingest/fixture-values.js';

interface Frame {
  name: string;
  dtype: 'u1' | 'u2';
  count: number;
  bytes: number;
  flags: number;
}
const DIR = path.join(FIXTURES, 'blosc');
const frames = JSON.parse(readFileSync(path.join(DIR, 'frames.json'), 'utf8')) as Frame[];

/** What numcodecs encoded (scripts/make-fixtures.py blosc_frames): v8 / v16 along x, or the stored noise. */
function expected(f: Frame): Uint8Array {
  if (f.name.endsWith('noise-u8')) return readFileSync(path.join(DIR, `${f.name}.raw`));
  if (f.dtype === 'u1') return Uint8Array.from({ length: f.count }, (_, x) => v8(0, 0, x));
  return new Uint8Array(Uint16Array.from({ length: f.count }, (_, x) => v16(0, 0, x)).buffer);
}

describe('blosc frames written by numcodecs (python)', () => {
  afterEach(async () => {
    delete process.env.AUNN_ENCODER_THREADS;
    await drainEncoders();
  });

  it('cover zstd inside with and without shuffle, a leftover block, stored blocks and frames, bit shuffle and lz4', () => {
    const flags = new Map(frames.map((f) => [f.name, f.flags]));
    expect(flags.get('zstd-shuffle-u16')! & 1).toBe(1); // byte shuffle
    expect(flags.get('zstd-bitshuffle-u16')! & 4).toBe(4);
    expect(flags.get('zstd-clevel0-u8')! & 2).toBe(2); // stored whole
    expect(flags.get('lz4-shuffle-u16')! >> 5).toBe(1);
    expect(frames.filter((f) => f.flags >> 5 === 4 && !(f.flags & 2)).length).toBeGreaterThanOrEqual(4);
  });

  for (const threads of ['2', '0'])
    it(`decode to the values numcodecs encoded (${threads === '0' ? 'on the calling thread' : 'on 2 codec threads'})`, async () => {
      await drainEncoders();
      process.env.AUNN_ENCODER_THREADS = threads;
      for (const f of frames) {
        const bytes = readFileSync(path.join(DIR, `${f.name}.blosc`));
        const out = await decodeBloscChunk(new Uint8Array(bytes), f.bytes);
        expect(Buffer.from(out).equals(Buffer.from(expected(f))), f.name).toBe(true);
      }
    });

  it('refuse a frame whose stated size is not the chunk size, or that is cut short', async () => {
    const f = frames.find((x) => x.name === 'zstd-shuffle-u16-leftover')!;
    const bytes = new Uint8Array(readFileSync(path.join(DIR, `${f.name}.blosc`)));
    await expect(decodeBloscChunk(bytes.slice(), f.bytes + 2)).rejects.toThrow(/states 20002 bytes, expected 20004/);
    await expect(decodeBloscChunk(bytes.slice(0, bytes.length - 100), f.bytes)).rejects.toThrow(/blosc frame/);
  });
});
