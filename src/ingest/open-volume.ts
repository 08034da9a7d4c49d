/**
 * One scan-like path (a file, a folder of slices or DICOM files, a zarr folder or URL) → a VolumeSource with its
 * source info and metadata, whatever the format. discover() and the volpkg reader share it.
 *
 *   const opened = await openVolume('/data/volumes/20231201', { level: 0 });
 *   opened.volume.shape; opened.source.format;   // [z, y, x], 'tiff-stack'
 */
import type { Region } from '../core/region.js';
import path from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { UserError } from '../core/errors.js';
import type { SourceInfo } from '../corpus/index.js';
import { sha256File, sha256Files } from './checksum.js';
import { openDicomSeries, openItkImage } from './readers/itk.js';
import { openPng } from './readers/image2d.js';
import { openTiffPages, openTiffStack } from './readers/tiff.js';
import { hasZarrMetadata, isUrl, openZarr } from './readers/zarr.js';
import { listVisible, readJson, sniffFile, vesuviusVolumeMeta } from './sniff.js';
import type { VolumeSource } from './source.js';

export interface OpenedVolume {
  volume: VolumeSource;
  source: SourceInfo;
  extra: Record<string, unknown>;
}

export interface OpenVolumeOptions {
  level?: number;
  /** A box of a zarr source (its level's voxels); other formats refuse it. */
  region?: Region;
  maxDim?: number;
  signal?: AbortSignal;
  /** Checks each file used stays where it may (volpkg). */
  guard?: (file: string) => Promise<void>;
}

const IGNORED_IN_STACK = /\.(json|txt|md|xml|csv|log|ini|yml|yaml)$/i;

export async function openVolume(location: string, opts: OpenVolumeOptions = {}): Promise<OpenedVolume> {
  if (isUrl(location)) {
    const z = await openZarr(location, opts);
    return { volume: z.volume, source: { path: location, sha256: z.sha256, format: z.format }, extra: z.extra };
  }
  const abs = path.resolve(location);
  if (opts.region && !hasZarrMetadata(abs))
    throw new UserError(`${location}: --region reads a box of a zarr store; this is not one`);
  const info = await stat(abs).catch(() => undefined);
  if (!info) throw new UserError(`${location}: no such file or folder`);
  if (info.isDirectory()) return openFolder(abs, opts);
  return openFile(abs, opts);
}

async function openFile(file: string, opts: OpenVolumeOptions): Promise<OpenedVolume> {
  const kind = await sniffFile(file);
  const lower = file.toLowerCase();
  const done = async (
    volume: VolumeSource,
    format: string,
    extra: Record<string, unknown> = {},
  ): Promise<OpenedVolume> => ({
    volume,
    source: { path: file, sha256: await sha256File(file, opts.signal), format },
    extra,
  });
  switch (kind) {
    case 'tiff': {
      const volume = await openTiffPages(file);
      return done(volume, volume.shape[0] > 1 ? 'tiff-multipage' : 'tiff');
    }
    case 'png':
      return done(await openPng(file), 'png');
    case 'nrrd':
    case 'nifti':
    case 'mha': {
      const dataFile = kind === 'mha' ? await metaImageDataFile(file) : undefined;
      const { volume } = await openItkImage(file, kind, opts);
      if (!dataFile) return done(volume, kind);
      const dir = path.dirname(file);
      const sha256 = await sha256Files(dir, [path.basename(file), path.relative(dir, dataFile)], opts.signal);
      return { volume, source: { path: file, sha256, format: kind }, extra: { dataFile } };
    }
    case 'dicom': {
      const { volume, extra } = await openDicomSeries([file], opts);
      return done(volume, 'dicom', extra);
    }
    default:
      if (/\.tiff?$/.test(lower))
        throw new UserError(`${file}: not a TIFF file (the first bytes are not a TIFF header; a renamed file?)`);
      if (/\.nii(\.gz)?$/.test(lower))
        throw new UserError(
          `${file}: not a NIfTI file (wrong header: sizeof_hdr is not 348 or the magic is not "n+1"/"ni1")`,
        );
      if (/\.(nrrd|nhdr)$/.test(lower)) throw new UserError(`${file}: not a NRRD file (no "NRRD" magic)`);
      if (/\.(mha|mhd)$/.test(lower)) throw new UserError(`${file}: not a MetaImage file (no ObjectType/NDims header)`);
      if (/\.png$/.test(lower)) throw new UserError(`${file}: not a PNG file (no PNG signature)`);
      throw new UserError(
        `${file}: unrecognised format (${kind}); expected a TIFF, PNG, NRRD, NIfTI, MetaImage or DICOM file, or a zarr / slice folder`,
      );
  }
}

