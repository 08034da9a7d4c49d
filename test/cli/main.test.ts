import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const aunn = path.resolve(__dirname, '../../bin/aunn.js');

async function aunnRun(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [aunn, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('aunn command', () => {
  it('names the path and the reason in one line when --corpus is a file, and leaves the file as it was', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'aunn-cli-'));
    const file = path.join(dir, 'not-a-folder');
    writeFileSync(file, 'keep me');
    const r = await aunnRun(['ingest', path.resolve(__dirname, '../fixtures/tiff/stack16-deflate'), '--corpus', file]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`aunn ingest: ${file}: already exists and is not a folder`]);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops quietly when the reader of its output goes away (aunn --help | true)', async () => {
    const { stdout } = await run('bash', [
      '-c',
      `node ${JSON.stringify(aunn)} --help 2>&1 | true; echo "rc=\${PIPESTATUS[0]}"`,
    ]);
    expect(stdout).toBe('rc=0\n');
  });

  it('lists its subcommands', async () => {
    const r = await aunnRun(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['ingest', 'train', 'finetune', 'ink', 'read', 'export', 'serve', 'bench', 'demo'])
      expect(r.stdout).toContain(c);
  });

  it("prints each command's help once, exit 0, nothing on stderr", async () => {
    const commands = ['sample', 'ingest', 'render', 'info', 'train', 'condition', 'finetune', 'predict', 'ink', 'read'];
    commands.push('export', 'export-zarr', 'serve', 'bench', 'demo');
    for (const c of commands) {
      const r = await aunnRun([c, '--help']);
      expect([c, r.code, r.stderr]).toEqual([c, 0, '']);
      expect([c, r.stdout.match(/^Usage: /gm)?.length]).toEqual([c, 1]);
    }
  });

  it('rejects an unknown command with exit code 2 and one line naming it', async () => {
    const r = await aunnRun(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("aunn: unknown command 'frobnicate'");
  });

  it('bench rejects an unknown benchmark name', async () => {
    const r = await aunnRun(['bench', '--only', 'no-such-bench', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown benchmark\(s\): no-such-bench/);
  });
});
