/**
 * A Vesuvius segment folder → IngestItems of one group `<scroll>/<segment>`:
 *   `<segment>/layers`     'segment-layers' [n, H, W] from `layers/00..64.tif` (or a fragment's `surface_volume/`, or
 *                           rendered from a scan: render-tifxyz.ts), layer 32 on the surface (extra.surfaceLayer);
 *                           the mesh kept as attachments:
 *                           `<id>.obj` (with `vt` UVs) → 'mesh.obj', or tifxyz `x.tif y.tif z.tif meta.json` →
 *                           'x.tif' 'y.tif' 'z.tif' 'tifxyz.json'; the segment's meta.json in extra.segmentMeta.
 *   `<segment>/inklabels`  'ink-labels' [1, H, W] from `<id>_inklabels.png` / `inklabels.png` (> 127 → 255, else 0)
 *   `<segment>/mask`       'mask' [1, H, W] from `<id>_mask.png` / `mask.png`
 *   `<segment>/ir`         'photo' [1, H, W] from a fragment's infrared photograph `<id>_ir.png` / `ir.png`, kept as
 *                           it is (not binarized): ink evidence where no labels exist (extra.band 'infrared')
 *
 *   const items = await openSegment('/data/scroll1.volpkg/paths/20230503225234', { scroll: 'scroll1' });
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { sha256File, sha256Files } from '../checksum.js';
import { listVisible, readJson, sniffFile } from '../sniff.js';
import type { IngestItem, VolumeSource } from '../source.js';
import { binarize, openPng } from './image2d.js';
import { openTiffPages, openTiffStack } from './tiff.js';
import { TiffFile } from '../../formats/tiff-reader.js';

export const SURFACE_LAYER = 32;
export const LAYER_COUNT = 65;

export interface SegmentOptions {
  scroll: string;
  signal?: AbortSignal;
  /** Called for every file the segment uses (the volpkg reader checks it stays inside the package). */
  guard?: (file: string) => Promise<void>;
  /** The segment's id in its record names (`<id>/layers`); default: the folder's name. */
  id?: string;
  /** Layers made elsewhere instead of a layers/ folder (a tifxyz surface rendered from a scan: render-tifxyz.ts). */
  layers?: { volume: VolumeSource; source: IngestItem['source']; extra?: Record<string, unknown> };
}

/** Whether `dir` looks like a segment (has a layers/ or surface_volume/ folder of TIFFs). */
export function isSegmentDir(dir: string): boolean {
  return existsSync(path.join(dir, 'layers')) || existsSync(path.join(dir, 'surface_volume'));
}

/** A VC3D tifxyz surface (x.tif, y.tif, z.tif and a meta.json of format tifxyz) in `dir` itself. */
export function isTifxyzDir(dir: string): boolean {
  if (!['x.tif', 'y.tif', 'z.tif', 'meta.json'].every((n) => existsSync(path.join(dir, n)))) return false;
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { format?: unknown }).format === 'tifxyz';
  } catch {
    return false;
  }
}

/** Why a tifxyz surface without rendered layers is not ingested, and what to do. */
export function tifxyzOnlyMessage(dir: string): string {
  return `${dir}: a tifxyz surface without rendered layers (no layers/): not ingested; ingest its scan, then render its 65 layers from it into the corpus with \`aunn render\` (or render layers/ with VC3D's vc_render_tifxyz and ingest the folder again)`;
}