async function openFolder(dir: string, opts: OpenVolumeOptions): Promise<OpenedVolume> {
  if (hasZarrMetadata(dir)) {
    const z = await openZarr(dir, opts);
    return { volume: z.volume, source: { path: dir, sha256: z.sha256, format: z.format }, extra: z.extra };
  }
  if (/\.zarr$/i.test(dir))
    throw new UserError(`${dir}: zarr folder without .zarray, .zgroup or zarr.json (missing metadata)`);
  const entries = await listVisible(dir);
  if (entries.length === 0) throw new UserError(`${dir}: empty folder`);
  const tiffs: string[] = [],
    dicoms: string[] = [];
  for (const e of entries) {
    if (!e.isFile || IGNORED_IN_STACK.test(e.name)) continue;
    const file = path.join(dir, e.name);
    await opts.guard?.(file);
    const kind = await sniffFile(file);
    if (kind === 'tiff') tiffs.push(file);
    else if (kind === 'dicom') dicoms.push(file);
    else if (/\.tiff?$/i.test(e.name))
      throw new UserError(`${file}: not a TIFF file (the first bytes are not a TIFF header; a renamed file?)`);
    else if (/\.dcm$/i.test(e.name)) throw new UserError(`${file}: not a DICOM file (no DICM marker)`);
  }
  if (tiffs.length > 0 && dicoms.length > 0)
    throw new UserError(`${dir}: mixes TIFF and DICOM files; give one series per folder`);
  // volume_grids cells are tiles of the volume in y, x and z (multi-page each), not slices: stacked they would
  // silently make a wrong volume.
  const cell = tiffs.find((f) => /^cell_yxz_\d+_\d+_\d+\.tiff?$/i.test(path.basename(f)));
  if (cell)
    throw new UserError(
      `${dir}: volume_grids cells (${path.basename(cell)}: tiles in y, x and z) are not supported; ingest the volume's slices (volumes/<id>/) or its zarr`,
    );
  const names = (files: string[]) => files.map((f) => path.basename(f));
  if (dicoms.length > 0) {
    const { volume, extra } = await openDicomSeries(dicoms, opts);
    return {
      volume,
      source: { path: dir, sha256: await sha256Files(dir, names(dicoms), opts.signal), format: 'dicom' },
      extra,
    };
  }
  if (tiffs.length === 0)
    throw new UserError(`${dir}: no image files (expected NNNNN.tif slices, DICOM files, or zarr metadata)`);
  const volume = tiffs.length === 1 ? await openTiffPages(tiffs[0]!) : await openTiffStack(tiffs, opts.signal);
  const extra: Record<string, unknown> = {};
  const metaFile = path.join(dir, 'meta.json');
  if (entries.some((e) => e.name === 'meta.json')) {
    const meta = await readJson(metaFile);
    Object.assign(volume, vesuviusVolumeMeta(meta, metaFile));
    extra.volumeMeta = meta;
  }
  const format = tiffs.length === 1 ? (volume.shape[0] > 1 ? 'tiff-multipage' : 'tiff') : 'tiff-stack';
  return { volume, source: { path: dir, sha256: await sha256Files(dir, names(tiffs), opts.signal), format }, extra };
}

/** The separate data file a MetaImage header names (ElementDataFile other than LOCAL), checked to exist. */
async function metaImageDataFile(file: string): Promise<string | undefined> {
  const header = (await readFile(file)).subarray(0, 65536).toString('latin1');
  const name = /^\s*ElementDataFile\s*=\s*(.+?)\s*$/m.exec(header)?.[1];
  if (!name || name === 'LOCAL') return undefined;
  if (/^LIST|%/.test(name))
    throw new UserError(`${file}: MetaImage with a list of data files (${name}) is not supported`);
  const dataFile = path.resolve(path.dirname(file), name);
  if (!(await stat(dataFile).catch(() => undefined))?.isFile()) {
    throw new UserError(`${file}: its data file ${name} (ElementDataFile) is missing`);
  }
  return dataFile;
}
