/**
 * Entry point of the readers: a path or URL → the IngestItems it holds, format detected from content and layout
 * (magic bytes, folder structure), not only from the extension. Nothing is written; volumes are read lazily later.
 *
 *   const items = await discover('/data/PHerc0332.volpkg', {});                  // scans + segments of one scroll
 *   const [scan] = await discover('https://host/scan.ome.zarr', { scroll: 's1', level: 1 });
 *   const [text] = await discover('/data/col1.txt', { as: 'text', scroll: 's1' });
 *
 * Defaults: the scroll is the volpkg's config name, else the name of the folder/file given (without extension); a
 * segment inside `<pkg>/paths/` takes the package's name. Every axis must be ≤ maxDim (default 65536).
 */
import type { Region } from '../core/region.js';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { Modality } from '../corpus/index.js';
import { sha256File } from './checksum.js';
import { openVolume } from './open-volume.js';
import { binarize } from './readers/image2d.js';
import {
  isSegmentDir,
  isTifxyzDir,
  LAYER_COUNT,
  openLabelImage,
  openSegment,
  SURFACE_LAYER,
  tifxyzOnlyMessage,
} from './readers/segment.js';
import { openText } from './readers/text.js';
import { isVolpkgDir, openVolpkg } from './readers/volpkg.js';
import { hasZarrMetadata, isUrl, openZarr } from './readers/zarr.js';
import { assertDims, DEFAULT_MAX_DIM } from './readers/volume-util.js';
import { listVisible, readJson, sniffFile, stem, volumeStem } from './sniff.js';
import type { IngestItem } from './source.js';

export interface DiscoverOptions {
  scroll?: string;
  as?: 'scan' | 'segment' | 'labels' | 'text';
  /** 16→8-bit window [lo, hi] in source units (otherwise the ingest picks robust percentiles). */
  window?: [number, number];
  /** OME-Zarr multiscale level (default 0). */
  level?: number;
  /** Only this box of a zarr scan (the level's voxels). */
  region?: Region;
  /** Largest size allowed on any axis (default 65536). */
  maxDim?: number;
  /** Voxel size [z, y, x] in µm of everything found, over what the files say (`--voxel-size`). */
  voxelSizeUm?: [number, number, number];
  signal?: AbortSignal;
}

/**
 * A scroll name becomes a folder-like prefix of record names: non-empty, at most 200 characters, no '/' or '\\', not
 * '.' or '..', no control characters.
 */
function checkScrollName(name: string, file: string | undefined): void {
  const bad =
    !name.trim() ||
    name.length > 200 ||
    /[/\\]/.test(name) ||
    name === '.' ||
    name === '..' ||
    /[\u0000-\u001f\u007f]/.test(name);
  if (!bad) return;
  throw new UserError(
    `${file ? `${file}: ` : ''}scroll name ${JSON.stringify(name)}: must be 1-200 characters, not '.' or '..', without '/', '\\' or control characters`,
    file ? { file } : { options: ['scroll'] },
  );
}

export async function discover(location: string, opts: DiscoverOptions = {}): Promise<IngestItem[]> {
  const maxDim = opts.maxDim ?? DEFAULT_MAX_DIM;
  if (opts.scroll !== undefined) checkScrollName(opts.scroll, undefined);
  const items = await discoverItems(location, { ...opts, maxDim });
  if (items.length === 0) throw new UserError(`${location}: nothing to ingest found`);
  for (const item of items) {
    // A name from a volpkg's config.json is checked like one typed with --scroll.
    if (item.scroll !== opts.scroll) checkScrollName(item.scroll, item.source.path);
    assertDims(item.volume.shape, maxDim, item.source.path);
    if (opts.window && item.volume.dtype === 'uint16') item.window = opts.window;
    if (opts.voxelSizeUm) {
      item.volume.voxelSizeUm = [...opts.voxelSizeUm];
      // The reader's request for a voxel size is answered.
      item.volume.warnings = item.volume.warnings.filter((w) => !w.includes('give --voxel-size'));
    }
  }
  resolveScanAffines(items);
  return items;
}

