/**
 * The corpus's zarr folder store, confined: a chunk or metadata file that resolves (through a symlink anywhere on its
 * path) to a place outside the store's folder is refused, never read. A corpus folder can be handed to the app by
 * anyone; its data must not become a way to read other files.
 *
 *   const store = new ConfinedFileSystemStore('/data/corpus/data.zarr');
 *   await store.get('/records/0/c/0/0/0');   // throws a UserError if that file is a link out of the store
 *
 * Reading stays cheap: each folder is resolved once (a chunk's folder is shared by a row of chunks), and the file is
 * opened without following a link, so a chunk costs no extra system call unless it is a link.
 */
import { constants } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';
import { UserError } from '../core/errors.js';
import { isInside } from '../core/paths.js';

type Key = Parameters<FileSystemStore['get']>[0];

/** Reads files of one store folder, refusing links out of it. Keep one per store (or per read) to reuse its answers. */
export class StoreFileReader {
  readonly #root: string;
  #realRoot: Promise<string> | undefined;
  /** Folder -> whether it exists; each resolved once and checked against the root. */
  readonly #folders = new Map<string, Promise<boolean>>();

  constructor(root: string) {
    this.#root = root;
  }

  /** The file's bytes; undefined when it or its folder does not exist; a UserError when it leads out of the store. */
  async read(file: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const dir = path.dirname(file);
    let folder = this.#folders.get(dir);
    if (!folder) this.#folders.set(dir, (folder = this.#resolvedInside(dir)));
    if (!(await folder)) return undefined;
    try {
      return await readFile(file, { flag: constants.O_RDONLY | constants.O_NOFOLLOW, signal });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code !== 'ELOOP') throw err;
    }
    // The file itself is a link: read it only if it stays inside the store.
    if (!(await this.#resolvedInside(file))) return undefined;
    return readFile(file, { signal });
  }

  async #resolvedInside(p: string): Promise<boolean> {
    this.#realRoot ??= realpath(this.#root);
    const root = await this.#realRoot;
    let real: string;
    try {
      real = await realpath(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    if (!isInside(root, real))
      throw new UserError(`${p}: a link out of the corpus store (to ${real}); refusing to read it`, { file: p });
    return true;
  }
}

export class ConfinedFileSystemStore extends FileSystemStore {
  readonly files = new StoreFileReader(this.root);

  override async get(key: Key, opts: Parameters<FileSystemStore['get']>[1] = {}): Promise<Uint8Array | undefined> {
    return this.files.read(this.#path(key), opts.signal);
  }

  override async getRange(
    key: Key,
    range: Parameters<FileSystemStore['getRange']>[1],
    opts: Parameters<FileSystemStore['getRange']>[2] = {},
  ): Promise<Uint8Array | undefined> {
    // Ranged reads are rare (the corpus writes unsharded chunks): check the whole path, then read the range.
    if ((await this.files.read(this.#path(key), opts.signal)) === undefined) return undefined;
    return super.getRange(key, range, opts);
  }

  #path(key: Key): string {
    return path.join(this.root, key.replace(/^\/+/, ''));
  }
}
