/**
 * Side files: what the stages keep in the corpus folder beside the records — readings (`readings/<group>.json`), the
 * ink readout (`ink/readout.json`), the viewer's state (`view-state.json`), exports, transcriptions. They are written
 * under the corpus lock, atomically (temp file, fsync, rename), only inside the corpus, never through a symlink, and
 * never over the corpus's own files (manifest, data, lock).
 *
 *   await corpus.writeSideFile('readings/scroll1_seg1.json', JSON.stringify(reading));
 *   const text = await corpus.readSideFile('view-state.json');   // undefined when missing
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';

/** Top-level names in the corpus folder that side files may use. */
export const SIDE_FILE_ROOTS = ['readings', 'ink', 'exports', 'transcriptions', 'view-state.json'] as const;

/** The absolute path of side file `rel` inside `corpusDir`; refuses anything that could leave it or hit its own files. */
export function sideFilePath(corpusDir: string, rel: string): string {
  const parts = rel.split(/[\\/]/);
  if (
    rel.length === 0 ||
    path.isAbsolute(rel) ||
    parts.some((p) => p === '' || p === '.' || p === '..' || /[\0\n\r]/.test(p)) ||
    !(SIDE_FILE_ROOTS as readonly string[]).includes(parts[0]!)
  ) {
    throw new UserError(
      `${JSON.stringify(rel)}: not a side file of the corpus (it must lie under one of ${SIDE_FILE_ROOTS.join(', ')})`,
    );
  }
  return path.join(path.resolve(corpusDir), ...parts);
}

/** Refuses when any folder or the file on the way from the corpus to `abs` is a symlink. */
async function refuseSymlinks(corpusDir: string, abs: string): Promise<void> {
  const root = path.resolve(corpusDir);
  let at = root;
  for (const part of path.relative(root, abs).split(path.sep)) {
    at = path.join(at, part);
    const st = await lstat(at).catch(() => undefined);
    if (!st) return;
    if (st.isSymbolicLink())
      throw new UserError(`${at}: a symlink inside the corpus; side files are not written through links`);
  }
}

/** Atomic write; the caller holds the corpus lock. */
export async function writeSideFileUnlocked(
  corpusDir: string,
  rel: string,
  data: string | Uint8Array,
): Promise<string> {
  const file = sideFilePath(corpusDir, rel);
  // Checked before mkdir, which would otherwise create folders through a linked one.
  await refuseSymlinks(corpusDir, file);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return file;
}

/** The side file's bytes, or undefined when it does not exist. Symlinks are refused, not followed. */
export async function readSideFile(corpusDir: string, rel: string): Promise<Buffer | undefined> {
  const file = sideFilePath(corpusDir, rel);
  await refuseSymlinks(corpusDir, file);
  return readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}
