/**
 * Reading a sample segment's text off its predicted ink with the reader of src/lm-conditioning/reading, twice: glyph
 * evidence only (`lm off`) and decoded with the Greek language model (`decode`), each scored against the sample's
 * truth/text.json (character error rate over the columns of the unlabelled region). The decoded reading is saved in
 * the corpus (readings/<group>.json), where `aunn export` and the app's segment view find it.
 *
 *   const r = await readSampleSegment(corpus, { group, ink, segment, truthDir, labelledXMax: 208, lm, beam: 200 });
 *   r.cer.off.cer, r.cer.decode.cer, r.text   // text: the decoded reading, one line per written line
 *   const r2 = await readSampleSegment(corpus, { …scroll 2…, glyphsFrom: r.glyphs });   // no labels of its own
 *
 * A scroll without labels (the new scroll) is read with the glyphs learned on the labelled scroll (readSegment's
 * `glyphs` option: the reader fits the scale of the other hand and reads with its glyph model).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Corpus } from '../corpus/index.js';
import type { InkSegment } from '../ink/index.js';
import type { CharLM } from '../lm-conditioning/char-lm.js';
import { lineText, saveReading, type Reading } from '../lm-conditioning/reading/reading-file.js';
import type { GlyphModel } from '../lm-conditioning/reading/glyphs.js';
import type { AlignmentChoice } from '../lm-conditioning/reading/reader.js';
import type { InkMap } from '../lm-conditioning/reading/ink-map.js';
import type { ColumnBox } from '../lm-conditioning/reading/layout.js';
import { NotAvailable } from './steps.js';
import type { ProgressListener } from '../core/task.js';

export interface TruthText {
  columns: { lines: string[]; box: number[] }[];
}

export interface CerScore {
  cer: number;
  errors: number;
  letters: number;
  columns: number;
}

export interface SegmentReading {
  group: string;
  cer: { off: CerScore; decode: CerScore };
  /** The decoded reading (saved into the corpus), and the one read with the glyph evidence alone. */
  reading: Reading;
  offReading: Reading;
  /** Columns and lines the reader found, in segment pixels. */
  columns: ColumnBox[];
  readingFile: string;
  trainingLines: number;
  /** The glyph model the text was read with (learned here, or given). */
  glyphs: GlyphModel;
  /** How the glyphs learned here were aligned to the known text, and how each way read the labelled lines. */
  alignment?: AlignmentChoice;
  /** The same in words (", aligned by cuts (labelled lines read at …)"), empty for glyphs from another scroll. */
  alignmentNote: string;
  /** Where the scored region starts (column x), i.e. the end of the labelled region. */
  minX: number;
  /** Scale the map was read at (fitted for another scroll's glyphs; 1 when the glyphs were learned here). */
  scale: number;
}

/** How many letters of a reading rest on the ink, were supplied by the LM, or are lost (Leiden: plain, [ ], [.n]). */
export function evidenceCounts(r: Reading): Record<'ink' | 'lm' | 'lost', number> {
  const n = { ink: 0, lm: 0, lost: 0 };
  for (const c of r.columns) for (const l of c.lines) for (const x of l.letters) n[x.source]++;
  return n;
}

