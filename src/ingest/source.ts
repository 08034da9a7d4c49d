/**
 * What every format reader hands to the corpus: a volume it can read slab by slab, so a stack larger than RAM
 * is never loaded whole. Readers know formats; they know nothing of addresses or the store.
 *
 *   const vol = await openTiffStack('/data/volumes/20231201');
 *   for (let z = 0; z < vol.shape[0]; z += 16) { const slab = await vol.readSlab(z, Math.min(z + 16, vol.shape[0])); }
 */
import type { Modality } from '../corpus/index.js';

import type { SourceDtype } from '../formats/voxels.js';

export type { SourceDtype };

export interface VolumeSource {
  /** [z, y, x]; a 2-D image is [1, h, w]. */
  shape: [number, number, number];
  dtype: SourceDtype;
  /** Read planes [z0, z1) in raster order (z, y, x). */
  readSlab(z0: number, z1: number, signal?: AbortSignal): Promise<Uint8Array | Uint16Array>;
  voxelSizeUm?: [number, number, number];
  energyKeV?: number;
  affine?: number[];
  /** Sampled values for choosing a 16→8-bit window without reading everything twice (optional). */
  sampleValues?(count: number): Promise<Uint16Array | Uint8Array>;
  /** Warnings found while opening/reading (e.g. missing chunks read as fill value). */
  warnings: string[];
  /** A remote source's bytes so far: fetched over the network and served by the disk cache (for progress). */
  transfer?(): { fetchedBytes: number; cachedBytes: number };
}

/** One thing to add to the corpus, as a reader found it. */
export interface IngestItem {
  /** Short name inside the scroll, e.g. 'scanA', 'seg0001/layers', 'seg0001/inklabels'. */
  name: string;
  scroll: string;
  modality: Modality;
  volume: VolumeSource;
  source: { path: string; sha256: string; format: string };
  group?: string;
  /** A window the user asked for (--window LO,HI); otherwise robust percentiles are used for 16-bit data. */
  window?: [number, number];
  extra?: Record<string, unknown>;
  /** Files to copy into the corpus beside the record (e.g. the mesh), relative name → absolute source path. */
  attachments?: Record<string, string>;
}
