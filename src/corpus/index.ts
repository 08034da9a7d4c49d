/**
 * The corpus API: one index space over every datum the app knows (see corpus.ts, address.ts).
 *
 *   import { Corpus, addressOf, locate } from './index.js';
 *   const corpus = await Corpus.open('./corpus');
 *   const rec = corpus.record('scroll1/scanA');
 *   const bytes = await corpus.readRecord(rec, 1);
 */
export {
  Corpus,
  type CorpusWriter,
  type NewRecordMeta,
  type Region,
  type RecordFilter,
  type AppendOptions,
  type WriteSlab,
} from './corpus.js';
export {
  addressOf,
  addressesOf,
  allocate,
  blockSize,
  coordsOf,
  DEFAULT_ADDRESS_BITS,
  locate,
  locateMany,
  paddedBits,
  recordRange,
  type Bits3,
} from './address.js';
export { levelCountOf, levelShapeOf } from './pyramid.js';
export type { Manifest, Modality, PredictionKind, RecordMeta, SourceInfo } from './types.js';
export { MANIFEST_FILE, emptyManifest } from './manifest.js';
export { readSideFile, sideFilePath, SIDE_FILE_ROOTS } from './side-files.js';
export { exportRecordZarrV2, omeV04Attributes } from './export-zarr-v2.js';
export { decodeBloscChunk, decodeChunk, drainEncoders, encodeChunk, sha256FileOnThreads } from './chunk-encoder.js';
