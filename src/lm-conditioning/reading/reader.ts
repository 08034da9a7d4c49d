/**
 * Reading a segment: the ink map's contrast normalised, the hand's slant corrected line by line (deslant.ts), layout
 * (columns, lines) from it, glyph templates learned where the text is known (a labelled region with its
 * transcription) or taken from another scroll (the map then rescaled to the size of their hand), every line decoded
 * with or without the language model, and stretches of a line with no ink at all filled with lost letters of the
 * count their width gives (supplied by the LM when decoding). Letter boxes are in the map's own pixels: the slant
 * correction keeps each line's centre row in place. Also the score against a known text (character error rate per
 * column, summed).
 *
 *   const first = readSegment({ segment: 'scroll1/seg1', ink, labels, labelledRegion: [0, 0, 198, 96],
 *                               transcription: [['ΡΙΣΘΗ...', ...], ...], lm, mode: 'decode' });
 *   const other = readSegment({ segment: 'scroll2/seg1', ink: ink2, glyphs: first.glyphs, lm, mode: 'decode' });
 *   const cer = readingCer(reading, truthColumns, { minX: 198 });
 *
 * Its CER on fresh sample scrolls is what `npm run bench -- --only reading` prints.
 */
import type { CharLM } from '../char-lm.js';
import { GREEK_ALPHABET } from '../greek-text.js';
import { UserError } from '../../core/errors.js';
import { progressTracker, type ProgressListener, type ProgressTracker } from '../../core/task.js';
import type { ReadColumn, ReadLetter, Reading } from './reading-file.js';
import { READING_FORMAT, lineText } from './reading-file.js';
import { editDistance } from '../restore.js';
import { decodeLines, type DecodeOptions } from './decode.js';
import { fillLostLetters } from './lost-letters.js';
import { normalizeInk, rescaleInk } from './normalize.js';
import { learnGlyphs, lineBand, type Band, type LabelledLine, type GlyphModel, type LearnOptions } from './glyphs.js';
import type { InkMap } from './ink-map.js';
import { estimatePitch, findColumns, type ColumnBox, type LineBox } from './layout.js';
import { explainedInk, sampleBands } from './scale-fit.js';
import { calibrateReading, lineContrast } from './calibrate.js';
import { deslant, estimateSlant } from './deslant.js';

export interface ReadSegmentOptions {
  segment: string;
  /** The ink probability map to read. */
  ink: InkMap;
  /** Ink labels of the labelled region (cleaner, used to align the known text); optional. */
  labels?: InkMap;
  /** [x0, y0, x1, y1) where the transcription is known (and the labels are meaningful). */
  labelledRegion?: [number, number, number, number];
  /** Known text of the labelled region: per column (left to right), its lines. Columns that reach outside the
   *  region contribute only the lines that lie wholly inside it. */
  transcription?: string[][];
  /** Lines an editor corrected (the app saves them in `transcriptions/<group>.lines.json`), with their boxes in this
   *  map's pixels: known text too. Glyphs are learned from them with the labelled lines, or from them alone on a
   *  segment without labels. A line is used only where the layout finds a line at its box again. */
  correctedLines?: { text: string; bbox?: [number, number, number, number] }[];
  /** Read with this hand, learned on another scroll (`readSegment(...).glyphs`), instead of learning one here: no
   *  labels or transcription needed. The map is first rescaled to the glyphs' size (`fitScale`). */
  glyphs?: GlyphModel;
  /** With `glyphs`: the scale to read the map at (default: fitted, see fitScale). */
  scale?: number;
  lm?: CharLM;
  mode: 'off' | 'decode';
  beam?: number;
  /** Weight of the LM log-probability against the glyph evidence (default 1). */
  lmWeight?: number;
  /** How the known text is aligned to the labelled lines to learn glyphs (learnGlyphs: 'rendered' or 'cuts'), or
   *  'auto' (default): both, and the one whose glyphs read the labelled lines closer to their known text (chooseAlignment). */
  align?: LearnOptions['align'] | 'auto';
  source?: Reading['source'];
  pixelSizeUm?: number;
  /** Rounds of self-training on confidently read lines (default 0; needs a labelled region). */
  selfTrain?: number;
  /** Mean letter probability a read line needs to join the training (default 0.8). */
  selfTrainConfidence?: number;
  signal?: AbortSignal;
  /** Lines read so far, as ProgressEvents (unit 'lines'). */
  onProgress?: ProgressListener;
}

