import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Corpus } from '../../src/corpus/index.js';
import { appendVolume, makeVolume, sameBytes, scratchDir } from './helpers/volumes.js';

const helpers = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers');

function startChild(
  script: string,
  args: string[],
): { child: ChildProcess; line: (text: string) => Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(helpers, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) if (out.includes(w.text)) w.resolve();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (out.includes(text)) return resolve();
      waiters.push({ text, resolve });
      void exited.then((code) => reject(new Error(`child exited (${code}) before printing '${text}': ${err}`)));
    });
  return { child, line, exited };
}

function expectNoLeftovers(dir: string, corpus: Corpus): void {
  const arrays = corpus.manifest.records.map((r) => path.basename(r.array));
  expect(readdirSync(path.join(dir, 'data.zarr', 'records')).sort()).toEqual([...arrays, 'zarr.json'].sort());
  const withAttachments = readdirSync(path.join(dir, 'attachments'));
  for (const name of withAttachments) expect(corpus.manifest.records.map((r) => String(r.id))).toContain(name);
  expect(readdirSync(dir).filter((f) => f.startsWith('manifest.json.tmp') || f.startsWith('.lock'))).toEqual([]);
}

describe('corpus across processes', () => {
  it('gives a second writer a clear lock error while another process writes, and takes over a dead writer’s lock', async () => {
    const dir = scratchDir();
    await Corpus.open(dir, { create: true });
    const holder = startChild('hold-lock.ts', [dir]);
    try {
      await holder.line('locked');
      const corpus = await Corpus.open(dir);
      const err = await appendVolume(corpus, 's/a', [2, 2, 2], makeVolume([2, 2, 2])).catch((e: unknown) => e);
      expect((err as Error).message).toBe(
        `corpus ${dir} is locked by pid ${holder.child.pid} (another aunn process is writing)`,
      );
      holder.child.kill('SIGKILL');
      await holder.exited;
      const rec = await appendVolume(corpus, 's/a', [2, 2, 2], makeVolume([2, 2, 2]));
      expect(rec.id).toBe(0);
      expect(existsSync(path.join(dir, '.lock'))).toBe(false);
    } finally {
      holder.child.kill('SIGKILL');
    }
  });

  it('survives kill -9 of an ingest at random moments: reopens with exactly the earlier records, leftovers removed', async () => {
    const dir = path.join(scratchDir(), 'corpus');
    const first = await Corpus.open(dir, { create: true });
    const before = makeVolume([10, 20, 30]);
    await appendVolume(first, 's/before', [10, 20, 30], before);
    // Moments spread over the whole ingest (~57 slab reads of 40 ms each, ≥ 2.3 s, plus pyramid, rename and commit;
    // a quiet machine finished a 20 ms-per-slab ingest before the last moment).
    const seed = Date.now() % 1000;
    const moments = [0, 200, 500, 900, 1300, 1650, 2000].map((ms, i) => ms + ((seed * (i + 1)) % 150));
    for (const ms of moments) {
      const run = startChild('slow-ingest.ts', [dir, '40']);
      await run.line('started');
      await new Promise((resolve) => setTimeout(resolve, ms));
      run.child.kill('SIGKILL');
      await run.exited;
      const corpus = await Corpus.open(dir);
      const names = corpus.manifest.records.map((r) => r.name);
      if (names.length !== 1)
        throw new Error(`killed at ${ms} ms: the ingest finished before the kill (${names}); make it slower`);
      expect(names, `kill at ${ms} ms`).toEqual(['s/before']);
      expectNoLeftovers(dir, corpus);
      expect(sameBytes(await corpus.readRecord(corpus.record('s/before')), before)).toBe('equal');
    }
    // Left alone, the same ingest lands all three records at once (so the kills above did interrupt real work).
    const full = startChild('slow-ingest.ts', [dir, '1']);
    expect(await full.exited).toBe(0);
    const corpus = await Corpus.open(dir);
    expect(corpus.manifest.records.map((r) => r.name)).toEqual(['s/before', 'crash/a', 'crash/b', 'crash/c']);
    expect(existsSync(corpus.attachmentPath(corpus.record('crash/b'), 'mesh.obj'))).toBe(true);
    expectNoLeftovers(dir, corpus);
  });
});
