import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type AppServer } from '../../src/server/server.js';
import { spiralCorpus, type SpiralCorpus } from './spiral-corpus.js';
import { request } from './http-client.js';

let tmp: string;
let corpus: SpiralCorpus;
let app: AppServer;
let outside: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-server-'));
  corpus = await spiralCorpus(path.join(tmp, 'corpus'));
  const uiDir = path.join(tmp, 'ui');
  await mkdir(uiDir);
  await writeFile(path.join(uiDir, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(path.join(uiDir, 'app.js'), '');
  await writeFile(path.join(uiDir, 'style.css'), '');
  outside = path.join(tmp, 'secret.json');
  await writeFile(outside, '{"secret": true}');
  await mkdir(path.join(corpus.dir, 'readings'));
  await writeFile(path.join(corpus.dir, 'readings', 'seg1.json'), '{"letters": []}');
  await symlink(outside, path.join(corpus.dir, 'readings', 'link-out.json'));
  await symlink(tmp, path.join(corpus.dir, 'dir-out'));
  app = await startServer({ corpus, uiDir, onError: () => {} });
});

afterAll(async () => {
  await app?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('aunn serve: who may ask', () => {
  it('listens on 127.0.0.1 only', () => {
    const addr = app.server.address();
    expect(typeof addr === 'object' && addr?.address).toBe('127.0.0.1');
    expect(app.url).toBe(`http://127.0.0.1:${app.port}/?token=${app.token}`);
  });

  it('refuses requests without the token or with a wrong one', async () => {
    expect((await request(app.port, '/api/records')).status).toBe(401);
    expect((await request(app.port, '/api/records', { token: app.token.slice(0, -1) + 'x' })).status).toBe(401);
    expect((await request(app.port, '/')).status).toBe(401);
    const ok = await request(app.port, '/api/records', { token: app.token });
    expect(ok.status).toBe(200);
  });

  it('refuses a foreign Host header even with the token (DNS rebinding)', async () => {
    for (const host of ['evil.example:80', `evil.example:${app.port}`, `127.0.0.1:${app.port + 1}`, '127.0.0.1']) {
      const r = await request(app.port, '/api/records', { token: app.token, host });
      expect(r.status, host).toBe(403);
      expect(r.json().error).toContain('Host');
    }
    expect((await request(app.port, '/api/records', { token: app.token, host: `localhost:${app.port}` })).status).toBe(
      200,
    );
  });

  it('sets an HttpOnly SameSite cookie on the first page load, which then stands for the token', async () => {
    const first = await request(app.port, `/?token=${app.token}`);
    expect(first.status).toBe(200);
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`aunn_token_${app.port}=[^;]+; HttpOnly; SameSite=Strict`));
    const again = await request(app.port, '/api/records', { headers: { Cookie: cookie.split(';')[0]! } });
    expect(again.status).toBe(200);
  });

  it("opens the printed URL though a cookie from an earlier server is still there, and ignores other ports' cookies", async () => {
    const stale = `aunn_token_${app.port}=${'x'.repeat(43)}`;
    const first = await request(app.port, `/?token=${app.token}`, { headers: { Cookie: stale } });
    expect(first.status).toBe(200);
    expect(String(first.headers['set-cookie'])).toContain(`aunn_token_${app.port}=${app.token}`);
    const otherPort = `aunn_token_${app.port + 1}=${app.token}`;
    expect((await request(app.port, '/api/records', { headers: { Cookie: otherPort } })).status).toBe(401);
    expect((await request(app.port, '/api/records', { headers: { Cookie: stale } })).status).toBe(401);
  });

  it('refuses a state-changing request from a foreign Origin even with the token', async () => {
    const put = (origin?: string) =>
      request(app.port, '/api/view-state', {
        method: 'PUT',
        token: app.token,
        headers: { 'Content-Type': 'application/json', ...(origin ? { Origin: origin } : {}) },
        body: '{"tab":"volume"}',
      });
    expect((await put('http://evil.example')).status).toBe(403);
    expect((await put(`http://127.0.0.1:${app.port + 1}`)).status).toBe(403);
    expect((await put(`http://127.0.0.1:${app.port}`)).status).toBe(200);
    expect((await put()).status).toBe(200);
  });

  it('sends a strict Content-Security-Policy on pages and API replies', async () => {
    for (const target of [`/?token=${app.token}`, `/api/records?token=${app.token}`]) {
      const csp = String((await request(app.port, target)).headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
    }
  });
});

describe('aunn serve: paths stay inside the corpus', () => {
  const file = (p: string) => request(app.port, `/api/files?path=${encodeURIComponent(p)}`, { token: app.token });

  it('serves a file inside the corpus', async () => {
    const r = await file('readings/seg1.json');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ letters: [] });
  });

  it('refuses ../ in any spelling', async () => {
    for (const p of ['../secret.json', 'readings/../../secret.json', 'readings/../seg1.json']) {
      const r = await file(p);
      expect(r.status, p).toBe(403);
      expect(r.json().error).toContain("'..'");
    }
    // raw, un-normalised request targets
    const raw = await request(app.port, '/api/files?path=..%2Fsecret.json', { token: app.token });
    expect(raw.status).toBe(403);
  });

  it('refuses absolute paths', async () => {
    for (const p of [outside, '/etc/passwd.json', 'C:/Windows/win.json']) {
      const r = await file(p);
      expect(r.status, p).toBe(403);
      expect(r.json().error).toContain('absolute');
    }
  });

  it('refuses symlinks that resolve outside the corpus', async () => {
    for (const p of ['readings/link-out.json', 'dir-out/secret.json']) {
      const r = await file(p);
      expect(r.status, p).toBe(403);
      expect(r.json().error).toContain('outside the corpus');
      expect(r.body.toString()).not.toContain('"secret": true');
    }
  });

  it('refuses file types it does not serve and names missing files', async () => {
    expect((await file('manifest.sh')).status).toBe(403);
    expect((await file('nothing.json')).status).toBe(404);
  });

  it('lists the readings files and serves a record attachment (the mesh)', async () => {
    const r = await request(app.port, '/api/readings', { token: app.token });
    expect(r.json().files).toContain('readings/seg1.json');
    const layers = corpus.record('scroll1/seg1/layers');
    const mesh = await request(app.port, `/api/records/${layers.id}/attachments/mesh.obj`, { token: app.token });
    expect(mesh.status).toBe(200);
    expect(mesh.body.toString()).toMatch(/^# segment seg1\nv /);
    expect(
      (await request(app.port, `/api/records/${layers.id}/attachments/..%2F..%2Fsecret.json`, { token: app.token }))
        .status,
    ).toBe(400);
  });
});

