/**
 * The server over a real (zarr) corpus: slices equal the stored bytes, and clients that hang up mid-read (the
 * viewer cancels superseded slice requests all the time) leave the server alive and answering.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Corpus } from '../../src/corpus/index.js';
import { startServer, type AppServer } from '../../src/server/server.js';
import { openCorpusForServing } from '../../src/server/open-corpus.js';
import { UserError } from '../../src/core/errors.js';
import { request } from './http-client.js';
import { onSpiral } from './spiral-corpus.js';

let tmp: string;
let corpus: Corpus;
let app: AppServer;
const [Z, Y, X] = [32, 160, 160];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-real-corpus-'));
  const c = await Corpus.open(path.join(tmp, 'corpus'), { create: true });
  await c.withWriter((w) =>
    w.appendRecord(
      {
        name: 's/scan',
        scroll: 's',
        modality: 'scan',
        shape: [Z, Y, X],
        dtype: 'uint8',
        voxelSizeUm: [10, 10, 10],
        source: { path: '(generated)', sha256: '0', format: 'generated' },
        trainable: true,
      },
      async (writeSlab) => {
        const slab = new Uint8Array(Z * Y * X);
        for (let z = 0; z < Z; z++)
          for (let y = 0; y < Y; y++)
            for (let x = 0; x < X; x++)
              slab[(z * Y + y) * X + x] = onSpiral(y, x, Y, X, z / Z) ? 200 : (x + y + z) % 30;
        await writeSlab(0, slab);
      },
    ),
  );
  corpus = (await openCorpusForServing(path.join(tmp, 'corpus'))) as Corpus;
  app = await startServer({ corpus, uiDir: null });
});

afterAll(async () => {
  await app?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('serving a zarr corpus', () => {
  it('names the folder when it is not a corpus', async () => {
    await expect(openCorpusForServing(tmp)).rejects.toThrow(UserError);
    await expect(openCorpusForServing(tmp)).rejects.toThrow(`${tmp} is not a corpus (no manifest.json)`);
  });

  it('serves slices equal to the stored bytes, at every level', async () => {
    const rec = corpus.record('s/scan');
    const list = (await request(app.port, '/api/records', { token: app.token })).json();
    expect(list.records[0].levelShapes.length).toBe(rec.levels);
    for (let level = 0; level < rec.levels; level++) {
      const [d, h, w] = corpus.levelShape(rec, level);
      const r = await request(app.port, `/api/records/${rec.id}/slice?axis=y&index=${h >> 1}&level=${level}`, {
        token: app.token,
      });
      expect(r.headers['x-shape']).toBe(`${d},${w}`);
      expect(new Uint8Array(r.body)).toEqual(
        await corpus.readRegion(rec, { z: [0, d], y: [h >> 1, (h >> 1) + 1], x: [0, w] }, level),
      );
    }
  });

  it('survives clients that hang up mid-read', async () => {
    const rec = corpus.record('s/scan');
    const aborted = Array.from(
      { length: 30 },
      (_, i) =>
        new Promise<void>((resolve) => {
          const req = httpRequest({
            host: '127.0.0.1',
            port: app.port,
            path: `/api/records/${rec.id}/region?level=0`,
            headers: { Host: `127.0.0.1:${app.port}`, 'X-Aunn-Token': app.token },
          });
          req.on('error', () => resolve());
          req.on('response', (res) => (res.resume(), res.on('end', resolve), res.on('error', () => resolve())));
          req.end();
          setTimeout(() => (req.destroy(), resolve()), i % 5);
        }),
    );
    await Promise.all(aborted);
    await new Promise((r) => setTimeout(r, 300));
    const r = await request(app.port, `/api/records/${rec.id}/slice?axis=z&index=3`, { token: app.token });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(Y * X);
  });
});
