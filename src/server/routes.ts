/**
 * The app's API over one corpus (every route needs the token; see server.ts):
 *
 *   GET  /api/records                                    manifest + each level's shape
 *   GET  /api/records/:id/slice?axis=z|y|x&index=N&level=L  one plane, raw uint8 (X-Shape: rows,cols)
 *   GET  /api/records/:id/region?z=a,b&y=a,b&x=a,b&level=L  a box, raw uint8 z,y,x (X-Shape: z,y,x), ≤ 256³ voxels
 *   GET  /api/records/:id/attachments/:name              a file kept beside the record (segment mesh)
 *   GET  /api/readings                                   the readings JSON files found in the corpus
 *   PUT  /api/readings/letter?segment=G {column,line,index,char}   an editor's correction of one letter
 *   GET  /api/files?path=REL                             a file inside the corpus (json, txt, xml, obj, png, tif)
 *   GET  /api/view-state   PUT /api/view-state           the UI's saved state (DIR/view-state.json, atomic)
 *   GET  /api/jobs   POST /api/jobs {command, input?, options} (src/api/job-spec.ts)   GET /api/jobs/:id/events (SSE)   DELETE /api/jobs/:id
 *   POST /api/uploads?path=REL                           raw body -> <corpus>/incoming/REL (what ingest jobs may read)
 *   GET  /api/transcriptions?segment=G   PUT {text}      the known text of a segment's labelled region (GET: and
 *                                                         how many of its lines were corrected in the app)
 *   GET  /api/exports                                    files under <corpus>/exports, newest first
 *   GET  /api/models                                     names of the model folders jobs may use
 */
import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readSideFile, type RecordMeta } from '../corpus/index.js';
import type { CorpusView, Region } from './corpus-view.js';
import { HttpError, baseHeaders, intParam, rangeParam, readJsonBody, sendBytes, sendJson } from './http-util.js';
import type { JobRunner } from './jobs.js';
import type { SlabCache } from './slab-cache.js';
import { ForbiddenPath, LIMITS, confinedAbsolute, confinedPath } from './security.js';
import {
  applyCorrection,
  linesFileName,
  loadCorrectedLines,
  saveCorrection,
  type LetterCorrection,
} from '../lm-conditioning/reading/corrections.js';
import { loadReading } from '../lm-conditioning/reading/reading-file.js';
import { listExports, loadTranscription, receiveUpload, saveTranscription } from './uploads.js';

export const VIEW_STATE_FILE = 'view-state.json';

const FILE_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.obj': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

/** The user's own words, kept with the corpus: a transcription is a few pages at most. */
const TRANSCRIPTION_CHARS = 200_000;

export interface ApiContext {
  corpus: CorpusView;
  jobs: JobRunner;
  slabs: SlabCache;
}

/** Record metadata plus the shape of every stored level (what the viewer needs to ask for slices). */
export function recordSummary(corpus: CorpusView, rec: RecordMeta) {
  const levelShapes: [number, number, number][] = [];
  for (let l = 0; l < rec.levels; l++) levelShapes.push(corpus.levelShape(rec, l));
  return { ...rec, levelShapes };
}

function recordById(corpus: CorpusView, idText: string): RecordMeta {
  if (!/^\d+$/.test(idText)) throw new HttpError(400, `record id must be a number, got '${idText}'`);
  const id = Number(idText);
  const rec = corpus.manifest.records.find((r) => r.id === id);
  if (!rec) throw new HttpError(404, `no record with id ${id}`);
  return rec;
}

function levelOf(url: URL, rec: RecordMeta): number {
  return intParam(url, 'level', 0, rec.levels - 1, 0);
}

