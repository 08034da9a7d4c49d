/**
 * The corpus's zarr folder store, confined: a chunk or metadata file that resolves (through a symlink anywhere on its
 * path) to a place outside the store's folder is refused, never read. A corpus folder can be handed to the app by
 * anyone; its data must not become a way to read other files.
 *
 *   const store = new ConfinedFileSystemStore('/data/corpus/data');
 *   await store.get('/records/0/c/0/0/0');   // throws a UserError if that file is a link out of /data/corpus/data
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import { UserError } from '../core/errors.js';

type Key = Parameters<FileSystemStore['get']>[0];

const realRoots = new Map<string, Promise<string>>();

/**
 * Whether `file` (inside the store folder `root`) exists: false when it does not, true when it resolves inside the
 * folder, a UserError when it resolves outside (a symlink anywhere on its path).
 */
export async function confinedExists(root: string, file: string): Promise<boolean> {
  let rootReal = realRoots.get(root);
  if (!rootReal) realRoots.set(root, (rootReal = realpath(root)));
  const inside = await rootReal;
  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (real !== inside && !real.startsWith(inside + path.sep))
    throw new UserError(`${file}: a link out of the corpus store (to ${real}); refusing to read it`, { file });
  return true;
}

export class ConfinedFileSystemStore extends FileSystemStore {
  override async get(key: Key, opts: Parameters<FileSystemStore['get']>[1] = {}): Promise<Uint8Array | undefined> {
    if (!(await this.#inside(key))) return undefined;
    return super.get(key, opts);
  }

  override async getRange(
    key: Key,
    range: Parameters<FileSystemStore['getRange']>[1],
    opts: Parameters<FileSystemStore['getRange']>[2] = {},
  ): Promise<Uint8Array | undefined> {
    if (!(await this.#inside(key))) return undefined;
    return super.getRange(key, range, opts);
  }

  #inside(key: Key): Promise<boolean> {
    return confinedExists(this.root, path.join(this.root, key.replace(/^\/+/, '')));
  }
}
