/**
 * The shape of the index space, shared by every folder: what a record is and what the manifest holds.
 * Only plain data here; the code that allocates, reads and writes lives beside it in src/corpus/.
 *
 * Addresses: every record is a 3-D block [z, y, x] (2-D images are [1, h, w], text is [1, 1, n]) with each axis
 * padded to a power of two. Its base address is aligned to its padded size, so the binary address of an element is
 * `[record bits | z bits | y bits | x bits]`. Addresses are JS numbers (exact up to 2^53; 40 bits by default).
 */

export type Modality = 'scan' | 'segment-layers' | 'ink-labels' | 'mask' | 'photo' | 'text' | 'prediction';

/** What a derived (prediction) array holds. */
export type PredictionKind = 'value' | 'uncertainty' | 'ink' | 'rendered-layers';

export interface SourceInfo {
  /** Path (or URL) the data came from, as the user gave it, resolved to absolute for local files. */
  path: string;
  /** sha256 of the source bytes (for folders: of the sorted file list with each file's sha256). */
  sha256: string;
  /** Detected format, e.g. 'tiff-stack', 'tiff-multipage', 'zarr-v2', 'ome-zarr', 'nrrd', 'nifti', 'mha', 'dicom', 'png', 'obj', 'tifxyz', 'text'. */
  format: string;
}

export interface RecordMeta {
  /** Position in manifest.records; never reused. */
  id: number;
  /** Unique, human-readable: `<scroll>/<name>` e.g. `scroll1/20231201-scanA`. */
  name: string;
  /** The scroll (or fragment) this record belongs to. */
  scroll: string;
  modality: Modality;
  /** Logical shape [z, y, x] of level 0. */
  shape: [number, number, number];
  /** log2 of each padded axis: padded = 2 ** bits. */
  bits: [number, number, number];
  /** Absolute address of element (0,0,0); a multiple of the block size 2 ** (bits sum). */
  base: number;
  /** Stored dtype; always uint8 in the index space (16-bit sources are windowed). */
  dtype: 'uint8';
  /** Voxel size in µm per axis [z, y, x], when known. */
  voxelSizeUm?: [number, number, number];
  energyKeV?: number;
  /** The 16→8-bit window [lo, hi] in source units, when the source was not 8-bit. */
  window?: [number, number];
  /** 4x4 row-major matrix from this record's voxel coordinates (x, y, z, 1) to its scroll's physical frame (µm). */
  affine?: number[];
  source: SourceInfo;
  /** Zarr group of the record inside data.zarr (e.g. `records/7`); level L is the uint8 array `${array}/${L}` (store.ts). */
  array: string;
  /** Number of pyramid levels stored (1 = only full resolution). Level L is 2^L times coarser in every axis > 1. */
  levels: number;
  /** Records that share a grid (a segment's layers, labels, mask, predictions) share a group name. */
  group?: string;
  /** For predictions: which record they predict and what they hold. Predictions are never training data. */
  prediction?: { of: string; kind: PredictionKind; model?: string };
  /** Whether the model may train on this record (false for predictions unless the user says so). */
  trainable: boolean;
  /** Anything else a reader found worth keeping (mesh file inside the corpus, segment meta, text encoding...). */
  extra?: Record<string, unknown>;
}

export interface Manifest {
  format: 'scroll-aunn-corpus';
  version: 1;
  /** Total address bits of the index space (default 40). */
  addressBits: number;
  /** First free address: the next record is allocated at or above it. */
  next: number;
  records: RecordMeta[];
}
