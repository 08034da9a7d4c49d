/**
 * Reads a segment for the ink readout out of the corpus: its `segment-layers` record, its `ink-labels`, `mask` and
 * `photo` records (same group), and the labelled region, which is the box `labelledRegion` [x0, y0, x1, y1) (on the ink-labels
 * record or in the segment's meta.json kept by ingest), else `labelledXMax`, else the record named by the labels'
 * `labelledMask`, else the whole sheet. Pixels without data (0 in the layers at the surface) are off the sheet (withoutMissingData).
 *
 *   const corpus = await Corpus.open('corpus');
 *   const { segment, layersRecord } = await loadCorpusSegment(corpus, 'scroll1/seg0001');
 *   const truth = await readGrayImage('sample/truth/inklabels.png', segment);  // full labels, for evaluation
 */
import { readFile } from 'node:fs/promises';
import { decode } from 'fast-png';
import type { Corpus } from '../corpus/index.js';
import type { RecordMeta } from '../corpus/index.js';
import { UserError } from '../core/errors.js';
import { withoutMissingData, type InkSegment } from './segment.js';

/** The segment-layers record meant by a group (`scroll/seg`), a record name, or a bare segment id. */
export function findLayersRecord(corpus: Corpus, segment: string): RecordMeta {
  const layers = corpus.records({ modality: 'segment-layers' });
  const found =
    layers.find((r) => r.group === segment) ??
    layers.find((r) => r.name === segment || r.name === `${segment}/layers`) ??
    layers.find((r) => r.extra?.segment === segment);
  if (!found) {
    const have = layers.map((r) => r.group ?? r.name).join(', ') || 'none';
    throw new UserError(`no segment '${segment}' in corpus ${corpus.dir} (segments: ${have})`);
  }
  return found;
}

function regionMask(box: unknown, height: number, width: number): Uint8Array | undefined {
  if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number')) return undefined;
  const [x0, y0, x1, y1] = box as [number, number, number, number];
  const out = new Uint8Array(height * width);
  for (let y = Math.max(0, y0); y < Math.min(height, y1); y++)
    out.fill(1, y * width + Math.max(0, x0), y * width + Math.min(width, x1));
  return out;
}

export interface LoadedSegment {
  segment: InkSegment;
  layersRecord: RecordMeta;
  labelsRecord?: RecordMeta;
  maskRecord?: RecordMeta;
  /** A photograph of the segment on its grid (a fragment's infrared photo), and its values: ink evidence. */
  photoRecord?: RecordMeta;
  photo?: Uint8Array;
  /** Pixels of the segment's own mask (or of the whole grid) left off the sheet for having no data (withoutMissingData). */
  missingPixels: number;
}

export async function loadCorpusSegment(corpus: Corpus, segment: string, signal?: AbortSignal): Promise<LoadedSegment> {
  const layersRecord = findLayersRecord(corpus, segment);
  const [depth, height, width] = layersRecord.shape;
  const group = layersRecord.group;
  const sibling = (modality: 'ink-labels' | 'mask' | 'photo') =>
    group ? corpus.records({ group, modality })[0] : undefined;
  const labelsRecord = sibling('ink-labels');
  const maskRecord = sibling('mask');
  const photoRecord = sibling('photo');
  for (const r of [labelsRecord, maskRecord, photoRecord]) {
    if (r && (r.shape[1] !== height || r.shape[2] !== width)) {
      throw new UserError(
        `${r.name}: ${r.shape[2]}x${r.shape[1]} does not match the segment layers ${layersRecord.name} (${width}x${height})`,
      );
    }
  }
  const layers = await corpus.readRecord(layersRecord, 0, signal);
  const labels = labelsRecord ? await corpus.readRecord(labelsRecord, 0, signal) : undefined;
  const sheetMask = maskRecord ? await corpus.readRecord(maskRecord, 0, signal) : undefined;
  const photo = photoRecord ? await corpus.readRecord(photoRecord, 0, signal) : undefined;
  let labelledMask: Uint8Array | undefined;
  if (labels) {
    const segMeta = (layersRecord.extra?.segmentMeta ?? {}) as Record<string, unknown>;
    const xMax = labelsRecord!.extra?.labelledXMax ?? segMeta.labelledXMax;
    labelledMask =
      regionMask(labelsRecord!.extra?.labelledRegion, height, width) ??
      regionMask(segMeta.labelledRegion, height, width) ??
      (typeof xMax === 'number' ? regionMask([0, 0, xMax, height], height, width) : undefined);
    const named = labelsRecord!.extra?.labelledMask;
    if (!labelledMask && typeof named === 'string') {
      const rec = corpus.records().find((r) => r.name === named || r.name === `${labelsRecord!.scroll}/${named}`);
      if (rec) labelledMask = await corpus.readRecord(rec, 0, signal);
    }
  }
  const surfaceRaw = layersRecord.extra?.surfaceLayer;
  const surface = typeof surfaceRaw === 'number' ? surfaceRaw : Math.floor(depth / 2);
  const inkSegment = withoutMissingData({
    name: group ?? layersRecord.name,
    depth,
    height,
    width,
    surface,
    layers,
    labels,
    labelledMask,
    sheetMask,
  });
  let missingPixels = 0;
  if (inkSegment.sheetMask !== sheetMask)
    for (let i = 0; i < inkSegment.sheetMask!.length; i++)
      if (!inkSegment.sheetMask![i] && (!sheetMask || sheetMask[i])) missingPixels++;
  return {
    segment: inkSegment,
    missingPixels,
    layersRecord,
    labelsRecord,
    maskRecord,
    ...(photoRecord && photo ? { photoRecord, photo } : {}),
  };
}

/** A grey (or first channel of a colour) 8-bit PNG as bytes, checked against the segment's grid. */
export async function readGrayImage(file: string, expect?: { height: number; width: number }): Promise<Uint8Array> {
  let img;
  try {
    img = decode(await readFile(file));
  } catch (err) {
    throw new UserError(`${file}: cannot read as PNG (${(err as Error).message})`, { cause: err });
  }
  if (expect && (img.width !== expect.width || img.height !== expect.height)) {
    throw new UserError(
      `${file}: ${img.width}x${img.height} does not match the segment (${expect.width}x${expect.height})`,
    );
  }
  const out = new Uint8Array(img.width * img.height);
  const ch = img.channels;
  const scale = img.depth === 16 ? 1 / 257 : 1;
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Number(img.data[i * ch]) * scale);
  return out;
}
