/**
 * Serves the bundled UI (dist/ui) read-only: a fixed set of file names, never a path from the request.
 *
 *   if (await serveUiFile(res, uiDir, '/ui/app.js')) return;
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { baseHeaders } from './http-util.js';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.js.map': { file: 'app.js.map', type: 'application/json' },
  '/ui/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

export function isUiPath(pathname: string): boolean {
  return pathname in FILES;
}

export async function serveUiFile(
  res: ServerResponse,
  uiDir: string,
  pathname: string,
  extraHeaders: Record<string, string> = {},
): Promise<boolean> {
  const entry = FILES[pathname];
  if (!entry) return false;
  const body = await readFile(path.join(uiDir, entry.file));
  res.writeHead(200, baseHeaders({ 'Content-Type': entry.type, 'Content-Length': body.length, ...extraHeaders }));
  res.end(body);
  return true;
}