/** Labels inside the labelled region (x < x1), the ink map rescaled to [0, 1] outside it. */
function compositeAlignMap(labels: InkMap, ink: InkMap, x1: number): InkMap {
  const sorted = Float32Array.from(ink.data).sort();
  const lo = sorted[Math.floor(0.5 * sorted.length)]!;
  const hi = sorted[Math.floor(0.99 * sorted.length)]!;
  const data = labels.data.map((v, i) =>
    i % labels.width < x1 ? v : Math.min(1, Math.max(0, (ink.data[i]! - lo) / Math.max(1e-6, hi - lo))),
  );
  return { width: labels.width, height: labels.height, data };
}

export interface SegmentReadResult {
  reading: Reading;
  /** Line pitch (px) of the map as given. */
  pitch: number;
  /** Columns and lines found, in the map's own pixels. */
  columns: ColumnBox[];
  /** The glyph model read with (learned here, or the one given), with the pitch it reads at. */
  glyphs: GlyphModel;
  /** How many labelled lines taught the glyphs, and how many letters (0 when glyphs were given). */
  trainingLines: number;
  trainingLetters: number;
  /** Lines read with high confidence that joined the training in the last self-training round. */
  selfTrainedLines: number;
  /** The map's scale before reading (fitted to the given glyphs; 1 when learned here). */
  scale: number;
  /** The hand's slant corrected before reading (deslant.ts: a letter's top this many pixels right of its foot per
   *  pixel of height; 0 when upright). */
  slant: number;
  /** How the glyphs learned here were aligned, and how each candidate read the labelled lines. */
  alignment?: AlignmentChoice;
}

export interface AlignmentChoice {
  align: NonNullable<LearnOptions['align']>;
  model: GlyphModel;
  /** Per alignment tried: edits and letters of its reading of the labelled lines against their known text. */
  tried: { align: NonNullable<LearnOptions['align']>; errors: number; letters: number }[];
}

/**
 * Glyphs learned from the labelled lines with each way of aligning their known text ('rendered', 'cuts'), and the
 * one kept whose reading of those same lines (the whole decoder, with the LM when one is given) is closer to the
 * known text. The default 'rendered' stays unless 'cuts' makes fewer errors by more than twice the square root of
 * both counts (differences of a few letters in ~120 are noise). Neither alignment is better on every scroll, and
 * both are in-sample readings of the same lines, so neither is favoured.
 */
export function chooseAlignment(
  ink: InkMap,
  training: LabelledLine[],
  learn: { pitch: number; alignOn?: InkMap },
  align: LearnOptions['align'] | 'auto',
  read: DecodeOptions,
): AlignmentChoice {
  const candidates: NonNullable<LearnOptions['align']>[] =
    align === 'auto' ? ['rendered', 'cuts'] : [align ?? 'rendered'];
  const tried = candidates.map((a) => {
    const model: GlyphModel = { ...learnGlyphs(ink, training, { ...learn, align: a }).model, pitch: learn.pitch };
    if (candidates.length === 1) return { align: a, model, errors: NaN, letters: NaN };
    const lines = decodeLines(
      ink,
      training.map((l) => l.band),
      model,
      read,
    );
    const errors = training.reduce((s, l, i) => s + editDistance(lines[i]!.map((x) => x.char).join(''), l.text), 0);
    return { align: a, model, errors, letters: training.reduce((s, l) => s + l.text.length, 0) };
  });
  const [first, second] = tried;
  // Two standard deviations of the difference of two error counts (each about Poisson): clearly better, not luckier.
  const pick = second && first!.errors - second.errors > 2 * Math.sqrt(first!.errors + second.errors) ? second : first!;
  return {
    align: pick.align,
    model: pick.model,
    tried: tried.map(({ align: a, errors, letters }) => ({ align: a, errors, letters })),
  };
}