export interface ReadSampleOptions {
  group: string;
  segment: InkSegment;
  /** Ink probability on the segment grid (the readout's, [H*W] in [0, 1]). */
  ink: Float32Array;
  inkRecord?: string;
  truthDir: string;
  /** End of the labelled region (its transcription is known; the score covers columns right of it). */
  labelledXMax: number;
  lm: CharLM;
  beam: number;
  pixelSizeUm?: number;
  /** Read with these glyphs (learned on another, labelled scroll) instead of learning them here. */
  glyphsFrom?: GlyphModel;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export async function readTruthText(truthDir: string): Promise<TruthText> {
  return JSON.parse(await readFile(path.join(truthDir, 'text.json'), 'utf8')) as TruthText;
}

/** The reader, or NotAvailable when it is not part of the app yet. */
async function reader() {
  try {
    return await import('../lm-conditioning/reading/reader.js');
  } catch (err) {
    throw new NotAvailable(
      `the text reader (src/lm-conditioning/reading/reader.ts) cannot be loaded: ${(err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
}

/**
 * What is known on a labelled sample segment: its ink labels as a map, the labelled region, and the truth text of
 * the columns that start inside it (the reader keeps only the lines lying wholly inside the region); undefined
 * without labels.
 */
export function labelledKnowledge(
  segment: InkSegment,
  truth: TruthText,
  labelledXMax: number,
): { labels: InkMap; transcription: string[][]; region: [number, number, number, number] } | undefined {
  if (!segment.labels) return undefined;
  const { height, width } = segment;
  return {
    labels: { width, height, data: Float32Array.from(segment.labels, (v) => v / 255) },
    transcription: truth.columns.filter((c) => c.box[0]! < labelledXMax).map((c) => c.lines),
    region: [0, 0, labelledXMax, height],
  };
}

export async function readSampleSegment(corpus: Corpus, o: ReadSampleOptions): Promise<SegmentReading> {
  const m = await reader();
  const { readSegment, readingCer } = m;
  const truth = await readTruthText(o.truthDir);
  const { height, width } = o.segment;
  const ink = { width, height, data: o.ink };
  if (o.glyphsFrom) {
    // a scroll without labels: every column is scored
    const common = {
      segment: o.group,
      ink,
      glyphs: o.glyphsFrom,
      beam: o.beam,
      source: { ink: o.inkRecord },
      pixelSizeUm: o.pixelSizeUm,
      signal: o.signal,
    };
    const off = readSegment({ ...common, mode: 'off' });
    // The scale fitted once is reused for the decoded reading.
    const decoded = readSegment({ ...common, scale: off.scale, mode: 'decode', lm: o.lm, onProgress: o.onProgress });
    const score = (r: Reading) => readingCer(r, truth.columns, {});
    const readingFile = await saveReading(corpus, decoded.reading);
    return {
      group: o.group,
      cer: { off: score(off.reading), decode: score(decoded.reading) },
      reading: decoded.reading,
      offReading: off.reading,
      columns: decoded.columns,
      readingFile,
      trainingLines: 0,
      glyphs: o.glyphsFrom,
      minX: 0,
      scale: off.scale,
      alignmentNote: '',
    };
  }
  const known = labelledKnowledge(o.segment, truth, o.labelledXMax);
  if (!known)
    throw new NotAvailable(
      `${o.group} has no labelled region with known text to learn glyphs from, and no glyphs were given`,
    );
  const { labels, transcription, region } = known;
  const common = {
    segment: o.group,
    ink,
    labels,
    labelledRegion: region,
    transcription,
    source: { ink: o.inkRecord },
    pixelSizeUm: o.pixelSizeUm,
    signal: o.signal,
    beam: o.beam,
  };
  const decoded = readSegment({ ...common, mode: 'decode', lm: o.lm, onProgress: o.onProgress });
  o.signal?.throwIfAborted();
  // LM off with the glyphs the decoded reading chose (readSegment's align 'auto' picks with the LM's help).
  const off = readSegment({ ...common, mode: 'off', align: decoded.alignment?.align });
  const score = (r: Reading) => readingCer(r, truth.columns, { minX: o.labelledXMax });
  const readingFile = await saveReading(corpus, decoded.reading);
  return {
    group: o.group,
    cer: { off: score(off.reading), decode: score(decoded.reading) },
    reading: decoded.reading,
    offReading: off.reading,
    columns: decoded.columns,
    readingFile,
    trainingLines: decoded.trainingLines,
    glyphs: decoded.glyphs,
    minX: o.labelledXMax,
    scale: decoded.scale,
    alignment: decoded.alignment,
    alignmentNote: m.alignmentSummary(decoded.alignment),
  };
}

/** The reading as text: one block per column, one line per written line. */
export function readingText(r: Reading): string {
  return r.columns.map((c) => [`Col. ${c.n}`, ...c.lines.map(lineText)].join('\n')).join('\n\n');
}
