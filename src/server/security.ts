/**
 * The local server's gatekeeping, one rule per function: a random token compared in constant time, a Host header
 * naming this server only, bounded request bodies, and every file path confined to the corpus folder (no `..`,
 * no absolute paths, no symlink that resolves outside).
 *
 *   const token = newToken();
 *   if (!tokenMatches(token, req.headers['x-aunn-token'])) return res.writeHead(401).end();
 *   const file = await confinedPath(corpus.dir, 'readings/seg1.json'); // throws ForbiddenPath
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { isInside } from '../core/paths.js';

/** A fresh 256-bit token, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison (hashing first makes the lengths equal, so the length does not leak either). */
export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * The token from the header, the `?token=` query (the URL `aunn serve` prints, EventSource), or this port's cookie, in
 * that order: a URL's token wins over a cookie left by an earlier server, so the printed URL always opens the app.
 */
export function tokenFrom(req: IncomingMessage, url: URL, port: number): string | undefined {
  const header = req.headers['x-aunn-token'];
  if (typeof header === 'string') return header;
  const query = url.searchParams.get('token');
  if (query !== null) return query;
  const cookie = req.headers.cookie;
  if (cookie) {
    const name = tokenCookieName(port);
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === name) return v.join('=');
    }
  }
  return undefined;
}

/** The token cookie's name carries the port: cookies ignore ports, so two servers on one host must not share one. */
export function tokenCookieName(port: number): string {
  return `aunn_token_${port}`;
}

/** Only `127.0.0.1:PORT` and `localhost:PORT` (defeats DNS rebinding: a foreign page's Host is its own name). */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/**
 * A state-changing request (anything but GET/HEAD) that names an Origin must come from this server's own page;
 * browsers send Origin on cross-site requests, so a foreign page is refused even if it somehow held the token.
 * Requests without Origin (curl, the job runner, tests) are judged by the token alone.
 */
export function originAllowed(method: string | undefined, origin: string | undefined, port: number): boolean {
  if (method === 'GET' || method === 'HEAD' || origin === undefined) return true;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

/** Strict Content-Security-Policy for every response: only this origin, no inline script, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** A path the server will not serve; carries the path asked for and why. */
export class ForbiddenPath extends Error {
  constructor(
    readonly requested: string,
    readonly reason: string,
  ) {
    super(`refused path '${requested}': ${reason}`);
    this.name = 'ForbiddenPath';
  }
}

/**
 * Resolve `relative` inside `root` or throw ForbiddenPath. The lexical check rejects `..`, absolute paths, drive
 * letters, backslashes and NUL; the realpath check rejects symlinks (anywhere on the path) that lead outside.
 * A path that does not exist throws ForbiddenPath with reason 'not found'.
 */
export async function confinedPath(root: string, relative: string): Promise<string> {
  if (relative.length === 0 || relative.length > 1024) throw new ForbiddenPath(relative, 'empty or too long');
  if (relative.includes('\0')) throw new ForbiddenPath(relative, 'NUL byte');
  if (relative.includes('\\')) throw new ForbiddenPath(relative, 'backslash');
  if (path.isAbsolute(relative) || /^[a-zA-Z]:/.test(relative)) throw new ForbiddenPath(relative, 'absolute path');
  if (relative.split('/').some((part) => part === '..')) throw new ForbiddenPath(relative, "'..' in path");
  const realRoot = await realpath(root);
  const joined = path.resolve(realRoot, relative);
  if (!isInside(realRoot, joined)) throw new ForbiddenPath(relative, 'outside the corpus');
  let real: string;
  try {
    real = await realpath(joined);
  } catch {
    throw new ForbiddenPath(relative, 'not found');
  }
  if (!isInside(realRoot, real)) throw new ForbiddenPath(relative, 'resolves outside the corpus (symlink)');
  return real;
}

/** Same as confinedPath for an absolute path some API handed us (e.g. Corpus.attachmentPath). */
export async function confinedAbsolute(root: string, absolute: string): Promise<string> {
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(absolute);
  } catch {
    throw new ForbiddenPath(absolute, 'not found');
  }
  if (!isInside(realRoot, real)) throw new ForbiddenPath(absolute, 'resolves outside the corpus');
  return real;
}

/** Request-size limits. */
export const LIMITS = {
  /** JSON bodies (view state, job requests). */
  bodyBytes: 1 << 20,
  /** Request target length. */
  urlChars: 8192,
  /** Voxels in one 3-D region response (256³ = 16 MiB). */
  regionVoxels: 256 ** 3,
  /** Pixels in one slice response. */
  slicePixels: 4096 * 4096,
} as const;