/** Labelled lines: detected lines lying wholly inside the region, paired with the transcription by column order. */
function labelledLines(
  o: ReadSegmentOptions,
  region: [number, number, number, number],
  transcription: string[][],
  columns: ColumnBox[],
  pitch: number,
  labelPitch?: number,
): LabelledLine[] {
  const [rx0, ry0, rx1, ry1] = region;
  const labelCols = o.labels ? findColumns(o.labels, labelPitch ?? pitch) : columns;
  const training: LabelledLine[] = [];
  labelCols
    .filter((c) => c.x0 < rx1)
    .forEach((col, ci) => {
      const text = transcription[ci];
      if (!text || text.length !== col.lines.length) return; // lines not matched one to one: do not guess
      col.lines.forEach((line, li) => {
        if (line.x0 >= rx0 && line.x1 <= rx1 && line.y0 >= ry0 - pitch && line.y1 <= ry1 + pitch && text[li]) {
          training.push({ band: lineBand(line, pitch), text: text[li]! });
        }
      });
    });
  return training;
}

/** Intersection over union of two [x0, y0, x1, y1) boxes. */
function iou(a: [number, number, number, number], b: [number, number, number, number]): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const area = (r: typeof a) => Math.max(0, r[2] - r[0]) * Math.max(0, r[3] - r[1]);
  const inter = w * h;
  return inter > 0 ? inter / (area(a) + area(b) - inter) : 0;
}

/**
 * Corrected lines as training lines: each paired with the found line its box overlaps most (IoU at least 0.5, so a
 * changed layout does not teach a letter's shape from the wrong place), replacing a labelled line at the same place
 * (the editor's text is the later word).
 */
export function correctedTraining(
  columns: ColumnBox[],
  pitch: number,
  corrected: NonNullable<ReadSegmentOptions['correctedLines']>,
  labelled: LabelledLine[],
): LabelledLine[] {
  const found = columns.flatMap((c) => c.lines);
  const out = [...labelled];
  for (const c of corrected) {
    // A line with a letter still unknown ('?': lost) is not known text: its letters could not be placed.
    const text = c.text;
    if (!c.bbox || !text || ![...text].every((ch) => GREEK_ALPHABET.includes(ch))) continue;
    let best: LineBox | undefined;
    let bestIou = 0.5;
    for (const line of found) {
      const v = iou(c.bbox, [line.x0, line.y0, line.x1, line.y1]);
      if (v >= bestIou) [best, bestIou] = [line, v];
    }
    if (!best) continue;
    const band = lineBand(best, pitch);
    const at = out.findIndex((l) => l.band.yc === band.yc && l.band.xs === band.xs);
    if (at >= 0) out[at] = { band, text };
    else out.push({ band, text });
  }
  return out;
}

/** Line pitch of the labels inside the labelled region, or undefined when they hold too little ink to tell. */
function labelledPitch(labels: InkMap, region?: [number, number, number, number]): number | undefined {
  const [x0, y0, x1, y1] = region ?? [0, 0, labels.width, labels.height];
  const w = Math.max(0, Math.min(labels.width, x1) - x0);
  const h = Math.max(0, Math.min(labels.height, y1) - y0);
  if (w < 8 || h < 16) return undefined;
  const data = new Float32Array(w * h);
  let ink = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) ink += data[y * w + x] = labels.data[(y + y0) * labels.width + x + x0]!;
  return ink > 0.01 * w * h ? estimatePitch({ width: w, height: h, data }) : undefined;
}

/** Width of the widest column lying wholly inside the labelled region (labels are blank outside it). */
function labelledColumnWidth(
  labels: InkMap,
  pitch: number,
  region?: [number, number, number, number],
): number | undefined {
  const x1 = region?.[2] ?? labels.width;
  // A column cut by the region's edge reaches it; the labels are blank beyond.
  const inside = findColumns(labels, pitch).filter((c) => c.x1 < x1 - 2);
  return inside.length ? Math.max(...inside.map((c) => c.x1 - c.x0)) : undefined;
}

function scaleBox(b: [number, number, number, number], f: number): [number, number, number, number] {
  return [Math.round(b[0] * f), Math.round(b[1] * f), Math.round(b[2] * f), Math.round(b[3] * f)];
}

export interface PageLayout {
  /** The map normalized and deslanted, and the labels deslanted the same way. */
  norm: InkMap;
  labels?: InkMap;
  /** Line pitch of the map as given, and the slant corrected. */
  ownPitch: number;
  slant: number;
  /** The map the lines are read on (norm, or norm rescaled to the given glyphs), its scale and pitch. */
  ink: InkMap;
  scale: number;
  pitch: number;
  /** Columns and lines found on `ink`. */
  columns: ColumnBox[];
}

