/**
 * Reading a segment: layout (columns, lines) from the ink map, glyph templates learned where the text is known
 * (a labelled region with its transcription), then every line decoded with or without the language model.
 * Also the score against a known text (character error rate per column, summed).
 *
 *   const reading = readSegment({ segment: 'scroll1/seg1', ink, labels, labelledRegion: [0, 0, 198, 96],
 *                                 transcription: [['ΡΙΣΘΗ...', ...], ...], lm, mode: 'decode' });
 *   const cer = readingCer(reading, truthColumns, { minX: 198 });
 */
import type { CharLM } from '../char-lm.js';
import { toLetterIds } from '../char-lm.js';
import { UserError } from '../../cli/errors.js';
import type { ReadColumn, Reading } from '../reading.js';
import { READING_FORMAT, lineText } from '../reading.js';
import { editDistance } from '../restore.js';
import { decodeLine } from './decode.js';
import { learnGlyphs, type Band, type LabelledLine, type GlyphModel } from './glyphs.js';
import type { InkMap } from './ink-map.js';
import { estimatePitch, findColumns, type ColumnBox } from './layout.js';

export interface ReadSegmentOptions {
  segment: string;
  /** The ink probability map to read. */
  ink: InkMap;
  /** Ink labels of the labelled region (cleaner, used to align the known text); optional. */
  labels?: InkMap;
  /** [x0, y0, x1, y1) where the transcription is known (and the labels are meaningful). */
  labelledRegion: [number, number, number, number];
  /** Known text of the labelled region: per column (left to right), its lines. Columns that reach outside the
   *  region contribute only the lines that lie wholly inside it. */
  transcription: string[][];
  lm?: CharLM;
  mode: 'off' | 'decode';
  beam?: number;
  source?: Reading['source'];
  pixelSizeUm?: number;
  /** Rounds of self-training on confidently read lines (default 0). */
  selfTrain?: number;
  /** Mean letter probability a read line needs to join the training (default 0.8). */
  selfTrainConfidence?: number;
  signal?: AbortSignal;
  onLine?: (done: number, total: number) => void;
}

/** Labels inside the labelled region (x < x1), the ink map rescaled to [0, 1] outside it. */
function compositeAlignMap(labels: InkMap, ink: InkMap, x1: number): InkMap {
  const sorted = Float32Array.from(ink.data).sort();
  const lo = sorted[Math.floor(0.5 * sorted.length)]!;
  const hi = sorted[Math.floor(0.99 * sorted.length)]!;
  const data = labels.data.map((v, i) => (i % labels.width < x1 ? v : Math.min(1, Math.max(0, (ink.data[i]! - lo) / Math.max(1e-6, hi - lo)))));
  return { width: labels.width, height: labels.height, data };
}

export interface SegmentReadResult {
  reading: Reading;
  pitch: number;
  columns: ColumnBox[];
  glyphs: GlyphModel;
  /** How many labelled lines taught the glyphs, and how many letters. */
  trainingLines: number;
  trainingLetters: number;
  /** Lines read with high confidence that joined the training in the last self-training round. */
  selfTrainedLines: number;
}

function bandOf(line: { y0: number; y1: number; x0: number; x1: number }, pitch: number): Band {
  return { yc: Math.round((line.y0 + line.y1) / 2), r: Math.round(0.45 * pitch), xs: line.x0, xe: line.x1 };
}

