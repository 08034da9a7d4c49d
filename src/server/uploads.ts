/**
 * Files the app adds to the corpus: uploads from the browser (file picker, drag and drop) land in
 * `<corpus>/incoming/`, the folder ingest jobs may read; the known text of a segment's labelled region is kept at
 * `<corpus>/transcriptions/<group>.txt`; exports are listed from `<corpus>/exports/`.
 *
 *   await receiveUpload(corpusDir, 'batch-1/scroll.volpkg/volumes/20230101.tif', req);  // -> incoming/batch-1/...
 *   await saveTranscription(corpus, 'scroll1/seg1', 'ΑΒΓ\nΔΕΖ');   // -> transcriptions/scroll1__seg1.txt
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { formatBytes } from '../core/limits.js';
import type { CorpusView } from './corpus-view.js';
import { HttpError } from './http-util.js';

export const INCOMING_DIR = 'incoming';
export const TRANSCRIPTIONS_DIR = 'transcriptions';
export const EXPORTS_DIR = 'exports';

/** One upload's bytes (raise with AUNN_MAX_UPLOAD_MIB); an upload is one file of a scan or segment. */
export function uploadLimit(): number {
  const env = Number(process.env.AUNN_MAX_UPLOAD_MIB);
  return (Number.isFinite(env) && env > 0 ? env : 16384) * 2 ** 20;
}

const SEGMENT = /^[\p{L}\p{N}_.,+() -]+$/u;
const PARTIAL = '.partial-';

/**
 * `a/b/c.tif` with plain names only: no `.` or `..`, no absolute path, at most 12 folders deep. Dot-files are
 * allowed (a zarr's `.zarray`, `.zattrs`), except the `.partial-` names uploads are written under.
 */
export function safeRelative(rel: string, what: string): string[] {
  const parts = rel.split('/');
  if (rel.length === 0 || rel.length > 1024 || parts.length > 12)
    throw new HttpError(400, `${what} '${rel}': empty, too long or too deep`);
  for (const p of parts)
    if (!SEGMENT.test(p) || p === '.' || p === '..' || p.startsWith(PARTIAL) || p.trim() !== p)
      throw new HttpError(400, `${what} '${rel}': '${p}' is not a plain file or folder name`);
  return parts;
}

async function insideReal(root: string, dir: string, what: string): Promise<void> {
  const [r, d] = await Promise.all([realpath(root), realpath(dir)]);
  if (d !== r && !d.startsWith(r + path.sep)) throw new HttpError(403, `${what}: resolves outside the corpus`);
}

/**
 * Stream a request body into `<corpus>/incoming/<rel>`: written to a hidden partial file and renamed when whole,
 * so an interrupted upload leaves nothing an ingest could pick up. Refuses to replace a file and stops reading
 * past the limit or past the Content-Length the client declared.
 */
export async function receiveUpload(corpusDir: string, rel: string, req: IncomingMessage): Promise<string> {
  const parts = safeRelative(rel, 'upload');
  const max = uploadLimit();
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max)
    throw new HttpError(
      413,
      `upload '${rel}' is ${formatBytes(declared)}, over the ${formatBytes(max)} limit; raise it with AUNN_MAX_UPLOAD_MIB`,
    );
  const incoming = path.join(corpusDir, INCOMING_DIR);
  const target = path.join(incoming, ...parts);
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  await insideReal(corpusDir, dir, `upload '${rel}'`);
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  )
    throw new HttpError(409, `upload '${rel}': ${INCOMING_DIR}/${rel} exists already; upload into a new folder`);
  const partial = path.join(dir, `${PARTIAL}${process.pid}-${Math.random().toString(36).slice(2)}`);
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max)
        done(
          new HttpError(
            413,
            `upload '${rel}' is over the ${formatBytes(max)} limit; raise it with AUNN_MAX_UPLOAD_MIB`,
          ),
        );
      else done(null, chunk);
    },
  });
  try {
    await pipeline(req, counter, createWriteStream(partial, { flags: 'wx' }));
    if (Number.isFinite(declared) && seen !== declared)
      throw new HttpError(400, `upload '${rel}': got ${seen} of the ${declared} bytes announced`);
    await rename(partial, target);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
  return `${INCOMING_DIR}/${parts.join('/')}`;
}

/** The corpus-relative path of a segment's saved transcription (what `aunn read --transcription` is given). */
export function transcriptionRel(group: string): string {
  safeRelative(group, 'segment');
  return `${TRANSCRIPTIONS_DIR}/${group.split('/').join('__')}.txt`;
}

export async function loadTranscription(corpus: CorpusView, group: string): Promise<string | undefined> {
  return readFile(path.join(corpus.dir, transcriptionRel(group)), 'utf8').catch(() => undefined);
}

/** Written as a corpus side file: atomic, under the corpus lock, never through a link. */
export async function saveTranscription(corpus: CorpusView, group: string, text: string): Promise<string> {
  const rel = transcriptionRel(group);
  await corpus.writeSideFile(rel, text.endsWith('\n') ? text : `${text}\n`);
  return rel;
}

export interface ExportFile {
  /** Corpus-relative path, for /api/files. */
  path: string;
  bytes: number;
  modified: string;
}

/** Files under `<corpus>/exports/` (3 folders deep at most), newest first. */
export async function listExports(corpusDir: string): Promise<ExportFile[]> {
  const out: ExportFile[] = [];
  const walk = async (dir: string, depth: number) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.') || e.isSymbolicLink()) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 3) await walk(p, depth + 1);
      else if (e.isFile()) {
        const s = await stat(p);
        out.push({
          path: path.relative(corpusDir, p).split(path.sep).join('/'),
          bytes: s.size,
          modified: s.mtime.toISOString(),
        });
      }
    }
  };
  await walk(path.join(corpusDir, EXPORTS_DIR), 0);
  return out.sort((a, b) => b.modified.localeCompare(a.modified) || a.path.localeCompare(b.path));
}
