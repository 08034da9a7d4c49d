/**
 * Ink for a segment in the corpus, end to end: where the readout lives, which layers it reads (observed, or the
 * AUNN's reconstruction of them), training on the labelled segments, writing the probability as a derived record on
 * the segment's grid, and PNG/TIFF exports. The CLI (`aunn ink`) and the app call these.
 *
 *   const corpus = await Corpus.open('corpus');
 *   const readout = await ensureReadout(corpus, { modelDir: 'model' });          // load, or train on labelled segments
 *   const { prob, record } = await predictInk(corpus, 'scroll2/seg0001', readout, { source: 'model', modelDir: 'model' });
 *   await exportInkImages(prob, segment, 'out', 'seg0001', readout.threshold);
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import type { Corpus } from '../corpus/index.js';
import type { RecordMeta } from '../corpus/index.js';
import { UserError } from '../core/errors.js';
import { encodeTiff } from '../formats/tiff-writer.js';
import { chooseBand } from './band.js';
import type { LayerBand } from './features.js';
import { loadCorpusSegment, type LoadedSegment } from './load.js';
import {
  bandFor,
  predictReadout,
  readoutFromJson,
  readoutToJson,
  trainReadout,
  type InkReadout,
  type ReadoutOptions,
  type TrainLog,
} from './readout.js';
import type { InkSegment } from './segment.js';
import type { ProgressListener, TaskOptions } from '../core/task.js';

export type LayerSource = 'observed' | 'model';

/** Where the readout is kept: beside the model when there is one, else in the corpus. */
/** Where the corpus keeps its ink readout (a side file). */
const CORPUS_READOUT = 'ink/readout.json';

export function readoutPath(corpus: Corpus, modelDir?: string): string {
  return modelDir ? path.join(path.resolve(modelDir), 'ink-readout.json') : path.join(corpus.dir, CORPUS_READOUT);
}

export async function saveReadout(
  readout: InkReadout,
  file: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify({ ...readoutToJson(readout), ...extra }));
  await rename(tmp, file);
}

export async function loadReadout(file: string): Promise<InkReadout | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return readoutFromJson(JSON.parse(text) as Record<string, unknown>, file);
  } catch (err) {
    throw new UserError(`${file}: not a usable ink readout (${(err as Error).message}); delete it or retrain it`, {
      cause: err,
      file,
      options: ['retrain'],
    });
  }
}

/** PSNR (dB) between two byte arrays over the masked pixels of every layer in `band` ([depth, H, W] raster). */
export function layersPsnr(a: Uint8Array, b: Uint8Array, plane: number, band: LayerBand, sheet?: Uint8Array): number {
  let se = 0,
    n = 0;
  for (let d = band.from; d <= band.to; d++)
    for (let i = 0; i < plane; i++) {
      if (sheet && !sheet[i]) continue;
      const e = a[d * plane + i]! - b[d * plane + i]!;
      se += e * e;
      n++;
    }
  return n && se > 0 ? 10 * Math.log10((255 * 255) / (se / n)) : Infinity;
}

export interface ModelLayersResult {
  segment: InkSegment;
  /** PSNR of the reconstruction against the observed layers over the rendered band. */
  psnr: number;
  band: LayerBand;
  seconds: number;
}

/**
 * The segment with the layers of `band` replaced by the AUNN's prediction at the segment-layers record's own
 * addresses (the model's reconstruction of what was ingested); other layers are left as observed (unused by the
 * readout). Loads the model package lazily so the observed path never needs it.
 */
export async function modelLayers(
  loaded: LoadedSegment,
  corpus: Corpus,
  modelDir: string,
  band: LayerBand,
  opts: TaskOptions = {},
): Promise<ModelLayersResult> {
  const { loadModel } = await import('../model/index.js');
  const model = await loadModel(modelDir);
  const t0 = performance.now();
  try {
    const seg = loaded.segment;
    const rec = loaded.layersRecord;
    const pred = await model.predictRegion(
      rec,
      { z: [band.from, band.to + 1], y: [0, seg.height], x: [0, seg.width] },
      0,
      corpus.manifest,
      opts,
    );
    const plane = seg.height * seg.width;
    const layers = Uint8Array.from(seg.layers);
    layers.set(pred.value, band.from * plane);
    const psnr = layersPsnr(layers, seg.layers, plane, band, seg.sheetMask);
    return { segment: { ...seg, layers }, psnr, band, seconds: (performance.now() - t0) / 1000 };
  } finally {
    model.dispose();
  }
}

/** Segments with ink labels that the readout may learn from (all by default, or the given groups). */
export function labelledGroups(corpus: Corpus, only?: string[]): string[] {
  const groups = [
    ...new Set(
      corpus
        .records({ modality: 'ink-labels' })
        .map((r) => r.group)
        .filter((g): g is string => !!g),
    ),
  ];
  if (!only) return groups;
  for (const g of only) {
    if (!groups.includes(g))
      throw new UserError(
        `training labels '${g}': no ink labels in corpus ${corpus.dir} (labelled segments: ${groups.join(', ') || 'none'})`,
        { segment: g, options: ['trainGroups'] },
      );
  }
  return only;
}

export interface EnsureOptions extends ReadoutOptions {
  modelDir?: string;
  source?: LayerSource;
  trainGroups?: string[];
  retrain?: boolean;
  onStage?: (stage: string) => void;
}

