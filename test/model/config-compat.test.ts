import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readCheckpoint, versionPath, writeCheckpoint } from '../../src/model/checkpoint.js';
import { loadModel } from '../../src/model/model.js';
import { trainModel } from '../../src/model/trainer.js';
import { scrollField, SyntheticCorpus } from './synthetic.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aunn-compat-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('configs written before the grid geometry fields', () => {
  test('a checkpoint whose config lacks finestCellVoxels / levelOffsets / axisBits / persistency / maxResidentMB predicts and trains as the old geometry', async () => {
    const corpus = new SyntheticCorpus();
    const rec = corpus.add({ name: 'o/scan', scroll: 'o', shape: [4, 16, 16], fill: scrollField({ turnUm: 12 }) });
    const oldGeometry = { finestCellVoxels: 1, levelOffsets: false, axisBits: 53 };
    const cfg = {
      encoding: {
        kind: 'bits+grid' as const,
        grid: { levels: 3, features: 2, log2TableSize: 10, coarsestCellVoxels: 4, ...oldGeometry },
      },
      width: 16,
      depth: 2,
      train: { batchSize: 128, evalEverySeconds: 1e9 },
    };
    const explicitDir = path.join(tmp, 'explicit');
    await trainModel({ corpus, modelDir: explicitDir, steps: 5, threads: 1, config: cfg });
    // The same weights under a config as an old version wrote it: the new fields absent.
    const ck = readCheckpoint(versionPath(explicitDir, 1));
    const old = structuredClone(ck.header.config);
    delete old.encoding.grid.finestCellVoxels;
    delete old.encoding.grid.levelOffsets;
    delete old.encoding.grid.axisBits;
    delete old.train.persistency;
    delete old.train.maxResidentMB;
    const oldDir = path.join(tmp, 'old');
    const { blobFloats: _f, blobSha256: _s, ...header } = ck.header;
    writeCheckpoint(versionPath(oldDir, 1), { ...header, config: old }, { params: ck.params, m: ck.m, v: ck.v });
    const addresses = Float64Array.from({ length: 200 }, (_, i) => rec.base + ((i * 37) % 1024));
    const a = await loadModel(explicitDir);
    const b = await loadModel(oldDir);
    const pa = await a.predict(addresses, corpus.manifest, { threads: 1 });
    const pb = await b.predict(addresses, corpus.manifest, { threads: 1 });
    a.dispose();
    b.dispose();
    expect([...pb.mean]).toEqual([...pa.mean]);
    // It trains on (resume as a new run) with the config it carries, unchanged.
    const r = await trainModel({ corpus, modelDir: oldDir, steps: 3, threads: 1 });
    expect(r.header.config.encoding.grid.finestCellVoxels).toBeUndefined();
    expect(r.header.config.train.persistency).toBeUndefined();
    expect(r.step).toBe(ck.header.step + 3);
  });
});
