/**
 * The part of the corpus the app reads: the server depends on this small interface, not on the store, so it can be
 * served from the real `Corpus` (src/corpus/index.ts) or, in tests, from an in-memory stand-in.
 *
 *   const corpus: CorpusView = await Corpus.open('./corpus');
 *   const bytes = await corpus.readRegion(corpus.record('scroll1/scanA'), { z: [10, 11], y: [0, 160], x: [0, 160] }, 0);
 */
import type { Manifest, RecordMeta } from '../corpus/index.js';
import type { Region } from '../core/region.js';

export type { Region };

export interface CorpusView {
  readonly dir: string;
  readonly manifest: Manifest;
  records(filter?: { scroll?: string; trainable?: boolean; group?: string }): RecordMeta[];
  record(nameOrId: string | number): RecordMeta;
  levelShape(rec: RecordMeta, level: number): [number, number, number];
  readRegion(rec: RecordMeta, region: Region, level?: number, signal?: AbortSignal): Promise<Uint8Array>;
  attachmentPath(rec: RecordMeta, name: string): string;
  /** Re-read the manifest (records appended by a job since the server started). */
  reload?(): Promise<void>;
  /** Writes a side file (view state, readings) atomically under the corpus lock. */
  writeSideFile(rel: string, data: string | Uint8Array): Promise<string>;
}
