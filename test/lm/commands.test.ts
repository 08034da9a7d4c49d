import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleLines } from './console-capture.js';
import { decode as decodePng } from 'fast-png';
import { Corpus } from '../../src/corpus/index.js';
import { exportReading } from '../../src/lm-conditioning/export/export-reading.js';
import { run as runLm } from '../../src/cli/commands/lm.js';
import { run as runRead } from '../../src/cli/commands/read.js';
import { run as runExport } from '../../src/cli/commands/export.js';
import { saveReading, type Reading } from '../../src/lm-conditioning/reading/reading-file.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-lm-cmd-'));
  process.env.AUNN_LM_DIR = path.join(tmp, 'lm-cache');
});
afterAll(async () => {
  delete process.env.AUNN_LM_DIR;
  await rm(tmp, { recursive: true, force: true });
});

async function captured(fn: () => Promise<void>): Promise<string> {
  return (await consoleLines(fn)).join('\n');
}

describe('aunn lm restore', () => {
  it('prints candidates with probabilities, building and caching the default model', async () => {
    const out = await captured(() => runLm(['restore', 'ΕΝΑΡΧΗΗΝΟ[...]ΟΣΚΑΙΟΛΟΓΟΣ', '--top', '3']));
    const rows = out.split('\n').map((l) => l.split('\t'));
    expect(rows).toHaveLength(3);
    expect(rows[0]![0]).toBe('ΛΟΓ');
    expect(Number(rows[0]![1])).toBeGreaterThan(0.5);
    expect((await stat(path.join(tmp, 'lm-cache', 'kn10-sblgnt-v2.lm'))).size).toBeGreaterThan(500_000);
  });

  it('rejects a gap without a length', async () => {
    await expect(runLm(['restore', 'ΑΒ[- - -]ΓΔ'])).rejects.toThrow(/no known length/);
  });
});

describe('aunn export / read on a corpus', () => {
  it('writes every format from the reading stored in the corpus', async () => {
    const dir = path.join(tmp, 'corpus');
    const corpus = await Corpus.open(dir, { create: true });
    const H = 40;
    const W = 120;
    const ink = new Uint8Array(H * W);
    for (let y = 10; y < 24; y++) for (let x = 10; x < 100; x++) if ((x >> 2) % 2 === 0) ink[y * W + x] = 255;
    await corpus.withWriter((w) =>
      w.appendRecord(
        {
          name: 'scr/seg/inklabels',
          scroll: 'scr',
          modality: 'ink-labels',
          shape: [1, H, W],
          dtype: 'uint8',
          trainable: true,
          group: 'scr/seg',
          source: { path: 'test', sha256: '0', format: 'png' },
        },
        async (write) => write(0, ink),
        { pyramid: false },
      ),
    );
    const reading: Reading = {
      format: 'scroll-aunn-reading',
      version: 1,
      segment: 'scr/seg',
      pixelSizeUm: 8,
      columns: [
        {
          n: 1,
          bbox: [8, 8, 102, 26],
          lines: [
            {
              n: 1,
              letters: [
                { char: 'Λ', confidence: 0.95, source: 'ink', bbox: [10, 10, 20, 24] },
                { char: 'Ο', confidence: 0.4, source: 'ink', bbox: [21, 10, 31, 24] },
                { char: 'Γ', confidence: 0.6, source: 'lm' },
                { char: '', confidence: 0, source: 'lost' },
              ],
            },
          ],
        },
      ],
    };
    await saveReading(await Corpus.open(dir), reading);
    const out = path.join(tmp, 'out');
    const files = await exportReading(dir, 'seg', ['txt', 'leiden', 'epidoc', 'png', 'tiff'], out);
    expect(files.map((f) => path.basename(f))).toEqual([
      'scr_seg.txt',
      'scr_seg.leiden.txt',
      'scr_seg.xml',
      'scr_seg-col1.png',
      'scr_seg-col1.tiff',
    ]);
    expect(await readFile(path.join(out, 'scr_seg.txt'), 'utf8')).toBe('Col. 1\nΛΟΓ?\n');
    expect(await readFile(path.join(out, 'scr_seg.leiden.txt'), 'utf8')).toBe('Col. I\n1  ΛΟ\u0323[Γ.1]\n');
    const png = decodePng(await readFile(path.join(out, 'scr_seg-col1.png')));
    expect(png.width).toBeGreaterThan(90);
    await expect(exportReading(dir, 'nope', ['txt'], out)).rejects.toThrow(/no segment 'nope'.*scr\/seg/);
    // Without --out, `aunn export` writes into the corpus's exports/ (where the app lists them), not the cwd.
    await runExport(['--corpus', dir, '--segment', 'seg', '--format', 'txt']);
    expect(await readFile(path.join(dir, 'exports', 'scr_seg.txt'), 'utf8')).toBe('Col. 1\nΛΟΓ?\n');
  });

  it('read refuses to start without the known text of the labelled region, naming what is missing', async () => {
    const dir = path.join(tmp, 'corpus');
    await expect(
      runRead(['--corpus', dir, '--segment', 'seg', '--ink-png', path.join(tmp, 'missing.png')]),
    ).rejects.toThrow(/missing\.png/);
    // Conditioning trains an AUNN, so it needs one.
    await expect(runRead(['--corpus', dir, '--segment', 'seg', '--lm', 'condition'])).rejects.toThrow(
      /--lm condition trains the AUNN: give --model DIR/,
    );
    // A fixed scale is for another segment's glyphs, and must be a sane factor.
    await expect(runRead(['--corpus', dir, '--segment', 'seg', '--scale', '1.1'])).rejects.toThrow(
      /--scale is for reading with another segment's glyphs/,
    );
    await expect(
      runRead(['--corpus', dir, '--segment', 'seg', '--glyphs-from', 'seg', '--scale', 'big']),
    ).rejects.toThrow(/--scale must be a number from 0.25 to 4, got 'big'/);
    await expect(runRead(['--corpus', dir, '--segment', 'seg', '--lm-weight', '-1'])).rejects.toThrow(
      /--lm-weight must be a number from 0 to 10, got '-1'/,
    );
  });
});
