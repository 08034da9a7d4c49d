import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import type { ProgressEvent } from '../../src/core/task.js';
import { Corpus } from '../../src/corpus/index.js';
import { ingestPath } from '../../src/ingest/ingest.js';
import { discover } from '../../src/ingest/discover.js';
import { cachedFetch } from '../../src/ingest/http-cache.js';
import { openZarr } from '../../src/ingest/readers/zarr.js';
import { expectVolume, FIXTURES, tempDir, v8 } from './fixture-values.js';

const Z = path.join(FIXTURES, 'zarr');
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A local server (127.0.0.1) whose behaviour each test sets; it counts the requests per path. */
let server: Server;
let base = '';
let handler: Handler = () => undefined;
const hits = new Map<string, number>();
const count = (re: RegExp) => [...hits.entries()].filter(([p]) => re.test(p)).reduce((s, [, n]) => s + n, 0);

/** Serves the fixture folder. */
const serveFixtures: Handler = (req, res) => {
  const file = path.join(Z, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
  if (!file.startsWith(Z) || !existsSync(file) || !statSync(file).isFile()) {
    res.statusCode = 404;
    res.end();
    return;
  }
  res.end(readFileSync(file));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const p = new URL(req.url!, 'http://x').pathname;
    hits.set(p, (hits.get(p) ?? 0) + 1);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const chunkRe = /\/ome-u8\.zarr\/0\/\d+\.\d+\.\d+$/;

describe('remote zarr through the disk cache', () => {
  it('a second read of the same volume is served from the cache: the same values, no chunk asked again', async () => {
    handler = serveFixtures;
    hits.clear();
    const url = `${base}/ome-u8.zarr`;
    const first = await openZarr(url);
    await expectVolume(first.volume, v8, 1);
    expect(count(chunkRe)).toBe(18); // 2x3x3 chunks, each fetched once
    const second = await openZarr(url);
    await expectVolume(second.volume, v8, 1);
    expect(count(chunkRe)).toBe(18);
  });

  it('ingest of a remote volume shows the bytes fetched and served from the cache in its progress', async () => {
    handler = serveFixtures;
    const last = async (dir: string) => {
      const corpus = await Corpus.open(dir, { create: true });
      const events: ProgressEvent[] = [];
      await ingestPath(corpus, `${base}/v2-gzip-u8.zarr`, { scroll: 'remote', onProgress: (e) => events.push(e) });
      return events.filter((e) => e.label.startsWith('ingest')).at(-1)!.info!;
    };
    const first = await last(path.join(tempDir('aunn-http-ingest-'), 'corpus'));
    expect(first.fetched).toMatch(/^[1-9]\d* bytes$|KiB$/);
    expect(first['from cache']).toBe('0 bytes');
    expect(first.network).toMatch(/\/s$/);
    const second = await last(path.join(tempDir('aunn-http-ingest-'), 'corpus'));
    expect(second.fetched).toBe('0 bytes');
    expect(second['from cache']).toBe(first.fetched);
  });

  it('a region of a remote level fetches only the chunks it touches, and reads their values', async () => {
    handler = serveFixtures;
    hits.clear();
    // level 0 is 6x20x24 in chunks of 4x8x8: this box lies in the chunk 0.1.0 alone (a fresh cache: the first
    // test's chunks are in the shared one)
    const saved = process.env.AUNN_HTTP_CACHE;
    process.env.AUNN_HTTP_CACHE = tempDir('aunn-http-region-');
    try {
      const z = await openZarr(`${base}/ome-u8.zarr`, { region: { z: [1, 3], y: [9, 15], x: [2, 7] } });
      expect(z.volume.shape).toEqual([2, 6, 5]);
      await expectVolume(z.volume, (zz, y, x) => v8(zz + 1, y + 9, x + 2), 1);
    } finally {
      process.env.AUNN_HTTP_CACHE = saved;
    }
    expect([...hits.keys()].filter((p) => chunkRe.test(p))).toEqual(['/ome-u8.zarr/0/0.1.0']);
    const outside = await openZarr(`${base}/ome-u8.zarr`, { region: { z: [0, 7], y: [0, 1], x: [0, 1] } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(outside).toBeInstanceOf(UserError);
    expect((outside as Error).message).toMatch(
      /ome-u8\.zarr: region z 0:7 is not inside the z extent 0:6 of this level/,
    );
  });

  it('--region is refused for what is not a zarr store, with the file named', async () => {
    const tif = path.join(FIXTURES, 'tiff', 'multipage16-be.tif');
    const err = await discover(tif, { region: { z: [0, 1], y: [0, 1], x: [0, 1] } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`${tif}: --region reads a box of a zarr store; this is not one`);
  });

  it('answers 503 and resets are tried again; every chunk still arrives right', async () => {
    const failed = new Set<string>();
    handler = (req, res) => {
      // each path fails once (a 503, or a dropped connection for every third) before it is served
      if (!failed.has(req.url!)) {
        failed.add(req.url!);
        if (failed.size % 3 === 0) req.socket.destroy();
        else {
          res.statusCode = 503;
          res.end();
        }
        return;
      }
      serveFixtures(req, res);
    };
    const saved = process.env.AUNN_HTTP_CACHE;
    process.env.AUNN_HTTP_CACHE = 'off'; // the first test's chunks would be served from the cache
    try {
      const z = await openZarr(`${base}/ome-u8.zarr`);
      await expectVolume(z.volume, v8, 1);
    } finally {
      process.env.AUNN_HTTP_CACHE = saved;
    }
    expect(failed.size).toBeGreaterThan(18);
  });

  it('a server that keeps failing ends the read with one line naming the store, after the retries', async () => {
    handler = (_req, res) => {
      res.statusCode = 500;
      res.end();
    };
    hits.clear();
    const err = await openZarr(`${base}/broken.zarr`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/broken\.zarr: /);
    // the first metadata request and its 3 retries, no endless loop
    expect(Math.max(...hits.values())).toBe(4);
  });
});

describe('cachedFetch', () => {
  const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

  it('evicts the least recently used files past its size limit and never serves a partial file', async () => {
    handler = (req, res) => res.end(bytes(1000, Number(req.url!.slice(1)) || 1));
    hits.clear();
    const dir = tempDir('aunn-http-lru-');
    const get = cachedFetch(fetch, { dir, maxBytes: 2500 });
    const read = async (p: string) => new Uint8Array(await (await get(new Request(`${base}/${p}`))).arrayBuffer());
    expect((await read('1'))[0]).toBe(1);
    await read('2');
    await new Promise((r) => setTimeout(r, 20));
    await read('1'); // a hit: 1 is now the most recently used
    expect(hits.get('/1')).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    await read('3'); // 3000 bytes > 2500: the least recently used (2) goes
    expect(get.stats).toMatchObject({ requests: 4, hits: 1, bytesFetched: 3000, bytesFromCache: 1000 });
    await read('1');
    await read('2');
    expect(hits.get('/1')).toBe(1);
    expect(hits.get('/2')).toBe(2);
    let total = 0;
    for (const sub of readdirSync(dir))
      for (const f of readdirSync(path.join(dir, sub))) total += statSync(path.join(dir, sub, f)).size;
    expect(total).toBeLessThanOrEqual(2500);

    // a run killed while writing leaves a .part file: a fresh process never serves it
    const fresh = tempDir('aunn-http-part-');
    const warm = cachedFetch(fetch, { dir: fresh });
    await warm(new Request(`${base}/7`));
    const sub = readdirSync(fresh)[0]!;
    const [name] = readdirSync(path.join(fresh, sub));
    writeFileSync(path.join(fresh, sub, `${name}.123.abcd.part`), bytes(10, 0));
    const other = tempDir('aunn-http-part2-');
    mkdirSync(path.join(other, sub));
    writeFileSync(path.join(other, sub, `${name}.9.beef.part`), bytes(10, 0));
    const get2 = cachedFetch(fetch, { dir: other });
    const body = new Uint8Array(await (await get2(new Request(`${base}/7`))).arrayBuffer());
    expect(body.length).toBe(1000);
    expect(body[0]).toBe(7);
    expect(get2.stats.hits).toBe(0);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let live = 0,
      peak = 0;
    handler = (_req, res) => {
      peak = Math.max(peak, ++live);
      setTimeout(() => {
        live--;
        res.end('x');
      }, 30);
    };
    const get = cachedFetch(fetch, { concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => get(new Request(`${base}/c${i}`)).then((r) => r.text())));
    expect(peak).toBe(3);
  });

  it('a 404 (a chunk never written) is passed on and not kept', async () => {
    handler = (_req, res) => {
      res.statusCode = 404;
      res.end();
    };
    hits.clear();
    const get = cachedFetch(fetch, { dir: tempDir('aunn-http-404-') });
    expect((await get(new Request(`${base}/missing`))).status).toBe(404);
    expect((await get(new Request(`${base}/missing`))).status).toBe(404);
    expect(hits.get('/missing')).toBe(2);
  });
});
