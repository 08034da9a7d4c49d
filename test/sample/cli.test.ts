// `aunn sample` wiring: options reach the generator, the summary prints, bad input is one line and a non-zero exit.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const aunn = path.resolve(__dirname, '../../bin/aunn.js');
let tmp: string;

async function aunnRun(args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [aunn, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-sample-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('aunn sample', () => {
  it('writes a named scroll and prints its summary as JSON', async () => {
    const out = path.join(tmp, 'x');
    const r = await aunnRun(['sample', '--out', out, '--seed', '7', '--scroll', 'herc-7', '--quiet', '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ scroll: 'herc-7', seed: 7, size: 'small' });
    expect((await readdir(out)).sort()).toEqual(['herc-7.volpkg', 'previews', 'truth']);
  });

  it.each([
    [['--out', 'OUT', '--seed', 'x'], /--seed/],
    [['--seed', '1'], /--out/],
    [['--out', 'OUT', '--size', 'huge'], /--size/],
  ])('rejects %j with one line and exit code 2, writing nothing', async (args, message) => {
    const out = path.join(tmp, 'never');
    const r = await aunnRun(['sample', ...args.map((a) => (a === 'OUT' ? out : a))]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^aunn sample: /);
    expect(lines[0]).toMatch(message);
    await expect(readdir(out)).rejects.toThrow();
  });
});
