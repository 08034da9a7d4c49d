/**
 * A volpkg's tifxyz surfaces without rendered layers (VC3D's `paths/<id>/` with x/y/z.tif only) are rendered at
 * ingest, once the package's scans are in the corpus: each from the scan its meta.json names (`"volume": "<id>"`),
 * else from the package's only scan (render-tifxyz.ts, the same as `aunn render`). A surface that cannot be
 * rendered is said in one line and skipped; the scans and segments already ingested stay.
 *
 *   const records = await ingestItems(corpus, await discoverItems(pkg), opts);
 *   const rendered = await renderVolpkgSurfaces(corpus, pkg, records, { onWarning: console.warn });   // aunn ingest does this
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Corpus, RecordMeta } from '../corpus/index.js';
import type { TaskOptions } from '../core/task.js';
import { isSegmentDir, isTifxyzDir } from './readers/segment.js';
import { isNamedVolume, isVolpkgDir, volpkgSegmentDirs } from './readers/volpkg.js';
import { renderTifxyz } from './render-tifxyz.js';

/** tifxyz-only surface folders under a volpkg's paths/ and working/, with the volume id their meta.json names. */
export async function tifxyzOnlySurfaces(pkg: string): Promise<Array<{ dir: string; volume?: string }>> {
  if (!isVolpkgDir(pkg)) return [];
  const found: Array<{ dir: string; volume?: string }> = [];
  for (const dir of await volpkgSegmentDirs(pkg)) {
    if (isSegmentDir(dir) || !isTifxyzDir(dir)) continue;
    let volume: string | undefined;
    try {
      const v = (JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { volume?: unknown }).volume;
      if (typeof v === 'string') volume = v;
    } catch {
      // isTifxyzDir parsed it; a file changed since is the renderer's to report
    }
    found.push({ dir, ...(volume ? { volume } : {}) });
  }
  return found;
}

/** The scan record a surface is drawn from: the one its meta.json names, else the only one; undefined if unclear. */
export function scanForSurface(scans: RecordMeta[], volume: string | undefined): RecordMeta | undefined {
  const named = volume ? scans.find((s) => isNamedVolume(s, volume)) : undefined;
  return named ?? (scans.length === 1 ? scans[0] : undefined);
}

export async function renderVolpkgSurfaces(
  corpus: Corpus,
  source: string,
  ingested: RecordMeta[],
  opts: TaskOptions & { onWarning?: (line: string) => void } = {},
): Promise<RecordMeta[]> {
  const surfaces = await tifxyzOnlySurfaces(source);
  const scans = ingested.filter((r) => r.modality === 'scan');
  const rendered: RecordMeta[] = [];
  for (const s of surfaces) {
    opts.signal?.throwIfAborted();
    const scan = scanForSurface(scans, s.volume);
    if (!scan) {
      opts.onWarning?.(
        `${s.dir}: a tifxyz surface without layers, and no scan of this package to render it from${s.volume ? ` (its meta.json names volume ${s.volume})` : ''}: render it with aunn render --scan <record>`,
      );
      continue;
    }
    try {
      rendered.push(
        ...(await renderTifxyz(corpus, s.dir, {
          scan: scan.name,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        })),
      );
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      opts.onWarning?.(`${s.dir}: not rendered (${(err as Error).message.split('\n')[0]})`);
    }
  }
  return rendered;
}
