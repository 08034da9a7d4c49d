/**
 * manifest.json: reading it with validation (a bad file is a UserError naming it) and replacing it atomically
 * (write a temp file, fsync it, rename over the old one, fsync the folder), so a crash at any moment leaves either
 * the old or the new manifest, never a torn one.
 *
 *   const m = await readManifest('/data/corpus');
 *   await writeManifestAtomic('/data/corpus', { ...m, records: [...m.records, rec] });
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { DEFAULT_ADDRESS_BITS, MAX_ADDRESS_BITS } from './address.js';
import type { Manifest } from './types.js';

export const MANIFEST_FILE = 'manifest.json';
/** Prefix of temp files written before the rename; leftovers are removed by the corpus on open. */
export const MANIFEST_TEMP_PREFIX = 'manifest.json.tmp-';

export function emptyManifest(addressBits = DEFAULT_ADDRESS_BITS): Manifest {
  if (!Number.isInteger(addressBits) || addressBits < 8 || addressBits > MAX_ADDRESS_BITS) {
    throw new UserError(`address bits must be an integer from 8 to ${MAX_ADDRESS_BITS}, got ${addressBits}`);
  }
  return { format: 'scroll-aunn-corpus', version: 1, addressBits, next: 0, records: [] };
}

export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(`${dir} is not a corpus (no ${MANIFEST_FILE})`, { file: dir, hint: 'create-corpus' });
    }
    throw new UserError(`${file}: cannot read (${(err as Error).message})`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return validateManifest(parsed, file);
}

export function validateManifest(value: unknown, file: string): Manifest {
  const m = value as Partial<Manifest> | null;
  const bad = (why: string) => new UserError(`${file}: not a scroll-aunn corpus manifest (${why})`);
  if (!m || typeof m !== 'object') throw bad('not an object');
  if (m.format !== 'scroll-aunn-corpus') throw bad(`format is ${JSON.stringify(m.format)}`);
  if (m.version !== 1) throw bad(`unsupported version ${JSON.stringify(m.version)}`);
  if (!Number.isInteger(m.addressBits) || m.addressBits! < 8 || m.addressBits! > MAX_ADDRESS_BITS)
    throw bad('bad addressBits');
  if (!Number.isSafeInteger(m.next) || m.next! < 0) throw bad('bad next');
  if (!Array.isArray(m.records)) throw bad('records is not a list');
  m.records.forEach((r, i) => {
    if (!r || typeof r !== 'object') throw bad(`record ${i} is not an object`);
    if (r.id !== i) throw bad(`record ${i} has id ${r.id}`);
    if (typeof r.name !== 'string' || typeof r.array !== 'string') throw bad(`record ${i} lacks name or array`);
    const okAxes = (a: unknown) => Array.isArray(a) && a.length === 3 && a.every((n) => Number.isInteger(n) && n >= 0);
    if (!okAxes(r.shape) || !okAxes(r.bits) || !Number.isSafeInteger(r.base))
      throw bad(`record ${r.name} has bad shape/bits/base`);
  });
  return m as Manifest;
}

/** Replace DIR/manifest.json atomically and durably. */
export async function writeManifestAtomic(dir: string, manifest: Manifest): Promise<void> {
  const file = path.join(dir, MANIFEST_FILE);
  const temp = path.join(dir, `${MANIFEST_TEMP_PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(`${JSON.stringify(manifest, null, 1)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await fsyncDir(dir);
}

/** fsync a folder so a rename inside it is durable (a no-op where the platform cannot open folders). */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a directory; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}
