/**
 * `aunn read --corpus DIR --segment S --transcription FILE [--lm off|decode] [--ink-png FILE [--degrade]] [--truth DIR]`:
 * reads the Greek text off a segment's predicted ink and saves the reading in the corpus (readings/<group>.json),
 * which `aunn export` and the app's segment view use.
 *
 *   aunn read --corpus ./corpus --segment seg1 --transcription labelled.txt --lm decode --truth sample/truth
 *   aunn read --corpus ./corpus --segment scroll2/seg --glyphs-from seg1 --transcription labelled.txt   # no labels
 *   aunn read ... --lm-weight 0.7       # lean less on the LM (default 1: its log-probability as is)
 *   aunn read --corpus ./corpus --segment scroll2/seg --corrected-lines   # glyphs from the lines corrected in the app
 *
 * Glyphs are learned where the text is known: the labelled region (the segment's ink labels) and its
 * transcription (--transcription: a UTF-8 file, one line of the papyrus per line, a blank line between columns,
 * or JSON { columns: [{ lines: [...] }] }). The ink read is the segment's newest 'ink' prediction; until one
 * exists, --ink-png reads a picture instead (e.g. true labels; --degrade blurs and adds noise as a stand-in).
 */
import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decode as decodePng } from 'fast-png';
import { UserError } from '../../core/errors.js';
import { Corpus } from '../../corpus/index.js';
import { loadKneserNey } from '../../lm-conditioning/models.js';
import { lineText, saveReading } from '../../lm-conditioning/reading/reading-file.js';
import { loadCorrectedLines } from '../../lm-conditioning/reading/corrections.js';
import { resolveSegment } from '../../lm-conditioning/segment-ref.js';
import { degradeInk, inkMapFromBytes, type InkMap } from '../../lm-conditioning/reading/ink-map.js';
import { alignmentSummary, readingCer, readSegment, type TruthColumn } from '../../lm-conditioning/reading/reader.js';
import { DEFAULT_BEAM } from '../../lm-conditioning/reading/decode.js';
import { CONDITION_MIN_CONFIDENCE } from '../../workflows/condition-step.js';
import { normalizeGreek } from '../../lm-conditioning/greek-text.js';