/** The page's layout as the reader sees it: contrast normalized, slant corrected, scaled to given glyphs. */
export function pageLayout(
  o: Pick<ReadSegmentOptions, 'ink' | 'labels' | 'labelledRegion' | 'glyphs' | 'scale'>,
): PageLayout {
  // Contrast first (maps of other readouts and scrolls alike), then, with glyphs from elsewhere, scale.
  const slantedNorm = normalizeInk(o.ink);
  // The labels, where there are any, show the lines cleanly: their pitch is the page's.
  const ownPitch =
    o.labels && !o.glyphs
      ? (labelledPitch(o.labels, o.labelledRegion) ?? estimatePitch(slantedNorm))
      : estimatePitch(slantedNorm);
  // The hand's slant, corrected line by line on the map and its labels alike (deslant.ts): letters stand upright and
  // stop overlapping their neighbours' columns before the layout is found again and glyphs are learned or fitted.
  // The labelled columns are the page's width (the ink map's runs can reach into clutter beside them).
  const columnWidth = o.labels && !o.glyphs ? labelledColumnWidth(o.labels, ownPitch, o.labelledRegion) : undefined;
  const slantedColumns = findColumns(slantedNorm, ownPitch, { columnWidth });
  const slantedLines = slantedColumns.flatMap((c) => c.lines);
  const slant = estimateSlant(slantedNorm, slantedLines, ownPitch);
  const norm = deslant(slantedNorm, slantedLines, ownPitch, slant);
  const labels = o.labels && deslant(o.labels, slantedLines, ownPitch, slant);
  const ownColumns = slant ? findColumns(norm, ownPitch, { columnWidth }) : slantedColumns;
  const { scale, ink } = o.glyphs ? fitScale(norm, o.glyphs, o.scale) : { scale: 1, ink: norm };
  const pitch = ink === norm ? ownPitch : estimatePitch(ink);
  const columns = ink === norm ? ownColumns : findColumns(ink, pitch);
  return { norm, labels, ownPitch, slant, ink, scale: ink === norm ? 1 : scale, pitch, columns };
}