describe('aunn serve: data', () => {
  it('lists records with the shape of each level', async () => {
    const r = (await request(app.port, '/api/records', { token: app.token })).json();
    const scan = r.records.find((x: any) => x.name === 'scroll1/scanA');
    expect(scan.levelShapes).toEqual([
      [48, 96, 96],
      [24, 48, 48],
    ]);
    expect(r.records.some((x: any) => x.prediction?.kind === 'ink')).toBe(true);
  });

  it('returns a slice along each axis with its shape, equal to the corpus bytes', async () => {
    const rec = corpus.record('scroll1/scanA');
    const cases = [
      { axis: 'z', index: 7, shape: [96, 96], region: { z: [7, 8], y: [0, 96], x: [0, 96] } },
      { axis: 'y', index: 50, shape: [48, 96], region: { z: [0, 48], y: [50, 51], x: [0, 96] } },
      { axis: 'x', index: 3, shape: [48, 96], region: { z: [0, 48], y: [0, 96], x: [3, 4] } },
    ] as const;
    for (const c of cases) {
      const r = await request(app.port, `/api/records/${rec.id}/slice?axis=${c.axis}&index=${c.index}&level=0`, {
        token: app.token,
      });
      expect(r.status).toBe(200);
      expect(r.headers['x-shape']).toBe(c.shape.join(','));
      const expected = await corpus.readRegion(rec, { z: [...c.region.z], y: [...c.region.y], x: [...c.region.x] });
      expect(new Uint8Array(r.body)).toEqual(expected);
    }
    const lvl1 = await request(app.port, `/api/records/${rec.id}/slice?axis=z&index=3&level=1`, { token: app.token });
    expect(lvl1.headers['x-shape']).toBe('48,48');
    expect(lvl1.body.length).toBe(48 * 48);
  });

  it('returns a bounded 3-D region and refuses bad parameters with a reason', async () => {
    const rec = corpus.record('scroll1/scanA');
    const r = await request(app.port, `/api/records/${rec.id}/region?level=1`, { token: app.token });
    expect(r.headers['x-shape']).toBe('24,48,48');
    expect(r.body.length).toBe(24 * 48 * 48);
    const bad = [
      [`/api/records/${rec.id}/slice?axis=q&index=0`, 400, 'axis'],
      [`/api/records/${rec.id}/slice?axis=z&index=48`, 400, "'index'"],
      [`/api/records/${rec.id}/slice?axis=z&index=0&level=5`, 400, "'level'"],
      [`/api/records/${rec.id}/region?z=10,5`, 400, "'z'"],
      [`/api/records/999/slice?axis=z&index=0`, 404, 'no record'],
      [`/api/records/abc/slice`, 400, 'number'],
    ] as const;
    for (const [target, status, words] of bad) {
      const res = await request(app.port, target, { token: app.token });
      expect(res.status, target).toBe(status);
      expect(res.json().error).toContain(words);
    }
  });
});