/** Columns of lines from a transcription file (plain text or the sample's text.json shape). */
export async function readTranscription(file: string): Promise<string[][]> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read transcription ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (file.endsWith('.json')) {
    let doc: { columns?: { lines?: unknown }[] };
    try {
      doc = JSON.parse(raw);
    } catch (err) {
      throw new UserError(`${file}: not JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!Array.isArray(doc.columns) || !doc.columns.every((c) => Array.isArray(c.lines)))
      throw new UserError(`${file}: expected { columns: [{ lines: [...] }] }`);
    return doc.columns.map((c) => (c.lines as unknown[]).map((l) => normalizeGreek(String(l))));
  }
  const cols = raw
    .split(/\r?\n\s*\r?\n/)
    .map((block) =>
      block
        .split(/\r?\n/)
        .map(normalizeGreek)
        .filter((l) => l.length > 0),
    )
    .filter((c) => c.length > 0);
  if (!cols.length) throw new UserError(`${file}: no Greek text in the transcription`);
  return cols;
}

async function pngInk(file: string): Promise<InkMap> {
  let png;
  try {
    png = decodePng(await readFile(file));
  } catch (err) {
    throw new UserError(`cannot read ink picture ${file}: ${(err as Error).message}`, { cause: err });
  }
  const { width, height, channels, data } = png;
  const gray = new Uint8Array(width * height);
  const max = png.depth === 16 ? 65535 : 255;
  for (let i = 0; i < gray.length; i++) gray[i] = Math.round(((data[i * channels] as number) / max) * 255);
  return inkMapFromBytes(gray, height, width);
}

function parseRegion(v: string): [number, number, number, number] {
  const n = v.split(',').map(Number);
  if (n.length !== 4 || n.some((x) => !Number.isFinite(x)))
    throw new UserError(`--labelled-region must be x0,y0,x1,y1, got '${v}'`);
  return n as [number, number, number, number];
}

/** The labelled box: from the labels record or the segment meta, else the bounding box of the labelled ink. */
function labelledRegionOf(
  extra: Record<string, unknown> | undefined,
  meta: Record<string, unknown> | undefined,
  labels: InkMap,
): [number, number, number, number] {
  for (const src of [extra, meta]) {
    const r = src?.labelledRegion;
    if (Array.isArray(r) && r.length === 4 && r.every((x) => typeof x === 'number'))
      return r as [number, number, number, number];
    if (typeof src?.labelledXMax === 'number') return [0, 0, src.labelledXMax, labels.height];
  }
  let x1 = 0;
  for (let y = 0; y < labels.height; y++)
    for (let x = 0; x < labels.width; x++) if (labels.data[y * labels.width + x]! > 0.5) x1 = Math.max(x1, x + 1);
  return [0, 0, x1, labels.height];
}

type Segment = ReturnType<typeof resolveSegment>;

/** The ink to read: --ink-png (optionally degraded), else the segment's newest ink prediction (of --model if given). */
async function segmentInk(
  corpus: Corpus,
  seg: Segment,
  o: { model?: string; inkPng?: string; degrade?: boolean },
): Promise<{ ink: InkMap; inkName: string }> {
  if (o.inkPng) {
    const png = await pngInk(o.inkPng);
    return {
      ink: o.degrade ? degradeInk(png, { seed: 1 }) : png,
      inkName: `${path.resolve(o.inkPng)}${o.degrade ? ' (degraded stand-in)' : ''}`,
    };
  }
  const preds = seg.records.filter(
    (r) =>
      r.modality === 'prediction' &&
      r.prediction?.kind === 'ink' &&
      (!o.model || r.prediction.model === o.model || r.prediction.model === path.basename(o.model)),
  );
  const rec = preds.pop();
  if (!rec)
    throw new UserError(
      `segment ${seg.group} has no ink prediction${o.model ? ` from model ${o.model}` : ''} in ${corpus.dir}: run \`aunn ink\` first, or give --ink-png`,
    );
  const bytes = await corpus.readRecord(rec);
  return {
    ink: inkMapFromBytes(bytes.subarray(0, rec.shape[1] * rec.shape[2]), rec.shape[1], rec.shape[2]),
    inkName: rec.name,
  };
}

/** The segment's ink labels and where they hold (--labelled-region, else the labels record or segment meta). */
async function segmentLabels(
  corpus: Corpus,
  seg: Segment,
  regionOption?: string,
): Promise<{ labels: InkMap; region: [number, number, number, number] }> {
  const rec = seg.labels!;
  const [, H, W] = rec.shape;
  const labels = inkMapFromBytes((await corpus.readRecord(rec)).subarray(0, H * W), H, W);
  const region = regionOption
    ? parseRegion(regionOption)
    : labelledRegionOf(rec.extra, seg.layers?.extra?.segmentMeta as Record<string, unknown> | undefined, labels);
  return { labels, region };
}

export async function run(argv: string[]): Promise<void> {
  const o = new Command('aunn read')
    .requiredOption('--corpus <dir>', 'corpus folder')
    .requiredOption('--segment <s>', 'segment: group (scroll/segment), record name or segment id')
    .option(
      '--transcription <file>',
      'known text of the labelled region (lines; blank line between columns; or JSON { columns: [{ lines }] })',
    )
    .option('--lm <mode>', 'off (glyphs only) | decode (beam search with the language model) | condition', 'decode')
    .option('--lm-model <file>', 'Kneser–Ney model file (default: SBLGNT, cached)')
    .option('--model <dir>', 'use the ink prediction made by this AUNN model (default: the newest)')
    .option('--ink-png <file>', 'read this ink picture instead of an ink prediction (stand-in)')
    .option('--degrade', 'blur and add noise to --ink-png (a stand-in for a predicted map)')
    .option(
      '--labelled-region <x0,y0,x1,y1>',
      'where the labels and the transcription hold (default: from the labels record)',
    )
    .option('--truth <dir>', "a sample's truth/ folder: print the character error rate in the unlabelled region")
    .option('--beam <n>', 'beam width of the line decoder', String(DEFAULT_BEAM))
    .option('--lm-weight <w>', 'weight of the LM against the glyph evidence when decoding', '1')
    .option('--self-train <rounds>', 'rounds of self-training on confidently read lines', '0')
    .option(
      '--align <how>',
      'align the known text to the labelled lines: auto (both, the one whose glyphs read the labelled lines better) | rendered (printed capitals) | cuts (by the ink alone)',
      'auto',
    )
    .option(
      '--glyphs-from <segment>',
      'learn the glyphs on this labelled segment (with --transcription) and read --segment with them (a scroll without labels)',
    )
    .option(
      '--corrected-lines',
      'learn the glyphs from the lines corrected in the app too (transcriptions/<segment>.lines.json; alone, on a segment without labels)',
    )
    .option(
      '--scale <f>',
      "with --glyphs-from: read the map at this scale (the other hand's size here) instead of fitting it",
    )
    .parse(argv, { from: 'user' })
    .opts<{
      corpus: string;
      segment: string;
      transcription?: string;
      lm: string;
      lmModel?: string;
      model?: string;
      inkPng?: string;
      degrade?: boolean;
      labelledRegion?: string;
      truth?: string;
      beam: string;
      lmWeight: string;
      selfTrain: string;
      glyphsFrom?: string;
      correctedLines?: boolean;
      align: string;
      scale?: string;
    }>();
  if (!['off', 'decode', 'condition'].includes(o.lm))
    throw new UserError(`--lm must be off, decode or condition, got '${o.lm}'`);
  if (o.lm === 'condition' && !o.model) {
    throw new UserError(
      '--lm condition trains the AUNN: give --model DIR (a trained model with an ink readout, see `aunn ink --source model`)',
    );
  }
  if (!['auto', 'rendered', 'cuts'].includes(o.align))
    throw new UserError(`--align must be auto, rendered or cuts, got '${o.align}'`);
  const align = o.align as 'auto' | 'rendered' | 'cuts';
  const scale = o.scale === undefined ? undefined : Number(o.scale);
  if (scale !== undefined && !(scale >= 0.25 && scale <= 4))
    throw new UserError(`--scale must be a number from 0.25 to 4, got '${o.scale}'`);
  if (scale !== undefined && !o.glyphsFrom)
    throw new UserError("--scale is for reading with another segment's glyphs: give --glyphs-from SEGMENT");
  const lmWeight = Number(o.lmWeight);
  if (!(lmWeight >= 0 && lmWeight <= 10))
    throw new UserError(`--lm-weight must be a number from 0 to 10, got '${o.lmWeight}'`);
  const beam = Number(o.beam);
  if (!Number.isInteger(beam) || beam < 1) throw new UserError(`--beam must be a positive integer, got '${o.beam}'`);
  const corpus = await Corpus.open(o.corpus);
  const seg = resolveSegment(corpus, o.segment);
  const own = seg.labels ? await segmentLabels(corpus, seg, o.labelledRegion) : undefined;
  // The ink read: a stored prediction or a picture (--lm condition reads the AUNN's own rendering instead).
  const inkSource = o.lm === 'condition' ? undefined : await segmentInk(corpus, seg, o);
  // Lines an editor corrected in the app: known text for the glyphs, with or instead of the labelled region's.
  const corrected = o.correctedLines && !o.glyphsFrom ? await loadCorrectedLines(corpus, seg.group) : [];
  if (o.correctedLines && o.glyphsFrom)
    console.log(
      `--glyphs-from: the glyphs are learned on ${o.glyphsFrom}; corrected lines of ${seg.group} are not used`,
    );
  else if (o.correctedLines) console.log(`${corrected.length} corrected lines of ${seg.group} to learn from`);
  if (!o.transcription && !corrected.length)
    throw new UserError(
      'give --transcription FILE: the known text of the labelled region (glyphs are learned from it), or --corrected-lines once lines were corrected in the app',
    );
  const transcription = o.transcription ? await readTranscription(o.transcription) : undefined;
  const lm = o.lm === 'off' ? undefined : await loadKneserNey(o.lmModel);
  const t0 = performance.now();
  if (o.glyphsFrom && o.lm === 'condition')
    throw new UserError(
      "--glyphs-from reads with another segment's glyphs; --lm condition needs the segment's own labels: use one or the other",
    );
  if (o.lm === 'condition') {
    if (!own || !transcription)
      throw new UserError(
        `segment ${seg.group} has no ink labels in ${o.corpus} or no --transcription: --lm condition learns glyphs from a labelled region and its text`,
      );
    await readConditioned({
      corpus,
      modelDir: o.model!,
      group: seg.group,
      labels: own.labels,
      region: own.region,
      transcription,
      lm: lm!,
      beam,
      truth: o.truth,
      corpusDir: o.corpus,
      pixelSizeUm: seg.layers?.voxelSizeUm?.[2],
    });
    return;
  }
  const { ink, inkName } = inkSource!;
  if (own && (ink.width !== own.labels.width || ink.height !== own.labels.height))
    throw new UserError(
      `ink map is ${ink.width}x${ink.height} but the segment's labels are ${own.labels.width}x${own.labels.height}`,
    );
  const common = {
    segment: seg.group,
    ink,
    lm,
    mode: o.lm as 'off' | 'decode',
    beam,
    lmWeight,
    source: { ink: inkName, model: o.model },
    pixelSizeUm: seg.layers?.voxelSizeUm?.[2],
  };
  let result;
  if (o.glyphsFrom) {
    // Glyphs learned on another, labelled segment (its newest ink prediction, its labels, the transcription).
    const from = resolveSegment(corpus, o.glyphsFrom);
    if (!transcription)
      throw new UserError(
        `--glyphs-from ${o.glyphsFrom}: give --transcription FILE, the known text of its labelled region`,
      );
    if (!from.labels)
      throw new UserError(`--glyphs-from ${o.glyphsFrom}: segment ${from.group} has no ink labels in ${o.corpus}`);
    const fromInk = await segmentInk(corpus, from, { model: o.model });
    const fromLabels = await segmentLabels(corpus, from);
    const learned = readSegment({
      segment: from.group,
      ink: fromInk.ink,
      labels: fromLabels.labels,
      labelledRegion: fromLabels.region,
      transcription,
      mode: 'off',
      align,
      lm,
      beam,
    });
    console.log(
      `glyphs learned on ${from.group} from ${learned.trainingLines} labelled lines (${learned.trainingLetters} letters)${alignmentSummary(learned.alignment)}`,
    );
    result = readSegment({ ...common, glyphs: learned.glyphs, scale });
    console.log(`read at scale ${result.scale} (the other hand's size on this map)`);
  } else {
    if (!own && !corrected.length)
      throw new UserError(
        `segment ${seg.group} has no ink labels in ${o.corpus}: glyphs are learned from a labelled region (or give --glyphs-from SEGMENT, or correct lines in the app and give --corrected-lines)`,
      );
    result = readSegment({
      ...common,
      labels: own?.labels,
      labelledRegion: own && transcription ? own.region : undefined,
      transcription,
      correctedLines: corrected,
      selfTrain: Number(o.selfTrain) || 0,
      align,
    });
  }
  const region = own?.region ?? [0, 0, 0, ink.height];
  const file = await saveReading(corpus, result.reading);
  for (const col of result.reading.columns) {
    console.log(`Col. ${col.n}`);
    for (const line of col.lines) console.log(`  ${String(line.n).padStart(2)} ${lineText(line)}`);
  }
  if (!o.glyphsFrom)
    console.log(
      `glyphs learned from ${result.trainingLines} labelled lines (${result.trainingLetters} letters)${alignmentSummary(result.alignment)}`,
    );
  const slant = result.slant ? `; slant ${result.slant.toFixed(2)} corrected` : '';
  console.log(`line pitch ${result.pitch} px${slant}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`wrote ${file}`);
  if (o.truth) {
    const truth = JSON.parse(await readFile(path.join(o.truth, 'text.json'), 'utf8')) as { columns: TruthColumn[] };
    const cer = readingCer(result.reading, truth.columns, { minX: region[2] });
    console.log(
      `CER in the unlabelled region (x >= ${region[2]}), --lm ${o.lm}: ${(100 * cer.cer).toFixed(1)}% (${cer.errors} edits / ${cer.letters} letters, ${cer.columns} columns)`,
    );
  }
}

/**
 * `--lm condition`: the language-conditioned AUNN (src/lm-conditioning/condition/): read from the model's rendering,
 * train the model toward the read text (a new model version), read again. Prints the CER before and after.
 * minConfidence CONDITION_MIN_CONFIDENCE (0.8): only letters read with that confidence shape the rendering loss (measured best once; see
 * condition/index.ts for the numbers and their spread).
 */
async function readConditioned(o: {
  corpus: Corpus;
  corpusDir: string;
  modelDir: string;
  group: string;
  labels: InkMap;
  region: [number, number, number, number];
  transcription: Awaited<ReturnType<typeof readTranscription>>;
  lm: Awaited<ReturnType<typeof loadKneserNey>>;
  beam: number;
  truth?: string;
  pixelSizeUm?: number;
}): Promise<void> {
  const { conditionSegment } = await import('../../lm-conditioning/condition/index.js');
  const r = await conditionSegment({
    corpus: o.corpus,
    modelDir: o.modelDir,
    segment: o.group,
    read: {
      labels: o.labels,
      labelledRegion: o.region,
      transcription: o.transcription,
      lm: o.lm,
      beam: o.beam,
      pixelSizeUm: o.pixelSizeUm,
    },
    minConfidence: CONDITION_MIN_CONFIDENCE,
    onStage: (stage) => process.stderr.write(`${stage}\n`),
  });
  const file = await saveReading(o.corpus, r.reading);
  for (const col of r.reading.columns) {
    console.log(`Col. ${col.n}`);
    for (const line of col.lines) console.log(`  ${String(line.n).padStart(2)} ${lineText(line)}`);
  }
  console.log(`conditioned the AUNN: model version ${r.previousVersion} -> ${r.modelVersion}; wrote ${file}`);
  if (o.truth) {
    const truth = JSON.parse(await readFile(path.join(o.truth, 'text.json'), 'utf8')) as { columns: TruthColumn[] };
    const before = readingCer(r.before, truth.columns, { minX: o.region[2] });
    const after = readingCer(r.reading, truth.columns, { minX: o.region[2] });
    console.log(
      `CER in the unlabelled region (x >= ${o.region[2]}): decode on v${r.previousVersion} ${(100 * before.cer).toFixed(1)}%, after conditioning ${(100 * after.cer).toFixed(1)}%`,
    );
  }
}
