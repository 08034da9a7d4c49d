/**
 * `aunn render --corpus DIR --surface FOLDER --scan RECORD [--scroll S] [--id NAME] [--max-dim N] [--quiet] [--json]`:
 * render a VC3D tifxyz surface (x.tif y.tif z.tif meta.json) into its segment's 65 layers (layer 32 on the surface)
 * from a scan already in the corpus, and add the segment (layers, the surface files, a mask or labels beside them).
 * Bad input: one line naming the file and the reason, non-zero exit, corpus unchanged.
 *
 *   aunn render --corpus ./corpus --surface ./scroll1.volpkg/paths/w01 --scan scroll1/20230205180739
 */
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { Corpus } from '../../corpus/index.js';
import { UserError } from '../../core/errors.js';
import { renderTifxyz } from '../../ingest/render-tifxyz.js';
import { printNewRecords } from './info.js';
import { parseArgs } from '../args.js';
import { terminalProgress } from '../progress.js';

function positiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(v);
}

export async function run(argv: string[]): Promise<void> {
  const cmd = parseArgs(argv, 'aunn render', (c) =>
    c
      .description("render a tifxyz surface's 65 layers from a scan of the corpus and add its segment")
      .requiredOption('--corpus <dir>', 'corpus folder (holding the scan)')
      .requiredOption('--surface <folder>', 'VC3D tifxyz surface folder (x.tif, y.tif, z.tif, meta.json)')
      .requiredOption('--scan <record>', 'scan record to sample (name or id, see aunn info)')
      .option('--scroll <name>', "the segment's scroll (default: the scan's)")
      .option('--id <name>', "the segment's id in its record names (default: the folder's name)")
      .option('--max-dim <n>', 'largest rendered size allowed per axis', positiveInt)
      .option('--quiet', 'no progress output')
      .option('--json', 'print the new records as JSON'),
  );
  if (!cmd) return;
  const o = cmd.opts<{
    corpus: string;
    surface: string;
    scan: string;
    scroll?: string;
    id?: string;
    maxDim?: number;
    quiet?: boolean;
    json?: boolean;
  }>();
  const corpus = await Corpus.open(path.resolve(o.corpus));
  const abort = new AbortController();
  const onSigint = () =>
    abort.abort(new UserError('interrupted; the corpus keeps only the records from before this render'));
  process.once('SIGINT', onSigint);
  let records;
  try {
    records = await renderTifxyz(corpus, o.surface, {
      scan: o.scan,
      ...(o.scroll !== undefined ? { scroll: o.scroll } : {}),
      ...(o.id !== undefined ? { id: o.id } : {}),
      ...(o.maxDim !== undefined ? { maxDim: o.maxDim } : {}),
      signal: abort.signal,
      onProgress: terminalProgress({ unit: 'MB', scale: 1e-6, quiet: o.quiet }),
    });
  } catch (err) {
    if (abort.signal.aborted) throw abort.signal.reason;
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  printNewRecords(records, o.json);
}
