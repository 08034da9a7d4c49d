/**
 * A raw HTTP client for server tests (node:http, so the Host header and the body can be anything).
 *
 *   const r = await request(app.port, '/api/records', { token: app.token });
 */
import { request as httpRequest } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = any>(): T;
}

export function request(
  port: number,
  target: string,
  opts: {
    method?: string;
    token?: string;
    host?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: opts.host ?? `127.0.0.1:${port}`, ...opts.headers };
    if (opts.token) headers['X-Aunn-Token'] = opts.token;
    const req = httpRequest({ host: '127.0.0.1', port, path: target, method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body.toString('utf8')),
        });
      });
      res.on('error', reject);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      // The server may answer 413 and close before the whole body is sent.
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') return;
      reject(e);
    });
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