export async function openSegment(dir: string, opts: SegmentOptions): Promise<IngestItem[]> {
  const id = opts.id ?? path.basename(path.resolve(dir));
  const guard = opts.guard ?? (async () => {});
  const layersDir = opts.layers
    ? undefined
    : ['layers', 'surface_volume'].map((d) => path.join(dir, d)).find((d) => existsSync(d));
  if (!opts.layers && !layersDir) throw new UserError(`${dir}: not a segment (no layers/ or surface_volume/ folder)`);
  const entries = await listVisible(dir);
  const files = new Map(entries.filter((e) => e.isFile).map((e) => [e.name, path.join(dir, e.name)]));
  const group = `${opts.scroll}/${id}`;

  const { volume: layers, source } = opts.layers ?? (await layersFolder(layersDir!, guard, opts.signal));
  const [layerCount, height, width] = layers.shape;
  const surfaceLayer = layerCount === LAYER_COUNT ? SURFACE_LAYER : Math.floor(layerCount / 2);
  if (layerCount !== LAYER_COUNT) {
    layers.warnings.push(
      `${layersDir ?? dir}: ${layerCount} layers, not ${LAYER_COUNT}; surface assumed at layer ${surfaceLayer}`,
    );
  }
  const segmentMeta = files.has('meta.json') ? await readJson(files.get('meta.json')!) : undefined;
  const { attachments, mesh } = await findMesh(dir, id, files, segmentMeta, guard);
  const layersItem: IngestItem = {
    name: `${id}/layers`,
    scroll: opts.scroll,
    modality: 'segment-layers',
    volume: layers,
    source,
    group,
    extra: {
      segment: id,
      surfaceLayer,
      layerCount,
      ...(mesh ? { mesh } : {}),
      ...(segmentMeta ? { segmentMeta } : {}),
      ...opts.layers?.extra,
    },
    ...(Object.keys(attachments).length ? { attachments } : {}),
  };
  const items: IngestItem[] = [layersItem];

  // labels and mask
  const pick = (...names: string[]) => names.map((n) => files.get(n)).find((f) => f !== undefined);
  const inkFile = pick(
    `${id}_inklabels.png`,
    'inklabels.png',
    `${id}_inklabels.tif`,
    `${id}_inklabels.tiff`,
    'inklabels.tif',
  );
  const maskFile = pick(`${id}_mask.png`, 'mask.png', `${id}_mask.tif`, 'mask.tif');
  const maskName = `${id}/mask`;
  // A 2-D image on the layers' grid, as a record of the segment's group.
  const imageItem = async (
    file: string,
    kind: string,
    modality: IngestItem['modality'],
    volume: VolumeSource,
    extra: Record<string, unknown>,
  ): Promise<IngestItem> => {
    if (volume.shape[1] !== height || volume.shape[2] !== width)
      throw new UserError(
        `${file}: ${volume.shape[2]}x${volume.shape[1]} does not match the segment layers (${width}x${height})`,
      );
    return {
      name: `${id}/${kind}`,
      scroll: opts.scroll,
      modality,
      volume,
      source: {
        path: path.resolve(file),
        sha256: await sha256File(file, opts.signal),
        format: file.toLowerCase().endsWith('.png') ? 'png' : 'tiff',
      },
      group,
      extra: { segment: id, ...extra },
    };
  };
  for (const [file, kind] of [
    [inkFile, 'inklabels'],
    [maskFile, 'mask'],
  ] as const) {
    if (!file) continue;
    await guard(file);
    // VC3D writes the tifxyz grid's valid-vertex mask as mask.tif beside x/y/z.tif, on that (coarser) grid and at
    // times with more than one page: it belongs to the surface, not to the layers.
    const surfaceMask = kind === 'mask' && mesh?.format === 'tifxyz' && path.basename(file) === 'mask.tif';
    if (surfaceMask && !(await isOnePageOf(file, height, width))) {
      layersItem.attachments = { ...layersItem.attachments, 'tifxyz-mask.tif': path.resolve(file) };
      (layersItem.extra!.mesh as Record<string, unknown>).mask = 'tifxyz-mask.tif';
      continue;
    }
    const volume = binarize(await openLabelImage(file));
    const extra = kind === 'inklabels' ? labelledExtra(segmentMeta, maskFile ? maskName : undefined) : {};
    items.push(await imageItem(file, kind, kind === 'mask' ? 'mask' : 'ink-labels', volume, extra));
  }
  const irFile = pick(`${id}_ir.png`, 'ir.png', `${id}_ir.tif`, `${id}_ir.tiff`, 'ir.tif');
  if (irFile) {
    await guard(irFile);
    // kept grey; ink is dark in the infrared photographs of the Herculaneum fragments
    const extra = { band: 'infrared', inkIs: 'dark' };
    items.push(await imageItem(irFile, 'ir', 'photo', await openLabelImage(irFile), extra));
  }
  // A mask that went to the tifxyz surface is no sheet mask of the labels.
  if (!items.some((i) => i.name === maskName))
    for (const i of items) if (i.extra?.sheetMask === maskName) delete i.extra.sheetMask;
  return items;
}

/** The layers of a `layers/` (or `surface_volume/`) folder of TIFFs, one per layer in name order. */
async function layersFolder(
  layersDir: string,
  guard: (file: string) => Promise<void>,
  signal?: AbortSignal,
): Promise<{ volume: VolumeSource; source: IngestItem['source'] }> {
  const layerNames = (await listVisible(layersDir))
    .filter((e) => e.isFile && /\.tiff?$/i.test(e.name))
    .map((e) => e.name);
  if (layerNames.length === 0) throw new UserError(`${layersDir}: empty folder (no layer .tif files)`);
  const layerFiles = layerNames.map((n) => path.join(layersDir, n));
  for (const f of layerFiles) await guard(f);
  const volume = await openTiffStack(layerFiles, signal);
  return {
    volume,
    source: {
      path: path.resolve(layersDir),
      sha256: await sha256Files(layersDir, layerNames, signal),
      format: 'tiff-stack',
    },
  };
}