export async function handleApi(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  signal: AbortSignal,
): Promise<void> {
  const parts = url.pathname
    .split('/')
    .slice(2)
    .map((p) => decodeURIComponent(p)); // after /api/
  const method = req.method ?? 'GET';
  const { corpus } = ctx;

  if (parts[0] === 'records' && parts.length === 1 && method === 'GET') {
    await corpus.reload?.();
    return sendJson(res, 200, {
      dir: path.basename(corpus.dir),
      addressBits: corpus.manifest.addressBits,
      records: corpus.manifest.records.map((r) => recordSummary(corpus, r)),
    });
  }

  if (parts[0] === 'records' && parts.length >= 3 && method === 'GET') {
    const rec = recordById(corpus, parts[1]!);
    if (parts[2] === 'slice' && parts.length === 3) return sendSlice(ctx, rec, url, res, signal);
    if (parts[2] === 'region' && parts.length === 3) return sendRegion(corpus, rec, url, res, signal);
    if (parts[2] === 'attachments' && parts.length === 4) {
      const name = parts[3]!;
      if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) throw new HttpError(400, `bad attachment name '${name}'`);
      const file = await confinedAbsolute(corpus.dir, corpus.attachmentPath(rec, name));
      return sendFile(res, file);
    }
  }

  if (parts[0] === 'files' && parts.length === 1 && method === 'GET') {
    const rel = url.searchParams.get('path');
    if (rel === null) throw new HttpError(400, "missing parameter 'path'");
    const ext = path.extname(rel).toLowerCase();
    if (!(ext in FILE_TYPES)) throw new HttpError(403, `refused path '${rel}': type '${ext}' is not served`);
    return sendFile(res, await confinedPath(corpus.dir, rel), url.searchParams.get('download') === '1');
  }

  if (parts[0] === 'uploads' && parts.length === 1 && method === 'POST') {
    const rel = url.searchParams.get('path');
    if (rel === null) throw new HttpError(400, "missing parameter 'path'");
    return sendJson(res, 201, { path: await receiveUpload(corpus.dir, rel, req) });
  }

  if (parts[0] === 'transcriptions' && parts.length === 1) {
    const group = url.searchParams.get('segment');
    if (group === null) throw new HttpError(400, "missing parameter 'segment'");
    if (method === 'GET')
      return sendJson(res, 200, {
        segment: group,
        text: (await loadTranscription(corpus, group)) ?? '',
        correctedLines: (
          await loadCorrectedLines(
            { readSideFile: async (rel) => (await readSideFile(corpus.dir, rel))?.toString('utf8') },
            group,
          ).catch(() => [])
        ).length,
      });
    if (method === 'PUT') {
      const body = (await readJsonBody(req, LIMITS.bodyBytes)) as { text?: unknown } | null;
      const text = body?.text;
      if (typeof text !== 'string' || text.trim() === '')
        throw new HttpError(
          400,
          'a transcription is {"text": "..."}: the lines of the labelled region, a blank line between columns',
        );
      if (text.length > TRANSCRIPTION_CHARS)
        throw new HttpError(
          413,
          `a transcription of ${text.length} characters is over the ${TRANSCRIPTION_CHARS} limit`,
        );
      return sendJson(res, 200, { segment: group, path: await saveTranscription(corpus, group, text) });
    }
  }

  if (parts[0] === 'models' && parts.length === 1 && method === 'GET') {
    return sendJson(res, 200, { models: await ctx.jobs.models() });
  }

  if (parts[0] === 'exports' && parts.length === 1 && method === 'GET') {
    return sendJson(res, 200, { files: await listExports(corpus.dir) });
  }

  if (parts[0] === 'readings' && parts.length === 1 && method === 'GET') {
    return sendJson(res, 200, { files: await findReadings(corpus.dir) });
  }

  if (parts[0] === 'readings' && parts[1] === 'letter' && parts.length === 2 && method === 'PUT') {
    const group = url.searchParams.get('segment');
    if (group === null) throw new HttpError(400, "missing parameter 'segment'");
    const body = (await readJsonBody(req, LIMITS.bodyBytes)) as LetterCorrection | null;
    if (!body || typeof body !== 'object') throw new HttpError(400, 'a correction is {column, line, index, char}');
    const before = await loadReading(corpus.dir, group);
    const { reading, line } = applyCorrection(before, body);
    const linesFile = path.join(corpus.dir, linesFileName(group));
    await saveCorrection(corpus, reading, line, await readFile(linesFile, 'utf8').catch(() => undefined));
    return sendJson(res, 200, { reading, line });
  }

  if (parts[0] === 'view-state' && parts.length === 1) {
    if (method === 'GET') {
      try {
        return sendJson(
          res,
          200,
          JSON.parse((await readSideFile(corpus.dir, VIEW_STATE_FILE))?.toString('utf8') ?? '{}'),
        );
      } catch {
        return sendJson(res, 200, {});
      }
    }
    if (method === 'PUT') {
      const state = await readJsonBody(req, LIMITS.bodyBytes);
      if (state === null || typeof state !== 'object' || Array.isArray(state))
        throw new HttpError(400, 'view state must be a JSON object');
      await corpus.writeSideFile(VIEW_STATE_FILE, JSON.stringify(state, null, 1));
      return sendJson(res, 200, { saved: true });
    }
  }

  if (parts[0] === 'jobs') {
    if (parts.length === 1 && method === 'GET') return sendJson(res, 200, { jobs: ctx.jobs.list() });
    if (parts.length === 1 && method === 'POST') {
      return sendJson(res, 201, await ctx.jobs.start(await readJsonBody(req, LIMITS.bodyBytes)));
    }
    if (parts.length === 2 && method === 'GET') return sendJson(res, 200, ctx.jobs.get(parts[1]!));
    if (parts.length === 2 && method === 'DELETE') return sendJson(res, 200, ctx.jobs.cancel(parts[1]!));
    if (parts.length === 3 && parts[2] === 'events' && method === 'GET')
      return streamJob(ctx.jobs, parts[1]!, req, res);
  }

  throw new HttpError(404, `no API route ${method} ${url.pathname}`);
}

