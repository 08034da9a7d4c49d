import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner, parseProgressLine, type JobEvent } from '../../src/server/jobs.js';
import { startServer, type AppServer } from '../../src/server/server.js';
import { spiralCorpus } from './spiral-corpus.js';
import { request } from './http-client.js';

// A stand-in for `node bin/aunn.js train ...`: prints progress lines the way src/cli/progress.ts does off a TTY.
const FAKE_TRAIN = `
const steps = Number(process.argv[process.argv.indexOf('--steps') + 1] || 3);
const slow = process.argv.includes('--minutes');
let i = 0;
const tick = () => {
  i++;
  process.stderr.write('train: ' + Math.round(100 * i / steps) + '% 512.0 samples/s ETA ' + (steps - i) + 's loss=' + (1 / i).toFixed(4) + ' psnr=' + (10 + i) + ' backend=wasm\\n');
  if (i < steps) setTimeout(tick, slow ? 1000 : 5); else console.log('saved checkpoint');
};
tick();
`;

let tmp: string;
let app: AppServer;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-jobs-'));
  const corpus = await spiralCorpus(path.join(tmp, 'corpus'), { scanShape: [8, 16, 16], segmentShape: [8, 20] });
  app = await startServer({
    corpus,
    uiDir: null,
    jobCommandLine: (command, args) => ({ file: process.execPath, args: ['-e', FAKE_TRAIN, command, ...args] }),
  });
});

afterAll(async () => {
  await app?.close();
  await rm(tmp, { recursive: true, force: true });
});

function sseEvents(body: string): JobEvent[] {
  return body
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => Boolean(l))
    .map((l) => JSON.parse(l.slice(6)) as JobEvent);
}

describe('jobs', () => {
  it('parses the progress lines of src/cli/progress.ts and the JSON form', () => {
    expect(parseProgressLine('train: 42% 1234.5 samples/s ETA 12s loss=0.1234 psnr=17.20 backend=wasm')).toEqual({
      label: 'train',
      percent: 42,
      ratePerS: 1234.5,
      unit: 'samples',
      etaS: 12,
      info: { loss: 0.1234, psnr: 17.2, backend: 'wasm' },
    });
    expect(parseProgressLine('ingest scanA: 5% 3.2 MB/s ETA ? ')?.etaS).toBeUndefined();
    expect(
      parseProgressLine('@progress {"label":"x","done":5,"total":10,"ratePerS":2,"etaS":2.5,"info":{"loss":0.5}}')
        ?.percent,
    ).toBe(50);
    // The JSON form carries the unit, so the app shows "3.2 MB/s", not a bare number.
    expect(
      parseProgressLine('@progress {"label":"ingest","done":1,"total":2,"ratePerS":3.2,"unit":"MB","etaS":1}'),
    ).toMatchObject({ ratePerS: 3.2, unit: 'MB' });
    expect(parseProgressLine('wrote 3 records')).toBeUndefined();
  });

  it('runs a job in a child process and streams its progress over SSE until it ends', async () => {
    const started = await request(app.port, '/api/jobs', {
      method: 'POST',
      token: app.token,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ command: 'train', options: { model: 'm1', steps: 4 } }),
    });
    expect(started.status).toBe(201);
    const { id } = started.json();
    const stream = await request(app.port, `/api/jobs/${id}/events`, { token: app.token });
    expect(stream.headers['content-type']).toBe('text/event-stream');
    const events = sseEvents(stream.body.toString());
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.map((e) => e.type === 'progress' && e.progress.info.loss)).toEqual([1, 0.5, 0.3333, 0.25]);
    expect(events.some((e) => e.type === 'log' && e.line === 'saved checkpoint')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'end', state: 'done', exitCode: 0 });
    const list = (await request(app.port, '/api/jobs', { token: app.token })).json();
    expect(list.jobs.find((j: any) => j.id === id)).toMatchObject({ state: 'done', last: { percent: 100 } });
  });

  it('cancels a running job', async () => {
    const { id } = (
      await request(app.port, '/api/jobs', {
        method: 'POST',
        token: app.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ command: 'train', options: { model: 'm1', steps: 100, minutes: 9 } }),
      })
    ).json();
    const cancelled = await request(app.port, `/api/jobs/${id}`, { method: 'DELETE', token: app.token });
    expect(cancelled.json().state).toBe('cancelled');
    const events = sseEvents((await request(app.port, `/api/jobs/${id}/events`, { token: app.token })).body.toString());
    expect(events.at(-1)).toMatchObject({ type: 'end', state: 'cancelled' });
    expect(events.filter((e) => e.type === 'progress').length).toBeLessThan(5);
  });

  it('refuses commands outside the list, untyped command lines and options it does not know', async () => {
    const post = (body: unknown) =>
      request(app.port, '/api/jobs', {
        method: 'POST',
        token: app.token,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ command: 'serve', options: {} })).json().error).toContain("unknown job command 'serve'");
    expect((await post({ command: 'train', args: ['--steps', '1'] })).json().error).toContain('typed options');
    expect((await post({ command: 'train', options: { model: 'm', corpus: '/elsewhere' } })).json().error).toContain(
      "'corpus' is not an option of train",
    );
    expect((await post({ command: 'train', options: { steps: 5 } })).json().error).toContain(
      "needs the option 'model'",
    );
    expect((await post({ command: 'train', options: { model: 'm', steps: 'a\nb' } })).status).toBe(400);
    expect((await post({ command: 'train', options: { model: 'm', steps: 2.5 } })).json().error).toContain('whole');
    expect((await post({ command: 'train', options: { model: 'm', steps: 0 } })).status).toBe(400);
    expect((await post({ command: 'train', options: { model: 'm', schedule: 'rm -rf' } })).status).toBe(400);
    expect((await post({ command: 'ink', options: { segment: '--retrain' } })).status).toBe(400);
    expect((await request(app.port, '/api/jobs/nope/events', { token: app.token })).status).toBe(404);
  });

  it('starts `node bin/aunn.js <command> ... --corpus DIR` by default', async () => {
    const runner = new JobRunner({ corpusDir: path.join(tmp, 'corpus') });
    const job = await runner.start({ command: 'ink', options: { segment: 'no-such-segment' } });
    expect(job.args).toEqual(['--segment', 'no-such-segment']);
    const events: JobEvent[] = [];
    await new Promise<void>((resolve) =>
      runner.subscribe(job.id, (e) => (events.push(e), e.type === 'end' && resolve())),
    );
    // The real CLI ran with --corpus and refused in one line (the spiral corpus folder has no manifest on disk).
    const lines = events.filter((e) => e.type === 'log').map((e) => (e.type === 'log' ? e.line : ''));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^aunn ink: /);
    expect(lines[0]).toContain(path.join(tmp, 'corpus'));
    expect(events.at(-1)).toMatchObject({ type: 'end', state: 'failed' });
  });
});