describe('aunn serve: view state and body limits', () => {
  const stateFile = () => path.join(corpus.dir, 'view-state.json');

  it('saves and restores the view state in the corpus', async () => {
    const state = { tab: 'volume', layers: { 'scroll1/scanA': { colormap: 'inferno', window: [10, 200] } } };
    const put = await request(app.port, '/api/view-state', {
      method: 'PUT',
      token: app.token,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(state),
    });
    expect(put.status).toBe(200);
    expect(JSON.parse(await readFile(stateFile(), 'utf8'))).toEqual(state);
    expect((await request(app.port, '/api/view-state', { token: app.token })).json()).toEqual(state);
  });

  it('refuses an oversize body (413) and leaves the saved state as it was', async () => {
    await request(app.port, '/api/view-state', {
      method: 'PUT',
      token: app.token,
      headers: { 'Content-Type': 'application/json' },
      body: '{"tab":"segment"}',
    });
    const before = await readFile(stateFile(), 'utf8');
    expect(JSON.parse(before)).toEqual({ tab: 'segment' });
    const big = JSON.stringify({ junk: 'x'.repeat(2 << 20) });
    const r = await request(app.port, '/api/view-state', {
      method: 'PUT',
      token: app.token,
      headers: { 'Content-Type': 'application/json' },
      body: big,
    });
    expect(r.status).toBe(413);
    expect(await readFile(stateFile(), 'utf8')).toBe(before);
    // and a body that lies about its length (chunked, no Content-Length)
    const r2 = await request(app.port, '/api/view-state', {
      method: 'PUT',
      token: app.token,
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: big,
    });
    expect(r2.status).toBe(413);
    expect(await readFile(stateFile(), 'utf8')).toBe(before);
  });

  it('refuses a non-object state, a non-JSON body and a huge URL', async () => {
    const put = (body: string, type = 'application/json') =>
      request(app.port, '/api/view-state', {
        method: 'PUT',
        token: app.token,
        headers: { 'Content-Type': type },
        body,
      });
    expect((await put('[1,2]')).status).toBe(400);
    expect((await put('{nope')).status).toBe(400);
    expect((await put('{}', 'text/plain')).status).toBe(415);
    expect((await request(app.port, `/api/records?x=${'a'.repeat(9000)}`, { token: app.token })).status).toBe(414);
  });
});
