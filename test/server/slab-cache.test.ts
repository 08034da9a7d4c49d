import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SlabCache } from '../../src/server/slab-cache.js';
import { spiralCorpus } from './spiral-corpus.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-slab-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('slab cache for z slices', () => {
  it('reads an aligned slab once and answers neighbouring planes from it, byte-exact', async () => {
    const corpus = await spiralCorpus(tmp, { scanShape: [40, 24, 24], segmentShape: [8, 20] });
    const rec = corpus.record('scroll1/scanA');
    const read = vi.spyOn(corpus, 'readRegion');
    const cache = new SlabCache(64 << 20, 10_000, 16);
    for (let z = 0; z < 40; z++) {
      const plane = await cache.zPlane(corpus, rec, 0, z, [40, 24, 24]);
      read.mockClear();
      const direct = await corpus.readRegion(rec, { z: [z, z + 1], y: [0, 24], x: [0, 24] });
      expect(plane).toEqual(direct);
    }
    expect(cache.misses).toBe(3); // slabs 0-15, 16-31, 32-39
    expect(cache.hits).toBe(37);
  });

  it('forgets slabs after the time to live and within its byte budget', async () => {
    const corpus = await spiralCorpus(path.join(tmp, 'b'), { scanShape: [64, 16, 16], segmentShape: [8, 20] });
    const rec = corpus.record('scroll1/scanA');
    const cache = new SlabCache(3 * 16 * 256, 50, 16); // room for three 16-plane slabs, 50 ms
    await cache.zPlane(corpus, rec, 0, 0, [64, 16, 16]);
    await new Promise((r) => setTimeout(r, 80));
    await cache.zPlane(corpus, rec, 0, 1, [64, 16, 16]);
    expect(cache.misses).toBe(2);
    for (const z of [16, 32, 48, 1]) await cache.zPlane(corpus, rec, 0, z, [64, 16, 16]);
    expect(cache.misses).toBe(6); // the fourth slab (48) evicted slab 0
  });
});
