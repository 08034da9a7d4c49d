import { beforeAll, describe, expect, test } from 'vitest';
import { initBackend } from '../../src/model/backend.js';
import { modelConfig } from '../../src/model/config.js';
import { Encoder } from '../../src/model/encoding.js';
import { gridView, initParams, lossAndGrads, mulberry32, paramLayout } from '../../src/model/network.js';
import { scrollField, SyntheticCorpus } from './synthetic.js';

describe('hash-grid encoding', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  test('grid-table gradients (input gradient scattered by the encoder) match finite differences', () => {
    const c = new SyntheticCorpus();
    const rec = c.add({ name: 'g/scan', scroll: 'g', shape: [2, 8, 8], fill: scrollField({ turnUm: 4 }) });
    const cfg = modelConfig({ encoding: { kind: 'bits+grid', addressBits: 12, grid: { levels: 2, features: 2, log2TableSize: 6, coarsestCellVoxels: 4 } }, width: 16, depth: 2 });
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
    const h = 1e-2;
    for (const i of order) {
      const keep = table[i];
      table[i] = keep + h;
      const up = loss();
      table[i] = keep - h;
      const down = loss();
      table[i] = keep;
      const fd = (up - down) / (2 * h);
      expect(Math.abs(fd - gridGrads[i]), `entry ${i}: fd ${fd} analytic ${gridGrads[i]}`).toBeLessThan(0.05 * Math.abs(gridGrads[i]) + 2e-4);
    }
  });
});
