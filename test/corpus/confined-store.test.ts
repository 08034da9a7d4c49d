// A record chunk that is a symlink out of the corpus is refused, never read (the viewer's /region used to return the
// file it pointed to).
import { readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Corpus } from '../../src/corpus/index.js';
import { appendVolume, makeVolume, scratchDir, type Shape } from './helpers/volumes.js';

/** Every file under dir, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

describe('the corpus store', () => {
  it('refuses to read a chunk that links out of the corpus', async () => {
    const dir = scratchDir();
    const corpus = await Corpus.open(dir, { create: true });
    const shape: Shape = [4, 20, 20];
    const rec = await appendVolume(corpus, 's1/scanA', shape, makeVolume(shape), { slabPlanes: 4 });
    const box = { z: [0, 1], y: [0, 4], x: [0, 4] } as const;
    await corpus.readRegion(rec, { z: [...box.z], y: [...box.y], x: [...box.x] }, 0);

    const level0 = path.join(dir, 'data.zarr', rec.array, '0');
    const chunk = files(level0).find((f) => !/zarr\.json$/.test(f) && statSync(f).size > 0)!;
    const secret = path.join(scratchDir(), 'secret.bin');
    writeFileSync(secret, 'not yours');
    rmSync(chunk);
    symlinkSync(secret, chunk);
    const again = await Corpus.open(dir);
    await expect(again.readRegion(again.record('s1/scanA'), { z: [0, 4], y: [0, 20], x: [0, 20] }, 0)).rejects.toThrow(
      /a link out of the corpus store/,
    );
  });
});
