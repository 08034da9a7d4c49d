/** The zarr store and array types the corpus writes through (a folder store of zarrita's). */
import type * as zarr from 'zarrita';
import type FileSystemStore from '@zarrita/storage/fs';

export type Store = FileSystemStore;
export type Uint8ZarrArray = zarr.Array<'uint8', Store>;
