/**
 * A Vesuvius volume package (`*.volpkg/`) → the IngestItems of one scroll: every `volumes/<id>/` (TIFF slice stack +
 * meta.json, or a zarr / OME-Zarr) as a 'scan' named `<id>`, and every `paths/<segment>/` as segment items (see
 * segment.ts). The scroll is config.json's `name`, else the folder name without `.volpkg`. Every file used must stay
 * inside the package after resolving symlinks (`../`, links out → UserError).
 *
 *   const items = await openVolpkg('/data/PHerc0332.volpkg', {});
 */
import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../cli/errors.js';
import { openVolume } from '../open-volume.js';
import { assertInside, listVisible, readJson, stem } from '../sniff.js';
import type { IngestItem } from '../source.js';
import { isSegmentDir, openSegment } from './segment.js';

export function isVolpkgDir(dir: string): boolean {
  return /\.volpkg$/i.test(path.resolve(dir)) || (existsSync(path.join(dir, 'config.json')) && (existsSync(path.join(dir, 'volumes')) || existsSync(path.join(dir, 'paths'))));
}

export interface VolpkgOptions { scroll?: string; level?: number; maxDim?: number; signal?: AbortSignal }

export async function openVolpkg(dir: string, opts: VolpkgOptions): Promise<IngestItem[]> {
  const root = await realpath(dir);
  const guard = async (file: string) => { await assertInside(root, file, 'path inside the volpkg'); };
  const configFile = path.join(dir, 'config.json');
  const config = existsSync(configFile) ? await readJson(configFile) : {};
  const scroll = opts.scroll ?? (typeof config.name === 'string' && config.name.trim() ? config.name.trim() : stem(dir));
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
  const pathsDir = path.join(dir, 'paths');
  if (existsSync(pathsDir)) {
    await guard(pathsDir);
    for (const entry of await listVisible(pathsDir)) {
      if (!entry.isDir) continue;
      const segmentDir = path.join(pathsDir, entry.name);
      await guard(segmentDir);
      if (!isSegmentDir(segmentDir)) continue;
      items.push(...(await openSegment(segmentDir, { scroll, guard, ...(opts.signal ? { signal: opts.signal } : {}) })));
    }
  }
  if (items.length === 0) throw new UserError(`${dir}: volpkg without volumes or segments (volumes/<id>/, paths/<segment>/layers/)`);
  return items;
}
