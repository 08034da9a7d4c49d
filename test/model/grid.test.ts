import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src/model/backend.js';
import { modelConfig } from '../../src/model/config.js';
import { Encoder } from '../../src/model/encoding.js';
import { addressAt } from '../../src/model/addressing.js';
import { gridView, initParams, lossAndGrads, mulberry32, paramLayout } from '../../src/model/network.js';
import { scrollField, SyntheticCorpus } from './synthetic.js';

describe('hash-grid encoding', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  // Old checkpoints' layout (vertices on voxel centres) and the shifted levels with coarser finest cells.
  test.each([
    { finestCellVoxels: 1, levelOffsets: true },
    { finestCellVoxels: 2, levelOffsets: false },
  ])('grid-table gradients (input gradient scattered by the encoder) match finite differences: %o', (geometry) => {
    const c = new SyntheticCorpus();
    const rec = c.add({ name: 'g/scan', scroll: 'g', shape: [2, 8, 8], fill: scrollField({ turnUm: 4 }) });
    const cfg = modelConfig({
      encoding: {
        kind: 'bits+grid',
        addressBits: 12,
        grid: { levels: 2, features: 2, log2TableSize: 6, coarsestCellVoxels: 4, ...geometry },
      },
      width: 16,
      depth: 2,
    });
    const layout = paramLayout(cfg);
    const params = initParams(layout, 2);
    const table = gridView(layout, params)!;
    const rnd = mulberry32(3);
    for (let i = 0; i < table.length; i++) table[i] = (rnd() - 0.5) * 2; // large enough to matter
    const n = 48;
    const addresses = Float64Array.from({ length: n }, () => rec.base + Math.floor(rnd() * 128));
    const labels = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
    const enc = new Encoder(cfg.encoding, c.manifest.records, table);
    const loss = () => {
      const x = enc.encode(addresses);
      return lossAndGrads(cfg, layout, params, x, labels, n, new Float32Array(layout.total)).loss;
    };
    const x = enc.encode(addresses);
    const grads = new Float32Array(layout.total);
    const inputGrad = new Float32Array(n * enc.dim);
    lossAndGrads(cfg, layout, params, x, labels, n, grads, 0, inputGrad);
    const gridGrads = gridView(layout, grads)!;
    gridGrads.fill(0);
    enc.gridBackward(inputGrad, n, gridGrads);
    const order = [...gridGrads.keys()].sort((a, b) => Math.abs(gridGrads[b]) - Math.abs(gridGrads[a])).slice(0, 6);
    expect(Math.abs(gridGrads[order[0]])).toBeGreaterThan(1e-4);
    // Central differences at h and h/2, Richardson-extrapolated (cancels the h² term; h stays large for float32).
    const h = 2e-2;
    const central = (i: number, step: number) => {
      const keep = table[i];
      table[i] = keep + step;
      const up = loss();
      table[i] = keep - step;
      const down = loss();
      table[i] = keep;
      return (up - down) / (2 * step);
    };
    for (const i of order) {
      const fd = (4 * central(i, h / 2) - central(i, h)) / 3;
      expect(Math.abs(fd - gridGrads[i]), `entry ${i}: fd ${fd} analytic ${gridGrads[i]}`).toBeLessThan(
        0.05 * Math.abs(gridGrads[i]) + 2e-4,
      );
    }
  });

  test('shifted levels with cells of 2+ voxels: every vertex a held-out voxel reads is also read by its observed neighbours', () => {
    const c = new SyntheticCorpus();
    const rec = c.add({ name: 'g/scan', scroll: 'g', shape: [8, 16, 16], fill: scrollField({ turnUm: 4 }) });
    const cfg = modelConfig({
      encoding: {
        kind: 'bits+grid',
        grid: { levels: 3, features: 1, log2TableSize: 20, coarsestCellVoxels: 8, finestCellVoxels: 2 },
      },
    });
    const layout = paramLayout(cfg);
    const table = gridView(layout, new Float32Array(layout.total))!;
    const enc = new Encoder(cfg.encoding, c.manifest.records, table);
    const verticesOf = (z: number, y: number, x: number) => {
      // A one-hot table shows which entries a voxel reads (with a non-zero weight).
      const out = new Set<number>();
      const a = Float64Array.of(addressAt(rec, z, y, x));
      const grad = new Float32Array(table.length);
      enc.encode(a);
      const g = new Float32Array(enc.dim).fill(1);
      enc.gridBackward(g, 1, grad);
      grad.forEach((v, i) => v !== 0 && out.add(i));
      return out;
    };
    const [z, y, x] = [4, 7, 9];
    const own = verticesOf(z, y, x);
    const neighbours = new Set<number>();
    for (const [dz, dy, dx] of [
      [1, 0, 0],
      [-1, 0, 0],
      [0, 1, 0],
      [0, -1, 0],
      [0, 0, 1],
      [0, 0, -1],
    ])
      for (const v of verticesOf(z + dz, y + dy, x + dx)) neighbours.add(v);
    expect(own.size).toBeGreaterThan(8);
    for (const v of own) expect(neighbours.has(v)).toBe(true);
  });

  test('axisBits: beside the grid only the record bits and the top bits of each axis are fed; a config without it feeds all bits', () => {
    const c = new SyntheticCorpus();
    c.add({ name: 'g/a', scroll: 'g', shape: [4, 8, 8], fill: () => 0 });
    const rec = c.add({ name: 'g/b', scroll: 'g', shape: [4, 8, 8], fill: () => 0 }); // bits [2, 3, 3]: 8 voxel bits
    const grid = { levels: 1, features: 1, log2TableSize: 8, coarsestCellVoxels: 2 };
    const bitsOf = (axisBits: number | undefined, z: number, y: number, x: number) => {
      const cfg = modelConfig({ encoding: { kind: 'bits+grid', addressBits: 16, grid: { ...grid, axisBits } } });
      if (axisBits === undefined) delete cfg.encoding.grid.axisBits; // as in a checkpoint written before the field
      const enc = new Encoder(cfg.encoding, c.manifest.records, new Float32Array(256));
      return [...enc.encode(Float64Array.of(addressAt(rec, z, y, x))).subarray(0, 16)];
    };
    // Bits (MSB first): 16 - 8 = 8 record bits, then z (2), y (3), x (3).
    const all = bitsOf(undefined, 3, 5, 6);
    expect(all.every((v) => v === 1 || v === -1)).toBe(true);
    const none = bitsOf(0, 3, 5, 6);
    expect(none.slice(0, 8)).toEqual(all.slice(0, 8));
    expect(none.slice(8).every((v) => v === 0)).toBe(true);
    const top1 = bitsOf(1, 3, 5, 6);
    expect(top1.slice(0, 8)).toEqual(all.slice(0, 8));
    expect(top1.slice(8).map((v) => Math.abs(v))).toEqual([1, 0, 1, 0, 0, 1, 0, 0]);
    expect([top1[8], top1[10], top1[13]]).toEqual([all[8], all[10], all[13]]);
  });
});
