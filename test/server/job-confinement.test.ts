/**
 * The jobs API confined to the corpus: the attacks of the closed-doors issue (ingest any file, train or export
 * anywhere, links out of the corpus) are refused with one line; what a user does is allowed and lands inside the
 * corpus; at most N jobs run at once and finished ones are pruned.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobRequestFromArgs } from '../../src/api/index.js';
import { buildJobArgs, type JobPlaces } from '../../src/server/job-request.js';
import { remoteVolumeOptions } from '../../src/viewer/add-data.js';
import { JobRunner, type JobEvent } from '../../src/server/jobs.js';

let tmp: string;
let places: JobPlaces;
let corpus: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-confine-'));
  corpus = path.join(tmp, 'corpus');
  await mkdir(path.join(corpus, 'incoming'), { recursive: true });
  await mkdir(path.join(corpus, 'models'), { recursive: true });
  await mkdir(path.join(tmp, 'outside'), { recursive: true });
  await writeFile(path.join(tmp, 'outside', 'id_rsa'), 'SECRET');
  await writeFile(path.join(corpus, 'incoming', 'scan.tif'), 'II*\0');
  await writeFile(path.join(corpus, 'truth.png'), 'png');
  await symlink(path.join(tmp, 'outside'), path.join(corpus, 'models', 'escape'));
  await symlink(path.join(tmp, 'outside', 'id_rsa'), path.join(corpus, 'incoming', 'key-link'));
  await symlink(path.join(tmp, 'outside', 'id_rsa'), path.join(corpus, 'key.png'));
  places = {
    corpusDir: corpus,
    modelsDir: path.join(corpus, 'models'),
    importRoots: [path.join(corpus, 'incoming')],
    granted: new Set([path.join(tmp, 'chosen.tif')]),
  };
  await writeFile(path.join(tmp, 'chosen.tif'), 'II*\0');
});

afterAll(() => rm(tmp, { recursive: true, force: true }));

const refusal = (body: unknown) =>
  buildJobArgs(body, places).then(
    () => 'accepted',
    (e: Error & { status?: number }) => `${e.status} ${e.message}`,
  );

describe('typed job requests', () => {
  it('refuses the attacks: any file ingested, models and exports outside the corpus, links out', async () => {
    const secret = path.join(tmp, 'outside', 'id_rsa');
    expect(await refusal({ command: 'ingest', input: secret, options: { as: 'text' } })).toMatch(
      /^400 ingest input .* is not in an import folder/,
    );
    expect(await refusal({ command: 'ingest', input: path.join(corpus, 'incoming', 'key-link') })).toMatch(
      /not in an import folder/,
    );
    expect(await refusal({ command: 'ingest', input: '../outside/id_rsa' })).toMatch(/'\.\.' in a path/);
    expect(await refusal({ command: 'ingest', input: 'incoming/../../outside/id_rsa' })).toMatch(/'\.\.' in a path/);
    // A relative path is the corpus's own: notes.txt is inside it but not under incoming/.
    await writeFile(path.join(corpus, 'notes.txt'), 'x');
    expect(await refusal({ command: 'ingest', input: 'notes.txt' })).toMatch(/not in an import folder/);
    expect(await refusal({ command: 'ingest', input: 'file:///etc/passwd' })).toMatch(/only https/);
    expect(await refusal({ command: 'train', options: { model: '/anywhere' } })).toMatch(/not a model name/);
    expect(await refusal({ command: 'train', options: { model: '..' } })).toMatch(/not a model name/);
    expect(await refusal({ command: 'train', options: { model: 'escape' } })).toMatch(/resolves outside/);
    expect(await refusal({ command: 'export', options: { segment: 's', out: '/anywhere' } })).toMatch(
      /not a folder name under exports/,
    );
    expect(await refusal({ command: 'export', options: { segment: 's', out: 'a/../../..' } })).toMatch(/not a folder/);
    expect(await refusal({ command: 'ink', options: { segment: 's', truth: '../outside/id_rsa' } })).toMatch(
      /outside the corpus/,
    );
    expect(await refusal({ command: 'ink', options: { segment: 's', truth: 'key.png' } })).toMatch(/resolves outside/);
    expect(await refusal({ command: 'read', options: { segment: '../../x' } })).toMatch(/not a record name/);
    expect(await refusal({ command: 'predict', options: { model: 'm', region: '0:1;rm' } })).toMatch(/z0:z1/);
  });

  it('builds the command line of what a user does, every path inside the corpus', async () => {
    expect((await buildJobArgs({ command: 'train', options: { model: 'scroll1', steps: 200 } }, places)).args).toEqual([
      '--model',
      path.join(corpus, 'models', 'scroll1'),
      '--steps',
      '200',
    ]);
    // `aunn export` itself writes into <corpus>/exports unless told otherwise (test/lm/export.test.ts).
    expect((await buildJobArgs({ command: 'export', options: { segment: 'sample-s1/2026' } }, places)).args).toEqual([
      '--segment',
      'sample-s1/2026',
    ]);
    const ink = await buildJobArgs(
      { command: 'ink', options: { segment: 's', out: 'ink/run2', truth: 'truth.png', retrain: true } },
      places,
    );
    expect(ink.args).toEqual([
      '--segment',
      's',
      '--retrain',
      '--out',
      path.join(corpus, 'exports', 'ink', 'run2'),
      '--truth',
      path.join(corpus, 'truth.png'),
    ]);
    const scan = path.join(corpus, 'incoming', 'scan.tif');
    expect((await buildJobArgs({ command: 'ingest', input: scan, options: { as: 'scan' } }, places)).args).toEqual([
      scan,
      '--as',
      'scan',
    ]);
    const chosen = path.join(tmp, 'chosen.tif');
    expect((await buildJobArgs({ command: 'ingest', input: chosen }, places)).args).toEqual([chosen]);
    expect(
      (await buildJobArgs({ command: 'ingest', input: 'https://data.example/s.zarr', options: {} }, places)).args,
    ).toEqual(['https://data.example/s.zarr']);
    // a part of a remote volume, as the Add data form sends it (src/viewer/add-data.ts remoteVolumeOptions)
    const part = remoteVolumeOptions(' https://data.example/s.zarr ', '2', '0:64, 128:256, 128:256');
    expect(part).toEqual({
      url: 'https://data.example/s.zarr',
      options: { level: '2', region: '0:64,128:256,128:256' },
    });
    if ('error' in part) throw new Error(part.error);
    expect((await buildJobArgs({ command: 'ingest', input: part.url, options: part.options }, places)).args).toEqual([
      'https://data.example/s.zarr',
      '--level',
      '2',
      '--region',
      '0:64,128:256,128:256',
    ]);
    expect(remoteVolumeOptions('http://data.example/s.zarr', '', '')).toEqual({
      error: expect.stringMatching(/https/),
    });
    expect(remoteVolumeOptions('https://d/s.zarr', '21', '')).toEqual({ error: expect.stringMatching(/0\.\.20/) });
    expect(remoteVolumeOptions('https://d/s.zarr', '', '0:9,5:5,0:1')).toEqual({
      error: expect.stringMatching(/below/),
    });
    expect(remoteVolumeOptions('https://d/s.zarr', '', '0:9,0:1')).toEqual({ error: expect.stringMatching(/z0:z1/) });
    expect(await refusal({ command: 'ingest', input: part.url, options: { region: '0:1,0:1' } })).toMatch(/z0:z1/);
  });

  it('turns a typed command line into the same request', () => {
    expect(jobRequestFromArgs('train', ['--model', 'm', '--steps=20', '--max-memory', '512'])).toEqual({
      command: 'train',
      options: { model: 'm', steps: '20', maxMemory: '512' },
    });
    expect(jobRequestFromArgs('ink', ['--segment', 's', '--retrain'])).toEqual({
      command: 'ink',
      options: { segment: 's', retrain: true },
    });
    expect(jobRequestFromArgs('ingest', ['/data/scan.tif', '--as', 'scan']).input).toBe('/data/scan.tif');
    expect(() => jobRequestFromArgs('train', ['--corpus', '/x'])).toThrow("'--corpus' is not an option of train");
  });
});

// A stand-in job: lives for the steps it is given (in 20 ms ticks), then exits 0.
const FAKE = `setTimeout(() => process.exit(0), 20 * Number(process.argv[process.argv.indexOf('--steps') + 1]));`;

describe('job queue', () => {
  const runner = () =>
    new JobRunner({
      corpusDir: corpus,
      maxConcurrent: 2,
      maxFinished: 3,
      commandLine: (_command, args) => ({ file: process.execPath, args: ['-e', FAKE, '--', ...args] }),
    });
  const ended = (r: JobRunner, id: string) =>
    new Promise<void>((resolve) => r.subscribe(id, (e: JobEvent) => e.type === 'end' && resolve()));

  it('runs at most maxConcurrent jobs, queues the rest, starts them as slots free up', async () => {
    const r = runner();
    const jobs = [];
    for (let i = 0; i < 5; i++) jobs.push(await r.start({ command: 'train', options: { model: 'm', steps: 10 } }));
    expect(jobs.map((j) => j.state)).toEqual(['running', 'running', 'queued', 'queued', 'queued']);
    let most = 0;
    const poll = setInterval(() => (most = Math.max(most, r.list().filter((j) => j.state === 'running').length)), 5);
    await Promise.all(jobs.map((j) => ended(r, j.id)));
    clearInterval(poll);
    expect(most).toBe(2);
    // Five finished, three kept: the two oldest are pruned.
    expect(r.list().map((j) => j.id)).toEqual(jobs.slice(2).map((j) => j.id));
    expect(r.list().every((j) => j.state === 'done')).toBe(true);
  });

  it('cancels a queued job without starting it', async () => {
    const r = runner();
    const a = await r.start({ command: 'train', options: { model: 'm', steps: 5 } });
    await r.start({ command: 'train', options: { model: 'm', steps: 5 } });
    const c = await r.start({ command: 'train', options: { model: 'm', steps: 5 } });
    expect(r.cancel(c.id).state).toBe('cancelled');
    const events: JobEvent[] = [];
    r.subscribe(c.id, (e) => events.push(e));
    expect(events).toEqual([expect.objectContaining({ type: 'end', state: 'cancelled', exitCode: null })]);
    await ended(r, a.id);
    expect(r.get(c.id).state).toBe('cancelled');
  });
});
