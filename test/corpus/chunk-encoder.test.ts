import Zstd from 'numcodecs/zstd';
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeChunk, drainEncoders, encodeChunk, writeSlabChunksOnThreads } from '../../src/corpus/chunk-encoder.js';
import { makeVolume, sameBytes } from './helpers/volumes.js';

describe('chunk codec threads', () => {
  afterEach(async () => {
    delete process.env.AUNN_ENCODER_THREADS;
    await drainEncoders();
  });

  for (const threads of ['2', '0']) {
    it(`round-trips chunks as standard zstd frames (${threads === '0' ? 'on the calling thread' : 'on 2 worker threads'})`, async () => {
      await drainEncoders();
      process.env.AUNN_ENCODER_THREADS = threads;
      const chunks = Array.from({ length: 12 }, (_, k) =>
        makeVolume([16, 32, 32], (z, y, x) => (z * k + y * 3 + x) & 255),
      );
      const encoded = await Promise.all(chunks.map((c) => encodeChunk(c.slice())));
      for (const [k, bytes] of encoded.entries()) {
        expect(bytes.length).toBeLessThan(chunks[k]!.length);
        // readable by numcodecs on this thread (what zarrita uses), and by our decoder
        expect(sameBytes(await Zstd.fromConfig({ level: 1 }).decode(bytes.slice()), chunks[k]!)).toBe('equal');
        expect(sameBytes(await decodeChunk(bytes), chunks[k]!)).toBe('equal');
      }
    });
  }

  for (const threads of ['2', '0'])
    it(`writes a slab's chunks again at a path whose folders were removed since (${threads} threads)`, async () => {
      await drainEncoders();
      process.env.AUNN_ENCODER_THREADS = threads;
      const dir = mkdtempSync(path.join(os.tmpdir(), 'aunn-slab-'));
      const slab = new Uint8Array(new SharedArrayBuffer(4 * 8 * 8));
      for (let i = 0; i < slab.length; i++) slab[i] = (i % 5) + 1;
      const job = {
        slab,
        n: 4,
        h: 8,
        w: 8,
        chunks: [4, 4, 4] as [number, number, number],
        iz: 0,
        arrayDir: path.join(dir, 'a'),
        cells: Int32Array.from([0, 0, 0, 1, 1, 0, 1, 1]),
      };
      expect(await writeSlabChunksOnThreads(job)).toBe(4);
      rmSync(path.join(dir, 'a'), { recursive: true });
      expect(await writeSlabChunksOnThreads(job)).toBe(4);
      // chunk (0, 1, 1): planes 0..3, rows 4..7, columns 4..7 of the slab
      const back = await decodeChunk(new Uint8Array(readFileSync(path.join(dir, 'a', 'c', '0', '1', '1'))), 64);
      const want = Array.from(
        { length: 64 },
        (_, k) => slab[(Math.floor(k / 16) * 8 + 4 + (Math.floor(k / 4) % 4)) * 8 + 4 + (k % 4)]!,
      );
      expect(Array.from(back)).toEqual(want);
      rmSync(dir, { recursive: true, force: true });
    });

  it('reports a chunk that does not decompress', async () => {
    await expect(decodeChunk(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).rejects.toThrow();
  });
});
