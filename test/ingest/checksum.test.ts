import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File, sha256Files } from '../../src/ingest/checksum.js';
import { discover } from '../../src/ingest/discover.js';
import { copyFixture, FIXTURES, tempDir } from './fixture-values.js';

describe('source checksums', () => {
  it('sha256File equals the digest of the whole file', async () => {
    const file = path.join(FIXTURES, 'tiff', 'tiled16.tif');
    expect(await sha256File(file)).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
  });

  it('a folder digest covers sorted names and each file; renaming or changing a file changes it', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'b'), 'two');
    writeFileSync(path.join(dir, 'a'), 'one');
    const h = (s: string) => createHash('sha256').update(s).digest('hex');
    const expected = createHash('sha256')
      .update(`a\0${h('one')}\nb\0${h('two')}\n`)
      .digest('hex');
    expect(await sha256Files(dir, ['b', 'a'])).toBe(expected);
    const stack = copyFixture('tiff/stack16-deflate');
    const [before] = await discover(stack, {});
    renameSync(path.join(stack, '00003.tif'), path.join(stack, '00004.tif'));
    const [renamed] = await discover(stack, {});
    expect(renamed!.source.sha256).not.toBe(before!.source.sha256);
  });
});

describe('source checksums on the codec threads', () => {
  it('a file of several read pieces (9 MiB + 5 bytes) and an empty one hash as their bytes do', async () => {
    const dir = tempDir();
    const big = Buffer.alloc((9 << 20) + 5);
    for (let i = 0; i < big.length; i += 4093) big[i] = i & 255;
    writeFileSync(path.join(dir, 'big'), big);
    writeFileSync(path.join(dir, 'empty'), '');
    const h = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
    expect(await sha256Files(dir, ['empty', 'big'])).toBe(h(`big\0${h(big)}\nempty\0${h('')}\n`));
  });
});

describe('cancellation', () => {
  it('an aborted signal stops a slab read', async () => {
    const [item] = await discover(path.join(FIXTURES, 'tiff', 'stack16-deflate'), {});
    const controller = new AbortController();
    controller.abort();
    await expect(item!.volume.readSlab(0, 4, controller.signal)).rejects.toThrow(/abort/i);
  });

  it('an aborted signal stops discovery', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      discover(path.join(FIXTURES, 'tiff', 'stack16-deflate'), { signal: controller.signal }),
    ).rejects.toThrow(/abort/i);
  });
});