export function readSegment(o: ReadSegmentOptions): SegmentReadResult {
  const { norm, labels, ownPitch, slant, ink, scale, pitch, columns } = pageLayout(o);
  if (!columns.length) throw new UserError(`segment ${o.segment}: no text columns found on the ink map`);
  let total = columns.reduce((s, c) => s + c.lines.length, 0) * (1 + (o.selfTrain ?? 0));
  let done = 0;
  // Created at the first line read, once `total` includes the labelled lines read to choose the alignment.
  let tracker: ProgressTracker | undefined;
  const tick = () => {
    tracker ??= progressTracker(`read ${o.segment}`, total, o.onProgress, { unit: 'lines' });
    tracker.set(++done);
  };
  let model: GlyphModel;
  let alignment: AlignmentChoice | undefined;
  let training: LabelledLine[] = [];
  const region = o.labelledRegion;
  if (o.glyphs) {
    model = o.glyphs;
  } else {
    const corrected = o.correctedLines?.length ? o.correctedLines : undefined;
    if ((!region || !o.transcription) && !corrected)
      throw new UserError(
        `segment ${o.segment}: give a labelled region and its transcription to learn glyphs from, or glyphs learned on another scroll`,
      );
    if (region && o.transcription) {
      training = labelledLines({ ...o, labels }, region, o.transcription, columns, pitch);
      // A poor ink map (e.g. a barely trained AUNN's rendering) can give a pitch at which the labels' lines do not
      // match the transcription: then the labels' own pitch decides how the known lines lie.
      if (!training.length && labels)
        training = labelledLines({ ...o, labels }, region, o.transcription, columns, pitch, estimatePitch(labels));
    }
    if (corrected) training = correctedTraining(columns, pitch, corrected, training);
    if (!training.length) {
      throw new UserError(
        region
          ? `segment ${o.segment}: no labelled line with a known transcription lies wholly inside the labelled region [${region.join(', ')}]${corrected ? ' and no corrected line is found on the map again' : ''}; glyphs cannot be learned`
          : `segment ${o.segment}: no corrected line is found on the map again (the layout changed); glyphs cannot be learned`,
      );
    }
    // Progress counts the labelled lines read twice to choose the alignment, then the segment's lines.
    if ((o.align ?? 'auto') === 'auto') total += 2 * training.length;
    const choice = chooseAlignment(ink, training, { pitch, alignOn: labels }, o.align ?? 'auto', {
      lm: o.lm,
      beam: o.beam,
      lmWeight: o.lmWeight,
      signal: o.signal,
      onLine: tick,
    });
    model = choice.model;
    alignment = choice;
    // Letter confidence calibrated on labelled lines the templates did not learn from (calibrate.ts).
    const cal = calibrateReading(ink, training, { pitch, alignOn: labels, align: choice.align }, o.signal);
    if (cal) {
      const contrasts = training.map((l) => lineContrast(ink, l.band, pitch)).sort((a, b) => a - b);
      model = {
        ...model,
        confidenceAlpha: cal.confidenceAlpha,
        letterPenalty: cal.letterPenalty,
        confidenceContrast: contrasts[Math.floor(contrasts.length / 2)],
      };
    }
  }
  const lmForMode = o.mode === 'decode' ? o.lm : undefined;
  const r = o.glyphs ? model.r : Math.round(0.45 * pitch);
  const back = 1 / scale;
  const readAll = (m: GlyphModel): ReadColumn[] => {
    const bands = columns.map((col) => col.lines.map((line) => ({ ...lineBand(line, pitch), r })));
    // Lines fainter than the calibration's are read with a cooler confidence (in proportion to their contrast).
    // On dev scrolls 1-8 this took the letters printed without an underdot from 85 % right to 90 % (own), 70 % to
    // 75 % (cross); the CER does not change.
    const ref = m.confidenceContrast;
    const confidenceScale =
      ref && ref > 0 ? bands.flat().map((b) => Math.min(1, Math.max(0, lineContrast(ink, b, pitch) / ref))) : undefined;
    const opts = {
      confidenceScale,
      lm: lmForMode,
      beam: o.beam,
      lmWeight: o.lmWeight,
      signal: o.signal,
      onLine: tick,
    };
    // All lines as one text (decode.ts), column after column: a line's reading is settled by the lines after it too,
    // and a column starts with the text the one before it ended on.
    const flat = decodeLines(ink, bands.flat(), m, opts);
    let k = 0;
    const decoded: ReadLetter[][][] = bands.map((b) => b.map(() => flat[k++]!));
    return columns.map((col, ci) => {
      // Stretches with no ink hold lost letters; the LM supplies them from the letters read around them.
      const context: number[] = [];
      const lines = col.lines.map((line, li) => {
        const letters = fillLostLetters(ink, bands[ci]![li]!, decoded[ci]![li]!, m, { lm: lmForMode, context });
        context.push(...letters.filter((l) => l.char).map((l) => GREEK_ALPHABET.indexOf(l.char)));
        if (back !== 1) for (const l of letters) if (l.bbox) l.bbox = scaleBox(l.bbox, back);
        return { n: li + 1, bbox: scaleBox([line.x0, line.y0, line.x1, line.y1], back), letters };
      });
      return { n: ci + 1, bbox: scaleBox([col.x0, col.y0, col.x1, col.y1], back), lines };
    });
  };
  let readCols = readAll(model);
  // Self-training: lines read outside the labelled region with a high mean letter probability become training
  // text too (aligned on the ink map there, as no labels exist), and the segment is read again.
  let selfLines = 0;
  const rx1 = region?.[2] ?? -Infinity;
  for (let round = 0; round < (o.selfTrain ?? 0) && training.length; round++) {
    const extra: LabelledLine[] = [];
    readCols.forEach((col, ci) =>
      col.lines.forEach((line, li) => {
        const box = columns[ci]!.lines[li]!;
        const mean = line.letters.reduce((s, l) => s + l.confidence, 0) / Math.max(1, line.letters.length);
        if (
          box.x0 >= rx1 &&
          line.letters.length > 0 &&
          line.letters.every((l) => l.source === 'ink') &&
          mean >= (o.selfTrainConfidence ?? 0.8)
        )
          extra.push({ band: lineBand(box, pitch), text: lineText(line) });
      }),
    );
    if (!extra.length) break;
    selfLines = extra.length;
    const alignOn = labels ? compositeAlignMap(labels, ink, rx1) : undefined;
    model = {
      ...learnGlyphs(ink, [...training, ...extra], { pitch, alignOn, align: alignment?.align }).model,
      pitch,
      confidenceAlpha: model.confidenceAlpha,
      letterPenalty: model.letterPenalty,
    };
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
  tracker?.done();
  const colsOut = back === 1 ? columns : columns.map((c) => ({ ...scaleCol(c, back) }));
  return {
    reading,
    pitch: ownPitch,
    columns: colsOut,
    glyphs: model,
    trainingLines: training.length,
    trainingLetters: training.reduce((s, l) => s + l.text.length, 0),
    selfTrainedLines: selfLines,
    scale,
    slant,
    alignment,
  };
}

/** ", aligned by cuts (labelled lines read at 3.3% with these glyphs, 30.1% with rendered)" — when both were tried. */
export function alignmentSummary(a: AlignmentChoice | undefined): string {
  if (!a || a.tried.length < 2) return a ? `, aligned by ${a.align}` : '';
  const pct = (t: AlignmentChoice['tried'][number]) => `${((100 * t.errors) / Math.max(1, t.letters)).toFixed(1)}%`;
  const other = a.tried.find((t) => t.align !== a.align)!;
  return `, aligned by ${a.align} (labelled lines read at ${pct(a.tried.find((t) => t.align === a.align)!)} with these glyphs, ${pct(other)} with ${other.align})`;
}

/** Scales tried by fitScale: a hand up to about 25% larger or smaller than the glyphs'. */
export const SCALES = [0.8, 0.87, 0.93, 1, 1.07, 1.15, 1.25];

/** Relative difference in explained ink under which fitScale treats two scales as fitting equally well. */
export const SCALE_FIT_TOLERANCE = 0.01;

/**
 * The scale at which glyphs learned on another scroll fit this map best: at each scale of SCALES (or the one given)
 * up to eight lines spread over the page are decoded with the glyphs alone, and the scale whose placed letters
 * explain the largest fraction of the ink in those lines, measured in this map's own pixels (scale-fit.ts
 * explainedInk), wins (near-ties go to the scale nearest 1). The mean letter confidence used before grew with the scale (smoother, larger letters read
 * more confidently): on the default demo's scroll 2 it chose 1.15 where the hands differ by 3-8 %.
 */
export function fitScale(
  norm: InkMap,
  glyphs: GlyphModel,
  fixed?: number,
): { scale: number; ink: InkMap; scores: { scale: number; explained: number }[] } {
  if (fixed) return { scale: fixed, ink: fixed === 1 ? norm : rescaleInk(norm, fixed), scores: [] };
  const bands = sampleBands(norm, 8);
  const scores = SCALES.map((scale) => ({
    scale,
    explained: bands.length ? explainedInk(norm, glyphs, scale, bands) : 0,
  }));
  // Fits within SCALE_FIT_TOLERANCE of the best are not told apart (on synthetic pages two noise seeds move the
  // fraction by about 1 %): of those, the scale nearest 1, as resampling itself smooths the map.
  const top = Math.max(...scores.map((s) => s.explained));
  const best = scores
    .filter((s) => s.explained >= top * (1 - SCALE_FIT_TOLERANCE))
    .reduce((a, b) => (Math.abs(Math.log(b.scale)) < Math.abs(Math.log(a.scale)) ? b : a));
  return { scale: best.scale, ink: best.scale === 1 ? norm : rescaleInk(norm, best.scale), scores };
}

function scaleCol(c: ColumnBox, f: number): ColumnBox {
  const s = (v: number) => Math.round(v * f);
  return {
    x0: s(c.x0),
    x1: s(c.x1),
    y0: s(c.y0),
    y1: s(c.y1),
    lines: c.lines.map((l) => ({ x0: s(l.x0), x1: s(l.x1), y0: s(l.y0), y1: s(l.y1) })),
  };
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
export function readingCer(
  reading: Reading,
  truth: TruthColumn[],
  opts: { minX?: number } = {},
): { cer: number; errors: number; letters: number; columns: number } {
  let errors = 0;
  let letters = 0;
  let columns = 0;
  for (const t of truth) {
    if (t.box[0]! < (opts.minX ?? -Infinity)) continue;
    const want = t.lines.join('');
    const overlap = (c: ReadColumn) =>
      c.bbox ? Math.max(0, Math.min(c.bbox[2], t.box[2]!) - Math.max(c.bbox[0], t.box[0]!)) : 0;
    const col = [...reading.columns].sort((a, b) => overlap(b) - overlap(a))[0];
    const got = col && overlap(col) > 0 ? col.lines.map(lineText).join('') : '';
    errors += editDistance(got, want);
    letters += want.length;
    columns++;
  }
  return { cer: letters ? errors / letters : NaN, errors, letters, columns };
}
