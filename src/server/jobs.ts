/**
 * Long jobs started from the app (ingest, train, finetune, predict, ink, read, export) run as child processes of
 * `node bin/aunn.js <command> ... --corpus DIR`, so the server (and the UI) never block on them. A job is a typed
 * request (src/api/job-spec.ts) from which the server builds the command line, every path confined to the corpus
 * (job-request.ts). At most `maxConcurrent` jobs run at once, the rest wait in a queue; finished jobs beyond
 * `maxFinished` are forgotten. Progress lines the child prints on stderr are parsed into events, kept (for late
 * subscribers) and streamed; a job can be cancelled, queued or running.
 *
 *   const jobs = new JobRunner({ corpusDir });
 *   const job = await jobs.start({ command: 'train', options: { model: 'm1', steps: 200 } });
 *   const stop = jobs.subscribe(job.id, (e) => console.log(e));
 *   jobs.cancel(job.id);
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { HttpError } from './http-util.js';
import { buildJobArgs, type JobPlaces } from './job-request.js';
import {
  JOB_COMMANDS,
  type JobCommand,
  type JobEvent,
  type JobInfo,
  type JobProgress,
  type JobRequest,
  type JobState,
} from '../api/index.js';

export { JOB_COMMANDS, type JobCommand, type JobState, type JobProgress, type JobEvent, type JobInfo, type JobRequest };

/** A started job process, whatever started it (a Node child process, or Electron's utilityProcess). */
export interface JobProcess {
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  onExit(listener: (code: number | null) => void): void;
  onError(listener: (err: Error) => void): void;
  /** Stop it and its children. */
  kill(signal: NodeJS.Signals): void;
}

interface Job extends JobInfo {
  process?: JobProcess;
  events: JobEvent[];
  listeners: Set<(e: JobEvent) => void>;
  lastError?: string;
}

export interface JobRunnerOptions {
  corpusDir: string;
  /** Model folders (default `<corpus>/models`). */
  modelsDir?: string;
  /** Folders whose files jobs may ingest (default `<corpus>/incoming`). */
  importRoots?: readonly string[];
  /** How to start a job; default `node bin/aunn.js <command> ...args --corpus DIR`. Tests pass their own. */
  commandLine?: (command: string, args: string[]) => { file: string; args: string[] };
  /** Start the process for a command line (default: a detached Node child process; Electron passes utilityProcess). */
  spawnProcess?: (file: string, args: string[], env: NodeJS.ProcessEnv) => JobProcess;
  /** Path of bin/aunn.js (default: found from this module; the bundled Electron main passes its own). */
  aunnBin?: string;
  /** Events kept per job (older logs are dropped, progress is thinned). */
  maxEvents?: number;
  /** Jobs running at once (default 2); the rest are queued. */
  maxConcurrent?: number;
  /** Finished jobs kept for the list (default 50); older ones are pruned. */
  maxFinished?: number;
}

const AUNN_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/aunn.js');

/** A Node child process in its own process group, so cancelling stops the workers it started too. */
export function spawnChildProcess(file: string, args: string[], env: NodeJS.ProcessEnv): JobProcess {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: process.platform !== 'win32' });
  return {
    stdout: child.stdout,
    stderr: child.stderr,
    onExit: (l) => void child.on('close', (code) => l(code)),
    onError: (l) => void child.on('error', l),
    kill: (sig) => {
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        /* already gone */
      }
    },
  };
}

/** Parse one stderr line of src/cli/progress.ts (non-TTY form) or a `@progress {json}` line. */
export function parseProgressLine(line: string): JobProgress | undefined {
  if (line.startsWith('@progress ')) {
    try {
      const e = JSON.parse(line.slice(10)) as {
        label: string;
        done: number;
        total: number;
        ratePerS: number;
        unit?: string;
        etaS: number;
        info?: Record<string, number | string>;
      };
      return {
        label: e.label,
        percent: e.total > 0 ? (100 * e.done) / e.total : 0,
        ratePerS: e.ratePerS,
        unit: e.unit || undefined,
        etaS: Number.isFinite(e.etaS) ? e.etaS : undefined,
        info: e.info ?? {},
      };
    } catch {
      return undefined;
    }
  }
  // "<label>: 42% 1234.5 samples/s ETA 12s loss=0.1234 psnr=17.20"
  const m = /^(.+?): (\d+(?:\.\d+)?)% (\d+(?:\.\d+)?) ?(\S*)\/s ETA (\S+)\s*(.*)$/.exec(line);
  if (!m) return undefined;
  const info: Record<string, number | string> = {};
  for (const kv of m[6]!.split(/\s+/).filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    const v = kv.slice(eq + 1);
    info[kv.slice(0, eq)] = /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v) ? Number(v) : v;
  }
  const eta = m[5]!.endsWith('s') ? Number(m[5]!.slice(0, -1)) : NaN;
  return {
    label: m[1]!,
    percent: Number(m[2]),
    ratePerS: Number(m[3]),
    unit: m[4] || undefined,
    etaS: Number.isFinite(eta) ? eta : undefined,
    info,
  };
}

export class JobRunner {
  private readonly jobs = new Map<string, Job>();
  private readonly granted = new Set<string>();
  private counter = 0;

  constructor(private readonly opts: JobRunnerOptions) {}

  private get places(): JobPlaces {
    return {
      corpusDir: this.opts.corpusDir,
      modelsDir: this.opts.modelsDir ?? path.join(this.opts.corpusDir, 'models'),
      importRoots: this.opts.importRoots ?? [path.join(this.opts.corpusDir, 'incoming')],
      granted: this.granted,
    };
  }

  /** Let jobs ingest this file or folder (the user chose it in the app's own dialog). */
  grantSource(p: string): void {
    this.granted.add(path.resolve(p));
  }

