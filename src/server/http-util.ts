/**
 * Small helpers for node:http handlers: typed HTTP errors, JSON/bytes replies with the security headers, and a
 * bounded body reader.
 *
 *   const body = await readJsonBody(req, LIMITS.bodyBytes); // HttpError 413 when larger
 *   sendJson(res, 200, { ok: true });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './security.js';

/** An error that becomes an HTTP status and a one-line JSON message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function baseHeaders(extra: Record<string, string | number> = {}): Record<string, string | number> {
  return { ...SECURITY_HEADERS, 'Cache-Control': 'no-store', ...extra };
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(
    status,
    baseHeaders({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length }),
  );
  res.end(body);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: message });
}

export function sendBytes(res: ServerResponse, bytes: Uint8Array, headers: Record<string, string | number>): void {
  res.writeHead(
    200,
    baseHeaders({ 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.byteLength, ...headers }),
  );
  res.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Read the body, refusing (413) as soon as it passes `limit` bytes or when Content-Length already says so. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit)
    throw new HttpError(413, `request body of ${declared} bytes is over the ${limit}-byte limit`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body is over the ${limit}-byte limit`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) throw new HttpError(415, 'expected Content-Type: application/json');
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new HttpError(400, `body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Parse an integer query parameter within [min, max]; HttpError 400 naming the parameter otherwise. */
export function intParam(url: URL, name: string, min: number, max: number, fallback?: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new HttpError(400, `missing parameter '${name}'`);
  }
  if (!/^-?\d+$/.test(raw)) throw new HttpError(400, `parameter '${name}' must be an integer, got '${raw}'`);
  const v = Number(raw);
  if (v < min || v > max) throw new HttpError(400, `parameter '${name}' = ${v} is outside [${min}, ${max}]`);
  return v;
}

/** Parse `a,b` as a half-open range within [0, size]. */
export function rangeParam(url: URL, name: string, size: number): [number, number] {
  const raw = url.searchParams.get(name);
  if (raw === null) return [0, size];
  const m = /^(\d+),(\d+)$/.exec(raw);
  if (!m) throw new HttpError(400, `parameter '${name}' must be 'start,end', got '${raw}'`);
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (!(a < b && b <= size))
    throw new HttpError(400, `parameter '${name}' = ${a},${b} is outside [0, ${size}] or empty`);
  return [a, b];
}
