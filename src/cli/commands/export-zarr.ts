/**
 * `aunn export-zarr --corpus DIR --record NAME [--out DIR]`: one record as OME-Zarr 0.4 over zarr v2 (every pyramid
 * level), for tools on zarr-python 2.x; the corpus itself is zarr v3 / OME-Zarr 0.5. Default out:
 * `<corpus>/exports/<record>.ome.zarr` ('/' in the name becomes '__'). An existing target is refused.
 *
 *   aunn export-zarr --corpus ./corpus --record scroll1/scanA    # -> ./corpus/exports/scroll1__scanA.ome.zarr
 */
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { Command } from 'commander';
import { Corpus, exportRecordZarrV2 } from '../../corpus/index.js';
import { terminalProgress } from '../progress.js';

export async function run(argv: string[]): Promise<void> {
  const o = new Command('aunn export-zarr')
    .requiredOption('--corpus <dir>', 'corpus folder')
    .requiredOption('--record <name>', 'record name or id')
    .option('--out <dir>', 'the zarr folder to write (default: <corpus>/exports/<record>.ome.zarr)')
    .option('--quiet', 'no progress output')
    .parse(argv, { from: 'user' })
    .opts<{ corpus: string; record: string; out?: string; quiet?: boolean }>();
  const corpus = await Corpus.open(o.corpus);
  const rec = corpus.record(o.record);
  const out = o.out ?? path.join(corpus.dir, 'exports', `${rec.name.split('/').join('__')}.ome.zarr`);
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  const dir = await exportRecordZarrV2(corpus, rec, out, {
    onProgress: terminalProgress({ unit: 'chunk rows', quiet: o.quiet }),
  });
  console.log(`wrote ${dir} (OME-Zarr 0.4, zarr v2, ${rec.levels} levels)`);
}