/** Load the saved readout, or train one on the labelled segments (and save it). */
export async function ensureReadout(
  corpus: Corpus,
  opts: EnsureOptions = {},
): Promise<{ readout: InkReadout; file: string; trained?: TrainLog; psnr?: number }> {
  const file = readoutPath(corpus, opts.modelDir);
  if (!opts.retrain && !opts.trainGroups) {
    const existing = await loadReadout(file);
    if (existing) return { readout: existing, file };
  }
  const groups = labelledGroups(corpus, opts.trainGroups);
  if (groups.length === 0)
    throw new UserError(
      `corpus ${corpus.dir} has no ink labels to train the ink readout on, and there is no saved readout at ${file}`,
    );
  const loaded = await Promise.all(groups.map((g) => loadCorpusSegment(corpus, g, opts.signal)));
  let segments = loaded.map((l) => l.segment);
  let psnr: number | undefined;
  let band = opts.band;
  if (opts.source === 'model') {
    if (!opts.modelDir) throw new UserError('ink from the model needs a model folder', { options: ['modelDir'] });
    band ??= chooseBand(segments).band; // chosen on the observed labelled layers
    const rendered: InkSegment[] = [];
    for (const l of loaded) {
      opts.onStage?.(`rendering ${l.segment.name} layers ${band.from}..${band.to} from the model`);
      const r = await modelLayers(
        l,
        corpus,
        opts.modelDir,
        bandFor({ band, surface: segments[0]!.surface }, l.segment),
        { signal: opts.signal },
      );
      rendered.push(r.segment);
      psnr = r.psnr;
    }
    segments = rendered;
  }
  opts.onStage?.(`training the ink readout on ${groups.join(', ')}`);
  const { readout, log } = await trainReadout(segments, { ...opts, band });
  const extra = { source: opts.source ?? 'observed', trainedAt: new Date().toISOString() };
  // In the corpus the readout is a side file (under the corpus lock); beside a model it is the model's own file.
  if (opts.modelDir) await saveReadout(readout, file, extra);
  else await corpus.writeSideFile(CORPUS_READOUT, JSON.stringify({ ...readoutToJson(readout), ...extra }));
  return { readout, file, trained: log, psnr };
}

export interface PredictInkOptions {
  source?: LayerSource;
  modelDir?: string;
  signal?: AbortSignal;
  /** Write the probability into the corpus (default true). */
  write?: boolean;
  /** Voxels of the layers rendered from the model, as ProgressEvents. */
  onProgress?: ProgressListener;
}

export interface PredictInkResult {
  prob: Float32Array;
  loaded: LoadedSegment;
  /** The prediction record written (when `write`). */
  record?: RecordMeta;
  /** PSNR of the model's reconstruction against the observed layers (source 'model'). */
  psnr?: number;
}

/** Ink probability of a segment from the readout, written as a derived 'ink' record on the segment's grid. */
export async function predictInk(
  corpus: Corpus,
  segment: string,
  readout: InkReadout,
  opts: PredictInkOptions = {},
): Promise<PredictInkResult> {
  const loaded = await loadCorpusSegment(corpus, segment, opts.signal);
  let seg = loaded.segment;
  const band = bandFor(readout, seg);
  if (band.from < 0 || band.to >= seg.depth)
    throw new UserError(
      `${seg.name}: the readout reads layers ${band.from}..${band.to}, the segment has 0..${seg.depth - 1}`,
    );
  let psnr: number | undefined;
  if (opts.source === 'model') {
    if (!opts.modelDir) throw new UserError('ink from the model needs a model folder', { options: ['modelDir'] });
    const r = await modelLayers(loaded, corpus, opts.modelDir, band, {
      signal: opts.signal,
      onProgress: opts.onProgress,
    });
    seg = r.segment;
    psnr = r.psnr;
  }
  const prob = await predictReadout(readout, seg, opts.signal);
  let record: RecordMeta | undefined;
  if (opts.write !== false) {
    const bytes = new Uint8Array(prob.length);
    for (let i = 0; i < prob.length; i++) bytes[i] = Math.round(prob[i]! * 255);
    record = await corpus.withWriter((w) =>
      w.writePrediction(loaded.layersRecord, 'ink', bytes, {
        shape: [1, seg.height, seg.width],
        model: `ink-readout${opts.source === 'model' ? `+${path.basename(path.resolve(opts.modelDir!))}` : ''}`,
        extra: {
          source: opts.source ?? 'observed',
          threshold: readout.threshold,
          band,
          trainedOn: readout.trainedOn,
          scale: 'probability x 255',
        },
      }),
    );
  }
  return { prob, loaded: { ...loaded, segment: seg }, record, psnr };
}

/** `<out>/<name>_ink.png` (probability), `_ink.tif` (probability, 8-bit) and `_ink_mask.png` (above the threshold). */
export async function exportInkImages(
  prob: Float32Array,
  seg: Pick<InkSegment, 'height' | 'width'>,
  outDir: string,
  name: string,
  threshold: number,
): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const bytes = new Uint8Array(prob.length);
  const mask = new Uint8Array(prob.length);
  for (let i = 0; i < prob.length; i++) {
    bytes[i] = Math.round(prob[i]! * 255);
    mask[i] = prob[i]! >= threshold ? 255 : 0;
  }
  const files = [
    path.join(outDir, `${name}_ink.png`),
    path.join(outDir, `${name}_ink.tif`),
    path.join(outDir, `${name}_ink_mask.png`),
  ];
  await writeFile(files[0]!, encodePng({ width: seg.width, height: seg.height, data: bytes, channels: 1, depth: 8 }));
  await writeFile(files[1]!, encodeTiff(bytes, seg.width, seg.height));
  await writeFile(files[2]!, encodePng({ width: seg.width, height: seg.height, data: mask, channels: 1, depth: 8 }));
  return files;
}
