/**
 * Format detection from content (magic bytes, header text), with the extension only as a tie-breaker, plus the small
 * file-system helpers the readers share: natural sort of slice names, folder listing, Vesuvius `meta.json`, and
 * the "stays inside this folder" guard used for volpkg paths.
 *
 *   const kind = await sniffFile('/data/scan.nii.gz');     // 'nifti'
 *   const names = naturalSort(['10.tif', '9.tif']);         // ['9.tif', '10.tif']
 */
import { open, readFile, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { createReadStream, statSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import { isTiffHeader } from '../formats/tiff-reader.js';
import { isPngHeader } from './readers/image2d.js';
import { isInside } from '../core/paths.js';

export type FileKind = 'tiff' | 'png' | 'nrrd' | 'nifti' | 'mha' | 'dicom' | 'obj' | 'json' | 'text' | 'unknown';

async function head(file: string, n: number): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The first `n` bytes after gunzip (for .nii.gz headers); undefined if it is not valid gzip. */
async function gunzipHead(file: string, n: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const input = createReadStream(file);
    const gunzip = createGunzip();
    const finish = (value: Uint8Array | undefined) => {
      input.destroy();
      gunzip.destroy();
      resolve(value);
    };
    gunzip.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) finish(Buffer.concat(chunks).subarray(0, n));
    });
    gunzip.on('end', () => finish(Buffer.concat(chunks).subarray(0, n)));
    gunzip.on('error', () => finish(undefined));
    input.on('error', () => finish(undefined));
    input.pipe(gunzip);
  });
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, Math.min(to, bytes.length)));
}

function isNiftiHeader(h: Uint8Array): boolean {
  if (h.length < 348) return false;
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const size = view.getInt32(0, true);
  const sizeBE = view.getInt32(0, false);
  const magic = ascii(h, 344, 348);
  return (size === 348 || sizeBE === 348) && (magic === 'n+1\0' || magic === 'ni1\0');
}

/** What a file holds, from its bytes (the extension only decides between text-like kinds). */
export async function sniffFile(file: string): Promise<FileKind> {
  const h = await head(file, 512);
  const lower = file.toLowerCase();
  if (isTiffHeader(h)) return 'tiff';
  if (isPngHeader(h)) return 'png';
  if (ascii(h, 0, 4) === 'NRRD') return 'nrrd';
  if (h.length >= 132 && ascii(h, 128, 132) === 'DICM') return 'dicom';
  if (isNiftiHeader(h)) return 'nifti';
  if (h[0] === 0x1f && h[1] === 0x8b) {
    const inner = await gunzipHead(file, 348);
    if (inner && isNiftiHeader(inner)) return 'nifti';
    if (lower.endsWith('.nii.gz')) return 'unknown';
  }
  const text = ascii(h, 0, h.length);
  if (/^\s*(ObjectType|NDims|DimSize|ElementType)\s*=/m.test(text) && /\b(NDims|ElementType)\s*=/.test(text))
    return 'mha';
  if (/\.(obj)$/.test(lower) || /^(#[^\n]*\n|\s)*(v|vt|vn|f|o|g|mtllib)\s/.test(text))
    return lower.endsWith('.obj') ? 'obj' : 'unknown';
  if (lower.endsWith('.json')) return 'json';
  if (!h.includes(0)) return 'text';
  return 'unknown';
}

/** Names in natural order (slice numbers compare as numbers: 9 < 10). */
export function naturalSort(names: string[]): string[] {
  return [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Visible entries of a folder (no dot files), naturally sorted. */
export async function listVisible(dir: string): Promise<Array<{ name: string; isDir: boolean; isFile: boolean }>> {
  const entries = await readdir(dir, { withFileTypes: true });
  const visible = entries.filter((e) => !e.name.startsWith('.') && e.name !== 'Thumbs.db');
  const order = naturalSort(visible.map((e) => e.name));
  const byName = new Map(visible.map((e) => [e.name, e]));
  return order.map((name) => {
    const e = byName.get(name)!;
    // symlinks are followed (a guard checks where they lead where it matters)
    return {
      name,
      isDir: e.isDirectory() || (e.isSymbolicLink() && isDirSync(path.join(dir, name))),
      isFile: e.isFile() || (e.isSymbolicLink() && isFileSync(path.join(dir, name))),
    };
  });
}

function isDirSync(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
function isFileSync(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Reads and parses a JSON file, or a UserError naming it. */
export async function readJson(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read (${(err as Error).message})`, { cause: err });
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${file}: invalid JSON (${(err as Error).message})`, { cause: err });
  }
}

/**
 * Vesuvius volume meta.json: voxel size (µm, isotropic) and energy (keV) if given, the rest for `extra`. A voxel size
 * or energy that is given but not a finite positive number (1e999, -7.91, "big") is refused, not dropped: stored, it
 * would turn into null in the manifest.
 */
export function vesuviusVolumeMeta(
  meta: Record<string, unknown>,
  file = 'meta.json',
): {
  voxelSizeUm?: [number, number, number];
  energyKeV?: number;
} {
  const out: { voxelSizeUm?: [number, number, number]; energyKeV?: number } = {};
  const positive = (key: string, v: unknown, shown: unknown = v): number => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n === 'number' && Number.isFinite(n) && n > 0) return n;
    const text = typeof shown === 'number' && !Number.isFinite(shown) ? String(shown) : JSON.stringify(shown);
    throw new UserError(`${file}: ${key} ${text} is not a finite positive number`, { file });
  };
  const vsKey = meta.voxelsize !== undefined ? 'voxelsize' : 'voxelSize';
  const vs = meta[vsKey];
  if (vs !== undefined && vs !== null) {
    const v = positive(vsKey, vs);
    out.voxelSizeUm = [v, v, v];
  }
  const energyKey = ['energy', 'energy_keV', 'energyKeV', 'keV'].find((k) => meta[k] !== undefined && meta[k] !== null);
  if (energyKey) {
    const e = meta[energyKey];
    // "88keV" style strings keep their leading number.
    out.energyKeV = positive(energyKey, typeof e === 'string' ? Number.parseFloat(e) : e, e);
  }
  return out;
}

/** Throws a UserError when `target` (after resolving symlinks) is not inside `root` (already a realpath). */
export async function assertInside(rootReal: string, target: string, what: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(target);
  } catch (err) {
    throw new UserError(`${target}: cannot resolve (${(err as Error).message})`, { cause: err });
  }
  if (!isInside(rootReal, real)) {
    throw new UserError(`${target}: ${what} escapes the folder ${rootReal} (it leads to ${real})`);
  }
  return real;
}

/** File name without its format extension(s): scan.ome.zarr → scan, a.nii.gz → a. */
/** `stem`, except that a multiscale level given as the source (…/Scroll1A.zarr/0, as users paste URLs) is named after its zarr. */
export function volumeStem(p: string): string {
  const clean = p.replace(/[\\/]+$/, '');
  const parent = path.basename(path.dirname(clean));
  if (/^s?\d+$/.test(path.basename(clean)) && /\.zarr$/i.test(parent)) return stem(parent);
  return stem(clean);
}

export function stem(p: string): string {
  const base = path.basename(p.replace(/[\\/]+$/, ''));
  return base.replace(/\.(ome\.zarr|zarr|volpkg|nii\.gz|nii|nrrd|nhdr|mha|mhd|tiff?|png|txt|dcm)$/i, '') || base;
}
