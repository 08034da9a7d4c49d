import Zstd from 'numcodecs/zstd';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeChunk, drainEncoders, encodeChunk } from '../../src/corpus/chunk-encoder.js';
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

  it('reports a chunk that does not decompress', async () => {
    await expect(decodeChunk(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).rejects.toThrow();
  });
});