export function readSegment(o: ReadSegmentOptions): SegmentReadResult {
  // The pitch from the map being read: it covers the whole segment (labels cover only the labelled region).
  const pitch = estimatePitch(o.ink);
  const columns = findColumns(o.ink, pitch);
  if (!columns.length) throw new UserError(`segment ${o.segment}: no text columns found on the ink map`);
  const [rx0, ry0, rx1, ry1] = o.labelledRegion;
  // Labelled lines: detected lines lying wholly inside the region, paired with the transcription by column order.
  const labelCols = o.labels ? findColumns(o.labels, pitch) : columns;
  const training: LabelledLine[] = [];
  labelCols
    .filter((c) => c.x0 < rx1)
    .forEach((col, ci) => {
      const text = o.transcription[ci];
      if (!text || text.length !== col.lines.length) return; // lines not matched one to one: do not guess
      col.lines.forEach((line, li) => {
        if (line.x0 >= rx0 && line.x1 <= rx1 && line.y0 >= ry0 - pitch && line.y1 <= ry1 + pitch && text[li]) {
          training.push({ band: bandOf(line, pitch), text: text[li]! });
        }
      });
    });
  if (!training.length) {
    throw new UserError(`segment ${o.segment}: no labelled line with a known transcription lies wholly inside the labelled region [${o.labelledRegion.join(', ')}]; glyphs cannot be learned`);
  }
  let { model } = learnGlyphs(o.ink, training, { pitch, alignOn: o.labels });
  const lmForMode = o.mode === 'decode' ? o.lm : undefined;
  const total = columns.reduce((s, c) => s + c.lines.length, 0) * (1 + (o.selfTrain ?? 0));
  let done = 0;
  const readAll = (m: GlyphModel): ReadColumn[] =>
    columns.map((col, ci) => {
      const context: number[] = [];
      const lines = col.lines.map((line, li) => {
        o.signal?.throwIfAborted();
        const letters = decodeLine(o.ink, bandOf(line, pitch), m, { lm: lmForMode, context, beam: o.beam });
        context.push(...toLetterIds(letters.map((l) => l.char).join('')));
        o.onLine?.(++done, total);
        return { n: li + 1, bbox: [line.x0, line.y0, line.x1, line.y1] as [number, number, number, number], letters };
      });
      return { n: ci + 1, bbox: [col.x0, col.y0, col.x1, col.y1] as [number, number, number, number], lines };
    });
  let readCols = readAll(model);
  // Self-training: lines read outside the labelled region with a high mean letter probability become training
  // text too (aligned on the ink map there, as no labels exist), and the segment is read again.
  let selfLines = 0;
  for (let round = 0; round < (o.selfTrain ?? 0); round++) {
    const extra: LabelledLine[] = [];
    readCols.forEach((col, ci) =>
      col.lines.forEach((line, li) => {
        const box = columns[ci]!.lines[li]!;
        const mean = line.letters.reduce((s, l) => s + l.confidence, 0) / Math.max(1, line.letters.length);
        if (box.x0 >= rx1 && line.letters.length > 0 && mean >= (o.selfTrainConfidence ?? 0.8)) extra.push({ band: bandOf(box, pitch), text: lineText(line) });
      }),
    );
    if (!extra.length) break;
    selfLines = extra.length;
    const alignOn = o.labels ? compositeAlignMap(o.labels, o.ink, rx1) : undefined;
    model = learnGlyphs(o.ink, [...training, ...extra], { pitch, alignOn }).model;
    readCols = readAll(model);
  }
  const reading: Reading = {
    format: READING_FORMAT,
    version: 1,
    segment: o.segment,
    source: { ...o.source, lm: o.mode, lmName: o.mode === 'decode' ? o.lm?.name : undefined },
    pixelSizeUm: o.pixelSizeUm,
    columns: readCols,
    createdAt: new Date().toISOString(),
  };
  return { reading, pitch, columns, glyphs: model, trainingLines: training.length, trainingLetters: training.reduce((s, l) => s + l.text.length, 0), selfTrainedLines: selfLines };
}

export interface TruthColumn {
  lines: string[];
  /** [x0, y0, x1, y1] */
  box: number[];
}

/**
 * Character error rate of the read text against known columns: each truth column with box x0 ≥ minX (the
 * unlabelled region) is matched to the read column overlapping it most; edit distance of the concatenated
 * column texts, summed, over the summed truth length. A truth column nobody read counts as all wrong.
 */
export function readingCer(reading: Reading, truth: TruthColumn[], opts: { minX?: number } = {}): { cer: number; errors: number; letters: number; columns: number } {
  let errors = 0;
  let letters = 0;
  let columns = 0;
  for (const t of truth) {
    if (t.box[0]! < (opts.minX ?? -Infinity)) continue;
    const want = t.lines.join('');
    const overlap = (c: ReadColumn) => (c.bbox ? Math.max(0, Math.min(c.bbox[2], t.box[2]!) - Math.max(c.bbox[0], t.box[0]!)) : 0);
    const col = [...reading.columns].sort((a, b) => overlap(b) - overlap(a))[0];
    const got = col && overlap(col) > 0 ? col.lines.map(lineText).join('') : '';
    errors += editDistance(got, want);
    letters += want.length;
    columns++;
  }
  return { cer: letters ? errors / letters : NaN, errors, letters, columns };
}
