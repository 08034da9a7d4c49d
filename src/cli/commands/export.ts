/**
 * `aunn export --corpus DIR --segment S --format txt|leiden|epidoc|png|tiff[,...] [--out DIR]`: writes the reading
 * of a segment (made by `aunn read`, kept at DIR/readings/<group>.json) as plain text, Leiden-convention text,
 * EpiDoc TEI XML, or one picture per column (ink + read letters + scale bar), into DIR/exports unless --out says
 * otherwise (the app lists and offers what is there).
 *
 *   aunn export --corpus ./corpus --segment seg1 --format txt,leiden,epidoc,png      # -> ./corpus/exports/
 */
import path from 'node:path';
import { Command } from 'commander';
import { UserError } from '../../core/errors.js';
import {
  EXPORT_FORMATS as FORMATS,
  exportReading,
  type ExportFormat as Format,
} from '../../lm-conditioning/export/export-reading.js';

export async function run(argv: string[]): Promise<void> {
  const o = new Command('aunn export')
    .requiredOption('--corpus <dir>', 'corpus folder')
    .requiredOption('--segment <s>', 'segment: group (scroll/segment), record name or segment id')
    .option('--format <list>', `comma-separated: ${FORMATS.join(', ')}`, 'txt,leiden,epidoc,png')
    .option('--out <dir>', 'output folder (default: <corpus>/exports)')
    .option('--reading <file>', 'a reading JSON to export instead of the one in the corpus')
    .option('--threshold <p>', 'letters read with a lower probability are marked uncertain', '0.8')
    .parse(argv, { from: 'user' })
    .opts<{ corpus: string; segment: string; format: string; out?: string; reading?: string; threshold: string }>();
  const formats = o.format.split(',').map((s) => s.trim()) as Format[];
  const unknown = formats.filter((f) => !FORMATS.includes(f));
  if (unknown.length) throw new UserError(`unknown format(s) ${unknown.join(', ')} (have: ${FORMATS.join(', ')})`);
  const threshold = Number(o.threshold);
  if (!(threshold >= 0 && threshold <= 1))
    throw new UserError(`--threshold must be a probability in [0, 1], got '${o.threshold}'`);
  for (const f of await exportReading(o.corpus, o.segment, formats, o.out ?? path.join(o.corpus, 'exports'), {
    threshold,
    reading: o.reading,
  }))
    console.log(`wrote ${f}`);
}