/**
 * Read a region for a client that may hang up. The signal is checked before the read but not handed to the
 * corpus: aborting src/corpus/store.ts's chunk queue mid-read leaves rejected chunk tasks nobody awaits (an
 * unhandled rejection that kills the process). A slice read is short; finishing it is cheaper than that.
 */
async function readUnlessGone(
  corpus: CorpusView,
  rec: RecordMeta,
  region: Region,
  level: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  signal.throwIfAborted();
  return corpus.readRegion(rec, region, level);
}

async function sendSlice(
  { corpus, slabs }: ApiContext,
  rec: RecordMeta,
  url: URL,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const level = levelOf(url, rec);
  const [Z, Y, X] = corpus.levelShape(rec, level);
  const axis = url.searchParams.get('axis') ?? 'z';
  let region;
  let shape: [number, number];
  if (axis === 'z') {
    const i = intParam(url, 'index', 0, Z - 1);
    region = { z: [i, i + 1], y: [0, Y], x: [0, X] } as const;
    shape = [Y, X];
  } else if (axis === 'y') {
    const i = intParam(url, 'index', 0, Y - 1);
    region = { z: [0, Z], y: [i, i + 1], x: [0, X] } as const;
    shape = [Z, X];
  } else if (axis === 'x') {
    const i = intParam(url, 'index', 0, X - 1);
    region = { z: [0, Z], y: [0, Y], x: [i, i + 1] } as const;
    shape = [Z, Y];
  } else throw new HttpError(400, `axis must be z, y or x, got '${axis}'`);
  if (shape[0] * shape[1] > LIMITS.slicePixels)
    throw new HttpError(413, `slice of ${shape.join('x')} is too large at level ${level}; ask for a coarser level`);
  signal.throwIfAborted();
  const data =
    axis === 'z'
      ? await slabs.zPlane(corpus, rec, level, region.z[0], [Z, Y, X])
      : await readUnlessGone(corpus, rec, { z: [...region.z], y: [...region.y], x: [...region.x] }, level, signal);
  sendBytes(res, data, {
    'X-Shape': shape.join(','),
    'X-Level': level,
    'X-Level-Shape': [Z, Y, X].join(','),
    'Access-Control-Expose-Headers': 'X-Shape',
  });
}

async function sendRegion(
  corpus: CorpusView,
  rec: RecordMeta,
  url: URL,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const level = levelOf(url, rec);
  const [Z, Y, X] = corpus.levelShape(rec, level);
  const z = rangeParam(url, 'z', Z);
  const y = rangeParam(url, 'y', Y);
  const x = rangeParam(url, 'x', X);
  const voxels = (z[1] - z[0]) * (y[1] - y[0]) * (x[1] - x[0]);
  if (voxels > LIMITS.regionVoxels)
    throw new HttpError(
      413,
      `region of ${voxels} voxels is over the ${LIMITS.regionVoxels} limit; choose a smaller box or a coarser level`,
    );
  const data = await readUnlessGone(corpus, rec, { z, y, x }, level, signal);
  sendBytes(res, data, {
    'X-Shape': [z[1] - z[0], y[1] - y[0], x[1] - x[0]].join(','),
    'X-Level': level,
    'X-Level-Shape': [Z, Y, X].join(','),
  });
}

async function sendFile(res: ServerResponse, file: string, attachment = false): Promise<void> {
  const ext = path.extname(file).toLowerCase();
  const body = await readFile(file);
  const disposition: Record<string, string> = attachment
    ? { 'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(path.basename(file))}` }
    : {};
  res.writeHead(
    200,
    baseHeaders({
      'Content-Type': FILE_TYPES[ext] ?? 'application/octet-stream',
      'Content-Length': body.length,
      ...disposition,
    }),
  );
  res.end(body);
}

/** `readings*.json` or `readings/*.json` anywhere up to 4 folders deep (the text reader writes them). */
export async function findReadings(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number, inReadings: boolean) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isSymbolicLink()) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 4 && !e.name.endsWith('.zarr') && !/^\d+$/.test(e.name))
        await walk(p, depth + 1, e.name === 'readings');
      else if (e.isFile() && e.name.endsWith('.json') && (inReadings || /readings?/i.test(e.name)))
        found.push(path.relative(root, p).split(path.sep).join('/'));
    }
  };
  await walk(root, 0, false);
  return found.sort();
}

function streamJob(jobs: JobRunner, id: string, req: IncomingMessage, res: ServerResponse): void {
  jobs.get(id); // 404 before the stream starts
  res.writeHead(200, baseHeaders({ 'Content-Type': 'text/event-stream', Connection: 'keep-alive' }));
  res.write(': stream\n\n');
  const unsubscribe = jobs.subscribe(id, (e) => {
    res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    if (e.type === 'end') res.end();
  });
  const ping = setInterval(() => res.write(': ping\n\n'), 15000);
  const stop = () => {
    clearInterval(ping);
    unsubscribe();
  };
  req.on('close', stop);
  res.on('finish', stop);
}

export { ForbiddenPath };