async function discoverItems(location: string, opts: DiscoverOptions & { maxDim: number }): Promise<IngestItem[]> {
  if (isUrl(location)) return [await scanItem(location, opts, volumeStem(new URL(location).pathname))];
  const abs = path.resolve(location);
  const info = await stat(abs).catch(() => undefined);
  if (!info) throw new UserError(`${location}: no such file or folder`);
  // A FIFO, socket or device (/dev/zero) would block or never end: only files and folders are read.
  if (!info.isDirectory() && !info.isFile())
    throw new UserError(`${abs}: not a regular file or folder (a pipe, socket or device cannot be ingested)`, {
      file: abs,
    });
  if (info.isDirectory()) {
    if ((await listVisible(abs)).length === 0 && !hasZarrMetadata(abs)) throw new UserError(`${abs}: empty folder`);
    if (opts.as === 'text' || opts.as === 'labels')
      throw new UserError(`${abs}: ingesting as ${opts.as} needs a file, not a folder`, { file: abs, options: ['as'] });
    if (opts.as === 'segment' && hasZarrMetadata(abs)) return [await surfaceVolumeItem(abs, opts)];
    if (opts.as === 'segment') {
      if (!isSegmentDir(abs)) throw new UserError(`${abs}: not a segment folder (no layers/ or surface_volume/)`);
      return openSegment(abs, await segmentOptions(abs, opts));
    }
    if (!opts.as && !hasZarrMetadata(abs) && isVolpkgDir(abs)) return openVolpkg(abs, opts);
    if (!opts.as && isSegmentDir(abs)) return openSegment(abs, await segmentOptions(abs, opts));
    if (!opts.as && !hasZarrMetadata(abs)) {
      const segments = (await listVisible(abs)).filter((e) => e.isDir && isSegmentDir(path.join(abs, e.name)));
      if (segments.length > 0) {
        const scroll =
          opts.scroll ??
          (path.basename(abs) === 'paths' && isVolpkgDir(path.dirname(abs))
            ? await volpkgName(path.dirname(abs))
            : stem(abs));
        const all: IngestItem[] = [];
        for (const s of segments)
          all.push(
            ...(await openSegment(path.join(abs, s.name), { scroll, ...(opts.signal ? { signal: opts.signal } : {}) })),
          );
        return all;
      }
    }
    if (isTifxyzDir(abs) && !isSegmentDir(abs)) throw new UserError(tifxyzOnlyMessage(abs), { file: abs });
    const scan = await scanItem(abs, opts, volumeStem(abs));
    // A zarr of (H, W, 65) is a fragment's surface volume (layers last), not a scan 65 voxels wide.
    if (!opts.as && hasZarrMetadata(abs) && looksLikeSurfaceVolume(scan.volume.shape))
      return [await surfaceVolumeItem(abs, opts)];
    return [scan];
  }
  // a file
  if (opts.as === 'segment')
    throw new UserError(`${abs}: ingesting as segment needs a segment folder (with layers/)`, {
      file: abs,
      options: ['as'],
    });
  const kind = await sniffFile(abs);
  const scroll = opts.scroll ?? (await volpkgAncestorName(abs)) ?? stem(path.dirname(abs));
  if (opts.as === 'text' || (!opts.as && kind === 'text' && /\.txt$/i.test(abs))) {
    const { volume, extra } = await openText(abs);
    return [
      {
        name: stem(abs),
        scroll,
        modality: 'text',
        volume,
        source: { path: abs, sha256: await sha256File(abs, opts.signal), format: 'text' },
        extra,
      },
    ];
  }
  if (kind === 'obj')
    throw new UserError(`${abs}: a mesh alone cannot be ingested; give its segment folder (with layers/)`);
  const labelKind = labelKindOf(abs, opts.as);
  if (labelKind && (kind === 'png' || kind === 'tiff')) {
    const volume = binarize(await openLabelImage(abs));
    const segment = stem(abs).replace(/_(inklabels|mask)$/i, '');
    return [
      {
        name: `${segment}/${labelKind === 'mask' ? 'mask' : 'inklabels'}`,
        scroll,
        modality: labelKind,
        volume,
        source: { path: abs, sha256: await sha256File(abs, opts.signal), format: kind },
        group: `${scroll}/${segment}`,
        extra: { segment },
      },
    ];
  }
  if (opts.as === 'labels')
    throw new UserError(`${abs}: ingesting as labels needs a PNG or TIFF image`, { file: abs, options: ['as'] });
  return [await scanItem(abs, opts, stem(abs))];
}

/** 'ink-labels' / 'mask' for a label image: asked with --as labels, or named like `<id>_inklabels.png` / `mask.png`. */
function labelKindOf(file: string, as: DiscoverOptions['as']): Modality | undefined {
  if (as && as !== 'labels') return undefined;
  const base = path.basename(file).toLowerCase();
  if (/(^|_)mask\.(png|tiff?)$/.test(base)) return 'mask';
  if (as === 'labels' || /(^|_)inklabels\.(png|tiff?)$/.test(base)) return 'ink-labels';
  return undefined;
}