/**
 * Where an ink-label image is meaningful. Vesuvius labels cover the whole segment, and its mask is only the valid
 * sheet (`sheetMask`), not a labelled area; a segment meta.json may narrow the labelled part to
 * `labelledRegion: [x0, y0, x1, y1)` (the sample scroll labels only its first third). Outside that region a 0 means
 * "unknown", not "no ink", so neither the ink readout nor the AUNN may learn from it.
 */
function labelledExtra(segmentMeta: unknown, maskName: string | undefined): Record<string, unknown> {
  const meta = (segmentMeta ?? {}) as Record<string, unknown>;
  const region = meta.labelledRegion;
  const valid = Array.isArray(region) && region.length === 4 && region.every((v) => typeof v === 'number');
  return { ...(valid ? { labelledRegion: region } : {}), ...(maskName ? { sheetMask: maskName } : {}) };
}

/** Whether a TIFF is one page of height x width (read from its directories only). */
async function isOnePageOf(file: string, height: number, width: number): Promise<boolean> {
  if ((await sniffFile(file)) !== 'tiff') return false;
  const tiff = await TiffFile.open(file);
  await tiff.close();
  return tiff.pages.length === 1 && tiff.pages[0]!.height === height && tiff.pages[0]!.width === width;
}

/** A 2-D label image (PNG or single-page TIFF), by content. */
export async function openLabelImage(file: string): Promise<VolumeSource> {
  const kind = await sniffFile(file);
  if (kind === 'png') return openPng(file);
  if (kind === 'tiff') {
    const volume = await openTiffPages(file);
    if (volume.shape[0] !== 1)
      throw new UserError(`${file}: a label image must have one page (has ${volume.shape[0]})`);
    return volume;
  }
  throw new UserError(`${file}: not a PNG or TIFF image`);
}

async function findMesh(
  dir: string,
  id: string,
  files: Map<string, string>,
  segmentMeta: Record<string, unknown> | undefined,
  guard: (f: string) => Promise<void>,
): Promise<{ attachments: Record<string, string>; mesh?: Record<string, unknown> }> {
  const objs = [...files.keys()].filter((n) => n.toLowerCase().endsWith('.obj'));
  const obj = files.get(`${id}.obj`) ?? (objs.length === 1 ? files.get(objs[0]!) : undefined);
  if (obj) {
    await guard(obj);
    const counts = await countObj(obj);
    if (counts.vertices === 0) throw new UserError(`${obj}: not an OBJ mesh (no vertices)`);
    return {
      attachments: { 'mesh.obj': path.resolve(obj) },
      mesh: { format: 'obj', file: path.basename(obj), ...counts, hasUV: counts.uvs > 0 },
    };
  }
  // tifxyz: in the segment folder itself (meta.json format "tifxyz") or in one sub-folder
  const candidates = [
    dir,
    ...(await listVisible(dir))
      .filter((e) => e.isDir && !['layers', 'surface_volume'].includes(e.name))
      .map((e) => path.join(dir, e.name)),
  ];
  for (const candidate of candidates) {
    const metaFile = path.join(candidate, 'meta.json');
    if (!['x.tif', 'y.tif', 'z.tif'].every((n) => existsSync(path.join(candidate, n))) || !existsSync(metaFile))
      continue;
    const meta = candidate === dir && segmentMeta ? segmentMeta : await readJson(metaFile);
    if (meta.format !== 'tifxyz') continue;
    const attachments: Record<string, string> = {};
    for (const n of ['x.tif', 'y.tif', 'z.tif']) {
      const f = path.join(candidate, n);
      await guard(f);
      if ((await sniffFile(f)) !== 'tiff') throw new UserError(`${f}: tifxyz coordinate file is not a TIFF`);
      attachments[n] = path.resolve(f);
    }
    await guard(metaFile);
    attachments['tifxyz.json'] = path.resolve(metaFile);
    return { attachments, mesh: { format: 'tifxyz', folder: path.relative(dir, candidate) || '.', scale: meta.scale } };
  }
  return { attachments: {} };
}

/** Counts `v`, `vt` and `f` lines of an OBJ, streamed. */
async function countObj(file: string): Promise<{ vertices: number; uvs: number; faces: number }> {
  let vertices = 0,
    uvs = 0,
    faces = 0,
    carry = '';
  for await (const chunk of createReadStream(file, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
    const lines = (carry + (chunk as string)).split('\n');
    carry = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('v ')) vertices++;
      else if (line.startsWith('vt ')) uvs++;
      else if (line.startsWith('f ')) faces++;
    }
  }
  if (carry.startsWith('v ')) vertices++;
  else if (carry.startsWith('vt ')) uvs++;
  else if (carry.startsWith('f ')) faces++;
  return { vertices, uvs, faces };
}
