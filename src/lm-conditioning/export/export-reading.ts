/**
 * Writes the reading of a segment (made by the reader, kept in the corpus under readings/<group>.json) as plain text,
 * Leiden-convention text, EpiDoc TEI XML, or one picture per column (ink + read letters + scale bar).
 *
 *   const files = await exportReading('./corpus', 'scroll1/seg1', ['txt', 'epidoc'], './exports');
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { Corpus } from '../../corpus/index.js';
import type { RecordMeta } from '../../corpus/index.js';
import { loadReading, loadReadingFile, readingPath, type Reading } from '../reading/reading-file.js';
import { resolveSegment } from '../segment-ref.js';
import { toLeiden, toPlainText } from './text.js';
import { toEpiDoc } from './epidoc.js';
import { encodePng, encodeTiff, renderColumnImage } from './image.js';

export const EXPORT_FORMATS = ['txt', 'leiden', 'epidoc', 'png', 'tiff'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The ink map [H, W] a picture is drawn on: the reading's ink record, else the segment's ink prediction or labels. */
async function inkMap(
  corpus: Corpus,
  reading: Reading,
  fallback: RecordMeta | undefined,
): Promise<{ ink: Uint8Array; shape: [number, number] }> {
  const rec = reading.source?.ink
    ? (corpus.records().find((r) => r.name === reading.source!.ink) ?? fallback)
    : fallback;
  if (!rec)
    throw new UserError(
      `segment ${reading.segment} has no ink prediction or ink labels in ${corpus.dir} to draw the picture on`,
    );
  const ink = await corpus.readRecord(rec);
  return { ink: ink.subarray(0, rec.shape[1] * rec.shape[2]), shape: [rec.shape[1], rec.shape[2]] };
}

export async function exportReading(
  corpusDir: string,
  segmentRef: string,
  formats: ExportFormat[],
  outDir: string,
  opts: { threshold?: number; reading?: string } = {},
): Promise<string[]> {
  const corpus = await Corpus.open(corpusDir);
  const seg = resolveSegment(corpus, segmentRef);
  const reading = opts.reading
    ? await loadReadingFile(opts.reading)
    : await loadReading(corpusDir, seg.group).catch((err: unknown) => {
        throw new UserError(
          `no reading for segment ${seg.group}: read it first (looked for ${readingPath(corpusDir, seg.group)})`,
          { cause: err, file: corpusDir, segment: segmentRef, hint: 'read-first' },
        );
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
    else if (f === 'epidoc')
      await put(`${base}.xml`, toEpiDoc(reading, { threshold: opts.threshold, title: `Segment ${seg.group}` }));
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
