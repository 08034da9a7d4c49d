/**
 * A Vesuvius volume package (`*.volpkg/`) → the IngestItems of one scroll: every `volumes/<id>/` (TIFF slice stack +
 * meta.json, or a zarr / OME-Zarr) as a 'scan' named `<id>`, and every `paths/<segment>/` and a fragment package's
 * `working/<name>/` (surface_volume/, inklabels.png, mask.png) as segment items (see segment.ts). The scroll is config.json's `name`, else the folder name without `.volpkg`. Every file used must stay
 * inside the package after resolving symlinks (`../`, links out → UserError).
 *
 *   const items = await openVolpkg('/data/PHerc0332.volpkg', {});
 */
import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { openVolume } from '../open-volume.js';
import { assertInside, listVisible, readJson, stem } from '../sniff.js';
import type { IngestItem } from '../source.js';
import { isSegmentDir, isTifxyzDir, openSegment, tifxyzOnlyMessage } from './segment.js';

export function isVolpkgDir(dir: string): boolean {
  return (
    /\.volpkg$/i.test(path.resolve(dir)) ||
    (existsSync(path.join(dir, 'config.json')) &&
      ['volumes', 'paths', 'working'].some((d) => existsSync(path.join(dir, d))))
  );
}

export interface VolpkgOptions {
  scroll?: string;
  level?: number;
  maxDim?: number;
  signal?: AbortSignal;
}

export async function openVolpkg(dir: string, opts: VolpkgOptions): Promise<IngestItem[]> {
  const root = await realpath(dir);
  const guard = async (file: string) => {
    await assertInside(root, file, 'path inside the volpkg');
  };
  const configFile = path.join(dir, 'config.json');
  const config = existsSync(configFile) ? await readJson(configFile) : {};
  const scroll =
    opts.scroll ?? (typeof config.name === 'string' && config.name.trim() ? config.name.trim() : stem(dir));
  const items: IngestItem[] = [];
  const volumesDir = path.join(dir, 'volumes');
  if (existsSync(volumesDir)) {
    await guard(volumesDir);
    for (const entry of await listVisible(volumesDir)) {
      const location = path.join(volumesDir, entry.name);
      await guard(location);
      if (!entry.isDir && !/\.(zarr|tiff?|nrrd|nii|nii\.gz|mha)$/i.test(entry.name)) continue;
      const opened = await openVolume(location, { ...opts, guard });
      items.push({
        name: stem(entry.name),
        scroll,
        modality: 'scan',
        volume: opened.volume,
        source: opened.source,
        extra: { ...opened.extra, volpkg: path.resolve(dir), volumeId: entry.name },
      });
    }
  }
  // Segments of the scroll (paths/), and a fragment package's working/<name>/ (surface_volume/, inklabels.png,
  // mask.png): both are segments of layers on a surface.
  const skipped: string[] = [];
  for (const segmentDir of await volpkgSegmentDirs(dir, guard)) {
    if (!isSegmentDir(segmentDir)) {
      if (isTifxyzDir(segmentDir)) skipped.push(tifxyzOnlyMessage(segmentDir));
      continue;
    }
    items.push(...(await openSegment(segmentDir, { scroll, guard, ...(opts.signal ? { signal: opts.signal } : {}) })));
  }
  if (items.length === 0 && skipped.length) throw new UserError(skipped[0]!);
  // With a scan in the package, ingest renders these surfaces from it afterwards (volpkg-surfaces.ts); without one,
  // said at ingest (as the first record's warnings), not skipped in silence.
  if (skipped.length && !items.some((i) => i.modality === 'scan')) items[0]!.volume.warnings.push(...skipped);
  if (items.length === 0)
    throw new UserError(
      `${dir}: volpkg without volumes or segments (volumes/<id>/, paths/<segment>/layers/, working/<fragment>/surface_volume/)`,
    );
  linkSegmentsToVolumes(items);
  return items;
}

/**
 * A segment whose meta.json names its volume (`"volume": "<id>"`) samples that volume at its voxel spacing (the
 * Vesuvius convention: one layer pixel = one volume voxel), so its items get the volume's voxel size and
 * `extra.volume` = the scan's item name.
 */
function linkSegmentsToVolumes(items: IngestItem[]): void {
  const scans = items.filter((i) => i.modality === 'scan');
  for (const layers of items.filter((i) => i.modality === 'segment-layers')) {
    const volumeId = (layers.extra?.segmentMeta as Record<string, unknown> | undefined)?.volume;
    if (typeof volumeId !== 'string') continue;
    const scan = scans.find((s) => isNamedVolume(s, volumeId));
    if (!scan) continue;
    for (const member of items.filter((i) => i.group !== undefined && i.group === layers.group)) {
      member.extra = { ...member.extra, volume: scan.name };
      if (scan.volume.voxelSizeUm && !member.volume.voxelSizeUm)
        member.volume.voxelSizeUm = [...scan.volume.voxelSizeUm];
    }
  }
}

/** The folders under a package's paths/ and working/: its segments, and surfaces without layers (each guarded). */
export async function volpkgSegmentDirs(
  dir: string,
  guard: (file: string) => Promise<void> = async () => {},
): Promise<string[]> {
  const dirs: string[] = [];
  for (const sub of ['paths', 'working']) {
    const parent = path.join(dir, sub);
    if (!existsSync(parent)) continue;
    await guard(parent);
    for (const entry of await listVisible(parent)) {
      if (!entry.isDir) continue;
      const segmentDir = path.join(parent, entry.name);
      await guard(segmentDir);
      dirs.push(segmentDir);
    }
  }
  return dirs;
}

/**
 * Whether a scan (an item named `<id>`, or its record `<scroll>/<id>`) is the volume a segment's meta.json names:
 * by that name, or by its volume folder or file (`extra.volumeId`, with or without its extension).
 */
export function isNamedVolume(scan: { name: string; extra?: Record<string, unknown> }, volumeId: string): boolean {
  const folder = String(scan.extra?.volumeId ?? '');
  return scan.name.split('/').pop() === volumeId || folder === volumeId || stem(folder) === volumeId;
}
