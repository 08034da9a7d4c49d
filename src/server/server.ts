/**
 * The local API server shared by the browser (`aunn serve`) and Electron (in-process): node:http on 127.0.0.1
 * only, a random token on every request (the first page load carries `?token=`, which sets an HttpOnly SameSite
 * cookie), a Host-header check, size limits, a strict CSP, and the routes in routes.ts over one corpus.
 *
 *   const app = await startServer({ corpus: await Corpus.open('./corpus') });
 *   console.log(app.url);   // http://127.0.0.1:PORT/?token=...
 *   await app.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../core/errors.js';
import type { CorpusView } from './corpus-view.js';
import { HttpError, sendError } from './http-util.js';
import { JobRunner, type JobRunnerOptions } from './jobs.js';
import { handleApi } from './routes.js';
import {
  ForbiddenPath,
  LIMITS,
  hostAllowed,
  newToken,
  originAllowed,
  tokenCookieName,
  tokenFrom,
  tokenMatches,
} from './security.js';
import { SlabCache } from './slab-cache.js';
import { isUiPath, serveUiFile } from './static-files.js';

export interface ServerOptions {
  corpus: CorpusView;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Fixed token (tests); default a fresh random one. */
  token?: string;
  /** Folder with index.html/app.js/style.css; default: build dist/ui on demand. Null: API only. */
  uiDir?: string | null;
  /** Path of bin/aunn.js for jobs (the bundled Electron main passes it). */
  aunnBin?: string;
  /** How jobs are started (tests). */
  jobCommandLine?: JobRunnerOptions['commandLine'];
  /** Where models live, import folders, how processes start, how many run at once. */
  jobs?: Pick<JobRunnerOptions, 'modelsDir' | 'importRoots' | 'spawnProcess' | 'maxConcurrent' | 'maxFinished'>;
  /** Called for requests that failed with a server error (default: console.error). */
  onError?: (err: unknown, req: IncomingMessage) => void;
}

export interface AppServer {
  server: Server;
  port: number;
  token: string;
  /** Address to open, token included. */
  url: string;
  jobs: JobRunner;
  close(): Promise<void>;
}

const METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);

export async function startServer(opts: ServerOptions): Promise<AppServer> {
  const token = opts.token ?? newToken();
  let uiDir = opts.uiDir;
  if (uiDir === undefined) {
    const { ensureUiBuilt } = await import('./build-ui.js');
    uiDir = await ensureUiBuilt();
  }
  const jobs = new JobRunner({
    corpusDir: opts.corpus.dir,
    commandLine: opts.jobCommandLine,
    aunnBin: opts.aunnBin,
    ...opts.jobs,
  });
  const slabs = new SlabCache();
  let port = 0;
  const onError =
    opts.onError ??
    ((err, req) => console.error(`aunn serve: ${req.method} ${req.url}: ${(err as Error)?.stack ?? err}`));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '/';
    if (target.length > LIMITS.urlChars) return sendError(res, 414, 'request target too long');
    if (!hostAllowed(req.headers.host, port)) return sendError(res, 403, `refused Host '${req.headers.host ?? ''}'`);
    if (!METHODS.has(req.method ?? '')) return sendError(res, 405, `method ${req.method} not allowed`);
    if (!originAllowed(req.method, req.headers.origin, port))
      return sendError(res, 403, `refused Origin '${req.headers.origin}' for ${req.method}`);
    let url: URL;
    try {
      url = new URL(target, `http://127.0.0.1:${port}`);
    } catch {
      return sendError(res, 400, 'bad request target');
    }
    if (!tokenMatches(token, tokenFrom(req, url, port)))
      return sendError(res, 401, 'missing or wrong token (open the URL that `aunn serve` printed)');

    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      if (url.pathname.startsWith('/api/'))
        return await handleApi({ corpus: opts.corpus, jobs, slabs }, req, res, url, controller.signal);
      if (uiDir && isUiPath(url.pathname) && (req.method === 'GET' || req.method === 'HEAD')) {
        const cookie: Record<string, string> = url.searchParams.has('token')
          ? { 'Set-Cookie': `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/` }
          : {};
        if (await serveUiFile(res, uiDir, url.pathname, cookie)) return;
      }
      return sendError(res, 404, `not found: ${url.pathname}`);
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.status === 413) {
          // Stop reading the rest of an oversize body: answer, then close the connection.
          res.setHeader('Connection', 'close');
          res.on('finish', () => req.destroy());
        }
        return sendError(res, err.status, err.message);
      }
      if (err instanceof ForbiddenPath) return sendError(res, err.reason === 'not found' ? 404 : 403, err.message);
      if (err instanceof UserError) return sendError(res, 400, err.message);
      if (controller.signal.aborted) return;
      onError(err, req);
      return sendError(res, 500, `internal error: ${(err as Error)?.message ?? String(err)}`);
    }
  };

  const server = createServer({ maxHeaderSize: 16384, requestTimeout: 60_000, headersTimeout: 20_000 }, (req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // 127.0.0.1 only: never 0.0.0.0 or ::, so nothing off this machine can connect.
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    jobs,
    close: () =>
      new Promise<void>((resolve) => {
        jobs.cancelAll();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
