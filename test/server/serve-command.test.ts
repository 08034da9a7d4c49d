/** `aunn serve` as the user runs it: prints the URL with its token, answers on it, refuses bad input, stops on Ctrl-C. */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Corpus } from '../../src/corpus/index.js';
import { request } from './http-client.js';

const AUNN = path.resolve(__dirname, '../../bin/aunn.js');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-serve-cmd-'));
  const c = await Corpus.open(path.join(tmp, 'corpus'), { create: true });
  await c.withWriter((w) =>
    w.appendRecord(
      {
        name: 's/img',
        scroll: 's',
        modality: 'scan',
        shape: [4, 8, 8],
        dtype: 'uint8',
        source: { path: '(generated)', sha256: '0', format: 'generated' },
        trainable: true,
      },
      (write) =>
        write(
          0,
          new Uint8Array(256).map((_, i) => i),
        ),
    ),
  );
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('aunn serve', () => {
  it('prints the URL with its token, serves the UI and the API there, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [AUNN, 'serve', '--corpus', path.join(tmp, 'corpus')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<URL>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 60_000);
      child.stdout.on('data', () => {
        const m = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
        if (m) (clearTimeout(timer), resolve(new URL(m[1]!)));
      });
    });
    const port = Number(url.port);
    const token = url.searchParams.get('token')!;
    expect(token.length).toBeGreaterThanOrEqual(40);
    const page = await request(port, `/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('<script type="module" src="/ui/app.js">');
    expect((await request(port, '/api/records', { token })).json().records[0].name).toBe('s/img');
    expect((await request(port, '/api/records')).status).toBe(401);
    const code = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await code).toBe(0);
  });

  it('names the folder when it is not a corpus, and a bad port', async () => {
    const run = promisify(execFile);
    const fail = async (args: string[]) => {
      try {
        await run(process.execPath, [AUNN, 'serve', ...args]);
        return '';
      } catch (e) {
        return (e as { stderr: string }).stderr;
      }
    };
    expect(await fail(['--corpus', tmp])).toContain(`aunn serve: ${tmp} is not a corpus (no manifest.json)`);
    expect(await fail(['--corpus', path.join(tmp, 'corpus'), '--port', '70000'])).toContain('--port must be 0..65535');
  });
});
