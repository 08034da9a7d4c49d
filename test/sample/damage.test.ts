// Damaged scans: a slab of scan A missing or far noisier, the segment's layers sampled from the damaged scan, the
// truth saying where, and the rest of the scroll the same scroll as without damage.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSample, generateSample, scrollParams, type SampleSummary } from '../../sample-data/index.js';
import { DAMAGE_NOISE_GAIN } from '../../sample-data/params.js';
import { UINT16_GAIN } from '../../sample-data/physics.js';
import { readStack } from './read-sample.js';

let tmp: string;
let plain: SampleSummary;
let damaged: SampleSummary;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-damage-'));
  plain = await generateSample({ out: path.join(tmp, 'plain'), seed: 4, size: 'tiny' });
  damaged = await generateSample({
    out: path.join(tmp, 'damaged'),
    seed: 4,
    size: 'tiny',
    damage: ['missing-slab', 'noise'],
  });
}, 60_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const sd = (a: number[]) => {
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
};

describe('damaged sample scans', () => {
  it('puts each kind on its own quarter of the slices, and says so in the truth', async () => {
    const nz = damaged.scanA.shape[0];
    const [slab, noise] = damaged.damage;
    expect(damaged.damage).toHaveLength(2);
    expect(plain.damage).toEqual([]);
    expect(slab!.kind).toBe('missing-slab');
    expect(noise!.kind).toBe('noise');
    for (const d of damaged.damage) {
      expect(d.z[1] - d.z[0]).toBe(nz / 4);
      expect(d.z[0]).toBeGreaterThanOrEqual(Math.round(0.1 * nz));
      expect(d.z[1]).toBeLessThanOrEqual(Math.round(0.9 * nz));
      // row = H - 1 - z
      expect(d.rows).toEqual([damaged.segment.height - d.z[1], damaged.segment.height - d.z[0]]);
    }
    expect(slab!.z[1]).toBeLessThanOrEqual(noise!.z[0]);
    const meta = JSON.parse(await readFile(path.join(damaged.truth, 'meta.json'), 'utf8'));
    expect(meta.damage).toEqual(damaged.damage);
  });

  it('zeroes the missing slab, adds noise to the other, and leaves every other slice as it was', async () => {
    const a = await readStack(plain.scanA.dir);
    const b = await readStack(damaged.scanA.dir);
    const clean = await readStack(path.join(damaged.truth, 'scanA_clean'));
    const [, ny, nx] = a.shape;
    const slice = ny * nx;
    const [slab, noise] = damaged.damage;
    const inSlab = (z: number, d: { z: [number, number] }) => z >= d.z[0] && z < d.z[1];
    for (let z = 0; z < a.shape[0]; z++) {
      const pa = a.data.subarray(z * slice, (z + 1) * slice);
      const pb = b.data.subarray(z * slice, (z + 1) * slice);
      if (inSlab(z, slab!)) expect(pb.every((v) => v === 0)).toBe(true);
      else if (!inSlab(z, noise!))
        expect(Buffer.from(pb.buffer, pb.byteOffset, pb.byteLength)).toEqual(
          Buffer.from(pa.buffer, pa.byteOffset, pa.byteLength),
        );
    }
    // What the damage added to the noisy slab: Gaussian noise DAMAGE_NOISE_GAIN times the scan's own level.
    const { scanA } = scrollParams(4, 'tiny', undefined, 'dev');
    const added = (z: number) =>
      sd(Array.from(b.data.subarray(z * slice, (z + 1) * slice), (v, i) => v - a.data[z * slice + i]!));
    const want = DAMAGE_NOISE_GAIN * scanA.gaussNoise * scanA.papyrus * UINT16_GAIN;
    for (const z of [noise!.z[0], noise!.z[1] - 1]) expect(Math.abs(added(z) / want - 1)).toBeLessThan(0.1);
    // The clean truth is the same with and without damage.
    expect(
      Buffer.from(clean.data.buffer).equals(
        Buffer.from((await readStack(path.join(plain.truth, 'scanA_clean'))).data.buffer),
      ),
    ).toBe(true);
  });

  it('samples the segment layers from the damaged scan: rows of the missing slab read 0', async () => {
    const layer = await readStack(path.join(damaged.segment.dir, 'layers'));
    const { width: W } = damaged.segment;
    const [r0, r1] = damaged.damage[0]!.rows;
    // Rows well inside the slab (trilinear sampling blends its first and last row with the slices beside it).
    for (let r = r0 + 1; r < r1 - 1; r++) {
      const row = layer.data.subarray(32 * layer.shape[1] * W + r * W, 32 * layer.shape[1] * W + (r + 1) * W);
      expect(Math.max(...row)).toBe(0);
    }
  });

  it('makes a fresh sample when the damage asked for differs from the one on disk', async () => {
    const out = path.join(tmp, 'plain');
    const again = await ensureSample({ out, seed: 4, size: 'tiny', damage: ['noise'] });
    expect(again.damage.map((d) => d.kind)).toEqual(['noise']);
    expect((await ensureSample({ out, seed: 4, size: 'tiny', damage: ['noise'] })).seconds).toBe(0);
  });

  it('refuses an unknown kind of damage before writing anything', async () => {
    await expect(
      generateSample({ out: path.join(tmp, 'never'), seed: 1, size: 'tiny', damage: ['fire' as never] }),
    ).rejects.toThrow(/--damage must be missing-slab or noise/);
  });
});