  /** Check a typed request (HttpError 400 with one line if it is not one) and queue it; it starts when a slot is free. */
  async start(body: unknown): Promise<JobInfo> {
    const { request, args } = await buildJobArgs(body, this.places);
    const id = `job${++this.counter}-${Date.now().toString(36)}`;
    const job: Job = {
      id,
      command: request.command,
      request,
      args,
      state: 'queued',
      startedAt: Date.now(),
      events: [],
      listeners: new Set(),
    };
    this.jobs.set(id, job);
    this.pump();
    return this.info(job);
  }

  /** Names of the model folders jobs may use (what a form offers). */
  async models(): Promise<string[]> {
    const entries = await readdir(this.places.modelsDir, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => this.info(j));
  }

  get(id: string): JobInfo {
    return this.info(this.require(id));
  }

  /** Past events, then live ones until `end`. Returns the unsubscribe function. */
  subscribe(id: string, listener: (e: JobEvent) => void): () => void {
    const job = this.require(id);
    for (const e of job.events) listener(e);
    if (job.events.some((e) => e.type === 'end')) return () => {};
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** A queued job is dropped; a running one gets SIGTERM (its process group), SIGKILL after `graceMs`. */
  cancel(id: string, graceMs = 3000): JobInfo {
    const job = this.require(id);
    if (job.state === 'queued') {
      job.state = 'cancelled';
      this.finish(job, null);
      return this.info(job);
    }
    if (job.state !== 'running') return this.info(job);
    job.state = 'cancelled';
    job.process?.kill('SIGTERM');
    const timer = setTimeout(() => job.exitCode === undefined && job.process?.kill('SIGKILL'), graceMs);
    timer.unref();
    return this.info(job);
  }

  /** Cancel everything queued or running (server shutdown). */
  cancelAll(): void {
    for (const j of this.jobs.values()) if (j.state === 'queued') this.cancel(j.id);
    for (const j of this.jobs.values()) if (j.state === 'running') this.cancel(j.id, 500);
  }

  /** Start queued jobs, oldest first, while fewer than maxConcurrent run. */
  private pump(): void {
    const max = this.opts.maxConcurrent ?? 2;
    // A cancelled job holds its slot until its process has exited.
    let running = [...this.jobs.values()].filter((j) => j.process !== undefined).length;
    for (const job of this.jobs.values()) {
      if (running >= max) break;
      if (job.state !== 'queued') continue;
      this.launch(job);
      running++;
    }
  }

  private launch(job: Job): void {
    const line = this.opts.commandLine
      ? this.opts.commandLine(job.command, job.args)
      : {
          file: process.execPath,
          args: [this.opts.aunnBin ?? AUNN_BIN, job.command, ...job.args, '--corpus', this.opts.corpusDir],
        };
    const env = { ...process.env, AUNN_PROGRESS_JSON: '1', FORCE_COLOR: '0' };
    job.state = 'running';
    job.startedAt = Date.now();
    const child = (this.opts.spawnProcess ?? spawnChildProcess)(line.file, line.args, env);
    job.process = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const name = stream === child.stdout ? 'stdout' : 'stderr';
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        pending += text;
        // progress.ts rewrites a TTY bar with \r; treat it like a newline.
        const lines = pending.split(/\r?\n|\r/);
        pending = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) this.onLine(job, name, l);
      });
    }
    child.onError((err) =>
      this.emit(job, { type: 'log', t: Date.now(), stream: 'stderr', line: `could not start: ${err.message}` }),
    );
    child.onExit((code) => {
      if (job.state === 'running') job.state = code === 0 ? 'done' : 'failed';
      this.finish(job, code);
      this.pump();
    });
  }

  private finish(job: Job, code: number | null): void {
    job.endedAt = Date.now();
    job.exitCode = code;
    job.process = undefined;
    if (job.state === 'failed') job.error = job.lastError ?? `exited with code ${code}`;
    this.emit(job, { type: 'end', t: Date.now(), state: job.state, exitCode: code, error: job.error });
    this.prune();
  }

  /** Forget the oldest finished jobs beyond maxFinished. */
  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.endedAt !== undefined);
    const extra = finished.length - (this.opts.maxFinished ?? 50);
    for (const j of finished.slice(0, Math.max(0, extra))) this.jobs.delete(j.id);
  }

  private require(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new HttpError(404, `no job '${id}'`);
    return job;
  }

  private info(j: Job): JobInfo {
    return {
      id: j.id,
      command: j.command,
      request: j.request,
      args: j.args,
      state: j.state,
      startedAt: j.startedAt,
      endedAt: j.endedAt,
      exitCode: j.exitCode,
      last: j.last,
      error: j.error,
    };
  }

  private onLine(job: Job, stream: 'stdout' | 'stderr', line: string): void {
    const progress = parseProgressLine(line);
    if (progress) {
      job.last = progress;
      this.emit(job, { type: 'progress', t: Date.now(), progress });
    } else {
      if (stream === 'stderr') job.lastError = line.slice(0, 500);
      this.emit(job, { type: 'log', t: Date.now(), stream, line: line.slice(0, 2000) });
    }
  }

  private emit(job: Job, e: JobEvent): void {
    job.events.push(e);
    const max = this.opts.maxEvents ?? 5000;
    if (job.events.length > max) {
      // Keep every other progress event of the older half (the curve keeps its shape) and drop old logs.
      const half = job.events.splice(0, max >> 1);
      job.events.unshift(...half.filter((x, i) => x.type === 'progress' && i % 2 === 0));
    }
    for (const l of job.listeners) l(e);
    if (e.type === 'end') job.listeners.clear();
  }
}