async function scanItem(
  location: string,
  opts: DiscoverOptions & { maxDim: number },
  name: string,
): Promise<IngestItem> {
  const opened = await openVolume(location, opts);
  const scroll = opts.scroll ?? (await volpkgAncestorName(location)) ?? name;
  return { name, scroll, modality: 'scan', volume: opened.volume, source: opened.source, extra: opened.extra };
}

/** (H, W, 65) with H and W well above 65: the Vesuvius surface-volume zarr (chunks (1024, 1024, 1)). */
function looksLikeSurfaceVolume([h, w, layers]: [number, number, number]): boolean {
  return layers === LAYER_COUNT && h > 2 * LAYER_COUNT && w > 2 * LAYER_COUNT;
}

/** A surface-volume zarr (H, W, layers) as a segment's layers [layers, H, W]. */
async function surfaceVolumeItem(abs: string, opts: DiscoverOptions): Promise<IngestItem> {
  const opened = await openZarr(abs, { level: opts.level, signal: opts.signal, layersLast: true });
  const id = volumeStem(abs);
  const scroll = opts.scroll ?? (await volpkgAncestorName(abs)) ?? id;
  const layers = opened.volume.shape[0];
  const surfaceLayer = layers === LAYER_COUNT ? SURFACE_LAYER : Math.floor(layers / 2);
  if (layers !== LAYER_COUNT)
    opened.volume.warnings.push(
      `${abs}: ${layers} layers, not ${LAYER_COUNT}; surface assumed at layer ${surfaceLayer}`,
    );
  return {
    name: `${id}/layers`,
    scroll,
    modality: 'segment-layers',
    volume: opened.volume,
    source: { path: abs, sha256: opened.sha256, format: opened.format },
    group: `${scroll}/${id}`,
    extra: { ...opened.extra, segment: id, surfaceLayer, layerCount: layers, sourceAxes: 'y,x,layer' },
  };
}

async function segmentOptions(dir: string, opts: DiscoverOptions) {
  return {
    scroll: opts.scroll ?? (await volpkgAncestorName(dir)) ?? stem(dir),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

async function volpkgName(dir: string): Promise<string> {
  const config = path.join(dir, 'config.json');
  if (existsSync(config)) {
    const name = (await readJson(config)).name;
    if (typeof name === 'string' && name.trim()) return name.trim();
  }
  return stem(dir);
}

async function volpkgAncestorName(location: string): Promise<string | undefined> {
  if (isUrl(location)) return undefined;
  const pkg = volpkgAncestor(location);
  return pkg ? volpkgName(pkg) : undefined;
}

function volpkgAncestor(location: string): string | undefined {
  let dir = path.dirname(path.resolve(location));
  while (dir !== path.dirname(dir)) {
    if (/\.volpkg$/i.test(dir)) return dir;
    dir = path.dirname(dir);
  }
  return undefined;
}

/**
 * Scans that carry the sample generator's `affineToScanA` (voxel → scan A voxel) get a µm affine when scan A is among
 * the items of the same scroll: scan A is the scan whose matrix is the identity (or, if none, the scan without one).
 * affine = diag(scan A voxel size x, y, z, 1) · affineToScanA. Scan A itself gets diag(voxel size).
 */
export function resolveScanAffines(items: IngestItem[]): void {
  const isIdentity = (m: number[]) => m.every((v, i) => v === (i % 5 === 0 ? 1 : 0));
  for (const scroll of new Set(items.map((i) => i.scroll))) {
    const scans = items.filter((i) => i.scroll === scroll && i.modality === 'scan');
    const withMatrix = scans.filter((i) => Array.isArray(i.extra?.affineToScanA));
    if (withMatrix.length === 0) continue;
    const reference =
      scans.find((i) => Array.isArray(i.extra?.affineToScanA) && isIdentity(i.extra!.affineToScanA as number[])) ??
      (scans.length > withMatrix.length ? scans.find((i) => !Array.isArray(i.extra?.affineToScanA)) : undefined);
    const vs = reference?.volume.voxelSizeUm;
    if (!reference || !vs) continue;
    const scaleXyz = [vs[2], vs[1], vs[0]];
    for (const scan of withMatrix) {
      const m = scan.extra!.affineToScanA as number[];
      scan.volume.affine = m.map((v, i) => (i < 12 ? v * scaleXyz[Math.floor(i / 4)]! : v));
      scan.extra!.scanA = reference.name;
    }
    if (!Array.isArray(reference.extra?.affineToScanA)) {
      reference.volume.affine = [scaleXyz[0]!, 0, 0, 0, 0, scaleXyz[1]!, 0, 0, 0, 0, scaleXyz[2]!, 0, 0, 0, 0, 1];
    }
  }
}
