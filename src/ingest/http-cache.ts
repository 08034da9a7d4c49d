/**
 * Remote zarr chunks through a bounded on-disk cache: a chunk fetched once is read from disk the next time (the
 * viewers of the field re-download them: minutes uncached against seconds cached), least recently used files go
 * first when the cache passes its size limit, and a file appears only when whole (written beside, then renamed), so a
 * killed run leaves nothing half-written to be served. Requests that fail on the way (no answer, a reset, 5xx, 429)
 * are tried again a few times with a growing pause; at most `concurrency` are in flight at once. Only whole 200
 * answers are kept: a 404 (a chunk never written: the fill value) is asked again.
 *
 *   const get = cachedFetch(timedFetch, { dir: httpCacheDir() });
 *   const res = await get(new Request(url));    // get.stats: requests, hits, bytes fetched / from cache
 *
 * AUNN_HTTP_CACHE: its folder (default $XDG_CACHE_HOME/scroll-aunn/http, else ~/.cache/...; `off`: no cache);
 * AUNN_HTTP_CACHE_MB: its size limit (default 4096); AUNN_HTTP_RETRIES: tries after the first (default 3).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

type Fetch = (request: Request) => Promise<Response>;

export interface HttpCacheOptions {
  /** The cache folder; undefined: no disk cache (retries and the concurrency bound still apply). */
  dir?: string;
  maxBytes?: number;
  concurrency?: number;
  retries?: number;
  /** Pause before the first retry, doubled for each next one. */
  retryDelayMs?: number;
}

export interface HttpStats {
  requests: number;
  hits: number;
  bytesFetched: number;
  bytesFromCache: number;
  retries: number;
}

/** The cache folder the environment asks for (undefined: AUNN_HTTP_CACHE=off). */
export function httpCacheDir(): string | undefined {
  const env = process.env.AUNN_HTTP_CACHE;
  if (env === 'off') return undefined;
  if (env) return path.resolve(env);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'scroll-aunn', 'http');
}

function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

/** Files of the cache with their sizes and last use; one scan per folder and process, then kept up to date. */
class CacheIndex {
  readonly files = new Map<string, { size: number; used: number }>();
  total = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const sub of readdirSync(dir)) {
      const subDir = path.join(dir, sub);
      let names: string[];
      try {
        names = readdirSync(subDir);
      } catch {
        continue;
      }
      for (const name of names) {
        const file = path.join(subDir, name);
        const st = statSync(file, { throwIfNoEntry: false });
        if (!st?.isFile()) continue;
        // a partial write of a run that was killed: never served, removed once it is clearly abandoned
        if (name.endsWith('.part')) {
          if (Date.now() - st.mtimeMs > 3_600_000) rmSync(file, { force: true });
          continue;
        }
        this.files.set(file, { size: st.size, used: st.mtimeMs });
        this.total += st.size;
      }
    }
  }

  touch(file: string): void {
    const now = Date.now();
    const entry = this.files.get(file);
    if (entry) entry.used = now;
    try {
      utimesSync(file, now / 1000, now / 1000);
    } catch {
      // removed by another run meanwhile: the next read fetches it again
    }
  }

  add(file: string, size: number, maxBytes: number): void {
    const old = this.files.get(file);
    if (old) this.total -= old.size;
    this.files.set(file, { size, used: Date.now() });
    this.total += size;
    if (this.total <= maxBytes) return;
    // down to 90% of the limit, least recently used first, so every write does not evict
    const byAge = [...this.files.entries()].sort((a, b) => a[1].used - b[1].used);
    for (const [f, e] of byAge) {
      if (this.total <= 0.9 * maxBytes) break;
      if (f === file) continue;
      rmSync(f, { force: true });
      this.files.delete(f);
      this.total -= e.size;
    }
  }
}
const indexes = new Map<string, CacheIndex>();

/** A bounded number of tasks at once; the rest wait in order. */
function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

const retryable = (status: number) => status >= 500 || status === 429;

/** `base` with retries, a concurrency bound and, where `dir` is given, the disk cache. */
export function cachedFetch(base: Fetch, opts: HttpCacheOptions = {}): Fetch & { stats: HttpStats } {
  const maxBytes = opts.maxBytes ?? envNumber('AUNN_HTTP_CACHE_MB', 4096) * 2 ** 20;
  const retries = opts.retries ?? envNumber('AUNN_HTTP_RETRIES', 3);
  const delay = opts.retryDelayMs ?? 250;
  const limit = limiter(Math.max(1, opts.concurrency ?? 8));
  const stats: HttpStats = { requests: 0, hits: 0, bytesFetched: 0, bytesFromCache: 0, retries: 0 };
  let index: CacheIndex | undefined;
  if (opts.dir) {
    index = indexes.get(opts.dir) ?? new CacheIndex(opts.dir);
    indexes.set(opts.dir, index);
  }

  const fetchWithRetries = async (request: Request): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      request.signal.throwIfAborted();
      let res: Response | undefined;
      let error: unknown;
      try {
        res = await limit(() => base(request.clone()));
      } catch (err) {
        if (request.signal.aborted) throw err;
        error = err;
      }
      if (res && !retryable(res.status)) return res;
      if (attempt >= retries) {
        if (res) return res;
        throw error;
      }
      stats.retries++;
      await new Promise((resolve) => setTimeout(resolve, delay * 2 ** attempt));
    }
  };

  const get = async (request: Request): Promise<Response> => {
    stats.requests++;
    if (!index || request.method !== 'GET') return fetchWithRetries(request);
    const key = createHash('sha256')
      .update(`${request.url}\n${request.headers.get('range') ?? ''}`)
      .digest('hex');
    const file = path.join(index.dir, key.slice(0, 2), key);
    if (index.files.has(file)) {
      try {
        const body = await readFile(file);
        index.touch(file);
        stats.hits++;
        stats.bytesFromCache += body.byteLength;
        return new Response(body, { status: 200 });
      } catch {
        index.files.delete(file);
      }
    }
    const res = await fetchWithRetries(request);
    if (res.status !== 200) return res;
    const body = new Uint8Array(await res.arrayBuffer());
    stats.bytesFetched += body.byteLength;
    if (body.byteLength <= maxBytes) {
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        const part = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
        writeFileSync(part, body);
        renameSync(part, file);
        index.add(file, body.byteLength, maxBytes);
      } catch {
        // a full or read-only disk: the chunk is still served, only not kept
      }
    }
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return Object.assign(get, { stats });
}
