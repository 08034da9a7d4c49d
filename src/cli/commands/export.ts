/**
 * `aunn export --corpus DIR --segment S --format txt|leiden|epidoc|png|tiff[,...] [--out DIR]`: writes the reading
 * of a segment (made by `aunn read`, kept at DIR/readings/<group>.json) as plain text, Leiden-convention text,
 * EpiDoc TEI XML, or one picture per column (ink + read letters + scale bar).
 *
 *   aunn export --corpus ./corpus --segment seg1 --format txt,leiden,epidoc,png --out ./exports
 */
import { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { Corpus } from '../../corpus/index.js';
import type { RecordMeta } from '../../corpus/types.js';
import { loadReading, loadReadingFile, readingPath, type Reading } from '../../lm-conditioning/reading.js';
import { resolveSegment } from '../../lm-conditioning/segment-ref.js';
import { toLeiden, toPlainText } from '../../lm-conditioning/export/text.js';
import { toEpiDoc } from '../../lm-conditioning/export/epidoc.js';
import { encodePng, encodeTiff, renderColumnImage } from '../../lm-conditioning/export/image.js';

const FORMATS = ['txt', 'leiden', 'epidoc', 'png', 'tiff'] as const;
type Format = (typeof FORMATS)[number];

/** The ink map [H, W] a picture is drawn on: the reading's ink record, else the segment's ink prediction or labels. */
async function inkMap(corpus: Corpus, reading: Reading, fallback: RecordMeta | undefined): Promise<{ ink: Uint8Array; shape: [number, number] }> {
  const rec = reading.source?.ink ? corpus.records().find((r) => r.name === reading.source!.ink) ?? fallback : fallback;
  if (!rec) throw new UserError(`segment ${reading.segment} has no ink prediction or ink labels in ${corpus.dir} to draw the picture on`);
  const ink = await corpus.readRecord(rec);
  return { ink: ink.subarray(0, rec.shape[1] * rec.shape[2]), shape: [rec.shape[1], rec.shape[2]] };
}

export async function exportReading(corpusDir: string, segmentRef: string, formats: Format[], outDir: string, opts: { threshold?: number; reading?: string } = {}): Promise<string[]> {
  const corpus = await Corpus.open(corpusDir);
  const seg = resolveSegment(corpus, segmentRef);
  const reading = opts.reading ? await loadReadingFile(opts.reading) : await loadReading(corpusDir, seg.group).catch((err: unknown) => {
    throw new UserError(`no reading for segment ${seg.group}: run \`aunn read --corpus ${corpusDir} --segment ${segmentRef}\` first (looked for ${readingPath(corpusDir, seg.group)})`, { cause: err });
  });
  await mkdir(outDir, { recursive: true });
  const base = path.join(outDir, seg.group.split('/').join('_'));
  const written: string[] = [];
  const put = async (file: string, data: string | Uint8Array) => {
    await writeFile(file, data);
    written.push(file);
  };
  for (const f of formats) {
    if (f === 'txt') await put(`${base}.txt`, toPlainText(reading));
    else if (f === 'leiden') await put(`${base}.leiden.txt`, toLeiden(reading, { threshold: opts.threshold }));
    else if (f === 'epidoc') await put(`${base}.xml`, toEpiDoc(reading, { threshold: opts.threshold, title: `Segment ${seg.group}` }));
    else {
      const { ink, shape } = await inkMap(corpus, reading, seg.ink ?? seg.labels);
      const pixelSizeUm = reading.pixelSizeUm ?? seg.layers?.voxelSizeUm?.[2];
      for (const col of reading.columns) {
        const img = renderColumnImage(ink, shape, col, { pixelSizeUm, threshold: opts.threshold });
        await put(`${base}-col${col.n}.${f}`, f === 'png' ? encodePng(img) : encodeTiff(img));
      }
    }
  }
  return written;
}

export async function run(argv: string[]): Promise<void> {
  const o = new Command('aunn export')
    .requiredOption('--corpus <dir>', 'corpus folder')
    .requiredOption('--segment <s>', 'segment: group (scroll/segment), record name or segment id')
    .option('--format <list>', `comma-separated: ${FORMATS.join(', ')}`, 'txt,leiden,epidoc,png')
    .option('--out <dir>', 'output folder', 'exports')
    .option('--reading <file>', 'a reading JSON to export instead of the one in the corpus')
    .option('--threshold <p>', 'letters read with a lower probability are marked uncertain', '0.8')
    .parse(argv, { from: 'user' })
    .opts<{ corpus: string; segment: string; format: string; out: string; reading?: string; threshold: string }>();
  const formats = o.format.split(',').map((s) => s.trim()) as Format[];
  const unknown = formats.filter((f) => !FORMATS.includes(f));
  if (unknown.length) throw new UserError(`unknown format(s) ${unknown.join(', ')} (have: ${FORMATS.join(', ')})`);
  const threshold = Number(o.threshold);
  if (!(threshold >= 0 && threshold <= 1)) throw new UserError(`--threshold must be a probability in [0, 1], got '${o.threshold}'`);
  for (const f of await exportReading(o.corpus, o.segment, formats, o.out, { threshold, reading: o.reading })) console.log(`wrote ${f}`);
}
