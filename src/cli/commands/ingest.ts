/**
 * `aunn ingest PATH --corpus DIR [--scroll NAME] [--as scan|segment|labels|text] [--window LO,HI] [--level L]
 *  [--region Z0:Z1,Y0:Y1,X0:X1] [--voxel-size UM|Z,Y,X] [--max-dim N] [--address-bits N] [--quiet] [--json]`: add what PATH holds to the corpus (created when missing).
 * Bad input: one line naming the file and the reason, non-zero exit, corpus unchanged.
 *
 *   aunn ingest ./scroll1.volpkg --corpus ./corpus --scroll scroll1
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Region } from '../../core/region.js';
import { Corpus } from '../../corpus/index.js';
import { emptyManifest, MANIFEST_FILE } from '../../corpus/index.js';
import { discoverItems, ingestItems, planItems, type IngestOptions } from '../../ingest/ingest.js';
import { renderVolpkgSurfaces } from '../../ingest/volpkg-surfaces.js';
import { parseWindow } from '../../ingest/window.js';
import { UserError } from '../../core/errors.js';
import { printNewRecords } from './info.js';
import { parseArgs } from '../args.js';
import { terminalProgress } from '../progress.js';

const AS_VALUES = ['scan', 'segment', 'labels', 'text'] as const;

function positiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(v);
}
function nonNegativeInt(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(v);
}

function voxelSize(v: string): [number, number, number] {
  const n = v.split(',').map((x) => Number(x.trim()));
  if (!(n.length === 1 || n.length === 3) || !n.every((x) => Number.isFinite(x) && x > 0 && x < 1e6))
    throw new InvalidArgumentError('must be a positive number of µm, or three (z,y,x)');
  return n.length === 1 ? [n[0]!, n[0]!, n[0]!] : (n as [number, number, number]);
}

/** `z0:z1,y0:y1,x0:x1`, half-open, in the level's voxels. */
function region(v: string): Region {
  const parts = v.split(',').map((p) => p.split(':').map((x) => Number(x.trim())));
  if (parts.length !== 3 || !parts.every((p) => p.length === 2 && p.every((x) => Number.isInteger(x) && x >= 0)))
    throw new InvalidArgumentError('must be z0:z1,y0:y1,x0:x1 (whole voxels of the level, end excluded)');
  const [z, y, x] = parts as [[number, number], [number, number], [number, number]];
  return { z, y, x };
}

export async function run(argv: string[]): Promise<void> {
  const cmd = parseArgs(argv, 'aunn ingest', (c) =>
    c
      .description('add scans, segments, ink labels or text to a corpus (created when missing)')
      .argument('<path>', 'file, folder or https:// URL to ingest')
      .requiredOption('--corpus <dir>', 'corpus folder')
      .option('--scroll <name>', 'scroll (or fragment) id')
      .option('--as <kind>', `what PATH holds: ${AS_VALUES.join('|')}`)
      .option(
        '--window <lo,hi>',
        '16→8-bit window in source units for the 16-bit data (8-bit labels, masks and scans are kept as they are; default: 0.5/99.5 percentiles)',
      )
      .option('--level <n>', 'scale level of a multiscale source', nonNegativeInt)
      .option(
        '--region <z0:z1,y0:y1,x0:x1>',
        'only this box of a zarr scan (a remote one fetches just its chunks)',
        region,
      )
      .option('--voxel-size <um>', 'voxel size in µm, one number or z,y,x (over what the files say)', voxelSize)
      .option('--max-dim <n>', 'largest size allowed per axis', positiveInt)
      .option('--address-bits <n>', 'address bits of a new corpus (default 40)', positiveInt)
      .option('--quiet', 'no progress output')
      .option('--json', 'print the new records as JSON'),
  );
  if (!cmd) return;
  const source = cmd.args[0]!;
  const o = cmd.opts<{
    corpus: string;
    scroll?: string;
    as?: string;
    window?: string;
    level?: number;
    region?: Region;
    voxelSize?: [number, number, number];
    maxDim?: number;
    addressBits?: number;
    quiet?: boolean;
    json?: boolean;
  }>();
  if (o.as !== undefined && !(AS_VALUES as readonly string[]).includes(o.as)) {
    throw new UserError(`--as must be one of ${AS_VALUES.join(', ')} (got '${o.as}')`, { exitCode: 2 });
  }
  const opts: IngestOptions = {
    scroll: o.scroll,
    as: o.as as IngestOptions['as'],
    window: o.window !== undefined ? parseWindow(o.window) : undefined,
    level: o.level,
    region: o.region,
    maxDim: o.maxDim,
    voxelSizeUm: o.voxelSize,
  };

  const items = await discoverItems(source, opts);
  const corpusDir = path.resolve(o.corpus);
  const isCorpus = await stat(path.join(corpusDir, MANIFEST_FILE)).then(
    () => true,
    () => false,
  );
  // Validate against an empty index space before a new corpus folder is made, so bad input leaves nothing behind.
  if (!isCorpus) planItems(emptyManifest(o.addressBits), items, opts);
  const corpus = await Corpus.open(corpusDir, { create: true, addressBits: isCorpus ? undefined : o.addressBits });

  const abort = new AbortController();
  const onSigint = () =>
    abort.abort(new UserError('interrupted; the corpus keeps only the records from before this ingest'));
  process.once('SIGINT', onSigint);
  let records;
  try {
    records = await ingestItems(corpus, items, {
      ...opts,
      signal: abort.signal,
      onProgress: terminalProgress({ unit: 'MB', scale: 1e-6, quiet: o.quiet }),
    });
    // a volpkg's tifxyz surfaces without layers: rendered from its scans, now in the corpus (as aunn render does)
    records.push(
      ...(await renderVolpkgSurfaces(corpus, source, records, {
        signal: abort.signal,
        onProgress: terminalProgress({ unit: 'MB', scale: 1e-6, quiet: o.quiet }),
        onWarning: (line) => console.error(`warning: ${line}`),
      })),
    );
  } catch (err) {
    if (abort.signal.aborted) throw abort.signal.reason;
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  printNewRecords(records, o.json);
}
