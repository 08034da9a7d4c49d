/**
 * What the app adds to a corpus through the server: the corpus itself (a new folder), uploads into incoming/ that
 * an ingest job can then read, the known text of a segment, the exports it lists and offers, the models it offers,
 * and a failed job's one-line reason.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCorpusForServing } from '../../src/server/open-corpus.js';
import { startServer, type AppServer } from '../../src/server/server.js';
import type { JobInfo } from '../../src/api/index.js';
import { request } from './http-client.js';

let tmp: string;
let app: AppServer;
let dir: string;

const FAIL = `process.stderr.write('working\\n'); process.stderr.write('aunn ingest: incoming/x.tif: not a TIFF\\n'); process.exit(1);`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-app-files-'));
  dir = path.join(tmp, 'new-corpus');
  const corpus = await openCorpusForServing(dir);
  app = await startServer({
    corpus,
    uiDir: null,
    jobCommandLine: (command, args) => ({ file: process.execPath, args: ['-e', FAIL, command, ...args] }),
  });
});

afterAll(async () => {
  await app?.close();
  await rm(tmp, { recursive: true, force: true });
});

const api = (target: string, opts: Parameters<typeof request>[2] = {}) =>
  request(app.port, target, {
    token: app.token,
    headers: { Origin: `http://127.0.0.1:${app.port}`, ...opts.headers },
    ...opts,
  });

describe('starting from nothing', () => {
  it('serves a new folder as an empty corpus, and refuses a folder holding other files', async () => {
    expect(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')).records).toEqual([]);
    expect((await api('/api/records')).json().records).toEqual([]);
    const papers = path.join(tmp, 'papers');
    await mkdir(papers);
    await writeFile(path.join(papers, 'thesis.txt'), 'mine');
    await expect(openCorpusForServing(papers)).rejects.toThrow(
      /is not a corpus \(no manifest\.json\) and not empty \(thesis\.txt/,
    );
    expect(await readdir(papers)).toEqual(['thesis.txt']);
  });
});

describe('uploads', () => {
  it('writes the body to incoming/, where an ingest job may read it', async () => {
    const bytes = Buffer.from('II*\0fake tiff bytes');
    const r = await api('/api/uploads?path=batch1/scroll.volpkg/volumes/scan.tif', { method: 'POST', body: bytes });
    expect(r.status).toBe(201);
    expect(r.json().path).toBe('incoming/batch1/scroll.volpkg/volumes/scan.tif');
    expect(await readFile(path.join(dir, 'incoming/batch1/scroll.volpkg/volumes/scan.tif'))).toEqual(bytes);
    expect(await readdir(path.join(dir, 'incoming/batch1/scroll.volpkg/volumes'))).toEqual(['scan.tif']);
    // A zarr's own dot-files are plain names.
    expect((await api('/api/uploads?path=batch1/s.zarr/.zarray', { method: 'POST', body: '{}' })).status).toBe(201);
    const job = (
      await api('/api/jobs', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ command: 'ingest', input: 'incoming/batch1/scroll.volpkg' }),
      })
    ).json<JobInfo>();
    expect(job.args[0]).toBe(path.join(dir, 'incoming/batch1/scroll.volpkg'));
  });

  it('refuses names that could leave incoming/, replacing a file, and bodies over the limit, leaving nothing', async () => {
    for (const bad of [
      '../manifest.json',
      'a/../../x',
      '/etc/passwd',
      '..',
      'a/./b',
      'a/.partial-1-x',
      'a\\b',
      'a//b',
      '',
    ])
      expect(
        (await api(`/api/uploads?path=${encodeURIComponent(bad)}`, { method: 'POST', body: 'x' })).status,
        bad,
      ).toBe(400);
    expect(
      (await api('/api/uploads?path=batch1/scroll.volpkg/volumes/scan.tif', { method: 'POST', body: 'y' })).status,
    ).toBe(409);
    process.env.AUNN_MAX_UPLOAD_MIB = '1';
    try {
      const big = Buffer.alloc(2 ** 20 + 10);
      const r = await api('/api/uploads?path=batch2/big.tif', { method: 'POST', body: big });
      expect(r.status).toBe(413);
      expect(r.json().error).toMatch(/over the 1\.0 MiB limit; raise it with AUNN_MAX_UPLOAD_MIB/);
    } finally {
      delete process.env.AUNN_MAX_UPLOAD_MIB;
    }
    expect(await readdir(path.join(dir, 'incoming/batch2')).catch(() => [])).toEqual([]);
    expect(await readdir(dir)).not.toContain('x');
  });
});

describe('transcriptions, exports, models', () => {
  it('keeps the known text of a segment in transcriptions/ and gives it back', async () => {
    const seg = encodeURIComponent('scroll1/seg1');
    expect((await api(`/api/transcriptions?segment=${seg}`)).json().text).toBe('');
    const put = await api(`/api/transcriptions?segment=${seg}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'ΚΑΙΤΟΝ\nΛΟΓΟΝ\n\nΑΛΛΑ' }),
    });
    expect(put.json().path).toBe('transcriptions/scroll1__seg1.txt');
    expect(await readFile(path.join(dir, 'transcriptions/scroll1__seg1.txt'), 'utf8')).toBe('ΚΑΙΤΟΝ\nΛΟΓΟΝ\n\nΑΛΛΑ\n');
    expect((await api(`/api/transcriptions?segment=${seg}`)).json().text).toBe('ΚΑΙΤΟΝ\nΛΟΓΟΝ\n\nΑΛΛΑ\n');
    const empty = await api(`/api/transcriptions?segment=${seg}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: '  ' }),
    });
    expect(empty.status).toBe(400);
    expect((await api(`/api/transcriptions?segment=${encodeURIComponent('../x')}`)).status).toBe(400);
  });

  it('lists exports newest first and offers them as downloads; lists model folders', async () => {
    await mkdir(path.join(dir, 'exports'), { recursive: true });
    await writeFile(path.join(dir, 'exports/seg1.txt'), 'ΚΑΙ');
    await mkdir(path.join(dir, 'models/scroll1'), { recursive: true });
    const files = (await api('/api/exports')).json().files;
    expect(files.map((f: { path: string }) => f.path)).toEqual(['exports/seg1.txt']);
    expect(files[0].bytes).toBe(Buffer.byteLength('ΚΑΙ'));
    const dl = await api('/api/files?path=exports/seg1.txt&download=1');
    expect(dl.headers['content-disposition']).toBe("attachment; filename*=UTF-8''seg1.txt");
    expect(dl.body.toString()).toBe('ΚΑΙ');
    expect((await api('/api/models')).json().models).toEqual(['scroll1']);
  });

  it("gives a failed job's last stderr line as its error", async () => {
    await mkdir(path.join(dir, 'incoming'), { recursive: true });
    await writeFile(path.join(dir, 'incoming/x.tif'), 'x');
    const job = (
      await api('/api/jobs', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ command: 'ingest', input: 'incoming/x.tif' }),
      })
    ).json<JobInfo>();
    let info: JobInfo = job;
    for (let i = 0; i < 100 && !['done', 'failed'].includes(info.state); i++) {
      await new Promise((r) => setTimeout(r, 50));
      info = (await api(`/api/jobs/${job.id}`)).json<JobInfo>();
    }
    expect(info.state).toBe('failed');
    expect(info.error).toBe('aunn ingest: incoming/x.tif: not a TIFF');
  });
});
